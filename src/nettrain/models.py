"""The ready-made models: ``MLP`` and ``LeNet``, built from ``nettrain.nn``.

Each registers under the name a config's ``model.name`` picks; its annotated
constructor parameters are that model's config keys (``nettrain.registry``).
``build_model("lenet", num_classes=10)`` makes one by name.
"""
from __future__ import annotations

from typing import Annotated

from . import nn
from .config.checks import Integer, ListOf, Number, OneOf
from .registry import FROM_DATA, entries, register

ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}
POOLS = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}


def _choice(table, value, what):
    try:
        return table[value]
    except (KeyError, TypeError):
        raise ValueError(f"unknown {what} {value!r}; expected one of {', '.join(sorted(table))}") from None


ACTIVATION = OneOf(ACTIVATIONS)


def mlp_data_sizes(input_shape: tuple, outputs: int) -> dict:
    """The MLP's sizes for samples of ``input_shape`` (flattened) and ``outputs`` numbers out."""
    size = 1
    for n in input_shape:
        size *= int(n)
    return {"in_features": size, "out_features": outputs}


@register("model", "mlp", "a multi-layer perceptron: Linear + activation per hidden width, then Linear",
          data_sizes=mlp_data_sizes)
class MLP(nn.Module):
    """A multi-layer perceptron: ``Linear -> activation [-> Dropout]`` per
    hidden size, then a last ``Linear`` to ``out_features`` (raw scores;
    log-probabilities with ``log_softmax=True``, for ``NLLLoss``).

    Input with more than 2 dims (images (N, 1, 28, 28)) is flattened to
    (N, in_features) first. State-dict keys: ``layers.0.weight``, ...
    """

    def __init__(
        self,
        in_features: Annotated[int, Integer(ge=1), "input size", FROM_DATA],
        hidden: Annotated[list, ListOf(Integer(ge=1)), "widths of the hidden layers ([] makes a linear model)"] = (256,),
        out_features: Annotated[int, Integer(ge=1), "number of outputs", FROM_DATA] = 10,
        activation: Annotated[str, ACTIVATION, "nonlinearity after each hidden layer"] = "relu",
        dropout: Annotated[float, Number(ge=0, lt=1), "dropout probability after each hidden activation"] = 0.0,
        log_softmax: bool = False,
    ):
        super().__init__()
        hidden = [hidden] if isinstance(hidden, int) else list(hidden)
        act = _choice(ACTIVATIONS, activation, "activation")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        layers, width = [], in_features
        for size in hidden:
            layers += [nn.Linear(width, size), act()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = size
        layers.append(nn.Linear(width, out_features))
        if log_softmax:
            layers.append(nn.LogSoftmax(dim=1))
        self.in_features, self.out_features = in_features, out_features
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        if x.ndim > 2:
            x = x.reshape(x.shape[0], -1)
        return self.layers(x)


def lenet_flat_features(input_size):
    """Numbers left after LeNet's two conv(5x5) + pool(2) stages: 16 * 4 * 4
    = 256 for 28x28 input (MNIST), 16 * 5 * 5 = 400 for 32x32 (the original)."""
    side = ((input_size - 4) // 2 - 4) // 2
    if side < 1:
        raise ValueError(f"LeNet needs input images of at least 16x16 pixels, got input_size={input_size}")
    return 16 * side * side


def lenet_data_sizes(input_shape: tuple, outputs: int) -> dict:
    """LeNet's sizes for (C, H, W) images of 28x28 or 32x32; ValueError for other shapes."""
    shape = tuple(input_shape)
    if len(shape) != 3:
        raise ValueError(f"lenet needs image data (C, H, W), but the samples have shape {shape}; "
                         "use model mlp (or drop the flatten transform)")
    if shape[1:] not in ((28, 28), (32, 32)):
        raise ValueError(f"lenet takes 28x28 or 32x32 images, got {shape[1:]}")
    return {"in_channels": shape[0], "num_classes": outputs, "input_size": shape[1]}


@register("model", "lenet", "LeNet-5: two 5x5 convolutions with pooling, then three Linear layers",
          data_sizes=lenet_data_sizes)
class LeNet(nn.Module):
    """LeNet-5 as in the PyTorch tutorials: conv 1->6 5x5, pool 2, conv 6->16
    5x5, pool 2, then linear 256->120->84->num_classes (400->... for 32x32
    input). 44,426 parameters for MNIST.

    State-dict keys: ``features.{0,3}.{weight,bias}`` and
    ``classifier.{0,2,4}.{weight,bias}``. ``log_softmax=True`` ends it in
    ``LogSoftmax`` (log-probabilities, for ``NLLLoss``).
    """

    def __init__(
        self,
        in_channels: Annotated[int, Integer(ge=1), "image channels", FROM_DATA] = 1,
        num_classes: Annotated[int, Integer(ge=1), "number of classes", FROM_DATA] = 10,
        activation: Annotated[str, ACTIVATION, "nonlinearity after each convolution and hidden layer"] = "relu",
        pool: Annotated[str, OneOf(tuple(POOLS)), "pooling after each convolution"] = "max",
        input_size: int = 28,
        log_softmax: bool = False,
    ):
        super().__init__()
        act = _choice(ACTIVATIONS, activation, "activation")
        pooling = _choice(POOLS, pool, "pool")
        self.input_size = input_size
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5), act(), pooling(2),
            nn.Conv2d(6, 16, 5), act(), pooling(2),
        )
        self.flatten = nn.Flatten()
        self.classifier = nn.Sequential(
            nn.Linear(lenet_flat_features(input_size), 120), act(),
            nn.Linear(120, 84), act(),
            nn.Linear(84, num_classes),
            *([nn.LogSoftmax(dim=1)] if log_softmax else []),
        )

    def forward(self, x):
        if x.ndim != 4 or x.shape[2] != self.input_size or x.shape[3] != self.input_size:
            raise ValueError(
                f"LeNet(input_size={self.input_size}) expects images (N, C, {self.input_size}, "
                f"{self.input_size}), got shape {tuple(x.shape)}; build it with input_size matching the data"
            )
        return self.classifier(self.flatten(self.features(x)))


def build_model(name, **kwargs):
    """A registered model by name (``"mlp"``, ``"lenet"``) with its keyword arguments."""
    return _choice({n: e.target for n, e in entries("model").items()}, name, "model")(**kwargs)
