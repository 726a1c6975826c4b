"""Containers: Modules that hold other modules (or parameters) so that they
are registered, named and listed, by PyTorch's names: ``Sequential`` (also
calls them in order), ``ModuleList``, ``ModuleDict``, ``ParameterList``,
``ParameterDict``.

Children are stored in the Module's ordered dicts under their index
(``"0"``, ``"1"``, ...) or key, so ``state_dict()`` keys read
``layers.0.weight`` as in PyTorch.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping

from ..tensor import Tensor
from .module import Module, Parameter


def _normalize_index(index, length, what):
    if not isinstance(index, int) or isinstance(index, bool):
        raise TypeError(f"{what} indices must be integers or slices, not {type(index).__name__}")
    if not -length <= index < length:
        raise IndexError(f"index {index} is out of range")
    return index % length


# --------------------------------------------------------------------------- module containers


class Sequential(Module):
    """Modules called one after the other; children are named ``0``, ``1``, ...
    (or by the keys of an OrderedDict). Indexable and sliceable."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(modules):
                self.add_module(str(index), module)

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)(OrderedDict(list(self._modules.items())[index]))
        return list(self._modules.values())[_normalize_index(index, len(self), "Sequential")]

    def __setitem__(self, index, module):
        key = list(self._modules)[_normalize_index(index, len(self), "Sequential")]
        self.add_module(key, module)

    def __delitem__(self, index):
        keys = list(self._modules)
        for key in keys[index] if isinstance(index, slice) else [keys[_normalize_index(index, len(keys), "Sequential")]]:
            del self._modules[key]
        _renumber(self)

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        _insert(self, index, module)
        return self


class ModuleList(Module):
    """A list of modules, registered as children ``0``, ``1``, ...; iterate it
    in ``forward`` (it has no ``forward`` of its own)."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)(list(self._modules.values())[index])
        return self._modules[str(_normalize_index(index, len(self), "ModuleList"))]

    def __setitem__(self, index, module):
        self.add_module(str(_normalize_index(index, len(self), "ModuleList")), module)

    def __delitem__(self, index):
        keys = list(self._modules)
        for key in keys[index] if isinstance(index, slice) else [keys[_normalize_index(index, len(keys), "ModuleList")]]:
            del self._modules[key]
        _renumber(self)

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        return type(self)([*self, *other])

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        if not hasattr(modules, "__iter__"):
            raise TypeError(f"ModuleList.extend should be called with an iterable, but got {type(modules).__name__}")
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        _insert(self, index, module)

    def pop(self, index=-1):
        module = self[index]
        del self[index]
        return module

    def __repr__(self):
        # PyTorch 2's compact form: runs of identical children print once,
        # as "(0-9): 10 x Linear(...)".
        reprs = [repr(m) for m in self]
        if not reprs:
            return f"{type(self).__name__}()"
        runs = []  # [first index, last index, text]
        for i, text in enumerate(reprs):
            if runs and runs[-1][2] == text:
                runs[-1][1] = i
            else:
                runs.append([i, i, text])
        lines = []
        for first, last, text in runs:
            label = f"({first}): " if first == last else f"({first}-{last}): {last - first + 1} x "
            lines.append((label + text).replace("\n", "\n  "))
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """An ordered dict of modules, registered as children under their keys."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def clear(self):
        self._modules.clear()

    def pop(self, key):
        module = self._modules[key]
        del self._modules[key]
        return module

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def update(self, modules):
        pairs = modules.items() if isinstance(modules, Mapping) else modules
        for pair in pairs:
            if not isinstance(pair, Mapping) and len(pair) == 2:
                key, module = pair
            else:
                raise TypeError(f"ModuleDict.update expects a mapping or (key, module) pairs, got {pair!r}")
            self[key] = module


# --------------------------------------------------------------------------- parameter containers


def _as_parameter(value, where):
    if isinstance(value, Parameter):
        return value
    if isinstance(value, Tensor):
        return Parameter(value)  # as PyTorch 2: a plain tensor put in the list becomes a parameter
    raise TypeError(f"{where} holds Parameters (or Tensors), got {type(value).__name__}")


def _parameter_line(key, p):
    size = "x".join(str(n) for n in p.shape)
    device = f" ({p.device})" if p.device.type != "cpu" else ""
    return f"  ({key}): Parameter containing: [{p.dtype} of size {size}{device}]"


class ParameterList(Module):
    """A list of parameters, registered as ``0``, ``1``, ... (tensors are
    wrapped into Parameters)."""

    def __init__(self, values=None):
        super().__init__()
        if values is not None:
            self.extend(values)

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)(list(self._parameters.values())[index])
        return self._parameters[str(_normalize_index(index, len(self), "ParameterList"))]

    def __setitem__(self, index, value):
        key = str(_normalize_index(index, len(self), "ParameterList"))
        self.register_parameter(key, _as_parameter(value, "ParameterList"))

    def __iadd__(self, values):
        return self.extend(values)

    def append(self, value):
        self.register_parameter(str(len(self)), _as_parameter(value, "ParameterList"))
        return self

    def extend(self, values):
        if isinstance(values, Tensor) or not hasattr(values, "__iter__"):
            raise TypeError(f"ParameterList.extend should be called with an iterable, but got {type(values).__name__}")
        for value in values:
            self.append(value)
        return self

    def extra_repr(self):
        return "\n".join(_parameter_line(i, p) for i, p in enumerate(self))

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterList should not be called.")


class ParameterDict(Module):
    """An ordered dict of parameters, registered under their keys."""

    def __init__(self, parameters=None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key):
        return self._parameters[key]

    def __setitem__(self, key, value):
        self.register_parameter(key, _as_parameter(value, "ParameterDict"))

    def __delitem__(self, key):
        del self._parameters[key]

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters)

    def __contains__(self, key):
        return key in self._parameters

    def keys(self):
        return self._parameters.keys()

    def items(self):
        return self._parameters.items()

    def values(self):
        return self._parameters.values()

    def update(self, parameters):
        pairs = parameters.items() if isinstance(parameters, Mapping) else parameters
        for key, value in pairs:
            self[key] = value

    def extra_repr(self):
        return "\n".join(_parameter_line(k, p) for k, p in self.items())

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterDict should not be called.")


# --------------------------------------------------------------------------- helpers


def _insert(container, index, module):
    """Insert ``module`` before position ``index`` and renumber the children."""
    items = list(container._modules.values())
    items.insert(index, module)
    container._modules.clear()
    for i, m in enumerate(items):
        container.add_module(str(i), m)


def _renumber(container):
    """After a deletion, name the remaining children ``0``, ``1``, ... again,
    as PyTorch does (an OrderedDict-built Sequential too)."""
    items = list(container._modules.values())
    container._modules.clear()
    for i, m in enumerate(items):
        container._modules[str(i)] = m
