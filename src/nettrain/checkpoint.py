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

Writing goes to a temporary file in the same folder, is flushed and
fsynced, then renamed over the target (``os.replace`` is atomic on POSIX),
so a crash or kill at any moment leaves the previous file intact.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from .errors import CheckpointError
from .serialization import load, save

FORMAT = "nettrain-checkpoint"
VERSION = 1
SUFFIX = ".npz"


def write_atomic(obj, path) -> Path:
    """Save ``obj`` to ``path`` so that ``path`` is never seen half-written."""
    return _replace_atomic(path, lambda f: save(obj, f))


def copy_atomic(source, path) -> Path:
    """Copy a checkpoint file to ``path``, just as atomically."""
    def copy(f):
        with open(source, "rb") as src:
            shutil.copyfileobj(src, f)

    return _replace_atomic(path, copy)


def _replace_atomic(path, write) -> Path:
    """Temporary file in the same folder, ``write(file)``, fsync, rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    _fsync_dir(path.parent)
    return path


def _fsync_dir(folder: Path):
    # The rename itself is durable only once the folder's entry is on disk.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_checkpoint(path) -> dict:
    """Load and validate a training checkpoint (CheckpointError if it is not one)."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"{path}: no such checkpoint file")
    if path.is_dir():
        raise CheckpointError(f"{path}: is a folder; give a checkpoint file such as {path / 'checkpoints' / ('last' + SUFFIX)}")
    state = load(path)
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(
            f"{path}: not a nettrain training checkpoint (no '{FORMAT}' marker); "
            f"`nettrain train` writes them under runs/<run>/checkpoints/"
        )
    if state.get("version") != VERSION:
        raise CheckpointError(f"{path}: checkpoint format version {state.get('version')!r}, this nettrain reads version {VERSION}")
    missing = [k for k in ("model", "optimizer", "epoch", "step", "config", "rng", "loader") if k not in state]
    if missing:
        raise CheckpointError(f"{path}: checkpoint is missing {', '.join(missing)}")
    return state
