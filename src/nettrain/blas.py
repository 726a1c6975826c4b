"""Matrix products that stay fast on a busy machine and whose bits never
depend on how many threads computed them.

Why: OpenBLAS (NumPy's BLAS) starts one worker thread per core and shares
every product among them. On a quiet machine that is a little faster. On a
machine where other processes want the cores, a product waits for the
worker that the scheduler has set aside: LeNet's training step measured 10x
slower with 2 threads than with 1 on the 2-core development machine under
load (see benchmarks/under_load.py).

What :func:`matmul` does, per product:

- the thread count follows the machine's load: all the library's threads
  when there are idle cores for them, one thread when other processes are
  runnable (sampled from /proc at most every ``SAMPLE_S`` seconds; where
  /proc is missing, the library's own setting is kept);
- OpenBLAS sums the inner dimension K in different blocks depending on the
  thread count once K passes a few hundred (measured with OpenBLAS 0.3.31 on
  SkylakeX: float32 from K=456, float64 from K=128), so a product with a
  longer K is computed as a sum of products over fixed slices of ``K_SLICE``
  (in a fixed order), and a product
  whose output is too small to share between threads (fewer than
  ``MIN_SHARED_OUTPUT`` elements) runs on one thread. Training gives the same
  bits quiet or busy, with 1 thread or all of them (tests/test_blas.py).

Only OpenBLAS (found through threadpoolctl) with two threads or more is
managed; with one thread (OPENBLAS_NUM_THREADS=1, a one-core machine),
another BLAS, or without threadpoolctl, :func:`matmul` is ``a @ b``. CuPy
arrays, 1-D operands and mixed dtypes go straight to ``@`` too.
"""
from __future__ import annotations

import os
import time

import numpy as np

# Longest inner dimension summed in one BLAS call, by dtype (about half the
# shortest K measured to change with the thread count: a margin for other CPUs).
K_SLICE = {np.dtype(np.float32): 256, np.dtype(np.float64): 64}
MIN_SHARED_OUTPUT = 4096  # smaller outputs with a long K: one thread (sharing them gains nothing)
SAMPLE_S = 0.05           # seconds between two looks at the machine's load


class ThreadPolicy:
    """How many BLAS threads the next product may use: the library's
    maximum when the machine has idle cores for them, else 1."""

    def __init__(self):
        self._blas = None        # threadpoolctl's controller of OpenBLAS, once found
        self._ready = False
        self.max_threads = 1
        self.current = None      # the count last set in the library
        self.forced = None       # tests and benchmarks: a fixed count, or None to follow the load
        self._others = 0.0       # runnable tasks of other processes, smoothed
        self._busy = False
        self._next_sample = 0.0
        self.cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)

    def _setup(self):
        self._ready = True
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            return
        for lib in ThreadpoolController().select(user_api="blas").lib_controllers:
            if lib.internal_api == "openblas":
                self._blas = lib
                self.max_threads = self.current = int(lib.num_threads)
                return

    @property
    def managed(self) -> bool:
        """True when products go through the managed path (OpenBLAS with 2+ threads)."""
        if not self._ready:
            self._setup()
        return self._blas is not None and self.max_threads > 1

    def threads(self) -> int:
        """The thread count for a product that may be shared."""
        if self.forced is not None:
            return self.forced
        now = time.monotonic()
        if now >= self._next_sample:
            self._next_sample = now + SAMPLE_S
            self._sample()
        return 1 if self._busy else self.max_threads

    def _sample(self):
        others = _runnable_elsewhere()
        if others is None:  # no /proc: keep the library's own setting
            self._busy = False
            return
        self._others = 0.5 * self._others + 0.5 * others
        spare = self.cores - self.max_threads  # cores our threads leave to others
        if self._busy:
            self._busy = self._others > spare + 0.25
        else:
            self._busy = self._others > spare + 0.5

    def use(self, n: int):
        if n != self.current:
            self._blas.set_num_threads(n)
            self.current = n


def _runnable_elsewhere():
    """Runnable tasks on the machine that are not this process's own, or None without /proc."""
    try:
        with open("/proc/loadavg", "rb") as f:
            running = int(f.read().split()[3].split(b"/")[0])
        own = 0
        for tid in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{tid}/stat", "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            if stat[stat.rindex(b")") + 2:stat.rindex(b")") + 3] == b"R":
                own += 1
        return max(0, running - max(own, 1))
    except (OSError, ValueError, IndexError):
        return None


policy = ThreadPolicy()


def matmul(a, b):
    """``a @ b`` for NumPy arrays of two or more dimensions (NumPy's rules),
    on the thread count the load allows, with the same bits whatever that
    count is. Other operands (1-D, CuPy) go to ``@`` unchanged."""
    if (type(a) is not np.ndarray or type(b) is not np.ndarray or a.ndim < 2 or b.ndim < 2
            or a.dtype != b.dtype or not policy.managed):
        return a @ b
    slice_k = K_SLICE.get(a.dtype)
    if slice_k is None:  # not a BLAS product (integers)
        return a @ b
    k = a.shape[-1]
    if k <= slice_k:
        policy.use(policy.threads())
        return a @ b
    if a.shape[-2] * b.shape[-1] < MIN_SHARED_OUTPUT:
        policy.use(1)
        return a @ b
    policy.use(policy.threads())
    out = a[..., :slice_k] @ b[..., :slice_k, :]
    part = np.empty_like(out)
    for start in range(slice_k, k, slice_k):
        np.matmul(a[..., start:start + slice_k], b[..., start:start + slice_k, :], out=part)
        out += part
    return out
