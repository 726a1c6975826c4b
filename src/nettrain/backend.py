"""The array backend: NumPy on the CPU, CuPy on an NVIDIA GPU.

This is the only module in nettrain that imports cupy, and it does so only
when a GPU is asked for. Everything else takes its array module from the data
it is given, as DeZero's ``cuda.py`` and Chainer's ``backend.py`` do::

    xp = get_array_module(x)      # numpy for numpy arrays, cupy for cupy arrays

There is no global "current device" switch.
"""
from __future__ import annotations

import numpy as np

# --------------------------------------------------------------------------- dtypes

float32 = np.dtype("float32")
float64 = np.dtype("float64")
float16 = np.dtype("float16")
int8 = np.dtype("int8")
int16 = np.dtype("int16")
int32 = np.dtype("int32")
int64 = np.dtype("int64")
uint8 = np.dtype("uint8")
bool_ = np.dtype("bool")

DEFAULT_INT = int64

_DTYPE_NAMES = {
    "float32": float32, "float": float32, "float64": float64, "double": float64,
    "float16": float16, "half": float16, "int8": int8, "int16": int16, "short": int16,
    "int32": int32, "int": int32, "int64": int64, "long": int64, "uint8": uint8, "bool": bool_,
}

# The dtype new floating tensors get; float32 unless nettrain.set_default_dtype
# changes it (as torch.set_default_dtype does).
_default_float = float32


def default_float() -> np.dtype:
    """The dtype new floating tensors (and integer math that needs a float) get."""
    return _default_float


def set_default_float(dtype: np.dtype):
    global _default_float
    _default_float = dtype


def as_dtype(dtype) -> np.dtype:
    """Accept ``nettrain.float32``, ``"float32"``, ``np.float32`` or ``float``."""
    if dtype is None:
        return None
    if isinstance(dtype, str):
        try:
            return _DTYPE_NAMES[dtype.removeprefix("nettrain.").removeprefix("torch.")]
        except KeyError:
            raise TypeError(
                f"unknown dtype {dtype!r}; expected one of {', '.join(sorted(_DTYPE_NAMES))}"
            ) from None
    if dtype is float:
        return _default_float
    if dtype is int:
        return int64
    if dtype is bool:
        return bool_
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{dtype!r} is not a dtype; expected e.g. nettrain.float32 or 'float32'") from None


def is_floating(dtype) -> bool:
    return np.dtype(dtype).kind == "f"


# --------------------------------------------------------------------------- cupy

_cupy = None


def cupy_module():
    """Import cupy on first use, with a clear error when it or a GPU is missing."""
    global _cupy
    if _cupy is None:
        try:
            import cupy  # noqa: PLC0415 - only ever imported here, only when asked for
        except ImportError as exc:
            raise RuntimeError(
                "a CUDA device was asked for, but CuPy is not installed; "
                'install the GPU extra (pip install -e ".[gpu]") or use device "cpu"'
            ) from exc
        try:
            count = cupy.cuda.runtime.getDeviceCount()
        except Exception as exc:  # cupy raises CUDARuntimeError without a driver
            raise RuntimeError(
                f"a CUDA device was asked for, but CuPy found no usable GPU ({exc}); use device \"cpu\""
            ) from exc
        if count == 0:
            raise RuntimeError('a CUDA device was asked for, but no GPU is present; use device "cpu"')
        _cupy = cupy
    return _cupy


def cuda_is_available() -> bool:
    try:
        cupy_module()
    except RuntimeError:
        return False
    return True


def get_array_module(*arrays):
    """numpy, unless one of the arrays is a cupy array (then cupy)."""
    if _cupy is not None:
        for a in arrays:
            if isinstance(a, _cupy.ndarray):
                return _cupy
    return np


# --------------------------------------------------------------------------- devices


