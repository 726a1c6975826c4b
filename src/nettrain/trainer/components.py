"""Building a run's components from a config: data, model, loss, optimizer, scheduler.

The model's input size and number of outputs come from the data set; a loss
that does not fit the data set's task is a config error found here, before
any run folder exists.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from .. import backend
from ..data import build_data
from ..errors import ConfigError, UsageError
from ..models import build_model
from ..optim import OPTIMIZERS
from ..optim.lr_scheduler import SCHEDULERS

LOSSES = {
    "cross_entropy": "classification",
    "nll": "classification",
    "bce_with_logits": "binary",
    "mse": "any",
    "l1": "any",
}


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
    optimizer = OPTIMIZERS[opt_cfg.pop("name")](model.parameters(), **opt_cfg)
    scheduler = None
    if config.get("scheduler"):
        sched_cfg = dict(config["scheduler"])
        scheduler = SCHEDULERS[sched_cfg.pop("name")](optimizer, **sched_cfg)
    return Components(bundle, model, loss_name, loss_cfg, optimizer, scheduler, device)


def model_arguments(config: dict, bundle, source="config") -> tuple[str, dict]:
    """The model's name and keyword arguments, sizes filled in from the data
    set, after checking that the loss and the model fit the data (ConfigError
    otherwise). ``bundle`` may be a probe (``build_data(..., probe=True)``)."""
    _check_loss_fits_data(config["loss"]["name"], bundle, source)
    model_cfg = dict(config["model"])
    model_name = model_cfg.pop("name")
    return model_name, _fill_model_sizes(model_name, model_cfg, bundle, config["loss"]["name"], source)


def _check_loss_fits_data(loss_name, bundle, source):
    kind = LOSSES[loss_name]
    if kind == "classification" and bundle.task != "classification":
        raise ConfigError(
            f"{source}: loss.name: {loss_name} needs class labels, but data set "
            f"'{bundle.name}' is a regression task; use mse or l1"
        )
    if kind == "binary" and (bundle.task != "classification" or bundle.num_classes != 2):
        raise ConfigError(
            f"{source}: loss.name: bce_with_logits needs a two-class data set (clusters), "
            f"'{bundle.name}' has {bundle.num_classes or 'no'} classes; use cross_entropy"
        )
    if kind == "any" and bundle.task == "classification" and bundle.train[1].ndim != 2:  # no one_hot
        raise ConfigError(
            f"{source}: loss.name: {loss_name} on class labels needs the one_hot transform "
            f"(data.transforms: [..., one_hot]); or use cross_entropy"
        )


def _fill_model_sizes(model_name, kwargs, bundle, loss_name, source):
    """Input size and number of outputs come from the data set; a config may
    repeat them, but a wrong value is an error naming both numbers."""
    outputs = 1 if loss_name == "bce_with_logits" else bundle.output_size
    shape = tuple(bundle.input_shape)
    if model_name == "mlp":
        wanted = {"in_features": int(np.prod(shape)), "out_features": outputs}
    else:
        if len(shape) != 3:
            raise ConfigError(
                f"{source}: model.name: lenet needs image data (C, H, W), but '{bundle.name}' gives "
                f"samples of shape {shape}; use model mlp (or drop the flatten transform)"
            )
        if shape[1:] not in ((28, 28), (32, 32)):
            raise ConfigError(f"{source}: model.name: lenet takes 28x28 or 32x32 images, got {shape[1:]}")
        wanted = {"in_channels": shape[0], "num_classes": outputs, "input_size": shape[1]}
    for key, value in wanted.items():
        given = kwargs.get(key)
        if given is not None and given != value:
            raise ConfigError(
                f"{source}: model.{key}: is {given}, but data set '{bundle.name}' gives {value}; "
                f"remove the key (it is filled in from the data) or set it to {value}"
            )
        kwargs[key] = value
    return kwargs


