"""How a tensor prints: a port of PyTorch's ``torch/_tensor_str.py``.

The same rules give the same text (module name aside): fixed point with 4
decimals, scientific notation when the magnitudes span more than 1000x or
leave [1e-4, 1e8], integer-valued floats as ``1.``, wrapping at 80 columns
with PyTorch's indentation, ``...`` summaries above 1000 elements, and the
``dtype=`` / ``device=`` / ``requires_grad=`` / ``grad_fn=`` suffixes.

The port works on the host NumPy array (PyTorch's works on tensors); values
are formatted as Python floats of the stored value, exactly as PyTorch's
``tolist()`` / ``item()`` give them.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from . import backend
from .dtypes import bool_, get_default_dtype, int64


@dataclasses.dataclass
class _PrinterOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrinterOptions()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """Options for printing tensors, as ``torch.set_printoptions``.

    precision: digits after the point (4); threshold: element count above
    which the print is summarised with ``...`` (1000); edgeitems: items kept
    at each end of a summarised dimension (3); linewidth: columns (80);
    profile: ``"default"``, ``"short"`` or ``"full"``; sci_mode: force (True)
    or forbid (False) scientific notation, None to choose automatically.
    """
    if profile is not None:
        presets = {
            "default": (4, 1000, 3, 80),
            "short": (2, 1000, 2, 80),
            "full": (4, math.inf, 3, 80),
        }
        if profile not in presets:
            raise ValueError(f"unknown print profile {profile!r}; expected 'default', 'short' or 'full'")
        (PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth) = presets[profile]
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict:
    """The current print options, as keyword arguments for ``set_printoptions``."""
    return dataclasses.asdict(PRINT_OPTS)


class _Formatter:
    """Chooses one format (int, fixed point, scientific) and one width for
    every element, from all the values that will be shown."""

    def __init__(self, values: np.ndarray):
        self.floating_dtype = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = values.reshape(-1)

        if not self.floating_dtype:
            for value in flat.tolist():
                self.max_width = max(self.max_width, len(f"{value}"))
            return

        nonzero_finite = flat[np.isfinite(flat) & (flat != 0)]
        if nonzero_finite.size == 0:
            return  # no valid number, do nothing
        magnitudes = np.abs(nonzero_finite).astype(np.float64)
        low, high = magnitudes.min(), magnitudes.max()
        as_python = nonzero_finite.tolist()
        self.int_mode = bool(np.all(nonzero_finite == np.ceil(nonzero_finite)))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = bool(high / low > 1000.0 or high > 1.0e8 or low < 1.0e-4)
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        precision = PRINT_OPTS.precision
        if self.sci_mode:
            widths = (len(f"{value:.{precision}e}") for value in as_python)
        elif self.int_mode:
            # integers are shown with a trailing point ("1."): one more column
            widths = (len(f"{value:.0f}") + 1 for value in as_python)
        else:
            widths = (len(f"{value:.{precision}f}") for value in as_python)
        self.max_width = max(self.max_width, max(widths))

    def width(self) -> int:
        return self.max_width

    def format(self, value) -> str:
        if self.floating_dtype:
            if self.sci_mode:
                text = f"{value:{self.max_width}.{PRINT_OPTS.precision}e}"
            elif self.int_mode:
                text = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    text += "."
            else:
                text = f"{value:.{PRINT_OPTS.precision}f}"
        else:
            text = f"{value}"
        return (self.max_width - len(text)) * " " + text


def _vector_str(values, indent, summarize, formatter):
    # the length of one element includes the comma and space after it
    element_length = formatter.width() + 2
    elements_per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))
    edge = PRINT_OPTS.edgeitems
    if summarize and not edge:
        data = ["..."]
    elif summarize and values.shape[0] > 2 * edge:
        data = (
            [formatter.format(v) for v in values[:edge].tolist()]
            + [" ..."]
            + [formatter.format(v) for v in values[-edge:].tolist()]
        )
    else:
        data = [formatter.format(v) for v in values.tolist()]
    lines = [", ".join(data[i:i + elements_per_line]) for i in range(0, len(data), elements_per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str_with_formatter(values, indent, summarize, formatter):
    dim = values.ndim
    if dim == 0:
        return formatter.format(values.item())
    if dim == 1:
        return _vector_str(values, indent, summarize, formatter)
    edge = PRINT_OPTS.edgeitems
    if summarize and values.shape[0] > 2 * edge:
        slices = (
            [_tensor_str_with_formatter(values[i], indent + 1, summarize, formatter) for i in range(edge)]
            + ["..."]
            + [
                _tensor_str_with_formatter(values[i], indent + 1, summarize, formatter)
                for i in range(len(values) - edge, len(values))
            ]
        )
    else:
        slices = [
            _tensor_str_with_formatter(values[i], indent + 1, summarize, formatter)
            for i in range(values.shape[0])
        ]
    return "[" + ("," + "\n" * (dim - 1) + " " * (indent + 1)).join(slices) + "]"


def _summarized_data(values):
    """Only the elements a summarised print shows (for choosing the format)."""
    edge = PRINT_OPTS.edgeitems
    if values.ndim == 0:
        return values
    if values.ndim == 1:
        if values.shape[0] > 2 * edge:
            return np.concatenate((values[:edge], values[-edge:]))
        return values
    if not edge:
        return np.empty([0] * values.ndim, dtype=values.dtype)
    if values.shape[0] > 2 * edge:
        rows = [values[i] for i in range(edge)] + [values[i] for i in range(len(values) - edge, len(values))]
    else:
        rows = list(values)
    return np.stack([_summarized_data(row) for row in rows])


def array_str(values: np.ndarray, indent: int) -> str:
    """The bracketed body of a tensor's print (``[[1., 2.], ...]``)."""
    if values.size == 0:
        return "[]"
    summarize = values.size > PRINT_OPTS.threshold
    formatter = _Formatter(_summarized_data(values) if summarize else values)
    return _tensor_str_with_formatter(values, indent, summarize, formatter)


def _add_suffixes(tensor_str, suffixes, indent):
    parts = [tensor_str]
    last_line_len = len(tensor_str) - tensor_str.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(t) -> str:
    """``repr(t)`` / ``str(t)``, as PyTorch prints it."""
    # nettrain's own tensor types (Tensor, nn.Parameter) print as "tensor(",
    # a user's subclass under its own name, as in PyTorch
    own_type = type(t).__module__.split(".")[0] == "nettrain"
    prefix = "tensor(" if own_type else f"{type(t).__name__}("
    indent = len(prefix)
    suffixes = []
    device = t.device
    if device.type != "cpu":
        suffixes.append(f"device='{device}'")
    dtype = t.dtype
    values = backend.to_host(t.array)
    if values.size == 0:
        if values.ndim != 1:
            suffixes.append(f"size={tuple(values.shape)}")
        if dtype is not get_default_dtype():
            suffixes.append(f"dtype={dtype}")
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(values.shape)}")
        if dtype not in (get_default_dtype(), int64, bool_):
            suffixes.append(f"dtype={dtype}")
        body = array_str(values, indent)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name(t.grad_fn)}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)


def grad_fn_name(node) -> str:
    """PyTorch's name of a graph node (``MulBackward0``), as the engine gives it."""
    return node.name()
