"""Tensor: an array (NumPy or CuPy), its gradient, and its place in the graph.

Start reading nettrain here. A Tensor holds

- ``array``: the raw array (``numpy.ndarray`` on the CPU, ``cupy.ndarray`` on a
  GPU); the engine and the ops work on it. (``.data`` is PyTorch's: a Tensor
  sharing the array, outside the graph.)
- ``requires_grad``: whether operations on it are recorded for backward,
- ``grad_fn``: the :class:`~nettrain.autograd.Function` node that made it
  (``None`` for a leaf: a tensor you created),
- ``grad``: after ``backward()``, the gradient (a Tensor) of a leaf.

Every operator below hands the work to one ``Function`` in ``nettrain.ops``;
``autograd.py`` explains how ``backward()`` walks the graph.
"""
from __future__ import annotations

import numbers

import numpy as np

from . import backend, dtypes
from ._tensor_str import tensor_repr
from .backend import Device, get_array_module
from .size import Size


class VersionCounter:
    """Counts in-place changes to an array. Views share their base's counter,
    so a change through any of them is seen by nodes that saved the base."""

    __slots__ = ("value",)

    def __init__(self):
        self.value = 0


class Tensor:
    __module__ = "nettrain"  # prints as <class 'nettrain.Tensor'>, as torch.Tensor does
    __slots__ = ("array", "grad", "requires_grad", "grad_fn", "_version_counter", "__weakref__")
    # NumPy must leave ``ndarray + Tensor`` to Tensor.__radd__.
    __array_priority__ = 1000

    def __init__(self, *args, device=None):
        """PyTorch's legacy constructor: ``Tensor(data)`` copies ``data`` as the
        default float dtype (float32) whatever its type; ``Tensor(3, 4)`` is an
        uninitialised 3x4 tensor; ``Tensor()`` is empty. ``nettrain.tensor(data)``
        (which keeps integer and bool data as such) is the usual spelling."""
        self.array = _legacy_array(args, backend.default_float(), device)
        self.grad = None
        self.grad_fn = None
        self._version_counter = VersionCounter()
        self.requires_grad = False

    @classmethod
    def _make(cls, data, requires_grad, grad_fn, version_counter=None):
        """Wrap an array without copying or checking (the ops' fast path)."""
        t = object.__new__(cls)
        t.array = data
        t.grad = None
        t.requires_grad = requires_grad
        t.grad_fn = grad_fn
        t._version_counter = version_counter or VersionCounter()
        return t

    # ------------------------------------------------------------------ attributes

    @property
    def data(self) -> Tensor:
        """The values as a Tensor that shares this tensor's memory but is
        outside the graph (no grad, no grad_fn), as PyTorch's ``.data``:
        ``w.data -= lr * w.grad.data``, ``x.grad.data.zero_()``. Changes made
        through it are NOT seen by autograd (prefer ``no_grad()`` and
        ``detach()``). ``t.data = other`` makes ``t`` hold ``other``'s values
        (shape may change) keeping ``t`` itself, its ``requires_grad`` and ``grad``.

        The raw array (NumPy or CuPy) is ``t.array``."""
        return Tensor._make(self.array, False, None)

    @data.setter
    def data(self, value):
        self.array = require_tensor(value, "the value assigned to .data").array

    @property
    def shape(self) -> Size:
        return Size(self.array.shape)

    @property
    def dtype(self) -> dtypes.dtype:
        return dtypes.from_numpy_dtype(self.array.dtype)

    @property
    def device(self) -> Device:
        return backend.device_of(self.array)

    @property
    def ndim(self) -> int:
        return self.array.ndim

    def dim(self) -> int:
        return self.array.ndim

    def size(self, dim=None):
        if dim is None:
            return Size(self.array.shape)
        return self.array.shape[_check_dim(dim, self.array.ndim)]

    def numel(self) -> int:
        return int(self.array.size)

    nelement = numel

    def element_size(self) -> int:
        """Bytes per element (4 for float32)."""
        return self.array.dtype.itemsize

    def is_floating_point(self) -> bool:
        return self.array.dtype.kind == "f"

    def __len__(self):
        if self.array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.array.shape[0]

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def _version(self) -> int:
        return self._version_counter.value

    @property
    def T(self):
        return self.permute(*reversed(range(self.ndim)))

    def requires_grad_(self, requires_grad=True):
        if requires_grad and not backend.is_floating(self.array.dtype):
            raise RuntimeError(
                f"only floating-point tensors can require gradients, this one is {self.array.dtype}; "
                f"create it with dtype=nettrain.float32 (or call .float() first)"
            )
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError(
                "requires_grad can only be switched off on a leaf tensor; use .detach() to cut the graph"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor after backward (leaves always keep it)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad")
        if self.grad_fn is not None:
            import weakref

            self.grad_fn.retained = weakref.ref(self)
        return self

    # ------------------------------------------------------------------ repr and conversion

    def __repr__(self):
        return tensor_repr(self)  # PyTorch's format, see _tensor_str.py

    def __format__(self, format_spec):
        # A 0-d tensor formats as its number (f"{loss:.3f}"), as in PyTorch.
        if self.array.ndim == 0 and type(self) is Tensor:
            return self.item().__format__(format_spec)
        return object.__format__(self, format_spec)

    def item(self):
        if self.array.size != 1:
            raise ValueError(f"item() needs a tensor with one element, this one has shape {tuple(self.shape)}")
        return self.array.reshape(()).item()

    def numpy(self) -> np.ndarray:
        """The NumPy array (shares memory on the CPU), as in PyTorch."""
        if self.requires_grad:
            raise RuntimeError(
                "can't call numpy() on a tensor that requires grad; use tensor.detach().numpy()"
            )
        if self.device.type != "cpu":
            raise TypeError(f"can't convert a {self.device} tensor to NumPy; use tensor.cpu().numpy()")
        return self.array

    def tolist(self):
        return backend.to_host(self.array).tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.array.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor with {self.array.size} elements is ambiguous; "
                f"use .any() or .all()"
            )
        return bool(self.item())

    def __index__(self):
        if self.array.dtype.kind not in "iu" or self.array.size != 1:
            raise TypeError("only integer tensors of one element can be used as an index")
        return int(self.item())

    def __array__(self, dtype=None, copy=None):
        array = backend.to_host(self.array)
        return array if dtype is None else array.astype(dtype)

    def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False):
        """``to("cuda")``, ``to(nettrain.float64)``, ``to("cpu", nettrain.float32)``,
        ``to(other)`` (other's dtype and device)."""
        for arg in args:
            if isinstance(arg, Tensor):
                dtype, device = arg.dtype, arg.device
            elif isinstance(arg, (str, Device)) and not _is_dtype_name(arg):
                device = arg
            else:
                dtype = arg
        out = self
        if device is not None and Device(device) != self.device:
            out = Copy.apply(out, device=Device(device))
        if dtype is not None and backend.as_dtype(dtype) != out.array.dtype:
            out = Cast.apply(out, dtype=backend.as_dtype(dtype))
        if copy and out is self:
            out = self.clone()
        return out

    def cpu(self):
        return self.to("cpu")

    def cuda(self, index=0):
        return self.to(f"cuda:{index}")

    def float(self):
        return self.to(backend.float32)

    def double(self):
        return self.to(backend.float64)

    def long(self):
        return self.to(backend.int64)

    def int(self):
        return self.to(backend.int32)

    def bool(self):
        return self.to(backend.bool_)

    def half(self):
        return self.to(backend.float16)

    def short(self):
        return self.to(backend.int16)

    def char(self):
        return self.to(backend.int8)

    def byte(self):
        return self.to(backend.uint8)

    def type(self, dtype=None):
        """``t.type()`` is the legacy type's name (``"nettrain.FloatTensor"``);
        ``t.type(nettrain.LongTensor)`` (or a dtype, or the name) converts."""
        if dtype is None:
            return f"nettrain.{self.dtype.legacy_name}"
        return self.to(dtypes.as_dtype_or_type(dtype))

    def type_as(self, other):
        return self.to(other.dtype)

    # new tensors with this tensor's dtype and device (as PyTorch's new_*)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return zeros(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return ones(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        return empty(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        return full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def clone(self, *, memory_format=None):
        return E.Clone.apply(self)

    def set_(self, source):
        """Make this tensor hold ``source``'s array (shared, not copied); its
        shape may change. Counts as an in-place change."""
        self.array = require_tensor(source, "source").array
        self._version_counter.value += 1
        return self

    def detach(self):
        """The same data, cut from the graph (shares memory and version counter)."""
        return Tensor._make(self.array, False, None, self._version_counter)

    def detach_(self):
        self.grad_fn = None
        self.requires_grad = False
        return self

    # ------------------------------------------------------------------ autograd

    def backward(self, gradient=None, retain_graph=False):
        """Compute d self / d leaf for every leaf that requires grad, into ``leaf.grad``.

        On a scalar no ``gradient`` is needed. On a non-scalar pass the
        vector of the vector-Jacobian product, of this tensor's shape.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require grad and has no grad_fn: "
                "create the inputs with requires_grad=True (and not inside no_grad())"
            )
        if gradient is None:
            if self.array.size != 1:
                raise RuntimeError(
                    f"backward() without a gradient needs a scalar output, but this tensor has "
                    f"shape {tuple(self.shape)}; reduce it first (.sum(), .mean()) or pass "
                    f"gradient= of shape {tuple(self.shape)}"
                )
            seed = get_array_module(self.array).ones_like(self.array)
        else:
            seed = gradient.array if isinstance(gradient, Tensor) else _to_array(gradient, self.dtype, self.device)
            if seed.shape != self.array.shape:
                raise RuntimeError(
                    f"backward(gradient): the gradient has shape {tuple(seed.shape)} but the "
                    f"tensor has shape {tuple(self.shape)}; they must match"
                )
            seed = seed.astype(self.array.dtype, copy=False)
        _autograd.run_backward(self, seed, retain_graph=retain_graph)

    # ------------------------------------------------------------------ arithmetic

    def _lift(self, other):
        """A Python number or array next to this tensor, as a constant Tensor."""
        if isinstance(other, Tensor):
            return other
        return Tensor._make(_scalar_array(other, self.array), False, None)

    def __add__(self, other):
        return E.Add.apply(self, self._lift(other))

    def __radd__(self, other):
        return E.Add.apply(self._lift(other), self)

    def __sub__(self, other):
        return E.Sub.apply(self, self._lift(other))

    def __rsub__(self, other):
        return E.Sub.apply(self._lift(other), self)

    def __mul__(self, other):
        return E.Mul.apply(self, self._lift(other))

    def __rmul__(self, other):
        return E.Mul.apply(self._lift(other), self)

    def __truediv__(self, other):
        return E.Div.apply(self, self._lift(other))

    def __rtruediv__(self, other):
        return E.Div.apply(self._lift(other), self)

    def __pow__(self, exponent):
        if isinstance(exponent, Tensor):
            return E.Pow.apply(self, exponent)
        return E.PowScalar.apply(self, exponent=exponent)

    def __rpow__(self, base):
        return E.Pow.apply(self._lift(base), self)

    def __neg__(self):
        return E.Neg.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return E.Abs.apply(self)

    def __matmul__(self, other):
        return L.MatMul.apply(self, self._lift(other))

    def __rmatmul__(self, other):
        return L.MatMul.apply(self._lift(other), self)

    def add(self, other, *, alpha=1):
        """``self + alpha * other``."""
        return self + (other if alpha == 1 else self._lift(other) * alpha)

    def sub(self, other, *, alpha=1):
        """``self - alpha * other``."""
        return self - (other if alpha == 1 else self._lift(other) * alpha)

    def div(self, other, *, rounding_mode=None):
        """``self / other``; ``rounding_mode="trunc"`` or ``"floor"`` rounds the
        quotient (not differentiable, integer inputs stay integer), as in PyTorch."""
        if rounding_mode is None:
            return self / other
        if rounding_mode not in ("trunc", "floor"):
            raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found {rounding_mode!r}")
        other_t = self._lift(other)
        xp = get_array_module(self.array)
        if rounding_mode == "floor":
            quotient = xp.floor_divide(self.array, other_t.array)
        else:
            quotient = xp.trunc(self.array / other_t.array)
            if self.array.dtype.kind in "iu" and other_t.array.dtype.kind in "iu":
                quotient = quotient.astype(xp.result_type(self.array, other_t.array))
        return Tensor._make(xp.asarray(quotient), False, None)

    mul = __mul__
    multiply = __mul__
    true_divide = divide = __truediv__
    subtract = sub
    pow = __pow__
    neg = __neg__
    abs = __abs__
    matmul = __matmul__

    def mm(self, other):
        if self.ndim != 2 or other.ndim != 2:
            raise RuntimeError(f"mm needs two 2-D tensors, got shapes {tuple(self.shape)} and {tuple(other.shape)}")
        return self @ other

    def mv(self, vec):
        if self.ndim != 2 or vec.ndim != 1:
            raise RuntimeError(f"mv needs a 2-D and a 1-D tensor, got shapes {tuple(self.shape)} and {tuple(vec.shape)}")
        return self @ vec

    def bmm(self, other):
        if self.ndim != 3 or other.ndim != 3 or self.shape[0] != other.shape[0]:
            raise RuntimeError(
                f"bmm needs two 3-D tensors with the same batch size, got shapes {tuple(self.shape)} "
                f"and {tuple(other.shape)}"
            )
        return self @ other

    def dot(self, other):
        if self.ndim != 1 or other.ndim != 1:
            raise RuntimeError(f"dot needs two 1-D tensors, got shapes {tuple(self.shape)} and {tuple(other.shape)}")
        return self @ other

    def exp(self):
        return E.Exp.apply(self)

    def log(self):
        return E.Log.apply(self)

    def sqrt(self):
        return E.Sqrt.apply(self)

    def tanh(self):
        return E.Tanh.apply(self)

    def sin(self):
        return E.Sin.apply(self)

    def cos(self):
        return E.Cos.apply(self)

    def tan(self):
        return E.Tan.apply(self)

    def sigmoid(self):
        return E.Sigmoid.apply(self)

    def relu(self):
        return E.Relu.apply(self)

    def clamp(self, min=None, max=None):  # noqa: A002 - PyTorch's argument names
        if min is None and max is None:
            raise ValueError("clamp needs min, max, or both")
        return E.Clamp.apply(self, low=min, high=max)

    clip = clamp

    def maximum(self, other):
        return E.Maximum.apply(self, self._lift(other))

    def minimum(self, other):
        return E.Minimum.apply(self, self._lift(other))

    # comparisons give bool tensors (not differentiable)

    def _compare(self, other, op):
        other_data = other.array if isinstance(other, Tensor) else other
        return Tensor._make(op(self.array, other_data), False, None)

    def __eq__(self, other):
        return self._compare(other, lambda a, b: a == b)

    def __ne__(self, other):
        return self._compare(other, lambda a, b: a != b)

    def __lt__(self, other):
        return self._compare(other, lambda a, b: a < b)

    def __le__(self, other):
        return self._compare(other, lambda a, b: a <= b)

    def __gt__(self, other):
        return self._compare(other, lambda a, b: a > b)

    def __ge__(self, other):
        return self._compare(other, lambda a, b: a >= b)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__
    __hash__ = object.__hash__  # tensors are used as dict keys by identity, as in PyTorch

    def __invert__(self):
        return Tensor._make(~self.array, False, None)

    def __and__(self, other):
        return self._compare(other, lambda a, b: a & b)

    def __or__(self, other):
        return self._compare(other, lambda a, b: a | b)

    def argmax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        dim, keepdim = _dim_aliases(dim, keepdim, axis, keepdims)
        return Tensor._make(_arg_reduce(self.array, "argmax", dim, keepdim), False, None)

    def argmin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        dim, keepdim = _dim_aliases(dim, keepdim, axis, keepdims)
        return Tensor._make(_arg_reduce(self.array, "argmin", dim, keepdim), False, None)

    def nonzero(self, *, as_tuple=False):
        """Indices of the non-zero elements: an (n, ndim) int64 tensor, or one
        index tensor per dimension with ``as_tuple=True``."""
        xp = get_array_module(self.array)
        found = xp.nonzero(self.array) if self.ndim else xp.nonzero(self.array.reshape(1))
        if as_tuple:
            return tuple(Tensor._make(i.astype(backend.int64), False, None) for i in found)
        return Tensor._make(xp.stack(found, axis=1).astype(backend.int64), False, None)

    def masked_fill(self, mask, value):
        """``value`` where ``mask`` is True, this tensor elsewhere (differentiable in self)."""
        return _functions.where(mask, value, self)

    def fill_diagonal_(self, fill_value, wrap=False):
        """Set the main diagonal to ``fill_value`` in place (a tensor of more than
        two dims needs them all equal); ``wrap`` restarts it below a tall matrix's
        square, as in PyTorch."""
        if self.ndim < 2:
            raise RuntimeError("fill_diagonal_: dimensions must be larger than 1")
        if self.ndim > 2 and len(set(self.shape)) != 1:
            raise RuntimeError("fill_diagonal_: all dimensions of input must be of equal length")
        xp = get_array_module(self.array)
        on_diagonal = xp.zeros(self.array.shape, dtype=bool)
        xp.fill_diagonal(on_diagonal, True, wrap=wrap)
        return self.masked_fill_(Tensor._make(on_diagonal, False, None), fill_value)

    def masked_fill_(self, mask, value):
        mask = require_tensor(mask, "mask")
        with _autograd.no_grad():
            filled = self.masked_fill(mask, value)
        return self._inplace(filled, _np_fill, lambda t, f: t.masked_fill(mask, value))

    def any(self):
        return Tensor._make(self.array.any(), False, None)

    def all(self):
        return Tensor._make(self.array.all(), False, None)

    def sign(self):
        return Tensor._make(get_array_module(self.array).sign(self.array), False, None)

    # ------------------------------------------------------------------ reductions

    # ``axis=`` / ``keepdims=`` are accepted for ``dim=`` / ``keepdim=`` (as PyTorch does)

    def sum(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        dim, keepdim = _dim_aliases(dim, keepdim, axis, keepdims)
        source = self if dtype is None else self.to(dtype)
        return R.Sum.apply(source, dim=dim, keepdim=keepdim)

    def mean(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        dim, keepdim = _dim_aliases(dim, keepdim, axis, keepdims)
        source = self if dtype is None else self.to(dtype)
        return R.Mean.apply(source, dim=dim, keepdim=keepdim)

    def prod(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        dim, keepdim = _dim_aliases(dim, keepdim, axis, keepdims)
        source = self if dtype is None else self.to(dtype)
        return R.Prod.apply(source, dim=dim, keepdim=keepdim)

    def cumsum(self, dim=None, *, dtype=None, axis=None):
        dim, _ = _dim_aliases(dim, False, axis, None, required=True)
        return R.CumSum.apply(self if dtype is None else self.to(dtype), dim=dim)

    def cumprod(self, dim=None, *, dtype=None, axis=None):
        dim, _ = _dim_aliases(dim, False, axis, None, required=True)
        return R.CumProd.apply(self if dtype is None else self.to(dtype), dim=dim)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Without ``dim``: the maximum. With ``dim``: ``(values, indices)`` like torch.max."""
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        dim, keepdim = _dim_aliases(dim, keepdim, axis, keepdims)
        values = R.Max.apply(self, dim=dim, keepdim=keepdim)
        if dim is None:
            return values
        return MaxResult(values, self.argmax(dim, keepdim))

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        if isinstance(dim, Tensor):
            return self.minimum(dim)
        dim, keepdim = _dim_aliases(dim, keepdim, axis, keepdims)
        values = R.Min.apply(self, dim=dim, keepdim=keepdim)
        if dim is None:
            return values
        return MinResult(values, self.argmin(dim, keepdim))

    def var(self, dim=None, unbiased=True, keepdim=False, *, correction=None, axis=None, keepdims=None):
        dim, keepdim = _dim_aliases(dim, keepdim, axis, keepdims)
        ddof = int(unbiased) if correction is None else correction
        return R.Var.apply(self, dim=dim, keepdim=keepdim, ddof=ddof)

    def std(self, dim=None, unbiased=True, keepdim=False, *, correction=None, axis=None, keepdims=None):
        return self.var(dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims).sqrt()

    def logsumexp(self, dim, keepdim=False):
        return R.LogSumExp.apply(self, dim=dim, keepdim=keepdim)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        source = self if dtype is None else self.to(dtype)
        return R.Norm.apply(source, p=2 if p in ("fro", None) else p, dim=dim, keepdim=keepdim)

    def softmax(self, dim):
        return N.Softmax.apply(self, dim=dim)

    def log_softmax(self, dim):
        return N.LogSoftmax.apply(self, dim=dim)

    # ------------------------------------------------------------------ shape

    def reshape(self, *shape):
        shape = _shape_arg(shape)
        return S.Reshape.apply(self, shape=shape)

    def view(self, *shape):
        return self.reshape(*shape)

    def view_as(self, other):
        return self.reshape(other.shape)

    def reshape_as(self, other):
        return self.reshape(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        start = start_dim % self.ndim
        end = end_dim % self.ndim
        shape = self.shape[:start] + (-1,) + self.shape[end + 1:]
        return self.reshape(shape)

    def squeeze(self, dim=None):
        if dim is None:
            shape = tuple(n for n in self.shape if n != 1)
        else:
            dims = {d % max(self.ndim, 1) for d in ((dim,) if isinstance(dim, int) else dim)}
            shape = tuple(n for i, n in enumerate(self.shape) if not (i in dims and n == 1))
        return self.reshape(shape)

    def unsqueeze(self, dim):
        d = dim % (self.ndim + 1)
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def permute(self, *dims):
        dims = _shape_arg(dims)
        return S.Permute.apply(self, dims=tuple(d % self.ndim for d in dims))

    def transpose(self, dim0, dim1):
        order = list(range(self.ndim))
        order[dim0], order[dim1] = order[dim1], order[dim0]
        return self.permute(order)

    def t(self):
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, got {self.ndim}")
        return self.T

    def t_(self):
        """Transpose in place (a 2-D tensor becomes its transpose)."""
        if self.ndim > 2:
            raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, got {self.ndim}")
        if self.requires_grad and _autograd.is_grad_enabled():
            raise RuntimeError("t_() on a tensor that requires grad: use t() (out of place)")
        return self.set_(Tensor._make(get_array_module(self.array).ascontiguousarray(self.array.T), False, None))

    def expand(self, *shape):
        shape = _shape_arg(shape)
        lead = len(shape) - self.ndim
        full = tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(shape))
        return S.Expand.apply(self, shape=full)

    def expand_as(self, other):
        return self.expand(other.shape)

    def split(self, split_size, dim=0):
        n = self.shape[dim]
        if isinstance(split_size, int):
            sizes = [min(split_size, n - i) for i in range(0, n, split_size)]
        else:
            sizes = list(split_size)
            if sum(sizes) != n:
                raise ValueError(f"split sizes {sizes} do not add up to the size {n} of dim {dim}")
        pieces, start = [], 0
        for size in sizes:
            index = (slice(None),) * (dim % self.ndim) + (slice(start, start + size),)
            pieces.append(self[index])
            start += size
        return tuple(pieces)

    def chunk(self, chunks, dim=0):
        n = self.shape[dim]
        return self.split(-(-n // chunks), dim)

    def __getitem__(self, index):
        return S.GetItem.apply(self, index=_index_arg(index))

    def __setitem__(self, index, value):
        if _autograd.is_grad_enabled() and (self.requires_grad or getattr(value, "requires_grad", False)):
            raise RuntimeError(
                "item assignment on a tensor that requires grad is only allowed inside "
                "`with nettrain.no_grad():`"
            )
        value = value.array if isinstance(value, Tensor) else value
        self.array[_index_arg(index)] = value
        self._version_counter.value += 1

    # ------------------------------------------------------------------ in-place
    #
    # On a tensor outside any graph (or under no_grad) these write into the
    # array and bump the version counter, so a node that saved the old values
    # raises instead of giving a wrong gradient. On a non-leaf tensor inside a
    # graph they record the op and rebind the tensor to its result (views taken
    # earlier keep the old values). On a leaf that requires grad they are an
    # error, as in PyTorch.

    def _inplace(self, other, array_op, tensor_op):
        other_t = self._lift(other)
        if _autograd.is_grad_enabled() and (self.requires_grad or other_t.requires_grad):
            if self.grad_fn is None and self.requires_grad:
                raise RuntimeError(
                    "a leaf tensor that requires grad is used in an in-place operation; do the "
                    "update inside `with nettrain.no_grad():` (as an optimizer step does)"
                )
            # This tensor becomes the result: its array, its node and its
            # version counter (which the node may have saved). Views taken
            # earlier keep the old array and the old counter.
            result = tensor_op(self, other_t)
            self.array, self.grad_fn, self.requires_grad = result.array, result.grad_fn, True
            self._version_counter = result._version_counter
            return self
        array_op(self.array, other_t.array)
        self._version_counter.value += 1
        return self

    def add_(self, other, alpha=1):
        if alpha != 1:
            other = self._lift(other) * alpha
        return self._inplace(other, _np_iadd, Tensor.__add__)

    def sub_(self, other, alpha=1):
        if alpha != 1:
            other = self._lift(other) * alpha
        return self._inplace(other, _np_isub, Tensor.__sub__)

    def mul_(self, other):
        return self._inplace(other, _np_imul, Tensor.__mul__)

    def div_(self, other):
        return self._inplace(other, _np_idiv, Tensor.__truediv__)

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_

    def zero_(self):
        return self.fill_(0)

    def fill_(self, value):
        return self._inplace(value, _np_fill, E.Fill.apply)

    def copy_(self, src):
        if not isinstance(src, Tensor):
            src = Tensor._make(_scalar_array(src, self.array), False, None)
        return self._inplace(src, _np_copy, E.Fill.apply)

    def clamp_(self, min=None, max=None):  # noqa: A002
        def array_op(a, _):
            get_array_module(a).clip(a, min, max, out=a)

        return self._inplace(0, array_op, lambda t, _: t.clamp(min, max))

    def normal_(self, mean=0.0, std=1.0):
        with _autograd.no_grad():
            return self.copy_(randn(*self.shape, dtype=self.dtype, device=self.device) * std + mean)

    def uniform_(self, a=0.0, b=1.0):
        with _autograd.no_grad():
            return self.copy_(rand(*self.shape, dtype=self.dtype, device=self.device) * (b - a) + a)


class MaxResult(tuple):
    """``(values, indices)`` returned by ``max(dim)`` / ``min(dim)``, as in
    PyTorch (printed as its ``torch.return_types.max(values=..., indices=...)``)."""

    __slots__ = ()
    op_name = "max"

    def __new__(cls, values, indices):
        return super().__new__(cls, (values, indices))

    def __repr__(self):
        return f"nettrain.return_types.{self.op_name}(\nvalues={self[0]!r},\nindices={self[1]!r})"

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]


class MinResult(MaxResult):
    __slots__ = ()
    op_name = "min"


# ---------------------------------------------------------------------- helpers


def _np_iadd(a, b):
    a += b


def _np_isub(a, b):
    a -= b


def _np_imul(a, b):
    a *= b


def _np_idiv(a, b):
    a /= b


def _np_fill(a, b):
    a[...] = b


def _np_copy(a, b):
    a[...] = backend.to_device(b, backend.device_of(a))


def _is_dtype_name(text):
    try:
        backend.as_dtype(text)
        return True
    except TypeError:
        return False


def _legacy_array(args, dtype, device):
    """The array of ``Tensor(...)`` / ``FloatTensor(...)``: data or sizes."""
    if not args:
        array = np.empty((0,), dtype=dtype)
    elif all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in args) or (
        len(args) == 1 and isinstance(args[0], Size)
    ):
        array = np.empty(_shape_arg(args), dtype=dtype)
    elif len(args) == 1:
        array = _to_array(args[0], dtype)
    else:
        raise TypeError(
            f"Tensor() takes data (a list, array or tensor) or sizes (ints), got {args!r}; "
            f"use nettrain.tensor(data, dtype=...) to choose the dtype"
        )
    return array if device is None else backend.to_device(array, device)


