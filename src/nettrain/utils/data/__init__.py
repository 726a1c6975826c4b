"""``nettrain.utils.data``: the tutorials' data API, by PyTorch's names::

    from nettrain.utils.data import DataLoader, TensorDataset, random_split
    train, val = random_split(TensorDataset(x, y), [0.8, 0.2])
    for xb, yb in DataLoader(train, batch_size=64, shuffle=True):
        ...

Samples are fetched one by one from the Dataset and stacked into Tensors by
``default_collate`` (a TensorDataset is indexed a whole batch at once: same
result, no per-sample Python). Shuffling draws from nettrain's global
generator (``nettrain.manual_seed``) or from ``generator=``.

The CLI does not use this: its loader (``nettrain.data.loader``) works on
whole arrays and resumes mid-epoch from a checkpoint.
"""
from .dataloader import DataLoader, default_collate, default_convert  # noqa: F401
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split  # noqa: F401
from .sampler import (  # noqa: F401
    BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
)
