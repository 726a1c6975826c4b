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

Skinny products go to OpenBLAS's small-matrix kernel in pieces: its
SkylakeX builds (and the later Intel cores) compute a product with
M*N*K <= 10^6 without packing the operands, on one thread, and the
convolutions' products (6 x 25 by 25 x 36,864 for LeNet's first layer at
batch 64) measured 2-4x faster cut into such pieces than whole on two
threads (benchmarks/README.md). :func:`small_blocks` chooses the pieces;
the pieces' order is fixed, so these products' bits depend on the shapes
only, never on the thread count.

Only OpenBLAS (found through threadpoolctl) with two threads or more is
managed for threads; with one thread (OPENBLAS_NUM_THREADS=1, a one-core machine),
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
# OpenBLAS computes a gemm with M*N*K at most 65536 * 4 and a gemv with M*N
# under 2304 * 4 on one thread whatever its setting (interface/gemm.c,
# gemv.c; 4 is the default GEMM_MULTITHREAD_THRESHOLD), so a product under
# both limits, with a K no longer than K_SLICE, skips the thread policy: its
# checks cost more than the product (a 3 x 3 matmul's forward and backward
# took 15.7 us against PyTorch's 12.3; 11.5 us without them).
ONE_THREAD_PRODUCT = 9216
SAMPLE_S = 0.05           # seconds between two looks at the machine's load

# OpenBLAS's rules for its small-matrix kernel (kernel/x86_64/
# sgemm_small_kernel_permit_skylakex.c, 0.3.17 to 0.3.31), in its column-major
# terms: M*N*K at most 10^6; with only A transposed, C at most 1200 elements
# and K at least 32; never with both transposed.
SMALL_PRODUCT = 1_000_000
SMALL_TN_OUTPUT = 1200
SMALL_TN_MIN_K = 32
SMALL_KERNEL_CORES = {"SkylakeX", "Cooperlake", "SapphireRapids"}  # threadpoolctl's "architecture"
MAX_PIECES = 64           # more pieces than this: the calls' own cost would eat the gain
SKINNY = 32               # products cut only when one side is at most this long (measured: wider
                          # ones, like an MLP's 64 x 784 by 784 x 256, run as fast or faster whole)


class ThreadPolicy:
    """How many BLAS threads the next product may use: the library's
    maximum when the machine has idle cores for them, else 1."""

    def __init__(self):
        self._blas = None        # threadpoolctl's controller of OpenBLAS, once found
        self._ready = False
        self._small_kernels = False  # OpenBLAS with the small-matrix kernel (see SMALL_PRODUCT)
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
                self._small_kernels = getattr(lib, "architecture", None) in SMALL_KERNEL_CORES
                self.max_threads = self.current = int(lib.num_threads)
                return

    @property
    def managed(self) -> bool:
        """True when products go through the managed path (OpenBLAS with 2+ threads)."""
        if not self._ready:
            self._setup()
        return self._blas is not None and self.max_threads > 1

    @property
    def small_kernels(self) -> bool:
        """True when products may be cut for OpenBLAS's small-matrix kernel."""
        if not self._ready:
            self._setup()
        return self._small_kernels

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


