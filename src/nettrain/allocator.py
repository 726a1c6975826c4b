"""Keep freed array memory in the process instead of handing it back to the OS.

A training step allocates and frees the same few megabytes of arrays every
time (im2col matrices, activations, gradients). With glibc's default malloc
settings, blocks over 128 KiB are mmap'ed and unmapped, and the heap is
trimmed whenever its free top grows past a few MB, so every step faults the
same memory in again: measured on LeNet at batch 64, 2,500 page faults and
about 4 ms of kernel time per 8.6 ms step. Raising the two thresholds keeps
that memory in the heap for reuse: 0.2 faults and 4.3 ms per step.

The cost is that up to ``_TRIM_THRESHOLD`` of freed memory stays in the
process, so a library must not do this to its host process on import: the
``nettrain`` command calls :func:`keep_freed_memory` when it starts, and a
Python program that trains with nettrain may call it once itself::

    import nettrain.allocator
    nettrain.allocator.keep_freed_memory()

It acts only with glibc, and only when the person running Python has not
set glibc's own ``MALLOC_*`` variables (theirs win).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
# glibc refuses mmap thresholds above 32 MiB on 64-bit (HEAP_MAX_SIZE / 2);
# that still covers LeNet's largest per-step array at batch 256 (15 MB).
_MMAP_THRESHOLD = 32 * 1024 * 1024
_TRIM_THRESHOLD = 256 * 1024 * 1024


# True once keep_freed_memory() has changed the thresholds in this process.
tuned = False


def keep_freed_memory() -> bool:
    """Set glibc's malloc thresholds; True when they were set."""
    global tuned
    if not sys.platform.startswith("linux"):
        return False
    if any(name in os.environ for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl or another libc: nothing to tune
        return False
    tuned = bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD))
    return tuned
