"""YAML file -> validated, typed ``Config``; ``--set`` overrides; clear errors.

The schema is written once, below, as dataclasses whose fields carry their
check, default and help text (``key(...)``). Validation, "did you mean"
suggestions, the defaults of ``Config.to_dict()`` and the Markdown reference
(``schema_reference()``) are all generated from it.

Why dataclasses and a small validator rather than pydantic: the spec forbids
silent coercion (the string ``"2"`` is not the integer 2, ``true`` is not an
epoch count), which is pydantic's lax default, and the messages must speak to
a person in one line (file, dotted key, what was given, what would be right).
A few hundred lines of stdlib do that without a new dependency.

Using it (the trainer and the CLI)::

    from nettrain.config import load_config
    cfg = load_config("configs/mnist_mlp.yaml", overrides=["optimizer.lr=0.05"])
    cfg.name, cfg.seed, cfg.device             # str, int, "cpu" | "cuda" | "cuda:N"
    cfg.data.dataset, cfg.data.batch_size       # "mnist", 64
    cfg.data.root, cfg.data.download            # None or str, bool
    cfg.data.val_split                          # int (count) or float (fraction); 0 = none
    cfg.data.transforms                         # list of "flatten" ... or {"normalize": {"mean": m, "std": s}}
    cfg.data.kwargs()                           # synthetic sets: {"train_size", "test_size", "noise"}
                                                #   (None = the data set's own default); mnist: {}
    cfg.model.name, cfg.model.kwargs()          # "mlp", {"hidden": [256], "activation": "relu", ...}
    cfg.loss.name, cfg.loss.kwargs()            # "cross_entropy", {"label_smoothing": 0.0}
    cfg.optimizer.name, cfg.optimizer.kwargs()  # "sgd", {"lr": 0.05, "momentum": 0.0, ...}
    cfg.scheduler                               # None, or .name and .kwargs() ("cosine": T_max filled
                                                #   in from train.epochs when not given)
    cfg.train.epochs, cfg.train.log_every, cfg.train.eval_every, cfg.train.grad_clip (None or float),
    cfg.train.l1, cfg.train.checkpoint_every, cfg.train.keep_last
    cfg.output.runs_dir
    cfg.to_dict()    # plain dict, every default filled in; config_from_dict(cfg.to_dict()) == cfg
    cfg.to_yaml()    # the same as YAML text (what a run folder keeps as config.yaml)

A section that picks one of several choices (data, model, loss, optimizer,
scheduler) is written flat in YAML, its choice plus that choice's options::

    optimizer:
      name: sgd
      lr: 0.1
      momentum: 0.9

and in Python keeps the choice's options as a typed dataclass in
``.options``; ``.kwargs()`` is the same as a plain dict, named as the
PyTorch class takes them (``SGD(params, **cfg.optimizer.kwargs())``). The
model's ``in_features``/``out_features`` (mlp) and ``in_channels``/
``num_classes`` (lenet) are None unless the file gives them; the trainer
fills them from the data set and reports a given-but-wrong value.

Every mistake raises ``nettrain.errors.ConfigError`` with one message:
``<file>: <dotted.key>: <what is wrong and what would be right>``; when a
``--set`` override is the cause, the message names it as well.
"""
from __future__ import annotations

import copy
import dataclasses
import difflib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, NoReturn

import yaml

from .errors import ConfigError

__all__ = [
    "Config",
    "DataConfig",
    "ModelConfig",
    "LossConfig",
    "OptimizerConfig",
    "SchedulerConfig",
    "TrainConfig",
    "OutputConfig",
    "load_config",
    "config_from_dict",
    "schema_reference",
    "schema_keys",
]


# ---------------------------------------------------------------------------
# Where a value sits, for messages
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Where:
    """The file and the dotted key a value came from; ``fail`` raises the one message."""

    source: str
    path: tuple = ()
    # (path, "a.b=value") for every --set override, so that a message about a
    # key an override set names the override as well as the file.
    overrides: tuple = ()

    def child(self, key) -> _Where:
        return dataclasses.replace(self, path=self.path + (key,))

    def dotted(self) -> str:
        text = ""
        for part in self.path:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
        return text

    def fail(self, problem: str) -> NoReturn:
        origin = self.source
        for path, text in self.overrides:
            shorter = min(len(path), len(self.path))
            if self.path and path[:shorter] == self.path[:shorter]:
                origin = f"{self.source} (--set {text})"
                break
        where = f"{origin}: {self.dotted()}" if self.path else origin
        raise ConfigError(f"{where}: {problem}")


