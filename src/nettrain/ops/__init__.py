"""The differentiable operations, one ``Function`` subclass each:

- ``elementwise``: + - * / ** and unary math (exp, log, tanh, relu ...)
- ``linalg``: matrix products
- ``reduce``: sum, mean, max/min, var, logsumexp, norm
- ``shape``: reshape, permute, expand, indexing, cat, stack
- ``nn``: linear, conv2d, pooling, softmax, fused losses
"""
from . import elementwise, linalg, nn, reduce, shape  # noqa: F401
