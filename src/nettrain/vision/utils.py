"""``make_grid``: a batch of images tiled into one image, as ``torchvision.utils``."""
from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor, from_numpy


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0):
    """Images (B, C, H, W) (or a list of (C, H, W)) -> one image (C, rows*H', cols*W')
    with ``nrow`` images per row and ``padding`` pixels of ``pad_value``
    between them. Grey images become three equal channels, as torchvision's."""
    if isinstance(tensor, (list, tuple)):
        array = np.stack([t.detach().numpy() for t in tensor])
    elif isinstance(tensor, Tensor):
        array = tensor.detach().numpy()
    else:
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if array.ndim == 2:
        array = array[None]
    if array.ndim == 3:
        array = np.concatenate([array] * 3) if array.shape[0] == 1 else array
        array = array[None]
    if array.ndim == 4 and array.shape[1] == 1:
        array = np.concatenate([array] * 3, axis=1)
    array = array.astype(array.dtype if array.dtype.kind == "f" else np.float32, copy=True)
    if normalize:
        ranges = [value_range] * len(array) if value_range is not None else None
        images = array if scale_each else array[None]
        for i, image in enumerate(images):
            low, high = ranges[i] if ranges else (image.min(), image.max())
            np.clip(image, low, high, out=image)
            image -= low
            image /= max(high - low, 1e-5)
    if array.shape[0] == 1:
        return from_numpy(np.ascontiguousarray(array[0]))
    count, channels, height, width = array.shape
    cols = min(nrow, count)
    rows = int(math.ceil(count / cols))
    h, w = height + padding, width + padding
    grid = np.full((channels, rows * h + padding, cols * w + padding), pad_value, dtype=array.dtype)
    for k in range(count):
        y, x = divmod(k, cols)
        grid[:, y * h + padding:y * h + padding + height, x * w + padding:x * w + padding + width] = array[k]
    return from_numpy(grid)
