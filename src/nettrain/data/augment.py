"""Random image augmentation for training batches, vectorised over the batch.

A config lists augmentations in order (training batches only)::

    data:
      augment:
        - random_shift: 2                                # up to 2 pixels in x and y
        - random_rotation: 10                            # up to 10 degrees either way
        - random_affine: {degrees: 10, translate: 0.1, scale: [0.9, 1.1]}
        - random_erasing: {p: 0.5, scale: [0.02, 0.2]}   # torchvision's RandomErasing

Reproducibility is the point of this module's one idea: every random number
is a pure function of ``(seed, epoch, sample index, which draw)``, computed
by a counter-based hash (SplitMix64's finaliser) over whole arrays. So a
sample's augmentation depends neither on the batch it lands in (batch size,
world size) nor on how many batches ran before (a resumed run draws the same
numbers), and there is no generator state to save. Each augmentation owns a
fixed ``stream`` number so adding one never shifts another's draws.

Images are ``(N, C, H, W)`` float arrays, already transformed (normalised);
pixels that come from outside the image take the sample's background value
(its minimum), so a shifted normalised digit is padded with its own "black".
Works on NumPy and CuPy arrays alike (``xp`` is the array's module).
"""
from __future__ import annotations

import math
from typing import Annotated

import numpy as np

from ..backend import get_array_module
from ..config.checks import Integer, ListOf, Nullable, Number
from ..registry import register

_GOLDEN = 0x9E3779B97F4A7C15


_MASK = 2**64 - 1


def _mix64(z):
    """SplitMix64's finaliser: a bijective scramble of 64-bit integers, for
    Python ints and uint64 arrays alike (arrays wrap on overflow by design)."""
    if isinstance(z, int):
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        return z ^ (z >> 31)
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB
    return z ^ (z >> 31)


def uniform(xp, seed: int, epoch: int, index, stream: int, draws: int = 1):
    """U[0, 1) float64 of shape (draws, len(index)): entry (k, i) is a pure
    function of (seed, epoch, index[i], stream, k)."""
    key = _mix64((_mix64((int(seed) * _GOLDEN + int(epoch)) & _MASK) ^ (int(stream) * _GOLDEN)) & _MASK)
    keys = xp.asarray([_mix64((key + k * _GOLDEN) & _MASK) for k in range(draws)], dtype=xp.uint64)
    counters = xp.asarray(index).astype(xp.uint64) * xp.uint64(_GOLDEN)
    z = _mix64(counters[None, :] ^ keys[:, None])
    return (z >> xp.uint64(11)).astype(xp.float64) * (1.0 / 2**53)


def _between(u, low, high):
    return low + (high - low) * u


def _background(x):
    """Each sample's minimum, shaped to broadcast over (C, H, W)."""
    return x.reshape(x.shape[0], -1).min(axis=1).reshape(-1, 1, 1, 1)


class _Sampler:
    """Reads ``x[b, c, row, col]`` for whole batches with one flat ``take``.

    The images sit inside a one-pixel border of ``fill``; coordinates are
    clipped into it, so whatever lies outside the image reads ``fill`` and no
    masks are needed."""

    def __init__(self, x, fill):
        xp = self.xp = get_array_module(x)
        n, c, h, w = self.shape = x.shape
        self.width = w + 2
        padded = xp.empty((n, c, h + 2, self.width), dtype=x.dtype)
        padded[...] = fill
        padded[:, :, 1:-1, 1:-1] = x
        self.flat = padded.reshape(-1)
        plane = (h + 2) * self.width
        self.base = (xp.arange(n).reshape(n, 1, 1) * c + xp.arange(c).reshape(1, c, 1)) * plane

    def index(self, rows, cols):
        """Flat positions of (rows, cols): int arrays broadcasting to (n, h, w)."""
        xp, (n, c, h, w) = self.xp, self.shape
        pixel = (xp.clip(rows, -1, h) + 1) * self.width + (xp.clip(cols, -1, w) + 1)
        return self.base + pixel.reshape(n, 1, h * w)

    def read(self, index):
        n, c, h, w = self.shape
        return self.xp.take(self.flat, index).reshape(n, c, h, w)


