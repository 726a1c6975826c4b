"""``Module`` and ``Parameter``: the base of every layer and model.

A Module keeps what it is made of in three ordered dicts, filled by plain
attribute assignment (``__setattr__`` sorts each value into the right one),
as PyTorch and MiniTorch do::

    class Net(Module):
        def __init__(self):
            super().__init__()
            self.fc = Linear(4, 2)              # -> _modules["fc"]
            self.scale = Parameter(ones(2))     # -> _parameters["scale"]
            self.register_buffer("count", zeros(1))   # -> _buffers["count"]

Names are dotted paths from the root (``features.0.weight``); they are the
keys of ``state_dict()`` and ``named_parameters()``.
"""
from __future__ import annotations

from collections import OrderedDict, namedtuple

import numpy as np

from .. import backend
from ..autograd import increment_version, no_grad
from ..errors import CheckpointError
from ..tensor import Tensor, _to_array
from ..utils.hooks import RemovableHandle


def zero_grads(parameters, set_to_none=True):
    """Forget the gradients of ``parameters``: ``p.grad = None`` (PyTorch's
    default), or fill them with zeros. Shared by Module and Optimizer."""
    for p in parameters:
        if p.grad is None:
            continue
        if set_to_none:
            p.grad = None
        else:
            p.grad.array[...] = 0


