"""``nettrain gradcheck``: every registered op, layer and model against finite differences."""
from __future__ import annotations

import time
from typing import List, Optional

import typer

from ..errors import UsageError
from .common import DEVICE_HELP, Command, app, checked_device, console
from .tables import Column, print_table


@app.command("gradcheck", cls=Command)
def gradcheck_command(
    only: Optional[List[str]] = typer.Option(
        None, "--only", metavar="NAME", help="Run only cases whose name contains this text (repeatable)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed for the random inputs."),
    device: str = typer.Option("cpu", "--device", help=DEVICE_HELP + "."),
    list_cases: bool = typer.Option(False, "--list", help="List the case names and exit."),
):
    """Check every op's backward against central finite differences in float64.

    Prints one row per case (op, shapes, max abs error, max rel error,
    PASS/FAIL) and exits 0 only when all pass.

    Examples:

    \b
        nettrain gradcheck
        nettrain gradcheck --only conv2d --only pool --seed 3
    """
    from ..gradcheck import load_all_cases, run_case

    if seed < 0:
        raise UsageError(f"--seed {seed}: expected an integer >= 0 (NumPy seeds are non-negative)")
    device = checked_device(device)
    cases = load_all_cases()
    selected = [c for name, c in cases.items() if not only or any(o.lower() in name.lower() for o in only)]
    if not selected:
        raise UsageError(f"--only {' '.join(only)} matches no case; `nettrain gradcheck --list` shows the names")
    if list_cases:
        for c in selected:
            console.print(c.name, markup=False, highlight=False)
        return

    failures, rows = [], []
    started = time.perf_counter()
    for c in selected:
        shapes, result = run_case(c, seed=seed, device=device)
        rows.append([c.name, shapes, f"{result.max_abs_error:.1e}", f"{result.max_rel_error:.1e}",
                     "PASS" if result.passed else "FAIL"])
        if not result.passed:
            failures.append((c.name, result))
    # The case names are what --only takes: shortened last; the shapes go first.
    columns = [Column("case", shrink=24), Column("shapes", shrink=12, drop=1), Column("max abs err", right=True),
               Column("max rel err", right=True), Column("result")]
    columns[2].header, columns[3].header = ("abs err", "rel err") if console.width < 80 else ("max abs err", "max rel err")
    cases = f"{len(selected)} case{'s' if len(selected) != 1 else ''}"
    print_table(console, f"gradcheck ({cases}, float64, seed {seed}, device {device})", columns, rows)
    for name, result in failures:
        console.print(f"FAIL {name}: {result.describe()}", markup=False, highlight=False)
    elapsed = time.perf_counter() - started
    console.print(f"{len(selected) - len(failures)} passed, {len(failures)} failed in {elapsed:.1f} s", highlight=False)
    if failures:
        raise typer.Exit(1)
