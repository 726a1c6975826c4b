"""``save(obj, f)`` / ``load(f)``: nested dicts and lists of tensors, arrays,
numbers, strings, bools and None (state dicts, optimizer states, whole
checkpoints), in a file that never executes code when loaded.

The format: a NumPy ``.npz`` archive (a zip of ``.npy`` arrays), read with
``allow_pickle=False``, holding

- one entry per array, ``a0``, ``a1``, ... (always host arrays, whatever
  device the tensor lived on, so a GPU-trained model loads on a CPU), and
- ``__manifest__``: UTF-8 JSON (as a uint8 array) describing the nested
  structure, with each array leaf as a reference to its entry, and the
  SHA-256 of each array (``"sha256": {"a0": ...}``; about 1.4 ms for the
  2.4 MB of an MNIST MLP's Adam checkpoint), verified when it is read.

Reading never trusts the file: ``open_file`` checks that it is a regular
file, that every zip entry is stored or deflated (not encrypted), the
manifest's nesting depth and node types, and each array's ``.npy`` header
(a real dtype, a shape whose size matches the entry's declared size, all
arrays together under ``MAX_TOTAL_BYTES``) before any array data is read;
callers can compare the declared shapes with what they expect first
(``checkpoint.Checkpoint.check_fits``). Files without digests (written
before they existed) still load.

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

import contextlib
import hashlib
import io
import json
import math
import os
import stat
import zipfile
import zlib
from dataclasses import dataclass
from typing import NoReturn

import numpy as np

from . import backend
from .errors import CheckpointError
from .tensor import Tensor, as_tensor

MANIFEST = "__manifest__"
FORMAT = "nettrain"
VERSION = 1


# --------------------------------------------------------------------------- save


def save(obj, f):
    """Write ``obj`` to ``f`` (a path or a binary file object opened for writing).

    A path is written as given (no ``.npz`` added). Unsupported values (a
    Module, a set, an object array) raise a TypeError naming where they are;
    nothing is written then.
    """
    if _is_whole_object(obj):
        raise TypeError(
            f"nettrain.save: got a whole {type(obj).__name__} object; nettrain does not pickle models or "
            f"optimizers (loading a pickle can run code). Save its state instead: "
            f"nettrain.save(model.state_dict(), PATH), then model.load_state_dict(nettrain.load(PATH))"
        )
    arrays = {}
    manifest = {"format": FORMAT, "version": VERSION, "root": _encode(obj, arrays, "obj")}
    # Beyond the zip's CRC (which a re-zip recomputes), a SHA-256 per array
    # names any array whose bytes changed, whatever happened to the archive.
    manifest["sha256"] = {name: array_digest(array) for name, array in arrays.items()}
    arrays[MANIFEST] = np.frombuffer(json.dumps(manifest).encode("utf-8"), dtype=np.uint8)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as handle:
            np.savez(handle, **arrays)
    else:
        np.savez(f, **arrays)


def _is_whole_object(value):
    """A Module or an Optimizer (anything with a ``state_dict()`` method):
    what ``torch.save(model, PATH)`` would pickle."""
    return callable(getattr(value, "state_dict", None)) and not isinstance(value, dict)


def _encode(value, arrays, where):
    """The JSON node for ``value``; arrays go into ``arrays`` by reference."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, Tensor):
        return _store(backend.to_host(value.array), "tensor", arrays, where)
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

# Bounds on what a file may make ``load`` do, checked before anything big is
# read: a crafted file (a manifest nested thousands deep, an .npy header
# declaring terabytes, a zip bomb) is refused with a message, not a
# RecursionError or MemoryError.
MAX_DEPTH = 64                      # nesting of the manifest's structure
MAX_MANIFEST_BYTES = 64 << 20       # the JSON manifest
MAX_TOTAL_BYTES = 4 << 30           # all arrays together, as declared by their headers
REAL_KINDS = "biuf"                 # bool, signed and unsigned integers, floats


@dataclass(frozen=True)
class ArraySpec:
    """An array in a file as its ``.npy`` header declares it; its data is not read yet."""

    member: str        # the archive entry, e.g. "a3"
    kind: str          # "tensor", "ndarray" or "scalar"
    shape: tuple
    dtype: np.dtype
    where: str         # its place in the saved structure, for messages: obj['model']['fc1.weight']
    sha256: str | None


