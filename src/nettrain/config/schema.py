"""nettrain's config schema: every section, key, check, default and help text, written once.

Validation, "did you mean" suggestions, ``Config.to_dict()``'s defaults and
the README's reference (``reference.py``) are generated from these classes.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

import yaml

from .checks import (Boolean, Check, Either, Integer, ListOf, Nullable, Number, OneOf, Text, Where,
                     quoted_list)
from .sections import Choice, ChoiceSection, Section, choice_key, key, options_field, to_plain


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


class TransformItem(Check):
    """A transform's name, or a one-key mapping giving a transform its arguments."""

    WITH_ARGS = {"normalize": NormalizeArgs}

    def expected(self) -> str:
        return f"one of {quoted_list(TRANSFORMS)}, or {{normalize: {{mean: M, std: S}}}}"

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

    def check_together(self, where: Where):
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
        return to_plain(self)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

