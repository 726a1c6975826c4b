"""Building a run's components from a config: data, model, loss, optimizer, scheduler.

The model's input size and number of outputs come from the data set; a loss
that does not fit the data set's task is a config error found here, before
any run folder exists.
"""
from __future__ import annotations

import dataclasses

from .. import backend, registry
from ..config import as_config
from ..data import build_data
from ..data.augment import Augment
from ..errors import ArgumentError, CheckpointError, ConfigError, UsageError
from ..models import build_model
from ..optim.lr_scheduler import LinearLR, SequentialLR
from ..optim.step_hooks import ClipGradNorm, L1Penalty



@dataclasses.dataclass
class Components:
    data: object           # nettrain.data.DataBundle
    model: object          # nettrain.nn.Module
    loss_name: str
    loss_options: dict
    optimizer: object
    scheduler: object      # or None
    device: backend.Device
    scheduler_interval: str = "epoch"   # step the scheduler after every "epoch" or every optimizer "step"
    augment: object = None              # data.augment.Augment for training batches, or None


def build(config, device=None, transform_state=None, source=None) -> Components:
    """Data, model, loss, optimizer and scheduler from a config.

    ``config`` is a typed ``Config`` (``nettrain.config``); a mapping or a
    YAML path is validated first (``as_config``: ConfigError naming
    ``source``). Seeds the engine first, so the model's initial weights
    depend only on the config's seed. Raises UsageError subclasses for a
    person's mistakes (missing data, a model argument that contradicts the
    data set), all before anything is written."""
    cfg = as_config(config, source)
    source = source or "config"
    device = backend.Device(device or cfg.device)
    if device.type == "cuda":
        try:
            backend.cupy_module()  # a clear error now, before anything is built
        except RuntimeError as err:
            raise UsageError(f"device {device}: {err}") from None
    backend.manual_seed(cfg.seed)
    bundle = data_from_config(cfg, transform_state=transform_state, source=source)
    train = cfg.train
    limit_batches(bundle, cfg.data.batch_size, train.limit_batches, train.overfit_batches)

    model_name, model_kwargs = model_arguments(cfg, bundle, source)
    model = build_model(model_name, **model_kwargs)
    if cfg.model.init_from:
        _load_initial_weights(model, cfg.model.init_from, source)
    model.to(device)

    optimizer = build_optimizer(cfg.optimizer, model.parameters(), l1=train.l1, grad_clip=train.grad_clip)
    scheduler, interval = None, "epoch"
    if cfg.scheduler is not None:
        steps_per_epoch = -(-len(bundle.train[1]) // cfg.data.batch_size)
        scheduler, interval = build_scheduler(optimizer, cfg.scheduler, train.epochs, steps_per_epoch)
    augment = None
    if cfg.data.augment and not train.overfit_batches:
        augment = Augment([registry.entry("augmentation", name).target(**args)
                           for item in cfg.data.augment for name, args in item.items()], seed=cfg.seed)
    return Components(bundle, model, cfg.loss.name, cfg.loss.kwargs(), optimizer, scheduler, device, interval,
                      augment)


def check_optional_packages(config, source=None):
    """The optional extras a config's keys need, imported now: a missing one
    is a UsageError naming the pip install, raised by ``nettrain.train``
    before any run folder exists and by ``nettrain config check`` (a config
    that train would refuse is not "ok"). output.tensorboard needs
    tensorboardX; model.init_from, safetensors."""
    from ..interop import require
    from ..tensorboard import require_tensorboardx

    cfg = as_config(config, source)
    if cfg.output.tensorboard:
        require_tensorboardx()
    if cfg.model.init_from:
        require("safetensors", "model.init_from")


def data_from_config(config, transform_state=None, probe: bool = False, source=None):
    """``build_data`` with the config's data section as its arguments (the
    schema has checked each value); what only the data can show wrong (a
    validation split larger than the set, one_hot on a regression set) is a
    ConfigError naming the key. ``augment`` is not the bundle's: the
    trainer applies it to training batches."""
    cfg = as_config(config, source)
    data = cfg.data
    try:
        return build_data(data.dataset, batch_size=data.batch_size, val_split=data.val_split,
                          transforms=data.transforms, root=data.root, download=data.download,
                          seed=cfg.seed, transform_state=transform_state, probe=probe, **data.kwargs())
    except ArgumentError as err:
        raise ConfigError(f"{source or 'config'}: data.{err.argument}: {err.problem}") from None


def build_optimizer(settings, params, l1: float = 0.0, grad_clip: float | None = None):
    """The config's optimizer (an ``OptimizerConfig``) over ``params``, with
    ``train.l1`` and ``train.grad_clip`` as step hooks: part of every update
    it makes (L1's gradient first, so the clipped norm includes it, as when
    the penalty was a term of the loss)."""
    optimizer = settings.entry().target(params, **settings.kwargs())
    if l1:
        optimizer.register_step_pre_hook(L1Penalty(l1))
    if grad_clip:
        optimizer.register_step_pre_hook(ClipGradNorm(grad_clip))
    return optimizer


def build_scheduler(optimizer, settings, epochs: int, steps_per_epoch: int):
    """(scheduler, interval) from the config's scheduler section (a
    ``SchedulerConfig``): the named schedule over the run's intervals
    (epochs, or optimizer steps), after ``warmup`` intervals of LinearLR from
    ``warmup_start_factor`` when asked (PyTorch's SequentialLR([LinearLR,
    schedule], milestones=[warmup]))."""
    options, interval, warmup = settings.kwargs(), settings.interval, settings.warmup
    intervals = epochs * (steps_per_epoch if interval == "step" else 1)
    rest = max(intervals - warmup, 1)
    schedule = settings.entry()
    for option in schedule.options():  # a length left null: the rest of the run (cosine's T_max, onecycle's)
        if option.derived is not None and options.get(option.name) is None:
            options[option.name] = rest
    if not warmup:
        return schedule.target(optimizer, **options), interval
    warm = LinearLR(optimizer, start_factor=settings.warmup_start_factor, end_factor=1.0, total_iters=warmup)
    return SequentialLR(optimizer, [warm, schedule.target(optimizer, **options)], milestones=[warmup]), interval


def limit_batches(bundle, batch_size: int, limit=None, overfit=None):
    """Quick-debug runs (Lightning's limit_*_batches / overfit_batches), by
    trimming the splits once: ``limit`` keeps the first ``limit`` batches of
    each evaluation split (training takes the first ``limit`` batches of each
    shuffled epoch, see ``Trainer``); ``overfit`` keeps the first ``overfit``
    training batches as the whole training set, evaluated on themselves."""
    if overfit:
        size = overfit * batch_size
        bundle.train = tuple(a[:size] for a in bundle.train)
        bundle.val = bundle.test = bundle.train
        bundle.source += f"; overfit_batches: the first {len(bundle.train[1])} training samples only"
    elif limit:
        size = limit * batch_size
        bundle.val = None if bundle.val is None else tuple(a[:size] for a in bundle.val)
        bundle.test = tuple(a[:size] for a in bundle.test)


def model_arguments(config, bundle, source=None) -> tuple[str, dict]:
    """The model's name and keyword arguments, sizes filled in from the data
    set, after checking that the loss and the model fit the data (ConfigError
    otherwise). ``bundle`` may be a probe (``build_data(..., probe=True)``)."""
    cfg = as_config(config, source)
    source = source or "config"
    loss = cfg.loss.entry()
    _check_loss_fits_data(loss, bundle, source)
    kwargs = _fill_model_sizes(cfg.model.entry(), cfg.model.kwargs(), bundle, loss, source)
    if loss.meta["model_output"] == "log_probabilities":
        kwargs["log_softmax"] = True  # NLLLoss takes log-probabilities, as in PyTorch
    return cfg.model.name, kwargs


def _load_initial_weights(model, path, source):
    """``model.init_from``: weights from a safetensors file (PyTorch's names);
    every missing, unexpected or misshapen tensor in one message."""
    from ..interop.safetensors_file import load_safetensors  # the export extra, needed only here

    weights = load_safetensors(path)
    try:
        model.load_state_dict(weights, strict=True)
    except (KeyError, ValueError, RuntimeError) as err:
        raise CheckpointError(f"{source}: model.init_from: {path} does not fit the model: {err}") from None


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
