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

    def _setup(self, x, dim, keepdim):
        self.axes = _axes(dim, x.ndim)
        self.keepdim = keepdim
        self.input_shape = x.shape
        return self.axes

    def _expand(self, grad):
        """The gradient of the reduced output, broadcast to the input's shape."""
        xp = get_array_module(grad)
        if not self.keepdim and self.axes:
            grad = xp.expand_dims(grad, self.axes)
        return xp.broadcast_to(grad, self.input_shape)

    def _reduced_count(self):
        return math.prod(self.input_shape[a] for a in self.axes)


class Sum(_Reduction):
    def forward(self, x, dim=None, keepdim=False):
        return x.sum(axis=self._setup(x, dim, keepdim), keepdims=keepdim)

    def backward(self, grad):
        return self._expand(grad)


class Mean(_Reduction):
    def forward(self, x, dim=None, keepdim=False):
        return x.mean(axis=self._setup(x, dim, keepdim), keepdims=keepdim)

    def backward(self, grad):
        return self._expand(grad / self._reduced_count())


class _Extreme(_Reduction):
    """max / min: the gradient goes to the extreme elements, split evenly among ties."""

    saves_inputs = True
    pick = "max"

    def forward(self, x, dim=None, keepdim=False):
        axes = self._setup(x, dim, keepdim)
        if x.size == 0:
            raise RuntimeError(f"{self.pick}() of an empty tensor")
        self.x = x
        self.out = getattr(x, self.pick)(axis=axes, keepdims=True)
        return self.out if keepdim else self.out.reshape([n for i, n in enumerate(x.shape) if i not in axes])

    def backward(self, grad):
        winners = self.x == self.out
        count = winners.sum(axis=self.axes, keepdims=True)
        if not self.keepdim:
            grad = get_array_module(grad).expand_dims(grad, self.axes)
        return winners * (grad / count)


class Max(_Extreme):
    pick = "max"


class Min(_Extreme):
    pick = "min"


class Var(_Reduction):
    saves_inputs = True

    def forward(self, x, dim=None, keepdim=False, ddof=1):
        axes = self._setup(x, dim, keepdim)
        self.x, self.ddof = x, ddof
        self.mean = x.mean(axis=axes, keepdims=True)
        return x.var(axis=axes, keepdims=keepdim, ddof=ddof)

    def backward(self, grad):
        scale = 2.0 / max(self._reduced_count() - self.ddof, 1)
        return self._expand(grad) * (self.x - self.mean) * grad.dtype.type(scale)


class LogSumExp(_Reduction):
    saves_inputs = True

    def forward(self, x, dim=None, keepdim=False):
        xp = get_array_module(x)
        axes = self._setup(x, dim, keepdim)
        self.x = x
        peak = x.max(axis=axes, keepdims=True)
        peak = xp.where(xp.isfinite(peak), peak, 0)  # all -inf rows stay -inf, not NaN
        self.out = peak + xp.log(xp.exp(x - peak).sum(axis=axes, keepdims=True))
        return self.out if keepdim else self.out.reshape([n for i, n in enumerate(x.shape) if i not in axes])

    def backward(self, grad):
        xp = get_array_module(grad)
        return self._expand(grad) * xp.exp(self.x - self.out)


class Norm(_Reduction):
    """The p-norm (sum |x|^p)^(1/p) for p >= 1, and the max norm for p = inf."""

    saves_inputs = True

    def forward(self, x, p=2, dim=None, keepdim=False):
        xp = get_array_module(x)
        if p == "fro":
            p = 2
        if not (isinstance(p, (int, float)) and (p >= 1 or p == math.inf)):
            raise ValueError(f"norm p must be a number >= 1 or inf, got {p!r}")
        axes = self._setup(x, dim, keepdim)
        self.x, self.p = x, p
        a = abs(x)
        if p == math.inf:
            out = a.max(axis=axes, keepdims=True)
        elif p == 1:
            out = a.sum(axis=axes, keepdims=True)
        elif p == 2:
            out = xp.sqrt((x * x).sum(axis=axes, keepdims=True))
        else:
            out = (a ** p).sum(axis=axes, keepdims=True) ** (1.0 / p)
        self.out = out
        return out if keepdim else out.reshape([n for i, n in enumerate(x.shape) if i not in axes])

    def backward(self, grad):
        xp = get_array_module(grad)
        if not self.keepdim:
            grad = xp.expand_dims(grad, self.axes)
        x, out, p = self.x, self.out, self.p
        safe = xp.where(out == 0, 1, out)  # the subgradient 0 at x == 0, as in PyTorch
        if p == math.inf:
            winners = abs(x) == out
            return grad * xp.sign(x) * winners / winners.sum(axis=self.axes, keepdims=True)
        if p == 1:
            return grad * xp.sign(x)
        if p == 2:
            return grad * x / safe
        return grad * xp.sign(x) * abs(x) ** (p - 1) / safe ** (p - 1)