def _describe(value) -> str:
    """How a message shows a value a person gave: the value and what kind it is."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, int):
        return f"{value} (an integer)"
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan (not a number)"
        if math.isinf(value):
            return f"{'-' if value < 0 else ''}.inf (infinite)"
        return f"{value!r} (a float)"
    if isinstance(value, str):
        # A quoted number or boolean is the commonest slip: say how to fix it.
        try:
            unquoted = yaml.load(value, Loader=_Loader)
        except yaml.YAMLError:
            unquoted = value
        if isinstance(unquoted, (bool, int, float)):
            return f"{value!r} (a string; write it without quotes)"
        return f"{value!r} (a string)"
    if isinstance(value, list):
        text = repr(value)
        return f"{text if len(text) <= 60 else text[:57] + '...'} (a list)"
    if isinstance(value, dict):
        return f"a mapping with keys {', '.join(map(str, value))}" if value else "an empty mapping"
    return f"{value!r} (a {type(value).__name__})"


def _did_you_mean(given: str, options) -> str:
    """ "; did you mean 'x'?" when one option is close to what was given, else ""."""
    lowered = {str(option).lower(): option for option in options}
    close = difflib.get_close_matches(str(given).lower(), list(lowered), n=1, cutoff=0.7)
    return f"; did you mean {lowered[close[0]]!r}?" if close else ""


def _quoted_list(names) -> str:
    return ", ".join(repr(name) for name in names)


# ---------------------------------------------------------------------------
# Checks: one per kind of value; each names what it expects and returns the
# resolved value or fails with the message.
# ---------------------------------------------------------------------------


class _Check:
    def expected(self) -> str:  # "an integer >= 1", used in messages and docs
        raise NotImplementedError

    def __call__(self, value, where: _Where):
        raise NotImplementedError

    def _wrong(self, value, where: _Where) -> NoReturn:
        where.fail(f"expected {self.expected()}, got {_describe(value)}")


def _bound(value: float) -> str:
    return f"{value:g}"


class Number(_Check):
    """A finite float (an integer is fine: lr 1 means 1.0), within optional bounds."""

    def __init__(self, gt=None, ge=None, lt=None, le=None):
        self.gt, self.ge, self.lt, self.le = gt, ge, lt, le

    def _range(self) -> str:
        low = (f"[{_bound(self.ge)}" if self.ge is not None
               else f"({_bound(self.gt)}" if self.gt is not None else None)
        high = (f"{_bound(self.le)}]" if self.le is not None
                else f"{_bound(self.lt)})" if self.lt is not None else None)
        if low and high:
            return f" in {low}, {high}"
        if low:
            return f" {'>=' if self.ge is not None else '>'} {low[1:]}"
        if high:
            return f" {'<=' if self.le is not None else '<'} {high[:-1]}"
        return ""

    def expected(self) -> str:
        return f"a number{self._range()}"

    def in_range(self, value) -> bool:
        return not (
            (self.gt is not None and not value > self.gt)
            or (self.ge is not None and not value >= self.ge)
            or (self.lt is not None and not value < self.lt)
            or (self.le is not None and not value <= self.le)
        )

    def __call__(self, value, where):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self._wrong(value, where)
        if isinstance(value, float) and not math.isfinite(value):
            where.fail(f"expected {self.expected()}, got {_describe(value)}; NaN and infinity are not allowed")
        if not self.in_range(value):
            self._wrong(value, where)
        return float(value)


class Integer(Number):
    """A whole number written as one (2, not 2.0 or "2"), within optional bounds."""

    def expected(self) -> str:
        return f"an integer{self._range()}"

    def __call__(self, value, where):
        if isinstance(value, bool) or not isinstance(value, int) or not self.in_range(value):
            self._wrong(value, where)
        return value


class Boolean(_Check):
    def expected(self) -> str:
        return "true or false"

    def __call__(self, value, where):
        if not isinstance(value, bool):
            self._wrong(value, where)
        return value


class Text(_Check):
    """A non-empty string, optionally matching a pattern that ``description`` explains."""

    def __init__(self, description="a non-empty string", pattern=None):
        self.description, self.pattern = description, pattern

    def expected(self) -> str:
        return self.description

    def __call__(self, value, where):
        if not isinstance(value, str) or not value.strip():
            self._wrong(value, where)
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            self._wrong(value, where)
        return value


class OneOf(_Check):
    def __init__(self, choices):
        self.choices = tuple(choices)

    def expected(self) -> str:
        return f"one of {_quoted_list(self.choices)}"

    def __call__(self, value, where):
        if not isinstance(value, str) or value not in self.choices:
            hint = _did_you_mean(value, self.choices) if isinstance(value, str) else ""
            where.fail(f"expected {self.expected()}, got {_describe(value)}{hint}")
        return value


class Nullable(_Check):
    """``null`` or what ``inner`` accepts; null keeps the meaning the help text gives it."""

    def __init__(self, inner: _Check):
        self.inner = inner

    def expected(self) -> str:
        return f"{self.inner.expected()} or null"

    def __call__(self, value, where):
        return None if value is None else self.inner(value, where)


class Either(_Check):
    """One of several checks, each with a word on what that form means."""

    def __init__(self, *forms: tuple[_Check, str]):
        self.forms = forms

    def expected(self) -> str:
        return " or ".join(f"{check.expected()} ({meaning})" for check, meaning in self.forms)

    def __call__(self, value, where):
        for check, _ in self.forms:
            try:
                return check(value, where)
            except ConfigError:
                continue
        self._wrong(value, where)


class ListOf(_Check):
    def __init__(self, item: _Check, length=None, min_length=0, increasing=False):
        self.item, self.length, self.min_length, self.increasing = item, length, min_length, increasing

    def expected(self) -> str:
        size = (f"of {self.length} items" if self.length is not None
                else f"of at least {self.min_length} item{'s' * (self.min_length > 1)}"
                if self.min_length else "")
        order = ", increasing" if self.increasing else ""
        return f"a list{' ' + size if size else ''}{order}, each {self.item.expected()}"

    def __call__(self, value, where):
        if not isinstance(value, list):
            self._wrong(value, where)
        if (self.length is not None and len(value) != self.length) or len(value) < self.min_length:
            self._wrong(value, where)
        items = [self.item(item, where.child(i)) for i, item in enumerate(value)]
        if self.increasing:
            for i in range(1, len(items)):
                if not items[i] > items[i - 1]:
                    where.child(i).fail(
                        f"the list must be strictly increasing; {items[i]} comes after {items[i - 1]}")
        return items


class Section(_Check):
    """A mapping read into a section dataclass (see ``_build``)."""

    def __init__(self, cls: type):
        self.cls = cls

    def expected(self) -> str:
        needed = _required_keys(self.cls)
        return f"a mapping with at least {', '.join(needed)}" if needed else "a mapping"

    def __call__(self, value, where):
        if not isinstance(value, dict):
            self._wrong(value, where)
        return _build(self.cls, value, where)


# ---------------------------------------------------------------------------
# Declaring keys and choices
# ---------------------------------------------------------------------------


class _Required:
    def __repr__(self):
        return "required"


REQUIRED = _Required()


def key(check: _Check, help: str, default=REQUIRED, default_doc: str | None = None):
    """A config key: its check, its help text and its default (REQUIRED: none).

    ``default`` is the value as a person would write it in YAML (it is run
    through ``check`` like a given value); ``default_doc`` says in words what
    a derived default is (e.g. "train.epochs").
    """
    return field(metadata={"check": check, "help": help, "default": default, "default_doc": default_doc})


@dataclass(frozen=True)
class Choice:
    """One entry of a choice section: the names that pick it and the options it takes."""

    names: tuple
    options: type  # a dataclass of key(...) fields
    label: str = ""  # how messages name the group ("the synthetic data sets (...)")

    def describe(self) -> str:
        return self.label or ", ".join(self.names)


class ChoiceSection:
    """A section where ``CHOICE_KEY`` picks one of ``CHOICES`` and the remaining keys are its options.

    The dataclass's own fields are the choice key and the keys every choice
    shares; the picked choice's options are read into ``self.options``.
    """

    CHOICE_KEY: ClassVar[str] = "name"
    CHOICES: ClassVar[tuple] = ()

    def kwargs(self) -> dict:
        """The chosen entry's options as a plain dict (keyword arguments for the class it configures)."""
        return dataclasses.asdict(self.options)

    @classmethod
    def choice_for(cls, name: str) -> Choice:
        return next(choice for choice in cls.CHOICES if name in choice.names)


