"""Training throughput of LeNet and an MLP: nettrain against PyTorch (CPU).

    NETTRAIN_DATA=/path/to/data python benchmarks/train_throughput.py
    python benchmarks/train_throughput.py --models lenet --batches 64 --repeats 7

One training step = forward, cross-entropy, zero_grad, backward, SGD step
(lr 0.01, momentum 0.9). Both frameworks train the same architecture on the
same batches (real MNIST when $NETTRAIN_DATA points at it), with the same
number of threads, in alternating blocks (nettrain, torch, nettrain, torch
...) so that a slow patch of the machine hits both alike; the figure is the
median block, with the slowest and fastest block beside it. nettrain's BLAS
thread policy is pinned to ``--threads`` (a known count on both sides; on
its own it follows the machine's load, which under_load.py measures). Peak RSS is the process's, so it covers both frameworks (it is
printed after the nettrain-only warm-up, too, as nettrain's own peak).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import batches, blas_threads, import_torch, median_rate, peak_rss_mb  # noqa: E402

import nettrain as nt  # noqa: E402
from nettrain import blas  # noqa: E402
from nettrain.allocator import keep_freed_memory  # noqa: E402
import nettrain.nn.functional as F  # noqa: E402

LR, MOMENTUM = 0.01, 0.9


# --------------------------------------------------------------------------- nettrain


def _real_classes():
    """nettrain's own LeNet / MLP / SGD when they exist (the path users take)."""
    try:
        from nettrain.models import MLP, LeNet  # noqa: PLC0415
        from nettrain.optim import SGD  # noqa: PLC0415
    except ImportError:
        return None
    return LeNet, MLP, SGD


def _uniform(rng, fan_in, *shape):
    bound = 1.0 / np.sqrt(fan_in)  # PyTorch's default init for Linear and Conv2d
    return nt.from_numpy(rng.uniform(-bound, bound, shape).astype(np.float32)).requires_grad_()


class _FunctionalLeNet:
    """LeNet from nettrain.nn.functional with plain parameters: the engine
    alone, for when nettrain.models is not there."""

    def __init__(self, rng):
        self.params = [
            _uniform(rng, 25, 6, 1, 5, 5), _uniform(rng, 25, 6),
            _uniform(rng, 150, 16, 6, 5, 5), _uniform(rng, 150, 16),
            _uniform(rng, 256, 120, 256), _uniform(rng, 256, 120),
            _uniform(rng, 120, 84, 120), _uniform(rng, 120, 84),
            _uniform(rng, 84, 10, 84), _uniform(rng, 84, 10),
        ]

    def __call__(self, x):
        c1w, c1b, c2w, c2b, f1w, f1b, f2w, f2b, f3w, f3b = self.params
        x = F.max_pool2d(F.relu(F.conv2d(x, c1w, c1b)), 2)
        x = F.max_pool2d(F.relu(F.conv2d(x, c2w, c2b)), 2)
        x = x.reshape(x.shape[0], -1)
        x = F.relu(F.linear(x, f1w, f1b))
        x = F.relu(F.linear(x, f2w, f2b))
        return F.linear(x, f3w, f3b)


class _FunctionalMLP:
    def __init__(self, rng):
        self.params = [_uniform(rng, 784, 256, 784), _uniform(rng, 784, 256),
                       _uniform(rng, 256, 10, 256), _uniform(rng, 256, 10)]

    def __call__(self, x):
        w1, b1, w2, b2 = self.params
        x = x.reshape(x.shape[0], -1)
        return F.linear(F.relu(F.linear(x, w1, b1)), w2, b2)


class _PlainSGD:
    """SGD with momentum on raw arrays, PyTorch's formula (buf = m*buf + g; p -= lr*buf)."""

    def __init__(self, params):
        self.params = params
        self.buffers = [None] * len(params)

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        for i, p in enumerate(self.params):
            g = p.grad.array
            if self.buffers[i] is None:
                self.buffers[i] = g.copy()
            else:
                self.buffers[i] *= MOMENTUM
                self.buffers[i] += g
            p.array -= LR * self.buffers[i]


