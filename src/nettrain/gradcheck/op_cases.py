"""Check cases for every differentiable op in ``nettrain.ops``.

Each case returns ``(fn, inputs, shapes)``: small random float64 inputs,
including broadcasting where the op allows it."""
from __future__ import annotations

import math
import warnings

import numpy as np

from .. import backend
from ..autograd import CustomNode, Function
from ..functions import cat, stack, where
from ..nn import functional as F
from ..ops import elementwise as E
from ..ops import linalg as L
from ..ops import nn as N
from ..ops import reduce as R
from ..ops import shape as S
from ..tensor import Tensor, tensor
from . import case, leaf


def _normal(rng, *shape):
    return rng.standard_normal(shape)


def _positive(rng, *shape):
    return rng.uniform(0.5, 2.0, shape)


def _binary(name, covers, op, shape_a=(3, 4), shape_b=(4,), positive_b=False):
    @case(name, covers=covers)
    def make(rng, device):
        b = _positive(rng, *shape_b) if positive_b else _normal(rng, *shape_b)
        return op, [leaf(_normal(rng, *shape_a), device), leaf(b, device)], f"{shape_a} , {shape_b}"


_binary("add (broadcast)", [E.Add], lambda a, b: a + b)
_binary("sub (broadcast)", [E.Sub], lambda a, b: a - b, (2, 1, 3), (4, 3))
_binary("mul (broadcast)", [E.Mul], lambda a, b: a * b, (3, 1), (1, 5))
_binary("div (broadcast)", [E.Div], lambda a, b: a / b, (3, 4), (4,), positive_b=True)
_binary("maximum", [E.Maximum], lambda a, b: a.maximum(b))
_binary("minimum", [E.Minimum], lambda a, b: a.minimum(b))
_binary("matmul 2d", [L.MatMul], lambda a, b: a @ b, (3, 4), (4, 2))
_binary("matmul batched (broadcast)", [L.MatMul], lambda a, b: a @ b, (2, 3, 4), (4, 5))
_binary("matmul vector-matrix", [L.MatMul], lambda a, b: a @ b, (4,), (4, 3))
_binary("matmul matrix-vector", [L.MatMul], lambda a, b: a @ b, (3, 4), (4,))
_binary("dot", [L.MatMul], lambda a, b: a.dot(b), (5,), (5,))


@case("pow tensor ** tensor", covers=[E.Pow])
def _pow(rng, device):
    return (lambda a, b: a ** b), [leaf(_positive(rng, 3, 4), device), leaf(_normal(rng, 4), device)], "(3, 4) ** (4,)"


@case("pow tensor ** scalar", covers=[E.PowScalar])
def _pow_scalar(rng, device):
    return (lambda a: a ** 3 + a ** 2 + a ** -1.5), [leaf(_positive(rng, 3, 4), device)], "(3, 4) ** {3, 2, -1.5}"


def _unary(name, covers, op, shape=(3, 4), positive=False):
    @case(name, covers=covers)
    def make(rng, device):
        x = _positive(rng, *shape) if positive else _normal(rng, *shape)
        return op, [leaf(x, device)], str(shape)


