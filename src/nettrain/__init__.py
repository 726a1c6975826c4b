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
from .dtypes import (  # noqa: E402
    dtype, float16, float32, float64, get_default_dtype, int8, int16, int32, int64,
    set_default_dtype, uint8,
)
from .dtypes import bool_ as bool  # noqa: E402,A001 - PyTorch's name: nettrain.bool
from .size import Size  # noqa: E402
from .tensor import (  # noqa: E402
    Tensor, arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like, linspace, ones,
    ones_like, rand, rand_like, randint, randn, randn_like, randperm, tensor, zeros, zeros_like,
)
from ._tensor_str import set_printoptions  # noqa: E402
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled  # noqa: E402
from .backend import (  # noqa: E402
    Device as device, cuda_is_available, get_rng_state, manual_seed, set_rng_state,
)
from . import cuda  # noqa: E402
from .functions import (  # noqa: E402
    abs, absolute, add, allclose, argmax, argmin, bmm, cat, chunk, clamp, clip, concat, concatenate,
    cos, cumprod, cumsum, div, divide, dot, equal, exp, flatten, is_floating_point, is_tensor, isclose, log, log_softmax,
    logsumexp, matmul, max, maximum, mean, min, minimum, mm, mul, multiply, mv, neg, negative,
    norm, normal, numel, permute, pow, prod, relu, reshape, sigmoid, sin, softmax, split, sqrt, squeeze,
    stack, std, sub, subtract, sum, swapaxes, t, tan, tanh, transpose, true_divide, unsqueeze, var, where,
)
from . import nn, optim  # noqa: E402
from . import utils  # noqa: E402
from .backend import Generator  # noqa: E402
from . import models  # noqa: E402
from .serialization import load, save  # noqa: E402
from .model_summary import summary  # noqa: E402
from .interop.safetensors_file import load_safetensors  # noqa: E402

# PyTorch's other names for the same dtype objects (nettrain.float is nettrain.float32)
float = float32  # noqa: A001

def train(config, *, resume=None, report=None):
    """Train what a config describes, as ``nettrain train`` does; returns a
    ``TrainResult`` (``.run``, ``.final``, ``.records``). ``config``: a path to
    a YAML file, a mapping, or a ``nettrain.config.Config``. See
    ``nettrain.trainer.session`` (imported on first call: the training stack
    is not loaded by ``import nettrain``)."""
    from .trainer.session import train as train_session

    return train_session(config, resume=resume, report=report)

double = float64
half = float16
short = int16
int = int32  # noqa: A001
long = int64

# the legacy tensor types: nettrain.FloatTensor([1, 2]), t.type(nettrain.LongTensor)
from .dtypes import LEGACY_TYPES as _LEGACY_TYPES  # noqa: E402

FloatTensor = _LEGACY_TYPES["FloatTensor"]
DoubleTensor = _LEGACY_TYPES["DoubleTensor"]
HalfTensor = _LEGACY_TYPES["HalfTensor"]
LongTensor = _LEGACY_TYPES["LongTensor"]
IntTensor = _LEGACY_TYPES["IntTensor"]
ShortTensor = _LEGACY_TYPES["ShortTensor"]
CharTensor = _LEGACY_TYPES["CharTensor"]
ByteTensor = _LEGACY_TYPES["ByteTensor"]
BoolTensor = _LEGACY_TYPES["BoolTensor"]