def nettrain_trainer(model_name, data):
    """A function running one training pass over ``data`` in nettrain."""
    real = _real_classes()
    if real is not None:
        LeNet, MLP, SGD = real
        nt.manual_seed(0)
        model = LeNet() if model_name == "lenet" else MLP(784, hidden=(256,), out_features=10)
        opt = SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    else:
        rng = np.random.default_rng(0)
        model = _FunctionalLeNet(rng) if model_name == "lenet" else _FunctionalMLP(rng)
        opt = _PlainSGD(model.params)
    tensors = [(nt.from_numpy(x), nt.from_numpy(y)) for x, y in data]

    def train_pass():
        for x, y in tensors:
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        return float(loss.item())

    return train_pass, ("nettrain.models + nettrain.optim.SGD" if real else "functional model + plain SGD")


# --------------------------------------------------------------------------- PyTorch


def torch_step(torch, model_name):
    """A function taking one PyTorch training step on an (x, y) pair of tensors."""
    nn = torch.nn
    torch.manual_seed(0)
    if model_name == "lenet":
        model = nn.Sequential(
            nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
        )
    else:
        model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    loss_fn = nn.functional.cross_entropy

    def step(x, y):
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    return step


def torch_trainer(torch, model_name, data):
    step = torch_step(torch, model_name)
    tensors = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in data]

    def train_pass():
        for x, y in tensors:
            loss = step(x, y)
        return float(loss.item())

    return train_pass


# --------------------------------------------------------------------------- main


def main(argv=None):
    keep_freed_memory()  # what the nettrain command does at start (see benchmarks/README.md)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="lenet,mlp")
    parser.add_argument("--batches", default="64,256", help="batch sizes, comma-separated")
    parser.add_argument("--seconds", type=float, default=1.0, help="rough length of one timed block")
    parser.add_argument("--repeats", type=int, default=5, help="timed blocks per framework")
    parser.add_argument("--threads", type=int, default=blas_threads())
    parser.add_argument("--no-torch", action="store_true")
    args = parser.parse_args(argv)

    if blas.policy.managed:
        blas.policy.forced = min(args.threads, blas.policy.max_threads)
    torch = None if args.no_torch else import_torch(args.threads)
    print(f"threads: {args.threads} (NumPy BLAS via OPENBLAS_NUM_THREADS, torch.set_num_threads)")
    if torch is None and not args.no_torch:
        print("PyTorch not installed: nettrain figures only")
    rows = []
    for model_name in args.models.split(","):
        for batch_size in [int(b) for b in args.batches.split(",")]:
            data, source = batches(batch_size, 40 if model_name == "lenet" else 200)
            ours, path = nettrain_trainer(model_name, data)
            theirs = torch_trainer(torch, model_name, data) if torch else None
            # warm-up, and size each block to about args.seconds of nettrain time
            start = time.perf_counter()
            ours()
            per_pass = time.perf_counter() - start
            rss_ours = peak_rss_mb()
            passes = max(1, round(args.seconds / per_pass))
            if theirs:
                theirs()
            steps = passes * len(data)
            rates_ours, rates_theirs = [], []
            for _ in range(args.repeats):
                rates_ours.append(median_rate(lambda: [ours() for _ in range(passes)], steps, 1))
                if theirs:
                    rates_theirs.append(median_rate(lambda: [theirs() for _ in range(passes)], steps, 1))
            ours_rate = float(np.median(rates_ours))
            theirs_rate = float(np.median(rates_theirs)) if theirs else None
            rows.append((model_name, batch_size, ours_rate, theirs_rate, rss_ours, peak_rss_mb(),
                         _spread(rates_ours), _spread(rates_theirs) if theirs else "-"))
            print(f"  {model_name} batch {batch_size}: {source}; nettrain path: {path}", flush=True)

    print()
    print(f"{'model':6} {'batch':>5} {'nettrain st/s':>13} {'(spread)':>11} {'torch st/s':>10} "
          f"{'(spread)':>11} {'ratio':>6} {'RSS nt MB':>9} {'RSS all MB':>10}")
    for model_name, batch_size, ours_rate, theirs_rate, rss_ours, rss_all, spread_ours, spread_theirs in rows:
        torch_col = f"{theirs_rate:10.1f}" if theirs_rate else f"{'-':>10}"
        ratio_col = f"{ours_rate / theirs_rate:6.2f}" if theirs_rate else f"{'-':>6}"
        print(f"{model_name:6} {batch_size:5d} {ours_rate:13.1f} {spread_ours:>11} {torch_col} "
              f"{spread_theirs:>11} {ratio_col} {rss_ours:9.0f} {rss_all:10.0f}")


def _spread(rates):
    return f"{min(rates):.0f}-{max(rates):.0f}"


if __name__ == "__main__":
    main()
