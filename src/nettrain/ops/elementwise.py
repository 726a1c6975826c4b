"""Elementwise operations: arithmetic with broadcasting, and unary math.

Each class is one node type of the graph: ``forward`` computes the result
from arrays and saves what ``backward`` needs; ``backward`` maps the
gradient of the output to one gradient per input (``None`` where
``needs_input_grad`` says nobody wants it). Broadcast inputs need no care
here: the backward pass sums gradients back to each input's shape
(``autograd.sum_to``).
"""
from __future__ import annotations

import numbers

from ..autograd import Function
from ..backend import default_float, get_array_module, to_device, device_of
from .promotion import result_type

_apply = Function.apply.__func__  # the engine's apply, for the subclasses below that extend it


def _promoted(x, y, true_division=False):
    """x and y cast (recorded, so gradients flow back in each one's dtype) to
    the dtype PyTorch's promotion gives them (see promotion.py)."""
    dtype = result_type(x, y, true_division)
    if x.array.dtype != dtype:
        x = Cast.apply(x, dtype=dtype)
    if y.array.dtype != dtype:
        y = Cast.apply(y, dtype=dtype)
    return x, y


class _Binary(Function):
    """A two-input op whose inputs are first promoted to one dtype."""

    true_division = False

    @classmethod
    def apply(cls, x, y, **kwargs):
        if x.array.dtype != y.array.dtype or (cls.true_division and x.array.dtype.kind in "biu"):
            x, y = _promoted(x, y, cls.true_division)
        return _apply(cls, x, y, **kwargs)


class _FloatUnary(Function):
    """A math function of one input: integer and bool tensors become the
    default float dtype first (PyTorch's exp of an int tensor is float32)."""

    single_input = True

    @classmethod
    def apply(cls, x, **kwargs):
        if x.array.dtype.kind in "biu":
            x = Cast.apply(x, dtype=default_float())
        return _apply(cls, x, **kwargs)


class Add(_Binary):
    def forward(self, x, y):
        return x + y

    def backward(self, grad):
        return grad, grad


class Sub(_Binary):
    def forward(self, x, y):
        return x - y

    def backward(self, grad):
        return grad, (-grad if self.needs_input_grad[1] else None)


class Mul(_Binary):
    def forward(self, x, y):
        self.save_for_backward(x, y)
        return x * y

    def backward(self, grad):
        x, y = self.saved
        gx, gy = self.needs_input_grad
        return (grad * y if gx else None), (grad * x if gy else None)


class Div(_Binary):
    true_division = True

    def forward(self, x, y):
        self.save_for_backward(x, y)
        return x / y

    def backward(self, grad):
        x, y = self.saved
        gx, gy = self.needs_input_grad
        grad_over_y = grad / y
        return (grad_over_y if gx else None), (-grad_over_y * x / y if gy else None)


class Pow(_Binary):
    """x ** y with both tensors (the exponent differentiable too)."""

    node_name = "PowBackward1"

    def forward(self, x, y):
        out = x ** y
        self.save_for_backward(x, y, out)
        return out

    def backward(self, grad):
        xp = get_array_module(grad)
        x, y, out = self.saved
        gx, gy = self.needs_input_grad
        dx = grad * y * x ** (y - 1) if gx else None
        # d/dy x**y = x**y * log(x); defined as 0 where x == 0 (as PyTorch does)
        dy = grad * out * xp.log(xp.where(x > 0, x, 1)) if gy else None
        return dx, dy


class PowScalar(Function):
    """x ** c for a Python number c."""

    node_name = "PowBackward0"
    single_input = True

    @classmethod
    def apply(cls, x, exponent):
        # an integer tensor to a float power is a float tensor (2 ** 0.5)
        if x.array.dtype.kind in "biu" and not isinstance(exponent, numbers.Integral):
            x = Cast.apply(x, dtype=default_float())
        return super().apply(x, exponent=exponent)

    def forward(self, x, exponent):
        self.save_for_backward(x)
        self.exponent = exponent
        return x ** exponent

    def backward(self, grad):
        (x,), c = self.saved, self.exponent
        if c == 2:
            return grad * 2 * x
        return grad * c * x ** (c - 1)


class Neg(Function):
    single_input = True

    def forward(self, x):
        return -x

    def backward(self, grad):
        return -grad


class Exp(_FloatUnary):
    def forward(self, x):
        xp = get_array_module(x)
        if x.dtype == xp.float32:
            # NumPy's float32 exp is off by one unit in the last place for many
            # inputs; rounding the float64 result gives PyTorch's (correctly
            # rounded) values, so printed results match.
            out = xp.exp(x.astype(xp.float64)).astype(xp.float32)
        else:
            out = xp.exp(x)
        self.save_for_backward(out)
        return out

    def backward(self, grad):
        (out,) = self.saved
        return grad * out


class Log(_FloatUnary):
    def forward(self, x):
        self.save_for_backward(x)
        return get_array_module(x).log(x)

    def backward(self, grad):
        (x,) = self.saved
        return grad / x


class Sqrt(_FloatUnary):
    def forward(self, x):
        out = get_array_module(x).sqrt(x)
        self.save_for_backward(out)
        return out

    def backward(self, grad):
        (out,) = self.saved
        return grad / (2 * out)


