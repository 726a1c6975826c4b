"""DataLoader: batches from a Dataset, as ``torch.utils.data.DataLoader``.

Everything runs in the calling process: ``num_workers`` is accepted so
tutorial code runs, and the samples are fetched in the main process (the
batches are the same; only PyTorch's parallel prefetching is missing).
"""
from __future__ import annotations

import collections.abc

import numpy as np

from ... import backend
from ...functions import stack
from ...tensor import Tensor, from_numpy, tensor
from .dataset import TensorDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler


def _as_tensor(array):
    return from_numpy(np.ascontiguousarray(array)) if isinstance(array, np.ndarray) else Tensor(array)


def default_collate(batch):
    """Samples -> one batch, as PyTorch's: Tensors (and NumPy arrays) are
    stacked along a new first dim; Python ints and floats become int64 and
    float64 tensors; strings stay a list; dicts and tuples are collated
    field by field (a tuple of fields comes back as a list, as in PyTorch)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(batch, 0)
    if isinstance(elem, np.ndarray) and elem.dtype.kind not in "OSUV":
        return stack([_as_tensor(b) for b in batch], 0)
    if isinstance(elem, np.generic) and elem.dtype.kind not in "OSUV":
        return _as_tensor(np.asarray(batch))
    if isinstance(elem, float):
        return tensor(batch, dtype=backend.float64)
    if isinstance(elem, int):  # bool too: a list of bools becomes a bool tensor
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        fields = {key: default_collate([sample[key] for sample in batch]) for key in elem}
        try:
            return type(elem)(fields)
        except TypeError:
            return fields
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple keeps its type
        return type(elem)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if any(len(sample) != len(elem) for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(list(field)) for field in zip(*batch)]
    raise TypeError(
        f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        f"found {type(elem)}"
    )


def default_convert(data):
    """What ``batch_size=None`` yields: each sample with NumPy arrays turned
    into Tensors, nothing stacked."""
    if isinstance(data, np.ndarray) and data.dtype.kind not in "OSUV":
        return _as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return {key: default_convert(value) for key, value in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, (list, tuple)):
        return type(data)(default_convert(d) for d in data)
    return data


class DataLoader:
    """Iterate batches of ``dataset``: ``for xb, yb in DataLoader(ds, batch_size=64, shuffle=True)``.

    A new shuffled order each time it is iterated, drawn from ``generator``
    or the global stream that ``nettrain.manual_seed`` seeds. ``len(loader)``
    is the number of batches.
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None,
                 persistent_workers=False, pin_memory_device=""):
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")
        if sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, bool(drop_last))

        self.dataset = dataset
        self.batch_size, self.drop_last = batch_size, bool(drop_last)
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.num_workers, self.pin_memory, self.timeout = num_workers, pin_memory, timeout
        self.generator = generator
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_collate if batch_sampler is not None else default_convert)

    def __iter__(self):
        if self.batch_sampler is None:  # no auto-batching: one converted sample at a time
            for index in self.sampler:
                yield self.collate_fn(self.dataset[index])
            return
        whole_batches = isinstance(self.dataset, TensorDataset) and self.collate_fn is default_collate
        for indices in self.batch_sampler:
            if whole_batches:
                # The same stacked tensors default_collate would build, in one indexing per tensor.
                rows = np.asarray(indices, dtype=np.int64)
                yield [t[rows] for t in self.dataset.tensors]
            else:
                yield self.collate_fn([self.dataset[i] for i in indices])

    def __len__(self):
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)
