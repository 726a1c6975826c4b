"""How a config section is declared (``key(...)`` fields on a dataclass) and built from a mapping.

A plain section is a dataclass whose fields are keys; a ``ChoiceSection``
picks one of several ``Choice``s by its choice key (``name``, ``dataset``)
and reads that choice's options into ``.options``. ``build_section`` turns a
mapping (as YAML gives it) into the dataclass, with every check applied and
unknown keys named with a "did you mean".
"""
from __future__ import annotations

import copy
import dataclasses
import functools
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .. import registry
from ..registry import REQUIRED
from .checks import Check, Nullable, OneOf, Where, did_you_mean


class Section(Check):
    """A mapping read into a section dataclass (see ``build_section``)."""

    def __init__(self, cls: type):
        self.cls = cls

    def expected(self) -> str:
        needed = required_keys(self.cls)
        return f"a mapping with at least {', '.join(needed)}" if needed else "a mapping"

    def __call__(self, value, where):
        if not isinstance(value, dict):
            self._wrong(value, where)
        return build_section(self.cls, value, where)


# ---------------------------------------------------------------------------
# Declaring keys and choices
# ---------------------------------------------------------------------------


def key(check: Check, help: str, default=REQUIRED, default_doc: str | None = None, resumable: bool = False):
    """A config key: its check, its help text and its default (REQUIRED: none).

    ``default`` is the value as a person would write it in YAML (it is run
    through ``check`` like a given value); ``default_doc`` says in words what
    a derived default is (e.g. "train.epochs"). ``resumable``: the key may
    differ between a run and its ``--resume`` (how long and how often, where
    things are, not what is learned).
    """
    return field(metadata={"check": check, "help": help, "default": default, "default_doc": default_doc,
                           "resumable": resumable})


@dataclass(frozen=True)
class Choice:
    """One entry of a choice section: the names that pick it, its help and the options it takes."""

    names: tuple
    options: type  # a dataclass of key(...) fields
    help: tuple = ()  # one line per name
    label: str = ""  # how messages name a group of names ("the synthetic data sets")
    together: Any = None  # options -> (key, problem) or None: a rule over several options

    def describe(self) -> str:
        return self.label or ", ".join(self.names)


def options_class(entry: registry.Entry) -> type:
    """A dataclass of ``key(...)`` fields from a registered constructor's annotated parameters."""
    fields = []
    for option in entry.options():
        check, default, doc = option.check, option.default, None
        if option.derived is not None:
            check, default, doc = Nullable(check), None, option.derived.doc
        fields.append((option.name, Any, key(check, option.help, default, doc)))
    name = getattr(entry.target, "__name__", entry.name).title().replace("_", "")
    return dataclasses.make_dataclass(f"{name}Options", fields)


@functools.cache
def registry_choices(kind: str) -> tuple:
    """The registered ``kind`` as Choices; names registered with the same ``group`` share one."""
    by_target: dict = {}
    for entry in registry.entries(kind).values():
        by_target.setdefault(entry.meta.get("group") or entry.name, []).append(entry)
    choices = []
    for group in by_target.values():
        first = group[0]
        helps = tuple(e.help for e in group)
        choices.append(Choice(tuple(e.name for e in group), options_class(first), helps,
                              first.meta.get("group", ""), first.meta.get("together")))
    return tuple(choices)


class RegistryName(Check):
    """One of the names registered for ``kind`` (read from the registry when first asked)."""

    def __init__(self, kind: str):
        self.kind = kind

    def names(self) -> tuple:
        return tuple(name for choice in registry_choices(self.kind) for name in choice.names)

    def expected(self) -> str:
        return OneOf(self.names()).expected()

    def __call__(self, value, where):
        return OneOf(self.names())(value, where)


