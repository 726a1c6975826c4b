"""``nettrain gradcheck``: every registered op, layer and model against finite differences."""
from __future__ import annotations

import time
from typing import List, Optional

import typer
from rich.table import Table

from ..errors import UsageError
from .common import app, console


@app.command("gradcheck")
def gradcheck_command(
    only: Optional[List[str]] = typer.Option(
        None, "--only", help="Run only cases whose name contains this text (repeatable)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed for the random inputs."),
    device: str = typer.Option("cpu", "--device", help="cpu, cuda or cuda:N."),
    list_cases: bool = typer.Option(False, "--list", help="List the case names and exit."),
):
    """Check every op's backward against central finite differences in float64.

    Prints one row per case (op, shapes, max abs error, max rel error,
    PASS/FAIL) and exits 0 only when all pass.

    Examples:

        nettrain gradcheck

        nettrain gradcheck --only conv2d --only pool --seed 3
    """
    from .. import backend
    from ..gradcheck import load_all_cases, run_case

    try:
        backend.Device(device)
        if backend.Device(device).type == "cuda":
            backend.cupy_module()
    except (ValueError, RuntimeError) as err:
        raise UsageError(f"--device: {err}") from None
    cases = load_all_cases()
    selected = [c for name, c in cases.items() if not only or any(o.lower() in name.lower() for o in only)]
    if not selected:
        raise UsageError(f"--only {' '.join(only)} matches no case; `nettrain gradcheck --list` shows the names")
    if list_cases:
        for c in selected:
            console.print(c.name, markup=False, highlight=False)
        return

    table = Table(title=f"gradcheck ({len(selected)} cases, float64, seed {seed}, device {device})")
    for column, justify in (("op", "left"), ("shapes", "left"), ("max abs err", "right"),
                            ("max rel err", "right"), ("result", "center")):
        table.add_column(column, justify=justify)
    failures = []
    started = time.perf_counter()
    for c in selected:
        shapes, result = run_case(c, seed=seed, device=device)
        verdict = "[green]PASS[/]" if result.passed else "[bold red]FAIL[/]"
        table.add_row(c.name, shapes, f"{result.max_abs_error:.1e}", f"{result.max_rel_error:.1e}", verdict)
        if not result.passed:
            failures.append((c.name, result))
    console.print(table)
    for name, result in failures:
        console.print(f"FAIL {name}: {result.describe()}", markup=False, highlight=False)
    elapsed = time.perf_counter() - started
    console.print(f"{len(selected) - len(failures)} passed, {len(failures)} failed in {elapsed:.1f} s", highlight=False)
    if failures:
        raise typer.Exit(1)