def legacy_tensor(dtype, args, device=None) -> Tensor:
    """``nettrain.FloatTensor(...)`` and friends (see dtypes.tensortype)."""
    return Tensor._make(_legacy_array(args, backend.as_dtype(dtype), device), False, None)


def require_tensor(value, what="input"):
    """``value`` when it is a Tensor; otherwise the TypeError PyTorch gives,
    naming what was passed (a NumPy array is the usual mistake)."""
    if isinstance(value, Tensor):
        return value
    kind = type(value)
    name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
    hint = " (wrap it: nettrain.from_numpy(array) or nettrain.tensor(array))" if hasattr(value, "__array__") else ""
    raise TypeError(f"{what} must be a Tensor, not {name}{hint}")


def _dim_aliases(dim, keepdim, axis, keepdims, required=False):
    """``dim``/``keepdim`` from either spelling (PyTorch takes NumPy's
    ``axis``/``keepdims`` too)."""
    if axis is not None:
        if dim is not None:
            raise TypeError("pass dim= or axis=, not both")
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    if required and dim is None:
        raise TypeError("missing the dim argument (dim=...)")
    if isinstance(dim, list):
        dim = tuple(dim)
    return dim, keepdim


def _check_dim(dim, ndim):
    """``dim`` as a non-negative axis, or PyTorch's IndexError."""
    size = max(ndim, 1)
    if not -size <= dim < size:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-size}, {size - 1}], but got {dim})")
    return dim % size


