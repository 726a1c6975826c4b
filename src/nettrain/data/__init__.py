"""nettrain's data layer: a data set's name and options in, batches out.

    bundle = build_data("mnist", batch_size=64, val_split=5000, transforms=["normalize"], seed=0)
    for xb, yb in bundle.loader("train", device="cpu"):
        ...

A config's ``data:`` section is validated by the config schema and passed
in as these arguments (``nettrain.trainer.data_from_config``); from Python,
a bad argument is a TypeError or ValueError naming it, as in PyTorch.

The pieces, bottom up: ``idx`` (IDX files), ``download`` (verified, atomic
downloads), ``datasets`` (MNIST, Fashion-MNIST, where their files are found;
the synthetic sets), ``transforms`` (normalize, minmax, zscore, flatten,
one_hot; the validation split) and ``loader`` (the resumable DataLoader).
This module ties them together. It produces NumPy arrays (or arrays on the
chosen device); it knows nothing of tensors or models.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import ArgumentError
from .datasets import (DATASET_NAMES, IMAGE_DATASETS, SYNTHETIC_DATASETS, FashionMNIST, MNIST,
                       candidate_roots, ensure_dataset, find_dataset, load_split, make_synthetic,
                       synthetic_classes)
from .idx import read_idx, read_idx_pair, write_idx
from .loader import DataLoader, epoch_permutation
from .transforms import Pipeline, split_validation, to_float_images

DEFAULT_BATCH_SIZE = 64


@dataclass
class DataBundle:
    """The splits of one data set after transforms, and what a model needs to know about them."""

    name: str
    train: tuple                # (x, y) NumPy arrays
    val: tuple | None
    test: tuple
    task: str                   # "classification" or "regression"
    num_classes: int | None
    input_shape: tuple          # one sample's x shape, e.g. (1, 28, 28), (784,), (2,)
    output_size: int            # num_classes, or y's width for regression
    transform_state: dict       # statistics computed on train; pass back to build_data to reuse
    source: str                 # where the data came from
    batch_size: int = DEFAULT_BATCH_SIZE
    classes: list | None = None
    _on_device: dict = field(default_factory=dict, repr=False)

    def split(self, name: str):
        if name not in ("train", "val", "test"):
            raise ArgumentError("split", f"unknown split {name!r}; expected 'train', 'val' or 'test'")
        data = getattr(self, name)
        if data is None:
            raise ArgumentError("val_split", "there is no validation split; set data.val_split to a count or "
                                             "a fraction")
        return data

    def loader(self, split: str = "train", batch_size: int | None = None, shuffle: bool | None = None,
               drop_last: bool = False, seed: int = 0, device="cpu", augment=None,
               max_batches: int | None = None) -> DataLoader:
        """A DataLoader over one split. ``shuffle`` defaults to True for train only;
        ``batch_size`` to the config's. Each split is copied to a device once per bundle."""
        x, y = self.split(split)
        key = (split, str(device))
        if key not in self._on_device:
            from ..backend import to_device

            self._on_device[key] = (to_device(np.ascontiguousarray(x), device),
                                    to_device(np.ascontiguousarray(y), device))
        x, y = self._on_device[key]
        return DataLoader(
            x, y, batch_size=self.batch_size if batch_size is None else batch_size,
            shuffle=(split == "train") if shuffle is None else shuffle,
            drop_last=drop_last, seed=seed, device=device, augment=augment, max_batches=max_batches,
        )


def _raw_splits(name: str, options: dict, root, download: bool, seed: int, probe: bool = False):
    """{"train": (x, y), "test": (x, y)} before transforms, plus where they came
    from. Images stay uint8 (N, H, W): build_data turns each split into floats
    only when it transforms it (a quarter of the memory until then)."""
    if name in SYNTHETIC_DATASETS:
        splits = make_synthetic(name, options["train_size"], options["test_size"], options["noise"], seed)
        return splits, f"synthetic, seed {seed}"  # shown as "clusters (synthetic, seed 0)"
    if options["noise"] is not None:
        raise ArgumentError("noise", f"applies to the synthetic data sets only, not {name}")
    if probe:
        return _probe_images(name, options), "stand-in images (no files read)"
    splits, folder = {}, None
    for split, size_key in (("train", "train_size"), ("test", "test_size")):
        images, labels, folder = load_split(name, split, root, download)
        limit = _split_limit(options, size_key, name, len(labels))
        if limit is not None:  # a prefix of the split: a quick run on part of the data
            images, labels = images[:limit], labels[:limit]
        splits[split] = (images, labels)
    return splits, str(folder)


def _is_images(split) -> bool:
    return split[0].dtype == np.uint8


def _as_floats(split):
    """A split with uint8 images (N, H, W) as float32 (N, 1, H, W) in [0, 1] (a
    new array); other splits as they are."""
    x, y = split
    return (to_float_images(x) if _is_images(split) else x), y


