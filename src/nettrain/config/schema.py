"""nettrain's config schema: the sections and their keys; each choice's options come from the registry.

The keys every run has (seed, train.epochs ...) are written here; what a
``name:`` (or ``dataset:``) picks, and the options it takes, are read from
the registered constructors (``nettrain.registry``), so a new model, loss,
optimizer, scheduler, data set or transform needs no edit here.

Validation, "did you mean" suggestions, ``Config.to_dict()``'s defaults and
the README's reference (``reference.py``) are generated from these classes.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

import yaml

from .checks import Boolean, Check, Either, Integer, ListOf, Nullable, Number, OneOf, Text, quoted_list
from .sections import (ChoiceSection, RegistryName, Section, choice_key, key, options_field, registry_choices,
                       to_plain)


# ---------------------------------------------------------------------------
# The schema
# ---------------------------------------------------------------------------

class TransformItem(Check):
    """A registered transform's name, or a one-key mapping giving a transform its arguments."""

    def expected(self) -> str:
        with_args = [c for c in registry_choices("transform") if dataclasses.fields(c.options)]
        forms = ", ".join(f"{{{c.names[0]}: {{{', '.join(f'{f.name}: ...' for f in dataclasses.fields(c.options))}}}}}"
                          for c in with_args)
        return f"one of {quoted_list(RegistryName('transform').names())}" + (f", or {forms}" if forms else "")

    def __call__(self, value, where):
        names = RegistryName("transform")
        if isinstance(value, str):
            return names(value, where)
        if isinstance(value, dict) and len(value) == 1:
            [(name, args)] = value.items()
            if isinstance(name, str) and name in names.names():
                options = _options_of("transform", name)
                if not dataclasses.fields(options):
                    where.child(name).fail(f"{name} takes no arguments; write it as a plain '- {name}'")
                return {name: dataclasses.asdict(Section(options)(args, where.child(name)))}
            names(name, where.child(name))
        self._wrong(value, where)


class AugmentItem(Check):
    """One registered augmentation as a one-key mapping: ``{random_shift: 2}``
    (its first argument alone) or ``{random_affine: {degrees: 10, translate: 0.1}}``."""

    def expected(self) -> str:
        return (f"a one-key mapping naming one of {quoted_list(RegistryName('augmentation').names())}, "
                "e.g. {random_shift: 2} or {random_erasing: {p: 0.5}}")

    def __call__(self, value, where):
        names = RegistryName("augmentation")
        if isinstance(value, str) and value in names.names():
            where.fail(f"{value} needs its arguments: write it as '- {{{value}: ...}}'")
        if not (isinstance(value, dict) and len(value) == 1):
            self._wrong(value, where)
        [(name, args)] = value.items()
        names(name, where.child(name))
        options = _options_of("augmentation", name)
        if not isinstance(args, dict):  # the shorthand: the first argument's value
            args = {} if args is None else {dataclasses.fields(options)[0].name: args}
        return {name: dataclasses.asdict(Section(options)(args, where.child(name)))}


def _options_of(kind: str, name: str) -> type:
    return next(c.options for c in registry_choices(kind) if name in c.names)


@dataclass
class DataConfig(ChoiceSection):
    """Which data set, and how it is split, transformed and batched."""

    CHOICE_KEY: ClassVar[str] = "dataset"
    KIND: ClassVar[str] = "dataset"

    dataset: str = choice_key("dataset", "the data set")
    root: str = key(Nullable(Text()), "the only folder to look in (and download into) for the data files (null: $NETTRAIN_DATA, ./data, the user cache, the system folder)", None,
                    resumable=True)
    download: bool = key(Boolean(), "download missing files of mnist/fashion-mnist", True, resumable=True)
    batch_size: int = key(Integer(ge=1), "examples per training step", 64)
    val_split: Any = key(
        Either((Integer(ge=0), "a count of examples"), (Number(ge=0, lt=1), "a fraction of the training set")),
        "part of the training set held out for validation (0: none)", 0)
    transforms: list = key(ListOf(TransformItem()), "applied to the inputs in order", [])
    augment: list = key(ListOf(AugmentItem()), "random changes to each training batch, in order (images only)", [])
    options: Any = options_field()


@dataclass
class ModelConfig(ChoiceSection):
    """The network; its input size and number of outputs come from the data set."""

    KIND: ClassVar[str] = "model"

    name: str = choice_key("model", "the model")
    init_from: str = key(
        Nullable(Text("a path to a .safetensors file", r".+\.safetensors")),
        "start from these weights (a state dict under PyTorch's names, e.g. saved from PyTorch with "
        "safetensors.torch.save_file; every name and shape must match) instead of a random initialisation",
        None)
    options: Any = options_field()


@dataclass
class LossConfig(ChoiceSection):
    """The loss the optimizer minimises (mean over the batch)."""

    KIND: ClassVar[str] = "loss"

    name: str = choice_key("loss", "the loss", "cross_entropy")
    options: Any = options_field()


