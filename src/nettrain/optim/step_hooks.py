"""Changes to the update that act on the gradients, as optimizer step hooks.

Each is a callable for PyTorch's ``optimizer.register_step_pre_hook(hook)``
(DeZero's ``optimizer.add_hook``): it runs at the start of every
``step()``, on the gradients the step is about to use, and returns None::

    optimizer = nt.optim.SGD(model.parameters(), lr=0.1)
    optimizer.register_step_pre_hook(L1Penalty(1e-4))    # first: its gradient is clipped too
    optimizer.register_step_pre_hook(ClipGradNorm(5.0))

The training loop (``nettrain.trainer``) registers them from ``train.l1``
and ``train.grad_clip``. Both see the gradients as they are when ``step()``
is called: in a data-parallel run, the summed ones (the global norm). A
``step(closure)`` computes its gradients after the pre-hooks ran (as in
PyTorch), so these hooks are for the usual backward-then-step loop.
"""
from __future__ import annotations

from .. import backend
from ..nn.utils import clip_grad_norm_


def _params_with_grad(optimizer):
    return [p for group in optimizer.param_groups for p in group["params"] if p.grad is not None]


class ClipGradNorm:
    """Scale the gradients so that their joint 2-norm is at most ``max_norm``
    (``nettrain.nn.utils.clip_grad_norm_`` over every parameter the
    optimizer updates)."""

    def __init__(self, max_norm: float):
        if not max_norm > 0:
            raise ValueError(f"Invalid max_norm: {max_norm} (must be > 0)")
        self.max_norm = float(max_norm)

    def __call__(self, optimizer, args, kwargs):
        clip_grad_norm_(_params_with_grad(optimizer), self.max_norm)

    def __repr__(self):
        return f"ClipGradNorm(max_norm={self.max_norm:g})"


class L1Penalty:
    """Add the gradient of the L1 penalty ``weight * sum(|w|)``, which is
    ``weight * sign(w)``, to each weight's gradient: the update of a loss
    with ``nettrain.nn.utils.l1_penalty(params, weight)`` added, without
    building the penalty's graph every step (the loss a run reports stays
    the data's loss). As ``l1_penalty``, only weights (2 or more dims) by
    default; ``include_1d=True`` adds biases and norm scales."""

    def __init__(self, weight: float, include_1d: bool = False):
        if not weight >= 0:
            raise ValueError(f"Invalid L1 weight: {weight} (must be >= 0)")
        self.weight, self.include_1d = float(weight), include_1d

    def __call__(self, optimizer, args, kwargs):
        for p in _params_with_grad(optimizer):
            if self.include_1d or p.ndim > 1:
                grad = p.grad.array
                grad += backend.get_array_module(grad).sign(p.array) * grad.dtype.type(self.weight)

    def __repr__(self):
        return f"L1Penalty(weight={self.weight:g}, include_1d={self.include_1d})"
