"""Reductions over ``dim`` (an int, a tuple of ints, or None for all) with
``keepdim``, as in PyTorch. Each backward broadcasts the gradient back over
the reduced axes."""
from __future__ import annotations

import math

from ..autograd import Function
from ..backend import get_array_module


def _axes(dim, ndim):
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(f"dim {d} is out of range for a tensor with {ndim} dimensions")
    return tuple(sorted(d % max(ndim, 1) for d in dims)) if ndim else ()


class _Reduction(Function):
    """Keeps the bookkeeping every reduction needs to undo itself."""

    single_input = True

    # PyTorch numbers the overloads: sum() is SumBackward0, sum(dim) SumBackward1
    # (for max and min the other way round).
    names_for_all_and_dim = None

    def _setup(self, x, dim, keepdim):
        if self.names_for_all_and_dim:
            self.node_name = self.names_for_all_and_dim[dim is not None]
        self.axes = _axes(dim, x.ndim)
        self.keepdim = keepdim
        self.input_shape = x.shape
        return self.axes

    def _expand(self, grad):
        """The gradient of the reduced output, broadcast to the input's shape."""
        return get_array_module(grad).broadcast_to(self._keep_axes(grad), self.input_shape)

    def _reduced_count(self):
        return math.prod(self.input_shape[a] for a in self.axes)

    def _drop_axes(self, kept):
        """A result computed with keepdims=True, shaped as the caller asked."""
        return kept if self.keepdim else kept.reshape([n for i, n in enumerate(self.input_shape) if i not in self.axes])

    def _keep_axes(self, array):
        """The inverse of ``_drop_axes`` (a view): the reduced axes back, as size 1."""
        if not self.keepdim and self.axes:
            return get_array_module(array).expand_dims(array, self.axes)
        return array


class Sum(_Reduction):
    names_for_all_and_dim = ("SumBackward0", "SumBackward1")

    def forward(self, x, dim=None, keepdim=False):
        return x.sum(axis=self._setup(x, dim, keepdim), keepdims=keepdim)

    def backward(self, grad):
        return self._expand(grad)


class Mean(_Reduction):
    names_for_all_and_dim = ("MeanBackward0", "MeanBackward1")

    def forward(self, x, dim=None, keepdim=False):
        return x.mean(axis=self._setup(x, dim, keepdim), keepdims=keepdim)

    def backward(self, grad):
        return self._expand(grad / self._reduced_count())


class _Extreme(_Reduction):
    """max / min: the gradient goes to the extreme elements, split evenly among ties."""

    pick = "max"

    def forward(self, x, dim=None, keepdim=False):
        axes = self._setup(x, dim, keepdim)
        if x.size == 0:
            raise RuntimeError(f"{self.pick}() of an empty tensor")
        out = self._drop_axes(getattr(x, self.pick)(axis=axes, keepdims=True))
        self.save_for_backward(x, out)
        return out

    def backward(self, grad):
        x, out = self.saved
        winners = x == self._keep_axes(out)
        count = winners.sum(axis=self.axes, keepdims=True)
        return winners * (self._keep_axes(grad) / count)


class Max(_Extreme):
    pick = "max"
    names_for_all_and_dim = ("MaxBackward1", "MaxBackward0")


class Min(_Extreme):
    pick = "min"
    names_for_all_and_dim = ("MinBackward1", "MinBackward0")


class Var(_Reduction):
    def forward(self, x, dim=None, keepdim=False, ddof=1):
        axes = self._setup(x, dim, keepdim)
        self.save_for_backward(x)
        self.ddof = ddof
        self.mean = x.mean(axis=axes, keepdims=True)
        return x.var(axis=axes, keepdims=keepdim, ddof=ddof)

    def backward(self, grad):
        (x,) = self.saved
        scale = 2.0 / max(self._reduced_count() - self.ddof, 1)
        return self._expand(grad) * (x - self.mean) * grad.dtype.type(scale)


class LogSumExp(_Reduction):
    node_name = "LogsumexpBackward0"

    def forward(self, x, dim=None, keepdim=False):
        xp = get_array_module(x)
        axes = self._setup(x, dim, keepdim)
        peak = x.max(axis=axes, keepdims=True)
        peak = xp.where(xp.isfinite(peak), peak, 0)  # all -inf rows stay -inf, not NaN
        out = self._drop_axes(peak + xp.log(xp.exp(x - peak).sum(axis=axes, keepdims=True)))
        self.save_for_backward(x, out)
        return out

    def backward(self, grad):
        xp = get_array_module(grad)
        x, out = self.saved
        return self._expand(grad) * xp.exp(x - self._keep_axes(out))


