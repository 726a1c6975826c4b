"""The README's config reference and the list of every dotted key, generated from the schema."""
from __future__ import annotations

import dataclasses

import yaml

from .checks import Check, Nullable
from .schema import Config
from .sections import REQUIRED, ChoiceSection, Section, field_names, own_fields


def _doc_default(f) -> str:
    meta = f.metadata
    if meta["default"] is REQUIRED:
        return "required"
    if meta["default_doc"]:
        return meta["default_doc"]
    if meta["default"] == {}:
        return "all defaults"
    literal = yaml.safe_dump(meta["default"], default_flow_style=True).strip().removesuffix("...").strip()
    return f"`{literal}`"


def _doc_type(check: Check) -> str:
    inner = check.inner if isinstance(check, Nullable) else check
    if isinstance(inner, Section):
        return "section (below)" + (" or null" if inner is not check else "")
    return check.expected()


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _doc_table(fields, prefix: str) -> list[str]:
    lines = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for f in fields:
        meta = f.metadata
        lines.append(f"| `{prefix}{f.name}` | {_cell(_doc_type(meta['check']))} | "
                     f"{_cell(_doc_default(f))} | {_cell(meta['help'])} |")
    return lines


def _section_class(check: Check):
    inner = check.inner if isinstance(check, Nullable) else check
    return inner.cls if isinstance(inner, Section) else None


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def schema_reference() -> str:
    """Every section, key, type, default and meaning, as Markdown (for the README)."""
    lines = ["### Every config key", "", "Top-level keys:", ""]
    lines += _doc_table(own_fields(Config), "")
    for f in own_fields(Config):
        cls = _section_class(f.metadata["check"])
        if cls is None:
            continue
        lines += ["", f"### `{f.name}`", "", cls.__doc__.strip().splitlines()[0], ""]
        lines += _doc_table(own_fields(cls), f"{f.name}.")
        if issubclass(cls, ChoiceSection):
            for choice in cls.choices():
                names = ", ".join(f"`{name}`" for name in choice.names)
                option_fields = dataclasses.fields(choice.options)
                lines += ["", f"#### `{f.name}.{cls.CHOICE_KEY}`: {names}", ""]
                if len(choice.names) == 1:
                    lines += [_sentence(choice.help[0]), ""]
                else:
                    lines += [f"- `{name}`: {text}" for name, text in zip(choice.names, choice.help)] + [""]
                lines += _doc_table(option_fields, f"{f.name}.") if option_fields else ["No options of its own."]
        for inner in own_fields(cls):  # a section inside a section (train.early_stopping)
            inner_cls = _section_class(inner.metadata["check"])
            if inner_cls is not None:
                lines += ["", f"#### `{f.name}.{inner.name}`", "", inner_cls.__doc__.strip().splitlines()[0], ""]
                lines += _doc_table(own_fields(inner_cls), f"{f.name}.{inner.name}.")
    return "\n".join(lines) + "\n"


def schema_keys() -> list[str]:
    """Every dotted key a config can have (each choice's options included), e.g. "optimizer.momentum"."""
    keys = []
    for f in own_fields(Config):
        keys.append(f.name)
        cls = _section_class(f.metadata["check"])
        if cls is None:
            continue
        names = field_names(cls)
        if issubclass(cls, ChoiceSection):
            names += [n for choice in cls.choices() for n in field_names(choice.options)]
        keys += [f"{f.name}.{n}" for n in dict.fromkeys(names)]
        for inner in own_fields(cls):
            inner_cls = _section_class(inner.metadata["check"])
            if inner_cls is not None:
                keys += [f"{f.name}.{inner.name}.{n}" for n in field_names(inner_cls)]
    return keys


def resumable_keys() -> set[str]:
    """The dotted keys marked ``resumable`` in the schema: they may change on ``--resume``."""
    keys = set()
    for f in own_fields(Config):
        if f.metadata["resumable"]:
            keys.add(f.name)
        cls = _section_class(f.metadata["check"])
        if cls is not None:
            keys.update(f"{f.name}.{g.name}" for g in own_fields(cls) if g.metadata["resumable"])
    return keys
