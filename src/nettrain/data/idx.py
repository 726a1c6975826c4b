"""IDX files: the format MNIST and Fashion-MNIST ship in.

An IDX file is a big-endian header followed by the raw array::

    bytes 0-1   0x00 0x00
    byte  2     element type (0x08 = uint8, 0x09 = int8, 0x0B = int16,
                0x0C = int32, 0x0D = float32, 0x0E = float64)
    byte  3     number of dimensions d
    then        d sizes, each an unsigned 32-bit big-endian integer
    then        prod(sizes) elements, big-endian, C order

The files may be gzip-compressed (the usual ``.gz`` downloads) or raw; the
reader tells them apart by the gzip magic bytes, not by the file name.

Every check names the file and what is wrong with it, because the person who
sees the error has to go and fix (or re-download) that file.
"""
from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..tempfiles import replace_atomic

# IDX type code -> element dtype (big-endian, as stored)
IDX_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODE_OF_DTYPE = {dt.newbyteorder("=") if dt.itemsize > 1 else dt: code for code, dt in IDX_DTYPES.items()}

GZIP_MAGIC = b"\x1f\x8b"


def decompressed_bytes(path: Path) -> bytes:
    """The file's content, gunzipped when it is gzip-compressed."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except OSError as err:
        raise DataError(f"{path}: cannot read ({err.strerror or err})") from None
    if not raw.startswith(GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except EOFError:
        raise DataError(
            f"{path}: the gzip stream ends early (the file is truncated, {len(raw):,} bytes); "
            "delete it and download or copy it again"
        ) from None
    except (gzip.BadGzipFile, zlib.error) as err:
        raise DataError(f"{path}: not a valid gzip file ({err}); delete it and download or copy it again") from None


def parse_idx(content: bytes, source="<bytes>") -> np.ndarray:
    """Parse an uncompressed IDX byte string into an array (native byte order).

    ``source`` names the file in error messages. The returned array is a
    read-only view of ``content`` when the element type is one byte wide.
    """
    if len(content) < 4:
        raise DataError(f"{source}: too short to be an IDX file ({len(content)} bytes; the header alone is 4+)")
    zero0, zero1, type_code, ndim = content[0], content[1], content[2], content[3]
    if zero0 != 0 or zero1 != 0 or type_code not in IDX_DTYPES:
        raise DataError(
            f"{source}: wrong magic number 0x{content[:4].hex()} (an IDX file starts with 0x0000, "
            "a type byte 08/09/0B/0C/0D/0E and the number of dimensions); is this the right file?"
        )
    if ndim == 0:
        raise DataError(f"{source}: the IDX header declares 0 dimensions")
    header_len = 4 + 4 * ndim
    if len(content) < header_len:
        raise DataError(f"{source}: truncated inside the header ({len(content)} bytes, header needs {header_len})")
    shape = tuple(int(s) for s in np.frombuffer(content, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[type_code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    found = len(content) - header_len
    if found < expected:
        raise DataError(
            f"{source}: truncated: the header declares shape {shape} ({expected:,} bytes of data) "
            f"but only {found:,} bytes follow; delete it and download or copy it again"
        )
    if found > expected:
        raise DataError(
            f"{source}: {found - expected:,} unexpected bytes after the data of shape {shape}; "
            "the file is damaged or not an IDX file"
        )
    array = np.frombuffer(content, dtype=dtype, count=int(np.prod(shape)), offset=header_len).reshape(shape)
    if dtype.itemsize > 1:
        array = array.astype(dtype.newbyteorder("="))
        array.flags.writeable = False
    return array


# Decoded files, keyed by (path, mtime, size): train and eval in one process
# both load the data set, and decoding 47 MB of gzip costs about half a second.
_cache: dict = {}
_CACHE_ENTRIES = 8


def read_idx(path, expected_ndim: int | None = None) -> np.ndarray:
    """Read an IDX file (gzip or raw) into a read-only NumPy array.

    Raises DataError naming the file when it is missing, truncated, has a
    wrong magic number, or (with ``expected_ndim``) the wrong number of
    dimensions.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    array = _cache.get(key)
    if array is None:
        array = parse_idx(decompressed_bytes(path), source=path)
        if len(_cache) >= _CACHE_ENTRIES:
            _cache.pop(next(iter(_cache)))
        _cache[key] = array
    if expected_ndim is not None and array.ndim != expected_ndim:
        raise DataError(
            f"{path}: expected an IDX array with {expected_ndim} dimension(s), found shape {array.shape}"
        )
    return array


def read_idx_pair(images_path, labels_path, num_classes: int | None = None):
    """Read an images file (N, H, W) and its labels file (N,), checking they belong together."""
    images = read_idx(images_path, expected_ndim=3)
    labels = read_idx(labels_path, expected_ndim=1)
    if images.shape[0] != labels.shape[0]:
        raise DataError(
            f"{images_path} holds {images.shape[0]:,} images but its labels file {labels_path} holds "
            f"{labels.shape[0]:,} labels; the two files do not belong together (re-download or copy both)"
        )
    if num_classes is not None and labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise DataError(
            f"{labels_path}: labels must be 0..{num_classes - 1}, found values from {labels.min()} to {labels.max()}"
        )
    return images, labels


def encode_idx(array) -> bytes:
    """The IDX bytes of ``array`` (uncompressed)."""
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=") if array.dtype.itemsize > 1 else array.dtype
    if native not in _CODE_OF_DTYPE:
        raise ValueError(f"IDX cannot store dtype {array.dtype}; use uint8, int8, int16, int32, float32 or float64")
    code = _CODE_OF_DTYPE[native]
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    return header + np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()


def write_idx(path, array) -> Path:
    """Write ``array`` as an IDX file, gzip-compressed when the name ends in ``.gz``.

    Written to a temporary name and renamed, so a reader never sees half a file.
    """
    path = Path(path)
    content = encode_idx(array)
    if path.name.endswith(".gz"):
        content = gzip.compress(content, compresslevel=6, mtime=0)
    return replace_atomic(path, lambda f: f.write(content), stale_in_folder=False)
