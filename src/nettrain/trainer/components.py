"""Building a run's components from a config: data, model, loss, optimizer, scheduler.

The model's input size and number of outputs come from the data set; a loss
that does not fit the data set's task is a config error found here, before
any run folder exists.
"""
from __future__ import annotations

import dataclasses

from .. import backend, registry
from ..data import build_data
from ..errors import ConfigError, UsageError
from ..models import build_model

@dataclasses.dataclass
class Components:
    data: object           # nettrain.data.DataBundle
    model: object          # nettrain.nn.Module
    loss_name: str
    loss_options: dict
    optimizer: object
    scheduler: object      # or None
    device: backend.Device


def build(config: dict, device=None, transform_state=None, source="config") -> Components:
    """Data, model, loss, optimizer and scheduler from a resolved config dict.

    Seeds the engine first, so the model's initial weights depend only on
    ``config["seed"]``. Raises UsageError subclasses for a person's mistakes
    (missing data, a model argument that contradicts the data set)."""
    device = backend.Device(device or config.get("device", "cpu"))
    if device.type == "cuda":
        try:
            backend.cupy_module()  # a clear error now, before anything is built
        except RuntimeError as err:
            raise UsageError(f"device {device}: {err}") from None
    backend.manual_seed(config["seed"])
    data_cfg = dict(config["data"])
    bundle = build_data(data_cfg, seed=config["seed"], transform_state=transform_state)

    loss_cfg = dict(config["loss"])
    loss_name = loss_cfg.pop("name")
    model_name, model_cfg = model_arguments(config, bundle, source)
    model = build_model(model_name, **model_cfg)
    model.to(device)

    opt_cfg = dict(config["optimizer"])
    optimizer = registry.entry("optimizer", opt_cfg.pop("name")).target(model.parameters(), **opt_cfg)
    scheduler = None
    if config.get("scheduler"):
        sched_cfg = dict(config["scheduler"])
        scheduler = registry.entry("scheduler", sched_cfg.pop("name")).target(optimizer, **sched_cfg)
    return Components(bundle, model, loss_name, loss_cfg, optimizer, scheduler, device)


def model_arguments(config: dict, bundle, source="config") -> tuple[str, dict]:
    """The model's name and keyword arguments, sizes filled in from the data
    set, after checking that the loss and the model fit the data (ConfigError
    otherwise). ``bundle`` may be a probe (``build_data(..., probe=True)``)."""
    loss = registry.entry("loss", config["loss"]["name"])
    _check_loss_fits_data(loss, bundle, source)
    model_cfg = dict(config["model"])
    model_name = model_cfg.pop("name")
    model_cfg = _fill_model_sizes(registry.entry("model", model_name), model_cfg, bundle, loss, source)
    if loss.meta["model_output"] == "log_probabilities":
        model_cfg["log_softmax"] = True  # NLLLoss takes log-probabilities, as in PyTorch
    return model_name, model_cfg


def _check_loss_fits_data(loss: registry.Entry, bundle, source):
    """The loss's registered task and targets against the data set's (``nettrain.nn.losses``)."""
    name, task, targets = loss.name, loss.meta["task"], loss.meta["targets"]
    one_hot = bundle.train[1].ndim == 2 and bundle.task == "classification"
    if task == "classification" and bundle.task != "classification":
        raise ConfigError(
            f"{source}: loss.name: {name} needs class labels, but data set "
            f"'{bundle.name}' is a regression task; use mse or l1"
        )
    if task == "binary" and (bundle.task != "classification" or bundle.num_classes != 2):
        raise ConfigError(
            f"{source}: loss.name: {name} needs a two-class data set (clusters), "
            f"'{bundle.name}' has {bundle.num_classes or 'no'} classes; use cross_entropy"
        )
    if targets in ("class_indices", "binary") and one_hot:
        raise ConfigError(
            f"{source}: loss.name: {name} takes class indices, but the one_hot transform in data.transforms "
            f"turns them into one-hot rows; drop one_hot, or use mse or l1"
        )
    if task == "any" and bundle.task == "classification" and not one_hot:
        raise ConfigError(
            f"{source}: loss.name: {name} on class labels needs the one_hot transform "
            f"(data.transforms: [..., one_hot]); or use cross_entropy"
        )


def _fill_model_sizes(model: registry.Entry, kwargs, bundle, loss: registry.Entry, source):
    """Input size and number of outputs come from the data set (each model's
    registered ``data_sizes``); a config may repeat them, but a wrong value
    is an error naming both numbers."""
    outputs = 1 if loss.meta["model_output"] == "one_logit" else bundle.output_size
    try:
        wanted = model.meta["data_sizes"](tuple(bundle.input_shape), outputs)
    except ValueError as err:
        raise ConfigError(f"{source}: model.name: {err} (data set '{bundle.name}')") from None
    for key, value in wanted.items():
        given = kwargs.get(key)
        if given is not None and given != value:
            raise ConfigError(
                f"{source}: model.{key}: is {given}, but data set '{bundle.name}' gives {value}; "
                f"remove the key (it is filled in from the data) or set it to {value}"
            )
        kwargs[key] = value
    return kwargs
