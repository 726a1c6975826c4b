"""Helpers a training loop uses on a model's parameters: gradient clipping
and the L1 penalty."""
from __future__ import annotations

import math

from .. import backend
from ..tensor import Tensor, as_tensor, tensor
from .module import Module


def _tensors(parameters):
    if isinstance(parameters, Module):
        return list(parameters.parameters())
    if isinstance(parameters, Tensor):
        return [parameters]
    return list(parameters)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale the gradients in place so that their joint norm is at most
    ``max_norm``, as ``torch.nn.utils.clip_grad_norm_``: every gradient is
    multiplied by ``min(1, max_norm / (total_norm + 1e-6))``.

    Returns the total norm before clipping (a Tensor).
    """
    grads = [p.grad.array for p in _tensors(parameters) if p.grad is not None]
    if not grads:
        return tensor(0.0)
    xp = backend.get_array_module(grads[0])
    norm_type = float(norm_type)
    if math.isinf(norm_type):
        norms = xp.stack([abs(g).max() for g in grads])
        total = norms.max()
    else:
        norms = xp.stack([(abs(g) ** norm_type).sum() for g in grads])
        total = norms.sum() ** (1.0 / norm_type)
    total_norm = float(total)
    if error_if_nonfinite and not math.isfinite(total_norm):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it "
            f"cannot be clipped. To disable this error and scale the gradients by the non-finite norm "
            f"anyway, set `error_if_nonfinite=False`"
        )
    clip_coef = max_norm / (total_norm + 1e-6)
    if clip_coef < 1.0:
        for g in grads:
            g *= g.dtype.type(clip_coef)
    return as_tensor(xp.asarray(total, dtype=grads[0].dtype))


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient element to [-clip_value, clip_value] in place."""
    for p in _tensors(parameters):
        if p.grad is not None:
            backend.get_array_module(p.grad.array).clip(p.grad.array, -clip_value, clip_value, out=p.grad.array)


def l1_penalty(parameters, weight, include_1d=False):
    """The L1 regularisation term ``weight * sum(|w|)``, a Tensor the training
    loop adds to the loss (``loss = criterion(out, y) + l1_penalty(model, 1e-4)``),
    so its gradient ``weight * sign(w)`` flows through the ordinary backward.

    ``parameters``: a Module or an iterable of parameters. Only weights (
    parameters with 2 or more dims) are penalised by default: biases and
    batch-norm scales (1-D) are left out, as weight decay conventions do, since
    pushing them to zero makes nothing sparse. ``include_1d=True`` penalises
    them too. Weight decay (L2) is the optimizers' ``weight_decay`` option.
    """
    if weight < 0:
        raise ValueError(f"Invalid L1 weight: {weight} (must be >= 0)")
    chosen = [p for p in _tensors(parameters) if include_1d or p.ndim > 1]
    if not chosen:
        return tensor(0.0)
    total = abs(chosen[0]).sum()
    for p in chosen[1:]:
        total = total + abs(p).sum()
    return total * weight
