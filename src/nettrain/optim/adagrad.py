"""Adagrad, step for step as ``torch.optim.Adagrad``."""
from __future__ import annotations

from ..backend import get_array_module
from typing import Annotated

from ..config.checks import Number
from ..registry import register
from .optimizer import Optimizer, check_hyperparameter


def adagrad_update(param, grad, state_sum, *, step, lr, lr_decay, weight_decay, eps):
    """One Adagrad step on arrays, in place (``step`` counts from 1; the
    hyper-parameters are keyword-only, as in ``torch.optim.adagrad.adagrad``)::

        g = grad + weight_decay * param
        clr = lr / (1 + (step - 1) * lr_decay)
        sum += g * g
        param -= clr * g / (sqrt(sum) + eps)
    """
    xp = get_array_module(param)
    if weight_decay != 0:
        grad = grad + weight_decay * param
    clr = lr / (1 + (step - 1) * lr_decay)
    state_sum += grad * grad
    std = xp.sqrt(state_sum)
    std += eps
    xp.divide(grad, std, out=std)
    std *= clr
    param -= std


@register("optimizer", "adagrad", "Adagrad: per-parameter rates from the sum of squared gradients")
class Adagrad(Optimizer):
    """``Adagrad(params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10)``."""

    def __init__(
        self,
        params,
        lr: Annotated[float, Number(ge=0), "learning rate"] = 1e-2,
        lr_decay: Annotated[float, Number(ge=0), "learning rate decay"] = 0.0,
        weight_decay: Annotated[float, Number(ge=0), "L2 penalty coefficient"] = 0.0,
        initial_accumulator_value: Annotated[float, Number(ge=0), "starting value of the squared-gradient sums"] = 0.0,
        eps: Annotated[float, Number(ge=0), "added to the denominator for stability"] = 1e-10,
    ):
        check_hyperparameter(lr >= 0.0, f"Invalid learning rate: {lr}")
        check_hyperparameter(lr_decay >= 0.0, f"Invalid lr_decay value: {lr_decay}")
        check_hyperparameter(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        check_hyperparameter(initial_accumulator_value >= 0.0,
                             f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        check_hyperparameter(eps >= 0.0, f"Invalid epsilon value: {eps}")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps))

    def _init_state(self, param, group):
        xp = get_array_module(param.array)
        return {"step": 0, "sum": xp.full_like(param.array, group["initial_accumulator_value"])}

    def _update(self, param, grad, state, group):
        state["step"] += 1
        adagrad_update(param, grad, state["sum"], step=state["step"], lr=group["lr"], lr_decay=group["lr_decay"],
                       weight_decay=group["weight_decay"], eps=group["eps"])
