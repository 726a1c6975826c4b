"""nettrain: a teaching-grade-yet-real training toolkit on its own autograd engine.

The Python API follows PyTorch's names::

    import nettrain as nt
    x = nt.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    out = ((x + 2) * (x + 2) * 3).mean()
    out.backward()
    x.grad          # tensor([[4.5, 6.0], [7.5, 9.0]])
"""
__version__ = "0.1.0"

import importlib
import sys
import types

# Where each public name lives. A name is imported on first use (PEP 562), so
# that `import nettrain` (and `nettrain --help`) costs no NumPy and no engine
# until something is used; `nt.tensor(...)` works as if imported here.
# "public=attribute" names the attribute under another name.
_EXPORTS = {
    ".dtypes": """dtype float16 float32 float64 get_default_dtype int8 int16 int32 int64 set_default_dtype
                  uint8 bool=bool_ float=float32 double=float64 half=float16 short=int16 int=int32
                  long=int64""",
    ".size": "Size",
    ".tensor": """Tensor arange as_tensor empty empty_like eye from_numpy full full_like linspace ones ones_like
                  rand rand_like randint randn randn_like randperm tensor zeros zeros_like""",
    "._tensor_str": "set_printoptions",
    ".autograd": "enable_grad inference_mode is_grad_enabled no_grad set_grad_enabled",
    ".backend": "device=Device cuda_is_available get_rng_state manual_seed set_rng_state Generator",
    ".functions": """abs absolute add allclose argmax argmin bmm cat chunk clamp clip concat concatenate cos
                     cumprod cumsum div divide dot equal exp flatten is_floating_point is_tensor isclose log
                     log_softmax logsumexp matmul max maximum mean min minimum mm mul multiply mv neg negative
                     norm normal numel permute pow prod relu reshape sigmoid sin softmax split sqrt squeeze
                     stack std sub subtract sum swapaxes t tan tanh transpose true_divide unsqueeze var where""",
    ".serialization": "load save",
    ".model_summary": "summary",
    ".interop.safetensors_file": "load_safetensors",
}
# the legacy tensor types: nettrain.FloatTensor([1, 2]), t.type(nettrain.LongTensor)
_LEGACY_TYPES = ("FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor",
                 "CharTensor", "ByteTensor", "BoolTensor")
# The submodules `import nettrain` used to load: `nt.autograd.grad`, `nt.nn` ... stay reachable.
_SUBMODULES = ("autograd", "backend", "blas", "bounded_yaml", "config", "cuda", "dtypes", "errors", "functions",
               "models", "nn", "ops", "optim", "registry", "serialization", "size", "utils")

_WHERE = {}
for _module, _names in _EXPORTS.items():
    for _name in _names.split():
        _public, _, _attribute = _name.partition("=")
        _WHERE[_public] = (_module, _attribute or _public)
del _module, _names, _name, _public, _attribute


def train(config, *, resume=None, report=None):
    """Train what a config describes, as ``nettrain train`` does; returns a
    ``TrainResult`` (``.run``, ``.final``, ``.records``). ``config``: a path to
    a YAML file, a mapping, or a ``nettrain.config.Config``. See
    ``nettrain.trainer.session`` (imported on first call: the training stack
    is not loaded by ``import nettrain``)."""
    from .trainer.session import train as train_session

    return train_session(config, resume=resume, report=report)


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _WHERE:
        module, attribute = _WHERE[name]
        value = getattr(importlib.import_module(module, __name__), attribute)
        globals()[name] = value  # found once; later lookups are plain attribute reads
        return value
    if name in _LEGACY_TYPES:
        value = globals()[name] = importlib.import_module(".dtypes", __name__).LEGACY_TYPES[name]
        return value
    raise AttributeError(f"module 'nettrain' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_WHERE) | set(_LEGACY_TYPES) | set(_SUBMODULES))


class _Package(types.ModuleType):
    """Importing a submodule binds it on its package (``nettrain.tensor`` = the
    module tensor.py); where a public name is also a submodule's name, the
    public one wins, as the eager ``from .tensor import tensor`` did."""

    def __setattr__(self, name, value):
        if name in _WHERE and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