def choice_key(choices, help: str, default=REQUIRED):
    return key(OneOf(name for choice in choices for name in choice.names), help, default)


def options_field():
    return field(metadata={"options": True})


def _own_fields(cls) -> list:
    """A section's key fields (the choice section's ``options`` holder is not a key)."""
    return [f for f in dataclasses.fields(cls) if not f.metadata.get("options")]


def _required_keys(cls) -> list[str]:
    return [f.name for f in _own_fields(cls) if f.metadata["default"] is REQUIRED]


# ---------------------------------------------------------------------------
# The schema
# ---------------------------------------------------------------------------

ACTIVATIONS = ("relu", "sigmoid", "tanh")
TRANSFORMS = ("normalize", "minmax", "zscore", "flatten", "one_hot")


@dataclass
class NoOptions:
    """This choice takes no options of its own."""


@dataclass
class NormalizeArgs:
    """``{normalize: {mean: M, std: S}}``: (x - mean) / std with given statistics."""

    mean: float = key(Number(), "subtracted from every input value")
    std: float = key(Number(gt=0), "every input value is divided by it")


class TransformItem(_Check):
    """A transform's name, or a one-key mapping giving a transform its arguments."""

    WITH_ARGS = {"normalize": NormalizeArgs}

    def expected(self) -> str:
        return f"one of {_quoted_list(TRANSFORMS)}, or {{normalize: {{mean: M, std: S}}}}"

    def __call__(self, value, where):
        if isinstance(value, str):
            return OneOf(TRANSFORMS)(value, where)
        if isinstance(value, dict) and len(value) == 1:
            [(name, args)] = value.items()
            if name in self.WITH_ARGS:
                return {name: dataclasses.asdict(Section(self.WITH_ARGS[name])(args, where.child(name)))}
            if name in TRANSFORMS:
                where.child(name).fail(f"{name} takes no arguments; write it as a plain '- {name}'")
            OneOf(TRANSFORMS)(name, where.child(name))
        self._wrong(value, where)