class Device:
    """Where a tensor lives, as PyTorch spells it: ``device("cpu")``,
    ``device("cuda")``, ``device("cuda:1")`` or ``device("cuda", 1)``.

    Prints as PyTorch does (``str``: ``cuda:0``; ``repr``:
    ``device(type='cuda', index=0)``). A bare ``"cuda"`` means the first GPU;
    for convenience a device also compares equal to its string form.
    """

    __slots__ = ("type", "index")

    def __init__(self, spec="cpu", index=None):
        if isinstance(spec, Device):
            self.type, self.index = spec.type, spec.index
            return
        if isinstance(spec, int) and not isinstance(spec, bool):
            spec, index = "cuda", spec  # device(0) is the first GPU, as in PyTorch
        if not isinstance(spec, str):
            raise TypeError(f"device must be a string like 'cpu', 'cuda' or 'cuda:0', got {spec!r}")
        text = spec.strip().lower()
        kind, _, number = text.partition(":")
        if kind not in ("cpu", "cuda") or (number and not number.isdigit()):
            raise ValueError(f"unknown device {spec!r}; expected 'cpu', 'cuda' or 'cuda:N'")
        if number and index is not None:
            raise ValueError(f"device {spec!r} already names an index; pass index only with 'cuda'")
        if number:
            index = int(number)
        if index is not None and (not isinstance(index, int) or index < 0):
            raise ValueError(f"device index must be a non-negative int, got {index!r}")
        if kind == "cpu" and index not in (None, 0):
            raise ValueError(f"the cpu device has no index {index}")
        self.type, self.index = kind, (None if kind == "cpu" else index)

    @property
    def ordinal(self) -> int:
        """The GPU number (a bare ``cuda`` is GPU 0); 0 for the cpu."""
        return self.index or 0

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = Device(other)
            except (TypeError, ValueError):
                return False
        return isinstance(other, Device) and (self.type, self.ordinal) == (other.type, other.ordinal)

    def __hash__(self):
        return hash((self.type, self.ordinal))


CPU = Device("cpu")


def device_of(array) -> Device:
    if isinstance(array, np.ndarray) or np.isscalar(array):
        return CPU
    return Device(f"cuda:{array.device.id}")


def to_device(array, device):
    """Copy ``array`` to ``device`` (a no-op when it is already there)."""
    device = Device(device)
    if device.type == "cpu":
        if isinstance(array, np.ndarray):
            return array
        return array.get()  # cupy -> host
    cp = cupy_module()
    if device.ordinal >= cp.cuda.runtime.getDeviceCount():
        raise RuntimeError(
            f"device {device} was asked for, but only {cp.cuda.runtime.getDeviceCount()} GPU(s) are present"
        )
    with cp.cuda.Device(device.ordinal):
        return cp.asarray(array)


def to_host(array) -> np.ndarray:
    """A NumPy array, whatever device ``array`` lives on."""
    if isinstance(array, np.ndarray):
        return array
    if hasattr(array, "get"):
        return array.get()
    return np.asarray(array)


def scatter_add(out, index, values):
    """``out[index] += values`` with repeated indices accumulating (NumPy's
    ``add.at``; CuPy spells it ``cupyx.scatter_add``)."""
    if isinstance(out, np.ndarray):
        np.add.at(out, index, values)
    else:
        import cupyx  # noqa: PLC0415 - only reached with cupy arrays

        cupyx.scatter_add(out, index, values)


def array_module_for(device):
    device = Device(device)
    return np if device.type == "cpu" else cupy_module()


# --------------------------------------------------------------------------- random generators


class CudaGenerator:
    """A GPU's random stream whose whole state is two integers.

    CuPy's RandomState cannot hand out or take back its state, so a
    checkpoint could not restore it. Here every draw first reseeds one
    counter-based (Philox) generator from ``(seed, device index, draw
    number)``: the state is the draw number, and a resumed run continues the
    stream exactly where it stopped (dropout masks do not repeat). The
    methods are those of NumPy's ``Generator`` that nettrain uses, so code
    draws the same way on every device. ``random_state`` is any object with
    NumPy's ``RandomState`` interface (CuPy's on a GPU).
    """

    def __init__(self, random_state, seed: int, index: int, draws: int = 0):
        self._random_state = random_state
        self.seed, self.index, self.draws = int(seed), int(index), int(draws)

    def _next(self):
        key = np.random.SeedSequence((self.seed, self.index, self.draws)).generate_state(1, np.uint64)[0]
        self.draws += 1
        self._random_state.seed(int(key))
        return self._random_state

    def random(self, shape):
        return self._next().random_sample(shape)

    def standard_normal(self, shape):
        return self._next().standard_normal(shape)

    def uniform(self, low=0.0, high=1.0, size=None):
        return self._next().uniform(low, high, size)

    def normal(self, loc=0.0, scale=1.0, size=None):
        return self._next().normal(loc, scale, size)

    def integers(self, low, high, size=None):
        return self._next().randint(low, high, size)

    def permutation(self, n):
        return self._next().permutation(n)


