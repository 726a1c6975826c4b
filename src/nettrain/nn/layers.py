"""Layers: Modules that hold parameters (or a mode) and call one function of
``nettrain.nn.functional`` in ``forward``.

Default initialisation is PyTorch's: weights ``kaiming_uniform_(a=sqrt(5))``,
which is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and biases from the same range.
Parameters are float32 unless ``dtype=`` says otherwise (float64 for
gradient checks).
"""
from __future__ import annotations

import math

from .. import backend
from ..autograd import increment_version, no_grad
from ..tensor import as_tensor, empty, ones, tensor, zeros
from . import functional as F
from . import init
from .module import Module, Parameter


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


class Identity(Module):
    """Returns its input unchanged (a placeholder where a layer is optional)."""

    def forward(self, x):
        return x


# --------------------------------------------------------------------------- layers with weights


class Linear(Module):
    """``y = x @ weight.T + bias``, weight of shape (out_features, in_features)."""

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(empty(out_features, in_features, dtype=dtype, device=device))
        self.bias = Parameter(empty(out_features, dtype=dtype, device=device)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        _default_init(self.weight, self.bias)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Conv2d(Module):
    """2-D convolution (cross-correlation) of (N, C, H, W) input with
    ``weight`` (out_channels, in_channels, kh, kw)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True,
                 device=None, dtype=None):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = _pair(kernel_size), _pair(stride), _pair(padding)
        self.weight = Parameter(empty(out_channels, in_channels, *self.kernel_size, dtype=dtype, device=device))
        self.bias = Parameter(empty(out_channels, dtype=dtype, device=device)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        _default_init(self.weight, self.bias)

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self):
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.bias is None:
            text += ", bias=False"
        return text


def _default_init(weight, bias):
    """PyTorch's default for Linear and Conv2d."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = init._calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        init.uniform_(bias, -bound, bound)


# --------------------------------------------------------------------------- pooling


class _Pool2d(Module):
    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__(kernel_size, stride, padding)
        if dilation not in (1, (1, 1)) or return_indices or ceil_mode:
            raise ValueError(
                "MaxPool2d: nettrain supports dilation=1, return_indices=False and ceil_mode=False only, "
                f"got dilation={dilation}, return_indices={return_indices}, ceil_mode={ceil_mode}"
            )
        self.dilation, self.ceil_mode = dilation, ceil_mode

    def extra_repr(self):
        return super().extra_repr() + f", dilation={self.dilation}, ceil_mode={self.ceil_mode}"

    def forward(self, x):
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)


class AvgPool2d(_Pool2d):
    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding)


# --------------------------------------------------------------------------- activations and shape


class ReLU(Module):
    """max(x, 0). ``inplace=True`` is accepted and printed as in PyTorch; the
    result is computed out of place here (same values, one more array)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return F.relu(x)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """x for x > 0, ``negative_slope * x`` below (computed out of place, as ReLU)."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class Sigmoid(Module):
    def forward(self, x):
        return F.sigmoid(x)


class Tanh(Module):
    def forward(self, x):
        return F.tanh(x)


class Softmax(Module):
    """Softmax along ``dim``; without one, PyTorch's implicit choice and its warning."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.softmax(x, self.dim, _stacklevel=5)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    def forward(self, x):
        return F.log_softmax(x, self.dim, _stacklevel=5)


class Flatten(Module):
    """Flatten dims ``start_dim..end_dim`` (by default all but the batch dim)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """In training mode, zero each element with probability ``p`` and scale
    the rest by 1/(1-p); in eval mode, the identity."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability must be in [0, 1), got {p}")
        self.p, self.inplace = p, inplace  # inplace: accepted, computed out of place (as ReLU)

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


# --------------------------------------------------------------------------- batch normalisation


class _BatchNorm(Module):
    """Normalise each channel by the batch's mean and (biased) variance in
    training, by the running estimates in eval; then scale and shift.

    Running statistics follow PyTorch: ``running = (1 - momentum) * running +
    momentum * batch_stat``, with the UNBIASED batch variance for
    ``running_var``; ``momentum=None`` gives the cumulative average.
    """

    reduce_dims: dict = {}  # input ndim -> the dims statistics are taken over

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(ones(num_features, dtype=dtype, device=device))
            self.bias = Parameter(zeros(num_features, dtype=dtype, device=device))
        else:
            self.weight = self.bias = None
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype, device=device))
            self.register_buffer("running_var", ones(num_features, dtype=dtype, device=device))
            self.register_buffer("num_batches_tracked", tensor(0, dtype=backend.int64, device=device))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def _check_input(self, x):
        if x.ndim not in self.reduce_dims:
            expected = " or ".join(f"{n}D" for n in self.reduce_dims)
            raise ValueError(f"{type(self).__name__}: expected {expected} input (got {x.ndim}D input)")
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}({self.num_features}): input has {x.shape[1]} channels "
                f"(shape {tuple(x.shape)}); they must match"
            )

    def forward(self, x):
        self._check_input(x)
        dims = self.reduce_dims[x.ndim]
        shape = [1] * x.ndim
        shape[1] = self.num_features  # statistics broadcast over all dims but the channel
        if self.training or not self.track_running_stats:
            count = x.numel() // self.num_features
            if self.training and count <= 1:
                raise ValueError(f"Expected more than 1 value per channel when training, got input size {tuple(x.shape)}")
            mean = x.mean(dims, keepdim=True)
            var = x.var(dims, keepdim=True, unbiased=False)
            out = (x - mean) / (var + self.eps).sqrt()
            if self.training and self.track_running_stats:
                self._update_running_stats(mean.array, var.array, count)
        else:
            xp = backend.get_array_module(x.array)
            inv_std = 1.0 / xp.sqrt(self.running_var.array + self.eps)
            out = (x - self.running_mean.reshape(shape)) * as_tensor(inv_std.reshape(shape))
        if self.affine:
            out = out * self.weight.reshape(shape) + self.bias.reshape(shape)
        return out

    def _update_running_stats(self, batch_mean, batch_var, count):
        with no_grad():
            self.num_batches_tracked.array += 1
            if self.momentum is None:  # cumulative moving average
                m = 1.0 / float(self.num_batches_tracked.item())
            else:
                m = self.momentum
            unbiased_var = batch_var.reshape(-1) * (count / (count - 1))
            for buffer, value in ((self.running_mean, batch_mean.reshape(-1)), (self.running_var, unbiased_var)):
                buffer.array *= 1 - m
                buffer.array += m * value.astype(buffer.dtype, copy=False)
                increment_version(buffer)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) input."""

    reduce_dims = {2: (0,), 3: (0, 2)}


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) input, one mean and variance per channel."""

    reduce_dims = {4: (0, 2, 3)}
