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
    cfg = load_config("configs/mlp.yaml", overrides=["optimizer.lr=0.05"])
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

The package's files: ``checks.py`` (the value checks and messages),
``sections.py`` (declaring and building sections), ``schema.py`` (nettrain's
sections and keys), ``yamlfile.py`` (reading YAML), ``loading.py`` (files,
mappings and ``--set`` overrides into a Config), ``reference.py`` (the
README's reference, generated).
"""
from __future__ import annotations

from .checks import Boolean, Either, Integer, ListOf, Nullable, Number, OneOf, Text
from .loading import as_config, config_from_dict, load_config
from .reference import resumable_keys, schema_keys, schema_reference
from .schema import (Config, DataConfig, LossConfig, ModelConfig, OptimizerConfig, OutputConfig,
                     SchedulerConfig, TrainConfig)

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
    "as_config",
    "resumable_keys",
    "config_from_dict",
    "schema_reference",
    "schema_keys",
    "Boolean", "Either", "Integer", "ListOf", "Nullable", "Number", "OneOf", "Text",
]
