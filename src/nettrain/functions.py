"""Functions on tensors: ``nettrain.cat``, ``nettrain.add(x, y, alpha=2, out=z)`` ...

Most are the function form of a Tensor method (``nettrain.exp(t)`` is
``t.exp()``), with PyTorch's ``out=`` where PyTorch has it; the rest
(``cat``, ``stack``, ``where``, ``allclose`` ...) exist only as functions.
"""
from __future__ import annotations

import numbers

import numpy as np

from . import autograd
from .backend import get_array_module
from .ops import elementwise as E
from .ops import shape as S
from .tensor import Tensor, _scalar_array, as_tensor, randn, require_tensor


def _as_tensor(value, like):
    return value if isinstance(value, Tensor) else as_tensor(_scalar_array(value, like.array))


def write_out(out, result):
    """Store ``result`` in the ``out=`` tensor, as PyTorch does: the values
    are copied into ``out`` (resized when its shape differs); ``out`` is returned."""
    if out is None:
        return result
    require_tensor(out, "out")
    if autograd.is_grad_enabled() and (result.requires_grad or out.requires_grad):
        raise RuntimeError(
            "functions with out=... arguments don't support automatic differentiation, but one of "
            "the arguments requires grad; drop out= or work under nettrain.no_grad()"
        )
    out.set_(result.to(out.dtype))
    return out


def cat(tensors, dim=0, *, out=None, axis=None):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat needs at least one tensor")
    for i, t in enumerate(tensors):
        require_tensor(t, f"tensors[{i}]")
    return write_out(out, S.Cat.apply(*tensors, dim=dim if axis is None else axis))


concatenate = concat = cat


def stack(tensors, dim=0, *, out=None):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack needs at least one tensor")
    for i, t in enumerate(tensors):
        require_tensor(t, f"tensors[{i}]")
    return write_out(out, S.Stack.apply(*tensors, dim=dim))


def where(condition, input, other, *, out=None):  # noqa: A002
    like = input if isinstance(input, Tensor) else other
    condition = condition if isinstance(condition, Tensor) else as_tensor(np.asarray(condition))
    return write_out(out, E.Where.apply(condition, _as_tensor(input, like), _as_tensor(other, like)))


def maximum(input, other, *, out=None):  # noqa: A002
    return write_out(out, require_tensor(input).maximum(other))


def minimum(input, other, *, out=None):  # noqa: A002
    return write_out(out, require_tensor(input).minimum(other))


def add(input, other, *, alpha=1, out=None):  # noqa: A002
    """``input + alpha * other``."""
    if not isinstance(input, Tensor):
        input, other = _as_tensor(input, require_tensor(other, "other")), other  # noqa: A001
    return write_out(out, input.add(other, alpha=alpha))


def sub(input, other, *, alpha=1, out=None):  # noqa: A002
    """``input - alpha * other``."""
    if not isinstance(input, Tensor):
        input = _as_tensor(input, require_tensor(other, "other"))  # noqa: A001
    return write_out(out, input.sub(other, alpha=alpha))


subtract = sub


def mul(input, other, *, out=None):  # noqa: A002
    if not isinstance(input, Tensor):
        input, other = require_tensor(other, "other"), input  # noqa: A001 - multiplication commutes
    return write_out(out, input.mul(other))


multiply = mul


def div(input, other, *, rounding_mode=None, out=None):  # noqa: A002
    if not isinstance(input, Tensor):
        input = _as_tensor(input, require_tensor(other, "other"))  # noqa: A001
    return write_out(out, input.div(other, rounding_mode=rounding_mode))


divide = true_divide = div


def pow(input, exponent, *, out=None):  # noqa: A001,A002
    if not isinstance(input, Tensor):
        return write_out(out, require_tensor(exponent, "exponent").__rpow__(input))
    return write_out(out, input.pow(exponent))


def t(input):  # noqa: A002
    return require_tensor(input).t()


def numel(input) -> int:  # noqa: A002
    return require_tensor(input).numel()


def is_tensor(obj) -> bool:
    """True for a nettrain Tensor (or Parameter), as ``torch.is_tensor``."""
    return isinstance(obj, Tensor)


def is_floating_point(input) -> bool:  # noqa: A002
    return require_tensor(input).is_floating_point()


def equal(input, other) -> bool:  # noqa: A002
    """True when both have the same shape and the same values."""
    require_tensor(input), require_tensor(other, "other")
    return input.shape == other.shape and bool((input == other).all())


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):  # noqa: A002
    """Elementwise ``|input - other| <= atol + rtol * |other|`` (a bool tensor)."""
    require_tensor(input)
    other = _as_tensor(other, input)
    xp = get_array_module(input.array)
    return as_tensor(xp.isclose(input.array, other.array, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:  # noqa: A002
    return bool(isclose(input, other, rtol, atol, equal_nan).all())


def normal(mean, std=1.0, size=None, *, out=None, dtype=None, device=None, requires_grad=False):
    """Normal samples: ``normal(mean_tensor, std)`` (one per element of the
    tensor arguments) or ``normal(0.0, 1.0, size=(2, 3))``, from the seeded
    generator (see ``manual_seed``)."""
    tensors = [v for v in (mean, std) if isinstance(v, Tensor)]
    if tensors:
        shape = np.broadcast_shapes(*(tuple(v.shape) for v in tensors))
        like = tensors[0]
        sample = randn(*shape, dtype=like.dtype, device=like.device)
    else:
        if size is None:
            raise TypeError("normal(mean, std) with two numbers needs size=")
        if not isinstance(mean, numbers.Real) or not isinstance(std, numbers.Real):
            raise TypeError(f"normal() takes tensors or numbers for mean and std, got {mean!r} and {std!r}")
        sample = randn(*size, dtype=dtype, device=device)
    with autograd.no_grad():
        result = sample * std + mean
    if requires_grad:
        result.requires_grad_(True)
    return write_out(out, result)


def _method(name, has_out=True):
    """``nettrain.<name>(t, ...)`` calling ``t.<name>(...)``."""

    def call(input, *args, out=None, **kwargs):  # noqa: A002
        result = getattr(require_tensor(input, f"{name}(): argument 'input'"), name)(*args, **kwargs)
        return write_out(out, result) if has_out else result

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"``nettrain.{name}(t, ...)`` is ``t.{name}(...)``" + (" (with ``out=``)." if has_out else ".")
    return call


# Function forms of methods; those PyTorch gives out= take it here too.
for _name in (
    "neg exp log sqrt abs tanh sigmoid clamp clip sum mean var std logsumexp norm matmul mm mv dot "
    "argmax argmin prod cumsum cumprod sin cos tan bmm"
).split():
    globals()[_name] = _method(_name)
for _name in (
    "relu reshape flatten squeeze unsqueeze transpose permute split chunk softmax log_softmax "
    "max min"
).split():
    globals()[_name] = _method(_name, has_out=False)
del _name

negative = neg  # noqa: F821 - defined by the loop above
absolute = abs  # noqa: A001,F821
swapaxes = transpose  # noqa: F821
