"""Elementwise operations: arithmetic with broadcasting, and unary math.

Each class is one node type of the graph: ``forward`` computes the result
from arrays and saves what ``backward`` needs; ``backward`` maps the
gradient of the output to one gradient per input (``None`` where
``needs_input_grad`` says nobody wants it). Broadcast inputs need no care
here: the backward pass sums gradients back to each input's shape
(``autograd.sum_to``).
"""
from __future__ import annotations

from ..autograd import Function
from ..backend import get_array_module, to_device, device_of


class Add(Function):
    def forward(self, x, y):
        return x + y

    def backward(self, grad):
        return grad, grad


class Sub(Function):
    def forward(self, x, y):
        return x - y

    def backward(self, grad):
        return grad, (-grad if self.needs_input_grad[1] else None)


class Mul(Function):
    saves_inputs = True

    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def backward(self, grad):
        gx, gy = self.needs_input_grad
        return (grad * self.y if gx else None), (grad * self.x if gy else None)


class Div(Function):
    saves_inputs = True

    def forward(self, x, y):
        self.x, self.y = x, y
        return x / y

    def backward(self, grad):
        gx, gy = self.needs_input_grad
        grad_over_y = grad / self.y
        return (grad_over_y if gx else None), (-grad_over_y * self.x / self.y if gy else None)


class Pow(Function):
    """x ** y with both tensors (the exponent differentiable too)."""

    saves_inputs = True

    def forward(self, x, y):
        self.x, self.y = x, y
        self.out = x ** y
        return self.out

    def backward(self, grad):
        xp = get_array_module(grad)
        gx, gy = self.needs_input_grad
        dx = grad * self.y * self.x ** (self.y - 1) if gx else None
        # d/dy x**y = x**y * log(x); defined as 0 where x == 0 (as PyTorch does)
        dy = grad * self.out * xp.log(xp.where(self.x > 0, self.x, 1)) if gy else None
        return dx, dy


class PowScalar(Function):
    """x ** c for a Python number c."""

    saves_inputs = True
    single_input = True

    def forward(self, x, exponent):
        self.x, self.exponent = x, exponent
        return x ** exponent

    def backward(self, grad):
        c = self.exponent
        if c == 2:
            return grad * 2 * self.x
        return grad * c * self.x ** (c - 1)


class Neg(Function):
    single_input = True

    def forward(self, x):
        return -x

    def backward(self, grad):
        return -grad


class Exp(Function):
    saves_output = True
    single_input = True

    def forward(self, x):
        self.out = get_array_module(x).exp(x)
        return self.out

    def backward(self, grad):
        return grad * self.out


class Log(Function):
    saves_inputs = True
    single_input = True

    def forward(self, x):
        self.x = x
        return get_array_module(x).log(x)

    def backward(self, grad):
        return grad / self.x


class Sqrt(Function):
    saves_output = True
    single_input = True

    def forward(self, x):
        self.out = get_array_module(x).sqrt(x)
        return self.out

    def backward(self, grad):
        return grad / (2 * self.out)


class Abs(Function):
    saves_inputs = True
    single_input = True

    def forward(self, x):
        self.x = x
        return abs(x)

    def backward(self, grad):
        return grad * get_array_module(grad).sign(self.x)


class Tanh(Function):
    saves_output = True
    single_input = True

    def forward(self, x):
        self.out = get_array_module(x).tanh(x)
        return self.out

    def backward(self, grad):
        return grad * (1 - self.out * self.out)


class Sigmoid(Function):
    saves_output = True
    single_input = True

    def forward(self, x):
        xp = get_array_module(x)
        # 0.5 * (1 + tanh(x / 2)) is sigmoid without overflow in exp(-x)
        self.out = 0.5 * (1 + xp.tanh(0.5 * x))
        return self.out

    def backward(self, grad):
        return grad * self.out * (1 - self.out)


class Relu(Function):
    saves_output = True
    single_input = True

    def forward(self, x):
        self.out = get_array_module(x).maximum(x, 0)
        return self.out

    def backward(self, grad):
        return grad * (self.out > 0)


class Clamp(Function):
    saves_inputs = True
    single_input = True

    def forward(self, x, low=None, high=None):
        self.x, self.low, self.high = x, low, high
        return get_array_module(x).clip(x, low, high)

    def backward(self, grad):
        # The gradient passes where low <= x <= high, as in PyTorch.
        inside = True
        if self.low is not None:
            inside = self.x >= self.low
        if self.high is not None:
            inside = inside & (self.x <= self.high)
        return grad * inside


class Maximum(Function):
    saves_inputs = True

    def forward(self, x, y):
        self.x, self.y = x, y
        return get_array_module(x).maximum(x, y)

    def backward(self, grad):
        # Ties share the gradient equally, as in PyTorch.
        share = (self.x > self.y) + 0.5 * (self.x == self.y)
        gx, gy = self.needs_input_grad
        return (grad * share if gx else None), (grad * (1 - share) if gy else None)


class Minimum(Function):
    saves_inputs = True

    def forward(self, x, y):
        self.x, self.y = x, y
        return get_array_module(x).minimum(x, y)

    def backward(self, grad):
        share = (self.x < self.y) + 0.5 * (self.x == self.y)
        gx, gy = self.needs_input_grad
        return (grad * share if gx else None), (grad * (1 - share) if gy else None)


class Where(Function):
    """``where(condition, x, y)``: x where the condition holds, else y."""

    def forward(self, condition, x, y):
        self.condition = condition
        return get_array_module(x).where(condition, x, y)

    def backward(self, grad):
        _, gx, gy = self.needs_input_grad
        zero = grad.dtype.type(0)
        xp = get_array_module(grad)
        return (
            None,
            xp.where(self.condition, grad, zero) if gx else None,
            xp.where(self.condition, zero, grad) if gy else None,
        )


class Clone(Function):
    single_input = True

    def forward(self, x):
        return x.copy()

    def backward(self, grad):
        return grad


class Cast(Function):
    """A dtype change; the gradient goes back in the input's dtype."""

    single_input = True

    def forward(self, x, dtype):
        self.input_dtype = x.dtype
        return x.astype(dtype)

    def backward(self, grad):
        return grad.astype(self.input_dtype)


class Copy(Function):
    """A device change (CPU <-> GPU); the gradient goes back to the input's device."""

    single_input = True

    def forward(self, x, device):
        self.input_device = device_of(x)
        return to_device(x, device)

    def backward(self, grad):
        return to_device(grad, self.input_device)
