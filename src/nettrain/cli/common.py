"""What every command module shares: the app, the consoles, the --device
rule, the rule for a file a command writes (--out, --csv) and for a folder option
(--runs-dir), the plot extra."""
from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from typer.core import TyperArgument, TyperCommand

from .completion import complete_folder


class Command(TyperCommand):
    """A command whose usage line names its arguments as the help does
    (``nettrain train [OPTIONS] CONFIG``): typer writes a required argument
    as ``{config}``, which reads like a placeholder syntax nobody types."""

    def collect_usage_pieces(self, ctx) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, TyperArgument):
                name = param.metavar or param.name.upper()
                name = name if param.required else f"[{name}]"
                pieces.append(name + ("..." if param.nargs != 1 else ""))
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces


# The help is plain text (rich_markup_mode=None): flags show no value type
# (typer's rich panels print "--json <bool>"), the examples keep their
# indentation, and a "[export]" in a pip command is not taken for markup.
HELP_SETTINGS = {"rich_markup_mode": None, "context_settings": {"help_option_names": ["-h", "--help"]}}

app = typer.Typer(
    add_completion=True,  # --install-completion / --show-completion (see completion.py)
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    **HELP_SETTINGS,
)

# stdout carries results (tables, JSON); stderr carries errors and progress.
# soft_wrap: long paths and commands stay on one line, so they can be copied.
# markup=False: what is printed is text, shown as it is; with rich's markup on,
# 'pip install -e ".[plot]"' or a path such as runs[2]/ would lose its
# brackets as tags. A print that wants style passes markup=True and escapes
# whatever it interpolates (rich.markup.escape).
console = Console(soft_wrap=True, markup=False)
console_err = Console(stderr=True, soft_wrap=True, markup=False)

SET_HELP = "Override a config key, e.g. --set optimizer.lr=0.05 (repeatable; values are YAML)."

DEVICE_HELP = "cpu, cuda or cuda:N"


def checked_device(value: str | None) -> str | None:
    """A --device value, by one rule for every command: a device as PyTorch
    spells it (cpu, cuda, cuda:N; "gpu" is no device name there, nor here),
    and, for a GPU, CuPy installed. Returns its canonical spelling (what a
    config's ``device`` key takes); UsageError otherwise."""
    from .. import backend
    from ..errors import UsageError

    if value is None:
        return None
    try:
        device = backend.Device(value)
    except (ValueError, TypeError):
        raise UsageError(f"--device {value}: not a device; expected cpu, cuda or cuda:N (N: a GPU index)") from None
    if device.type == "cuda":
        try:
            backend.cupy_module()
        except RuntimeError as err:
            raise UsageError(f"--device {value}: {err}") from None
    return str(device)


def checked_output_file(path: Path, option: str, example: str) -> Path:
    """A file a command will write (``--out``, ``--csv``), by one rule for
    every command, checked before any work is done: not a folder, in a
    folder that exists (a typo makes no stray folders; ``mkdir`` it first)
    and that takes a new file (tried with a temporary file the system
    removes at once: /proc or a read-only mount fail here, not after a
    sweep). ``example``: a file name for the message. UsageError otherwise."""
    import tempfile

    from ..errors import UsageError

    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{option} {path}: is a folder; give a file name such as {path / example}")
    folder = path.parent
    if not folder.is_dir():
        raise UsageError(f"{option} {path}: the folder {folder} does not exist (create it first)")
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise UsageError(f"{option} {path}: cannot write a file in {folder} ({err.strerror})") from None
    return path


def folder_option(example: str):
    """The parser of an option that names a folder (--runs-dir, --root), one
    rule for every command: a path, never an empty one. An empty value is
    most often an unset shell variable (--runs-dir "$RUNS"); as a Path it
    would be ".", and runs or downloads would land in the current folder
    unasked. ``example`` is the folder the message suggests."""
    def parse(text) -> Path:
        if not str(text).strip():
            raise typer.BadParameter(f"empty; name a folder, e.g. {example}, or leave the option out")
        return Path(text)
    return parse


# --runs-dir, wherever a command takes it: a folder, never empty, completed as one.
RUNS_DIR_OPTION = {"parser": folder_option("runs (the default)"), "metavar": "DIR", "autocompletion": complete_folder}
# the data commands' --root: the same rule (without it the data is looked for where it always is)
DATA_ROOT_OPTION = {"parser": folder_option("data"), "metavar": "DIR", "autocompletion": complete_folder}


# The plot extra: curves.png of a run, lr-find's plot, eval --show's grid.
PLOT_INSTALL = 'pip install -e ".[plot]"'


def matplotlib_installed() -> bool:
    try:
        import matplotlib  # noqa: F401,PLC0415 - the plot extra
    except ImportError:
        return False
    return True
