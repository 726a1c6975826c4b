"""Transforms applied to whole splits at once, and the validation split.

A config lists transforms in order; each item is a name or a one-key mapping::

    transforms: [normalize]                               # the data set's default mean/std
    transforms: [{normalize: {mean: 0.5, std: 0.5}}, flatten]
    transforms: [zscore, one_hot]

``minmax`` and ``zscore`` compute their statistics on the training split only
(after the validation split is carved out) and keep them in a JSON-friendly
state, so evaluation and a resumed run use the very same numbers instead of
recomputing them. Statistics are per channel (images, axis 1 of N,C,H,W) or
per feature (vectors, axis 1 of N,F), as torchvision's Normalize does.

Transforms change ``x`` only, except ``one_hot`` which turns class indices
``y`` into float32 rows (for an MSE loss on classes).
"""
from __future__ import annotations

from typing import Annotated

import numpy as np

from ..config.checks import Number
from ..errors import ArgumentError, DataError
from ..registry import entries, register


def to_float_images(images: np.ndarray) -> np.ndarray:
    """uint8 images (N, H, W) -> float32 (N, 1, H, W) scaled to [0, 1], as PyTorch's ToTensor."""
    out = images.astype(np.float32).reshape(images.shape[0], 1, *images.shape[1:])
    out *= np.float32(1.0 / 255.0)
    return out


def _per_channel(values, x: np.ndarray) -> np.ndarray:
    """Shape per-channel statistics to broadcast against ``x`` (channel = axis 1)."""
    values = np.asarray(values, dtype=np.float32)
    if x.ndim < 2 or values.size == 1:
        return values.reshape(())
    return values.reshape((1, -1) + (1,) * (x.ndim - 2))


def _shift_scale(x: np.ndarray, shift, scale, owned: bool = False) -> np.ndarray:
    """(x - shift) / scale per channel, into one new array, or into ``x``
    itself when the caller owns it (MNIST's train split is 172 MB)."""
    if owned:
        out = x
        out -= _per_channel(shift, x)
    else:
        out = x - _per_channel(shift, x)
    out /= _per_channel(scale, x)
    return out


def _channel_axes(x: np.ndarray):
    return (0,) + tuple(range(2, x.ndim))


def _as_floats(values, where: str):
    if isinstance(values, (int, float)) and not isinstance(values, bool):
        return [float(values)]
    if isinstance(values, (list, tuple)) and values and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in values
    ):
        return [float(v) for v in values]
    raise TypeError(f"{where} must be a number or a list of numbers, got {values!r}")


class Transform:
    """Base: stateless unless it overrides ``fit``/``state``/``load_state``."""

    name = ""

    def fit(self, x, y):
        """Compute statistics from the training split (no-op for stateless transforms)."""

    def state(self) -> dict:
        return {"name": self.name}

    def load_state(self, state: dict):
        """Reuse statistics saved by ``state`` instead of computing them."""

    def __call__(self, x, y):
        raise NotImplementedError

    def apply(self, x, y, owned: bool = False):
        """``self(x, y)``; with ``owned``, ``x`` is the caller's scratch array
        and the transform may write its result into it."""
        return self(x, y)

    def __repr__(self):
        return self.name


@register("transform", "normalize", "(x - mean) / std: the data set's own statistics, or the mean and std given")
class Normalize(Transform):
    """(x - mean) / std with given numbers (one, or one per channel)."""

    name = "normalize"

    def __init__(
        self,
        mean: Annotated[float, Number(), "subtracted from every input value"],
        std: Annotated[float, Number(gt=0), "every input value is divided by it"],
    ):
        self.mean = _as_floats(mean, "normalize mean")
        self.std = _as_floats(std, "normalize std")
        if any(s <= 0 for s in self.std):
            raise ValueError(f"normalize std must be > 0, got {self.std}")

    def state(self):
        return {"name": self.name, "mean": self.mean, "std": self.std}

    def __call__(self, x, y):
        return self.apply(x, y)

    def apply(self, x, y, owned=False):
        return _shift_scale(x, self.mean, self.std, owned), y


