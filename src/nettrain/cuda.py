"""``nettrain.cuda``: what PyTorch's ``torch.cuda`` offers for finding a GPU.

nettrain reaches NVIDIA GPUs through CuPy (``pip install -e ".[gpu]"``).
Without CuPy or a GPU, ``is_available()`` is False and ``device_count()`` 0,
so a tutorial's ``torch.device("cuda" if torch.cuda.is_available() else "cpu")``
picks the CPU; asking for a CUDA tensor anyway is a clear error.
"""
from __future__ import annotations

from . import backend


def is_available() -> bool:
    """True when CuPy is installed and sees at least one GPU."""
    return backend.cuda_is_available()


def device_count() -> int:
    """How many GPUs CuPy sees (0 without CuPy or a GPU)."""
    if not backend.cuda_is_available():
        return 0
    return backend.cupy_module().cuda.runtime.getDeviceCount()


def manual_seed(seed: int):
    """Seed the random numbers made on GPUs (the CPU's stream is left as it
    is, as in PyTorch); without a GPU it does nothing."""
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {seed!r}")
    backend.generators.seed_cuda(seed)


manual_seed_all = manual_seed  # one seed for every GPU, as nettrain.manual_seed does


def current_device() -> int:
    if not backend.cuda_is_available():
        backend.cupy_module()  # raises the clear "no CuPy / no GPU" error
    return backend.cupy_module().cuda.runtime.getDevice()
