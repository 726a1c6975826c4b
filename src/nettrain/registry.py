"""One registry per configurable kind: the names a config can pick, and the keys each takes.

Each model, loss, optimizer, scheduler, data set and transform registers
once, next to its definition, with a one-line help text::

    @register("optimizer", "sgd", "stochastic gradient descent, with momentum and Nesterov")
    class SGD(Optimizer):
        def __init__(self, params,
                     lr: Annotated[float, Number(ge=0), "learning rate"] = 1e-3, ...):

A constructor parameter annotated with a check (``nettrain.config.checks``)
and a help string is a config key: its name, its default and its limit are
the constructor's, so the config cannot drift from the class (LightningCLI's
idea, kept in nettrain's flat YAML). Parameters without such an annotation
(``params``, ``optimizer``, sizes the trainer fills in) are not keys.
``Derived(...)`` (``FROM_DATA``: the data set) marks a parameter a config
may leave null for nettrain to fill in.

The config schema (``nettrain.config.schema``), the README's reference, the
"did you mean" lists and the trainer's dispatch (``entry(kind, name).target``)
are all generated from here. Registration has no side effect beyond the
table; ``entries(kind)`` imports the module that defines that kind first,
so asking is enough.
"""
from __future__ import annotations

import dataclasses
import importlib
import inspect
import typing
from typing import Any

# Where each kind's definitions live (imported on first use of the kind).
HOMES = {
    "dataset": "nettrain.data.datasets",
    "transform": "nettrain.data.transforms",
    "model": "nettrain.models",
    "loss": "nettrain.nn.losses",
    "optimizer": "nettrain.optim",
    "scheduler": "nettrain.optim.lr_scheduler",
    "augmentation": "nettrain.data.augment",
}

_TABLE: dict[str, dict[str, Entry]] = {kind: {} for kind in HOMES}


@dataclasses.dataclass(frozen=True)
class Derived:
    """Annotation marker: the key may be null, and null means ``doc`` (filled in by the loader or the trainer)."""

    doc: str


# A size the trainer reads off the data set (a model's inputs and outputs).
FROM_DATA = Derived("from the data set")


class _Required:
    def __repr__(self):
        return "required"


REQUIRED = _Required()


@dataclasses.dataclass(frozen=True)
class Option:
    """One config key of a registered entry, read from its constructor's signature."""

    name: str
    check: Any          # a nettrain.config.checks.Check
    help: str
    default: Any        # REQUIRED when the constructor has none
    derived: Derived | None = None  # null allowed, meaning derived.doc


@dataclasses.dataclass(frozen=True)
class Entry:
    """A registered name: what it builds (``target``), its help line and its metadata."""

    kind: str
    name: str
    target: Any
    help: str
    meta: dict

    def options(self) -> list[Option]:
        """The constructor's annotated parameters, in signature order."""
        return _options(self.target)


def register(kind: str, name: str, help: str, **meta):
    """Class (or function) decorator: ``name`` in ``kind``'s table builds it; ``meta`` rides along."""
    if kind not in _TABLE:
        raise ValueError(f"unknown registry kind {kind!r}; expected one of {', '.join(_TABLE)}")

    def decorate(target):
        if name in _TABLE[kind]:
            raise ValueError(f"{kind} {name!r} is registered twice")
        _TABLE[kind][name] = Entry(kind, name, target, help, dict(meta))
        return target

    return decorate


def entries(kind: str) -> dict[str, Entry]:
    """Every registered ``kind`` by name, in registration order."""
    importlib.import_module(HOMES[kind])
    return dict(_TABLE[kind])


def entry(kind: str, name: str) -> Entry:
    return entries(kind)[name]


def _options(target) -> list[Option]:
    function = target.__init__ if inspect.isclass(target) else target
    hints = typing.get_type_hints(function, include_extras=True)
    out = []
    for parameter in inspect.signature(function).parameters.values():
        hint = hints.get(parameter.name)
        if typing.get_origin(hint) is not typing.Annotated:
            continue
        extras = hint.__metadata__
        checks = [x for x in extras if hasattr(x, "expected")]
        helps = [x for x in extras if isinstance(x, str)]
        if not checks or not helps:
            continue
        default = REQUIRED if parameter.default is inspect.Parameter.empty else parameter.default
        if isinstance(default, tuple):
            default = list(default)  # as YAML writes it
        derived = next((x for x in extras if isinstance(x, Derived)), None)
        out.append(Option(parameter.name, checks[0], helps[0], default, derived))
    return out