def load(f, map_location=None, weights_only=None):
    """Read what ``save`` wrote from ``f`` (a path or a binary file object).

    Tensors come back on ``map_location`` (default: the CPU): a device or its
    name, a dict ``{saved location: device}`` (the saved location is always
    ``"cpu"``: files hold host arrays), or a function ``(storage, location)
    -> storage``, as PyTorch's. ``weights_only`` is accepted for PyTorch's
    sake: True or False, nothing in a nettrain file is code, so both load the
    same. A missing, truncated, corrupted, crafted or foreign file raises a
    :class:`~nettrain.errors.CheckpointError` naming the file.
    """
    if weights_only not in (None, True, False):
        raise TypeError(f"load: weights_only must be True or False, got {weights_only!r}")
    with open_file(f) as archive:
        return archive.read(archive.root, map_location)


def open_file(f) -> "SavedFile":
    """Open a file ``save`` wrote and read its structure, not its arrays' data.

    The result's ``root`` is the saved structure with an :class:`ArraySpec`
    where each array is, so a caller can check shapes and dtypes against what
    it expects before ``read`` loads (and verifies) the data.
    """
    if not isinstance(f, (str, os.PathLike)):
        return SavedFile(f, getattr(f, "name", "<file object>"), owned=False)
    name = os.fspath(f)
    try:
        info = os.stat(f)
    except FileNotFoundError:
        raise CheckpointError(f"{name}: no such file") from None
    except OSError as err:
        raise CheckpointError(f"{name}: cannot be read ({err.strerror or err})") from None
    if stat.S_ISDIR(info.st_mode):
        raise CheckpointError(f"{name}: is a directory, not a nettrain file")
    if not stat.S_ISREG(info.st_mode):  # a FIFO would block forever, a device never end
        raise CheckpointError(f"{name}: not a regular file (a pipe, socket or device); give a file written by nettrain.save")
    try:
        handle = open(f, "rb")
    except OSError as err:
        raise CheckpointError(f"{name}: cannot be read ({err.strerror or err})") from None
    return SavedFile(handle, name, owned=True)