@dataclass
class SyntheticDataOptions:
    train_size: int = key(Nullable(Integer(ge=1)), "training examples to draw (null: the data set's default)", None)
    test_size: int = key(Nullable(Integer(ge=1)), "test examples to draw (null: the data set's default)", None)
    noise: float = key(Nullable(Number(ge=0)), "standard deviation of the added noise (null: the data set's default)", None)


DATASETS = (
    Choice(("mnist", "fashion-mnist"), NoOptions, "the image data sets (mnist, fashion-mnist)"),
    Choice(("linear", "cubic", "clusters", "clusters3"), SyntheticDataOptions,
           "the synthetic data sets (linear, cubic, clusters, clusters3)"),
)


@dataclass
class DataConfig(ChoiceSection):
    """Which data set, and how it is split, transformed and batched."""

    CHOICE_KEY: ClassVar[str] = "dataset"
    CHOICES: ClassVar[tuple] = DATASETS

    dataset: str = choice_key(DATASETS, "the data set")
    root: str = key(Nullable(Text()), "folder holding the data files (null: $NETTRAIN_DATA, else a default folder)", None)
    download: bool = key(Boolean(), "download missing files of mnist/fashion-mnist", True)
    batch_size: int = key(Integer(ge=1), "examples per training step", 64)
    val_split: Any = key(
        Either((Integer(ge=0), "a count of examples"), (Number(ge=0, lt=1), "a fraction of the training set")),
        "part of the training set held out for validation (0: none)", 0)
    transforms: list = key(ListOf(TransformItem()), "applied to the inputs in order", [])
    options: Any = options_field()


@dataclass
class MLPOptions:
    hidden: list = key(ListOf(Integer(ge=1)), "widths of the hidden layers ([] makes a linear model)", [256])
    activation: str = key(OneOf(ACTIVATIONS), "nonlinearity after each hidden layer", "relu")
    dropout: float = key(Number(ge=0, lt=1), "dropout probability after each hidden activation", 0.0)
    in_features: int = key(Nullable(Integer(ge=1)), "input size (null: from the data set)", None)
    out_features: int = key(Nullable(Integer(ge=1)), "number of outputs (null: from the data set)", None)


