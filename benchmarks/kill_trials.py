"""kill -9 at random moments of a small training run, then resume: count what breaks.

Each trial starts ``nettrain train configs/clusters.yaml`` (a few epochs of a
small data set, a checkpoint every epoch), sends SIGKILL after a random delay,
and resumes from ``checkpoints/last.npz`` (or starts over when the kill came
before the first checkpoint) until the run finishes. The finished run is then
compared with one uninterrupted reference run:

- corrupt: a ``last.npz`` that did not load right after a kill;
- duplicate / missing rows: ``metrics.jsonl`` rows (timing aside) that differ
  from the reference's (each epoch once, exactly one ``final``);
- not identical: final parameters that differ from the reference's in any bit;
- leftovers: temporary files (``.*.tmp``, ``.*.part``) or a lock file in the
  run folder after the resumed run finished.

    PYTHONPATH=src python benchmarks/kill_trials.py --trials 60

Figures are printed, never asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "configs" / "clusters.yaml"
SETTINGS = ["--epochs", "4", "--set", "data.train_size=3000", "--set", "model.dropout=0.1"]
ENTRY = "import sys; from nettrain_entry import main; sys.exit(main())"


def nettrain(args, **kwargs):
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"), OPENBLAS_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, "-c", ENTRY, *map(str, args)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=env, **kwargs)


def rows(run: Path):
    path = run / "metrics.jsonl"
    if not path.exists():
        return []
    return [{k: v for k, v in json.loads(line).items() if k != "seconds"}
            for line in path.read_text().splitlines() if line.strip()]


def params(run: Path):
    from nettrain.checkpoint import read_checkpoint

    return {k: np.asarray(v) for k, v in read_checkpoint(run / "checkpoints" / "last.npz")["model"].items()}


def only_run(runs: Path):
    folders = [p for p in runs.iterdir() if p.is_dir()]
    return folders[0] if len(folders) == 1 else None


def reference(workdir: Path):
    runs = workdir / "reference"
    started = time.perf_counter()
    proc = nettrain(["train", CONFIG, "--runs-dir", runs, *SETTINGS])
    _, err = proc.communicate()
    assert proc.returncode == 0, err
    run = only_run(runs)
    return rows(run), params(run), time.perf_counter() - started


def trial(workdir: Path, index: int, duration: float, rng: random.Random, counts: dict):
    from nettrain.checkpoint import read_checkpoint
    from nettrain.errors import CheckpointError

    runs = workdir / f"trial-{index:03d}"
    proc = nettrain(["train", CONFIG, "--runs-dir", runs, *SETTINGS])
    time.sleep(rng.uniform(0.3 * duration, 1.3 * duration))  # start-up (imports) is most of the first third
    killed = proc.poll() is None
    if killed:
        proc.send_signal(signal.SIGKILL)
    proc.communicate()
    counts["killed"] += killed
    run = only_run(runs) if runs.exists() else None
    last = run / "checkpoints" / "last.npz" if run else None
    if run is None or not last.exists():
        counts["before first checkpoint"] += 1
        if run is not None:
            counts["folders left before first checkpoint"] += 1
            for path in run.rglob("*"):
                path.unlink() if path.is_file() else None
            for path in sorted(run.rglob("*"), reverse=True):
                path.rmdir()
            run.rmdir()
        proc = nettrain(["train", CONFIG, "--runs-dir", runs, *SETTINGS])
        proc.communicate()
        return only_run(runs)
    counts["temporaries after kill"] += len(list((run / "checkpoints").glob(".*.tmp")))
    try:
        read_checkpoint(last)
    except CheckpointError:
        counts["corrupt"] += 1
        return None
    if killed:
        proc = nettrain(["train", run / "config.yaml", "--resume", last, "--epochs", "4"])
        _, err = proc.communicate()
        if proc.returncode != 0:
            counts["resume failed"] += 1
            print(f"  trial {index}: resume exit {proc.returncode}: {err.strip().splitlines()[-1:]}")
            return None
    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/nettrain-kill-trials"))
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "src"))
    rng = random.Random(args.seed)
    args.workdir.mkdir(parents=True, exist_ok=True)
    ref_rows, ref_params, duration = reference(args.workdir)
    print(f"reference run: {len(ref_rows)} rows in {duration:.1f} s; kills drawn in "
          f"[{0.3 * duration:.1f}, {1.3 * duration:.1f}] s")
    counts = dict.fromkeys(["killed", "before first checkpoint", "folders left before first checkpoint",
                            "temporaries after kill", "corrupt", "resume failed", "duplicate rows",
                            "missing rows", "other row differences", "not identical", "leftovers"], 0)
    for index in range(args.trials):
        run = trial(args.workdir, index, duration, rng, counts)
        if run is None:
            continue
        got = rows(run)
        extra = len(got) - len(ref_rows)
        counts["duplicate rows"] += max(0, extra)
        counts["missing rows"] += max(0, -extra)
        if extra == 0 and got != ref_rows:
            counts["other row differences"] += 1
        mine = params(run)
        if any(not np.array_equal(mine[k], ref_params[k]) for k in ref_params):
            counts["not identical"] += 1
        left = [p for p in run.rglob(".*") if p.is_file()] + list(run.glob("*.lock"))
        counts["leftovers"] += len(left)
    print(f"{args.trials} trials:")
    for key, value in counts.items():
        print(f"  {key:40s} {value}")


if __name__ == "__main__":
    main()
