"""How long ``nettrain --help`` takes to start (the issue's bound: 0.3 s).

    python benchmarks/startup.py [--runs 20]

Runs the console entry point in fresh interpreters and prints the median and
quartiles of the wall time, next to a bare ``python -c pass`` and ``import
typer`` for scale. tests/test_startup.py checks the cause (no NumPy, no
engine loaded by the command line), never the time.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[1] / "src")


def wall(code: str, runs: int) -> list[float]:
    env = {**os.environ, "PYTHONPATH": SRC}
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - started)
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args(argv)
    cases = {
        "python -c pass": "pass",
        "import typer": "import typer",
        "import numpy": "import numpy",
        # what the console script runs (pyproject's [project.scripts])
        "nettrain --help": "import sys; sys.argv = ['nettrain', '--help']\n"
                           "from nettrain_entry import main\ntry:\n    main()\nexcept SystemExit:\n    pass",
    }
    print(f"{'what':<18} {'median':>8} {'q1':>8} {'q3':>8}   ({args.runs} runs each, seconds)")
    for name, code in cases.items():
        times = sorted(wall(code, args.runs))
        q1, median, q3 = statistics.quantiles(times, n=4)
        print(f"{name:<18} {median:>8.3f} {q1:>8.3f} {q3:>8.3f}")


if __name__ == "__main__":
    main()
