"""The differentiable operations, one ``Function`` subclass each:

- ``elementwise``: + - * / ** and unary math (exp, log, tanh, relu ...)
- ``linalg``: matrix products
- ``reduce``: sum, mean, max/min, var, logsumexp, norm
- ``shape``: reshape, permute, expand, indexing, cat, stack
- ``nn``: linear, conv2d, pooling, softmax, fused losses
"""
# The engine loads from autograd (which loads tensor, which loads the ops at
# its end); entering here first, as ``import nettrain.nn`` does now that the
# nettrain package imports nothing up front, would find autograd half-loaded.
from .. import autograd  # noqa: F401,E402
from . import elementwise, linalg, nn, reduce, shape  # noqa: F401,E402
