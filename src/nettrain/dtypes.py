"""dtypes as PyTorch spells them: ``nettrain.float32`` (alias ``nettrain.float``) ...

Each dtype is ONE object (``nettrain.float is nettrain.float32``) that prints
as ``nettrain.float32``, as ``torch.float32`` does. Underneath it is a NumPy
dtype: NumPy and CuPy accept a nettrain dtype wherever they take a dtype
(they read its ``.dtype``), so the engine keeps working on plain arrays.

Also here: the legacy tensor types (``nettrain.FloatTensor`` ...), and the
default floating dtype (``get_default_dtype`` / ``set_default_dtype``).
"""
from __future__ import annotations

import numpy as np

from . import backend


class dtype:  # noqa: N801 - PyTorch's name: nettrain.dtype
    """A tensor element type. Compare by identity; print as ``nettrain.<name>``."""

    __slots__ = ("name", "dtype", "legacy_name")

    def __init__(self, name: str, numpy_dtype: str, legacy_name: str):
        self.name = name
        self.dtype = np.dtype(numpy_dtype)  # the attribute NumPy/CuPy read
        self.legacy_name = legacy_name

    @property
    def is_floating_point(self) -> bool:
        return self.dtype.kind == "f"

    @property
    def is_complex(self) -> bool:
        return False

    @property
    def is_signed(self) -> bool:
        return self.dtype.kind in "fi"

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    def __repr__(self):
        return f"nettrain.{self.name}"

    def __eq__(self, other):
        # Identity among nettrain dtypes; a NumPy dtype of the same kind is
        # equal too, so arrays' dtypes and tensors' dtypes compare naturally.
        if isinstance(other, dtype):
            return self is other
        if isinstance(other, (np.dtype, type)):
            try:
                return self.dtype == np.dtype(other)
            except TypeError:
                return False
        return NotImplemented

    def __hash__(self):
        return hash(self.dtype)

    def __reduce__(self):
        return (_by_name, (self.name,))


float16 = dtype("float16", "float16", "HalfTensor")
float32 = dtype("float32", "float32", "FloatTensor")
float64 = dtype("float64", "float64", "DoubleTensor")
uint8 = dtype("uint8", "uint8", "ByteTensor")
int8 = dtype("int8", "int8", "CharTensor")
int16 = dtype("int16", "int16", "ShortTensor")
int32 = dtype("int32", "int32", "IntTensor")
int64 = dtype("int64", "int64", "LongTensor")
bool_ = dtype("bool", "bool", "BoolTensor")

ALL = (float16, float32, float64, uint8, int8, int16, int32, int64, bool_)
_BY_NUMPY = {d.dtype: d for d in ALL}


def _by_name(name):
    return next(d for d in ALL if d.name == name)


def from_numpy_dtype(numpy_dtype) -> dtype:
    """The nettrain dtype of an array's dtype."""
    try:
        return _BY_NUMPY[numpy_dtype]
    except KeyError:
        raise TypeError(f"nettrain has no dtype for NumPy's {np.dtype(numpy_dtype)}") from None


# --------------------------------------------------------------------------- the default float


def get_default_dtype() -> dtype:
    """The dtype of new floating tensors (``nettrain.float32`` unless changed)."""
    return _BY_NUMPY[backend.default_float()]


def set_default_dtype(d):
    """Make ``d`` (a floating dtype) the dtype of new floating tensors, as in PyTorch."""
    d = backend.as_dtype(d)
    if d.kind != "f":
        raise TypeError("only floating-point types are supported as the default type")
    backend.set_default_float(d)


# --------------------------------------------------------------------------- legacy tensor types


class tensortype:  # noqa: N801 - PyTorch's name for the type of torch.FloatTensor
    """``nettrain.FloatTensor`` and friends: call one to make a tensor of its
    dtype (``FloatTensor([1, 2])``, ``FloatTensor(2, 3)``), pass one to
    ``t.type(...)``, or test ``isinstance(t, nettrain.FloatTensor)``."""

    __slots__ = ("dtype",)

    def __init__(self, element_type: dtype):
        self.dtype = element_type

    @property
    def __name__(self):
        return self.dtype.legacy_name

    def __call__(self, *args, device=None):
        from .tensor import legacy_tensor  # noqa: PLC0415 - Tensor sits above this module

        return legacy_tensor(self.dtype, args, device)

    def __instancecheck__(self, instance):
        from .tensor import Tensor  # noqa: PLC0415

        return isinstance(instance, Tensor) and instance.dtype is self.dtype and instance.device.type == "cpu"

    def __repr__(self):
        return f"<class 'nettrain.{self.dtype.legacy_name}'>"


LEGACY_TYPES = {d.legacy_name: tensortype(d) for d in ALL}


def legacy_type_of(element_type: dtype) -> tensortype:
    return LEGACY_TYPES[element_type.legacy_name]


def as_dtype_or_type(value):
    """``t.type(...)``'s argument: a dtype, a legacy type or its name
    (``"nettrain.FloatTensor"``, also ``"torch.FloatTensor"``) -> a nettrain dtype."""
    if isinstance(value, tensortype):
        return value.dtype
    if isinstance(value, str):
        short = value.rsplit(".", 1)[-1]
        if short in LEGACY_TYPES:
            return LEGACY_TYPES[short].dtype
    return _BY_NUMPY[backend.as_dtype(value)]
