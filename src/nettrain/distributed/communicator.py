"""The collectives a data-parallel run needs, on MPI (mpi4py) and, for the
per-step gradient sum between GPUs, on NCCL (``cupy.cuda.nccl``).

As in ChainerMN: MPI starts the processes and carries everything that
happens once (the parameter broadcast, the run folder's path, agreeing on
a config error, NCCL's unique id); the per-step exchange is ONE in-place
sum over one flat float32 buffer (``flat.FlatBuffer``), through MPI's
buffer interface (``Allreduce``, no pickling: the lowercase ``allreduce``
pickles and costs ten times more) on the CPU, or through NCCL on GPUs.

mpi4py is imported here only, and only when a launcher started the process
(see ``launcher.py``); cupy only through ``backend``, only for a GPU run.
"""
from __future__ import annotations

import array
import os
import stat
import sys
import time

import numpy as np

from .. import backend
from ..errors import UsageError
from .launcher import INSTALL_HINT


def import_mpi():
    """``mpi4py.MPI``, or a UsageError saying what to install."""
    try:
        from mpi4py import MPI  # noqa: PLC0415 - imported only under an MPI launcher
    except ImportError as err:
        raise UsageError(
            f"this process was started by an MPI launcher, but mpi4py cannot be imported ({err}); "
            f"install it: {INSTALL_HINT}"
        ) from None
    return MPI


class MpiCommunicator:
    """MPI's world communicator: ``rank``, ``size``, ``local_rank`` (rank
    among the processes on this machine: which GPU to take) and the few
    collectives nettrain uses. Arrays go through MPI's buffer interface."""

    def __init__(self, comm=None):
        self.MPI = import_mpi()
        self.comm = comm if comm is not None else self.MPI.COMM_WORLD
        self.rank = self.comm.Get_rank()
        self.size = self.comm.Get_size()
        node = self.comm.Split_type(self.MPI.COMM_TYPE_SHARED, key=self.rank)
        self.local_rank, self.local_size = node.Get_rank(), node.Get_size()
        node.Free()

    # -- every step: one call

    def allreduce_sum_(self, buffer: np.ndarray):
        """Sum ``buffer`` over all ranks, in place (a host array)."""
        self.comm.Allreduce(self.MPI.IN_PLACE, buffer, op=self.MPI.SUM)

    # -- once per run (or per epoch)

    def broadcast_array_(self, array: np.ndarray, root: int = 0):
        """Overwrite ``array`` with root's (a contiguous host array)."""
        self.comm.Bcast(array, root=root)

    def broadcast_object(self, obj, root: int = 0):
        """A small Python object from root to every rank (pickled: not per step)."""
        return self.comm.bcast(obj, root=root)

    def allgather_object(self, obj) -> list:
        """Every rank's ``obj``, in rank order, on every rank."""
        return self.comm.allgather(obj)

    def barrier(self):
        self.comm.Barrier()

    def abort(self, code: int = 1):
        """End every process of the run now (a failed rank must not leave the
        others waiting), once the launcher has read what this process wrote:
        its message is otherwise lost now and then (see ``wait_until_read``)."""
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
            wait_until_read(stream)
        self.comm.Abort(code)


def wait_until_read(stream, timeout: float = 2.0):
    """Wait until the reader of ``stream``'s pipe has taken everything written
    to it, for at most ``timeout`` seconds; return at once when ``stream`` is
    not a pipe (a terminal, a file: nothing waits there to be read).

    Why: a launcher reads each process's stdout and stderr from a pipe and
    forwards them (MPICH's hydra proxy: in order, on the socket that also
    carries the abort). ``MPI_Abort`` reaches the launcher on another socket;
    when the launcher sees the abort first, it kills the job and drops what
    was still in the pipe: the failed rank's whole stderr, in a few runs out
    of 100. Once the pipe is empty, the launcher has read the message, and it
    forwards it before it handles the abort."""
    try:
        import fcntl  # noqa: PLC0415 - POSIX only; elsewhere abort at once
        import termios  # noqa: PLC0415
        fd = stream.fileno()
        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            return
    except (ImportError, AttributeError, OSError, ValueError):  # no fileno (a StringIO), closed, not POSIX
        return
    unread = array.array("i", [0])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            fcntl.ioctl(fd, termios.FIONREAD, unread)  # bytes in the pipe not read yet (either end, Linux)
        except OSError:
            return
        if unread[0] == 0:
            return
        time.sleep(0.005)


class NcclCommunicator:
    """Sums a flat CuPy buffer across GPUs with NCCL, as ChainerMN's
    ``PureNcclCommunicator``: rank 0 makes NCCL's unique id, MPI broadcasts
    it, every rank joins the NCCL communicator with it. Each rank must have
    selected its GPU (``cupy.cuda.Device(local_rank).use()``) before.

    ``nccl`` and ``cupy`` default to ``cupy.cuda.nccl`` and cupy; they are
    parameters so the CPU-only test suite can run this class's protocol
    against a stand-in."""

    DTYPES = {"float16": "NCCL_FLOAT16", "float32": "NCCL_FLOAT32", "float64": "NCCL_FLOAT64"}

    def __init__(self, mpi: MpiCommunicator, nccl=None, cupy=None):
        self.cupy = cupy if cupy is not None else backend.cupy_module()
        self.nccl = nccl if nccl is not None else _import_nccl()
        unique_id = self.nccl.get_unique_id() if mpi.rank == 0 else None
        unique_id = mpi.broadcast_object(unique_id)
        self.comm = self.nccl.NcclCommunicator(mpi.size, unique_id, mpi.rank)
        self.rank, self.size = mpi.rank, mpi.size

    def allreduce_sum_(self, buffer):
        """Sum ``buffer`` (a contiguous CuPy array) over all GPUs, in place,
        on the current stream (later work on that stream sees the sum)."""
        name = self.DTYPES.get(str(buffer.dtype))
        if name is None:
            raise TypeError(f"NCCL sums float16/32/64 buffers, got {buffer.dtype}")
        stream = self.cupy.cuda.get_current_stream()
        pointer = buffer.data.ptr
        self.comm.allReduce(pointer, pointer, buffer.size, getattr(self.nccl, name), self.nccl.NCCL_SUM, stream.ptr)


def _import_nccl():
    try:
        from cupy.cuda import nccl  # noqa: PLC0415 - GPU runs only
    except ImportError as err:
        raise UsageError(f"a multi-GPU run needs NCCL through CuPy, which cannot be imported ({err})") from None
    if not getattr(nccl, "available", True):
        raise UsageError(
            "a multi-GPU run needs NCCL, but this CuPy has none; install it with "
            "`python -m cupyx.tools.install_library --library nccl --cuda 12.x`"
        )
    return nccl
