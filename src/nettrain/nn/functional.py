"""``nettrain.nn.functional``: the operations layers are built from, by
PyTorch's names (``import nettrain.nn.functional as F``). Each is a thin
front to one ``Function`` in ``nettrain.ops`` (or a short composition)."""
from __future__ import annotations

import warnings

from .. import backend
from ..autograd import is_grad_enabled
from ..functions import where
from ..ops import elementwise as E
from ..ops import nn as N
from ..tensor import as_tensor


def linear(input, weight, bias=None):  # noqa: A002 - PyTorch's argument names
    if bias is None:
        return N.Linear.apply(input, weight)
    return N.Linear.apply(input, weight, bias)


def conv2d(input, weight, bias=None, stride=1, padding=0):  # noqa: A002
    if bias is None:
        return N.Conv2d.apply(input, weight, stride=stride, padding=padding)
    return N.Conv2d.apply(input, weight, bias, stride=stride, padding=padding)


def max_pool2d(input, kernel_size, stride=None, padding=0):  # noqa: A002
    return N.MaxPool2d.apply(input, kernel_size=kernel_size, stride=stride, padding=padding)


def avg_pool2d(input, kernel_size, stride=None, padding=0):  # noqa: A002
    return N.AvgPool2d.apply(input, kernel_size=kernel_size, stride=stride, padding=padding)


def relu(input):  # noqa: A002
    return E.Relu.apply(input)


def sigmoid(input):  # noqa: A002
    return E.Sigmoid.apply(input)


def tanh(input):  # noqa: A002
    return E.Tanh.apply(input)


def _implicit_softmax_dim(name, ndim, stacklevel):
    """PyTorch's choice when ``dim`` is not given (0 for 0-, 1- and 3-D
    input, else 1), with its deprecation warning pointing at the caller."""
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. "
        f"Change the call to include dim=X as an argument.",
        UserWarning, stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def leaky_relu(input, negative_slope=0.01, inplace=False):  # noqa: A002
    """x where x > 0, else ``negative_slope * x`` (computed out of place;
    ``inplace`` is accepted for PyTorch's sake)."""
    return where(input > 0, input, input * negative_slope)


def softmax(input, dim=None, _stacklevel=3, dtype=None):  # noqa: A002
    """exp(x) / sum(exp(x)) along ``dim``; ``dtype`` casts the input first."""
    if dtype is not None:
        input = input.to(dtype)  # noqa: A001
    if dim is None:
        dim = _implicit_softmax_dim("softmax", input.ndim, _stacklevel)
    return N.Softmax.apply(input, dim=dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):  # noqa: A002
    """log(softmax(x)) along ``dim``, computed stably in one node."""
    if dtype is not None:
        input = input.to(dtype)  # noqa: A001
    if dim is None:
        dim = _implicit_softmax_dim("log_softmax", input.ndim, _stacklevel)
    return N.LogSoftmax.apply(input, dim=dim)


def dropout(input, p=0.5, training=True):  # noqa: A002
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p),
    only when ``training`` (pass the module's ``self.training``)."""
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout probability must be in [0, 1), got {p}")
    if not training or p == 0.0:
        return input
    generator = backend.generators.for_device(input.device)
    xp = backend.get_array_module(input.array)
    keep = backend.sample_uniform(generator, input.shape) >= p  # rows: samples
    mask = xp.asarray(keep, dtype=input.dtype) * input.array.dtype.type(1.0 / (1.0 - p))
    return input * as_tensor(mask)


def cross_entropy(input, target, reduction="mean", label_smoothing=0.0):  # noqa: A002
    """Logits (N, C) and class indices (N,): log-softmax + NLL in one node,
    shown as PyTorch's two (NllLossBackward0 -> LogSoftmaxBackward0)."""
    if not 0.0 <= label_smoothing < 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing}")
    return N.CrossEntropy.apply(input, target, reduction=reduction, label_smoothing=label_smoothing)


def nll_loss(input, target, reduction="mean"):  # noqa: A002
    return N.NLLLoss.apply(input, target, reduction=reduction)


def binary_cross_entropy_with_logits(input, target, reduction="mean"):  # noqa: A002
    if input.shape != target.shape:
        raise ValueError(f"Target size ({target.size()}) must be the same as input size ({input.size()})")
    return N.BCEWithLogits.apply(input, target, reduction=reduction)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):  # noqa: A002
    """Probabilities ``input`` in [0, 1] (after a sigmoid) and targets of the
    same shape (PyTorch refuses other shapes here, unlike mse_loss);
    ``weight`` rescales each element's loss and broadcasts to the target."""
    if input.shape != target.shape:
        raise ValueError(
            f"Using a target size ({target.size()}) that is different to the input size ({input.size()}) "
            "is deprecated. Please ensure they have the same size."
        )
    if input.numel() and not (0.0 <= input.min().item() and input.max().item() <= 1.0):
        raise RuntimeError("all elements of input should be between 0 and 1 (apply a sigmoid first, "
                           "or use binary_cross_entropy_with_logits on the raw scores)")
    if weight is None:
        return N.BinaryCrossEntropy.apply(input, target, reduction=reduction)
    if weight.requires_grad and is_grad_enabled():
        raise RuntimeError(
            "The function 'binary_cross_entropy' is not differentiable with respect to argument 'weight'. "
            "This input cannot have requires_grad True."
        )
    shape = _broadcast_shape(target.shape, weight.shape)
    return N.BinaryCrossEntropy.apply(input, target, weight.expand(shape), reduction=reduction)


def mse_loss(input, target, reduction="mean"):  # noqa: A002
    """Squared error in one node (PyTorch's MseLossBackward0); a target of
    another shape is broadcast with PyTorch's warning."""
    input, target = _broadcast_with_warning(input, target)  # noqa: A001
    return N.MseLoss.apply(input, target, reduction=reduction)


def l1_loss(input, target, reduction="mean"):  # noqa: A002
    """|input - target|, reduced: a composition, as in PyTorch 2.x (its graph
    is MeanBackward0 -> AbsBackward0 -> SubBackward0 too)."""
    input, target = _broadcast_with_warning(input, target)  # noqa: A001
    return _reduce(abs(input - target), reduction)


def _reduce(losses, reduction):
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    if reduction == "none":
        return losses
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _broadcast_with_warning(input, target):  # noqa: A002
    """mse_loss's and l1_loss's inputs as PyTorch takes them: a target of
    another shape is broadcast against the input (torch.broadcast_tensors),
    after a warning, because it is usually a mistake: (N, 1) outputs against
    (N,) targets give an (N, N) loss."""
    if input.shape == target.shape:
        return input, target
    warnings.warn(
        f"Using a target size ({target.size()}) that is different to the input size ({input.size()}). "
        "This will likely lead to incorrect results due to broadcasting. "
        "Please ensure they have the same size.",
        stacklevel=3,  # the line that called mse_loss / l1_loss
    )
    shape = _broadcast_shape(input.shape, target.shape)
    return [t if t.shape == shape else t.expand(shape) for t in (input, target)]


def _broadcast_shape(a, b):
    """The shape two shapes broadcast to, or PyTorch's error naming the first
    dimension where they cannot."""
    ndim = max(len(a), len(b))
    a, b = (1,) * (ndim - len(a)) + tuple(a), (1,) * (ndim - len(b)) + tuple(b)
    for dim, (m, n) in enumerate(zip(a, b)):
        if m != n and 1 not in (m, n):
            raise RuntimeError(
                f"The size of tensor a ({m}) must match the size of tensor b ({n}) at non-singleton dimension {dim}"
            )
    return tuple(n if m == 1 else m for m, n in zip(a, b))
