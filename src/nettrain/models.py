"""The ready-made models: ``MLP`` and ``LeNet``, built from ``nettrain.nn``.

``build_model("lenet", num_classes=10)`` makes one by name (what the config
file's ``model.name`` selects); ``MODELS`` lists the names.
"""
from __future__ import annotations

from . import nn

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}
POOLS = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}


def _choice(table, value, what):
    try:
        return table[value]
    except (KeyError, TypeError):
        raise ValueError(f"unknown {what} {value!r}; expected one of {', '.join(sorted(table))}") from None


class MLP(nn.Module):
    """A multi-layer perceptron: ``Linear -> activation [-> Dropout]`` per
    hidden size, then a last ``Linear`` to ``out_features`` (raw scores).

    Input with more than 2 dims (images (N, 1, 28, 28)) is flattened to
    (N, in_features) first. State-dict keys: ``layers.0.weight``, ...
    """

    def __init__(self, in_features, hidden=(128,), out_features=10, activation="relu", dropout=0.0):
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


class LeNet(nn.Module):
    """LeNet-5 as in the PyTorch tutorials: conv 1->6 5x5, pool 2, conv 6->16
    5x5, pool 2, then linear 256->120->84->num_classes (400->... for 32x32
    input). 44,426 parameters for MNIST.

    State-dict keys: ``features.{0,3}.{weight,bias}`` and
    ``classifier.{0,2,4}.{weight,bias}``.
    """

    def __init__(self, in_channels=1, num_classes=10, activation="relu", pool="max", input_size=28):
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
        )

    def forward(self, x):
        if x.ndim != 4 or x.shape[2] != self.input_size or x.shape[3] != self.input_size:
            raise ValueError(
                f"LeNet(input_size={self.input_size}) expects images (N, C, {self.input_size}, "
                f"{self.input_size}), got shape {x.shape}; build it with input_size matching the data"
            )
        return self.classifier(self.flatten(self.features(x)))


MODELS = {"mlp": MLP, "lenet": LeNet}


def build_model(name, **kwargs):
    """A model by name (``"mlp"`` or ``"lenet"``) with its keyword arguments."""
    return _choice(MODELS, name, "model")(**kwargs)