def _pieces(size, most):
    """The length of ``ceil(size / most)`` equal pieces that cover ``size``."""
    count = -(-size // most)
    return -(-size // count)


def small_blocks(m, k, n, a_transposed, b_transposed):
    """Piece sizes ``(mb, kb, nb)`` cutting the row-major product
    ``(m, k) @ (k, n)`` into products OpenBLAS's small-matrix kernel takes,
    or None when the whole product should go to BLAS as it is.

    NumPy hands OpenBLAS the row-major product as the column-major ``B.T @
    A.T``, so OpenBLAS's "only A transposed" case is ours with only ``b``
    transposed (a weight gradient ``g @ cols.T``): each output piece then
    holds at most SMALL_TN_OUTPUT elements and the inner dimension is cut
    (and summed piece by piece). Otherwise the output is cut and the inner
    dimension kept whole when it is short, as in a convolution's forward.
    """
    if m * k * n <= SMALL_PRODUCT or min(m, k, n) > SKINNY or (a_transposed and b_transposed):
        return None
    if b_transposed:  # OpenBLAS's "TN": small output pieces, long inner pieces
        mb = min(m, SMALL_TN_OUTPUT)
        nb = min(n, SMALL_TN_OUTPUT // mb)
        kb = _pieces(k, SMALL_PRODUCT // (mb * nb))
        if kb < SMALL_TN_MIN_K:
            return None
    elif k * 256 <= SMALL_PRODUCT:  # short inner dimension: cut the output only
        per_piece = SMALL_PRODUCT // k
        if m <= n:
            mb = min(m, per_piece)
            nb = per_piece // mb
        else:
            nb = min(n, per_piece)
            mb = per_piece // nb
        kb = k
    else:  # a long inner dimension and a small output
        mb, nb = m, n
        kb = SMALL_PRODUCT // (m * n)
        if kb < SMALL_TN_MIN_K:
            return None
    mb, nb, kb = _pieces(m, mb), _pieces(n, nb), _pieces(k, kb)
    if -(-m // mb) * -(-n // nb) * -(-k // kb) > MAX_PIECES:
        return None
    return mb, kb, nb


def _blocked_matmul(a, b, mb, kb, nb, out=None):
    """``a @ b`` (2-D) as products of pieces, the inner pieces summed in order."""
    m, k = a.shape
    n = b.shape[1]
    if out is None:
        out = np.empty((m, n), dtype=a.dtype)
    part = np.empty((mb, nb), dtype=a.dtype) if kb < k else None
    for i in range(0, m, mb):
        for j in range(0, n, nb):
            block = out[i:i + mb, j:j + nb]
            np.matmul(a[i:i + mb, :kb], b[:kb, j:j + nb], out=block)
            for s in range(kb, k, kb):
                piece = part[:block.shape[0], :block.shape[1]]
                np.matmul(a[i:i + mb, s:s + kb], b[s:s + kb, j:j + nb], out=piece)
                block += piece
    return out


def runs_on_one_thread(m, k, n, dtype, a_transposed=False, b_transposed=False) -> bool:
    """True when :func:`matmul` would compute the row-major product ``(m, k)
    @ (k, n)`` of ``dtype`` on one thread now: BLAS has one, the product is
    tiny, it goes to the small-matrix kernel in pieces, or the machine is
    busy. A caller choosing between one large product and several smaller
    ones asks this: the large one may have a second core to lose."""
    if not policy.managed or m * k * n <= ONE_THREAD_PRODUCT:
        return True
    if _small_kernel_blocks(m, k, n, dtype, a_transposed, b_transposed) is not None:
        return True
    return policy.threads() == 1


def _small_kernel_blocks(m, k, n, dtype, a_transposed, b_transposed):
    """``small_blocks`` for a float32 product where OpenBLAS has the small-matrix kernel, else None."""
    if np.dtype(dtype) != np.float32 or not policy.small_kernels:
        return None
    return small_blocks(m, k, n, a_transposed, b_transposed)


def _transposed(x):
    """True for a 2-D array laid out column by column (a transposed view)."""
    return x.strides[0] == x.itemsize and x.shape[0] > 1 and x.strides[1] != x.itemsize


def matmul(a, b, out=None):
    """``a @ b`` for NumPy arrays of two or more dimensions (NumPy's rules),
    on the thread count the load allows, with the same bits whatever that
    count is; written into ``out`` when given. Other operands (1-D, CuPy)
    go to ``@`` unchanged."""
    if type(a) is np.ndarray and type(b) is np.ndarray and a.ndim == b.ndim == 2 and a.dtype == b.dtype:
        m, k = a.shape
        n = b.shape[-1]
        if m * k * n <= ONE_THREAD_PRODUCT and k <= K_SLICE.get(a.dtype, 0):
            return np.matmul(a, b, out=out)  # one thread whatever the setting: nothing to choose
        blocks = _small_kernel_blocks(m, k, n, a.dtype, _transposed(a), _transposed(b))
        if blocks is not None:
            return _blocked_matmul(a, b, *blocks, out=out)
    product = _threaded_matmul(a, b, out)
    if out is None or product is out:
        return product
    out[...] = product  # CuPy, 1-D operands, mixed dtypes: ``@`` gave a new array
    return out


def _threaded_matmul(a, b, out=None):
    """``a @ b`` on the thread count the load allows (see the module note),
    written into ``out`` when it is given and the operands are NumPy's."""
    if (type(a) is not np.ndarray or type(b) is not np.ndarray or a.ndim < 2 or b.ndim < 2
            or a.dtype != b.dtype):
        return a @ b
    if not policy.managed:
        return np.matmul(a, b, out=out)
    slice_k = K_SLICE.get(a.dtype)
    if slice_k is None:  # not a BLAS product (integers)
        return np.matmul(a, b, out=out)
    k = a.shape[-1]
    if k <= slice_k:
        policy.use(policy.threads())
        return np.matmul(a, b, out=out)
    if a.shape[-2] * b.shape[-1] < MIN_SHARED_OUTPUT:
        policy.use(1)
        return np.matmul(a, b, out=out)
    policy.use(policy.threads())
    out = np.matmul(a[..., :slice_k], b[..., :slice_k, :], out=out)
    part = np.empty_like(out)
    for start in range(slice_k, k, slice_k):
        np.matmul(a[..., start:start + slice_k], b[..., start:start + slice_k, :], out=part)
        out += part
    return out