class Sin(_FloatUnary):
    def forward(self, x):
        self.save_for_backward(x)
        return get_array_module(x).sin(x)

    def backward(self, grad):
        (x,) = self.saved
        return grad * get_array_module(x).cos(x)


class Cos(_FloatUnary):
    def forward(self, x):
        self.save_for_backward(x)
        return get_array_module(x).cos(x)

    def backward(self, grad):
        (x,) = self.saved
        return -grad * get_array_module(x).sin(x)


class Tan(_FloatUnary):
    def forward(self, x):
        out = get_array_module(x).tan(x)
        self.save_for_backward(out)
        return out

    def backward(self, grad):
        (out,) = self.saved
        return grad * (1 + out * out)


class Abs(Function):
    single_input = True

    def forward(self, x):
        self.save_for_backward(x)
        return abs(x)

    def backward(self, grad):
        (x,) = self.saved
        return grad * get_array_module(grad).sign(x)


class Tanh(_FloatUnary):
    def forward(self, x):
        out = get_array_module(x).tanh(x)
        self.save_for_backward(out)
        return out

    def backward(self, grad):
        (out,) = self.saved
        return grad * (1 - out * out)


class Sigmoid(_FloatUnary):
    def forward(self, x):
        xp = get_array_module(x)
        # 0.5 * (1 + tanh(x / 2)) is sigmoid without overflow in exp(-x)
        out = 0.5 * (1 + xp.tanh(0.5 * x))
        self.save_for_backward(out)
        return out

    def backward(self, grad):
        (out,) = self.saved
        return grad * out * (1 - out)


class Relu(Function):
    single_input = True

    def forward(self, x):
        out = get_array_module(x).maximum(x, 0)
        self.save_for_backward(out)
        return out

    def backward(self, grad):
        (out,) = self.saved
        return grad * (out > 0)


class Clamp(Function):
    node_name = "ClampBackward1"
    single_input = True

    def forward(self, x, low=None, high=None):
        self.save_for_backward(x)
        self.low, self.high = low, high
        return get_array_module(x).clip(x, low, high)

    def backward(self, grad):
        (x,) = self.saved
        # The gradient passes where low <= x <= high, as in PyTorch.
        inside = True
        if self.low is not None:
            inside = x >= self.low
        if self.high is not None:
            inside = inside & (x <= self.high)
        return grad * inside


class Maximum(_Binary):
    def forward(self, x, y):
        self.save_for_backward(x, y)
        return get_array_module(x).maximum(x, y)

    def backward(self, grad):
        x, y = self.saved
        # Ties share the gradient equally, as in PyTorch.
        share = (x > y) + 0.5 * (x == y)
        gx, gy = self.needs_input_grad
        return (grad * share if gx else None), (grad * (1 - share) if gy else None)


class Minimum(_Binary):
    def forward(self, x, y):
        self.save_for_backward(x, y)
        return get_array_module(x).minimum(x, y)

    def backward(self, grad):
        x, y = self.saved
        share = (x < y) + 0.5 * (x == y)
        gx, gy = self.needs_input_grad
        return (grad * share if gx else None), (grad * (1 - share) if gy else None)


class Where(Function):
    """``where(condition, x, y)``: x where the condition holds, else y."""

    @classmethod
    def apply(cls, condition, x, y):
        return super().apply(condition, *_promoted(x, y))

    def forward(self, condition, x, y):
        self.save_for_backward(condition)
        return get_array_module(x).where(condition, x, y)

    def backward(self, grad):
        (condition,) = self.saved
        _, gx, gy = self.needs_input_grad
        zero = grad.dtype.type(0)
        xp = get_array_module(grad)
        return (
            None,
            xp.where(condition, grad, zero) if gx else None,
            xp.where(condition, zero, grad) if gy else None,
        )


class Clone(Function):
    single_input = True

    def forward(self, x):
        return x.copy()

    def backward(self, grad):
        return grad


class Fill(Function):
    """``x.fill_(v)`` / ``zero_()`` / ``copy_(src)`` on a tensor in a graph: the
    result is ``src`` broadcast to x's shape, in x's dtype and on x's device.
    Its gradient goes to ``src`` (summed over the broadcast, back in src's
    dtype and device); x's old values are overwritten, so x gets zeros."""

    def forward(self, x, src):
        self.src_dtype, self.src_device = src.dtype, device_of(src)
        xp = get_array_module(x)
        out = xp.empty_like(x)
        out[...] = to_device(src, device_of(x))
        return out

    def backward(self, grad):
        gx, gsrc = self.needs_input_grad
        dx = get_array_module(grad).zeros_like(grad) if gx else None
        dsrc = to_device(grad, self.src_device).astype(self.src_dtype, copy=False) if gsrc else None
        return dx, dsrc


class Cast(Function):
    """A dtype change; the gradient goes back in the input's dtype."""

    node_name = "ToCopyBackward0"
    single_input = True

    def forward(self, x, dtype):
        self.input_dtype = x.dtype
        return x.astype(dtype)

    def backward(self, grad):
        return grad.astype(self.input_dtype)


class Copy(Function):
    """A device change (CPU <-> GPU); the gradient goes back to the input's device."""

    node_name = "ToCopyBackward0"
    single_input = True

    def forward(self, x, device):
        self.input_device = device_of(x)
        return to_device(x, device)

    def backward(self, grad):
        return to_device(grad, self.input_device)
