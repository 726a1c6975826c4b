"""Loss functions as Modules, by PyTorch's names: ``criterion = CrossEntropyLoss()``
then ``loss = criterion(logits, targets)``. Each calls the function of the
same meaning in ``nettrain.nn.functional``."""
from __future__ import annotations

from . import functional as F
from .module import Module

_REDUCTIONS = ("mean", "sum", "none")


class _Loss(Module):
    def __init__(self, reduction="mean"):
        super().__init__()
        if reduction not in _REDUCTIONS:
            raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
        self.reduction = reduction

    def extra_repr(self):
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """Mean squared error between input and target (same shapes)."""

    def forward(self, input, target):  # noqa: A002 - PyTorch's argument names
        return F.mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    """Mean absolute error between input and target (same shapes)."""

    def forward(self, input, target):  # noqa: A002
        return F.l1_loss(input, target, self.reduction)


class CrossEntropyLoss(_Loss):
    """Logits (N, C) and integer class indices (N,); optional label smoothing."""

    def __init__(self, reduction="mean", label_smoothing=0.0):
        super().__init__(reduction)
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing}")
        self.label_smoothing = label_smoothing

    def forward(self, input, target):  # noqa: A002
        return F.cross_entropy(input, target, self.reduction, self.label_smoothing)

    def extra_repr(self):
        parts = [super().extra_repr()]
        if self.label_smoothing:
            parts.append(f"label_smoothing={self.label_smoothing}")
        return ", ".join(p for p in parts if p)


class NLLLoss(_Loss):
    """Log-probabilities (N, C) (from LogSoftmax) and integer class indices (N,)."""

    def forward(self, input, target):  # noqa: A002
        return F.nll_loss(input, target, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on raw scores (logits) and 0/1 float targets of the same shape."""

    def forward(self, input, target):  # noqa: A002
        return F.binary_cross_entropy_with_logits(input, target, self.reduction)
