"""Type promotion as PyTorch's (torch.result_type): a table of
(left dtype, right operand, op) -> result dtype from PyTorch's documented
rules, and, when PyTorch is installed, the whole grid checked against it."""
import operator

import numpy as np
import pytest

import nettrain as nt

OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
       "maximum": lambda a, b: a.maximum(b), "where": lambda a, b: _library(a).where(a > 0, a, b)}


def _library(t):
    return nt if isinstance(t, nt.Tensor) else __import__("torch")


def _tensor(lib, dtype, zero_dim=False):
    values = 2 if zero_dim else [1, 2, 3]
    return lib.tensor(values, dtype=getattr(lib, dtype) if lib is not nt else np.dtype(dtype))


def _name(dtype):
    """``float32`` for nettrain.float32, torch.float32 or NumPy's float32."""
    return str(dtype).split(".")[-1]


# (left tensor dtype, right operand, op, result dtype). Right operands: a dtype
# name is a 3-element tensor, "0-d <dtype>" a 0-d tensor, else a Python number.
TABLE = [
    ("int64", "int64", "/", "float32"),      # integer true division: the default float dtype
    ("int32", "int32", "/", "float32"),
    ("int64", 2, "/", "float32"),
    ("int64", 2.5, "*", "float32"),          # a Python float next to an int tensor
    ("int64", 2, "+", "int64"),
    ("int32", 2, "*", "int32"),              # a Python int keeps the tensor's dtype
    ("uint8", "int8", "+", "int16"),
    ("bool", "int64", "+", "int64"),
    ("bool", 1.5, "*", "float32"),
    ("float32", "int64", "+", "float32"),    # NumPy would give float64
    ("float32", "int64", "/", "float32"),
    ("float32", "int32", "maximum", "float32"),
    ("float32", 2, "*", "float32"),
    ("float32", 2.5, "-", "float32"),
    ("float32", True, "*", "float32"),
    ("float32", "0-d float64", "+", "float32"),  # a 0-d tensor of the same category does not widen
    ("int64", "0-d float64", "+", "float64"),    # ... but one of a higher category decides
    ("int32", "0-d int64", "+", "int32"),
    ("float32", "float64", "+", "float64"),      # float64 only when a float64 tensor is involved
    ("float64", 2.5, "*", "float64"),
    ("float16", 2.5, "*", "float16"),
    ("float16", "float32", "+", "float32"),
    ("int64", "float32", "where", "float32"),
]


def _right(lib, operand):
    if isinstance(operand, str):
        zero_dim = operand.startswith("0-d ")
        return _tensor(lib, operand.removeprefix("0-d "), zero_dim)
    return operand


@pytest.mark.parametrize("left, right, op, expected", TABLE, ids=[f"{r[0]} {r[2]} {r[1]}" for r in TABLE])
def test_result_dtype(left, right, op, expected):
    out = OPS[op](_tensor(nt, left), _right(nt, right))
    assert _name(out.dtype) == expected


def test_unary_math_on_integer_tensors_is_float32():
    i = nt.tensor([1, 4, 9])
    for out in (i.exp(), i.log(), i.sqrt(), i.tanh(), i.sigmoid(), i ** 0.5):
        assert out.dtype == nt.float32
    assert (i ** 2).dtype == nt.int64
    np.testing.assert_allclose(i.sqrt().numpy(), [1, 2, 3])


def test_promotion_keeps_gradients_in_each_inputs_dtype():
    w = nt.tensor([1.0, 2.0], dtype=nt.float64, requires_grad=True)
    x = nt.tensor([3.0, 4.0], requires_grad=True)  # float32
    y = (w * x).sum()
    assert y.dtype == nt.float64
    y.backward()
    assert x.grad.dtype == nt.float32 and w.grad.dtype == nt.float64
    assert x.grad.tolist() == [1.0, 2.0] and w.grad.tolist() == [3.0, 4.0]


DTYPES = ["bool", "uint8", "int8", "int32", "int64", "float16", "float32", "float64"]
RIGHT = DTYPES + ["0-d float64", "0-d int64", "0-d float32", 2, 2.5, True]


@pytest.mark.parametrize("op", sorted(OPS))
def test_the_whole_grid_matches_pytorch(op):
    torch = pytest.importorskip("torch")
    mismatches = []
    for left in DTYPES:
        for right in RIGHT:
            try:
                theirs = OPS[op](_tensor(torch, left), _right(torch, right)).dtype
            except (RuntimeError, TypeError):
                continue  # PyTorch refuses it (bool - bool ...)
            ours = OPS[op](_tensor(nt, left), _right(nt, right)).dtype
            if _name(ours) != _name(theirs):
                mismatches.append(f"{left} {op} {right}: nettrain {ours}, torch {theirs}")
    assert not mismatches, "\n".join(mismatches)
