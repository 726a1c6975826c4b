"""Forward + backward time of op chains, per op, from 10 to 10^6 elements:
the engine's own overhead (small sizes) and its arithmetic (large sizes),
against PyTorch on the same arrays when it is installed.

    python benchmarks/engine.py
    python benchmarks/engine.py --sizes 10,1000,1000000 --depth 30

Workloads (each op recorded in the graph, then one backward through all):

- ``elementwise``: a chain of ``depth`` ops cycling through y * a, y + b,
  relu(y), y - a on a vector of ``size`` elements (a, b tensors of the
  same size that require grad, so backward computes every gradient). No
  tanh/exp: PyTorch 2.13's CPU tanh took 7.8 ms on 100 elements with 2
  threads on the benchmark machine (MKL's threaded vector math), which would
  make the comparison about that, not about per-op overhead;
- ``matmul``: a chain of ``depth`` products y @ W_k with square matrices of
  ``size`` elements (side sqrt(size)), every W_k requiring grad.

"per op" is (forward + backward time) / depth, in microseconds; at 10
elements that is almost all Python overhead per op (recording the node,
calling backward, accumulating).
"""
from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import blas_threads, import_torch  # noqa: E402

import nettrain as nt  # noqa: E402
from nettrain.allocator import keep_freed_memory  # noqa: E402


def _elementwise_chain(y, a, b):
    """The same chain written once for both frameworks (same method names)."""

    def run(depth):
        out = y
        for k in range(depth):
            step = k % 4
            if step == 0:
                out = out * a
            elif step == 1:
                out = out + b
            elif step == 2:
                out = out.relu()
            else:
                out = out - a
        out.sum().backward()

    return run


def _matmul_chain(y, weights):
    def run(depth):
        out = y
        for k in range(depth):
            out = out @ weights[k]
        out.sum().backward()

    return run


def _workload(kind, size, depth, make_tensor):
    """(run, leaves) for one framework; make_tensor(array, requires_grad)."""
    rng = np.random.default_rng(0)
    if kind == "elementwise":
        y = make_tensor(rng.standard_normal(size).astype(np.float32), True)
        a = make_tensor(rng.uniform(0.9, 1.1, size).astype(np.float32), True)
        b = make_tensor(rng.uniform(-0.1, 0.1, size).astype(np.float32), True)
        return _elementwise_chain(y, a, b), [y, a, b]
    side = max(1, int(round(math.sqrt(size))))
    # scaled so the chain neither explodes nor vanishes
    y = make_tensor(rng.standard_normal((side, side)).astype(np.float32), True)
    weights = [make_tensor((rng.standard_normal((side, side)) / math.sqrt(side)).astype(np.float32), True)
               for _ in range(depth)]
    return _matmul_chain(y, weights), [y, *weights]


def _time_per_op(run, leaves, depth, min_seconds, repeats):
    def clear():
        for t in leaves:
            t.grad = None

    clear()
    run(depth)  # warm-up
    clear()
    start = time.perf_counter()
    run(depth)
    once = time.perf_counter() - start
    loops = max(1, int(min_seconds / max(once, 1e-9)))
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(loops):
            clear()
            run(depth)
        samples.append((time.perf_counter() - start) / loops / depth)
    return statistics.median(samples) * 1e6


def main(argv=None):
    keep_freed_memory()  # what the nettrain command does at start (see benchmarks/README.md)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000,10000,100000,1000000")
    parser.add_argument("--depth", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=0.2, help="rough length of one timed sample")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=blas_threads())
    parser.add_argument("--no-torch", action="store_true")
    args = parser.parse_args(argv)

    torch = None if args.no_torch else import_torch(args.threads)
    print(f"threads: {args.threads}; chain depth {args.depth}; median of {args.repeats}; "
          f"times are forward + backward per op, in microseconds")
    print(f"{'workload':12} {'elements':>9} {'nettrain us':>11} {'torch us':>9} {'ratio':>6}")
    for kind in ("elementwise", "matmul"):
        for size in [int(s) for s in args.sizes.split(",")]:
            run, leaves = _workload(kind, size, args.depth, lambda a, g: nt.from_numpy(a).requires_grad_(g))
            ours = _time_per_op(run, leaves, args.depth, args.seconds, args.repeats)
            theirs = None
            if torch is not None:
                run, leaves = _workload(kind, size, args.depth,
                                        lambda a, g: torch.from_numpy(a).requires_grad_(g))
                theirs = _time_per_op(run, leaves, args.depth, args.seconds, args.repeats)
            shown = size if kind == "elementwise" else max(1, int(round(math.sqrt(size)))) ** 2
            torch_col = f"{theirs:9.1f}" if theirs else f"{'-':>9}"
            ratio_col = f"{ours / theirs:6.2f}" if theirs else f"{'-':>6}"
            print(f"{kind:12} {shown:9d} {ours:11.1f} {torch_col} {ratio_col}", flush=True)
    print("ratio = nettrain time / torch time (lower is better; 1.0 = as fast as PyTorch)")


if __name__ == "__main__":
    main()
