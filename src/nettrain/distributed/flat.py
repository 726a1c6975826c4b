"""One flat float32 buffer per run that carries a whole step's exchange.

Layout (allocated once, reused every step)::

    [ every parameter's gradient | one has-gradient flag per parameter | the step's statistics ]

The statistics are the step's loss sum, correct count, absolute error,
sample count and the stop requests (SIGINT, SIGTERM) seen by any rank, so
that metrics, the NaN check and a Ctrl-C agreement ride on the gradients'
``Allreduce`` and cost no collective of their own (ChainerMN's flat
communicator, plus Horovod's idea of piggy-backing control data).

Each rank packs the gradient of its LOCAL mean loss multiplied by its local
sample count; after the sum, dividing by the global sample count gives the
gradient of the global batch's mean loss, whatever the split (ranks may
hold slices of different sizes, even none).
"""
from __future__ import annotations

import dataclasses
import signal
from typing import Optional

import numpy as np

from .. import backend
from ..tensor import as_tensor

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)  # one counter slot each, in this order


@dataclasses.dataclass
class StepStats:
    """What one step contributes to the epoch's sums, and whether to stop.
    Locally: this rank's slice; after the sum: the global batch's."""

    loss_sum: float = 0.0    # sum over the samples of the (unpenalised) loss
    count: int = 0           # samples
    correct: int = 0         # classification: correct predictions
    abs_err: float = 0.0     # regression: sum of absolute errors
    stop_signal: Optional[int] = None  # SIGINT / SIGTERM received (any rank, after the sum)

    @property
    def loss(self) -> float:
        """The mean loss over the step's samples."""
        return self.loss_sum / max(self.count, 1)


STATS_SLOTS = 4 + len(STOP_SIGNALS)


class FlatBuffer:
    """The preallocated buffer for ``params`` (on their device: NumPy or CuPy)."""

    def __init__(self, params):
        self.params = list(params)
        if not self.params:
            raise ValueError("a model with no parameters has nothing to synchronise")
        data = self.params[0].array
        self.xp = backend.get_array_module(data)
        sizes = [p.array.size for p in self.params]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        self.tail_at = int(self.offsets[-1])  # flags, then statistics
        self.array = self.xp.zeros(self.tail_at + len(self.params) + STATS_SLOTS, dtype=np.float32)
        self.grads = [self.array[a:b].reshape(p.shape) for p, a, b in zip(self.params, self.offsets, self.offsets[1:])]
        for p in self.params:
            if p.dtype != np.float32:
                raise TypeError(f"data-parallel training sums float32 gradients; a parameter is {p.dtype}")

    def pack(self, stats: StepStats):
        """Copy this rank's gradients (times its sample count) and statistics in."""
        weight = np.float32(stats.count)
        tail = np.zeros(len(self.params) + STATS_SLOTS, dtype=np.float32)
        for i, (p, view) in enumerate(zip(self.params, self.grads)):
            if p.grad is None or stats.count == 0:
                view.fill(0)
            else:
                self.xp.multiply(p.grad.array, weight, out=view)
                tail[i] = 1
        k = len(self.params)
        tail[k:k + 4] = (stats.loss_sum, stats.count, stats.correct, stats.abs_err)
        for j, signum in enumerate(STOP_SIGNALS):
            tail[k + 4 + j] = 1.0 if stats.stop_signal == signum else 0.0
        if stats.stop_signal is not None and stats.stop_signal not in STOP_SIGNALS:
            tail[k + 4 + len(STOP_SIGNALS) - 1] = 1.0  # any other signal: stop as on SIGTERM
        self.array[self.tail_at:] = self.xp.asarray(tail)

    def unpack(self) -> StepStats:
        """After the sum: every parameter's gradient of the global mean loss, and the global statistics."""
        tail = backend.to_host(self.array[self.tail_at:])
        k = len(self.params)
        loss_sum, count, correct, abs_err = (float(v) for v in tail[k:k + 4])
        stop = next((s for j, s in enumerate(STOP_SIGNALS) if tail[k + 4 + j] > 0), None)
        total = np.float32(count)
        for i, (p, view) in enumerate(zip(self.params, self.grads)):
            if tail[i] == 0:  # no rank had a gradient for it: as in one process, none
                p.grad = None
            elif p.grad is None:  # this rank had no samples (or did not use p): take the sum
                p.grad = as_tensor(view / total)
            else:
                self.xp.divide(view, total, out=p.grad.array)
        return StepStats(loss_sum, int(round(count)), int(round(correct)), abs_err, stop)
