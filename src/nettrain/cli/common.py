"""What every command module shares: the app and the consoles."""
from __future__ import annotations

import typer
from rich.console import Console

app = typer.Typer(
    add_completion=True,  # --install-completion / --show-completion (see completion.py)
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)

# stdout carries results (tables, JSON); stderr carries errors and progress.
# soft_wrap: long paths and commands stay on one line, so they can be copied.
console = Console(soft_wrap=True)
console_err = Console(stderr=True, soft_wrap=True)

SET_HELP = "Override a config key, e.g. --set optimizer.lr=0.05 (repeatable; values are YAML)."
