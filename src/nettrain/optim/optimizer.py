"""``Optimizer``: the base of SGD, Adagrad, RMSprop, Adam and AdamW.

An optimizer holds ``param_groups`` (a list of dicts: ``"params"`` plus the
options, so groups can use different learning rates) and ``state`` (per
parameter: the step count and buffers such as ``momentum_buffer``).

``step()`` updates each parameter's array IN PLACE, outside any graph: the
update rules are small functions on raw arrays (``sgd_update`` ...), which a
test can call directly and which keep the training hot path free of Tensor
overhead.

``register_step_pre_hook(hook)`` / ``register_step_post_hook(hook)``
(PyTorch's) run ``hook(optimizer, args, kwargs)`` around every ``step()``:
changes to the update that act on the gradients (global-norm clipping, an
L1 penalty's gradient: ``nettrain.optim.step_hooks``) are pre-hooks, in the
order registered, rather than ``if``s in a training loop.

``state_dict()`` keys the per-parameter state by the parameter's POSITION
across the groups (0, 1, 2 ...), never by ``id()``, so a state saved in one
process loads into a fresh optimizer in another, as in PyTorch.
"""
from __future__ import annotations

import copy
from collections import OrderedDict

from .. import backend
from ..nn.module import zero_grads
from ..autograd import increment_version
from ..tensor import Tensor, as_tensor
from ..utils.hooks import RemovableHandle


class Optimizer:
    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}  # Parameter -> {"step": int, "<buffer>": array, ...}
        self.param_groups = []
        # id -> hook(optimizer, args, kwargs), in order; PyTorch's names (an
        # OrderedDict: a RemovableHandle holds a weak reference to it)
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, "
                f"but got {type(params).__name__}"
            )
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group):
        """Add a dict ``{"params": [...], <option>: value}``; missing options take the defaults."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, got {type(param_group).__name__}")
        params = param_group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        group = {**self.defaults, **param_group, "params": params}
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params) or any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group (or twice in one)")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        """Forget the gradients: ``p.grad = None`` (default), or fill them with zeros."""
        zero_grads((p for group in self.param_groups for p in group["params"]), set_to_none)

    def register_step_pre_hook(self, hook) -> RemovableHandle:
        """Run ``hook(optimizer, args, kwargs)`` before every ``step()``, after
        the hooks registered before it (``args``: step's arguments, the
        optimizer first, as in PyTorch). It may change the gradients in place,
        or return ``(new_args, new_kwargs)`` for the step (None: keep them).
        ``handle.remove()`` unregisters it."""
        return self._add_step_hook(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook) -> RemovableHandle:
        """Run ``hook(optimizer, args, kwargs)`` after every ``step()``; its result is ignored."""
        return self._add_step_hook(self._optimizer_step_post_hooks, hook)

    @staticmethod
    def _add_step_hook(hooks: dict, hook) -> RemovableHandle:
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def step(self, closure=None):
        """One update of every parameter that has a gradient. ``closure``
        (optional) re-evaluates the model and returns the loss. The step's
        hooks, when there are any, run before and after the update."""
        if not (self._optimizer_step_pre_hooks or self._optimizer_step_post_hooks):
            return self._step(closure)
        # As PyTorch's wrapper: args are step's own, the optimizer first.
        args, kwargs = ((self, closure) if closure is not None else (self,)), {}
        for hook in list(self._optimizer_step_pre_hooks.values()):
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(
                        f"{hook} must return None or a tuple of (new_args, new_kwargs), but got {result}."
                    )
                args, kwargs = result
        loss = args[0]._step(*args[1:], **kwargs)
        for hook in list(self._optimizer_step_post_hooks.values()):
            hook(self, args, kwargs)
        return loss

    def _step(self, closure=None):
        loss = None
        if closure is not None:
            from ..autograd import enable_grad

            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state.get(p)
                if state is None:
                    state = self.state[p] = self._init_state(p, group)
                self._update(p.array, p.grad.array, state, group)
                increment_version(p)  # a graph that saved p's old value must notice
        return loss

    # subclasses define these two
    def _init_state(self, param, group) -> dict:
        raise NotImplementedError

    def _update(self, param, grad, state, group):
        raise NotImplementedError

    # ------------------------------------------------------------------ state dict

    def _positions(self):
        """Each parameter with its position across the groups, in order."""
        index = 0
        for group in self.param_groups:
            for p in group["params"]:
                yield index, p
                index += 1

    def state_dict(self):
        """``{"state": {position: {"step": int, name: Tensor}}, "param_groups":
        [{options..., "params": [positions]}]}``. Buffers are Tensors sharing
        memory with the optimizer (save or copy them to keep a snapshot)."""
        state = {}
        for index, p in self._positions():
            if p in self.state:
                state[index] = {
                    k: (as_tensor(v) if _is_array(v) else v) for k, v in self.state[p].items()
                }
        groups, start = [], 0
        for group in self.param_groups:
            options = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            options["params"] = list(range(start, start + len(group["params"])))
            start += len(group["params"])
            groups.append(options)
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore options and per-parameter state saved by ``state_dict()``
        (here or in another process). Arrays are copied onto each parameter's
        device in its dtype; a mismatch in group count, group sizes or
        buffer shapes is a ValueError naming what differs."""
        if not isinstance(state_dict, dict) or "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError("optimizer state dict must be a dict with 'state' and 'param_groups' keys")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has {len(saved_groups)} parameter groups, this optimizer has "
                f"{len(self.param_groups)}"
            )
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"loaded state dict contains a parameter group that doesn't match the size of "
                    f"optimizer's group: group {i} has {len(saved['params'])} parameters saved, "
                    f"{len(group['params'])} here"
                )
        params = dict(self._positions())
        new_state = {}
        for key, saved in state_dict["state"].items():
            index = int(key)
            if index not in params:
                raise ValueError(f"loaded optimizer state refers to parameter {index}, but there are only {len(params)}")
            p = params[index]
            entry = {}
            for name, value in saved.items():
                if name == "step" or not (isinstance(value, Tensor) or _is_array(value)):
                    entry[name] = value
                    continue
                array = value.array if isinstance(value, Tensor) else value
                if tuple(array.shape) != p.shape:
                    raise ValueError(
                        f"loaded optimizer state {name!r} of parameter {index} has shape "
                        f"{tuple(array.shape)}, but the parameter has shape {tuple(p.shape)}"
                    )
                entry[name] = backend.to_device(array, p.device).astype(p.dtype, copy=True)
            new_state[p] = entry
        for saved, group in zip(saved_groups, self.param_groups):
            group.update({k: copy.deepcopy(v) for k, v in saved.items() if k != "params"})
        self.state = new_state

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines) + "\n)"


def _is_array(value):
    return hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, Tensor)


def check_hyperparameter(ok, message):
    """Raise PyTorch's ValueError ("Invalid learning rate: -1") when not ``ok``."""
    if not ok:
        raise ValueError(message)
