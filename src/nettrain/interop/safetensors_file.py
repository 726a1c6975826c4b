"""Weights as a safetensors file: the model's state dict under PyTorch's
names, float32, readable by ``safetensors.torch.load_file`` and loadable
into the equivalent ``torch.nn`` model with ``strict=True``.

    save_safetensors(model.state_dict(), "lenet.safetensors", {"nettrain.config": json.dumps(config)})
    state = load_safetensors("lenet.safetensors")   # {name: Tensor}
    model.load_state_dict(state)

The file's metadata (a flat str -> str map) may carry the run's config and
transform statistics as JSON, so ``nettrain eval`` can use the file alone.
"""
from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path

import numpy as np

from .. import backend
from ..checkpoint import write_bytes_atomic
from ..errors import CheckpointError
from ..tensor import Tensor, from_numpy
from . import require

SUFFIX = ".safetensors"
CONFIG_KEY = "nettrain.config"
TRANSFORM_KEY = "nettrain.transform_state"


def _arrays(state_dict) -> dict:
    """{name: contiguous float32 (or integer) host array}; float64 becomes float32."""
    out = {}
    for name, value in state_dict.items():
        array = backend.to_host(value.array if isinstance(value, Tensor) else value)
        array = np.asarray(array)
        if array.dtype.kind == "f":
            array = array.astype(np.float32)
        out[name] = np.ascontiguousarray(array)
    return out


def safetensors_bytes(state_dict, metadata: dict | None = None) -> bytes:
    st = require("safetensors.numpy", "writing safetensors")
    return st.save(_arrays(state_dict), metadata={k: str(v) for k, v in (metadata or {}).items()})


def save_safetensors(state_dict, path, metadata: dict | None = None) -> Path:
    """Write ``state_dict`` (names -> Tensors or arrays) atomically to ``path``."""
    return write_bytes_atomic(path, safetensors_bytes(state_dict, metadata))


def _open(path):
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"{path}: no such safetensors file")
    if path.is_dir():
        raise CheckpointError(f"{path}: is a folder, not a safetensors file")
    require("safetensors", "reading safetensors")
    from safetensors import safe_open

    try:
        return safe_open(str(path), framework="numpy")
    except Exception as err:  # the library raises its own error types for a damaged header
        raise CheckpointError(f"{path}: not a readable safetensors file ({err})") from None


def load_safetensors(path) -> "OrderedDict[str, Tensor]":
    """The state dict in a safetensors file, as CPU Tensors (``nt.load_safetensors``);
    the counterpart of ``safetensors.torch.load_file``."""
    handle = _open(path)
    try:
        return OrderedDict((name, from_numpy(np.array(handle.get_tensor(name))))
                           for name in handle.keys())
    except Exception as err:
        raise CheckpointError(f"{path}: not a readable safetensors file ({err})") from None


def safetensors_metadata(path) -> dict:
    """The file's metadata: the config and transform statistics nettrain wrote, parsed; {} when absent."""
    meta = _open(path).metadata() or {}
    out = {}
    for key, name in ((CONFIG_KEY, "config"), (TRANSFORM_KEY, "transform_state")):
        if key in meta:
            try:
                out[name] = json.loads(meta[key])
            except json.JSONDecodeError:
                raise CheckpointError(f"{path}: its metadata {key!r} is not valid JSON") from None
    return out