@dataclass
class OptimizerConfig(ChoiceSection):
    """The optimizer and its arguments (names and defaults as in torch.optim)."""

    KIND: ClassVar[str] = "optimizer"

    name: str = choice_key("optimizer", "the optimizer")
    options: Any = options_field()


@dataclass
class SchedulerConfig(ChoiceSection):
    """Learning-rate schedule (as torch.optim.lr_scheduler), per epoch or per step, after an optional warm-up."""

    KIND: ClassVar[str] = "scheduler"

    name: str = choice_key("scheduler", "the schedule")
    interval: str = key(OneOf(("epoch", "step")), "step the schedule after every epoch or every optimizer step",
                        "epoch")
    warmup: int = key(Integer(ge=0), "intervals of linear warm-up before the schedule (0: none)", 0)
    warmup_start_factor: float = key(Number(gt=0, le=1), "share of the rate the warm-up starts from", 0.1)
    options: Any = options_field()


@dataclass
class EarlyStoppingConfig:
    """Stop when the monitored metric stops improving (Keras' EarlyStopping), e.g. `{monitor: val_loss, patience: 3}`."""

    monitor: str = key(Text("a metric such as val_loss, val_acc, val_mae, train_loss",
                            r"(train|val|test)_(loss|acc|mae)",
                            [f"{split}_{metric}" for split in ("train", "val") for metric in ("loss", "acc", "mae")]),
                       "the metric watched after each evaluation")
    patience: int = key(Integer(ge=1), "evaluations without improvement before stopping", 3)
    min_delta: float = key(Number(ge=0), "smallest change that counts as an improvement", 0.0)
    mode: str = key(Nullable(OneOf(("min", "max"))), "min or max is better (null: max for *_acc, else min)", None)


@dataclass
class TrainConfig:
    """How long to train, and how often to log, evaluate and save."""

    epochs: int = key(Integer(ge=1), "passes over the training set", resumable=True)
    log_every: int = key(Integer(ge=1), "steps between progress updates", 50, resumable=True)
    eval_every: int = key(Integer(ge=1), "epochs between evaluations", 1, resumable=True)
    grad_clip: float = key(Nullable(Number(gt=0)), "clip the gradients' total norm to this (null: no clipping)", None)
    l1: float = key(Number(ge=0), "L1 penalty l1 * sum(|w|) over the weights: its gradient "
                                  "l1 * sign(w) joins every update (the loss shown is the data's)", 0.0)
    checkpoint_every: int = key(Integer(ge=1), "epochs between checkpoints", 1, resumable=True)
    keep_last: int = key(Integer(ge=1), "epoch-stamped checkpoints kept besides last and best", 1,
                          resumable=True)
    early_stopping: Any = key(Nullable(Section(EarlyStoppingConfig)),
                              "stop when a validation metric stops improving (null: never)", None)
    accumulate: int = key(Integer(ge=1), "micro-batches of batch_size / accumulate summed into each update", 1)
    limit_batches: int = key(Nullable(Integer(ge=1)), "train and evaluate on the first N batches of each split "
                             "per epoch (a quick check; null: all)", None)
    overfit_batches: int = key(Nullable(Integer(ge=1)), "train on the same N batches every epoch, unshuffled, "
                               "and evaluate on them (null: off)", None)


@dataclass
class OutputConfig:
    """Where runs are written."""

    runs_dir: str = key(Text(), "folder that holds one folder per run", "runs", resumable=True)
    tensorboard: bool = key(Boolean(), "also write TensorBoard scalars to <run>/tensorboard (needs tensorboardX)",
                            False)


# A run name becomes a folder name: no separators, not "." or "..".
RUN_NAME = Text("a run name without '/' or '\\' (it names the run's folder)", r"(?!\.\.?$)[^/\\]+")


@dataclass
class Config:
    """A whole training run."""

    name: str = key(Nullable(RUN_NAME), "the run's name and folder under output.runs_dir", None,
                    default_doc="the config file's name without .yaml", resumable=True)
    seed: int = key(Integer(ge=0), "seed of every random generator", 0)
    device: str = key(Text("'cpu', 'cuda' or 'cuda:N' (N: a GPU index)", r"cpu|cuda(:\d+)?"),
                      "where to train", "cpu", resumable=True)
    data: DataConfig = key(Section(DataConfig), "the data")
    model: ModelConfig = key(Section(ModelConfig), "the network")
    loss: LossConfig = key(Section(LossConfig), "the loss", {})
    optimizer: OptimizerConfig = key(Section(OptimizerConfig), "the optimizer")
    scheduler: SchedulerConfig = key(Nullable(Section(SchedulerConfig)), "the learning-rate schedule (null: none)", None)
    train: TrainConfig = key(Section(TrainConfig), "the training loop")
    output: OutputConfig = key(Section(OutputConfig), "where runs go", {})

    def to_dict(self) -> dict:
        """The fully resolved config as plain dicts and lists (YAML- and JSON-safe)."""
        return to_plain(self)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