@register("augmentation", "random_shift", "move each image by whole pixels, up to `pixels` in x and y")
class RandomShift:
    """Translate each image by whole pixels, up to ``pixels`` in each direction (exact: no interpolation)."""

    stream, draws = 1, 2

    def __init__(self, pixels: Annotated[int, Integer(ge=1, le=8), "largest shift in pixels, in x and in y"]):
        _require(isinstance(pixels, int) and 1 <= pixels <= 8, f"pixels must be an integer in 1..8, got {pixels!r}")
        self.pixels = int(pixels)

    def __call__(self, x, draw):
        xp = get_array_module(x)
        n, _, h, w = x.shape
        span = 2 * self.pixels + 1
        dy = xp.floor(draw(0) * span).astype(xp.int64) - self.pixels
        dx = xp.floor(draw(1) * span).astype(xp.int64) - self.pixels
        rows = xp.arange(h).reshape(1, h, 1) - dy.reshape(n, 1, 1)
        cols = xp.arange(w).reshape(1, 1, w) - dx.reshape(n, 1, 1)
        sampler = _Sampler(x, _background(x))
        return sampler.read(sampler.index(rows, cols))


@register("augmentation", "random_affine", "rotate, shift and zoom each image (nearest neighbour)")
class RandomAffine:
    """Rotate by up to ``degrees``, translate by up to ``translate`` of the
    size, scale by a factor in ``scale``, about the image centre; nearest-
    neighbour interpolation (torchvision's RandomAffine default, without shear)."""

    stream, draws = 2, 4

    def __init__(
        self,
        degrees: Annotated[float, Number(ge=0, le=180), "largest rotation either way, in degrees"] = 0.0,
        translate: Annotated[float, Number(ge=0, lt=0.5), "largest shift, as a share of the image size"] = 0.0,
        scale: Annotated[tuple, ListOf(Number(gt=0, le=4), length=2), "smallest and largest zoom"] = (1.0, 1.0),
    ):
        _require(0 <= degrees <= 180, f"degrees must be in [0, 180], got {degrees!r}")
        _require(0 <= translate < 0.5, f"translate must be in [0, 0.5), got {translate!r}")
        _require(len(scale) == 2 and all(0 < v <= 4 for v in scale), f"scale must be two zooms in (0, 4], got {scale!r}")
        self.degrees, self.translate = float(degrees), float(translate)
        self.scale = (float(scale[0]), float(scale[1]))

    def __call__(self, x, draw):
        xp = get_array_module(x)
        n, _, h, w = x.shape
        f32 = xp.float32
        angle = (_between(draw(0), -self.degrees, self.degrees) * (math.pi / 180)).astype(f32)
        ty = (_between(draw(1), -self.translate, self.translate) * h).astype(f32).reshape(n, 1, 1)
        tx = (_between(draw(2), -self.translate, self.translate) * w).astype(f32).reshape(n, 1, 1)
        zoom = _between(draw(3), *self.scale).astype(f32)
        # Inverse map: for each output pixel, where it comes from in the input.
        cos, sin = (xp.cos(angle) / zoom).reshape(n, 1, 1), (xp.sin(angle) / zoom).reshape(n, 1, 1)
        cy, cx = f32((h - 1) / 2), f32((w - 1) / 2)
        oy = xp.arange(h, dtype=f32).reshape(1, h, 1) - cy - ty
        ox = xp.arange(w, dtype=f32).reshape(1, 1, w) - cx - tx
        # Positive angles turn the picture counter-clockwise, as torchvision's.
        src_y = cos * oy + sin * ox + cy
        src_x = cos * ox - sin * oy + cx
        # Clipped while still float, so the int conversion cannot overflow.
        rows = xp.rint(xp.clip(src_y, -1, h)).astype(xp.int64)
        cols = xp.rint(xp.clip(src_x, -1, w)).astype(xp.int64)
        sampler = _Sampler(x, _background(x))
        return sampler.read(sampler.index(rows, cols))


