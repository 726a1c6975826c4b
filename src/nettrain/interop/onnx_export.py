"""A model as an ONNX graph, built with the ``onnx`` package's helpers (no PyTorch).

    proto = onnx_model(model, input_shape=(1, 28, 28), transforms=transform_state["transforms"])
    onnx.save(proto, "lenet.onnx")

The graph takes what the data set gives before any transform (images as
float32 pixels in [0, 1], shape (N, 1, 28, 28)) with a dynamic batch
dimension ``N``; the data transforms' normalisation and flattening come first
as nodes (Sub, Div, Flatten), so a user feeds raw pixels and gets the
model's raw scores (logits). The same facts are stated in the model's
metadata (``nettrain.input``, ``nettrain.transforms``).

How the layers are found: one forward pass in eval mode records, with forward
hooks, each layer that ran and the tensors it took and gave. The model must
be a chain (each layer takes the previous one's output, possibly reshaped,
as MLP's forward flattens images); anything else is refused with a message.

Layer -> ONNX op: Linear -> Gemm (transB), Conv2d -> Conv, MaxPool2d ->
MaxPool, AvgPool2d -> AveragePool (count_include_pad, as PyTorch),
ReLU/Sigmoid/Tanh -> Relu/Sigmoid/Tanh, Flatten -> Flatten, Softmax/
LogSoftmax -> Softmax/LogSoftmax, BatchNorm1d/2d -> BatchNormalization
(running statistics, as in eval), Dropout and Identity -> nothing (eval).
"""
from __future__ import annotations

import json

import numpy as np

from .. import backend
from ..autograd import no_grad
from ..errors import UsageError
from ..nn import (AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, Dropout, Flatten, Identity, Linear,
                  LogSoftmax, MaxPool2d, ReLU, Sigmoid, Softmax, Tanh)
from ..tensor import from_numpy
from . import require

OPSET = 17
IR_VERSION = 8  # what opset 17 needs; read by every onnxruntime since 1.13
INPUT, OUTPUT, BATCH = "input", "output", "N"


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


class _Graph:
    """Nodes and weights being collected, with fresh value names."""

    def __init__(self, helper, numpy_helper):
        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes, self.initializers = [], []
        self.count = 0

    def name(self, hint: str) -> str:
        self.count += 1
        return f"{hint}_{self.count}"

    def constant(self, hint: str, array) -> str:
        name = self.name(hint)
        self.initializers.append(self.numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op: str, inputs: list, hint: str, **attributes) -> str:
        out = self.name(hint)
        self.nodes.append(self.helper.make_node(op, inputs, [out], name=out, **attributes))
        return out


def _host(tensor, dtype=np.float32):
    return np.asarray(backend.to_host(tensor.array), dtype=dtype)


def _transform_nodes(g: _Graph, x: str, transforms, shape: tuple):
    """The data transforms as nodes; returns the value name and the sample shape after them."""
    for t in transforms or []:
        name = t.get("name")
        if name in ("normalize", "zscore", "minmax"):
            shift = t["mean"] if name != "minmax" else t["min"]
            scale = t["std"] if name != "minmax" else t["range"]
            # per channel (axis 1) as the transforms broadcast; one number: a scalar
            stat_shape = (1,) if len(shift) == 1 else (1, len(shift)) + (1,) * (len(shape) - 1)
            x = g.node("Sub", [x, g.constant(f"{name}_shift", np.array(shift, np.float32).reshape(stat_shape))], name)
            x = g.node("Div", [x, g.constant(f"{name}_scale", np.array(scale, np.float32).reshape(stat_shape))], name)
        elif name == "flatten":
            x = g.node("Flatten", [x], "flatten_input", axis=1)
            shape = (int(np.prod(shape)),)
        elif name == "one_hot":
            continue  # changes the targets only
        else:
            raise UsageError(f"cannot export the data transform {name!r} to ONNX")
    return x, shape


