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
    scheduler = cfg.scheduler
    if scheduler is not None and scheduler.interval == "epoch":
        # A schedule's length (cosine's T_max, onecycle's total_steps) defaults to the rest of the
        # run after the warm-up; per-step schedules learn the run's length in steps from the data.
        for f in dataclasses.fields(scheduler.options):
            if f.metadata["default_doc"] == RUN_LENGTH and getattr(scheduler.options, f.name) is None:
                setattr(scheduler.options, f.name, max(cfg.train.epochs - scheduler.warmup, 1))
    stopping = cfg.train.early_stopping
    if stopping is not None and stopping.mode is None:
        stopping.mode = "max" if stopping.monitor.endswith("_acc") else "min"
    _check_combinations(cfg, where)
    return cfg


# The Derived(...) text of a schedule length that defaults to the rest of the run.
RUN_LENGTH = "the rest of the run after the warm-up"



def scheduler_warms_up_onecycle(cfg: Config) -> bool:
    return cfg.scheduler is not None and cfg.scheduler.name == "onecycle" and cfg.scheduler.warmup > 0


REGRESSION_DATASETS = ("linear", "cubic")
IMAGE_DATASETS = ("mnist", "fashion-mnist")


def _check_combinations(cfg: Config, where: Where):
    """Keys that are each valid but do not go together."""
    train = where.child("train")
    stopping = cfg.train.early_stopping
    if stopping is not None:
        at = train.child("early_stopping").child("monitor")
        split, _, metric = stopping.monitor.partition("_")
        if split == "test":
            at.fail(f"{stopping.monitor} would choose when to stop by the test data, which must stay unseen "
                    f"until the end; monitor val_{metric} (with data.val_split) or train_{metric}")
        if split == "val" and not cfg.data.val_split:
            at.fail(f"{stopping.monitor} needs a validation split: set data.val_split (e.g. 0.1), "
                    f"or monitor train_{metric}")
        regression = cfg.data.dataset in REGRESSION_DATASETS
        if metric == "acc" and regression:
            at.fail(f"{cfg.data.dataset} is a regression data set: it has {split}_loss and {split}_mae, no accuracy")
        if metric == "mae" and not regression:
            at.fail(f"{cfg.data.dataset} is a classification data set: it has {split}_loss and {split}_acc, no MAE")
    if scheduler_warms_up_onecycle(cfg):
        where.child("scheduler").child("warmup").fail(
            "onecycle rises from max_lr / div_factor on its own (pct_start); set warmup: 0")
    if cfg.data.batch_size % cfg.train.accumulate:
        train.child("accumulate").fail(
            f"{cfg.train.accumulate} does not divide data.batch_size {cfg.data.batch_size}: each update sums "
            f"accumulate micro-batches of equal size")
    if cfg.train.limit_batches is not None and cfg.train.overfit_batches is not None:
        train.child("overfit_batches").fail("cannot be combined with train.limit_batches; set one of them")
    if cfg.data.augment:
        at = where.child("data").child("augment")
        if cfg.data.dataset not in IMAGE_DATASETS:
            at.fail(f"augmentation works on images; {cfg.data.dataset} is not an image data set")
        if "flatten" in cfg.data.transforms:
            at.fail("augmentation works on (C, H, W) images; the flatten transform comes before it. "
                    "Drop flatten from data.transforms (the mlp model flattens its input itself)")


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


def _parse_override(text: str, source: str, given: str) -> tuple[tuple, Any]:
    """"optimizer.lr=0.05" -> (("optimizer", "lr"), 0.05); the value is read as YAML.
    ``given`` is the option as the person typed it, for messages."""
    dotted, sep, value = text.partition("=")
    dotted = dotted.strip()
    if not sep or not _OVERRIDE_KEY.fullmatch(dotted):
        raise ConfigError(f"{source}: {given}: expected KEY=VALUE with a dotted key, e.g. optimizer.lr=0.05")
    parsed = load_text(value, f"{source}: {given}: the value") if value.strip() else None
    return tuple(dotted.split(".")), parsed


def _shown(text: str) -> str:
    """An override as a message shows it: cut short, never unbounded."""
    return text if len(text) <= 80 else text[:77] + "..."


def _apply_override(raw: dict, path: tuple, value, given: str, source: str):
    node = raw
    for depth, part in enumerate(path[:-1]):
        if node.get(part) is None:
            node[part] = {}
        elif not isinstance(node[part], dict):
            dotted = ".".join(path[: depth + 1])
            raise ConfigError(f"{source}: {given}: {dotted} is {describe(node[part])}, not a section, "
                              f"so it has no key {path[depth + 1]!r}")
        node = node[part]
    node[path[-1]] = value


def load_config(path, overrides=()) -> Config:
    """Read a YAML config, apply ``--set`` overrides ("a.b=value"), validate; ConfigError on any mistake.

    An override may also be a pair ("train.epochs=0", "--epochs 0"): the
    override and the option the person gave, which messages then name."""
    path = Path(path)
    source = str(path)
    raw, marks = read_yaml(path)
    if raw is None or not isinstance(raw, dict):
        return _from_mapping(raw, Where(source))  # fails: empty or not a mapping
    applied = []
    for override in overrides:
        text, given = (override, f"--set {_shown(override)}") if isinstance(override, str) else override
        dotted, value = _parse_override(text, source, given)
        _apply_override(raw, dotted, value, given, source)
        applied.append((dotted, given))
    return _from_mapping(raw, Where(source, overrides=tuple(applied), marks=marks))



def as_config(config, source: str | None = None) -> Config:
    """A typed Config from what a Python caller has: a Config (as is), a mapping
    (validated as a file would be; ``source`` names it in messages) or the path
    of a YAML file. ConfigError for a config with mistakes; TypeError for
    anything else."""
    if isinstance(config, Config):
        return config
    if isinstance(config, dict):
        return config_from_dict(config, source or "<dict>")
    if isinstance(config, (str, Path)):
        return load_config(config)
    raise TypeError(f"config must be a Config, a dict or the path of a YAML file, not {type(config).__name__}")