class SavedFile:
    """An open nettrain file: ``root`` (the structure, arrays as ArraySpec), ``read``, ``close``."""

    def __init__(self, handle, name, owned):
        self.name, self._handle, self._owned = name, handle, owned
        self._zip = None
        try:
            self._open()
        except BaseException:
            self.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        if self._zip is not None:
            self._zip.close()
        if self._owned:
            self._handle.close()

    def fail(self, problem) -> NoReturn:
        raise CheckpointError(f"{self.name}: {problem}")

    # -- reading the structure

    def _open(self):
        head = self._handle.read(4)
        self._handle.seek(-len(head), io.SEEK_CUR)
        if head[:2] != b"PK":
            what = "empty" if not head else ("a single .npy array" if head[:1] == b"\x93" else "not a zip archive")
            self.fail(f"not a nettrain file ({what}); expected a file written by nettrain.save")
        with self._reading():
            self._zip = zipfile.ZipFile(self._handle)
            self._members = {}
            for info in self._zip.infolist():
                if info.flag_bits & 0x1:
                    self.fail(f"entry {_short(info.filename)} is encrypted; nettrain files never are")
                if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    self.fail(f"entry {_short(info.filename)} uses compression method {info.compress_type}, "
                              f"which nettrain files never use")
                self._members[info.filename.removesuffix(".npy")] = info
            if MANIFEST not in self._members:
                self.fail("not a nettrain file (a .npz archive without a nettrain manifest)")
            manifest = self._read_manifest()
            self._digests = manifest.get("sha256", {})
            if not isinstance(self._digests, dict):
                self.fail("corrupted manifest (its sha256 entry is not a mapping)")
            self._declared = 0
            self.root = self._decode(manifest["root"], "obj", 0)

    def _read_manifest(self):
        info = self._members[MANIFEST]
        if info.file_size > MAX_MANIFEST_BYTES:
            self.fail(f"its manifest declares {info.file_size:,} bytes, more than the {MAX_MANIFEST_BYTES:,} "
                      f"a nettrain file has")
        with self._zip.open(info) as member:
            shape, _, dtype, offset = self._header(member, MANIFEST)
            if dtype != np.uint8 or len(shape) != 1:
                self.fail("not a nettrain file (its manifest is not nettrain's)")
            text = member.read(info.file_size - offset)
        try:
            manifest = json.loads(text.decode("utf-8"))
        except RecursionError:
            self.fail(f"corrupted manifest (nested deeper than {MAX_DEPTH} levels)")
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or "root" not in manifest:
            self.fail("not a nettrain file (its manifest is not nettrain's)")
        version = manifest.get("version")
        if isinstance(version, bool) or not isinstance(version, int):
            self.fail(f"corrupted manifest (its format version is {_describe(version)}, not an integer)")
        if version > VERSION:
            self.fail(f"written by a newer nettrain (format version {version}, this one reads up to {VERSION}); "
                      f"upgrade nettrain to load it")
        return manifest

    def _header(self, member, entry):
        """(shape, fortran_order, dtype, data offset) from an entry's .npy header."""
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(member)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(member)
        else:
            self.fail(f"array {entry!r} has .npy format version {version}, which nettrain never writes")
        return shape, fortran, dtype, member.tell()

    def _decode(self, node, where, depth):
        if depth > MAX_DEPTH:
            self.fail(f"corrupted manifest (nested deeper than {MAX_DEPTH} levels at {_short(where)})")
        if node is None or isinstance(node, (bool, str, int, float)):
            return node
        if not isinstance(node, dict) or len(node) != 1:
            self.fail(f"corrupted manifest (unexpected node {_short(node)} at {_short(where)})")
        (kind, body), = node.items()
        if kind == "dict":
            if not isinstance(body, list):
                self.fail(f"corrupted manifest (a dict that is not a list of pairs at {_short(where)})")
            out = {}
            for pair in body:
                if (not isinstance(pair, list) or len(pair) != 2 or isinstance(pair[0], bool)
                        or not isinstance(pair[0], (str, int))):
                    self.fail(f"corrupted manifest (a dict entry {_short(pair)} at {_short(where)}; "
                              f"expected [str or int key, value])")
                key, item = pair
                out[key] = self._decode(item, f"{where}[{key!r}]", depth + 1)
            return out
        if kind in ("list", "tuple"):
            if not isinstance(body, list):
                self.fail(f"corrupted manifest (a {kind} that is not a list at {_short(where)})")
            items = [self._decode(item, f"{where}[{i}]", depth + 1) for i, item in enumerate(body)]
            return items if kind == "list" else tuple(items)
        if kind in ("tensor", "ndarray", "scalar"):
            return self._describe_array(body, kind, where)
        self.fail(f"corrupted manifest (unknown node kind {_short(kind)} at {_short(where)})")

    def _describe_array(self, entry, kind, where) -> ArraySpec:
        if not isinstance(entry, str) or entry == MANIFEST or entry not in self._members:
            self.fail(f"truncated or corrupted (array {_short(entry)} for {_short(where)} is missing)")
        info = self._members[entry]
        with self._zip.open(info) as member:
            shape, _, dtype, offset = self._header(member, entry)
        if dtype.hasobject:
            self.fail(f"holds a pickled (object) array at {_short(where)}; nettrain refuses to load it because "
                      f"unpickling can execute code")
        if dtype.kind not in REAL_KINDS or dtype.fields is not None or dtype.subdtype is not None:
            self.fail(f"array {_short(where)} has dtype {_short(str(dtype))}; nettrain stores only real numbers "
                      f"(bool, integer, float)")
        if any(d < 0 for d in shape) or (kind == "scalar" and shape != ()):
            self.fail(f"array {_short(where)} declares an invalid shape {_short(shape)}")
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes != info.file_size - offset:
            self.fail(f"truncated or corrupted (array {_short(where)} declares shape {_short(shape)} of "
                      f"{nbytes:,} bytes, its entry holds {info.file_size - offset:,})")
        self._declared += nbytes
        if self._declared > MAX_TOTAL_BYTES:
            self.fail(f"its arrays declare more than {MAX_TOTAL_BYTES:,} bytes in all (at {_short(where)}); "
                      f"nettrain files are far smaller")
        digest = self._digests.get(entry)
        return ArraySpec(entry, kind, tuple(shape), dtype, where, digest if isinstance(digest, str) else None)

    # -- reading the data

    def read(self, node, map_location=None):
        """``node`` (``root`` or a part of it) with every ArraySpec replaced by its data, verified."""
        return self._read(node, _placement(map_location))

    def _read(self, node, place):
        if isinstance(node, ArraySpec):
            array = self._array(node)
            if node.kind == "ndarray":
                return array
            if node.kind == "scalar":
                return array[()]
            return as_tensor(place(array) if place is not None else array)
        if isinstance(node, dict):
            return {key: self._read(item, place) for key, item in node.items()}
        if isinstance(node, list):
            return [self._read(item, place) for item in node]
        if isinstance(node, tuple):
            return tuple(self._read(item, place) for item in node)
        return node

    def _array(self, spec: ArraySpec) -> np.ndarray:
        with self._reading():
            info = self._members[spec.member]
            with self._zip.open(info) as member:
                shape, fortran, dtype, offset = self._header(member, spec.member)
                if (tuple(shape), dtype) != (spec.shape, spec.dtype):
                    self.fail(f"array {_short(spec.where)} changed while being read")
                buffer = bytearray(info.file_size - offset)  # the declared size, checked above
                view, filled = memoryview(buffer), 0
                while filled < len(buffer):
                    n = member.readinto(view[filled:])
                    if not n:
                        self.fail(f"truncated or corrupted (array {_short(spec.where)} ends early)")
                    filled += n
        order = "F" if fortran and len(shape) > 1 else "C"
        array = np.frombuffer(buffer, dtype=dtype).reshape(shape, order=order)
        if spec.sha256 is not None and array_digest(array) != spec.sha256:
            self.fail(f"corrupted: array {_short(spec.where)} does not match its SHA-256 in the manifest")
        return array

    @contextlib.contextmanager
    def _reading(self):
        """Turn what a damaged zip or .npy raises into one message naming the file."""
        try:
            yield
        except CheckpointError:
            raise
        except ValueError as err:
            if "allow_pickle" in str(err) or "Object arrays" in str(err):
                self.fail("holds a pickled (object) array; nettrain refuses to load it because unpickling "
                          "can execute code")
            self.fail(f"truncated or corrupted ({_short(err, 160)})")
        except (zipfile.BadZipFile, EOFError, OSError, KeyError, RuntimeError, NotImplementedError,
                UnicodeDecodeError, zlib.error) as err:
            self.fail(f"truncated or corrupted ({type(err).__name__}: {_short(err, 160)})")


