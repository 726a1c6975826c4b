"""Stochastic gradient descent with momentum, dampening, Nesterov momentum
and weight decay, step for step as ``torch.optim.SGD``."""
from __future__ import annotations

from typing import Annotated

from ..config.checks import Boolean, ListOf, Number
from ..registry import register
from .optimizer import Optimizer, check_hyperparameter


def sgd_update(param, grad, momentum_buffer, *, lr, momentum, dampening, nesterov, weight_decay):
    """One SGD step on arrays, in place on ``param`` (and the buffer).

    The hyper-parameters are keyword-only (as in ``torch.optim.sgd.sgd``), so
    two of them swapped is an error, not a run that trains wrong.

    ::

        g = grad + weight_decay * param
        buf = g                                   (first step)
        buf = momentum * buf + (1 - dampening) * g    (later steps)
        g = g + momentum * buf   if nesterov   else   buf
        param -= lr * g

    Returns the momentum buffer (``None`` without momentum); ``grad`` is never changed.
    """
    d_p = grad + weight_decay * param if weight_decay != 0 else grad
    if momentum != 0:
        if momentum_buffer is None:
            momentum_buffer = d_p.copy()
        else:
            momentum_buffer *= momentum
            momentum_buffer += d_p if dampening == 0 else (1 - dampening) * d_p
        d_p = d_p + momentum * momentum_buffer if nesterov else momentum_buffer
    param -= lr * d_p
    return momentum_buffer


def nesterov_problem(options: dict):
    """Nesterov momentum needs momentum > 0 and dampening 0: (key, message) when it does not hold."""
    if options["nesterov"] and (options["momentum"] <= 0 or options["dampening"] != 0):
        return "nesterov", ("Nesterov momentum needs momentum > 0 and dampening = 0 (as in PyTorch); "
                            f"got momentum {options['momentum']:g} and dampening {options['dampening']:g}")
    return None


@register("optimizer", "sgd", "stochastic gradient descent, with momentum, Nesterov and weight decay",
          together=nesterov_problem)
class SGD(Optimizer):
    """``SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False)``.

    ``weight_decay`` is L2 regularisation (adds ``weight_decay * w`` to the
    gradient); for L1 add ``nettrain.nn.utils.l1_penalty`` to the loss, or
    register ``nettrain.optim.L1Penalty`` as a step pre-hook.
    """

    def __init__(
        self,
        params,
        lr: Annotated[float, Number(ge=0), "learning rate"] = 1e-3,
        momentum: Annotated[float, Number(ge=0), "momentum factor"] = 0.0,
        dampening: Annotated[float, Number(), "dampening for momentum"] = 0.0,
        weight_decay: Annotated[float, Number(ge=0), "L2 penalty coefficient"] = 0.0,
        nesterov: Annotated[bool, Boolean(), "Nesterov momentum (needs momentum > 0 and dampening 0)"] = False,
    ):
        check_hyperparameter(lr >= 0.0, f"Invalid learning rate: {lr}")
        check_hyperparameter(momentum >= 0.0, f"Invalid momentum value: {momentum}")
        check_hyperparameter(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        check_hyperparameter(not nesterov or (momentum > 0 and dampening == 0),
                             "Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def _init_state(self, param, group):
        return {"momentum_buffer": None}

    def _update(self, param, grad, state, group):
        state["momentum_buffer"] = sgd_update(
            param, grad, state["momentum_buffer"], lr=group["lr"], momentum=group["momentum"],
            dampening=group["dampening"], nesterov=group["nesterov"], weight_decay=group["weight_decay"],
        )
