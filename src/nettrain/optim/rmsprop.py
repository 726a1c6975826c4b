"""RMSprop (with optional momentum and the centered variant), step for step
as ``torch.optim.RMSprop``."""
from __future__ import annotations

from ..backend import get_array_module
from typing import Annotated

from ..config.checks import Boolean, Number
from ..registry import register
from .optimizer import Optimizer, check_hyperparameter


def rmsprop_update(param, grad, square_avg, grad_avg, momentum_buffer, *, lr, alpha, eps, weight_decay,
                   momentum, centered):
    """One RMSprop step on arrays, in place (the hyper-parameters are
    keyword-only, as in ``torch.optim.rmsprop.rmsprop``)::

        g = grad + weight_decay * param
        square_avg = alpha * square_avg + (1 - alpha) * g * g
        grad_avg = alpha * grad_avg + (1 - alpha) * g             (centered)
        avg = sqrt(square_avg - grad_avg ** 2) + eps   if centered   else   sqrt(square_avg) + eps
        buf = momentum * buf + g / avg;  param -= lr * buf       (momentum > 0)
        param -= lr * g / avg                                     (otherwise)
    """
    xp = get_array_module(param)
    if weight_decay != 0:
        grad = grad + weight_decay * param
    square_avg *= alpha
    square_avg += (1 - alpha) * grad * grad
    if centered:
        grad_avg *= alpha
        grad_avg += (1 - alpha) * grad
        avg = square_avg - grad_avg * grad_avg
        xp.sqrt(avg, out=avg)
    else:
        avg = xp.sqrt(square_avg)
    avg += eps
    xp.divide(grad, avg, out=avg)  # avg now holds g / avg
    if momentum > 0:
        momentum_buffer *= momentum
        momentum_buffer += avg
        param -= lr * momentum_buffer
    else:
        avg *= lr
        param -= avg


@register("optimizer", "rmsprop", "RMSprop: steps scaled by a running average of squared gradients")
class RMSprop(Optimizer):
    """``RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False)``."""

    def __init__(
        self,
        params,
        lr: Annotated[float, Number(ge=0), "learning rate"] = 1e-2,
        alpha: Annotated[float, Number(ge=0), "smoothing constant of the squared-gradient average"] = 0.99,
        eps: Annotated[float, Number(ge=0), "added to the denominator for stability"] = 1e-8,
        weight_decay: Annotated[float, Number(ge=0), "L2 penalty coefficient"] = 0.0,
        momentum: Annotated[float, Number(ge=0), "momentum factor"] = 0.0,
        centered: Annotated[bool, Boolean(), "normalise by the gradient's estimated variance"] = False,
    ):
        check_hyperparameter(lr >= 0.0, f"Invalid learning rate: {lr}")
        check_hyperparameter(eps >= 0.0, f"Invalid epsilon value: {eps}")
        check_hyperparameter(momentum >= 0.0, f"Invalid momentum value: {momentum}")
        check_hyperparameter(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        check_hyperparameter(alpha >= 0.0, f"Invalid alpha value: {alpha}")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered))

    def _init_state(self, param, group):
        xp = get_array_module(param.array)
        state = {"step": 0, "square_avg": xp.zeros_like(param.array)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = xp.zeros_like(param.array)
        if group["centered"]:
            state["grad_avg"] = xp.zeros_like(param.array)
        return state

    def _update(self, param, grad, state, group):
        state["step"] += 1
        rmsprop_update(param, grad, state["square_avg"], state.get("grad_avg"), state.get("momentum_buffer"),
                       lr=group["lr"], alpha=group["alpha"], eps=group["eps"],
                       weight_decay=group["weight_decay"], momentum=group["momentum"], centered=group["centered"])
