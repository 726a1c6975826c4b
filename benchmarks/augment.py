"""What data augmentation costs per LeNet training step, and per epoch.

    NETTRAIN_DATA=/path/to/data python benchmarks/augment.py [--batch 64 256] [--repeats 7]

For each batch size, interleaved: one LeNet training step (forward, backward,
SGD) on a batch of real MNIST, and each augmentation of data/augment.py on
the same batch. Prints medians in microseconds and each augmentation's cost
as a share of the step, which is its share of a training epoch (evaluation
is not augmented). The goal is under 10 %.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import batches, blas_threads  # noqa: E402

import nettrain as nt  # noqa: E402
import nettrain.nn.functional as F  # noqa: E402
from nettrain.data import augment as A  # noqa: E402
from nettrain.models import LeNet  # noqa: E402
from nettrain.optim import SGD  # noqa: E402

AUGMENTATIONS = {
    "random_shift: 2": [A.RandomShift(2)],
    "random_rotation: 10": [A.RandomRotation(10)],
    "random_affine (10 deg, 0.1, 0.9-1.1)": [A.RandomAffine(10, 0.1, (0.9, 1.1))],
    "random_erasing (p 0.5)": [A.RandomErasing(0.5)],
    "shift 2 + rotation 10": [A.RandomShift(2), A.RandomRotation(10)],
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--steps", type=int, default=20, help="steps (or augmentations) per timed repeat")
    args = parser.parse_args()
    print(f"BLAS threads: {blas_threads()}")
    for batch_size in args.batch:
        data, source = batches(batch_size, args.steps)
        index = np.arange(batch_size)
        nt.manual_seed(0)
        model = LeNet()
        opt = SGD(model.parameters(), lr=0.01, momentum=0.9)

        def step():
            for x, y in data:
                loss = F.cross_entropy(model(nt.from_numpy(x)), nt.from_numpy(y))
                opt.zero_grad()
                loss.backward()
                opt.step()

        runners = {"LeNet training step": step}
        for name, steps in AUGMENTATIONS.items():
            augment = A.Augment(steps, seed=0)
            runners[name] = lambda augment=augment: [augment(x, index, 0) for x, _ in data]
        times = {name: [] for name in runners}
        step()  # warm-up
        for _ in range(args.repeats):  # interleaved, so a busy moment hits all alike
            for name, run in runners.items():
                start = time.perf_counter()
                run()
                times[name].append((time.perf_counter() - start) / args.steps * 1e6)
        step_us = statistics.median(times["LeNet training step"])
        print(f"\nbatch {batch_size} ({source}), medians of {args.repeats} interleaved repeats x {args.steps}")
        print(f"{'':40} {'us/batch':>10} {'spread':>14} {'of a step':>10}")
        for name, values in times.items():
            share = "" if name.startswith("LeNet") else f"{statistics.median(values) / step_us:9.1%}"
            print(f"{name:40} {statistics.median(values):10.0f} {min(values):6.0f}-{max(values):<7.0f} {share:>10}")


if __name__ == "__main__":
    main()
