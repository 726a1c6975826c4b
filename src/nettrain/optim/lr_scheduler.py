"""Learning-rate schedules, as ``torch.optim.lr_scheduler``: ``StepLR``,
``MultiStepLR``, ``ExponentialLR``, ``CosineAnnealingLR`` (usually stepped
once per epoch), ``LinearLR`` (warm-up), ``OneCycleLR`` (stepped once per
optimizer step) and ``SequentialLR`` (one schedule after another, e.g. a
linear warm-up then cosine).

Create the scheduler after the optimizer (it records each group's
``initial_lr``) and call ``scheduler.step()`` after the ``optimizer.step()``
calls of each interval (epoch, or step for the per-step schedules). Each ``step()`` moves ``last_epoch`` on
by one and writes the new rate into the optimizer's groups; the rules are
PyTorch's recursive ("chainable") forms, so the numbers match PyTorch's and
the closed forms given in each docstring.
"""
from __future__ import annotations

import bisect
import math
from typing import Annotated

from ..config.checks import Boolean, Integer, ListOf, Number, OneOf
from ..registry import Derived, register
from .optimizer import Optimizer


def _positive_gamma(gamma):
    # PyTorch does not check; a rate multiplied by 0 or a negative number is
    # never what a person meant, and the config refuses it too.
    if not gamma > 0:
        raise ValueError(f"gamma must be > 0, got {gamma!r}")
    return gamma


class LRScheduler:
    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when resuming an optimizer"
                    )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self):
        """Step 0: write the first rates (for most schedules, the base rates)."""
        self._step_count = 0
        self.step()

    def get_lr(self):
        """The rates for ``self.last_epoch`` (already advanced), from the current ones."""
        raise NotImplementedError

    def get_last_lr(self):
        """The rates the last ``step()`` set, one per parameter group."""
        return self._last_lr

    def step(self):
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self):
        """Every attribute but the optimizer (numbers and lists: saves as is)."""
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)

    def _current_lrs(self):
        return [group["lr"] for group in self.optimizer.param_groups]

    def _restart_at(self, epoch):
        """Jump to ``epoch`` and write the closed-form rates there (what
        PyTorch's ``_update_lr(epoch)`` does when SequentialLR hands over)."""
        self.last_epoch = epoch
        for group, lr in zip(self.optimizer.param_groups, self.closed_form_lr()):
            group["lr"] = lr
        self._last_lr = self._current_lrs()


