"""Functions on tensors that are not methods: ``nettrain.cat``, ``nettrain.where`` ..."""
from __future__ import annotations

from .ops import elementwise as E
from .ops import shape as S
from .tensor import Tensor, _scalar_array, as_tensor


def _as_tensor(value, like):
    return value if isinstance(value, Tensor) else as_tensor(_scalar_array(value, like.data))


def cat(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat needs at least one tensor")
    return S.Cat.apply(*tensors, dim=dim)


concatenate = cat


def stack(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack needs at least one tensor")
    return S.Stack.apply(*tensors, dim=dim)


def where(condition, input, other):  # noqa: A002
    like = input if isinstance(input, Tensor) else other
    condition = condition if isinstance(condition, Tensor) else Tensor(condition)
    return E.Where.apply(condition, _as_tensor(input, like), _as_tensor(other, like))


def maximum(a, b):
    return a.maximum(b)


def minimum(a, b):
    return a.minimum(b)


def _method(name):
    def call(t, *args, **kwargs):
        return getattr(t, name)(*args, **kwargs)

    call.__name__ = name
    call.__doc__ = f"``nettrain.{name}(t, ...)`` is ``t.{name}(...)``."
    return call


for _name in (
    "exp log sqrt abs tanh sigmoid relu clamp sum mean max min var std logsumexp norm "
    "matmul mm mv dot reshape flatten squeeze unsqueeze transpose permute split chunk "
    "argmax argmin softmax log_softmax"
).split():
    globals()[_name] = _method(_name)
del _name