class Parameter(Tensor):
    """A Tensor that a Module registers as a learnable parameter.

    ``Parameter(tensor)`` shares the tensor's array (no copy), as in PyTorch,
    and requires grad unless told otherwise. It is a leaf of every graph it
    is used in; results of operations on it are plain Tensors.
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = np.empty((0,), dtype=backend.default_float())
        array = data.array if isinstance(data, Tensor) else _to_array(data)
        # Shares the array (and its version counter) with the tensor it wraps.
        counter = data._version_counter if isinstance(data, Tensor) else None
        Tensor.__init__(self, np.empty(0))  # sets every slot; the data is replaced below
        self.array = array
        if counter is not None:
            self._version_counter = counter
        self.requires_grad_(requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class StateDictError(CheckpointError, RuntimeError):
    """A state dict does not fit the module: missing or unexpected keys, or
    shapes that differ. A person's mistake (a checkpoint for another model),
    and a RuntimeError as in PyTorch."""


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it did not find and the
    ones it did not use (both empty unless ``strict=False``). Prints as
    PyTorch's does."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class Module:
    """Base class of layers and models. Subclasses set their parts as
    attributes in ``__init__`` (after ``super().__init__()``) and define
    ``forward``; calling the module calls ``forward``."""

    def __init__(self):
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args, **kwargs):
        if self._forward_pre_hooks or self._forward_hooks:
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------ hooks

    def register_forward_pre_hook(self, hook):
        """``hook(module, args)`` runs before ``forward``; a value it returns
        (a tuple, or one value) replaces the positional arguments."""
        return self._add_hook(self._forward_pre_hooks, hook)

    def register_forward_hook(self, hook):
        """``hook(module, args, output)`` runs after ``forward``; a value it
        returns (not None) replaces the output. Returns a handle whose
        ``remove()`` unregisters the hook."""
        return self._add_hook(self._forward_hooks, hook)

    @staticmethod
    def _add_hook(hooks, hook):
        if not callable(hook):
            raise TypeError(f"a hook must be callable, got {type(hook).__name__}")
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def _call_with_hooks(self, args, kwargs):
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    # ------------------------------------------------------------------ registration

    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() call; call super().__init__() first"
            )
        params, buffers, modules = self._parameters, self._buffers, self._modules
        if isinstance(value, Parameter):
            self._forget(name, keep=self._parameters)
            params[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    f"(nettrain.nn.Parameter or None expected)"
                )
            params[name] = None
        elif isinstance(value, Module):
            self._forget(name, keep=self._modules)
            modules[name] = value
        elif name in modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as child module '{name}' "
                    f"(nettrain.nn.Module or None expected)"
                )
            modules[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' (Tensor or None expected)")
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name, keep):
        """Remove ``name`` from every store but ``keep``, where it is about to
        be (re)assigned: a replaced child keeps its place, as in PyTorch."""
        for store in (self.__dict__, self._parameters, self._buffers, self._modules):
            if store is not keep:
                store.pop(name, None)
        self._non_persistent_buffers.discard(name)

    def __getattr__(self, name):
        # Only called when normal lookup fails: parameters, buffers and
        # children live in the ordered dicts, not in __dict__.
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' as parameter '{name}' (Parameter or None expected)")
        self._check_name(name)
        self._forget(name, keep=self._parameters)
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """A tensor that is state but not learnable (batch-norm running
        statistics). Persistent buffers are part of ``state_dict()``."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' as buffer '{name}' (Tensor or None expected)")
        self._check_name(name)
        self._forget(name, keep=self._buffers)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent_buffers.add(name)

    def add_module(self, name, module):
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_name(name)
        self._forget(name, keep=self._modules)
        self._modules[name] = module

    register_module = add_module

    @staticmethod
    def _check_name(name):
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"a module attribute name must be a non-empty string without '.', got {name!r}")

    # ------------------------------------------------------------------ walking the tree

    def named_modules(self, prefix=""):
        """(dotted name, module) for this module and every descendant, each once."""
        seen = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{n}" if name else n, m) for n, m in module._modules.items() if m is not None]
            stack.extend(reversed(children))

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        for name, module in self._modules.items():
            if module is not None:
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def _named_members(self, store, prefix, recurse):
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, value in getattr(module, store).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{module_name}.{name}" if module_name else name), value

    def named_parameters(self, prefix="", recurse=True):
        """(dotted name, Parameter), each shared parameter once, in registration order."""
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse=True):
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix="", recurse=True):
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse=True):
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def num_parameters(self, trainable_only=False) -> int:
        """How many numbers the parameters hold (44,426 for LeNet on MNIST)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)

    def apply(self, fn):
        """Call ``fn(module)`` on every child (recursively), then on this module."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ modes and gradients

    def train(self, mode=True):
        """Training mode (dropout active, batch norm uses batch statistics), recursively."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self):
        """Evaluation mode: dropout off, batch norm uses its running statistics."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        zero_grads(self.parameters(), set_to_none)

    # ------------------------------------------------------------------ devices and dtypes

    def to(self, *args, device=None, dtype=None):
        """Move parameters and buffers to a device (and floating ones to a
        dtype) IN PLACE: the Parameter objects stay the same, so an optimizer
        built before the move still holds the right ones."""
        for arg in args:
            if isinstance(arg, (str, backend.Device)) and not _is_dtype(arg):
                device = arg
            else:
                dtype = arg
        device = backend.Device(device) if device is not None else None
        dtype = backend.as_dtype(dtype)
        for t in [*self.parameters(), *self.buffers()]:
            _move_in_place(t, device, dtype)
            if t.grad is not None:
                _move_in_place(t.grad, device, dtype)
        return self

    def cpu(self):
        return self.to("cpu")

    def cuda(self, index=0):
        return self.to(f"cuda:{index}")

    def float(self):
        return self.to(dtype=backend.float32)

    def double(self):
        return self.to(dtype=backend.float64)

    # ------------------------------------------------------------------ state dict

    def state_dict(self, prefix="", keep_vars=False):
        """Ordered ``{dotted name: Tensor}`` of parameters and persistent
        buffers. The tensors are detached but share memory with the module
        (copy them, or save them, to keep a snapshot)."""
        out = OrderedDict()
        for module_name, module in self.named_modules(prefix.rstrip(".")):
            base = f"{module_name}." if module_name else ""
            for name, p in module._parameters.items():
                if p is not None:
                    out[base + name] = p if keep_vars else p.detach()
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent_buffers:
                    out[base + name] = b if keep_vars else b.detach()
        return out

    def load_state_dict(self, state_dict, strict=True):
        """Copy values from ``state_dict`` into the parameters and buffers in
        place (converted to each one's device and dtype).

        Any mismatch raises ONE :class:`StateDictError` listing the missing
        keys, the unexpected keys and the shape differences. With
        ``strict=False`` missing and unexpected keys are allowed (and
        returned); shape differences are always an error.
        """
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        mismatched = []
        for key, target in own.items():
            if key in state_dict:
                shape = tuple(_as_array(state_dict[key]).shape)
                if shape != target.shape:
                    mismatched.append((key, tuple(target.shape), shape))
        problems = []
        if strict and missing:
            problems.append("missing keys: " + ", ".join(missing))
        if strict and unexpected:
            problems.append("unexpected keys: " + ", ".join(unexpected))
        for key, expected, got in mismatched:
            problems.append(f"size mismatch for {key}: the model has shape {expected}, the state dict has {got}")
        if problems:
            raise StateDictError(
                f"error(s) loading the state dict into {type(self).__name__}:\n  " + "\n  ".join(problems)
            )
        with no_grad():
            for key, target in own.items():
                if key in state_dict:
                    target.array[...] = backend.to_device(_as_array(state_dict[key]), target.device)
                    increment_version(target)
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ printing

    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's own line."""
        return ""

    def __repr__(self):
        # PyTorch's layout: one line when there is only a one-line extra_repr,
        # else the extra lines and then each child, indented by two spaces.
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + repr(module).replace("\n", "\n  ") for name, module in self._modules.items()]
        lines = extra_lines + child_lines
        if not lines:
            return f"{type(self).__name__}()"
        if len(extra_lines) == 1 and not child_lines:
            return f"{type(self).__name__}({extra_lines[0]})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))


# --------------------------------------------------------------------------- helpers


def _is_dtype(value):
    try:
        backend.as_dtype(value)
        return True
    except TypeError:
        return False


def _as_array(value):
    """A state-dict value (Tensor, NumPy/CuPy array, number or list) as an array."""
    if isinstance(value, Tensor):
        return value.array
    return value if hasattr(value, "shape") and hasattr(value, "dtype") else np.asarray(value)


def _move_in_place(t, device, dtype):
    data = t.array
    if dtype is not None and data.dtype.kind == "f" and data.dtype != dtype:
        data = data.astype(dtype)
    if device is not None and backend.device_of(data) != device:
        data = backend.to_device(data, device)
    if data is not t.array:
        t.array = data
        increment_version(t)
