"""Where the time of one training step goes, per op (forward and backward),
and how much is left for the engine's own Python (graph, backward walk,
optimizer, module calls).

    NETTRAIN_DATA=/path/to/data python benchmarks/profile_step.py --model lenet --batch 64

Each ``Function`` subclass's ``forward`` and ``backward`` is wrapped with a
timer; "engine + glue" is the step time minus the time inside them. Run
with ``--cprofile`` for a cProfile listing of the same steps instead.

``--cpu-time`` times with the process's CPU clock instead of the wall clock:
on a busy machine, with one BLAS thread (OPENBLAS_NUM_THREADS=1), it leaves
out the time the process spent waiting for a core, which the wall clock
counts at random.
"""
from __future__ import annotations

import argparse
import collections
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import batches  # noqa: E402
from train_throughput import nettrain_trainer  # noqa: E402

from nettrain.allocator import keep_freed_memory  # noqa: E402
from nettrain.gradcheck import all_function_classes  # noqa: E402

clock = time.perf_counter  # --cpu-time: time.process_time
totals = collections.defaultdict(float)
calls = collections.defaultdict(int)


def _timed(cls, phase, method):
    key = (cls.__name__, phase)

    def wrapper(self, *args, **kwargs):
        start = clock()
        try:
            return method(self, *args, **kwargs)
        finally:
            totals[key] += clock() - start
            calls[key] += 1

    return wrapper


def instrument():
    for cls in all_function_classes():
        for phase in ("forward", "backward"):
            if phase in cls.__dict__:
                setattr(cls, phase, _timed(cls, phase, cls.__dict__[phase]))


def main(argv=None):
    keep_freed_memory()  # what the nettrain command does at start (see benchmarks/README.md)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="lenet")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument("--cpu-time", action="store_true", help="the process's CPU clock (see above)")
    args = parser.parse_args(argv)
    global clock
    if args.cpu_time:
        clock = time.process_time

    data, source = batches(args.batch, 20)
    train_pass, path = nettrain_trainer(args.model, data)
    train_pass()  # warm-up
    passes = max(1, args.steps // len(data))
    steps = passes * len(data)
    if args.cprofile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(passes):
            train_pass()
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        return
    start = clock()
    for _ in range(passes):
        train_pass()
    plain = (clock() - start) / steps
    instrument()
    train_pass()
    totals.clear()
    calls.clear()
    start = clock()
    for _ in range(passes):
        train_pass()
    step = (clock() - start) / steps
    print(f"{args.model} batch {args.batch}, {source}, {path}, "
          f"{'CPU time' if args.cpu_time else 'wall clock'}")
    print(f"one step: {plain * 1e3:.3f} ms uninstrumented ({1 / plain:.1f} steps/s), "
          f"{step * 1e3:.3f} ms instrumented")
    print(f"{'op':22} {'phase':8} {'calls/step':>10} {'ms/step':>8} {'share':>6}")
    inside = 0.0
    for (name, phase), total in sorted(totals.items(), key=lambda kv: -kv[1]):
        inside += total
        print(f"{name:22} {phase:8} {calls[(name, phase)] / steps:10.1f} {total / steps * 1e3:8.3f} "
              f"{total / steps / step:6.1%}")
    rest = step - inside / steps
    print(f"{'engine + glue':22} {'':8} {'':>10} {rest * 1e3:8.3f} {rest / step:6.1%}")


if __name__ == "__main__":
    main()