class _FittedScale(Transform):
    """(x - shift) / scale with shift and scale computed on the training split."""

    def __init__(self):
        self.shift = None
        self.scale = None

    def _statistics(self, x):
        raise NotImplementedError

    def fit(self, x, y):
        if len(x) == 0:
            raise DataError(f"{self.name}: the training split is empty, no statistics to compute")
        shift, scale = self._statistics(x)
        # A constant channel (e.g. a border pixel after flatten) has no spread:
        # leave it unscaled rather than divide by zero.
        scale = np.where(scale > 0, scale, 1.0)
        self.shift, self.scale = np.atleast_1d(shift).tolist(), np.atleast_1d(scale).tolist()

    def load_state(self, state):
        self.shift, self.scale = list(state[self._keys[0]]), list(state[self._keys[1]])

    def state(self):
        return {"name": self.name, self._keys[0]: self.shift, self._keys[1]: self.scale}

    def __call__(self, x, y):
        return self.apply(x, y)

    def apply(self, x, y, owned=False):
        if self.shift is None:
            raise RuntimeError(f"{self.name} used before fit() or load_state()")
        return _shift_scale(x, self.shift, self.scale, owned), y


@register("transform", "minmax", "scale each channel to [0, 1] with the training split's min and max")
class MinMax(_FittedScale):
    """Scale each channel/feature to [0, 1] using the training split's min and max."""

    name = "minmax"
    _keys = ("min", "range")

    def _statistics(self, x):
        axes = _channel_axes(x) if x.ndim >= 2 else None
        lo, hi = x.min(axis=axes).astype(np.float64), x.max(axis=axes).astype(np.float64)
        return lo, hi - lo


@register("transform", "zscore", "zero mean, unit std per channel, from the training split")
class ZScore(_FittedScale):
    """Zero mean, unit std per channel/feature, using the training split's statistics."""

    name = "zscore"
    _keys = ("mean", "std")

    def _statistics(self, x):
        axes = _channel_axes(x) if x.ndim >= 2 else None
        return x.mean(axis=axes, dtype=np.float64), x.std(axis=axes, dtype=np.float64)


@register("transform", "flatten", "(N, C, H, W) -> (N, C*H*W), for an MLP")
class Flatten(Transform):
    """(N, ...) -> (N, prod(...)), for MLPs."""

    name = "flatten"

    def __call__(self, x, y):
        return x.reshape(x.shape[0], -1), y


@register("transform", "one_hot", "class indices -> one-hot rows (for mse or l1 on classes)")
class OneHot(Transform):
    """Class indices (N,) -> float32 one-hot rows (N, num_classes), for MSE on classes."""

    name = "one_hot"

    def __init__(self, num_classes):
        if num_classes is None:
            raise ArgumentError("transforms", "one_hot applies to classification data sets only (this one is a regression)")
        self.num_classes = int(num_classes)

    def __call__(self, x, y):
        if y.ndim != 1 or y.dtype.kind not in "iu":
            raise DataError(f"one_hot expects class indices of shape (N,), got {y.dtype} {y.shape}")
        return x, np.eye(self.num_classes, dtype=np.float32)[y]