@dataclass
class LeNetOptions:
    activation: str = key(OneOf(ACTIVATIONS), "nonlinearity after each convolution and hidden layer", "relu")
    pool: str = key(OneOf(("max", "avg")), "pooling after each convolution", "max")
    in_channels: int = key(Nullable(Integer(ge=1)), "image channels (null: from the data set)", None)
    num_classes: int = key(Nullable(Integer(ge=1)), "number of classes (null: from the data set)", None)


MODELS = (Choice(("mlp",), MLPOptions), Choice(("lenet",), LeNetOptions))


@dataclass
class ModelConfig(ChoiceSection):
    """The network; its input size and number of outputs come from the data set."""

    CHOICES: ClassVar[tuple] = MODELS

    name: str = choice_key(MODELS, "the model")
    options: Any = options_field()


@dataclass
class CrossEntropyOptions:
    label_smoothing: float = key(Number(ge=0, lt=1), "share of the target spread over all classes", 0.0)


LOSSES = (
    Choice(("cross_entropy",), CrossEntropyOptions),
    Choice(("mse",), NoOptions),
    Choice(("l1",), NoOptions),
    Choice(("nll",), NoOptions),
    Choice(("bce_with_logits",), NoOptions),
)


@dataclass
class LossConfig(ChoiceSection):
    """The loss the optimizer minimises (mean over the batch)."""

    CHOICES: ClassVar[tuple] = LOSSES

    name: str = choice_key(LOSSES, "the loss", "cross_entropy")
    options: Any = options_field()


# Optimizer options and defaults are PyTorch's (torch.optim, 2.x).
def _lr(default):
    return key(Number(gt=0), "learning rate", default)


def _weight_decay(default=0.0):
    return key(Number(ge=0), "L2 penalty coefficient", default)


@dataclass
class SGDOptions:
    lr: float = _lr(0.001)
    momentum: float = key(Number(ge=0), "momentum factor", 0.0)
    dampening: float = key(Number(ge=0), "dampening for momentum", 0.0)
    nesterov: bool = key(Boolean(), "Nesterov momentum (needs momentum > 0 and dampening 0)", False)
    weight_decay: float = _weight_decay()

    def check_together(self, where: _Where):
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            where.child("nesterov").fail(
                "Nesterov momentum needs momentum > 0 and dampening = 0 (as in PyTorch); "
                f"got momentum {self.momentum:g} and dampening {self.dampening:g}")


@dataclass
class AdagradOptions:
    lr: float = _lr(0.01)
    lr_decay: float = key(Number(ge=0), "learning rate decay", 0.0)
    weight_decay: float = _weight_decay()
    initial_accumulator_value: float = key(Number(ge=0), "starting value of the squared-gradient sums", 0.0)
    eps: float = key(Number(gt=0), "added to the denominator for stability", 1e-10)


@dataclass
class RMSpropOptions:
    lr: float = _lr(0.01)
    alpha: float = key(Number(ge=0, le=1), "smoothing constant of the squared-gradient average", 0.99)
    eps: float = key(Number(gt=0), "added to the denominator for stability", 1e-8)
    weight_decay: float = _weight_decay()
    momentum: float = key(Number(ge=0), "momentum factor", 0.0)
    centered: bool = key(Boolean(), "normalise by the gradient's estimated variance", False)


@dataclass
class AdamOptions:
    lr: float = _lr(0.001)
    betas: list = key(ListOf(Number(ge=0, lt=1), length=2),
                      "decay rates of the gradient and squared-gradient averages", [0.9, 0.999])
    eps: float = key(Number(gt=0), "added to the denominator for stability", 1e-8)
    weight_decay: float = _weight_decay()
    amsgrad: bool = key(Boolean(), "use the AMSGrad variant", False)


@dataclass
class AdamWOptions(AdamOptions):
    # AdamW decouples the decay from the gradient; PyTorch's default is 0.01.
    weight_decay: float = _weight_decay(0.01)


OPTIMIZERS = (
    Choice(("sgd",), SGDOptions),
    Choice(("adagrad",), AdagradOptions),
    Choice(("rmsprop",), RMSpropOptions),
    Choice(("adam",), AdamOptions),
    Choice(("adamw",), AdamWOptions),
)


