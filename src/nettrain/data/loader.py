"""DataLoader: batches of a split, shuffled per epoch, resumable mid-epoch.

The order of epoch ``e`` is a pure function of ``(seed, e)``: a fresh NumPy
generator seeded with both draws the permutation. So the loader's whole
state is three integers (seed, epoch, position in the epoch), saving it is
trivial, and a restored loader yields exactly the batches the uninterrupted
one would have, bit for bit, whatever happened in between.

Speed: the data sit in one contiguous array (on the GPU when the device is
cuda, copied there once); each batch is one ``take`` along axis 0 with a
slice of the permutation. No per-sample Python.

Data-parallel training (``shard``): each of N processes takes its own
contiguous part of every batch of the same permutation, so the order needs
no communication and the state (global batches handed out) does not
depend on N.
"""
from __future__ import annotations

import numpy as np

from ..backend import Device, get_array_module, to_device
from ..errors import DataError


def epoch_permutation(n: int, seed: int, epoch: int) -> np.ndarray:
    """The shuffled order of ``n`` samples in ``epoch`` for ``seed`` (int64 indices)."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(epoch)]))
    return rng.permutation(n)


class DataLoader:
    """Iterate ``(xb, yb)`` batches of ``(x, y)`` on ``device``.

    One ``for`` loop over the loader is one epoch (or the rest of it, after
    ``load_state_dict`` restored a mid-epoch position); the next loop is the
    next epoch. ``len(loader)`` is the number of batches per epoch.
    """

    def __init__(self, x, y, batch_size: int, shuffle: bool = True, drop_last: bool = False,
                 seed: int = 0, device="cpu", augment=None, max_batches=None):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise DataError(f"batch_size must be an integer >= 1, got {batch_size!r}")
        if len(x) != len(y):
            raise DataError(f"x has {len(x)} samples but y has {len(y)}")
        self.device = Device(device)
        # One contiguous copy on the target device, made once; batches index into it.
        xp_in = get_array_module(x)
        self.x = to_device(xp_in.ascontiguousarray(x), self.device)
        self.y = to_device(xp_in.ascontiguousarray(y), self.device)
        self.num_samples = len(x)
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.seed = int(seed)
        # augment(xb, sample_indices, epoch) -> xb: random draws keyed by sample, not by batch
        # (data/augment.py), so it adds no state of its own to save.
        self.augment = augment
        # Only the first max_batches batches of each epoch's order (a quick-debug run); None: all.
        self.max_batches = None if max_batches is None else int(max_batches)
        self.epoch = 0
        self.position = 0  # batches of the current epoch already handed out
        self.shard_rank, self.num_shards = 0, 1
        self.batch_rows = (0, 0, 0)  # the last batch: (first row, end row, global batch size)

    def __len__(self):
        batches = self.num_samples // self.batch_size if self.drop_last else -(-self.num_samples // self.batch_size)
        return batches if self.max_batches is None else min(batches, self.max_batches)

    def _order(self):
        """This epoch's sample order on the device, or None for the natural order."""
        if not self.shuffle:
            return None
        return to_device(epoch_permutation(self.num_samples, self.seed, self.epoch), self.device)

    def __iter__(self):
        if self.position > 0 and self.position >= len(self):
            # Saved right after the last batch of an epoch: the next loop is the next epoch.
            self.epoch, self.position = self.epoch + 1, 0
        order = self._order()
        xp = get_array_module(self.x)
        for b in range(self.position, len(self)):
            start, stop = b * self.batch_size, min((b + 1) * self.batch_size, self.num_samples)
            start, stop = self._shard_of(start, stop)
            if order is None:
                index = None
                xb, yb = self.x[start:stop], self.y[start:stop]
            else:
                index = order[start:stop]
                xb, yb = xp.take(self.x, index, axis=0), xp.take(self.y, index, axis=0)
            if self.augment:
                xb = self.augment(xb, xp.arange(start, stop) if index is None else index, self.epoch)
            # Counted before the batch is handed out: a state saved while the
            # caller works on this batch resumes with the next one.
            self.position = b + 1
            yield xb, yb
        self.epoch, self.position = self.epoch + 1, 0

    def shard(self, rank: int, num_shards: int):
        """From now on hand out only part ``rank`` of ``num_shards`` of every
        batch: rows ``[n*rank//num_shards, n*(rank+1)//num_shards)`` of a
        batch of n samples (sizes differ by at most one; a part may be empty
        when n < num_shards). ``batch_rows`` tells which part the last batch was."""
        if not 0 <= rank < num_shards:
            raise ValueError(f"shard {rank} of {num_shards} does not exist")
        self.shard_rank, self.num_shards = int(rank), int(num_shards)

    def _shard_of(self, start, stop):
        n = stop - start
        first, end = n * self.shard_rank // self.num_shards, n * (self.shard_rank + 1) // self.num_shards
        self.batch_rows = (first, end, n)
        return start + first, start + end

    def state_dict(self) -> dict:
        """JSON-serialisable: where the loader is and what it needs to reproduce the order."""
        return {
            "epoch": self.epoch, "position": self.position, "seed": self.seed, "shuffle": self.shuffle,
            "batch_size": self.batch_size, "drop_last": self.drop_last, "num_samples": self.num_samples,
        }

    def load_state_dict(self, state: dict):
        for key in ("batch_size", "drop_last", "num_samples", "shuffle"):
            if key in state and state[key] != getattr(self, key):
                raise DataError(
                    f"the saved loader state has {key}={state[key]!r} but this loader has "
                    f"{key}={getattr(self, key)!r}; resuming would not see the same batches"
                )
        self.seed = int(state["seed"])
        self.epoch = int(state["epoch"])
        self.position = int(state["position"])

    def __repr__(self):
        return (f"DataLoader(samples={self.num_samples}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last}, seed={self.seed}, device='{self.device}')")