class _Generators:
    """One seeded generator per device, so ``manual_seed`` makes every random
    creation reproducible and a checkpoint can save and restore them (the
    CPU's PCG64 state and each GPU's draw count, see CudaGenerator)."""

    def __init__(self, seed: int = 0):
        self.seed(seed)

    def seed(self, seed: int):
        self.initial_seed = int(seed)
        self.cpu = np.random.Generator(np.random.PCG64(self.initial_seed))
        self.cuda = {}
        self._cuda_draws = {}  # restored draw counts of GPUs not used yet in this process

    def seed_cuda(self, seed: int):
        """Reseed only the GPU generators (``nettrain.cuda.manual_seed``)."""
        self.initial_seed = int(seed)
        self.cuda = {}
        self._cuda_draws = {}

    def for_device(self, device):
        device = Device(device)
        if device.type == "cpu":
            return self.cpu
        if device.ordinal not in self.cuda:
            cp = cupy_module()
            with cp.cuda.Device(device.ordinal):
                philox = cp.random.RandomState(method=cp.cuda.curand.CURAND_RNG_PSEUDO_PHILOX4_32_10)
            self.cuda[device.ordinal] = CudaGenerator(
                philox, self.initial_seed, device.ordinal, self._cuda_draws.get(device.ordinal, 0))
        return self.cuda[device.ordinal]

    def get_state(self) -> dict:
        """JSON-friendly: the CPU state is a dict of ints, each GPU's a draw count."""
        draws = dict(self._cuda_draws)
        draws.update({index: g.draws for index, g in self.cuda.items()})
        return {"seed": self.initial_seed, "cpu": self.cpu.bit_generator.state,
                "cuda": {str(index): n for index, n in sorted(draws.items())}}

    def set_state(self, state: dict):
        self.initial_seed = int(state["seed"])
        self.cpu = np.random.Generator(np.random.PCG64())
        self.cpu.bit_generator.state = state["cpu"]
        self.cuda = {}
        # (checkpoints written before GPU streams were saved have no "cuda")
        self._cuda_draws = {int(index): int(n) for index, n in (state.get("cuda") or {}).items()}


generators = _Generators(0)


def uniform(generator, shape):
    """Uniform samples on [0, 1) from a device's generator."""
    return generator.random(shape)


class batch_rows:
    """``with batch_rows(first, end, total):`` this process computes rows
    ``[first, end)`` of a global batch of ``total`` samples (data-parallel
    training). Per-sample draws (dropout masks, see :func:`sample_uniform`)
    then draw for the whole global batch and keep these rows: a sample's
    mask depends on its place in the global batch, never on how many
    processes share it, and every process's generator stays in step."""

    current = None  # (first, end, total) while a data-parallel step runs

    def __init__(self, first: int, end: int, total: int):
        self.rows = (int(first), int(end), int(total))

    def __enter__(self):
        self._previous, batch_rows.current = batch_rows.current, self.rows
        return self

    def __exit__(self, *exc):
        batch_rows.current = self._previous
        return False


def sample_uniform(generator, shape):
    """``uniform(generator, shape)`` for per-sample draws along axis 0: in one
    process exactly that; inside ``batch_rows`` the global batch's draw, this
    process's rows."""
    rows = batch_rows.current
    if rows is None or len(shape) == 0 or shape[0] != rows[1] - rows[0]:
        return uniform(generator, shape)
    first, end, total = rows
    return uniform(generator, (total,) + tuple(shape[1:]))[first:end]


def manual_seed(seed: int):
    """Seed every random creation in nettrain (all devices)."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {seed!r}")
    generators.seed(int(seed))


def get_rng_state() -> dict:
    return generators.get_state()


def set_rng_state(state: dict):
    generators.set_state(state)


class Generator:
    """A random-number generator of one's own, as ``torch.Generator``: pass it
    as ``generator=`` (DataLoader, random_split, samplers) to get draws that
    do not depend on, nor disturb, the global stream ``manual_seed`` seeds.

    ``g = Generator().manual_seed(42)``. CPU only.
    """

    DEFAULT_SEED = 67280421310721  # torch.Generator()'s initial seed

    def __init__(self, device="cpu"):
        self.device = Device(device)
        if self.device.type != "cpu":
            raise ValueError(f"nettrain.Generator lives on the CPU; got device {device!r}")
        self.manual_seed(self.DEFAULT_SEED)

    def manual_seed(self, seed):
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise TypeError(f"seed must be an int, got {seed!r}")
        self._seed = int(seed)
        self.numpy = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def initial_seed(self) -> int:
        return self._seed

    def seed(self) -> int:
        """Reseed from fresh OS entropy (non-deterministic) and return the seed."""
        self.manual_seed(int(np.random.SeedSequence().entropy % (2 ** 63)))
        return self._seed

    def get_state(self) -> dict:
        return {"seed": self._seed, "state": self.numpy.bit_generator.state}

    def set_state(self, state: dict):
        self._seed = int(state["seed"])
        self.numpy.bit_generator.state = state["state"]
        return self


def numpy_generator(generator=None):
    """The NumPy generator to draw CPU randomness from: ``generator``'s own,
    or the global one that ``manual_seed`` seeds."""
    if generator is None:
        return generators.cpu
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a nettrain.Generator, got {type(generator).__name__}")
    return generator.numpy