class ChoiceSection:
    """A section where ``CHOICE_KEY`` picks one of the registered ``KIND`` and the remaining keys are its options.

    The dataclass's own fields are the choice key and the keys every choice
    shares; the picked choice's options are read into ``self.options``.
    """

    CHOICE_KEY: ClassVar[str] = "name"
    KIND: ClassVar[str] = ""

    def kwargs(self) -> dict:
        """The chosen entry's options as a plain dict (keyword arguments for the class it configures)."""
        return dataclasses.asdict(self.options)

    @classmethod
    def choices(cls) -> tuple:
        return registry_choices(cls.KIND)

    @classmethod
    def choice_for(cls, name: str) -> Choice:
        return next(choice for choice in cls.choices() if name in choice.names)

    def entry(self) -> registry.Entry:
        """The registry entry the choice key picked (its ``target`` builds it)."""
        return registry.entry(self.KIND, getattr(self, self.CHOICE_KEY))


def choice_key(kind: str, help: str, default=REQUIRED):
    return key(RegistryName(kind), help, default)


def options_field():
    return field(metadata={"options": True})


def own_fields(cls) -> list:
    """A section's key fields (the choice section's ``options`` holder is not a key)."""
    return [f for f in dataclasses.fields(cls) if not f.metadata.get("options")]


def required_keys(cls) -> list[str]:
    return [f.name for f in own_fields(cls) if f.metadata["default"] is REQUIRED]


# ---------------------------------------------------------------------------
# Building sections from mappings
# ---------------------------------------------------------------------------


def _reject_unknown_keys(mapping: dict, known: list[str], where: Where, explain=None):
    for name in mapping:
        if name in known:
            continue
        if explain is not None:
            explain(name)  # a choice section names a key that belongs to another choice
        name = str(name)
        listing = f"; {where.dotted() or 'the top level'} takes {', '.join(known)}"
        where.child(name).fail(f"unknown key{did_you_mean(name, known) or listing}")


def _resolve(fields, mapping: dict, where: Where) -> dict:
    values = {}
    for f in fields:
        check, default = f.metadata["check"], f.metadata["default"]
        if f.name in mapping:
            raw = mapping[f.name]
        elif default is REQUIRED:
            kind = "section" if isinstance(check, Section) else "key"
            where.child(f.name).fail(f"required {kind} is missing; expected {check.expected()}")
        else:
            raw = copy.deepcopy(default)
        values[f.name] = check(raw, where.child(f.name))
    return values


def _build_plain(cls, mapping: dict, where: Where):
    fields = own_fields(cls)
    _reject_unknown_keys(mapping, [f.name for f in fields], where)
    section = cls(**_resolve(fields, mapping, where))
    if hasattr(section, "check_together"):
        section.check_together(where)
    return section


def _build_choice_section(cls, mapping: dict, where: Where):
    fields = own_fields(cls)
    choice_field = next(f for f in fields if f.name == cls.CHOICE_KEY)
    chosen = _resolve([choice_field], mapping, where)[cls.CHOICE_KEY]
    choice = cls.choice_for(chosen)
    option_fields = dataclasses.fields(choice.options)
    option_names = [f.name for f in option_fields]

    def belongs_elsewhere(name):
        owners = [c.describe() for c in cls.choices() if c is not choice and name in field_names(c.options)]
        if owners:
            takes = f"{chosen} takes {', '.join(option_names)}" if option_names else f"{chosen} takes no options"
            where.child(name).fail(
                f"{name!r} is not an option of {chosen} (it belongs to {', '.join(owners)}); {takes}")

    _reject_unknown_keys(mapping, [f.name for f in fields] + option_names, where, belongs_elsewhere)
    common = _resolve([f for f in fields if f is not choice_field], mapping, where)
    options = choice.options(**_resolve(option_fields, mapping, where))
    problem = choice.together(dataclasses.asdict(options)) if choice.together else None
    if problem:
        where.child(problem[0]).fail(problem[1])
    return cls(**{cls.CHOICE_KEY: chosen}, **common, options=options)


def build_section(cls, mapping: dict, where: Where):
    if issubclass(cls, ChoiceSection):
        return _build_choice_section(cls, mapping, where)
    return _build_plain(cls, mapping, where)


def field_names(cls) -> list[str]:
    return [f.name for f in own_fields(cls)]


def to_plain(value):
    if isinstance(value, ChoiceSection):
        plain = {f.name: to_plain(getattr(value, f.name)) for f in own_fields(type(value))}
        plain.update(to_plain(value.options))
        return plain
    if dataclasses.is_dataclass(value):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list):
        return [to_plain(item) for item in value]
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    return value

