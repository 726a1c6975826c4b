"""``summary(model, input_size)``: what a model is made of, from one dry
forward pass (as Keras' ``model.summary()`` and torchinfo's ``summary``).

    import nettrain as nt
    print(nt.summary(nt.models.LeNet(), (64, 1, 28, 28)))

One row per layer that ran (a module without children, or one holding
parameters of its own), in the order it ran: its output shape at the given
batch size, its parameter count and share of the total. Below the table:
total and trainable parameters, multiply-adds per sample (those of Linear
and Conv2d layers, the ones that cost), and memory at that batch size:
parameters, plus the input and every layer's output (what a training step
keeps for its backward pass; gradients and optimizer state come on top).

The pass runs under ``no_grad`` in eval mode on zeros; the model's mode is
restored afterwards. Output shapes come from forward hooks, so any Module
works, whatever its ``forward`` does between layers.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .autograd import no_grad
from .nn import Conv2d, Linear, Module
from .tensor import zeros

WIDTH = 80  # the table fits an 80-column terminal


@dataclass
class LayerRow:
    name: str            # dotted name in the model ("features.0")
    kind: str            # class name ("Conv2d")
    output_shape: tuple  # at the summary's batch size
    params: int          # parameters of its own (0 when shared and already counted)
    macs: int            # multiply-adds for the whole batch


@dataclass
class ModelSummary:
    """The figures of one summary; ``str()`` is the table, ``short()`` one line."""

    model_name: str
    input_size: tuple
    layers: list = field(default_factory=list)
    total_params: int = 0
    trainable_params: int = 0
    param_bytes: int = 0
    input_bytes: int = 0
    activation_bytes: int = 0

    @property
    def batch_size(self) -> int:
        return self.input_size[0]

    @property
    def macs_per_sample(self) -> int:
        return sum(row.macs for row in self.layers) // max(self.batch_size, 1)

    @property
    def memory_bytes(self) -> int:
        return self.param_bytes + self.input_bytes + self.activation_bytes

    def short(self) -> str:
        """One line: parameters, multiply-adds per sample, memory at the batch size."""
        return (f"{self.total_params:,} parameters, {_count(self.macs_per_sample)} multiply-adds per sample, "
                f"{_bytes(self.memory_bytes)} at batch {self.batch_size}")

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def lines(self) -> list[str]:
        header = ("layer", "type", "output shape", "params", "share")
        cells = [header] + [
            (row.name, row.kind, _shape(row.output_shape), f"{row.params:,}" if row.params else "-",
             f"{row.params / self.total_params:.1%}" if row.params and self.total_params else "-")
            for row in self.layers
        ]
        widths = [max(len(c[i]) for c in cells) for i in range(len(header))]
        spare = WIDTH - (sum(widths) + 2 * (len(widths) - 1))
        if spare < 0:  # long dotted names give way first, then the type
            widths[0] = max(len(header[0]), widths[0] + spare)
        right = (False, False, False, True, True)
        out = [f"{self.model_name} on input {_shape(self.input_size)}"]
        rule = "-" * min(WIDTH, sum(widths) + 2 * (len(widths) - 1))
        for k, row in enumerate(cells):
            parts = [(_fit(text, w).rjust(w) if r else _fit(text, w).ljust(w)) for text, w, r in zip(row, widths, right)]
            out.append("  ".join(parts).rstrip())
            if k == 0:
                out.append(rule)
        out.append(rule)
        out.append(f"total parameters: {self.total_params:,} (trainable {self.trainable_params:,})")
        macs, short = f"{self.macs_per_sample:,}", _count(self.macs_per_sample)
        out.append(f"multiply-adds per sample: {macs}" + (f" ({short})" if short != macs else ""))
        unit = _memory_unit(self.memory_bytes)  # one unit for the sum and its parts
        out.append(f"memory at batch {self.batch_size}: {_bytes(self.memory_bytes, unit)} = parameters "
                   f"{_bytes(self.param_bytes, unit)} + input {_bytes(self.input_bytes, unit)}")
        out.append(f"  + layer outputs {_bytes(self.activation_bytes, unit)} "
                   "(gradients, optimizer state not included)")
        return out


def summary(model: Module, input_size, dtype=None) -> ModelSummary:
    """Summarise ``model`` for inputs of ``input_size`` (batch size first,
    e.g. ``(64, 1, 28, 28)``) by one forward pass on zeros. ``print()`` the
    result for the table."""
    input_size = tuple(int(n) for n in input_size)
    if not input_size or input_size[0] < 1:
        raise ValueError(f"input_size must start with the batch size (>= 1), got {input_size}")
    params = list(model.parameters())
    first = params[0] if params else None
    dtype = dtype or (first.dtype if first is not None else None)
    device = first.device if first is not None else None
    x = zeros(*input_size, dtype=dtype, device=device)

    result = ModelSummary(type(model).__name__, input_size)
    counted = set()  # a shared parameter counts once, in the first layer that used it

    def record(name):
        def hook(module, args, output):
            own = [p for _, p in module.named_parameters(recurse=False) if id(p) not in counted]
            counted.update(id(p) for p in own)
            macs = 0
            if isinstance(module, (Linear, Conv2d)):
                # each output number is one dot product over a weight row (or filter)
                macs = output.numel() * (module.weight.numel() // module.weight.shape[0])
            result.layers.append(LayerRow(name, type(module).__name__, tuple(output.shape),
                                          sum(p.numel() for p in own), macs))
            result.activation_bytes += output.numel() * output.element_size()
        return hook

    handles = [module.register_forward_hook(record(name))
               for name, module in model.named_modules()
               if name and (next(module.children(), None) is None
                            or next(module.named_parameters(recurse=False), None) is not None)]
    was_training = model.training
    try:
        model.eval()
        with no_grad():
            model(x)
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()

    result.total_params = sum(p.numel() for p in params)
    result.trainable_params = sum(p.numel() for p in params if p.requires_grad)
    result.param_bytes = sum(p.numel() * p.element_size() for p in params)
    result.input_bytes = x.numel() * x.element_size()
    return result


def _shape(shape) -> str:
    return "[" + ", ".join(str(n) for n in shape) + "]"


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else "..." + text[len(text) - width + 3:]


def _count(n: int) -> str:
    for size, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if n >= size:
            return f"{n / size:.2f} {unit}"
    return str(n)


def _memory_unit(n: int) -> tuple[int, str]:
    """The largest unit that leaves ``n`` bytes a figure of 1 or more: a
    small model's memory is "264 B", not "0.00 MB"."""
    for size, name in ((2**30, "GB"), (2**20, "MB"), (2**10, "KB")):
        if n >= size:
            return size, name
    return 1, "B"


def _bytes(n: int, unit=None) -> str:
    size, name = unit or _memory_unit(n)
    return f"{n} B" if size == 1 else f"{n / size:.2f} {name}"
