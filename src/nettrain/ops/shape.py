"""Operations that move or select elements without arithmetic: reshape,
permute, expand, indexing, concatenation. Views of the input (``is_view``)
share its version counter, so an in-place change through either is seen."""
from __future__ import annotations

from ..autograd import Function
from ..backend import get_array_module, scatter_add


class Reshape(Function):
    node_name = "ViewBackward0"
    single_input = True
    is_view = True

    def forward(self, x, shape):
        self.input_shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise RuntimeError(
                f"shape {tuple(shape)} is invalid for a tensor of shape {tuple(x.shape)} "
                f"({x.size} elements)"
            ) from None

    def backward(self, grad):
        return grad.reshape(self.input_shape)


class Permute(Function):
    single_input = True
    is_view = True

    def forward(self, x, dims):
        if sorted(dims) != list(range(x.ndim)):
            raise RuntimeError(f"permute dims {dims} are not a permutation of 0..{x.ndim - 1}")
        self.dims = dims
        return x.transpose(dims)

    def backward(self, grad):
        inverse = [0] * len(self.dims)
        for i, d in enumerate(self.dims):
            inverse[d] = i
        return grad.transpose(inverse)


class Expand(Function):
    """Broadcast to a larger shape (a view). The backward pass sums the
    gradient back to the input's shape like any broadcast."""

    single_input = True
    is_view = True

    def forward(self, x, shape):
        try:
            return get_array_module(x).broadcast_to(x, shape)
        except ValueError:
            raise RuntimeError(f"cannot expand a tensor of shape {tuple(x.shape)} to {tuple(shape)}") from None

    def backward(self, grad):
        return grad


def _is_basic(index):
    """Basic indexing (ints, slices, None, ...) selects each element at most once."""
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, slice)) for i in items)


def _copy_arrays(index):
    items = index if isinstance(index, tuple) else (index,)
    copied = tuple(i.copy() if hasattr(i, "copy") and hasattr(i, "shape") else i for i in items)
    return copied if isinstance(index, tuple) else copied[0]


class GetItem(Function):
    """``x[index]``: ints, slices with steps, negative indices, integer arrays,
    boolean masks. Repeated integer indices accumulate their gradients."""

    single_input = True
    is_view = True  # basic indexing is a view; advanced indexing copies (sharing is then only cautious)

    def forward(self, x, index):
        # An index holding arrays is copied: the caller may change its own
        # array (an index tensor) before backward scatters through it.
        basic = _is_basic(index)
        self.index = index if basic else _copy_arrays(index)
        if basic:
            items = index if isinstance(index, tuple) else (index,)
            self.node_name = "SelectBackward0" if all(isinstance(i, int) for i in items) else "SliceBackward0"
        else:
            self.node_name = "IndexBackward0"
        self.input_shape = x.shape
        return x[index]

    def backward(self, grad):
        xp = get_array_module(grad)
        out = xp.zeros(self.input_shape, dtype=grad.dtype)
        if _is_basic(self.index):
            out[self.index] = grad
        else:
            scatter_add(out, self.index, grad)
        return out


class Cat(Function):
    def forward(self, *arrays, dim=0):
        xp = get_array_module(*arrays)
        self.dim = dim
        self.sizes = [a.shape[dim] for a in arrays]
        try:
            return xp.concatenate(arrays, axis=dim)
        except ValueError:
            raise RuntimeError(
                f"cat: shapes {[tuple(a.shape) for a in arrays]} differ outside dim {dim}"
            ) from None

    def backward(self, grad):
        pieces, start = [], 0
        axis = self.dim % grad.ndim
        for size, needed in zip(self.sizes, self.needs_input_grad):
            index = (slice(None),) * axis + (slice(start, start + size),)
            pieces.append(grad[index] if needed else None)
            start += size
        return tuple(pieces)


class Stack(Function):
    def forward(self, *arrays, dim=0):
        xp = get_array_module(*arrays)
        shapes = {a.shape for a in arrays}
        if len(shapes) != 1:
            raise RuntimeError(f"stack needs tensors of equal shape, got {[tuple(a.shape) for a in arrays]}")
        self.dim = dim
        return xp.stack(arrays, axis=dim)

    def backward(self, grad):
        axis = self.dim % grad.ndim
        return tuple(
            grad.take(i, axis=axis) if needed else None for i, needed in enumerate(self.needs_input_grad)
        )
