"""Helpers shared by the benchmarks: optional PyTorch, thread counts, MNIST
batches, peak memory, and timing.

Benchmarks print figures; they never assert on time. PyTorch is optional:
where it is installed, each benchmark runs the same workload in it on the
same arrays and prints the ratio.
"""
from __future__ import annotations

import gzip
import os
import resource
import statistics
import time
from pathlib import Path

import numpy as np


def import_torch(threads):
    """PyTorch set to ``threads`` intra-op threads, or None when it is not installed."""
    try:
        import torch  # noqa: PLC0415 - optional, benchmarks only
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch


def blas_threads():
    """How many threads NumPy's BLAS uses (OpenBLAS starts one per core unless
    OPENBLAS_NUM_THREADS / OMP_NUM_THREADS says otherwise)."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        if os.environ.get(var):
            return int(os.environ[var])
    return os.cpu_count()


def peak_rss_mb():
    """Peak resident memory of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def mnist_arrays(split="train"):
    """Real MNIST as (images float32 (N, 1, 28, 28) in [0, 1], labels int64),
    read from $NETTRAIN_DATA/mnist, or None when the files are not there."""
    root = os.environ.get("NETTRAIN_DATA")
    if not root:
        return None
    prefix = "train" if split == "train" else "t10k"
    images_path = Path(root) / "mnist" / f"{prefix}-images-idx3-ubyte.gz"
    labels_path = Path(root) / "mnist" / f"{prefix}-labels-idx1-ubyte.gz"
    if not images_path.is_file() or not labels_path.is_file():
        return None
    images = _read_idx(images_path).astype(np.float32)[:, None] / np.float32(255)
    labels = _read_idx(labels_path).astype(np.int64)
    return images, labels


def batches(batch_size, count, seed=0):
    """``count`` batches of real MNIST (random images of the same shape when
    $NETTRAIN_DATA is not set), normalised as the configs do."""
    data = mnist_arrays("train")
    rng = np.random.default_rng(seed)
    if data is None:
        images = rng.random((batch_size * count, 1, 28, 28), dtype=np.float32)
        labels = rng.integers(0, 10, batch_size * count)
        source = "random data (set NETTRAIN_DATA for real MNIST)"
    else:
        images, labels = data
        source = "real MNIST"
    images = (images - np.float32(0.1307)) / np.float32(0.3081)
    order = rng.permutation(len(images))[: batch_size * count]
    out = [
        (np.ascontiguousarray(images[order[i:i + batch_size]]), labels[order[i:i + batch_size]])
        for i in range(0, batch_size * count, batch_size)
    ]
    return out, source


def median_rate(run, items, repeats):
    """Median of ``repeats`` runs of ``run()``, as items per second."""
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        rates.append(items / (time.perf_counter() - start))
    return statistics.median(rates)