def _shape_arg(shape):
    """Accept both ``reshape(2, 3)`` and ``reshape((2, 3))``."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _index_arg(index):
    """Tensors inside an index become their arrays."""
    if isinstance(index, Tensor):
        return index.array
    if isinstance(index, tuple):
        return tuple(i.array if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


def _arg_reduce(array, name, dim, keepdim):
    xp = get_array_module(array)
    if dim is None:
        out = getattr(xp, name)(array)
        return out.reshape((1,) * array.ndim) if keepdim else xp.asarray(out)
    out = getattr(xp, name)(array, axis=dim)
    return xp.expand_dims(out, dim) if keepdim else out


def _scalar_array(value, like):
    """A Python number (or array) as an array on ``like``'s device, without
    upcasting ``like``: a float next to a float32 tensor stays float32."""
    xp = get_array_module(like)
    if isinstance(value, (bool, np.bool_)):
        dtype = like.dtype if like.dtype.kind in "fb" else backend.bool_
    elif isinstance(value, numbers.Integral):
        dtype = like.dtype if like.dtype.kind in "fiu" else backend.DEFAULT_INT
    elif isinstance(value, numbers.Real):
        dtype = like.dtype if like.dtype.kind == "f" else backend.default_float()
    else:
        array = xp.asarray(value)
        if array.dtype.kind == "f" and like.dtype.kind == "f":
            array = array.astype(like.dtype, copy=False)
        return array
    return xp.asarray(value, dtype=dtype)


def _to_array(data, dtype=None, device=None):
    """Anything array-like -> an array of the right dtype on the right device.

    Floats default to float32 (as in PyTorch); integers to int64.
    """
    dtype = backend.as_dtype(dtype)
    if isinstance(data, Tensor):
        data = data.array
    xp = get_array_module(data)
    if xp is np:
        if isinstance(data, np.ndarray):
            array = data
        else:
            if isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in _flat(data)):
                data = _nested_map(data, lambda d: d.item() if isinstance(d, Tensor) else d)
            array = np.asarray(data)
        if dtype is None:
            if array.dtype.kind == "f" and not isinstance(data, np.ndarray):
                dtype = backend.default_float()
            elif array.dtype.kind in "iu" and not isinstance(data, np.ndarray):
                dtype = backend.DEFAULT_INT
        if dtype is not None and array.dtype != dtype:
            array = array.astype(dtype)
        elif array is data:
            array = array.copy()  # tensor(ndarray) copies, like torch.tensor; from_numpy shares
    else:
        array = data.astype(dtype) if dtype is not None else data.copy()
    if device is not None:
        array = backend.to_device(array, device)
    return array


def _flat(nested):
    for item in nested:
        if isinstance(item, (list, tuple)):
            yield from _flat(item)
        else:
            yield item


def _nested_map(nested, fn):
    if isinstance(nested, (list, tuple)):
        return [_nested_map(item, fn) for item in nested]
    return fn(nested)


# ---------------------------------------------------------------------- creation functions


def tensor(data, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A new tensor holding a copy of ``data`` (lists, numbers, arrays).
    Python floats become the default float dtype (float32), ints int64."""
    t = Tensor._make(_to_array(data, dtype, device), False, None)
    if requires_grad:
        t.requires_grad_(True)
    return t


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """``data`` as a tensor, sharing memory where it can (``torch.as_tensor``):
    a Tensor or an array (NumPy or CuPy) already of the asked dtype and on
    the asked device is wrapped as it is; anything else is converted (a copy).
    The result is outside any graph unless ``data`` is a Tensor in one."""
    dtype = backend.as_dtype(dtype)
    if isinstance(data, Tensor):
        return data.to(dtype=dtype, device=device)
    if isinstance(data, np.generic):  # a NumPy scalar such as np.float32(1.5)
        data = np.asarray(data)
    if hasattr(data, "__array_interface__") or hasattr(data, "__cuda_array_interface__"):
        if (dtype is None or data.dtype == dtype) and (device is None or backend.device_of(data) == Device(device)):
            return Tensor._make(data, False, None)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (no copy, dtype kept)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    return Tensor._make(array, False, None)


