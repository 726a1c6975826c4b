"""Training steps on a busy machine: nettrain and PyTorch with 0, 1 and 2
busy background processes.

    NETTRAIN_DATA=/path/to/data python benchmarks/under_load.py
    python benchmarks/under_load.py --models lenet --loads 0,2 --repeats 7

Each background process spins a Python loop (one core's worth of demand).
Under each load, blocks of about --seconds of training steps run in turn:
nettrain as it ships (nettrain.blas chooses the BLAS thread count from the
machine's load), nettrain with the thread count pinned to the library's
maximum (what OpenBLAS does on its own: the behaviour before nettrain.blas),
and PyTorch with as many threads. The figure per load is the median block;
the slowdown is against the same variant's figure with no background
process. "fair share" is the slowdown a process with T threads should see
when L spinning processes share C cores with it: it gets C*T/(T+L) cores
instead of min(T, C).

The machine is not quiet when other people use it: the "0" row is whatever
the machine gave at that moment, which is why the variants are interleaved
block by block and the medians reported.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import batches, import_torch  # noqa: E402
from train_throughput import nettrain_trainer, torch_trainer  # noqa: E402

from nettrain import blas  # noqa: E402
from nettrain.allocator import keep_freed_memory  # noqa: E402


def _spin():
    while True:
        pass


def _rate(train_pass, steps_per_pass, seconds):
    """Steps per second over passes adding up to at least ``seconds``."""
    start, steps = time.perf_counter(), 0
    while True:
        train_pass()
        steps += steps_per_pass
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return steps / elapsed


def fair_share(threads, load, cores):
    quiet = min(threads, cores)
    busy = min(threads, cores * threads / (threads + load))
    return quiet / busy


def main(argv=None):
    keep_freed_memory()  # what the nettrain command does at start, as the other benchmarks do
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="lenet,mlp")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--loads", default="0,1,2", help="busy background processes, comma-separated")
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one timed block")
    parser.add_argument("--repeats", type=int, default=5, help="timed blocks per variant and load")
    parser.add_argument("--no-torch", action="store_true")
    args = parser.parse_args(argv)

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    managed = blas.policy.managed
    threads = blas.policy.max_threads if managed else 1
    torch = None if args.no_torch else import_torch(threads)
    print(f"{cores} cores; BLAS threads at most {threads}"
          f"{'' if managed else ' (OpenBLAS not found: nettrain.blas is inactive)'}; "
          f"PyTorch {'with ' + str(threads) + ' threads' if torch else 'not installed'}; "
          f"load average before: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")

    loads = [int(x) for x in args.loads.split(",")]
    results = {}  # (model, variant, load) -> steps/s
    for model in args.models.split(","):
        data, source = batches(args.batch, 4)
        ours, _ = nettrain_trainer(model, data)
        variants = [("nettrain", ours, None), ("nettrain, threads pinned", ours, threads)]
        if torch:
            variants.append(("PyTorch", torch_trainer(torch, model, data), None))
        for _, run, _ in variants:
            run()  # warm-up
        print(f"{model} batch {args.batch} ({source})", flush=True)
        for load in loads:
            spinners = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(load)]
            for p in spinners:
                p.start()
            try:
                time.sleep(0.5)
                rates = {name: [] for name, _, _ in variants}
                for _ in range(args.repeats):
                    for name, run, pinned in variants:
                        blas.policy.forced = pinned
                        rates[name].append(_rate(run, len(data), args.seconds))
                blas.policy.forced = None
            finally:
                for p in spinners:
                    p.terminate()
                    p.join()
            for name, values in rates.items():
                results[(model, name, load)] = statistics.median(values)
                spread = f"{min(values):.0f}-{max(values):.0f}"
                print(f"  load {load}: {name:25} {statistics.median(values):8.1f} steps/s  (blocks {spread})",
                      flush=True)

    print()
    print(f"{'model':6} {'load':>4} {'fair':>5}  " + "  ".join(
        f"{name[:24]:>24}" for name in dict.fromkeys(k[1] for k in results)))
    for model in args.models.split(","):
        for load in loads:
            cells = []
            for name in dict.fromkeys(k[1] for k in results):
                rate = results.get((model, name, load))
                base = results.get((model, name, loads[0]))
                if rate is None:
                    continue
                cells.append(f"{rate:9.1f} st/s {base / rate:5.1f}x   ")
            print(f"{model:6} {load:4d} {fair_share(threads, load, cores):4.1f}x  " + "  ".join(
                f"{c:>24}" for c in cells))
    print("\nslowdown (x) against the same variant with no background process; "
          "fair: the fair-share slowdown for a process with that many threads")


if __name__ == "__main__":
    main()