def array_digest(array) -> str:
    """SHA-256 of an array's dtype, shape and C-order bytes (what the manifest stores per array)."""
    array = np.ascontiguousarray(array)
    digest = hashlib.sha256(f"{array.dtype.str}{array.shape}".encode())
    digest.update(memoryview(array).cast("B") if array.size else b"")
    return digest.hexdigest()


def _short(value, limit=80) -> str:
    """A value for a message, cut short: never the repr of something unbounded."""
    text = value if isinstance(value, str) else repr(value) if not isinstance(value, (dict, list)) else _shallow(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _shallow(value) -> str:
    # repr of a 5,000-deep list would recurse and could be huge: describe its top only.
    return f"a {type(value).__name__} of {len(value)} item{'s' * (len(value) != 1)}"


def _describe(value) -> str:
    return f"{_short(value)} (a {type(value).__name__})"


def dumps(obj) -> bytes:
    """``save`` into bytes (handy for tests and in-memory copies)."""
    buffer = io.BytesIO()
    save(obj, buffer)
    return buffer.getvalue()


def _placement(map_location):
    """``map_location`` (PyTorch's forms) as a function placing a loaded host
    array, or None (stay on the host)."""
    if map_location is None:
        return None
    if callable(map_location) and not isinstance(map_location, (str, backend.Device)):
        return lambda array: map_location(array, "cpu")  # the "storage" is the host array
    if isinstance(map_location, dict):
        map_location = map_location.get("cpu")
        if map_location is None:
            return None
    device = backend.Device(map_location)
    return lambda array: backend.to_device(array, device)


def loads(data: bytes, map_location=None):
    return load(io.BytesIO(data), map_location)