def _sizes(shape, size):
    """The shape of a creation call: ``zeros(2, 3)``, ``zeros((2, 3))`` or ``zeros(size=(2, 3))``."""
    if size is not None:
        if shape:
            raise TypeError("pass the sizes either positionally or as size=, not both")
        return (tuple(size) if isinstance(size, (tuple, list)) else (size,),)
    return shape


def _create(fill, shape, dtype, device, requires_grad, default=None):
    dtype = backend.as_dtype(dtype) or default or backend.default_float()
    xp = backend.array_module_for(device or "cpu")
    if device is not None and Device(device).type == "cuda":
        with xp.cuda.Device(Device(device).ordinal):
            data = fill(xp, _shape_arg(shape), dtype)
    else:
        data = fill(xp, _shape_arg(shape), dtype)
    t = Tensor._make(data, False, None)
    if requires_grad:
        t.requires_grad_(True)
    return t


def zeros(*shape, size=None, dtype=None, device=None, requires_grad=False):
    return _create(lambda xp, s, d: xp.zeros(s, d), _sizes(shape, size), dtype, device, requires_grad)


def ones(*shape, size=None, dtype=None, device=None, requires_grad=False):
    return _create(lambda xp, s, d: xp.ones(s, d), _sizes(shape, size), dtype, device, requires_grad)