@dataclass
class OptimizerConfig(ChoiceSection):
    """The optimizer and its arguments (names and defaults as in torch.optim)."""

    CHOICES: ClassVar[tuple] = OPTIMIZERS

    name: str = choice_key(OPTIMIZERS, "the optimizer")
    options: Any = options_field()


def _gamma(default=0.1):
    return key(Number(gt=0), "factor the learning rate is multiplied by", default)


@dataclass
class StepLROptions:
    step_size: int = key(Integer(ge=1), "epochs between decays")
    gamma: float = _gamma()


@dataclass
class MultiStepLROptions:
    milestones: list = key(ListOf(Integer(ge=1), min_length=1, increasing=True), "epochs at which to decay")
    gamma: float = _gamma()


@dataclass
class ExponentialLROptions:
    gamma: float = key(Number(gt=0), "factor the learning rate is multiplied by every epoch")


@dataclass
class CosineAnnealingLROptions:
    T_max: int = key(Nullable(Integer(ge=1)), "epochs of one half cosine", None, default_doc="train.epochs")
    eta_min: float = key(Number(ge=0), "lowest learning rate", 0.0)


SCHEDULERS = (
    Choice(("step",), StepLROptions),
    Choice(("multistep",), MultiStepLROptions),
    Choice(("exponential",), ExponentialLROptions),
    Choice(("cosine",), CosineAnnealingLROptions),
)


@dataclass
class SchedulerConfig(ChoiceSection):
    """Learning-rate schedule, stepped once per epoch (as torch.optim.lr_scheduler)."""

    CHOICES: ClassVar[tuple] = SCHEDULERS

    name: str = choice_key(SCHEDULERS, "the schedule")
    options: Any = options_field()


@dataclass
class TrainConfig:
    """How long to train, and how often to log, evaluate and save."""

    epochs: int = key(Integer(ge=1), "passes over the training set")
    log_every: int = key(Integer(ge=1), "steps between progress updates", 50)
    eval_every: int = key(Integer(ge=1), "epochs between evaluations", 1)
    grad_clip: float = key(Nullable(Number(gt=0)), "clip the gradients' total norm to this (null: no clipping)", None)
    l1: float = key(Number(ge=0), "L1 penalty: l1 * sum(|w|) over the weights is added to the loss", 0.0)
    checkpoint_every: int = key(Integer(ge=1), "epochs between checkpoints", 1)
    keep_last: int = key(Integer(ge=1), "epoch-stamped checkpoints kept besides last and best", 1)


@dataclass
class OutputConfig:
    """Where runs are written."""

    runs_dir: str = key(Text(), "folder that holds one folder per run", "runs")


# A run name becomes a folder name: no separators, not "." or "..".
RUN_NAME = Text("a run name without '/' or '\\' (it names the run's folder)", r"(?!\.\.?$)[^/\\]+")


@dataclass
class Config:
    """A whole training run."""

    name: str = key(Nullable(RUN_NAME), "the run's name and folder under output.runs_dir", None,
                    default_doc="the config file's name without .yaml")
    seed: int = key(Integer(ge=0), "seed of every random generator", 0)
    device: str = key(Text("'cpu', 'cuda' or 'cuda:N' (N: a GPU index)", r"cpu|cuda(:\d+)?"),
                      "where to train", "cpu")
    data: DataConfig = key(Section(DataConfig), "the data")
    model: ModelConfig = key(Section(ModelConfig), "the network")
    loss: LossConfig = key(Section(LossConfig), "the loss", {})
    optimizer: OptimizerConfig = key(Section(OptimizerConfig), "the optimizer")
    scheduler: SchedulerConfig = key(Nullable(Section(SchedulerConfig)), "the learning-rate schedule (null: none)", None)
    train: TrainConfig = key(Section(TrainConfig), "the training loop")
    output: OutputConfig = key(Section(OutputConfig), "where runs go", {})

    def to_dict(self) -> dict:
        """The fully resolved config as plain dicts and lists (YAML- and JSON-safe)."""
        return _to_plain(self)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)


# ---------------------------------------------------------------------------
# Building sections from mappings
# ---------------------------------------------------------------------------


def _reject_unknown_keys(mapping: dict, known: list[str], where: _Where, explain=None):
    for name in mapping:
        if name in known:
            continue
        if explain is not None:
            explain(name)  # a choice section names a key that belongs to another choice
        name = str(name)
        listing = f"; {where.dotted() or 'the top level'} takes {', '.join(known)}"
        where.child(name).fail(f"unknown key{_did_you_mean(name, known) or listing}")


