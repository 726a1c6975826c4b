"""The random generators' state: what a checkpoint saves and restores. The
GPU stream is checked here with NumPy's RandomState standing in for CuPy's
(the same interface); tests/test_gpu.py runs it on a real GPU."""
import json

import numpy as np

import nettrain as nt
from nettrain import backend
from nettrain.backend import CudaGenerator


class _NumpyState(np.random.RandomState):
    """NumPy's RandomState as CuPy's stand-in (its seeds stop at 2**32; CuPy's at 2**64)."""

    def seed(self, seed=None):
        super().seed(seed % 2**32)


def _draws(g):
    return [g.random((3,)), g.standard_normal((2, 2)), g.integers(0, 100, (4,)), g.permutation(6),
            g.uniform(-1.0, 1.0, (2,)), g.normal(0.0, 2.0, (2,))]


def test_a_gpu_stream_restored_from_its_draw_count_continues_exactly():
    g = CudaGenerator(_NumpyState(), seed=3, index=0)
    _draws(g)
    saved = g.draws
    expected = _draws(g)
    resumed = CudaGenerator(_NumpyState(), seed=3, index=0, draws=saved)
    for got, want in zip(_draws(resumed), expected):
        np.testing.assert_array_equal(got, want)


def test_gpu_streams_differ_between_devices_seeds_and_draws():
    first = CudaGenerator(_NumpyState(), seed=3, index=0).random((8,))
    assert not np.array_equal(first, CudaGenerator(_NumpyState(), seed=3, index=1).random((8,)))
    assert not np.array_equal(first, CudaGenerator(_NumpyState(), seed=4, index=0).random((8,)))
    g = CudaGenerator(_NumpyState(), seed=3, index=0)
    assert not np.array_equal(g.random((8,)), g.random((8,)))  # the stream moves on


def test_rng_state_keeps_gpu_draw_counts_and_is_json():
    state = {"seed": 5, "cpu": backend.get_rng_state()["cpu"], "cuda": {"0": 17, "1": 2}}
    nt.set_rng_state(state)
    assert nt.get_rng_state() == state  # kept for GPUs this process has not used yet
    json.dumps(state)
    nt.manual_seed(5)
    assert nt.get_rng_state()["cuda"] == {}


def test_an_older_rng_state_without_gpu_streams_still_loads():
    state = backend.get_rng_state()
    del state["cuda"]
    nt.set_rng_state(state)
    assert nt.get_rng_state()["cuda"] == {}
