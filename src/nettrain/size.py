"""``nettrain.Size``: the shape of a tensor, a tuple that prints as PyTorch's."""
from __future__ import annotations

import math


class Size(tuple):
    """``t.shape`` and ``t.size()``: a tuple of ints (equal to plain tuples)
    printing as ``nettrain.Size([3, 4])``. Slicing and ``+`` keep it a Size."""

    __slots__ = ()

    def __new__(cls, sizes=()):
        return super().__new__(cls, (int(n) for n in sizes))

    def __repr__(self):
        return f"nettrain.Size({list(self)})"

    __str__ = __repr__

    def __getitem__(self, index):
        item = super().__getitem__(index)
        return Size(item) if isinstance(index, slice) else item

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))

    def __mul__(self, times):
        return Size(tuple(self) * times)

    __rmul__ = __mul__

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds."""
        return math.prod(self)
