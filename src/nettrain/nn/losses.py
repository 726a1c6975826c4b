"""Loss functions as Modules, by PyTorch's names: ``criterion = CrossEntropyLoss()``
then ``loss = criterion(logits, targets)``. Each calls the function of the
same meaning in ``nettrain.nn.functional``.

Each registers under the name a config's ``loss.name`` picks, with what the
trainer must know about it, kept here rather than in ``if`` chains:

- ``task``: "classification" (class labels), "binary" (two classes, one
  logit) or "any" (targets of the model output's shape: regression values,
  or one-hot rows after the ``one_hot`` transform);
- ``targets``: "class_indices" (int64, shape (N,)), "binary" (float 0/1,
  shape (N, 1)) or "values" (float, the output's shape);
- ``model_output``: "logits" (raw scores), "log_probabilities" (the model
  ends in ``LogSoftmax``, as PyTorch's ``NLLLoss`` expects) or "one_logit".
"""
from __future__ import annotations

import warnings
from typing import Annotated

from ..config.checks import Number
from ..registry import register
from . import functional as F
from .module import Module

_REDUCTIONS = ("mean", "sum", "none")


def _legacy_reduction(size_average, reduce):
    """PyTorch's mapping of the old ``size_average``/``reduce`` flags (still in
    older tutorials: ``MSELoss(size_average=False)``) to ``reduction``."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = "none" if not reduce else ("mean" if size_average else "sum")
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use reduction='{reduction}' instead.",
        UserWarning, stacklevel=3,
    )
    return reduction


class _Loss(Module):
    """Prints as ``MSELoss()`` whatever the options, as PyTorch's losses do."""

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        if size_average is not None or reduce is not None:
            reduction = _legacy_reduction(size_average, reduce)
        if reduction not in _REDUCTIONS:
            raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
        self.reduction = reduction


def _unsupported(name, **options):
    given = {k: v for k, v in options.items() if v is not None}
    if given:
        raise ValueError(f"{name}: nettrain does not support {', '.join(f'{k}=' for k in given)} yet; leave it out")


@register("loss", "mse", "mean squared error (regression, or classes after one_hot)",
          task="any", targets="values", model_output="logits")
class MSELoss(_Loss):
    """Mean squared error between input and target (same shapes)."""

    def forward(self, input, target):  # noqa: A002 - PyTorch's argument names
        return F.mse_loss(input, target, self.reduction)


@register("loss", "l1", "mean absolute error (regression, or classes after one_hot)",
          task="any", targets="values", model_output="logits")
class L1Loss(_Loss):
    """Mean absolute error between input and target (same shapes)."""

    def forward(self, input, target):  # noqa: A002
        return F.l1_loss(input, target, self.reduction)


@register("loss", "cross_entropy", "cross-entropy of the logits and the class labels",
          task="classification", targets="class_indices", model_output="logits")
class CrossEntropyLoss(_Loss):
    """Logits (N, C) and integer class indices (N,); optional label smoothing."""

    def __init__(
        self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
        label_smoothing: Annotated[float, Number(ge=0, lt=1), "share of the target spread over all classes"] = 0.0,
    ):
        super().__init__(size_average, reduce, reduction)
        _unsupported("CrossEntropyLoss", weight=weight, ignore_index=None if ignore_index == -100 else ignore_index)
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing}")
        self.label_smoothing = label_smoothing

    def forward(self, input, target):  # noqa: A002
        return F.cross_entropy(input, target, self.reduction, self.label_smoothing)


@register("loss", "nll", "negative log-likelihood (PyTorch's NLLLoss): the model ends in LogSoftmax",
          task="classification", targets="class_indices", model_output="log_probabilities")
class NLLLoss(_Loss):
    """Log-probabilities (N, C) (from LogSoftmax) and integer class indices (N,)."""

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        _unsupported("NLLLoss", weight=weight, ignore_index=None if ignore_index == -100 else ignore_index)

    def forward(self, input, target):  # noqa: A002
        return F.nll_loss(input, target, self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy on probabilities (after a Sigmoid) and 0/1 targets of the same shape."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.weight = weight

    def forward(self, input, target):  # noqa: A002
        return F.binary_cross_entropy(input, target, self.weight, self.reduction)


@register("loss", "bce_with_logits", "binary cross-entropy on one logit per sample (two-class data)",
          task="binary", targets="binary", model_output="one_logit")
class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on raw scores (logits) and 0/1 float targets of the same shape."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        _unsupported("BCEWithLogitsLoss", weight=weight, pos_weight=pos_weight)

    def forward(self, input, target):  # noqa: A002
        return F.binary_cross_entropy_with_logits(input, target, self.reduction)
