"""What the training loop asks of "the other processes", in one object.

The loop is written once, for any number of processes; it calls a
``Parallel`` object at a few points and never asks how many there are:

- ``shard(loader)``: the loader hands out this process's part of each batch;
- ``synchronise(model)``: the same start everywhere (rank 0's parameters);
- ``step(compute, xb, yb, stop_signal)``: run this process's forward and
  backward, then sum gradients and the step's statistics over all
  processes, so every process holds the gradient of the GLOBAL batch's
  mean loss and the same statistics (and agrees whether to stop);
- ``evaluation_sums(sums)``: add up an evaluation's sums;
- ``agree(value)`` / ``broadcast(value)``: once-per-run decisions.

``SingleProcess`` does nothing at each point (one process already holds
everything), so a plain run is exactly what it was before; ``DataParallel``
does it over MPI, with the per-step sum on NCCL for GPUs.
"""
from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from .. import backend
from .flat import FlatBuffer, StepStats

# An evaluation's sums, in the order they travel: loss_sum, correct, abs_err, count.
EVALUATION_FIELDS = ("loss_sum", "correct", "abs_err", "count")


class SingleProcess:
    """One process: every call hands its argument back."""

    rank, size, local_rank = 0, 1, 0
    writes_files = True  # rank 0: the run folder, metrics, checkpoints, progress
    description = "1 process"

    def shard(self, loader):
        return loader

    def synchronise(self, model):
        pass

    def step(self, compute: Callable, xb, yb, stop_signal: Optional[int]) -> StepStats:
        stats = compute(xb, yb)
        stats.stop_signal = stop_signal
        return stats

    def evaluation_sums(self, sums):
        return sums

    def agree(self, value):
        """Every rank's ``value``, as a list in rank order."""
        return [value]

    def broadcast(self, value):
        return value

    def any_stop(self, stop_signal: Optional[int]) -> Optional[int]:
        return stop_signal

    def use_device(self, device: str) -> str:
        return device


class DataParallel:
    """N processes started by an MPI launcher, each computing a contiguous
    part of every global batch. ``gradients`` sums the flat buffer: the
    MPI communicator itself (CPU), or an NCCL communicator (GPU)."""

    def __init__(self, mpi, gradients=None):
        self.mpi = mpi
        self.rank, self.size, self.local_rank = mpi.rank, mpi.size, mpi.local_rank
        self.writes_files = self.rank == 0
        self.gradients = gradients if gradients is not None else mpi
        self.description = f"{self.size} processes (MPI)"
        self.buffer = None
        self.loader = None

    def use_device(self, device: str) -> str:
        """The device this rank trains on: on GPUs, the one of its local rank
        (ranks on one machine take GPUs 0, 1, ...), with gradients summed
        by NCCL; on the CPU, ``cpu`` and MPI."""
        if backend.Device(device).type != "cuda":
            return device
        cupy = backend.cupy_module()
        index = self.local_rank % cupy.cuda.runtime.getDeviceCount()
        cupy.cuda.Device(index).use()
        from .communicator import NcclCommunicator  # noqa: PLC0415

        self.gradients = NcclCommunicator(self.mpi)
        self.description = f"{self.size} processes (MPI, NCCL)"
        return f"cuda:{index}"

    def shard(self, loader):
        loader.shard(self.rank, self.size)
        self.loader = loader
        return loader

    def synchronise(self, model):
        """Rank 0's parameters and buffers on every rank (a guard: all ranks
        built the model from the same seed), and the flat buffer allocated."""
        for _, tensor in list(model.named_parameters()) + list(model.named_buffers()):
            host = np.ascontiguousarray(backend.to_host(tensor.data))
            self.mpi.broadcast_array_(host)
            tensor.data[...] = backend.to_device(host, tensor.device) if tensor.device.type != "cpu" else host
        self.buffer = FlatBuffer(model.parameters())

    def step(self, compute: Callable, xb, yb, stop_signal: Optional[int]) -> StepStats:
        """This rank's forward/backward on its rows of the batch, then ONE sum."""
        first, end, total = self.loader.batch_rows
        if end > first:
            with backend.batch_rows(first, end, total):
                stats = compute(xb, yb)
        else:  # more processes than samples in this batch: contribute nothing, still take part
            stats = StepStats()
        stats.stop_signal = stop_signal
        self.buffer.pack(stats)
        self.gradients.allreduce_sum_(self.buffer.array)
        return self.buffer.unpack()

    def evaluation_sums(self, sums):
        """``sums`` (an object with EVALUATION_FIELDS) added up over all ranks, in float64."""
        values = np.array([getattr(sums, f) for f in EVALUATION_FIELDS], dtype=np.float64)
        self.mpi.allreduce_sum_(values)
        for field, value in zip(EVALUATION_FIELDS, values):
            setattr(sums, field, type(getattr(sums, field))(value))
        return sums

    def agree(self, value):
        return self.mpi.allgather_object(value)

    def broadcast(self, value):
        return self.mpi.broadcast_object(value)

    def any_stop(self, stop_signal: Optional[int]) -> Optional[int]:
        """A stop request seen by any rank, agreed by all (outside the step's sum)."""
        seen = [s for s in self.mpi.allgather_object(stop_signal) if s is not None]
        return seen[0] if seen else None
