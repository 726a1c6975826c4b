"""Checkpoints: written atomically, loaded without executing anything.

A checkpoint is a nested dict saved with :func:`nettrain.save` (``.npz``
plus a JSON manifest, no pickle)::

    {"format": "nettrain-checkpoint", "version": 1,
     "model": state_dict, "optimizer": ..., "scheduler": ... or None,
     "epoch": epochs completed, "step": optimizer steps taken,
     "loader": the data loader's position, "rng": the engine's generator,
     "progress": running sums of the epoch in progress,
     "metrics": the records so far, "best": the best eval metric so far,
     "config": the resolved config, "data": the data set's fingerprint and
     transform statistics}

Writing goes through ``tempfiles.replace_atomic`` (a temporary file in the
same folder, flushed and fsynced, then renamed over the target), so a crash
or kill at any moment leaves the previous file intact.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from typing import NoReturn

import numpy as np

from .errors import CheckpointError
from .serialization import ArraySpec, open_file, save
from .tempfiles import replace_atomic

FORMAT = "nettrain-checkpoint"
VERSION = 1
SUFFIX = ".npz"


def write_atomic(obj, path) -> Path:
    """Save ``obj`` to ``path`` so that ``path`` is never seen half-written."""
    return replace_atomic(path, lambda f: save(obj, f))


def copy_atomic(source, path) -> Path:
    """Copy a checkpoint file to ``path``, just as atomically."""
    def copy(f):
        with open(source, "rb") as src:
            shutil.copyfileobj(src, f)

    return replace_atomic(path, copy)


def replace_text_atomic(path, text: str) -> Path:
    """Write a small text file (a run's config.yaml, its metrics) just as atomically."""
    return replace_atomic(path, lambda f: f.write(text.encode("utf-8")))


def write_bytes_atomic(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` just as atomically (exported models)."""
    return replace_atomic(path, lambda f: f.write(data))


# --------------------------------------------------------------------------- the layout

# One schema for what a checkpoint holds, checked on the structure before any
# array is read: every field's type and range, so a damaged or crafted file is
# one message naming the file and the field, never a traceback later.


class _Check:
    """A check of one value: ``expected`` (for the message) and ``problem(value)`` (None when fine)."""

    expected = "?"

    def problems(self, value, where):
        """Yield (where, message) for what is wrong, first problem first."""
        if not self.ok(value):
            yield where, f"expected {self.expected}, got {_describe(value)}"

    def ok(self, value) -> bool:
        raise NotImplementedError


class _Int(_Check):
    def __init__(self, ge=0):
        self.ge, self.expected = ge, f"an integer >= {ge}"

    def ok(self, value):
        return isinstance(value, int) and not isinstance(value, bool) and value >= self.ge


class _Number(_Check):
    expected = "a number"

    def ok(self, value):
        return isinstance(value, (int, float)) and not isinstance(value, bool)


class _Bool(_Check):
    expected = "true or false"

    def ok(self, value):
        return isinstance(value, bool)


class _Str(_Check):
    def __init__(self, exactly=None):
        self.exactly = exactly
        self.expected = f"{exactly!r}" if exactly is not None else "a string"

    def ok(self, value):
        return isinstance(value, str) and (self.exactly is None or value == self.exactly)


class _Plain(_Check):
    """JSON-like data (numbers, strings, lists, mappings) without arrays."""

    expected = "plain data (numbers, strings, lists, mappings) without arrays"

    def ok(self, value):
        if isinstance(value, (dict,)):
            return all(self.ok(v) for v in value.values())
        if isinstance(value, (list, tuple)):
            return all(self.ok(v) for v in value)
        return value is None or isinstance(value, (bool, int, float, str))


class _Array(_Check):
    expected = "an array"

    def ok(self, value):
        return isinstance(value, ArraySpec)


class _Nullable(_Check):
    def __init__(self, inner):
        self.inner, self.expected = inner, f"{inner.expected} or null"

    def problems(self, value, where):
        if value is not None:
            yield from self.inner.problems(value, where)


class _Either(_Check):
    def __init__(self, *checks):
        self.checks = checks
        self.expected = " or ".join(c.expected for c in checks)

    def ok(self, value):
        return any(not any(True for _ in c.problems(value, "")) for c in self.checks)


class _Record(_Check):
    """A mapping with exactly these keys (``optional`` ones may be absent)."""

    def __init__(self, fields: dict, optional=()):
        self.fields, self.optional = fields, set(optional)
        self.expected = f"a mapping with keys {', '.join(fields)}"

    def problems(self, value, where):
        if not isinstance(value, dict):
            yield where, f"expected {self.expected}, got {_describe(value)}"
            return
        for name, check in self.fields.items():
            if name in value:
                yield from check.problems(value[name], f"{where}.{name}" if where else name)
            elif name not in self.optional:
                yield (f"{where}.{name}" if where else name), "is missing"
        for name in value:
            if name not in self.fields:
                yield f"{where}.{_short(name)}" if where else _short(name), "is not part of a checkpoint"


class _MapOf(_Check):
    def __init__(self, key_type, item: _Check):
        self.key_type, self.item = key_type, item
        self.expected = f"a mapping of {key_type.__name__} keys to {item.expected}"

    def problems(self, value, where):
        if not isinstance(value, dict):
            yield where, f"expected {self.expected}, got {_describe(value)}"
            return
        for key, item in value.items():
            if isinstance(key, bool) or not isinstance(key, self.key_type):
                yield f"{where}[{_short(repr(key))}]", f"key of type {type(key).__name__}, expected {self.key_type.__name__}"
            else:
                yield from self.item.problems(item, f"{where}[{_short(repr(key))}]")


class _ListOf(_Check):
    def __init__(self, item: _Check):
        self.item, self.expected = item, f"a list of {item.expected}"

    def problems(self, value, where):
        if not isinstance(value, (list, tuple)):
            yield where, f"expected {self.expected}, got {_describe(value)}"
            return
        for i, item in enumerate(value):
            yield from self.item.problems(item, f"{where}[{i}]")


COUNT = _Int(ge=0)
LAYOUT = _Record({
    "format": _Str(FORMAT),
    "version": _Int(ge=1),
    "model": _MapOf(str, _Array()),
    "optimizer": _Record({
        "state": _MapOf(int, _MapOf(str, _Either(_Array(), COUNT, _Nullable(_Number())))),
        "param_groups": _ListOf(_MapOf(str, _Plain())),
    }),
    "scheduler": _Nullable(_MapOf(str, _Plain())),
    "epoch": COUNT,
    "step": COUNT,
    "progress": _Record({"loss_sum": _Number(), "count": COUNT, "correct": COUNT, "abs_err": _Number(),
                         "steps": COUNT, "seconds": _Number(), "lr": _Nullable(_Number())}, optional=("lr",)),
    "loader": _Record({"epoch": COUNT, "position": COUNT, "seed": COUNT, "shuffle": _Bool(),
                       "batch_size": _Int(ge=1), "drop_last": _Bool(), "num_samples": _Int(ge=1)}),
    "rng": _Record({"seed": COUNT, "cpu": _Record({
        "bit_generator": _Str("PCG64"), "state": _Record({"state": COUNT, "inc": COUNT}),
        "has_uint32": COUNT, "uinteger": COUNT}),
        "cuda": _MapOf(str, COUNT)}, optional=("cuda",)),  # draws per GPU (backend.CudaGenerator)
    "best": _Nullable(_Record({"metric": _Str(), "value": _Number(), "epoch": COUNT})),
    "early_stopping": _Nullable(_Record({"best": _Nullable(_Number()), "best_epoch": _Nullable(COUNT),
                                         "waited": COUNT})),
    "metrics": _ListOf(_MapOf(str, _Plain())),
    "config": _MapOf(str, _Plain()),
    "data": _Record({"name": _Str(), "transform_state": _MapOf(str, _Plain())}),
    "world_size": _Int(ge=1),  # processes that trained it (distributed/); older checkpoints: 1
}, optional=("world_size", "early_stopping"))


def _consistency(layout):
    """Yield (where, message) for counters that contradict each other."""
    loader = layout["loader"]
    batches = -(-loader["num_samples"] // loader["batch_size"])
    if loader["position"] > batches:
        yield "loader.position", (f"is {loader['position']}, but an epoch has only {batches} batches "
                                  f"({loader['num_samples']} samples, batch size {loader['batch_size']})")
    if loader["epoch"] != layout["epoch"]:
        yield "loader.epoch", f"is {loader['epoch']}, but the checkpoint's epoch is {layout['epoch']}"
    if layout["progress"]["steps"] != loader["position"]:
        yield "progress.steps", (f"is {layout['progress']['steps']}, but the loader is at batch "
                                 f"{loader['position']} of the epoch")
    if layout["step"] < loader["position"]:
        yield "step", f"is {layout['step']}, fewer than the {loader['position']} steps of this epoch alone"


def _describe(value) -> str:
    if isinstance(value, ArraySpec):
        return f"an array of shape {value.shape}"
    if value is None:
        return "null"
    if isinstance(value, (dict, list, tuple)):
        return f"a {type(value).__name__} of {len(value)} item{'s' * (len(value) != 1)}"
    return f"{_short(repr(value))} (a {type(value).__name__})"


def _short(text: str, limit=60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------- reading


class Checkpoint:
    """An open checkpoint whose layout has been checked; arrays are read on demand.

    ``layout`` is the checkpoint's structure with an ``ArraySpec`` (shape,
    dtype) in place of each array, so ``load`` can compare them with the
    model and optimizer before reading a byte of their data::

        with open_checkpoint(path) as ckpt:
            components = build(ckpt.layout["config"], ...)
            state = ckpt.load(components.model, components.optimizer)
    """

    def __init__(self, path):
        self.path = Path(path)
        self._file = open_file(self.path)
        try:
            self.layout = self._check_layout(self._file.root)
        except BaseException:
            self._file.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        self._file.close()

    def fail(self, where, problem) -> NoReturn:
        raise CheckpointError(f"{self.path}: {where}: {problem}" if where else f"{self.path}: {problem}")

    def _check_layout(self, root):
        if not isinstance(root, dict) or root.get("format") != FORMAT:
            raise CheckpointError(
                f"{self.path}: not a nettrain training checkpoint (no '{FORMAT}' marker); "
                f"`nettrain train` writes them under runs/<run>/checkpoints/"
            )
        version = root.get("version")
        if isinstance(version, bool) or not isinstance(version, int):
            self.fail("version", f"expected an integer format version, got {_describe(version)}")
        if version != VERSION:
            self.fail("version", f"checkpoint format version {version}, this nettrain reads version {VERSION}")
        for where, problem in LAYOUT.problems(root, ""):
            self.fail(where, problem)
        for where, problem in _consistency(root):
            self.fail(where, problem)
        return root

    def check_fits(self, model, optimizer=None, scheduler=None):
        """Compare the saved arrays' shapes and dtypes with what these objects
        hold (with ``optimizer``, also its settings and the scheduler's, None
        meaning the run has none); CheckpointError naming the first difference.
        Reads no array data."""
        expected = {name: tensor for name, tensor in model.state_dict().items()}
        saved = self.layout["model"]
        missing = [k for k in expected if k not in saved]
        unexpected = [k for k in saved if k not in expected]
        if missing or unexpected:
            self.fail("model", f"does not fit the model: missing {', '.join(missing) or 'nothing'}; "
                      f"unexpected {', '.join(map(_short, unexpected)) or 'nothing'}")
        for name, tensor in expected.items():
            self._check_array(f"model[{name!r}]", saved[name], tuple(tensor.shape), np.dtype(tensor.dtype))
        if optimizer is None:
            return  # evaluation: the model alone
        self._check_optimizer(optimizer)
        if scheduler is not None:
            self._check_settings("scheduler", self.layout["scheduler"], scheduler.state_dict())
        elif self.layout["scheduler"] is not None:
            self.fail("scheduler", "holds a learning-rate schedule's state, but this run has no scheduler")

    def _check_array(self, where, spec, shape, dtype):
        if spec.shape != shape:
            self.fail(where, f"has shape {spec.shape}, the model expects {shape}")
        if spec.dtype.kind != dtype.kind:
            self.fail(where, f"has dtype {spec.dtype}, the model expects {dtype}")

    def _check_optimizer(self, optimizer):
        saved, current = self.layout["optimizer"], optimizer.state_dict()
        if len(saved["param_groups"]) != len(current["param_groups"]):
            self.fail("optimizer.param_groups", f"has {len(saved['param_groups'])} groups, the optimizer "
                      f"has {len(current['param_groups'])}")
        shapes = [tuple(p.shape) for group in optimizer.param_groups for p in group["params"]]
        for i, (group, now) in enumerate(zip(saved["param_groups"], current["param_groups"])):
            self._check_settings(f"optimizer.param_groups[{i}]", group, now)
        for index, entry in saved["state"].items():
            if not 0 <= index < len(shapes):
                self.fail(f"optimizer.state[{index}]", f"refers to parameter {index}, the model has {len(shapes)}")
            for name, value in entry.items():
                if isinstance(value, ArraySpec):
                    if value.shape != shapes[index] or value.dtype.kind != "f":
                        self.fail(f"optimizer.state[{index}][{_short(repr(name))}]",
                                  f"is a {value.dtype} array of shape {value.shape}, the parameter is float of "
                                  f"shape {shapes[index]}")

    def _check_settings(self, where, saved, current):
        """Saved settings must have the keys the object has, each of the same kind."""
        if saved is None:
            self.fail(where, "is null, but this run has a scheduler")
        if set(saved) != set(current):
            self.fail(where, f"has keys {', '.join(map(_short, map(str, saved)))}; expected "
                      f"{', '.join(map(str, current))}")
        for key, value in saved.items():
            if _kind(value) != _kind(current[key]):
                self.fail(f"{where}.{key}", f"expected {_kind(current[key])}, got {_describe(value)}")

    def read(self, node):
        """``node`` (a part of ``layout``) with its arrays read and verified."""
        return self._file.read(node)

    def load(self, model=None, optimizer=None, scheduler=None) -> dict:
        """The whole checkpoint, arrays read; with ``model`` (and ``optimizer``,
        ``scheduler``), their fit is checked first."""
        if model is not None:
            self.check_fits(model, optimizer, scheduler)
        return self.read(self.layout)


def _kind(value) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    if value is None:
        return "null"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    return "a mapping"


def open_checkpoint(path) -> Checkpoint:
    """Open a training checkpoint and check its layout (CheckpointError if it is not one)."""
    path = Path(path)
    if path.is_dir():
        raise CheckpointError(f"{path}: is a folder; give a checkpoint file such as {path / 'checkpoints' / ('last' + SUFFIX)}")
    if not os.path.lexists(path):
        raise CheckpointError(f"{path}: no such checkpoint file")
    return Checkpoint(path)


def read_checkpoint(path) -> dict:
    """Load and validate a whole training checkpoint (CheckpointError if it is not one)."""
    with open_checkpoint(path) as ckpt:
        return ckpt.load()