@register("scheduler", "step", "multiply the rate by gamma every step_size epochs")
class StepLR(LRScheduler):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs:
    ``lr = base_lr * gamma ** (epoch // step_size)``."""

    def __init__(
        self,
        optimizer,
        step_size: Annotated[int, Integer(ge=1), "epochs between decays"],
        gamma: Annotated[float, Number(gt=0), "factor the learning rate is multiplied by"] = 0.1,
        last_epoch=-1,
    ):
        if not isinstance(step_size, int) or step_size < 1:
            raise ValueError(f"step_size must be a positive int, got {step_size!r}")
        self.step_size, self.gamma = step_size, _positive_gamma(gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def closed_form_lr(self):
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


@register("scheduler", "multistep", "multiply the rate by gamma at each milestone epoch")
class MultiStepLR(LRScheduler):
    """Multiply the rate by ``gamma`` at each milestone epoch:
    ``lr = base_lr * gamma ** (number of milestones <= epoch)``."""

    def __init__(
        self,
        optimizer,
        milestones: Annotated[list, ListOf(Integer(ge=1), min_length=1, increasing=True), "epochs at which to decay"],
        gamma: Annotated[float, Number(gt=0), "factor the learning rate is multiplied by"] = 0.1,
        last_epoch=-1,
    ):
        self.milestones = sorted(int(m) for m in milestones)
        self.gamma = _positive_gamma(gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        hits = self.milestones.count(self.last_epoch)
        if not hits:
            return self._current_lrs()
        return [lr * self.gamma ** hits for lr in self._current_lrs()]

    def closed_form_lr(self):
        return [base * self.gamma ** bisect.bisect_right(self.milestones, self.last_epoch) for base in self.base_lrs]


@register("scheduler", "exponential", "multiply the rate by gamma every epoch")
class ExponentialLR(LRScheduler):
    """Multiply the rate by ``gamma`` every epoch: ``lr = base_lr * gamma ** epoch``."""

    def __init__(
        self,
        optimizer,
        gamma: Annotated[float, Number(gt=0), "factor the learning rate is multiplied by every epoch"],
        last_epoch=-1,
    ):
        self.gamma = _positive_gamma(gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def closed_form_lr(self):
        return [base * self.gamma ** self.last_epoch for base in self.base_lrs]


@register("scheduler", "cosine", "cosine from the base rate down to eta_min over T_max epochs")
class CosineAnnealingLR(LRScheduler):
    """Cosine from ``base_lr`` down to ``eta_min`` over ``T_max`` epochs:
    ``lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2``
    (and back up after ``T_max``, as PyTorch's recursion does)."""

    def __init__(
        self,
        optimizer,
        T_max: Annotated[int, Integer(ge=1), "intervals of one half cosine", Derived("the rest of the run after the warm-up")],  # noqa: N803
        eta_min: Annotated[float, Number(ge=0), "lowest learning rate"] = 0.0,
        last_epoch=-1,
    ):
        if not isinstance(T_max, int) or T_max < 1:
            raise ValueError(f"T_max must be a positive int, got {T_max!r}")
        if eta_min < 0:
            raise ValueError(f"eta_min must be >= 0, got {eta_min!r}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        epoch, t_max, eta_min = self.last_epoch, self.T_max, self.eta_min
        if epoch == 0:
            return self._current_lrs()
        if self._step_count == 1 and epoch > 0:  # resumed with last_epoch given
            return self.closed_form_lr()
        if (epoch - 1 - t_max) % (2 * t_max) == 0:
            return [lr + (base - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
                    for lr, base in zip(self._current_lrs(), self.base_lrs)]
        return [(1 + math.cos(math.pi * epoch / t_max)) / (1 + math.cos(math.pi * (epoch - 1) / t_max))
                * (lr - eta_min) + eta_min for lr in self._current_lrs()]

    def closed_form_lr(self):
        return [self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for base in self.base_lrs]


@register("scheduler", "linear", "scale the rate linearly from start_factor to end_factor over total_iters")
class LinearLR(LRScheduler):
    """Scale the rate linearly from ``start_factor`` to ``end_factor`` of the
    base rate over ``total_iters`` steps, then keep it (a warm-up):
    ``lr = base_lr * (start_factor + (end_factor - start_factor) * min(t, total_iters) / total_iters)``."""

    def __init__(
        self,
        optimizer,
        start_factor: Annotated[float, Number(gt=0, le=1), "share of the base rate at the start"] = 1.0 / 3,
        end_factor: Annotated[float, Number(ge=0, le=1), "share of the base rate at the end"] = 1.0,
        total_iters: Annotated[int, Integer(ge=1), "intervals (epochs or steps) from start to end"] = 5,
        last_epoch=-1,
    ):
        if not 0 < start_factor <= 1:
            raise ValueError("Starting multiplicative factor expected to be greater than 0 and less or equal to 1.")
        if not 0 <= end_factor <= 1:
            raise ValueError("Ending multiplicative factor expected to be between 0 and 1.")
        if not isinstance(total_iters, int) or total_iters < 1:
            raise ValueError(f"total_iters must be a positive int, got {total_iters!r}")
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in self._current_lrs()]
        if self.last_epoch > self.total_iters:
            return self._current_lrs()
        change = self.end_factor - self.start_factor
        factor = 1.0 + change / (self.total_iters * self.start_factor + (self.last_epoch - 1) * change)
        return [lr * factor for lr in self._current_lrs()]

    def closed_form_lr(self):
        progress = min(self.total_iters, self.last_epoch) / self.total_iters
        return [base * (self.start_factor + (self.end_factor - self.start_factor) * progress)
                for base in self.base_lrs]


@register("scheduler", "onecycle", "the 1cycle policy: up to max_lr, then down far below the start")
class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin), stepped after every optimizer step.

    The rate rises from ``max_lr / div_factor`` to ``max_lr`` over the first
    ``pct_start`` of ``total_steps``, then falls to ``initial_lr /
    final_div_factor``; with ``three_phase`` it first falls back to the initial
    rate, then to the minimum. Each phase interpolates with
    ``anneal(start, end, pct)``: cosine ``end + (start - end) * (1 + cos(pi * pct)) / 2``
    or linear ``start + (end - start) * pct``. With ``cycle_momentum`` the
    momentum (SGD) or ``beta1`` (Adam) moves the opposite way between
    ``max_momentum`` and ``base_momentum``. The phase limits live in each
    parameter group (``initial_lr``, ``max_lr``, ``min_lr``, ...) as in
    PyTorch, so they travel in the optimizer's state dict.
    """

    def __init__(
        self,
        optimizer,
        max_lr: Annotated[float, Number(gt=0), "the peak learning rate"],
        total_steps: Annotated[int, Integer(ge=1), "intervals of the whole cycle",
                               Derived("the rest of the run after the warm-up")] = None,
        epochs=None,
        steps_per_epoch=None,
        pct_start: Annotated[float, Number(ge=0, le=1), "share of the cycle spent rising to max_lr"] = 0.3,
        anneal_strategy: Annotated[str, OneOf(("cos", "linear")), "shape of the rise and fall"] = "cos",
        cycle_momentum: Annotated[bool, Boolean(), "move SGD's momentum / Adam's beta1 against the rate"] = True,
        base_momentum: Annotated[float, Number(ge=0, lt=1), "momentum at the peak rate"] = 0.85,
        max_momentum: Annotated[float, Number(ge=0, lt=1), "momentum at the lowest rates"] = 0.95,
        div_factor: Annotated[float, Number(gt=0), "the start rate is max_lr / div_factor"] = 25.0,
        final_div_factor: Annotated[float, Number(gt=0), "the end rate is the start rate / final_div_factor"] = 1e4,
        three_phase: Annotated[bool, Boolean(), "fall back to the start rate before annealing"] = False,
        last_epoch=-1,
    ):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        if total_steps is not None:
            if not isinstance(total_steps, int) or total_steps <= 0:
                raise ValueError(f"Expected positive integer total_steps, but got {total_steps}")
        elif epochs is not None and steps_per_epoch is not None:
            if not isinstance(epochs, int) or epochs <= 0:
                raise ValueError(f"Expected positive integer epochs, but got {epochs}")
            if not isinstance(steps_per_epoch, int) or steps_per_epoch <= 0:
                raise ValueError(f"Expected positive integer steps_per_epoch, but got {steps_per_epoch}")
            total_steps = epochs * steps_per_epoch
        else:
            raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
        if isinstance(pct_start, int) and not isinstance(pct_start, bool):
            pct_start = float(pct_start)  # YAML's 0 and 1 (PyTorch insists on a float)
        if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")
        for name, value, low, high in (("max_lr", max_lr, 0, math.inf), ("div_factor", div_factor, 0, math.inf),
                                       ("final_div_factor", final_div_factor, 0, math.inf)):
            if not all(low < v < high for v in (value if isinstance(value, (list, tuple)) else [value])):
                raise ValueError(f"{name} must be > 0, got {value!r}")
        for name, value in (("base_momentum", base_momentum), ("max_momentum", max_momentum)):
            if not all(0 <= v < 1 for v in (value if isinstance(value, (list, tuple)) else [value])):
                raise ValueError(f"{name} must be in [0, 1), got {value!r}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self.total_steps, self.anneal_strategy, self.cycle_momentum = total_steps, anneal_strategy, cycle_momentum
        #            (end step,                          start lr,      end lr,        start momentum,  end momentum)
        if three_phase:
            self.phases = [(pct_start * total_steps - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                           (2 * pct_start * total_steps - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                           (total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
        else:
            self.phases = [(pct_start * total_steps - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                           (total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]
        groups = optimizer.param_groups
        if last_epoch == -1:
            for group, top in zip(groups, _per_group("max_lr", max_lr, groups)):
                group["initial_lr"] = top / div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError("optimizer must support momentum or beta1 with `cycle_momentum` option enabled")
            self.use_beta1 = "betas" in optimizer.defaults
            if last_epoch == -1:
                for group, high, low in zip(groups, _per_group("max_momentum", max_momentum, groups),
                                            _per_group("base_momentum", base_momentum, groups)):
                    _set_momentum(group, high, self.use_beta1)
                    group["max_momentum"], group["base_momentum"] = high, low
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self):
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"Tried to step {step} times. The specified number of total steps is {self.total_steps}")
        rates = []
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, (end_step, lr_from, lr_to, m_from, m_to) in enumerate(self.phases):
                if step <= end_step or i == len(self.phases) - 1:
                    pct = (step - start_step) / (end_step - start_step)
                    rates.append(self._anneal(group[lr_from], group[lr_to], pct))
                    if self.cycle_momentum:
                        _set_momentum(group, self._anneal(group[m_from], group[m_to], pct), self.use_beta1)
                    break
                start_step = end_step
        return rates

    closed_form_lr = get_lr  # the schedule is a function of the step alone


class SequentialLR(LRScheduler):
    """Run ``schedulers[0]`` until ``milestones[0]``, then ``schedulers[1]``
    from its own step 0, and so on (e.g. ``LinearLR`` warm-up for 5 epochs,
    then ``CosineAnnealingLR``). Build the inner schedulers on the same
    optimizer first; their state travels inside this one's state dict."""

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        if len(schedulers) < 1:
            raise ValueError("SequentialLR expects at least one scheduler, but got no scheduler.")
        for i, scheduler in enumerate(schedulers):
            if getattr(scheduler, "optimizer", None) is not optimizer:
                raise ValueError(f"SequentialLR expects all schedulers to belong to the same optimizer, "
                                 f"but the scheduler at index {i} does not")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError("Sequential Schedulers expects number of schedulers provided to be one more than the "
                             f"number of milestone points, but got number of schedulers {len(schedulers)} and the "
                             f"number of milestones to be equal to {len(milestones)}")
        self.optimizer = optimizer
        self._schedulers = list(schedulers)
        self._milestones = [int(m) for m in milestones]
        self.last_epoch = last_epoch + 1
        # The inner schedulers each took their step 0 when built: undo that, and
        # start only the one that runs at step 0.
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        for scheduler in self._schedulers:
            scheduler.last_epoch -= 1
        first = self._schedulers[bisect.bisect_right(self._milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def step(self):
        self.last_epoch += 1
        index = bisect.bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        if index > 0 and self._milestones[index - 1] == self.last_epoch:
            scheduler._restart_at(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self):
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
        state = dict(state_dict)
        inner = state.pop("_schedulers")
        self.__dict__.update(state)
        for scheduler, saved in zip(self._schedulers, inner):
            scheduler.load_state_dict(saved)


def _per_group(name, value, groups):
    """One value per parameter group: a list/tuple as given (one each), or one number for all."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(groups):
            raise ValueError(f"expected {len(groups)} values for {name}, got {len(value)}")
        return list(value)
    return [value] * len(groups)


def _set_momentum(group, value, use_beta1):
    if use_beta1:
        group["betas"] = (value, *group["betas"][1:])
    else:
        group["momentum"] = value

