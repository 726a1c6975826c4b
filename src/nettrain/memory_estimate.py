"""How much memory a config will need, estimated before anything is allocated.

A config can ask for more than any machine has (``data.train_size: 10**12``,
``model.hidden: [20000, 20000]``); without a check, NumPy's allocation fails
with a MemoryError traceback, or the operating system's OOM killer ends the
process with no message at all. ``check_fits_memory(config)`` estimates the
three big consumers from the config alone, before any data is made or read:

- the data set: (train + test samples) x values per sample x 4 bytes, twice
  (the float images and their transformed copy);
- the model: parameters x 4 bytes x (weights, gradients and the optimizer's
  buffers);
- the activations of one step: batch size x values the layers produce x
  4 bytes x 3 (outputs, what backward keeps, their gradients), or of an
  evaluation batch of 1,000 without gradients, whichever is larger;

and refuses (exit 2) a config whose estimate exceeds the memory available,
naming the key behind the largest share and both figures. The estimate is
an order of magnitude, deliberately simple: it catches the configs that
cannot run, not those that would run at 95 % of memory.
"""
from __future__ import annotations

import math
import os
import resource

from .errors import ConfigError

FLOAT = 4  # bytes of a float32
OPTIMIZER_BUFFERS = {"sgd": 1, "adagrad": 1, "rmsprop": 3, "adam": 3, "adamw": 3}
EVAL_BATCH = 1000


def available_bytes() -> int:
    """Memory this process can use: MemAvailable (Linux), else physical memory;
    lower when an address-space limit (``ulimit -v``) is set."""
    amount = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    amount = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        pass
    if amount is None:
        try:
            amount = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            amount = 1 << 62  # unknown: never refuse on this account
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        amount = min(amount, soft)
    return amount


def estimate(config) -> dict:
    """{config key: estimated bytes} for the data set, the model and the
    activations of a typed ``Config`` (a mapping is validated into one)."""
    from .config import as_config
    from .data.datasets import IMAGE_DATASETS, SYNTHETIC_DATASETS, make_synthetic

    cfg = as_config(config)
    name = cfg.data.dataset
    if name in IMAGE_DATASETS:
        info = IMAGE_DATASETS[name]
        sample_shape = (1, *info.image_shape)
        sizes = {"train": info.split_sizes["train"], "test": info.split_sizes["test"]}
        outputs = len(info.classes)
    else:
        info = SYNTHETIC_DATASETS[name]
        probe = make_synthetic(name, 2, 2, None, 0)["train"]  # two samples: the shapes, nothing big
        sample_shape = tuple(probe[0].shape[1:])
        sizes = {"train": info.train_size, "test": info.test_size}
        outputs = max(2, probe[1].shape[1] if probe[1].ndim == 2 else int(probe[1].max()) + 1)
    options = cfg.data.kwargs()  # the synthetic sets' sizes (None: the set's own)
    for split in sizes:
        if options.get(f"{split}_size") is not None:
            sizes[split] = options[f"{split}_size"]
    values = math.prod(sample_shape)
    data_key = "data.train_size" if sizes["train"] >= sizes["test"] else "data.test_size"
    data_bytes = (sizes["train"] + sizes["test"]) * values * FLOAT * 2

    widths = _layer_widths(cfg.model, sample_shape, values, outputs)
    params = sum(a * b + b for a, b in zip([values] + widths[:-1], widths)) if cfg.model.name == "mlp" \
        else _lenet_parameters(sample_shape, outputs)
    buffers = OPTIMIZER_BUFFERS.get(cfg.optimizer.name, 3)
    model_bytes = params * FLOAT * (2 + buffers)
    activation_values = sum(widths) + values
    activation_bytes = max(cfg.data.batch_size * 3, EVAL_BATCH * 2) * activation_values * FLOAT
    return {data_key: data_bytes, "model.hidden": model_bytes, "data.batch_size": activation_bytes}


def _layer_widths(model, sample_shape, values, outputs):
    if model.name == "mlp":
        return [int(h) for h in model.kwargs()["hidden"]] + [outputs]
    side = sample_shape[-1]
    first, second = (side - 4) ** 2 * 6, ((side - 4) // 2 - 4) ** 2 * 16
    return [first, first // 4, second, second // 4, 120, 84, outputs]


def _lenet_parameters(sample_shape, outputs):
    side = ((sample_shape[-1] - 4) // 2 - 4) // 2
    channels = sample_shape[0]
    return (channels * 6 * 25 + 6) + (6 * 16 * 25 + 16) + (16 * side * side * 120 + 120) + (120 * 84 + 84) \
        + (84 * outputs + outputs)


def check_fits_memory(config, source: str = "config"):
    """ConfigError (exit 2) when the estimate exceeds the memory available."""
    parts = estimate(config)
    total = sum(parts.values())
    available = available_bytes()
    if total <= available:
        return
    key = max(parts, key=parts.get)
    raise ConfigError(
        f"{source}: {key}: this config needs about {_size(total)} of memory ({_size(parts[key])} of it for "
        f"{_WHAT[key.split('.')[-1]]}), more than the {_size(available)} available; make {key} smaller"
    )


_WHAT = {"train_size": "the data set", "test_size": "the data set", "hidden": "the model's parameters",
         "batch_size": "one step's activations"}


def _size(nbytes: int) -> str:
    for unit, scale in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20)):
        if nbytes >= scale:
            value = nbytes / scale
            return f"{value:.3g} {unit}" if value < 1e6 else f"{value:.2e} {unit}"
    return f"{nbytes:,} bytes"
