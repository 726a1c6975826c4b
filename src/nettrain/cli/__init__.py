"""The ``nettrain`` command line: one typer app, one module per command group.

Each command module (``gradcheck.py``, ``data.py``, ``train.py`` ...) defines
its commands on the app or a sub-app; this file only assembles them, so a
reader finds every command's code next to its help text.

A person's mistake is reported by raising ``UsageError`` (from
``nettrain.errors``): ``main`` prints its one-line message and exits 2, no
traceback.
"""
from __future__ import annotations

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
    """The command line. typer (standalone) handles --help, usage errors
    (exit 2) and each command's exit status; a UsageError raised by a command
    becomes one message on stderr and exit status 2, no traceback; an
    interrupt outside a training run's own handling is one line, exit 130.
    (The console script enters through ``nettrain_entry.main``, which makes
    an interrupt while this package is still being imported just as quiet.)"""
    # Training frees and re-allocates the same arrays every step; without this
    # glibc returns them to the OS and faults them in again (2x slower LeNet).
    keep_freed_memory()
    previous = _quiet_interrupts()
    try:
        app(args=argv, prog_name="nettrain")
    except UsageError as err:
        console_err.print(f"[bold red]error:[/] {escape(str(err))}", markup=True, highlight=False)
        sys.exit(2)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


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
