"""``nettrain.nn.init``: fill a tensor in place with initial values, by
PyTorch's names and formulas.

Every draw comes from nettrain's seeded generator for the tensor's device
(``nettrain.manual_seed`` makes it reproducible). The functions write into
the tensor's array and return the tensor, outside any graph.
"""
from __future__ import annotations

import math

from .. import backend
from ..autograd import increment_version


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for an activation, as ``torch.nn.init.calculate_gain``."""
    linear_like = ("linear", "conv1d", "conv2d", "conv3d", "sigmoid")
    if nonlinearity in linear_like:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"negative_slope {slope} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    """fan_in = input features x receptive field; fan_out = output features x receptive field."""
    if tensor.ndim < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive_field = 1
    for n in tensor.shape[2:]:
        receptive_field *= n
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def _fan(tensor, mode):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor, values):
    """Write ``values`` (drawn as float64 on the tensor's device) into the tensor."""
    tensor.array[...] = values.astype(tensor.dtype, copy=False)
    increment_version(tensor)  # a graph that saved the old values must notice
    return tensor


def _generator(tensor):
    return backend.generators.for_device(tensor.device)


def uniform_(tensor, a=0.0, b=1.0):
    """Fill with values from U(a, b)."""
    return _fill(tensor, _generator(tensor).uniform(a, b, tensor.shape))


def normal_(tensor, mean=0.0, std=1.0):
    """Fill with values from N(mean, std**2)."""
    return _fill(tensor, _generator(tensor).normal(mean, std, tensor.shape))


def constant_(tensor, val):
    tensor.array[...] = val
    increment_version(tensor)
    return tensor


def zeros_(tensor):
    return constant_(tensor, 0)


def ones_(tensor):
    return constant_(tensor, 1)


def xavier_uniform_(tensor, gain=1.0):
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot and Bengio, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / float(fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain=1.0):
    """N(0, std**2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)))


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """U(-bound, bound) with bound = gain * sqrt(3 / fan) (He et al., 2015).

    With ``a=sqrt(5)`` (what Linear and Conv2d use by default, as in PyTorch)
    the bound is exactly ``1 / sqrt(fan_in)``.
    """
    fan = _fan(tensor, mode)
    if fan == 0:
        return tensor
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """N(0, std**2) with std = gain / sqrt(fan) (He et al., 2015)."""
    fan = _fan(tensor, mode)
    if fan == 0:
        return tensor
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan))