def _layer_nodes(g: _Graph, module, x: str, out_shape) -> str:
    """One layer as nodes on value ``x``; returns the output value's name."""
    if isinstance(module, Linear):
        inputs = [x, g.constant("weight", _host(module.weight))]
        if module.bias is not None:
            inputs.append(g.constant("bias", _host(module.bias)))
        return g.node("Gemm", inputs, "linear", transB=1)
    if isinstance(module, Conv2d):
        inputs = [x, g.constant("weight", _host(module.weight))]
        if module.bias is not None:
            inputs.append(g.constant("bias", _host(module.bias)))
        ph, pw = _pair(module.padding)
        return g.node("Conv", inputs, "conv", kernel_shape=list(_pair(module.kernel_size)),
                      strides=list(_pair(module.stride)), pads=[ph, pw, ph, pw])
    if isinstance(module, (MaxPool2d, AvgPool2d)):
        ph, pw = _pair(module.padding)
        attributes = dict(kernel_shape=list(_pair(module.kernel_size)), strides=list(_pair(module.stride)),
                          pads=[ph, pw, ph, pw])
        if isinstance(module, AvgPool2d):
            return g.node("AveragePool", [x], "avgpool", count_include_pad=1, **attributes)
        return g.node("MaxPool", [x], "maxpool", **attributes)
    for cls, op in ((ReLU, "Relu"), (Sigmoid, "Sigmoid"), (Tanh, "Tanh")):
        if isinstance(module, cls):
            return g.node(op, [x], op.lower())
    if isinstance(module, Softmax):  # LogSoftmax too (a subclass)
        op = "LogSoftmax" if isinstance(module, LogSoftmax) else "Softmax"
        dim = module.dim if module.dim is not None else (0 if len(out_shape) in (0, 1, 3) else 1)
        return g.node(op, [x], op.lower(), axis=dim)
    if isinstance(module, Flatten):
        if module.start_dim != 1 or module.end_dim not in (-1, len(out_shape)):
            raise UsageError(f"cannot export Flatten(start_dim={module.start_dim}, end_dim={module.end_dim}) "
                             "to ONNX; only start_dim=1 (all but the batch dim)")
        return g.node("Flatten", [x], "flatten", axis=1)
    if isinstance(module, (Dropout, Identity)):
        return x  # the identity in eval mode
    if isinstance(module, (BatchNorm1d, BatchNorm2d)):
        if module.running_mean is None:
            raise UsageError(f"cannot export {type(module).__name__} without running statistics "
                             "(track_running_stats=False) to ONNX")
        n = module.num_features
        scale = _host(module.weight) if module.weight is not None else np.ones(n, np.float32)
        bias = _host(module.bias) if module.bias is not None else np.zeros(n, np.float32)
        inputs = [x, g.constant("bn_scale", scale), g.constant("bn_bias", bias),
                  g.constant("bn_mean", _host(module.running_mean)), g.constant("bn_var", _host(module.running_var))]
        return g.node("BatchNormalization", inputs, "batchnorm", epsilon=float(module.eps))
    raise UsageError(f"cannot export a {type(module).__name__} layer to ONNX; nettrain exports Linear, "
                     "Conv2d, MaxPool2d, AvgPool2d, ReLU, Sigmoid, Tanh, Softmax, LogSoftmax, Flatten, "
                     "Dropout, Identity and BatchNorm1d/2d")


def _trace(model, sample_shape):
    """The layers that ran, [(module, input tensor, output tensor)], on random
    input (so that a reshape between layers can be told from a computation),
    with the input and the model's output."""
    calls = []

    def hook(module, args, output):
        calls.append((module, args[0], output))

    handles = [m.register_forward_hook(hook) for n, m in model.named_modules()
               if n and next(m.children(), None) is None]
    first = next(model.parameters(), None)
    sample = np.random.default_rng(0).standard_normal((2, *sample_shape)).astype(np.float32)
    x = from_numpy(sample).to(first.device if first is not None else "cpu")
    was_training = model.training
    try:
        model.eval()
        with no_grad():
            output = model(x)
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return calls, x, output


def _reshaped(g: _Graph, x: str, given, wanted) -> str:
    """``x`` reshaped between layers (as MLP's forward flattens images); the
    batch dim is kept. Anything but a pure reshape cannot be exported."""
    if given is wanted:
        return x
    same_values = (given.numel() == wanted.numel() and given.shape[0] == wanted.shape[0]
                   and np.array_equal(_host(given).ravel(), _host(wanted).ravel()))
    if not same_values:
        raise UsageError("cannot export this model to ONNX: its forward computes something between its "
                         f"layers (shape {tuple(given.shape)} became {tuple(wanted.shape)}); only a chain of "
                         "layers, with reshapes between them, can be exported")
    if tuple(given.shape) == tuple(wanted.shape):
        return x
    return g.node("Reshape", [x, g.constant("shape", np.array([-1, *wanted.shape[1:]], np.int64))], "reshape")


def onnx_model(model, input_shape, transforms=None, metadata: dict | None = None, name="nettrain"):
    """The ONNX ModelProto of ``model`` for samples of ``input_shape`` (before
    the data ``transforms``, a list of transform states as a checkpoint keeps
    them), batch dimension dynamic."""
    onnx = require("onnx", "exporting to ONNX")
    from onnx import TensorProto, helper, numpy_helper

    g = _Graph(helper, numpy_helper)
    x, model_shape = _transform_nodes(g, INPUT, transforms, tuple(input_shape))
    calls, previous, output = _trace(model, model_shape)
    if not calls:
        raise UsageError(f"cannot export {type(model).__name__} to ONNX: no layer ran in its forward")
    for module, given, result in calls:
        x = _reshaped(g, x, previous, given)
        x = _layer_nodes(g, module, x, tuple(result.shape))
        previous = result
    x = _reshaped(g, x, previous, output)
    g.nodes.append(helper.make_node("Identity", [x], [OUTPUT], name=OUTPUT))

    graph = helper.make_graph(
        g.nodes, name,
        [helper.make_tensor_value_info(INPUT, TensorProto.FLOAT, [BATCH, *input_shape])],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, [BATCH, *output.shape[1:]])],
        initializer=g.initializers,
    )
    proto = helper.make_model(graph, producer_name="nettrain", opset_imports=[helper.make_opsetid("", OPSET)])
    proto.ir_version = IR_VERSION
    described = {
        "nettrain.input": f"float32 {_shape_text(input_shape)} per sample, as the data set gives it before "
                          "transforms (images: pixels scaled to [0, 1]); the batch dimension N is dynamic",
        "nettrain.transforms": json.dumps(transforms or []) + " (included as the graph's first nodes)",
        "nettrain.output": "raw scores (logits), one per class" if len(output.shape) == 2 else "the model's output",
    }
    described.update({k: str(v) for k, v in (metadata or {}).items()})
    helper.set_model_props(proto, described)
    onnx.checker.check_model(proto, full_check=True)
    return proto


def _shape_text(shape) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ")"
