"""Finite-difference gradient checks, and the registry of check cases.

``gradcheck(fn, inputs)`` compares the gradient that ``backward`` computes
with central finite differences, in float64. To keep it cheap for ops with
large outputs it checks a vector-Jacobian product: with a fixed random
vector ``v`` of the output's shape, it compares ``v . d fn / d x_j`` from
backward with ``(v . fn(x + eps e_j) - v . fn(x - eps e_j)) / 2 eps`` for
every input element ``j``. A wrong gradient for any element shows up there
with probability 1.

The registry (``CASES``) holds one case per differentiable op, layer and
model; ``nettrain gradcheck`` and the test suite run all of them, and a test
fails when a ``Function`` subclass is covered by no case.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from .. import backend
from ..autograd import Function
from ..tensor import Tensor, as_tensor, tensor


@dataclasses.dataclass
class GradcheckResult:
    passed: bool
    max_abs_error: float
    max_rel_error: float
    worst_input: int = 0
    worst_index: tuple = ()
    analytic: float = 0.0
    numeric: float = 0.0

    def describe(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        return (
            f"{verdict}: max abs error {self.max_abs_error:.3g}, max rel error {self.max_rel_error:.3g}; "
            f"worst at input {self.worst_input} index {self.worst_index}: "
            f"analytic {self.analytic:.10g}, numeric {self.numeric:.10g}"
        )


class GradcheckError(AssertionError):
    pass


def gradcheck(fn: Callable, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0, raise_on_failure=True):
    """Check ``fn``'s backward against central finite differences in float64.

    ``inputs``: Tensors (or arrays); those with ``requires_grad`` are checked
    (arrays and float tensors without it are treated as constants). ``fn``
    returns a Tensor. An element passes when
    ``|analytic - numeric| <= atol + rtol * |numeric|``.
    """
    tensors = [x if isinstance(x, Tensor) else tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
               for x in inputs]
    for t in tensors:
        if t.requires_grad and t.dtype != backend.float64:
            raise TypeError(f"gradcheck needs float64 inputs (finite differences in float32 are too coarse), got {t.dtype}")
    checked = [i for i, t in enumerate(tensors) if t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad")

    out = fn(*tensors)
    rng = np.random.default_rng(seed)
    v = backend.to_device(rng.standard_normal(out.shape), out.device)
    for t in tensors:
        t.grad = None
    out.backward(as_tensor(v))
    analytic = [backend.to_host(tensors[i].grad.array) if tensors[i].grad is not None
                else np.zeros(tensors[i].shape) for i in checked]

    def projected(x_list):
        from ..autograd import no_grad

        with no_grad():
            return float((fn(*x_list).array * v).sum())

    result = GradcheckResult(True, 0.0, 0.0)
    worst_score = -np.inf
    for slot, i in enumerate(checked):
        base = tensors[i]
        data = base.array
        flat = data.reshape(-1)
        for j in range(flat.size):
            original = float(flat[j])
            flat[j] = original + eps
            plus = projected(tensors)
            flat[j] = original - eps
            minus = projected(tensors)
            flat[j] = original
            numeric = (plus - minus) / (2 * eps)
            exact = float(analytic[slot].reshape(-1)[j])
            abs_err = abs(exact - numeric)
            scale = max(abs(numeric), abs(exact))
            result.max_abs_error = max(result.max_abs_error, abs_err)
            if scale > atol:  # relative error is noise where both values are ~0
                result.max_rel_error = max(result.max_rel_error, abs_err / scale)
            score = abs_err - (atol + rtol * abs(numeric))
            if score > worst_score:
                worst_score = score
                result.worst_input, result.worst_index = i, tuple(int(k) for k in np.unravel_index(j, data.shape))
                result.analytic, result.numeric = exact, numeric
    result.passed = worst_score <= 0
    if not result.passed and raise_on_failure:
        raise GradcheckError(result.describe())
    return result


# --------------------------------------------------------------------------- registry


@dataclasses.dataclass
class Case:
    name: str
    covers: tuple          # the Function subclasses this case exercises
    make: Callable         # make(rng, device) -> (fn, inputs, shapes_text)


CASES: dict[str, Case] = {}


def case(name: str, covers=()):
    """Register a check case: ``@case("mul", covers=[Mul])`` on ``make(rng, device)``."""

    def register(make):
        if name in CASES:
            raise ValueError(f"duplicate gradcheck case {name!r}")
        CASES[name] = Case(name, tuple(covers), make)
        return make

    return register


def leaf(array, device="cpu", requires_grad=True):
    """A float64 input tensor for a case, on the device under test."""
    return tensor(np.asarray(array, dtype=np.float64), device=device, requires_grad=requires_grad)


def load_all_cases() -> dict[str, Case]:
    """Import every case module (ops, layers, models) and return the registry."""
    from . import layer_cases, op_cases  # noqa: F401
    return CASES


def all_function_classes():
    """Every concrete Function subclass in nettrain (what the registry must cover)."""
    seen, stack = [], list(Function.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__name__.startswith("_"):
            continue
        seen.append(cls)
    return seen


def run_case(c: Case, seed=0, device="cpu", eps=1e-6, atol=1e-5, rtol=1e-3):
    rng = np.random.default_rng(seed)
    fn, inputs, shapes = c.make(rng, device)
    result = gradcheck(fn, inputs, eps=eps, atol=atol, rtol=rtol, seed=seed, raise_on_failure=False)
    return shapes, result