def empty(*shape, size=None, dtype=None, device=None, requires_grad=False):
    return _create(lambda xp, s, d: xp.empty(s, d), _sizes(shape, size), dtype, device, requires_grad)


def full(shape, fill_value, dtype=None, device=None, requires_grad=False):
    default = backend.DEFAULT_INT if isinstance(fill_value, numbers.Integral) and not isinstance(fill_value, bool) else None
    if isinstance(fill_value, bool):
        default = backend.bool_
    return _create(lambda xp, s, d: xp.full(s, fill_value, d), (tuple(shape),), dtype, device, requires_grad, default)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    return _create(lambda xp, s, d: xp.eye(n, m, dtype=d), (), dtype, device, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    is_int = all(isinstance(v, numbers.Integral) for v in (start, end, step))
    default = backend.DEFAULT_INT if is_int else None
    return _create(lambda xp, s, d: xp.arange(start, end, step, dtype=d), (), dtype, device, requires_grad, default)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    return _create(lambda xp, s, d: xp.linspace(start, end, steps, dtype=d), (), dtype, device, requires_grad)


def _random(sample, shape, dtype, device, requires_grad, default=None):
    generator = backend.generators.for_device(device or "cpu")
    return _create(lambda xp, s, d: sample(generator, s).astype(d, copy=False), shape, dtype, device, requires_grad, default)


def rand(*shape, size=None, dtype=None, device=None, requires_grad=False):
    """Uniform on [0, 1), from the seeded generator (see ``manual_seed``)."""
    return _random(backend.uniform, _sizes(shape, size), dtype, device, requires_grad)


def randn(*shape, size=None, dtype=None, device=None, requires_grad=False):
    """Standard normal, from the seeded generator (see ``manual_seed``)."""
    return _random(lambda g, s: g.standard_normal(s), _sizes(shape, size), dtype, device, requires_grad)


def randint(low, high=None, size=(), dtype=None, device=None):
    """Integers uniform on [low, high), from the seeded generator."""
    if high is None:
        low, high = 0, low
    def sample(generator, shape):
        return generator.integers(low, high, shape)

    return _random(sample, (tuple(size),), dtype, device, False, backend.DEFAULT_INT)


def randperm(n, device=None):
    """A random permutation of 0 .. n-1 (int64), drawn on ``device`` by its generator."""
    return _random(lambda generator, shape: generator.permutation(n), (), backend.DEFAULT_INT, device, False)


def _like(factory):
    def like(t, dtype=None, device=None, requires_grad=False, **kwargs):
        return factory(*t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad, **kwargs)

    like.__name__ = factory.__name__ + "_like"
    like.__doc__ = f"``{factory.__name__}`` with the shape, dtype and device of another tensor."
    return like


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)
rand_like = _like(rand)
randn_like = _like(randn)


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False):
    return full(t.shape, fill_value, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)


# The layers above Tensor. Imported last: they import Tensor from this module.
from . import autograd as _autograd  # noqa: E402
from .ops import elementwise as E  # noqa: E402
from .ops import linalg as L  # noqa: E402
from .ops import nn as N  # noqa: E402
from .ops import reduce as R  # noqa: E402
from .ops import shape as S  # noqa: E402
from .ops.elementwise import Cast, Copy  # noqa: E402
from . import functions as _functions  # noqa: E402
