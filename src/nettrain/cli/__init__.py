"""The ``nettrain`` command line: one typer app, one module per command group.

Each command module (``gradcheck.py``, ``data.py``, ``train.py`` ...) defines
its commands on the app or a sub-app; this file only assembles them, so a
reader finds every command's code next to its help text.

A person's mistake is reported by raising ``UsageError`` (from
``nettrain.errors``): ``main`` prints its one-line message and exits 2, no
traceback.
"""
from __future__ import annotations

import re
import signal
import sys

import typer
from rich.markup import escape

from .. import __version__
from ..allocator import keep_freed_memory
from ..errors import UsageError
from .common import app, console_err


def _version(value: bool):
    if value:
        typer.echo(f"nettrain {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
):
    """nettrain: train small neural networks from a YAML file, on nettrain's own autograd engine.

    Examples:

    \b
        nettrain train configs/lenet.yaml
        nettrain eval --checkpoint runs/<run>/checkpoints/best.npz
        nettrain runs
        nettrain gradcheck

    `nettrain COMMAND --help` shows a command's options and examples.
    """


# Command modules register themselves on import.
# (In the order `nettrain --help` lists them: the everyday ones first.)
from . import train, predict, summary, lr_find, gradcheck, export, config, data, runs  # noqa: E402,F401,I001


def main(argv=None):
    """The command line. typer handles --help and each command's exit status;
    a mistake on the command line (a missing argument, an unknown option) or
    a UsageError raised by a command becomes one message on stderr (the
    former with the usage line), exit status 2, no traceback; an interrupt
    outside a training run's own handling is one line, exit 130.
    (The console script enters through ``nettrain_entry.main``, which makes
    an interrupt while this package is still being imported just as quiet.)"""
    # Training frees and re-allocates the same arrays every step; without this
    # glibc returns them to the OS and faults them in again (2x slower LeNet).
    keep_freed_memory()
    previous = _quiet_interrupts()
    try:
        # Not standalone: a mistake on the command line comes back here as an
        # exception, to be told in nettrain's own words (click's own telling
        # is a usage block, a "Try" line and an "Error:" line).
        status = app(args=argv, prog_name="nettrain", standalone_mode=False)
    except UsageError as err:
        _print_error(str(err))
        sys.exit(2)
    except COMMAND_LINE_MISTAKE as err:
        if type(err).show is not COMMAND_LINE_MISTAKE.show:  # a bare `nettrain`: the help, as click shows it
            err.show()
        else:
            _print_error(*_command_line_mistake(err))
        sys.exit(err.exit_code)
    except typer.Abort:
        console_err.print("Aborted!", highlight=False)
        sys.exit(1)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    sys.exit(status or 0)  # what typer.Exit(n) or --help asked for; None when a command returns


def _print_error(message: str, *more: str):
    """"error: MESSAGE" on stderr (the word in red on a terminal), then any further lines."""
    console_err.print(f"[bold red]error:[/] {escape(message)}", markup=True, highlight=False)
    for line in more:
        console_err.print(line, highlight=False)


# click's UsageError (typer re-exports only its subclass BadParameter, and
# recent typers carry their own copy of click, so there is no click to
# import it from): a missing argument, an unknown option, a value that is
# not an integer, an unknown command.
COMMAND_LINE_MISTAKE = typer.BadParameter.__base__


def _command_line_mistake(err) -> tuple[str, ...]:
    """click's message in nettrain's style: "where: what", then the usage line."""
    what = _plain(err.format_message())
    if hasattr(err, "possibilities"):  # an unknown option
        close = " or ".join(sorted(err.possibilities or ()))
        what = f"no option {err.option_name}" + (f"; did you mean {close}?" if close else "")
    bad_value = re.fullmatch(r"invalid value for '?(.+?)'?: (.+)", what, re.DOTALL)
    if bad_value:  # the option is where: "--epochs: input should be a valid integer"
        what = f"{bad_value[1]}: {_plain(bad_value[2])}"
    elif err.ctx is not None:
        what = f"{err.ctx.command_path}: {what}"
    if err.ctx is None:  # an option given without its value ("option '--split' requires an argument")
        return (what,)
    usage = err.ctx.get_usage().replace("Usage: ", "", 1)
    return what, f"usage: {usage}   ({err.ctx.command_path} -h for help)"


def _plain(message: str) -> str:
    """"Missing argument 'config'." -> "missing argument 'config'" (nettrain's messages are lower case)."""
    message = message.strip().rstrip(".").replace(". Did you mean", "; did you mean")
    return message[:1].lower() + message[1:]


INTERRUPT_EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}


def _interrupted(signum, frame):
    console_err.print(f"{signal.Signals(signum).name}: interrupted", highlight=False)
    raise SystemExit(INTERRUPT_EXIT_CODES[signum])  # passes click and typer untouched; no traceback


def _quiet_interrupts() -> dict:
    """SIGINT/SIGTERM end the command with one line and 130/143 (click would
    turn a KeyboardInterrupt into "Aborted!" and status 1); a training run
    installs its own handlers on top. Returns the handlers to put back."""
    previous = {}
    for signum in INTERRUPT_EXIT_CODES:
        try:
            previous[signum] = signal.signal(signum, _interrupted)
        except ValueError:  # not the main thread
            pass
    return previous
