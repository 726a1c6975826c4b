"""Per-sample image transforms, as ``torchvision.transforms``::

    transform = transforms.Compose([
        transforms.Resize(32), transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])

An image before ``ToTensor`` is a NumPy array (H, W) or (H, W, C) (a PIL
Image is accepted too); after it, a float32 Tensor (C, H, W) in [0, 1].
These are the tutorials' transforms; the CLI's whole-split transforms are
``nettrain.data.transforms``.
"""
from __future__ import annotations

import enum
import numbers

import numpy as np

from .. import backend
from ..tensor import Tensor, from_numpy, tensor


class Compose:
    """Apply ``transforms`` one after the other."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, image):
        for t in self.transforms:
            image = t(image)
        return image

    def __repr__(self):
        return type(self).__name__ + "(" + "".join(f"\n    {t}" for t in self.transforms) + "\n)"


class ToTensor:
    """An image (H, W) or (H, W, C), uint8 in [0, 255] -> a Tensor (C, H, W) of
    the default float dtype (float32) in [0.0, 1.0]. Arrays of other dtypes
    keep their values (and dtype), as torchvision's."""

    def __call__(self, pic):
        array = _image_array(pic, "ToTensor")
        if array.ndim == 2:
            array = array[:, :, None]
        chw = np.ascontiguousarray(array.transpose(2, 0, 1))
        float_dtype = backend.default_float()  # float32 unless set_default_dtype changed it, as torchvision
        if chw.dtype == np.uint8:
            return from_numpy(chw.astype(float_dtype) / float_dtype.type(255))
        if chw.dtype == np.bool_:
            return from_numpy(chw.astype(float_dtype))
        return from_numpy(chw)

    def __repr__(self):
        return "ToTensor()"


class Normalize:
    """``(x - mean[c]) / std[c]`` per channel of a float Tensor image (..., C, H, W)."""

    def __init__(self, mean, std, inplace=False):
        self.mean, self.std, self.inplace = mean, std, inplace
        if np.any(np.asarray(std, dtype=np.float64) == 0):
            raise ValueError(f"std evaluated to zero after conversion to float, leading to division by zero: {std}")

    def __call__(self, image):
        if not isinstance(image, Tensor):
            raise TypeError(f"img should be Tensor Image. Got {type(image)} (put ToTensor() before Normalize)")
        if image.ndim < 3:
            raise ValueError(
                f"Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = {tuple(image.shape)}")
        if not backend.is_floating(image.dtype):
            raise TypeError(f"Input tensor should be a float tensor. Got {image.dtype}.")
        mean = tensor(np.asarray(self.mean, dtype=np.float64), dtype=image.dtype).reshape(-1, 1, 1)
        std = tensor(np.asarray(self.std, dtype=np.float64), dtype=image.dtype).reshape(-1, 1, 1)
        return (image - mean) / std

    def __repr__(self):
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


class InterpolationMode(enum.Enum):
    """The resampling filters Resize offers (torchvision's names)."""

    NEAREST = "nearest"
    BILINEAR = "bilinear"


class Resize:
    """Resize an image to ``size``: ``(h, w)``, or an int that the smaller edge
    becomes (the aspect ratio kept). Bilinear with antialiasing when
    shrinking (torchvision's default, PIL's filter); nearest on request.

    A NumPy uint8 image gives a NumPy uint8 image (rounded, as PIL does; PIL's
    fixed-point arithmetic can differ by one grey level); a Tensor gives a
    Tensor of its dtype.
    """

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
        if isinstance(size, numbers.Integral):
            size = int(size)
        elif isinstance(size, (list, tuple)) and len(size) in (1, 2) and all(isinstance(n, numbers.Integral) for n in size):
            size = list(size)
        else:
            raise TypeError(f"Size should be int or sequence of one or two ints. Got {size!r}")
        self.size, self.max_size, self.antialias = size, max_size, antialias
        self.interpolation = InterpolationMode(interpolation.value if isinstance(interpolation, InterpolationMode)
                                               else interpolation)

    def _output_size(self, h, w):
        if isinstance(self.size, list) and len(self.size) == 2:
            return tuple(self.size)
        requested = self.size[0] if isinstance(self.size, list) else self.size
        short, long = (h, w) if h <= w else (w, h)
        new_short, new_long = requested, int(requested * long / short)
        if self.max_size is not None and new_long > self.max_size:
            new_short, new_long = int(self.max_size * new_short / new_long), self.max_size
        return (new_short, new_long) if h <= w else (new_long, new_short)

    def __call__(self, image):
        if isinstance(image, Tensor):
            if image.ndim < 2:
                raise ValueError(f"Resize expects an image (..., H, W), got shape {tuple(image.shape)}")
            array, channels_last = image.detach().numpy(), False
        else:
            array, channels_last = _image_array(image, "Resize"), True
        h, w = (array.shape[0], array.shape[1]) if channels_last else array.shape[-2:]
        out_h, out_w = self._output_size(h, w)
        rows = _resample_matrix(h, out_h, self.interpolation, self.antialias)
        cols = _resample_matrix(w, out_w, self.interpolation, self.antialias)
        values = array.astype(np.float64)
        if channels_last:  # (H, W[, C])
            resized = np.einsum("ih,hw...,jw->ij...", rows, values, cols)
        else:              # (..., H, W)
            resized = rows @ values @ cols.T
        if array.dtype.kind in "ui":
            info = np.iinfo(array.dtype)
            resized = np.clip(np.rint(resized), info.min, info.max)
        resized = resized.astype(array.dtype)
        return resized if channels_last else from_numpy(np.ascontiguousarray(resized))

    def __repr__(self):
        return (f"{type(self).__name__}(size={self.size}, interpolation={self.interpolation.value}, "
                f"max_size={self.max_size}, antialias={self.antialias})")


class Lambda:
    """Apply a function of one's own as a transform."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def __call__(self, image):
        return self.lambd(image)

    def __repr__(self):
        return f"{type(self).__name__}()"


# --------------------------------------------------------------------------- helpers


def _image_array(pic, what):
    """A NumPy image (H, W) or (H, W, C) from an array or a PIL Image."""
    if isinstance(pic, Tensor):
        raise TypeError(f"{what}: got a Tensor; it expects an image array (H, W[, C]) or a PIL Image")
    if not isinstance(pic, np.ndarray):
        if not hasattr(pic, "mode") or not hasattr(pic, "size"):
            raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
        pic = np.asarray(pic)  # a PIL Image, without importing PIL
    if pic.ndim not in (2, 3):
        raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    return pic


def _resample_matrix(n_in, n_out, interpolation, antialias):
    """(n_out, n_in) weights taking one axis from n_in to n_out samples.

    Bilinear: PIL's triangle filter centred on each output pixel, widened by
    the shrink factor when antialiasing (so every input pixel counts), each
    row normalised; for enlarging this is ordinary half-pixel bilinear.
    """
    scale = n_in / n_out
    centres = (np.arange(n_out) + 0.5) * scale
    if interpolation is InterpolationMode.NEAREST:
        weights = np.zeros((n_out, n_in))
        weights[np.arange(n_out), np.minimum(np.floor(np.arange(n_out) * scale).astype(int), n_in - 1)] = 1.0
        return weights
    support = max(scale, 1.0) if antialias else 1.0
    distance = (np.arange(n_in)[None, :] + 0.5 - centres[:, None]) / support
    weights = np.clip(1.0 - np.abs(distance), 0.0, None)
    return weights / weights.sum(axis=1, keepdims=True)
