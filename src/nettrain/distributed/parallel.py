"""What the training loop asks of "the other processes", in one object.

The loop is written once, for any number of processes; it calls a
``Parallel`` object at a few points and never asks how many there are:

- ``shard(loader)``: the loader hands out this process's part of each batch;
- ``synchronise(model)``: the same start everywhere (rank 0's parameters);
- ``step(compute, xb, yb, rows, stop_signal)``: run this process's forward and
  backward, then sum gradients and the step's statistics over all
  processes, so every process holds the gradient of the GLOBAL batch's
  mean loss and the same statistics; ``stop_after(step, signal)``: whether
  every process stops after this step (agreed through the same sum);
- ``evaluation_sums(sums)``: add up an evaluation's sums;
- ``agree(value)`` / ``broadcast(value)``: once-per-run decisions.

Around the whole run (``cli/train.py``): ``agreement()`` turns a person's
mistake found on any rank, before the first collective, into ONE message
and exit status 2 on every rank; ``failures_abort()`` turns any later
exception on one rank into its message and ``MPI_Abort`` of all, never a
hang.

``SingleProcess`` does nothing at each point (one process already holds
everything), so a plain run is exactly what it was before; ``DataParallel``
does it over MPI, with the per-step sum on NCCL for GPUs.
"""
from __future__ import annotations

import contextlib
import sys
import traceback
from typing import Callable, Optional

import numpy as np

from .. import backend
from ..errors import UsageError
from ..nn.layers import _BatchNorm
from .flat import FlatBuffer, StepStats

# An evaluation's sums, in the order they travel: loss_sum, correct, abs_err, count.
EVALUATION_FIELDS = ("loss_sum", "correct", "abs_err", "count")


class SingleProcess:
    """One process: every call hands its argument back."""

    rank, size, local_rank = 0, 1, 0
    writes_files = True  # rank 0: the run folder, metrics, checkpoints, progress
    description = "1 process"
    launch_prefix = ""  # what goes before `nettrain train` to start the same processes again

    @contextlib.contextmanager
    def agreement(self):
        yield

    @contextlib.contextmanager
    def failures_abort(self):
        yield

    def check_model(self, model):
        pass

    def shard(self, loader):
        return loader

    def synchronise(self, model):
        pass

    def step(self, compute: Callable, xb, yb, rows, stop_signal: Optional[int]) -> StepStats:
        return compute(xb, yb)

    def stop_after(self, step: StepStats, stop_signal: Optional[int]) -> Optional[int]:
        """Whether to stop after this step: a signal received at any time up to now."""
        return stop_signal

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
        self.launch_prefix = f"mpiexec -n {self.size} "
        self.buffer = None

    @contextlib.contextmanager
    def agreement(self):
        """Run a block in which every rank validates the same input (config,
        data, checkpoint); then agree. A UsageError on any rank ends every
        rank with exit status 2, the message printed once, by rank 0 (naming
        the rank when only another rank saw it: a file missing on one
        machine). No collective may run inside the block."""
        error = None
        try:
            yield
        except UsageError as err:
            error = err
        messages = self.agree(None if error is None else str(error))
        failed = [(rank, message) for rank, message in enumerate(messages) if message is not None]
        if not failed:
            return
        if self.rank != 0:
            sys.exit(2)
        if error is not None:
            raise error
        rank, message = failed[0]
        raise UsageError(f"rank {rank} of {self.size}: {message}")

    @contextlib.contextmanager
    def failures_abort(self):
        """An exception on this rank ends ALL ranks now (``MPI_Abort``), with
        this rank's message on stderr: the others would otherwise wait in the
        next collective forever. ``sys.exit`` passes (every rank exits alike)."""
        try:
            yield
        except SystemExit:
            raise
        except BaseException as err:  # noqa: BLE001 - whatever it is, the other ranks must not hang
            detail = f"error: {err}\n" if isinstance(err, UsageError) else traceback.format_exc()
            sys.stderr.write(f"nettrain: rank {self.rank} of {self.size} failed; stopping all ranks\n{detail}")
            self.mpi.abort(2 if isinstance(err, UsageError) else 1)

    def check_model(self, model):
        """Refuse what data parallelism would silently get wrong."""
        if any(isinstance(m, _BatchNorm) for m in model.modules()):
            raise UsageError(
                "the model has BatchNorm layers, whose batch statistics would be computed per process "
                f"(on 1/{self.size} of each batch) and differ from one process's: data-parallel training "
                "does not synchronise them (no SyncBatchNorm yet); train it in one process"
            )

    def use_device(self, device: str) -> str:
        """The device this rank trains on: on GPUs, the one of its local rank
        (ranks on one machine take GPUs 0, 1, ...; the config's index is
        ignored), with gradients summed by NCCL (set up in ``synchronise``)."""
        if backend.Device(device).type != "cuda":
            return device
        try:
            cupy = backend.cupy_module()
        except RuntimeError:  # build() says it clearly, on every rank alike
            return device
        return f"cuda:{self.local_rank % cupy.cuda.runtime.getDeviceCount()}"

    def shard(self, loader):
        loader.shard(self.rank, self.size)
        return loader

    def synchronise(self, model):
        """Rank 0's parameters and buffers on every rank (a guard: all ranks
        built the model from the same seed), and the flat buffer allocated
        (on a GPU: summed by NCCL, whose communicator is set up here)."""
        for _, tensor in list(model.named_parameters()) + list(model.named_buffers()):
            host = np.ascontiguousarray(backend.to_host(tensor.array))
            self.mpi.broadcast_array_(host)
            tensor.array[...] = backend.to_device(host, tensor.device) if tensor.device.type != "cpu" else host
        self.buffer = FlatBuffer(model.parameters())
        if self.buffer.xp is not np and self.gradients is self.mpi:
            from .communicator import NcclCommunicator  # noqa: PLC0415 - GPU runs only

            self.buffer.xp.cuda.Device(self.buffer.array.device.id).use()
            self.gradients = NcclCommunicator(self.mpi)
            self.description = f"{self.size} processes (MPI, NCCL)"

    def step(self, compute: Callable, xb, yb, rows, stop_signal: Optional[int]) -> StepStats:
        """This rank's forward/backward on its ``rows`` (first, end, global
        batch size: the loader's ``batch_rows``) of the batch, then ONE sum."""
        first, end, total = rows
        if end > first:
            with backend.batch_rows(first, end, total):
                stats = compute(xb, yb)
        else:  # more processes than samples in this batch: contribute nothing, still take part
            stats = StepStats()
        stats.stop_signal = stop_signal
        self.buffer.pack(stats)
        self.gradients.allreduce_sum_(self.buffer.array)
        return self.buffer.unpack()

    def stop_after(self, step: StepStats, stop_signal: Optional[int]) -> Optional[int]:
        """Whether to stop after this step: the stop requests that travelled in
        its sum, the same on every rank (a signal arriving later on one rank
        is carried by the next step's sum)."""
        return step.stop_signal

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
