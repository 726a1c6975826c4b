"""nettrain: a teaching-grade-yet-real training toolkit on its own autograd engine.

The Python API follows PyTorch's names::

    import nettrain as nt
    x = nt.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    out = ((x + 2) * (x + 2) * 3).mean()
    out.backward()
    x.grad          # tensor([[4.5, 6.0], [7.5, 9.0]])
"""
__version__ = "0.1.0"

from . import backend  # noqa: E402
from .tensor import (  # noqa: E402
    Tensor, arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like, linspace, ones,
    ones_like, rand, rand_like, randint, randn, randn_like, randperm, tensor, zeros, zeros_like,
)
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled  # noqa: E402
from .backend import (  # noqa: E402
    Device as device, cuda_is_available, float16, float32, float64, int32, int64, uint8,
    get_rng_state, manual_seed, set_rng_state,
)
from .functions import (  # noqa: E402
    abs, argmax, argmin, cat, chunk, clamp, concatenate, dot, exp, flatten, log, log_softmax,
    logsumexp, matmul, max, maximum, mean, min, minimum, mm, mv, norm, permute, relu, reshape,
    sigmoid, softmax, split, sqrt, squeeze, stack, std, sum, tanh, transpose, unsqueeze, var, where,
)
from . import nn, optim  # noqa: E402
from . import utils  # noqa: E402
from .backend import Generator  # noqa: E402
from . import models  # noqa: E402
from .serialization import load, save  # noqa: E402

bool = backend.bool_  # noqa: A001 - PyTorch's name: nettrain.bool
long = int64
double = float64
half = float16
