"""Seconds per epoch and time to 99 % test accuracy of configs/lenet.yaml's
recipe, nettrain against PyTorch, epochs interleaved.

    NETTRAIN_DATA=/path/to/data python benchmarks/epoch_time.py

The recipe of configs/lenet.yaml: LeNet, MNIST (55,000 train images, the last
5,000 held out as in the config's val_split), batch 64, SGD lr 0.05 momentum
0.9, the learning rate times 0.2 after every 4 epochs, 8 epochs. Both
frameworks get the same shuffled batches; after each epoch each evaluates the
10,000 test images under no_grad (timed separately). The loop is written
here for both, so it measures the engine, the model and the optimizer, not
the trainer's reporting. "data" is the time spent slicing batches out of the
arrays, as a share of the epoch.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import blas_threads, import_torch, mnist_arrays, peak_rss_mb  # noqa: E402

import nettrain as nt  # noqa: E402
from nettrain.allocator import keep_freed_memory  # noqa: E402
import nettrain.nn.functional as F  # noqa: E402
from nettrain.models import LeNet  # noqa: E402
from nettrain.optim import SGD  # noqa: E402

MEAN, STD = np.float32(0.1307), np.float32(0.3081)


def _splits():
    train, test = mnist_arrays("train"), mnist_arrays("test")
    if train is None or test is None:
        sys.exit("set NETTRAIN_DATA to the folder holding mnist/ (gzip IDX files)")
    (x, y), (xt, yt) = train, test
    x, xt = (x - MEAN) / STD, (xt - MEAN) / STD
    return (x[:55000], y[:55000]), (xt, yt)


class NettrainRun:
    def __init__(self):
        nt.manual_seed(0)
        self.model = LeNet()
        self.opt = SGD(self.model.parameters(), lr=0.05, momentum=0.9)

    def set_lr(self, lr):
        for group in self.opt.param_groups:
            group["lr"] = lr

    def step(self, x, y):
        loss = F.cross_entropy(self.model(nt.from_numpy(x)), nt.from_numpy(y))
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()

    def accuracy(self, x, y):
        self.model.eval()
        correct = 0
        with nt.no_grad():
            for i in range(0, len(x), 1000):
                correct += int((self.model(nt.from_numpy(x[i:i + 1000])).array.argmax(1) == y[i:i + 1000]).sum())
        self.model.train()
        return correct / len(x)


class TorchRun:
    def __init__(self, torch):
        self.torch = torch
        nn = torch.nn
        torch.manual_seed(0)
        self.model = nn.Sequential(
            nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
        )
        self.opt = torch.optim.SGD(self.model.parameters(), lr=0.05, momentum=0.9)

    def set_lr(self, lr):
        for group in self.opt.param_groups:
            group["lr"] = lr

    def step(self, x, y):
        loss = self.torch.nn.functional.cross_entropy(self.model(self.torch.from_numpy(x)), self.torch.from_numpy(y))
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()

    def accuracy(self, x, y):
        correct = 0
        with self.torch.no_grad():
            for i in range(0, len(x), 1000):
                out = self.model(self.torch.from_numpy(x[i:i + 1000]))
                correct += int((out.argmax(1).numpy() == y[i:i + 1000]).sum())
        return correct / len(x)


def main(argv=None):
    keep_freed_memory()  # what the nettrain command does at start (see benchmarks/README.md)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--threads", type=int, default=blas_threads())
    parser.add_argument("--no-torch", action="store_true")
    args = parser.parse_args(argv)

    (x, y), (xt, yt) = _splits()
    torch = None if args.no_torch else import_torch(args.threads)
    runs = {"nettrain": NettrainRun()}
    if torch is not None:
        runs["torch"] = TorchRun(torch)
    totals = {name: 0.0 for name in runs}
    reached = {name: None for name in runs}
    rng = np.random.default_rng(0)
    print(f"threads: {args.threads}; 55,000 train images, batch 64, 10,000 test images")
    print(f"{'epoch':>5} {'framework':9} {'train s':>8} {'data %':>6} {'test acc':>8} {'eval s':>6}")
    for epoch in range(1, args.epochs + 1):
        lr = 0.05 * 0.2 ** ((epoch - 1) // 4)
        order = rng.permutation(len(x))
        for name, run in runs.items():
            run.set_lr(lr)
            data_time = 0.0
            start = time.perf_counter()
            for i in range(0, len(order), 64):
                t0 = time.perf_counter()
                index = order[i:i + 64]
                xb, yb = x[index], y[index]
                data_time += time.perf_counter() - t0
                run.step(xb, yb)
            train_s = time.perf_counter() - start
            totals[name] += train_s
            start = time.perf_counter()
            acc = run.accuracy(xt, yt)
            eval_s = time.perf_counter() - start
            if acc >= 0.99 and reached[name] is None:
                reached[name] = (epoch, totals[name])
            print(f"{epoch:5d} {name:9} {train_s:8.2f} {data_time / train_s:6.1%} {acc:8.2%} {eval_s:6.2f}", flush=True)
    print()
    for name in runs:
        hit = f"epoch {reached[name][0]}, {reached[name][1]:.1f} s of training" if reached[name] else "not reached"
        print(f"{name:9} mean epoch {totals[name] / args.epochs:.2f} s; 99 % test accuracy: {hit}")
    print(f"peak RSS of the process (both frameworks, data included): {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