_unary("neg", [E.Neg], lambda x: -x)
_unary("exp", [E.Exp], lambda x: x.exp())
_unary("log", [E.Log], lambda x: x.log(), positive=True)
_unary("sqrt", [E.Sqrt], lambda x: x.sqrt(), positive=True)
_unary("abs", [E.Abs], lambda x: abs(x))
_unary("sin", [E.Sin], lambda x: x.sin())
_unary("cos", [E.Cos], lambda x: x.cos())
_unary("tan", [E.Tan], lambda x: (x * 0.3).tan())
_unary("prod all", [R.Prod], lambda x: x.prod(), (2, 3))
_unary("prod dim", [R.Prod], lambda x: x.prod(dim=1), (2, 3, 4))
_unary("prod dims keepdim", [R.Prod], lambda x: x.prod(dim=(0, 2), keepdim=True), (2, 3, 4))
_unary("cumsum", [R.CumSum], lambda x: x.cumsum(dim=1) * x, (3, 4))
_unary("cumprod", [R.CumProd], lambda x: x.cumprod(dim=0) * x, (4, 3))
_unary("tanh", [E.Tanh], lambda x: x.tanh())
_unary("sigmoid", [E.Sigmoid], lambda x: x.sigmoid())
_unary("relu", [E.Relu], lambda x: x.relu())
_unary("clamp", [E.Clamp], lambda x: x.clamp(-0.5, 0.7))
_unary("clone", [E.Clone], lambda x: x.clone() * 2)
_unary("cast (float64 -> float64 node)", [E.Cast], lambda x: E.Cast.apply(x, dtype=backend.float64) * 3)
_unary("copy (device round trip)", [E.Copy], lambda x: E.Copy.apply(x, device=backend.CPU).to(x.device) * 3)
_unary("sum all", [R.Sum], lambda x: x.sum())
_unary("sum dim keepdim", [R.Sum], lambda x: x.sum(dim=(0, 2), keepdim=True), (2, 3, 4))
_unary("mean dim", [R.Mean], lambda x: x.mean(dim=-1), (2, 3, 4))
_unary("max all", [R.Max], lambda x: x.max())
_unary("max dim", [R.Max], lambda x: x.max(dim=1).values, (2, 3, 4))
_unary("min dim keepdim", [R.Min], lambda x: x.min(dim=0, keepdim=True).values)
_unary("var dim", [R.Var], lambda x: x.var(dim=1), (3, 5))
_unary("var biased all", [R.Var], lambda x: x.var(unbiased=False))
_unary("std (var + sqrt)", [R.Var, E.Sqrt], lambda x: x.std(dim=0))
_unary("logsumexp", [R.LogSumExp], lambda x: x.logsumexp(dim=1), (3, 5))
_unary("norm p=2", [R.Norm], lambda x: x.norm())
_unary("norm p=1 dim", [R.Norm], lambda x: x.norm(p=1, dim=1))
_unary("norm p=3", [R.Norm], lambda x: x.norm(p=3, dim=0))
_unary("norm p=inf", [R.Norm], lambda x: x.norm(p=math.inf, dim=1))
_unary("reshape / view / flatten", [S.Reshape], lambda x: x.reshape(4, 3).view(2, 6).flatten() * 2, (3, 4))
_unary("permute / transpose / T", [S.Permute], lambda x: x.permute(2, 0, 1).transpose(0, 1).T * 2, (2, 3, 4))
_unary("expand", [S.Expand], lambda x: x.expand(2, 3, 4) * 2, (3, 1))
_unary("getitem slices, steps, negatives", [S.GetItem], lambda x: x[1:, ::-2][-1] * 2, (4, 5))
_unary("getitem repeated indices", [S.GetItem], lambda x: x[[0, 2, 0, 0]] * 2, (3, 4))
_unary("split / chunk", [S.GetItem], lambda x: x.chunk(2, dim=1)[1] * x.split([1, 3], dim=1)[0], (3, 4))
_unary("softmax", [N.Softmax], lambda x: x.softmax(dim=1) * x, (3, 5))
_unary("log_softmax", [N.LogSoftmax], lambda x: x.log_softmax(dim=-1), (3, 5))


@case("getitem boolean mask", covers=[S.GetItem])
def _mask(rng, device):
    mask = tensor(rng.standard_normal((4, 5)) > 0, device=device)
    return (lambda x: x[mask] * 2), [leaf(_normal(rng, 4, 5), device)], "(4, 5)[mask]"


@case("where", covers=[E.Where])
def _where(rng, device):
    cond = tensor(rng.standard_normal((3, 4)) > 0, device=device)
    return (lambda a, b: where(cond, a, b)), [leaf(_normal(rng, 3, 4), device), leaf(_normal(rng, 4), device)], "(3, 4), (4,)"


@case("fill_ / zero_ / copy_ on graph tensors", covers=[E.Fill])
def _fill(rng, device):
    def fn(x, src, value):
        a = x * 2
        a.copy_(src)  # (4,) broadcast into (3, 4)
        b = x * 3
        b.fill_(value)  # a 0-d tensor
        c = x * 1
        c.zero_()
        return a * x + b * x + c + x

    return fn, [leaf(_normal(rng, 3, 4), device), leaf(_normal(rng, 4), device), leaf(_normal(rng), device)], "(3, 4) <- (4,), ()"


