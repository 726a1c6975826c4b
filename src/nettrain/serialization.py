"""``save(obj, f)`` / ``load(f)``: nested dicts and lists of tensors, arrays,
numbers, strings, bools and None (state dicts, optimizer states, whole
checkpoints), in a file that never executes code when loaded.

The format: a NumPy ``.npz`` archive (a zip of ``.npy`` arrays), read with
``allow_pickle=False``, holding

- one entry per array, ``a0``, ``a1``, ... (always host arrays, whatever
  device the tensor lived on, so a GPU-trained model loads on a CPU), and
- ``__manifest__``: UTF-8 JSON (as a uint8 array) describing the nested
  structure, with each array leaf as a reference to its entry.

Why .npz and not safetensors: it needs no new dependency (NumPy is already
here), and safetensors' metadata is a flat ``str -> str`` map, so nested
checkpoint state (optimizer groups, integer keys, counters, config) would
need a JSON side-channel anyway. The .npz loader never unpickles with
``allow_pickle=False``; an archive holding a pickled (object) array is
refused with a clear error.

What comes back: Tensors are loaded as (CPU, unless ``map_location`` says
otherwise) Tensors, NumPy arrays as NumPy arrays, NumPy scalars as NumPy
scalars, tuples as tuples, and dict keys keep their type (str or int, as in
an optimizer state dict).
"""
from __future__ import annotations

import io
import json
import os
import zipfile

import numpy as np

from . import backend
from .errors import CheckpointError
from .tensor import Tensor

MANIFEST = "__manifest__"
FORMAT = "nettrain"
VERSION = 1


# --------------------------------------------------------------------------- save


def save(obj, f):
    """Write ``obj`` to ``f`` (a path or a binary file object opened for writing).

    A path is written as given (no ``.npz`` added). Unsupported values (a
    Module, a set, an object array) raise a TypeError naming where they are.
    """
    arrays = {}
    manifest = {"format": FORMAT, "version": VERSION, "root": _encode(obj, arrays, "obj")}
    arrays[MANIFEST] = np.frombuffer(json.dumps(manifest).encode("utf-8"), dtype=np.uint8)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as handle:
            np.savez(handle, **arrays)
    else:
        np.savez(f, **arrays)


def _encode(value, arrays, where):
    """The JSON node for ``value``; arrays go into ``arrays`` by reference."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, Tensor):
        return _store(backend.to_host(value.data), "tensor", arrays, where)
    if isinstance(value, np.ndarray):
        return _store(value, "ndarray", arrays, where)
    if isinstance(value, np.generic):
        return _store(np.asarray(value), "scalar", arrays, where)
    if hasattr(value, "__cuda_array_interface__"):  # a cupy array: stored on the host
        return _store(backend.to_host(value), "ndarray", arrays, where)
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise TypeError(f"save: {where} has a key {key!r} of type {type(key).__name__}; keys must be str or int")
            items.append([key, _encode(item, arrays, f"{where}[{key!r}]")])
        return {"dict": items}
    if isinstance(value, (list, tuple)):
        kind = "list" if isinstance(value, list) else "tuple"
        return {kind: [_encode(item, arrays, f"{where}[{i}]") for i, item in enumerate(value)]}
    raise TypeError(
        f"save: {where} is a {type(value).__name__}, which nettrain cannot store; supported: dict, list, "
        f"tuple, Tensor, numpy array, int, float, str, bool, None (save a model's state_dict(), not the model)"
    )


def _store(array, kind, arrays, where):
    if array.dtype.hasobject:
        raise TypeError(f"save: {where} is an object array, which cannot be stored without pickle")
    name = f"a{len(arrays)}"
    arrays[name] = array
    return {kind: name}


# --------------------------------------------------------------------------- load


def load(f, map_location=None):
    """Read what ``save`` wrote from ``f`` (a path or a binary file object).

    Tensors come back on ``map_location`` (default: the CPU). A missing,
    truncated, corrupted or foreign file raises a
    :class:`~nettrain.errors.CheckpointError` naming the file.
    """
    name = os.fspath(f) if isinstance(f, (str, os.PathLike)) else getattr(f, "name", "<file object>")
    device = backend.Device(map_location) if map_location is not None else None
    if isinstance(f, (str, os.PathLike)):
        if not os.path.exists(f):
            raise CheckpointError(f"{name}: no such file")
        if os.path.isdir(f):
            raise CheckpointError(f"{name}: is a directory, not a nettrain file")
        with open(f, "rb") as handle:
            return _load_from(handle, name, device)
    return _load_from(f, name, device)


def _load_from(handle, name, device):
    start = handle.tell() if handle.seekable() else 0
    head = handle.read(4)
    handle.seek(start)
    if head[:2] != b"PK":
        what = "empty" if not head else ("a single .npy array" if head[:1] == b"\x93" else "not a zip archive")
        raise CheckpointError(f"{name}: not a nettrain file ({what}); expected a file written by nettrain.save")
    try:
        with np.load(handle, allow_pickle=False) as archive:
            if MANIFEST not in archive.files:
                raise CheckpointError(f"{name}: not a nettrain file (a .npz archive without a nettrain manifest)")
            manifest = _read_manifest(archive, name)
            return _decode(manifest["root"], archive, name, device)
    except CheckpointError:
        raise
    except ValueError as err:
        if "allow_pickle" in str(err) or "Object arrays" in str(err):
            raise CheckpointError(
                f"{name}: holds a pickled (object) array; nettrain refuses to load it because unpickling "
                f"can execute code"
            ) from None
        raise CheckpointError(f"{name}: truncated or corrupted ({err})") from None
    except (zipfile.BadZipFile, EOFError, OSError, KeyError, json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CheckpointError(f"{name}: truncated or corrupted ({type(err).__name__}: {err})") from None


def _read_manifest(archive, name):
    manifest = json.loads(bytes(archive[MANIFEST]).decode("utf-8"))
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or "root" not in manifest:
        raise CheckpointError(f"{name}: not a nettrain file (its manifest is not nettrain's)")
    if not isinstance(manifest.get("version"), int) or manifest["version"] > VERSION:
        raise CheckpointError(
            f"{name}: written by a newer nettrain (format version {manifest.get('version')}, this one reads "
            f"up to {VERSION}); upgrade nettrain to load it"
        )
    return manifest


def _decode(node, archive, name, device):
    if node is None or isinstance(node, (bool, str, int, float)):
        return node
    if not isinstance(node, dict) or len(node) != 1:
        raise CheckpointError(f"{name}: corrupted manifest (unexpected node {str(node)[:80]})")
    (kind, body), = node.items()
    if kind == "dict":
        return {key: _decode(item, archive, name, device) for key, item in body}
    if kind == "list":
        return [_decode(item, archive, name, device) for item in body]
    if kind == "tuple":
        return tuple(_decode(item, archive, name, device) for item in body)
    if kind in ("tensor", "ndarray", "scalar"):
        if body not in archive.files:
            raise CheckpointError(f"{name}: truncated or corrupted (array {body!r} is missing)")
        array = archive[body]
        if kind == "ndarray":
            return array
        if kind == "scalar":
            return array[()]
        return Tensor._make(backend.to_device(array, device) if device is not None else array, False, None)
    raise CheckpointError(f"{name}: corrupted manifest (unknown node kind {kind!r})")


def dumps(obj) -> bytes:
    """``save`` into bytes (handy for tests and in-memory copies)."""
    buffer = io.BytesIO()
    save(obj, buffer)
    return buffer.getvalue()


def loads(data: bytes, map_location=None):
    return load(io.BytesIO(data), map_location)
