"""Check cases for the layers, losses and models of ``nettrain.nn`` and
``nettrain.models``.

Each case builds the module in float64 on the device under test and checks
the gradient with respect to the input AND the module's parameters: the
Parameter objects themselves are passed as inputs, so the checker perturbs
them in place and ``fn`` simply calls the module.

Case names avoid the op names "conv2d" and "cross_entropy" so that
``nettrain gradcheck --only conv2d`` keeps selecting just the op cases.
"""
from __future__ import annotations

import numpy as np

from .. import backend, models, nn
from ..ops import elementwise as E
from ..ops import nn as N
from ..ops import reduce as R
from ..tensor import tensor
from . import case, leaf


def _module_case(name, covers, make_module, input_shape, params=None, train=True):
    """Register ``name``: gradients of ``module(x)`` w.r.t. x and ``params(module)``
    (default: all parameters)."""

    @case(name, covers=covers)
    def make(rng, device):
        # Parameters drawn from a seed the case's rng gives, so `--seed` picks
        # them; the global generator is left as it was.
        saved = backend.get_rng_state()
        backend.manual_seed(int(rng.integers(2**31)))
        module = make_module().to(device)
        backend.set_rng_state(saved)
        module.train(train)
        checked = list(module.parameters()) if params is None else params(module)
        x = leaf(rng.standard_normal(input_shape), device)
        shapes = f"x {input_shape}; " + ", ".join(str(tuple(p.shape)) for p in checked)
        return (lambda x, *_: module(x)), [x, *checked], shapes

    return make


F64 = backend.float64

_module_case("nn.Linear", [N.Linear], lambda: nn.Linear(5, 3, dtype=F64), (4, 5))
_module_case("nn.Linear (no bias, 3-D input)", [N.Linear], lambda: nn.Linear(4, 2, bias=False, dtype=F64), (2, 3, 4))
_module_case("nn.Conv2d (stride 2, padding 1)", [N.Conv2d],
             lambda: nn.Conv2d(2, 3, 3, stride=2, padding=1, dtype=F64), (2, 2, 5, 5))
_module_case("nn.LeakyReLU", [E.Where], lambda: nn.LeakyReLU(0.1), (3, 4))
_module_case("nn.MaxPool2d", [N.MaxPool2d], lambda: nn.MaxPool2d(2), (2, 2, 4, 4))
_module_case("nn.AvgPool2d (stride 1, padding 1)", [N.AvgPool2d], lambda: nn.AvgPool2d(3, stride=1, padding=1),
             (1, 2, 4, 4))
_module_case("nn.BatchNorm1d (train)", [R.Mean, R.Var, E.Sqrt], lambda: nn.BatchNorm1d(3, dtype=F64), (6, 3))
_module_case("nn.BatchNorm1d (eval)", [R.Mean], lambda: nn.BatchNorm1d(3, dtype=F64), (6, 3), train=False)
_module_case("nn.BatchNorm2d (train)", [R.Mean, R.Var, E.Sqrt], lambda: nn.BatchNorm2d(2, dtype=F64),
             (3, 2, 3, 3))
_module_case("nn.Sequential (Linear, Tanh, Linear, Sigmoid, Softmax)", [E.Tanh, E.Sigmoid, N.Softmax],
             lambda: nn.Sequential(nn.Linear(4, 5, dtype=F64), nn.Tanh(), nn.Linear(5, 3, dtype=F64),
                                   nn.Sigmoid(), nn.Softmax(dim=1)), (3, 4))
_module_case("nn.Flatten + nn.LogSoftmax + nn.ReLU", [N.LogSoftmax, E.Relu],
             lambda: nn.Sequential(nn.Flatten(), nn.ReLU(), nn.LogSoftmax(dim=1)), (2, 2, 3))
_module_case("models.MLP (relu, 2 hidden)", [N.Linear, E.Relu],
             lambda: models.MLP(6, [5, 4], 3).double(), (3, 6))
_module_case("models.MLP (tanh, 3-D input flattened)", [N.Linear, E.Tanh],
             lambda: models.MLP(8, [4], 2, activation="tanh").double(), (2, 2, 4))
# LeNet at its real 28x28 input: the input, both conv layers, the last linear
# layer and every bias. The two large linear weights (41,000 numbers) would
# cost ~80,000 forward passes; they are the Linear op checked above.
_module_case("models.LeNet (28x28; all but 2 large weights)", [N.Conv2d, N.MaxPool2d, N.Linear],
             lambda: models.LeNet().double(), (1, 1, 28, 28),
             params=lambda m: [p for n, p in m.named_parameters()
                               if n not in ("classifier.0.weight", "classifier.2.weight")])
_module_case("models.LeNet (avg pool, tanh, 32x32; last layers)", [N.AvgPool2d, E.Tanh],
             lambda: models.LeNet(activation="tanh", pool="avg", input_size=32).double(), (1, 1, 32, 32),
             params=lambda m: [m.classifier[4].weight, m.classifier[4].bias, m.features[3].bias])


@case("nn.Dropout (fixed mask)", covers=[E.Mul])
def _dropout(rng, device):
    drop = nn.Dropout(0.4)
    state = backend.get_rng_state()

    def fn(x):
        # Every forward pass draws the same mask: restore the generator first.
        backend.set_rng_state(state)
        return drop(x)

    return fn, [leaf(rng.standard_normal((4, 5)), device)], "x (4, 5), p=0.4"


def _loss_case(name, covers, loss, make_target, input_shape, target_grad=False):
    @case(name, covers=covers)
    def make(rng, device):
        x = leaf(rng.standard_normal(input_shape), device)
        target = make_target(rng, device)
        inputs = [x, target] if target_grad else [x]
        fn = (lambda x, t: loss(x, t)) if target_grad else (lambda x: loss(x, target))
        return fn, inputs, f"input {input_shape}, target {tuple(target.shape)}"

    return make


def _classes(rng, device, n=5, c=4):
    return tensor(rng.integers(0, c, n), device=device)


_loss_case("nn.MSELoss", [N.MseLoss], nn.MSELoss(), lambda r, d: leaf(r.standard_normal((3, 2)), d), (3, 2),
           target_grad=True)
_loss_case("nn.L1Loss (sum)", [E.Abs, R.Sum], nn.L1Loss(reduction="sum"),
           lambda r, d: leaf(r.standard_normal((3, 2)), d), (3, 2), target_grad=True)
_loss_case("nn.CrossEntropyLoss (label smoothing)", [N.CrossEntropy], nn.CrossEntropyLoss(label_smoothing=0.1),
           _classes, (5, 4))
_loss_case("nn.CrossEntropyLoss (reduction none)", [N.CrossEntropy], nn.CrossEntropyLoss(reduction="none"),
           _classes, (5, 4))
_loss_case("nn.NLLLoss (after LogSoftmax)", [N.NLLLoss, N.LogSoftmax],
           lambda x, t: nn.NLLLoss()(nn.LogSoftmax(dim=1)(x), t), _classes, (5, 4))
_loss_case("nn.BCELoss (after a sigmoid)", [E.Sigmoid, N.BinaryCrossEntropy], lambda x, t: nn.BCELoss()(x.sigmoid(), t),
           lambda r, d: leaf((r.random((4, 1)) > 0.5).astype(np.float64), d, requires_grad=False), (4, 1))
_loss_case("nn.BCEWithLogitsLoss", [N.BCEWithLogits], nn.BCEWithLogitsLoss(),
           lambda r, d: leaf((r.random((4, 1)) > 0.5).astype(np.float64), d, requires_grad=False), (4, 1))
