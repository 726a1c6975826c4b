"""``nettrain.nn``: layers, losses, initialisation and the functional interface,
by PyTorch's names."""
from . import functional  # noqa: F401
from . import init, utils  # noqa: F401
from .containers import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential  # noqa: F401
from .layers import (  # noqa: F401
    AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, Dropout, Flatten, Identity, LeakyReLU, Linear, LogSoftmax,
    MaxPool2d, ReLU, Sigmoid, Softmax, Tanh,
)
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss  # noqa: F401
from .module import Module, Parameter, StateDictError  # noqa: F401