def make_transform(item, default_normalize=None, num_classes=None) -> Transform:
    """One item of ``transforms`` -> a Transform: a registered name, or a
    one-key mapping of the name to its options (as a config writes them; the
    config schema has checked their form). ``default_normalize`` is the data
    set's (mean, std) or None."""
    if isinstance(item, str):
        name, args = item, {}
    elif isinstance(item, dict) and len(item) == 1 and isinstance(next(iter(item.values())) or {}, dict):
        name, args = next(iter(item.items()))
        args = args or {}
    else:
        raise TypeError(f"a transform is a name or a one-key mapping like {{'normalize': {{'mean': 0.5, 'std': "
                        f"0.5}}}}, got {item!r}")
    if name not in entries("transform"):
        raise ValueError(f"unknown transform {name!r}; expected one of {', '.join(entries('transform'))}")
    unknown = set(args) - ({"mean", "std"} if name == "normalize" else set())
    if unknown:
        raise TypeError(f"{name} got unexpected option(s) {', '.join(sorted(unknown))}")
    if name == "normalize":
        if default_normalize is None and not {"mean", "std"} <= set(args):
            raise ArgumentError(
                "transforms", "normalize needs mean and std for this data set "
                "(only MNIST and Fashion-MNIST have defaults); give them, or use zscore"
            )
        mean, std = default_normalize if default_normalize is not None else (None, None)
        return Normalize(args.get("mean", mean), args.get("std", std))
    if name == "minmax":
        return MinMax()
    if name == "zscore":
        return ZScore()
    if name == "flatten":
        return Flatten()
    return OneHot(num_classes)


class Pipeline:
    """Transforms in order; ``fit`` each on the training split as the ones before it left it."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    @classmethod
    def from_config(cls, items, default_normalize=None, num_classes=None):
        """From ``transforms`` items (see ``make_transform``), in order."""
        if not isinstance(items, (list, tuple)):
            raise TypeError(f"transforms must be a list, got {items!r}")
        return cls(make_transform(i, default_normalize, num_classes) for i in items)

    def fit(self, x, y, owned: bool = False):
        """Fit each transform and apply it; ``owned``: see ``__call__``."""
        for t in self.transforms:
            t.fit(x, y)
            x, y = t.apply(x, y, owned)
        return x, y

    def __call__(self, x, y, owned: bool = False):
        """The transforms applied in order. ``owned=True``: ``x`` is the
        caller's scratch array (build_data's fresh float copy of a split) and
        may be overwritten, so that a split is held once, not twice."""
        for t in self.transforms:
            x, y = t.apply(x, y, owned)
        return x, y

    def state(self) -> dict:
        return {"transforms": [t.state() for t in self.transforms]}

    def load_state(self, state: dict):
        saved = [s.get("name") for s in state.get("transforms", [])] if isinstance(state, dict) else None
        wanted = [t.name for t in self.transforms]
        if saved != wanted:
            raise DataError(
                f"the saved transform state is for transforms {saved} but the config lists {wanted}; "
                "use the config the state was saved with"
            )
        for t, s in zip(self.transforms, state["transforms"]):
            t.load_state(s)


def split_validation(x, y, val_split, seed: int):
    """Carve a seeded validation split from (x, y): returns ((x, y) train, (x, y) val or None).

    ``val_split`` is a count (int >= 1), a fraction in (0, 1), or 0/None for
    none. Both parts keep the original order of their samples.
    """
    n = len(x)
    if val_split is None or (val_split == 0 and not isinstance(val_split, bool)):
        return (x, y), None
    if isinstance(val_split, bool) or not isinstance(val_split, (int, float, np.integer, np.floating)):
        raise TypeError(f"val_split must be a count, a fraction in (0, 1) or 0, got {val_split!r}")
    if isinstance(val_split, (float, np.floating)):
        if not 0 < val_split < 1:
            raise ArgumentError("val_split", f"as a fraction it must be in (0, 1), got {val_split}")
        count = int(round(n * float(val_split)))
    else:
        count = int(val_split)
    if not 1 <= count < n:
        raise ArgumentError(
            "val_split", f"{val_split!r} gives {count} validation samples out of {n}; "
            f"it must leave at least one sample on each side"
        )
    # Its own stream (not the loader's): the split stays the same whatever the shuffling does.
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x7A1]))
    chosen = np.zeros(n, dtype=bool)
    chosen[rng.choice(n, size=count, replace=False)] = True
    return (x[~chosen], y[~chosen]), (x[chosen], y[chosen])
