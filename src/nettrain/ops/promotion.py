"""Type promotion as PyTorch's: the dtype of ``a <op> b`` for two Tensors.

PyTorch's rule (torch.result_type), in one function. Dtypes fall into
categories bool < integer < floating. Tensors with dimensions decide the
result (the higher category's dtype; NumPy's ``promote_types`` within a
category); a 0-d tensor (which is what a Python number next to a tensor
becomes, in the tensor's own dtype or the default one) only matters when its
category is higher. So

    float32 tensor + int64 tensor     -> float32   (NumPy: float64)
    float32 tensor + float64 0-d      -> float32
    int64 tensor + 2.5                -> float32   (the default float dtype)
    float32 tensor + float64 tensor   -> float64
    int tensor / int tensor           -> float32   (true division: default float)
"""
from __future__ import annotations

from functools import reduce

import numpy as np

from .. import backend


def _category(dtype) -> int:
    return 0 if dtype.kind == "b" else 1 if dtype.kind in "iu" else 2


def _promote(d1, d2):
    """Across categories the higher one's dtype wins (float32 with int64 is
    float32); within one, NumPy's promote_types (uint8 with int8 is int16)."""
    c1, c2 = _category(d1), _category(d2)
    if c1 != c2:
        return d1 if c1 > c2 else d2
    return np.promote_types(d1, d2)


def result_type(a, b, true_division=False) -> np.dtype:
    """The NumPy dtype PyTorch gives a binary op on Tensors ``a`` and ``b``;
    ``true_division``: integer results become the default float dtype."""
    da, db = a.array.dtype, b.array.dtype
    if da == db:
        result = da
    else:
        dimensioned = [d for d, t in ((da, a), (db, b)) if t.array.ndim]
        zero_dim = [d for d, t in ((da, a), (db, b)) if not t.array.ndim]
        if not dimensioned:
            dimensioned, zero_dim = zero_dim, []
        result = reduce(_promote, dimensioned)
        if zero_dim and _category(zero_dim[0]) > _category(result):
            result = zero_dim[0]
    if true_division and result.kind in "biu":
        return backend.default_float()
    return result
