"""The config layer: a person's YAML -> typed Config, overrides, and one clear message per mistake."""
from __future__ import annotations

import copy
import math

import pytest
import yaml

from nettrain.config import config_from_dict, load_config, schema_keys, schema_reference
from nettrain.errors import ConfigError, UsageError

GOOD_YAML = """\
seed: 3
data:
  dataset: mnist
  batch_size: 32
  transforms: [flatten, {normalize: {mean: 0.1307, std: 0.3081}}]
model:
  name: mlp
  hidden: [128, 64]
optimizer:
  name: sgd
  lr: 0.1
  momentum: 0.9
scheduler:
  name: cosine
train:
  epochs: 4
"""


def minimal() -> dict:
    """The smallest valid config, as YAML would give it."""
    return {
        "data": {"dataset": "mnist"},
        "model": {"name": "mlp"},
        "optimizer": {"name": "sgd", "lr": 0.1},
        "train": {"epochs": 3},
    }


def write(tmp_path, text, name="exp.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


# --- a good config ----------------------------------------------------------


def test_good_config_resolves_with_defaults(tmp_path):
    cfg = load_config(write(tmp_path, GOOD_YAML))
    assert cfg.name == "exp"  # the file's stem
    assert (cfg.seed, cfg.device) == (3, "cpu")
    assert cfg.data.dataset == "mnist" and cfg.data.batch_size == 32
    assert cfg.data.download is True and cfg.data.root is None and cfg.data.val_split == 0
    assert cfg.data.transforms == ["flatten", {"normalize": {"mean": 0.1307, "std": 0.3081}}]
    assert cfg.data.kwargs() == {}
    assert cfg.model.name == "mlp"
    assert cfg.model.kwargs() == {
        "hidden": [128, 64], "activation": "relu", "dropout": 0.0, "in_features": None, "out_features": None,
    }
    assert cfg.loss.name == "cross_entropy" and cfg.loss.kwargs() == {"label_smoothing": 0.0}
    assert cfg.optimizer.name == "sgd"
    assert cfg.optimizer.kwargs() == {
        "lr": 0.1, "momentum": 0.9, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0,
    }
    # cosine's T_max defaults to the number of epochs
    assert cfg.scheduler.name == "cosine" and cfg.scheduler.kwargs() == {"T_max": 4, "eta_min": 0.0}
    assert cfg.train.epochs == 4 and cfg.train.log_every == 50 and cfg.train.grad_clip is None
    assert cfg.train.keep_last == 1 and cfg.train.l1 == 0.0
    assert cfg.output.runs_dir == "runs"


def test_optimizer_defaults_are_pytorchs():
    def opt(name):
        d = minimal()
        d["optimizer"] = {"name": name}
        return config_from_dict(d).optimizer.kwargs()

    assert opt("sgd")["lr"] == 0.001
    assert opt("adagrad") == {"lr": 0.01, "lr_decay": 0.0, "weight_decay": 0.0,
                              "initial_accumulator_value": 0.0, "eps": 1e-10}
    assert opt("rmsprop") == {"lr": 0.01, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0,
                              "momentum": 0.0, "centered": False}
    assert opt("adam") == {"lr": 0.001, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0,
                           "amsgrad": False}
    assert opt("adamw")["weight_decay"] == 0.01


def test_synthetic_data_options_and_scheduler_choices():
    d = minimal()
    d["data"] = {"dataset": "clusters3", "train_size": 200, "noise": 0.5, "val_split": 0.2}
    d["scheduler"] = {"name": "multistep", "milestones": [2, 5]}
    d["loss"] = {"name": "mse"}
    d["model"] = {"name": "lenet", "pool": "avg"}
    cfg = config_from_dict(d)
    assert cfg.data.kwargs() == {"train_size": 200, "test_size": None, "noise": 0.5}
    assert cfg.data.val_split == 0.2
    assert cfg.scheduler.kwargs() == {"milestones": [2, 5], "gamma": 0.1}
    assert cfg.loss.kwargs() == {}
    assert cfg.model.kwargs() == {"activation": "relu", "pool": "avg", "in_channels": None, "num_classes": None}


def test_ints_are_fine_where_numbers_are_expected_and_yaml_exponents_are_numbers(tmp_path):
    text = GOOD_YAML.replace("lr: 0.1", "lr: 1e-3").replace("momentum: 0.9", "momentum: 1")
    cfg = load_config(write(tmp_path, text))
    assert cfg.optimizer.kwargs()["lr"] == 0.001
    assert cfg.optimizer.kwargs()["momentum"] == 1.0 and isinstance(cfg.optimizer.kwargs()["momentum"], float)


def test_round_trip_through_to_dict_and_yaml(tmp_path):
    cfg = load_config(write(tmp_path, GOOD_YAML))
    plain = cfg.to_dict()
    again = config_from_dict(yaml.safe_load(yaml.safe_dump(plain)), source="config.yaml")
    assert again == cfg
    assert again.to_dict() == plain
    assert yaml.safe_load(cfg.to_yaml()) == plain
    # mnist stores no synthetic-only keys, so the stored file is itself valid
    assert "noise" not in plain["data"]


# --- overrides ----------------------------------------------------------------


def test_overrides_set_values_parsed_as_yaml(tmp_path):
    path = write(tmp_path, GOOD_YAML)
    cfg = load_config(path, ["optimizer.lr=0.05", "model.hidden=[10, 20]", "train.grad_clip=1",
                             "scheduler=null", "name=trial-2"])
    assert cfg.optimizer.kwargs()["lr"] == 0.05
    assert cfg.model.kwargs()["hidden"] == [10, 20]
    assert cfg.train.grad_clip == 1.0
    assert cfg.scheduler is None
    assert cfg.name == "trial-2"


def test_override_can_create_a_section_and_switch_a_choice(tmp_path):
    path = write(tmp_path, GOOD_YAML.replace("  momentum: 0.9\n", ""))
    cfg = load_config(path, ["optimizer.name=adam", "loss.label_smoothing=0.1"])
    assert cfg.optimizer.name == "adam" and cfg.optimizer.kwargs()["lr"] == 0.1
    assert cfg.loss.kwargs() == {"label_smoothing": 0.1}


@pytest.mark.parametrize(
    "override, words",
    [
        ("optimizer.lr='0.05'", ["--set optimizer.lr='0.05'", "optimizer.lr", "without quotes"]),
        ("optimizer.lr=-1", ["--set optimizer.lr=-1", "optimizer.lr", "a number >= 0", "-1"]),
        ("train.epochs=2.5", ["--set train.epochs=2.5", "train.epochs", "an integer >= 1"]),
        ("optimizer.lrr=0.1", ["--set optimizer.lrr=0.1", "optimizer.lrr", "unknown key", "did you mean 'lr'"]),
        ("trian.epochs=3", ["--set trian.epochs=3", "trian", "did you mean 'train'"]),
        ("lr", ["--set lr", "KEY=VALUE"]),
        ("optimizer.=3", ["--set optimizer.=3", "KEY=VALUE"]),
        ("seed.value=3", ["--set seed.value=3", "seed", "not a section"]),
        ("model.hidden=[1, 2", ["--set model.hidden=[1, 2", "invalid YAML"]),
    ],
)
def test_bad_overrides_name_the_override(tmp_path, override, words):
    path = write(tmp_path, GOOD_YAML)
    with pytest.raises(ConfigError) as info:
        load_config(path, [override])
    message = str(info.value)
    assert message.startswith(str(path))
    for word in words:
        assert word in message, message


def test_errors_in_the_file_do_not_blame_an_override(tmp_path):
    path = write(tmp_path, GOOD_YAML.replace("batch_size: 32", "batch_size: 0"))
    with pytest.raises(ConfigError) as info:
        load_config(path, ["optimizer.lr=0.05"])
    assert "--set" not in str(info.value) and "data.batch_size" in str(info.value)


# --- one clear message per mistake ----------------------------------------------


def _with(**changes):
    """A change to minimal(): key -> dict to merge into that section, None to delete it, else a new value."""

    def make():
        d = minimal()
        for section, change in changes.items():
            if change is None:
                d.pop(section)
            elif isinstance(change, dict) and isinstance(d.get(section), dict):
                d[section].update(change)
            else:
                d[section] = change
        return d

    return make


BAD_DICTS = {
    "option of another optimizer": (
        _with(optimizer={"name": "adam", "momentum": 0.9}),
        ["optimizer.momentum", "not an option of adam", "sgd, rmsprop", "adam takes lr, betas, eps"]),
    "typo in a key": (_with(data={"batchsize": 8}), ["data.batchsize", "unknown key", "did you mean 'batch_size'"]),
    "fractional epochs": (_with(train={"epochs": 2.5}), ["train.epochs", "an integer >= 1", "2.5"]),
    "epochs written 2.0": (_with(train={"epochs": 2.0}), ["train.epochs", "an integer", "2.0 (a float)"]),
    "quoted number": (_with(optimizer={"lr": "0.1"}), ["optimizer.lr", "a number >= 0", "write it without quotes"]),
    "quoted integer": (_with(data={"batch_size": "2"}), ["data.batch_size", "an integer", "without quotes"]),
    "boolean as int": (_with(train={"epochs": True}), ["train.epochs", "an integer", "true (a boolean)"]),
    "negative lr": (_with(optimizer={"lr": -0.5}), ["optimizer.lr", ">= 0", "got -0.5"]),
    "lr nan": (_with(optimizer={"lr": math.nan}), ["optimizer.lr", "NaN"]),
    "grad_clip inf": (_with(train={"grad_clip": math.inf}), ["train.grad_clip", ".inf", "infinity"]),
    "batch_size zero": (_with(data={"batch_size": 0}), ["data.batch_size", "an integer >= 1"]),
    "synthetic-only key on mnist": (_with(data={"noise": 0.1}),
                                    ["data.noise", "belongs to the synthetic data sets", "not an option of mnist"]),
    "mlp key on lenet": (_with(model={"name": "lenet", "hidden": [3]}),
                         ["model.hidden", "not an option of lenet", "belongs to mlp"]),
    "loss option on mse": (_with(loss={"name": "mse", "label_smoothing": 0.1}),
                           ["loss.label_smoothing", "belongs to cross_entropy", "mse takes no options"]),
    "missing section": (_with(train=None), ["train", "required section is missing", "epochs"]),
    "missing choice": (lambda: {**minimal(), "optimizer": {"lr": 0.1}},
                       ["optimizer.name", "missing", "'sgd'", "'adamw'"]),
    "misspelt choice": (_with(optimizer={"name": "adma"}), ["optimizer.name", "one of", "did you mean 'adam'"]),
    "nesterov without momentum": (_with(optimizer={"nesterov": True}),
                                  ["optimizer.nesterov", "momentum > 0", "dampening = 0"]),
    "milestones decreasing": (_with(scheduler={"name": "multistep", "milestones": [5, 3]}),
                              ["scheduler.milestones[1]", "increasing"]),
    "missing scheduler argument": (_with(scheduler={"name": "step"}), ["scheduler.step_size", "missing"]),
    "betas of one": (_with(optimizer={"name": "adam", "betas": [0.9]}),
                     ["optimizer.betas", "a list of 2 items", "[0.9]"]),
    "beta out of range": (_with(optimizer={"name": "adam", "betas": [0.9, 1.0]}),
                          ["optimizer.betas[1]", "in [0, 1)"]),
    "hidden not a list": (_with(model={"hidden": 128}), ["model.hidden", "a list", "128 (an integer)"]),
    "dropout of one": (_with(model={"dropout": 1.0}), ["model.dropout", "in [0, 1)"]),
    "val_split too big": (_with(data={"val_split": 1.5}), ["data.val_split", "a count", "a fraction", "1.5"]),
    "negative val_split": (_with(data={"val_split": -3}), ["data.val_split", "-3"]),
    "val_split of one": (_with(data={"val_split": 1.0}), ["data.val_split", "a fraction", "1.0"]),
    "val_split as a percentage": (_with(data={"val_split": "10%"}), ["data.val_split", "'10%'"]),
    "val_split true": (_with(data={"val_split": True}), ["data.val_split", "true (a boolean)"]),
    "transforms not a list": (_with(data={"transforms": "zscore"}), ["data.transforms", "a list"]),
    "zscore with an option": (_with(data={"transforms": [{"zscore": {"eps": 1}}]}),
                              ["data.transforms[0].zscore", "takes no arguments"]),
    "unknown transform sharpen": (_with(data={"transforms": ["sharpen"]}), ["data.transforms[0]", "'sharpen'"]),
    "unknown dataset cifar10": (_with(data={"dataset": "cifar10"}), ["data.dataset", "'mnist'", "'linear'"]),
    "unknown transform": (_with(data={"transforms": ["flaten"]}), ["data.transforms[0]", "did you mean 'flatten'"]),
    "transform with arguments it lacks": (_with(data={"transforms": [{"flatten": True}]}),
                                          ["data.transforms[0].flatten", "takes no arguments"]),
    "normalize std zero": (_with(data={"transforms": [{"normalize": {"mean": 0, "std": 0}}]}),
                           ["data.transforms[0].normalize.std", "> 0"]),
    "normalize without mean": (_with(data={"transforms": [{"normalize": {"std": 1}}]}),
                               ["data.transforms[0].normalize.mean", "missing"]),
    "unknown dataset": (_with(data={"dataset": "mnsit"}), ["data.dataset", "did you mean 'mnist'"]),
    "bad device": (_with(device="gpu"), ["device", "'cuda:N'", "'gpu'"]),
    "name with a slash": (_with(name="../escape"), ["name", "without '/'", "'../escape'"]),
    "typo in a section": (_with(optimzer={"name": "sgd"}), ["optimzer", "unknown key", "did you mean 'optimizer'"]),
    "unknown top-level key": (_with(extra=1), ["extra", "unknown key", "the top level takes", "optimizer"]),
    "section not a mapping": (_with(train=[3]), ["train", "expected a mapping", "(a list)"]),
    "empty section": (lambda: {**minimal(), "train": None},
                      ["train", "expected a mapping with at least epochs", "got null"]),
    "string for a boolean": (_with(data={"download": "yes"}), ["data.download", "true or false", "without quotes"]),
    "negative seed": (_with(seed=-1), ["seed", "an integer >= 0"]),
    "keep_last zero": (_with(train={"keep_last": 0}), ["train.keep_last", "an integer >= 1"]),
    "negative l1": (_with(train={"l1": -0.1}), ["train.l1", ">= 0"]),
    "fractional train_size": (_with(data={"dataset": "linear", "train_size": 2.5}),
                              ["data.train_size", "an integer >= 1", "2.5"]),
    "negative noise": (_with(data={"dataset": "linear", "noise": -1}), ["data.noise", "a number >= 0", "-1"]),
    "cross_entropy option on nll": (_with(loss={"name": "nll", "label_smoothing": 0.1}),
                                    ["loss.label_smoothing", "not an option of nll", "belongs to cross_entropy"]),
}


@pytest.mark.parametrize("make, words", BAD_DICTS.values(), ids=BAD_DICTS.keys())
def test_bad_config_gives_one_message_with_key_and_hint(make, words):
    with pytest.raises(ConfigError) as info:
        config_from_dict(make(), source="configs/x.yaml")
    message = str(info.value)
    assert message.startswith("configs/x.yaml: ")
    assert "\n" not in message
    for word in words:
        assert word in message, message


# (what was given, the guess the message may offer, or None: the list of choices speaks alone)
GUESSES = {
    "far-off model name": (_with(model={"name": "resnet"}), None),
    "another net's name": (_with(model={"name": "alexnet"}), None),
    "another loss's name": (_with(loss={"name": "l2"}), None),
    "one letter too many": (_with(model={"name": "lenett"}), "lenet"),
    "capitals": (_with(model={"name": "LeNet"}), "lenet"),
    "swapped letters": (_with(optimizer={"name": "adma"}), "adam"),
    "the start of a name": (_with(data={"dataset": "fashion"}), "fashion-mnist"),
    "the start of a key": (_with(train={"epochs": 3, "early_stop": 3}), "early_stopping"),
}


@pytest.mark.parametrize("make, guess", GUESSES.values(), ids=GUESSES.keys())
def test_a_guess_is_offered_only_when_really_close(make, guess):
    with pytest.raises(ConfigError) as info:
        config_from_dict(make(), source="configs/x.yaml")
    message = str(info.value)
    if guess is None:
        assert "did you mean" not in message and "expected one of '" in message, message
    else:
        assert message.endswith(f"; did you mean {guess!r}?"), message


BAD_FILES = {
    "empty": ("", ["is empty", "data, model, optimizer and train"]),
    "only comments": ("# nothing yet\n", ["is empty"]),
    "a list": ("- data\n- model\n", ["top level must be a mapping", "(a list)"]),
    "a scalar": ("hello\n", ["top level must be a mapping", "'hello'"]),
    "syntax error": ("data:\n  dataset: mnist\n  batch_size: [1, 2\nmodel: {}\n", ["invalid YAML at line", "column"]),
    "bad indentation": ("data:\n  dataset: mnist\n batch_size: 3\n", ["invalid YAML at line 3"]),
    "duplicate key": ("train:\n  epochs: 1\n  epochs: 2\n", ["line 3", "'epochs' appears twice"]),
}


@pytest.mark.parametrize("text, words", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_file_gives_one_message_naming_the_file(tmp_path, text, words):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(str(path))
    for word in words:
        assert word in str(info.value), str(info.value)


def test_missing_file_and_folder_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="not found") as info:
        load_config(tmp_path / "nope.yaml")
    assert "nope.yaml" in str(info.value)
    with pytest.raises(ConfigError, match="is a folder"):
        load_config(tmp_path)


def test_config_errors_are_usage_errors():
    # the CLI turns UsageError into exit status 2 without a traceback
    with pytest.raises(UsageError):
        config_from_dict({"data": {}})


def test_validation_does_not_change_the_callers_dict():
    d = minimal()
    before = copy.deepcopy(d)
    config_from_dict(d)
    assert d == before


# --- the generated reference ----------------------------------------------------


def test_reference_documents_every_key_and_choice():
    reference = schema_reference()
    for dotted in schema_keys():
        assert f"`{dotted}`" in reference, dotted
    for choice in ["fashion-mnist", "clusters3", "lenet", "bce_with_logits", "adamw", "exponential", "cosine"]:
        assert f"`{choice}`" in reference, choice
    assert "optimizer.momentum" in schema_keys() and "data.noise" in schema_keys()


@pytest.mark.parametrize("text, position, key", [
    ("data:\n  dataset: clusters\nmodel:\n  name: mlp\n  hiden: [3]\noptimizer:\n  name: sgd\ntrain:\n  epochs: 1\n",
     ":5:10:", "model.hiden"),
    ("data:\n  dataset: clusters\nmodel: {name: mlp}\noptimizer:\n  name: sgd\n  lr: '0.1'\ntrain:\n  epochs: 1\n",
     ":6:7:", "optimizer.lr"),
    ("data:\n  dataset: clusters\n  transforms: [zscore, flaten]\nmodel: {name: mlp}\noptimizer: {name: sgd}\n"
     "train: {epochs: 1}\n", ":3:24:", "data.transforms[1]"),
    # A missing key points at its section.
    ("data:\n  dataset: clusters\nmodel: {name: mlp}\noptimizer:\n  lr: 0.1\ntrain: {epochs: 1}\n",
     ":5:3:", "optimizer.name"),
])
def test_semantic_errors_give_file_line_and_column(tmp_path, text, position, key):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}{position} {key}: "), str(info.value)


def test_an_override_is_named_instead_of_a_position(tmp_path):
    path = write(tmp_path, GOOD_YAML)
    with pytest.raises(ConfigError) as info:
        load_config(path, ["optimizer.lr=-1"])
    assert str(info.value).startswith(f"{path} (--set optimizer.lr=-1): optimizer.lr: ")