def _resolve(fields, mapping: dict, where: _Where) -> dict:
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


def _build_plain(cls, mapping: dict, where: _Where):
    fields = _own_fields(cls)
    _reject_unknown_keys(mapping, [f.name for f in fields], where)
    section = cls(**_resolve(fields, mapping, where))
    if hasattr(section, "check_together"):
        section.check_together(where)
    return section


def _build_choice_section(cls, mapping: dict, where: _Where):
    fields = _own_fields(cls)
    choice_field = next(f for f in fields if f.name == cls.CHOICE_KEY)
    chosen = _resolve([choice_field], mapping, where)[cls.CHOICE_KEY]
    choice = cls.choice_for(chosen)
    option_fields = dataclasses.fields(choice.options)
    option_names = [f.name for f in option_fields]

    def belongs_elsewhere(name):
        owners = [c.describe() for c in cls.CHOICES if c is not choice and name in _field_names(c.options)]
        if owners:
            takes = f"{chosen} takes {', '.join(option_names)}" if option_names else f"{chosen} takes no options"
            where.child(name).fail(
                f"{name!r} is not an option of {chosen} (it belongs to {', '.join(owners)}); {takes}")

    _reject_unknown_keys(mapping, [f.name for f in fields] + option_names, where, belongs_elsewhere)
    common = _resolve([f for f in fields if f is not choice_field], mapping, where)
    options = choice.options(**_resolve(option_fields, mapping, where))
    if hasattr(options, "check_together"):
        options.check_together(where)
    return cls(**{cls.CHOICE_KEY: chosen}, **common, options=options)


def _build(cls, mapping: dict, where: _Where):
    if issubclass(cls, ChoiceSection):
        return _build_choice_section(cls, mapping, where)
    return _build_plain(cls, mapping, where)


def _field_names(cls) -> list[str]:
    return [f.name for f in _own_fields(cls)]


def _to_plain(value):
    if isinstance(value, ChoiceSection):
        plain = {f.name: _to_plain(getattr(value, f.name)) for f in _own_fields(type(value))}
        plain.update(_to_plain(value.options))
        return plain
    if dataclasses.is_dataclass(value):
        return {f.name: _to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list):
        return [_to_plain(item) for item in value]
    if isinstance(value, dict):
        return {k: _to_plain(v) for k, v in value.items()}
    return value


def _default_name(source: str) -> str:
    return "run" if source.startswith("<") else Path(source).stem


def _fill_derived_defaults(cfg: Config, where: _Where) -> Config:
    """Defaults that depend on other keys or on the file."""
    if cfg.name is None:
        cfg.name = _default_name(where.source)
    if cfg.scheduler is not None and cfg.scheduler.name == "cosine" and cfg.scheduler.options.T_max is None:
        cfg.scheduler.options.T_max = cfg.train.epochs
    return cfg


def _from_mapping(raw, where: _Where) -> Config:
    if raw is None:
        where.fail(f"is empty; a config needs at least {_and_list(_required_keys(Config))} sections")
    if not isinstance(raw, dict):
        where.fail(f"the top level must be a mapping of sections ({', '.join(f + ':' for f in _field_names(Config))}), "
                   f"got {_describe(raw)}")
    return _fill_derived_defaults(_build(Config, raw, where), where)


def _and_list(names: list[str]) -> str:
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)


def config_from_dict(d, source: str = "<dict>") -> Config:
    """Validate a mapping (as YAML would give it) into a Config; ``source`` names it in messages."""
    return _from_mapping(d, _Where(str(source)))


