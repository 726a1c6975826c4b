"""A YAML file or a mapping in, a validated ``Config`` out; ``--set`` overrides applied on the way."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .checks import Where, describe
from .schema import Config
from .sections import build_section, field_names, required_keys
from .yamlfile import load_text, read_yaml


def _default_name(source: str) -> str:
    return "run" if source.startswith("<") else Path(source).stem


def _fill_derived_defaults(cfg: Config, where: Where) -> Config:
    """Defaults that depend on other keys or on the file."""
    if cfg.name is None:
        cfg.name = _default_name(where.source)
    if cfg.scheduler is not None:  # a schedule's length defaults to the run's (cosine's T_max)
        for f in dataclasses.fields(cfg.scheduler.options):
            if f.metadata["default_doc"] == "train.epochs" and getattr(cfg.scheduler.options, f.name) is None:
                setattr(cfg.scheduler.options, f.name, cfg.train.epochs)
    return cfg


def _from_mapping(raw, where: Where) -> Config:
    if raw is None:
        where.fail(f"is empty; a config needs at least {and_list(required_keys(Config))} sections")
    if not isinstance(raw, dict):
        where.fail(f"the top level must be a mapping of sections ({', '.join(f + ':' for f in field_names(Config))}), "
                   f"got {describe(raw)}")
    return _fill_derived_defaults(build_section(Config, raw, where), where)


def and_list(names: list[str]) -> str:
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)


def config_from_dict(d, source: str = "<dict>") -> Config:
    """Validate a mapping (as YAML would give it) into a Config; ``source`` names it in messages."""
    return _from_mapping(d, Where(str(source)))


_OVERRIDE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*")


def _parse_override(text: str, source: str) -> tuple[tuple, Any]:
    """"optimizer.lr=0.05" -> (("optimizer", "lr"), 0.05); the value is read as YAML."""
    dotted, sep, value = text.partition("=")
    dotted = dotted.strip()
    if not sep or not _OVERRIDE_KEY.fullmatch(dotted):
        raise ConfigError(f"{source}: --set {_shown(text)}: expected KEY=VALUE with a dotted key, e.g. optimizer.lr=0.05")
    parsed = load_text(value, f"{source}: --set {_shown(text)}: the value") if value.strip() else None
    return tuple(dotted.split(".")), parsed


def _shown(text: str) -> str:
    """An override as a message shows it: cut short, never unbounded."""
    return text if len(text) <= 80 else text[:77] + "..."


def _apply_override(raw: dict, path: tuple, value, text: str, source: str):
    node = raw
    for depth, part in enumerate(path[:-1]):
        if node.get(part) is None:
            node[part] = {}
        elif not isinstance(node[part], dict):
            dotted = ".".join(path[: depth + 1])
            raise ConfigError(f"{source}: --set {text}: {dotted} is {describe(node[part])}, not a section, "
                              f"so it has no key {path[depth + 1]!r}")
        node = node[part]
    node[path[-1]] = value


def load_config(path, overrides=()) -> Config:
    """Read a YAML config, apply ``--set`` overrides ("a.b=value"), validate; ConfigError on any mistake."""
    path = Path(path)
    source = str(path)
    raw, marks = read_yaml(path)
    if raw is None or not isinstance(raw, dict):
        return _from_mapping(raw, Where(source))  # fails: empty or not a mapping
    applied = []
    for text in overrides:
        dotted, value = _parse_override(text, source)
        _apply_override(raw, dotted, value, text, source)
        applied.append((dotted, text))
    return _from_mapping(raw, Where(source, overrides=tuple(applied), marks=marks))