@register("augmentation", "random_rotation", "rotate each image by up to `degrees` either way")
class RandomRotation(RandomAffine):
    """Rotate by up to ``degrees`` either way about the centre (nearest neighbour)."""

    stream = 3

    def __init__(self, degrees: Annotated[float, Number(gt=0, le=180), "largest rotation either way, in degrees"]):
        _require(0 < degrees <= 180, f"degrees must be in (0, 180], got {degrees!r}")
        super().__init__(degrees=degrees)


@register("augmentation", "random_erasing", "blank a random rectangle of some images (torchvision's RandomErasing)")
class RandomErasing:
    """With probability ``p``, set a random rectangle of ``scale`` (share of
    the area) and aspect ``ratio`` to ``value`` (default: the background),
    as torchvision's RandomErasing (one try, clipped to the image)."""

    stream, draws = 4, 5

    def __init__(
        self,
        p: Annotated[float, Number(ge=0, le=1), "probability that an image gets a rectangle"] = 0.5,
        scale: Annotated[tuple, ListOf(Number(gt=0, le=1), length=2), "smallest and largest share of the area"]
        = (0.02, 0.33),
        ratio: Annotated[tuple, ListOf(Number(gt=0), length=2), "smallest and largest aspect ratio"] = (0.3, 3.3),
        value: Annotated[float, Nullable(Number()), "fill value (null: the image's background)"] = None,
    ):
        _require(0 <= p <= 1, f"p must be in [0, 1], got {p!r}")
        _require(len(scale) == 2 and all(0 < v <= 1 for v in scale), f"scale must be two shares in (0, 1], got {scale!r}")
        _require(len(ratio) == 2 and all(v > 0 for v in ratio), f"ratio must be two ratios > 0, got {ratio!r}")
        self.p, self.scale, self.ratio, self.value = float(p), tuple(scale), tuple(ratio), value

    def __call__(self, x, draw):
        xp = get_array_module(x)
        n, _, h, w = x.shape
        area = _between(draw(0), *self.scale) * h * w
        aspect = xp.exp(_between(draw(1), math.log(self.ratio[0]), math.log(self.ratio[1])))
        eh = xp.clip(xp.round(xp.sqrt(area * aspect)), 1, h).astype(xp.int64)
        ew = xp.clip(xp.round(xp.sqrt(area / aspect)), 1, w).astype(xp.int64)
        top = xp.floor(draw(2) * (h - eh + 1)).astype(xp.int64)
        left = xp.floor(draw(3) * (w - ew + 1)).astype(xp.int64)
        erase = draw(4) < self.p
        rows = xp.arange(h).reshape(1, h, 1)
        cols = xp.arange(w).reshape(1, 1, w)
        box = ((rows >= top.reshape(n, 1, 1)) & (rows < (top + eh).reshape(n, 1, 1))
               & (cols >= left.reshape(n, 1, 1)) & (cols < (left + ew).reshape(n, 1, 1)) & erase.reshape(n, 1, 1))
        value = _background(x) if self.value is None else x.dtype.type(self.value)
        return xp.where(box.reshape(n, 1, h, w), value, x)


def _require(ok: bool, message: str):
    if not ok:
        raise ValueError(message)


class Augment:
    """Apply ``steps`` in order to a training batch: ``augment(xb, index, epoch)``,
    where ``index`` holds the batch's sample indices in the training split."""

    def __init__(self, steps, seed: int):
        self.steps, self.seed = list(steps), int(seed)

    def __call__(self, x, index, epoch: int):
        xp = get_array_module(x)
        for position, step in enumerate(self.steps):
            draws = uniform(xp, self.seed, epoch, index, step.stream * 1000 + position, step.draws)
            x = step(x, draws.__getitem__)
        return x

    def __bool__(self):
        return bool(self.steps)
