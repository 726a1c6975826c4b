"""Adam (with AMSGrad) and AdamW, step for step as ``torch.optim.Adam`` and
``torch.optim.AdamW``."""
from __future__ import annotations

import math

from ..backend import get_array_module
from typing import Annotated

from ..config.checks import Boolean, ListOf, Number
from ..registry import register
from .optimizer import Optimizer, check_hyperparameter


def adam_update(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, *, step, lr, beta1, beta2, eps,
                weight_decay, amsgrad, decoupled_weight_decay):
    """One Adam step on arrays, in place (``step`` counts from 1; the
    hyper-parameters are keyword-only, as in ``torch.optim.adam.adam``)::

        param *= 1 - lr * weight_decay              (AdamW: decoupled decay)
        g = grad + weight_decay * param             (Adam: L2 in the gradient)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v)                       (amsgrad; used instead of v below)
        denom = sqrt(v) / sqrt(1 - beta2 ** step) + eps
        param -= lr / (1 - beta1 ** step) * m / denom
    """
    xp = get_array_module(param)
    if decoupled_weight_decay:
        param *= 1 - lr * weight_decay
    elif weight_decay != 0:
        grad = grad + weight_decay * param
    exp_avg *= beta1
    exp_avg += (1 - beta1) * grad
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * grad * grad
    if amsgrad:
        xp.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        denom = xp.sqrt(max_exp_avg_sq)
    else:
        denom = xp.sqrt(exp_avg_sq)
    denom /= math.sqrt(1 - beta2 ** step)
    denom += eps
    xp.divide(exp_avg, denom, out=denom)
    denom *= lr / (1 - beta1 ** step)
    param -= denom


@register("optimizer", "adam", "Adam: adaptive moments (L2 weight decay in the gradient)")
class Adam(Optimizer):
    """``Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False)``.

    ``weight_decay`` here is L2 added to the gradient (PyTorch's Adam); AdamW
    decouples it from the adaptive step.
    """

    decoupled_weight_decay = False

    def __init__(
        self,
        params,
        lr: Annotated[float, Number(ge=0), "learning rate"] = 1e-3,
        betas: Annotated[tuple, ListOf(Number(ge=0, lt=1), length=2), "decay rates of the gradient and squared-gradient averages"] = (0.9, 0.999),
        eps: Annotated[float, Number(ge=0), "added to the denominator for stability"] = 1e-8,
        weight_decay: Annotated[float, Number(ge=0), "L2 penalty coefficient"] = 0.0,
        amsgrad: Annotated[bool, Boolean(), "use the AMSGrad variant"] = False,
    ):
        check_hyperparameter(lr >= 0.0, f"Invalid learning rate: {lr}")
        check_hyperparameter(eps >= 0.0, f"Invalid epsilon value: {eps}")
        check_hyperparameter(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
        check_hyperparameter(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
        check_hyperparameter(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad))

    def _init_state(self, param, group):
        xp = get_array_module(param.array)
        state = {"step": 0, "exp_avg": xp.zeros_like(param.array), "exp_avg_sq": xp.zeros_like(param.array)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = xp.zeros_like(param.array)
        return state

    def _update(self, param, grad, state, group):
        state["step"] += 1
        beta1, beta2 = group["betas"]
        adam_update(param, grad, state["exp_avg"], state["exp_avg_sq"], state.get("max_exp_avg_sq"),
                    step=state["step"], lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"],
                    weight_decay=group["weight_decay"], amsgrad=group["amsgrad"],
                    decoupled_weight_decay=self.decoupled_weight_decay)


@register("optimizer", "adamw", "AdamW: Adam with decoupled weight decay")
class AdamW(Adam):
    """``AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False)``:
    Adam with decoupled weight decay (``param *= 1 - lr * weight_decay`` before the step)."""

    decoupled_weight_decay = True

    def __init__(
        self,
        params,
        lr: Annotated[float, Number(ge=0), "learning rate"] = 1e-3,
        betas: Annotated[tuple, ListOf(Number(ge=0, lt=1), length=2), "decay rates of the gradient and squared-gradient averages"] = (0.9, 0.999),
        eps: Annotated[float, Number(ge=0), "added to the denominator for stability"] = 1e-8,
        weight_decay: Annotated[float, Number(ge=0), "L2 penalty coefficient"] = 1e-2,
        amsgrad: Annotated[bool, Boolean(), "use the AMSGrad variant"] = False,
    ):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)
