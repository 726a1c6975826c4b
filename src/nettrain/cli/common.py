"""What every command module shares: the app and the consoles."""
from __future__ import annotations

import os

import typer
from rich.console import Console

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)

# stdout carries results (tables, JSON); stderr carries errors and progress.
console = Console(no_color=bool(os.environ.get("NO_COLOR")) or None)
console_err = Console(stderr=True, no_color=bool(os.environ.get("NO_COLOR")) or None)