class _CubePlusProduct(Function):
    """A custom function in PyTorch's protocol: scale * x**3 + x * y."""

    @staticmethod
    def forward(ctx, x, y, scale):
        ctx.save_for_backward(x, y)
        ctx.scale = scale
        return x ** 3 * scale + x * y

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        dx = grad_output * (x ** 2 * (3 * ctx.scale) + y) if ctx.needs_input_grad[0] else None
        dy = grad_output * x if ctx.needs_input_grad[1] else None
        return dx, dy, None


@case("custom Function (PyTorch protocol)", covers=[CustomNode])
def _custom(rng, device):
    return (lambda x, y: _CubePlusProduct.apply(x, y, 0.5)), [leaf(_normal(rng, 3, 4), device), leaf(_normal(rng, 4), device)], "(3, 4), (4,)"


@case("cat", covers=[S.Cat])
def _cat(rng, device):
    return (lambda a, b: cat([a, b, a], dim=1)), [leaf(_normal(rng, 2, 3), device), leaf(_normal(rng, 2, 1), device)], "(2, 3) | (2, 1)"


@case("stack", covers=[S.Stack])
def _stack(rng, device):
    return (lambda a, b: stack([a, b], dim=1)), [leaf(_normal(rng, 2, 3), device), leaf(_normal(rng, 2, 3), device)], "2 x (2, 3)"


@case("linear", covers=[N.Linear])
def _linear(rng, device):
    return F.linear, [leaf(_normal(rng, 4, 3), device), leaf(_normal(rng, 2, 3), device), leaf(_normal(rng, 2), device)], "x (4, 3), W (2, 3), b (2,)"


@case("conv2d stride 2 padding 1", covers=[N.Conv2d])
def _conv(rng, device):
    fn = lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1)  # noqa: E731
    return fn, [leaf(_normal(rng, 2, 2, 5, 5), device), leaf(_normal(rng, 3, 2, 3, 3), device), leaf(_normal(rng, 3), device)], "x (2, 2, 5, 5), W (3, 2, 3, 3)"


@case("conv2d 4 channels padding 1", covers=[N.Conv2d])
def _conv_offsets(rng, device):
    # 4 input channels: enough for the input gradient to be made one kernel offset at a time
    fn = lambda x, w: F.conv2d(x, w, padding=1)  # noqa: E731
    return fn, [leaf(_normal(rng, 2, 4, 5, 5), device), leaf(_normal(rng, 3, 4, 3, 3), device)], "x (2, 4, 5, 5), W (3, 4, 3, 3)"


@case("conv2d no bias", covers=[N.Conv2d])
def _conv_nobias(rng, device):
    return F.conv2d, [leaf(_normal(rng, 1, 1, 6, 6), device), leaf(_normal(rng, 2, 1, 3, 3), device)], "x (1, 1, 6, 6), W (2, 1, 3, 3)"


@case("max_pool2d 2x2", covers=[N.MaxPool2d])
def _maxpool(rng, device):
    return (lambda x: F.max_pool2d(x, 2)), [leaf(_normal(rng, 2, 2, 4, 6), device)], "(2, 2, 4, 6), k=2"


@case("max_pool2d k3 s2 p1", covers=[N.MaxPool2d])
def _maxpool_overlap(rng, device):
    return (lambda x: F.max_pool2d(x, 3, stride=2, padding=1)), [leaf(_normal(rng, 1, 2, 5, 5), device)], "(1, 2, 5, 5), k=3 s=2 p=1"


@case("avg_pool2d 2x2", covers=[N.AvgPool2d])
def _avgpool(rng, device):
    return (lambda x: F.avg_pool2d(x, 2)), [leaf(_normal(rng, 2, 2, 4, 4), device)], "(2, 2, 4, 4), k=2"


@case("avg_pool2d k3 s1 p1", covers=[N.AvgPool2d])
def _avgpool_overlap(rng, device):
    return (lambda x: F.avg_pool2d(x, 3, stride=1, padding=1)), [leaf(_normal(rng, 1, 1, 4, 4), device)], "(1, 1, 4, 4), k=3 s=1 p=1"


def _targets(rng, n, classes, device):
    return tensor(rng.integers(0, classes, n), device=device)