# ---------------------------------------------------------------------------
# Reading YAML and applying overrides
# ---------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses duplicate keys and reads 1e-3 as a number.

    PyYAML follows YAML 1.1, where a float needs a dot, so ``lr: 1e-3`` would
    be the string "1e-3"; YAML 1.2 (and every person) reads it as 0.001.
    Quoted values stay strings.
    """

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            name = self.construct_object(key_node, deep=deep)
            if isinstance(name, (str, int, float, bool)) or name is None:
                if name in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key {name!r} appears twice in the same mapping", key_node.start_mark)
                seen.add(name)
        return super().construct_mapping(node, deep)


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def _yaml_error(origin: str, err: yaml.YAMLError) -> ConfigError:
    mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None) or str(err)
    context = getattr(err, "context", None)
    detail = f"{problem} ({context})" if context else problem
    if mark is None:
        return ConfigError(f"{origin}: invalid YAML: {detail}")
    return ConfigError(f"{origin}: invalid YAML at line {mark.line + 1}, column {mark.column + 1}: {detail}")


def _read_yaml(path: Path):
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a config file") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not a UTF-8 text file") from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot be read ({err.strerror})") from None
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as err:
        raise _yaml_error(str(path), err) from None


_OVERRIDE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*")


def _parse_override(text: str, source: str) -> tuple[tuple, Any]:
    """"optimizer.lr=0.05" -> (("optimizer", "lr"), 0.05); the value is read as YAML."""
    dotted, sep, value = text.partition("=")
    dotted = dotted.strip()
    if not sep or not _OVERRIDE_KEY.fullmatch(dotted):
        raise ConfigError(f"{source}: --set {text}: expected KEY=VALUE with a dotted key, e.g. optimizer.lr=0.05")
    try:
        parsed = yaml.load(value, Loader=_Loader) if value.strip() else None
    except yaml.YAMLError as err:
        raise _yaml_error(f"{source}: --set {text}: the value", err) from None
    return tuple(dotted.split(".")), parsed


def _apply_override(raw: dict, path: tuple, value, text: str, source: str):
    node = raw
    for depth, part in enumerate(path[:-1]):
        if node.get(part) is None:
            node[part] = {}
        elif not isinstance(node[part], dict):
            dotted = ".".join(path[: depth + 1])
            raise ConfigError(f"{source}: --set {text}: {dotted} is {_describe(node[part])}, not a section, "
                              f"so it has no key {path[depth + 1]!r}")
        node = node[part]
    node[path[-1]] = value


def load_config(path, overrides=()) -> Config:
    """Read a YAML config, apply ``--set`` overrides ("a.b=value"), validate; ConfigError on any mistake."""
    path = Path(path)
    source = str(path)
    raw = _read_yaml(path)
    if raw is None or not isinstance(raw, dict):
        return _from_mapping(raw, _Where(source))  # fails: empty or not a mapping
    applied = []
    for text in overrides:
        dotted, value = _parse_override(text, source)
        _apply_override(raw, dotted, value, text, source)
        applied.append((dotted, text))
    return _from_mapping(raw, _Where(source, overrides=tuple(applied)))


# ---------------------------------------------------------------------------
# Documentation generated from the schema
# ---------------------------------------------------------------------------


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


def _doc_type(check: _Check) -> str:
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


def _section_class(check: _Check):
    inner = check.inner if isinstance(check, Nullable) else check
    return inner.cls if isinstance(inner, Section) else None


def schema_reference() -> str:
    """Every section, key, type, default and meaning, as Markdown (for the README)."""
    lines = ["## Config reference", "", "Top-level keys:", ""]
    lines += _doc_table(_own_fields(Config), "")
    for f in _own_fields(Config):
        cls = _section_class(f.metadata["check"])
        if cls is None:
            continue
        lines += ["", f"### `{f.name}`", "", cls.__doc__.strip().splitlines()[0], ""]
        lines += _doc_table(_own_fields(cls), f"{f.name}.")
        if issubclass(cls, ChoiceSection):
            for choice in cls.CHOICES:
                names = ", ".join(f"`{name}`" for name in choice.names)
                option_fields = dataclasses.fields(choice.options)
                lines += ["", f"#### `{f.name}.{cls.CHOICE_KEY}`: {names}", ""]
                lines += _doc_table(option_fields, f"{f.name}.") if option_fields else ["No options of its own."]
    return "\n".join(lines) + "\n"


def schema_keys() -> list[str]:
    """Every dotted key a config can have (each choice's options included), e.g. "optimizer.momentum"."""
    keys = []
    for f in _own_fields(Config):
        keys.append(f.name)
        cls = _section_class(f.metadata["check"])
        if cls is None:
            continue
        names = _field_names(cls)
        if issubclass(cls, ChoiceSection):
            names += [n for choice in cls.CHOICES for n in _field_names(choice.options)]
        keys += [f"{f.name}.{n}" for n in dict.fromkeys(names)]
    return keys
