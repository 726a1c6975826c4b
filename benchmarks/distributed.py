"""Data-parallel training on MPI: steps/s and the per-step communication
time of LeNet and the MLP at N = 1, 2, 4 processes, against PyTorch with N
threads on the same cores, and the time of one in-place Allreduce of 44k,
1M and 10M float32 numbers.

    python benchmarks/distributed.py                  # N = 1, 2, 4; ~1 minute
    python benchmarks/distributed.py --sizes 1 2 --batch 256 --rounds 3

Run without a launcher, it starts itself under the venv's ``mpiexec -n N``
for each N (N = 1 is the plain single process, no MPI), each process with
OPENBLAS_NUM_THREADS = --threads (default 1: spinning OpenBLAS threads of
N processes on few cores starve each other; ``--threads auto`` gives each
process cores // N) and the allocator set up as the ``nettrain`` command
does. The global batch (--batch, 64) is the same whatever N
(``data.batch_size`` is the global batch), so N ranks each compute 64 / N
samples per step. The step is the
trainer's: forward, backward, the one flat-buffer sum
(``DataParallel.step``), SGD momentum. "exchange" is the time from the end
of the local backward to the summed gradients being back in place (pack,
Allreduce, unpack, and waiting for the slowest rank); "allreduce" the
Allreduce call alone. Images: real MNIST when $NETTRAIN_DATA points at it,
else random ones of its shape.

Where PyTorch is installed, this process runs the same step in PyTorch with
as many intra-op threads as the N processes have in all, on the same batches between the nettrain runs (each of
--rounds rounds runs every N once in each framework; figures are medians
over the rounds): the ratio compares nettrain's N processes with PyTorch's
threads in one process, two ways to use the same cores.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import batches, import_torch  # noqa: E402

import nettrain as nt  # noqa: E402
from nettrain.allocator import keep_freed_memory  # noqa: E402
from nettrain.data import DataLoader  # noqa: E402
from nettrain.distributed import connect  # noqa: E402
from nettrain.distributed.flat import StepStats  # noqa: E402
from nettrain.models import LeNet, MLP  # noqa: E402
from nettrain.nn import functional as F  # noqa: E402

MODELS = {"lenet": lambda: LeNet(), "mlp": lambda: MLP(784, hidden=[256], out_features=10)}
ALLREDUCE_SIZES = (44_426, 1_000_000, 10_000_000)


class TimedSum:
    """The gradient communicator, with the time spent inside its sum recorded."""

    def __init__(self, inner):
        self.inner, self.seconds = inner, []

    def allreduce_sum_(self, buffer):
        start = time.perf_counter()
        self.inner.allreduce_sum_(buffer)
        self.seconds.append(time.perf_counter() - start)


def measure_training(parallel, name, steps, batch):
    nt.manual_seed(0)
    model = MODELS[name]()
    optimizer = nt.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = (np.concatenate(arrays) for arrays in zip(*batches(batch, steps + 10)[0]))
    loader = parallel.shard(DataLoader(x, y, batch_size=batch, shuffle=True, seed=0))
    parallel.synchronise(model)
    if hasattr(parallel, "gradients"):
        parallel.gradients = TimedSum(parallel.gradients)
    computed = []

    def compute(xb, yb):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(nt.from_numpy(xb)), nt.from_numpy(yb))
        loss.backward()
        computed.append(time.perf_counter())
        return StepStats(loss.item() * len(yb), len(yb))

    exchange, step_times = [], []
    for i, (xb, yb) in enumerate(loader):
        start = time.perf_counter()
        parallel.step(compute, xb, yb, loader.batch_rows, None)
        exchange.append(time.perf_counter() - computed[-1])
        optimizer.step()
        step_times.append(time.perf_counter() - start)
    skip = 10  # warm-up
    allreduce = parallel.gradients.seconds[skip:] if hasattr(parallel, "gradients") else [0.0]
    return {
        "model": name, "steps_per_s": 1.0 / statistics.median(step_times[skip:]),
        "step_ms": 1e3 * statistics.median(step_times[skip:]),
        "exchange_ms": 1e3 * statistics.median(exchange[skip:]) if parallel.size > 1 else 0.0,
        "allreduce_ms": 1e3 * statistics.median(allreduce),
        "parameters": model.num_parameters(),
    }


def measure_allreduce(parallel, repeats):
    out = []
    for n in ALLREDUCE_SIZES:
        buffer = np.ones(n, dtype=np.float32)
        times = []
        for _ in range(repeats + 3):
            parallel.mpi.barrier()
            start = time.perf_counter()
            parallel.mpi.allreduce_sum_(buffer)
            times.append(time.perf_counter() - start)
        out.append({"floats": n, "ms": 1e3 * statistics.median(times[3:]), "min_ms": 1e3 * min(times[3:])})
    return out


class EvaluationData:
    """What evaluate() needs of a data bundle: 10,000 random test images."""

    num_classes = 10

    def __init__(self):
        rng = np.random.default_rng(1)
        self.x = rng.random((10_000, 1, 28, 28), dtype=np.float32)
        self.y = rng.integers(0, 10, len(self.x))

    def loader(self, split, batch_size, shuffle, drop_last, seed, device):
        return DataLoader(self.x, self.y, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, seed=seed)


def measure_evaluation(parallel, repeats=3):
    """LeNet on 10,000 images: sharded over the ranks with summed results
    (what the trainer does), against rank 0 alone while the others wait."""
    from nettrain.trainer import Objective, evaluate

    nt.manual_seed(0)
    model, data = LeNet(), EvaluationData()
    objective = Objective("cross_entropy", {}, "classification")
    sharded, alone = [], []
    for _ in range(repeats):
        parallel.mpi.barrier()
        start = time.perf_counter()
        evaluate(model, objective, data, "test", "cpu", parallel=parallel)
        sharded.append(time.perf_counter() - start)
        parallel.mpi.barrier()
        start = time.perf_counter()
        if parallel.rank == 0:
            evaluate(model, objective, data, "test", "cpu")
        parallel.mpi.barrier()
        alone.append(time.perf_counter() - start)
    return {"sharded_s": statistics.median(sharded), "rank0_alone_s": statistics.median(alone)}


def worker(args):
    keep_freed_memory()  # as the nettrain command does when it starts
    parallel = connect()
    result = {"size": parallel.size, "threads": os.environ.get("OPENBLAS_NUM_THREADS"),
              "training": [measure_training(parallel, name, args.steps, args.batch) for name in args.models]}
    if parallel.size > 1:
        result["allreduce"] = measure_allreduce(parallel, args.repeats)
        result["evaluation"] = measure_evaluation(parallel)
    if parallel.rank == 0:
        Path(args.out).write_text(json.dumps(result), encoding="utf-8")


def measure_torch(torch, name, batch, steps, threads):
    """PyTorch's steps/s for the same step on ``threads`` threads (the model
    and loop of train_throughput.py) on the same batches, timed as the
    workers time theirs: one over the median step, after 10 steps of warm-up."""
    from train_throughput import torch_step  # noqa: PLC0415 - its PyTorch LeNet and MLP

    torch.set_num_threads(threads)
    step = torch_step(torch, name)
    times = []
    for x, y in batches(batch, steps + 10)[0]:
        x, y = torch.from_numpy(x), torch.from_numpy(y)
        start = time.perf_counter()
        step(x, y)
        times.append(time.perf_counter() - start)
    return 1.0 / statistics.median(times[10:])


def launch(args):
    mpiexec = shutil.which("mpiexec", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    if mpiexec is None:
        sys.exit('mpiexec not found: pip install -e ".[mpi]"')
    keep_freed_memory()  # PyTorch runs in this process: the same allocator as the workers (and train_throughput.py)
    torch = import_torch(1)
    rounds = []
    for _ in range(args.rounds):
        results = []
        for n in args.sizes:
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "result.json"
                threads = max(1, (os.cpu_count() or 1) // n) if args.threads == "auto" else int(args.threads)
                env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
                command = [sys.executable, __file__, "--worker", "--out", str(out), "--steps", str(args.steps),
                           "--batch", str(args.batch), "--repeats", str(args.repeats), "--models", *args.models]
                if n > 1:
                    command = [mpiexec, "-n", str(n)] + command
                subprocess.run(command, check=True, env=env)
                result = json.loads(out.read_text())
            if torch is not None:
                for row in result["training"]:
                    row["torch_steps_per_s"] = measure_torch(torch, row["model"], args.batch, args.steps, n * threads)
            results.append(result)
        rounds.append(results)
    report(_medians(rounds), args.batch, args.threads, args.rounds)


def _medians(rounds):
    """One set of results whose training figures are medians over the rounds."""
    results = rounds[0]
    for i, result in enumerate(results):
        for j, row in enumerate(result["training"]):
            for key, value in row.items():
                if isinstance(value, float):
                    row[key] = statistics.median(r[i]["training"][j][key] for r in rounds)
    return results


def report(results, batch, threads, rounds):
    print(f"global batch {batch}; machine: {os.cpu_count()} cores; BLAS threads per process: {threads}; "
          f"medians of {rounds} round(s)\n")
    print("| model | N | steps/s | step ms | exchange ms | of which Allreduce ms | exchange share "
          "| PyTorch, as many threads, steps/s | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for result in results:
        for row in result["training"]:
            share = row["exchange_ms"] / row["step_ms"]
            theirs = row.get("torch_steps_per_s")
            torch_cells = f"{theirs:.0f} | {row['steps_per_s'] / theirs:.2f}" if theirs else "- | -"
            print(f"| {row['model']} ({row['parameters']:,} params) | {result['size']} | {row['steps_per_s']:.0f} | "
                  f"{row['step_ms']:.2f} | {row['exchange_ms']:.3f} | {row['allreduce_ms']:.3f} | {share:.0%} "
                  f"| {torch_cells} |")
    print("\n| LeNet evaluation of 10,000 images | N | sharded, sums added (s) | rank 0 alone, others waiting (s) |")
    print("|---|---:|---:|---:|")
    for result in results:
        if "evaluation" in result:
            e = result["evaluation"]
            print(f"| | {result['size']} | {e['sharded_s']:.2f} | {e['rank0_alone_s']:.2f} |")
    print("\n| floats | N | Allreduce ms, median | fastest | GB/s at the fastest (algorithm bandwidth) |")
    print("|---:|---:|---:|---:|---:|")
    for result in results:
        for row in result.get("allreduce", []):
            print(f"| {row['floats']:,} | {result['size']} | {row['ms']:.3f} | {row['min_ms']:.3f} | "
                  f"{4 * row['floats'] / row['min_ms'] / 1e6:.2f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--models", nargs="+", default=["lenet", "mlp"], choices=sorted(MODELS))
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--threads", default="1", help="BLAS threads per process, or 'auto' (cores // N)")
    parser.add_argument("--rounds", type=int, default=1, help="runs of every N, alternating with PyTorch")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    worker(args) if args.worker else launch(args)


if __name__ == "__main__":
    main()