@case("cross_entropy (mean, label smoothing)", covers=[N.CrossEntropy])
def _ce(rng, device):
    y = _targets(rng, 4, 5, device)
    return (lambda x: F.cross_entropy(x, y, label_smoothing=0.1)), [leaf(_normal(rng, 4, 5), device)], "(4, 5)"


@case("cross_entropy (none)", covers=[N.CrossEntropy])
def _ce_none(rng, device):
    y = _targets(rng, 4, 5, device)
    return (lambda x: F.cross_entropy(x, y, reduction="none")), [leaf(_normal(rng, 4, 5), device)], "(4, 5)"


@case("nll_loss", covers=[N.NLLLoss])
def _nll(rng, device):
    y = _targets(rng, 4, 5, device)
    return (lambda x: F.nll_loss(x.log_softmax(1), y, reduction="sum")), [leaf(_normal(rng, 4, 5), device)], "(4, 5)"


@case("bce_with_logits", covers=[N.BCEWithLogits])
def _bce(rng, device):
    return F.binary_cross_entropy_with_logits, [leaf(_normal(rng, 6, 1) * 3, device), leaf(rng.uniform(0, 1, (6, 1)), device)], "(6, 1)"


def _each_reduction(loss, rng, shape, device):
    """mean + sum + a weighted sum of 'none' (random weights, fixed per case):
    every reduction's gradient in one case."""
    weights = tensor(rng.uniform(0.5, 1.5, shape), device=device)

    def fn(*inputs):
        return loss(*inputs) + loss(*inputs, reduction="sum") + (loss(*inputs, reduction="none") * weights).sum()

    return fn


@case("mse_loss (mean, sum, none)", covers=[N.MseLoss])
def _mse(rng, device):
    return _each_reduction(F.mse_loss, rng, (5, 2), device), [leaf(_normal(rng, 5, 2), device), leaf(_normal(rng, 5, 2), device)], "(5, 2)"


@case("mse_loss (target broadcast, float32 target promoted)", covers=[N.MseLoss, S.Expand, E.Cast])
def _mse_broadcast(rng, device):
    y = tensor(_normal(rng, 5), dtype=backend.float32, device=device)

    def fn(x):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the broadcast is the point here
            return F.mse_loss(x, y)

    return fn, [leaf(_normal(rng, 5, 1), device)], "(5, 1) , (5,)"


@case("l1_loss (mean, sum, none)", covers=[E.Sub, E.Abs])
def _l1(rng, device):
    return _each_reduction(F.l1_loss, rng, (5, 2), device), [leaf(_normal(rng, 5, 2), device), leaf(_normal(rng, 5, 2), device)], "(5, 2)"


@case("cross_entropy (mean, sum, none; label smoothing)", covers=[N.CrossEntropy])
def _ce_each_reduction(rng, device):
    y = _targets(rng, 4, 5, device)
    smoothed = lambda x, reduction="mean": F.cross_entropy(x, y, reduction=reduction, label_smoothing=0.2)  # noqa: E731
    return _each_reduction(smoothed, rng, (4,), device), [leaf(_normal(rng, 4, 5), device)], "(4, 5)"


@case("binary_cross_entropy (mean, sum, none; input and target)", covers=[N.BinaryCrossEntropy])
def _bce_probabilities(rng, device):
    return _each_reduction(F.binary_cross_entropy, rng, (4, 3), device), [leaf(rng.uniform(0.05, 0.95, (4, 3)), device), leaf(rng.uniform(0, 1, (4, 3)), device)], "(4, 3)"


@case("binary_cross_entropy (weight broadcast)", covers=[N.BinaryCrossEntropy])
def _bce_weighted(rng, device):
    t = leaf(rng.uniform(0, 1, (4, 3)), device, requires_grad=False)
    w = leaf(rng.uniform(0.5, 2.0, (3,)), device, requires_grad=False)
    return (lambda p: F.binary_cross_entropy(p, t, weight=w)), [leaf(rng.uniform(0.05, 0.95, (4, 3)), device)], "(4, 3), weight (3,)"


@case("dropout (fixed mask)", covers=[E.Mul])
def _dropout(rng, device):
    def fn(x):
        backend.manual_seed(7)  # the same mask at every evaluation
        return F.dropout(x, 0.3, training=True)

    return fn, [leaf(_normal(rng, 4, 5), device)], "(4, 5), p=0.3"


del np