def _split_limit(options: dict, size_key: str, name: str, size: int):
    limit = options[size_key]
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= size):
        raise ArgumentError(size_key, f"for {name} must be an integer in 1..{size}, got {limit!r}")
    return limit


def _probe_images(name: str, options: dict) -> dict:
    """A few random images of the data set's shape and its labels: what a
    probe transforms instead of the real files. The size limits are checked
    against the real split sizes, as loading would."""
    info = IMAGE_DATASETS[name]
    rng = np.random.default_rng(0)
    splits = {}
    for split, size_key in (("train", "train_size"), ("test", "test_size")):
        _split_limit(options, size_key, name, info.split_sizes[split])
        count = 2 * len(info.classes)
        images = rng.integers(0, 256, (count, *info.image_shape), dtype=np.uint8)
        splits[split] = (images, np.arange(count, dtype=np.int64) % len(info.classes))
    return splits


def build_data(dataset: str, *, batch_size: int = DEFAULT_BATCH_SIZE, val_split=0, transforms=(),
               root=None, download: bool = True, train_size: int | None = None, test_size: int | None = None,
               noise: float | None = None, seed: int = 0, transform_state: dict | None = None,
               probe: bool = False) -> DataBundle:
    """A data set's splits, transformed, as a DataBundle.

    The arguments are the keys of a config's ``data:`` section (the README's
    reference says what each means): ``val_split`` a count or a fraction of
    the training set (0: none); ``transforms`` a list of names or one-key
    mappings (``{"normalize": {"mean": 0.5, "std": 0.5}}``); ``root`` the only
    folder to look in; ``train_size``/``test_size`` the number of examples
    (synthetic sets) or a prefix of each split (image sets); ``noise`` the
    synthetic sets' noise. A bad argument is a TypeError or ValueError
    naming it (``nettrain.errors.ArgumentError`` where only the data shows
    it is wrong).

    ``transform_state`` (a bundle's ``transform_state``, e.g. from a
    checkpoint) reuses saved statistics instead of computing them again.
    ``probe=True`` reads and downloads nothing: MNIST-like sets are stand-in
    random images of the right shape (synthetic sets are drawn as usual), so
    the bundle's shapes, task and classes are right but not its numbers; the
    validation split is not carved out of the stand-ins. For checking a
    config and sizing a model without the data.
    """
    if dataset not in DATASET_NAMES:
        raise ValueError(f"unknown data set {dataset!r}; expected one of {', '.join(DATASET_NAMES)}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int):
        raise TypeError(f"batch_size must be an integer, got {batch_size!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
    name = dataset
    options = {"train_size": train_size, "test_size": test_size, "noise": noise}
    splits, source = _raw_splits(name, options, root, download, seed, probe)
    whole_train, test = splits.pop("train"), splits.pop("test")
    if probe and name in IMAGE_DATASETS:
        real = train_size or IMAGE_DATASETS[name].split_sizes["train"]
        split_validation(np.arange(real), np.arange(real), val_split, seed)  # its checks only
        train, val = whole_train, None
    else:
        train, val = split_validation(*whole_train, val_split, seed)
    del whole_train  # one split at a time in memory as floats (peak of `nettrain train` 686 -> 4xx MB)

    if name in IMAGE_DATASETS:
        info = IMAGE_DATASETS[name]
        task, num_classes, classes, default_normalize = "classification", len(info.classes), list(info.classes), info.normalize
    else:
        task = SYNTHETIC_DATASETS[name].task
        classes = synthetic_classes(name) if task == "classification" else None
        num_classes, default_normalize = (len(classes) if classes else None), None

    pipeline = Pipeline.from_config(transforms, default_normalize, num_classes)
    # Float copies made here are build_data's own: the transforms may write into them.
    if transform_state is not None:
        pipeline.load_state(transform_state)
        train = pipeline(*_as_floats(train), owned=_is_images(train))
    else:
        train = pipeline.fit(*_as_floats(train), owned=_is_images(train))
    val = pipeline(*_as_floats(val), owned=_is_images(val)) if val is not None else None
    test = pipeline(*_as_floats(test), owned=_is_images(test))

    y = train[1]
    output_size = num_classes if num_classes is not None else (y.shape[1] if y.ndim == 2 else 1)
    return DataBundle(
        name=name, train=train, val=val, test=test, task=task, num_classes=num_classes,
        input_shape=tuple(train[0].shape[1:]), output_size=output_size,
        transform_state=pipeline.state(), source=source, batch_size=batch_size, classes=classes,
    )


__all__ = [
    "DATASET_NAMES", "DataBundle", "DataLoader", "FashionMNIST", "IMAGE_DATASETS", "MNIST",
    "SYNTHETIC_DATASETS", "build_data", "candidate_roots", "ensure_dataset", "epoch_permutation",
    "find_dataset", "load_split", "make_synthetic", "read_idx", "read_idx_pair", "split_validation",
    "to_float_images", "write_idx",
]