class Norm(_Reduction):
    """The p-norm (sum |x|^p)^(1/p) for p >= 1, and the max norm for p = inf."""

    node_name = "LinalgVectorNormBackward0"

    def forward(self, x, p=2, dim=None, keepdim=False):
        xp = get_array_module(x)
        if p == "fro":
            p = 2
        if not (isinstance(p, (int, float)) and (p >= 1 or p == math.inf)):
            raise ValueError(f"norm p must be a number >= 1 or inf, got {p!r}")
        axes = self._setup(x, dim, keepdim)
        self.p = p
        a = abs(x)
        if p == math.inf:
            out = a.max(axis=axes, keepdims=True)
        elif p == 1:
            out = a.sum(axis=axes, keepdims=True)
        elif p == 2:
            out = xp.sqrt((x * x).sum(axis=axes, keepdims=True))
        else:
            out = (a ** p).sum(axis=axes, keepdims=True) ** (1.0 / p)
        out = self._drop_axes(out)
        self.save_for_backward(x, out)
        return out

    def backward(self, grad):
        xp = get_array_module(grad)
        x, out = self.saved
        grad, out, p = self._keep_axes(grad), self._keep_axes(out), self.p
        safe = xp.where(out == 0, 1, out)  # the subgradient 0 at x == 0, as in PyTorch
        if p == math.inf:
            winners = abs(x) == out
            return grad * xp.sign(x) * winners / winners.sum(axis=self.axes, keepdims=True)
        if p == 1:
            return grad * xp.sign(x)
        if p == 2:
            return grad * x / safe
        return grad * xp.sign(x) * abs(x) ** (p - 1) / safe ** (p - 1)


class Prod(_Reduction):
    """The product over ``dim``; the gradient of each factor is the product of
    the others (computed without dividing, so zeros are handled)."""

    names_for_all_and_dim = ("ProdBackward0", "ProdBackward1")

    def forward(self, x, dim=None, keepdim=False):
        axes = self._setup(x, dim, keepdim)
        self.save_for_backward(x)
        return x.prod(axis=axes, keepdims=keepdim)

    def backward(self, grad):
        xp = get_array_module(grad)
        (x,) = self.saved
        # move the reduced axes to the end and flatten them into one
        kept = [a for a in range(x.ndim) if a not in self.axes]
        moved = x.transpose(kept + list(self.axes)).reshape([x.shape[a] for a in kept] + [-1])
        ones = xp.ones_like(moved[..., :1])
        before = xp.cumprod(xp.concatenate([ones, moved[..., :-1]], axis=-1), axis=-1)
        after = xp.flip(xp.cumprod(xp.concatenate([ones, xp.flip(moved, -1)[..., :-1]], axis=-1), axis=-1), -1)
        others = (before * after).reshape([x.shape[a] for a in kept] + [x.shape[a] for a in self.axes])
        others = others.transpose(_inverse(kept + list(self.axes)))
        return self._expand(grad) * others


def _inverse(permutation):
    inverse = [0] * len(permutation)
    for i, p in enumerate(permutation):
        inverse[p] = i
    return inverse


class CumSum(Function):
    """Running sum along ``dim``; its backward is the reversed running sum."""

    single_input = True
    node_name = "CumsumBackward0"

    def forward(self, x, dim):
        self.axis = _axes(dim, x.ndim)[0] if x.ndim else None
        return get_array_module(x).cumsum(x, axis=self.axis).reshape(x.shape)

    def backward(self, grad):
        if self.axis is None:
            return grad
        xp = get_array_module(grad)
        return xp.flip(xp.cumsum(xp.flip(grad, self.axis), axis=self.axis), self.axis)


class CumProd(Function):
    """Running product along ``dim``. Backward: for each i, the sum over
    j >= i of grad_j * (product of x_0..x_j without x_i), computed without
    dividing by x_i so zeros are exact."""

    single_input = True
    node_name = "CumprodBackward0"

    def forward(self, x, dim):
        self.axis = _axes(dim, x.ndim)[0] if x.ndim else None
        self.save_for_backward(x)
        return get_array_module(x).cumprod(x, axis=self.axis).reshape(x.shape)

    def backward(self, grad):
        if self.axis is None:
            return grad
        xp = get_array_module(grad)
        (x,) = self.saved
        x_m = xp.moveaxis(x, self.axis, -1)
        g_m = xp.moveaxis(grad, self.axis, -1)
        n = x_m.shape[-1]
        out = xp.empty_like(x_m)
        # O(n^2) in the length of dim, which is short in practice (tutorial sizes)
        for i in range(n):
            before = xp.prod(x_m[..., :i], axis=-1, keepdims=True)
            after = xp.cumprod(x_m[..., i + 1:], axis=-1)
            partial = xp.concatenate([xp.ones_like(before), after], axis=-1) * before
            out[..., i] = (g_m[..., i:] * partial).sum(axis=-1)
        return xp.moveaxis(out, -1, self.axis)
