"""nettrain.blas: the thread count follows the machine's load, and the bits
of a product (and so of training) do not depend on it."""
from __future__ import annotations

import numpy as np
import pytest

import nettrain as nt
import nettrain.nn.functional as F
from nettrain import blas
from nettrain.models import MLP

needs_threads = pytest.mark.skipif(
    not blas.policy.managed or blas.policy.max_threads < 2,
    reason="needs OpenBLAS (through threadpoolctl) with at least 2 threads",
)


@pytest.fixture
def forced(monkeypatch):
    """Set the policy to a fixed thread count for the rest of the test."""
    def force(n):
        monkeypatch.setattr(blas.policy, "forced", n)
    return force


SHAPES = [  # (m, k, n): around K_SLICE, the measured K where OpenBLAS's blocking changes, gemv, conv-like
    (64, 256, 256), (64, 257, 256), (64, 488, 256), (64, 784, 256), (1000, 784, 256), (256, 1000, 784),
    (1, 1000, 1000), (1000, 1000, 1), (6, 36864, 25), (16, 4096, 150), (150, 16, 4096), (33, 517, 129),
    (3, 3, 3), (1, 9000, 1), (2, 4000, 1), (24, 16, 24),  # tiny ones, with a short and a long K
]


@needs_threads
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_products_have_the_same_bits_on_one_thread_or_all(forced, dtype):
    rng = np.random.default_rng(0)
    for m, k, n in SHAPES:
        a = rng.standard_normal((m, k)).astype(dtype)
        b = rng.standard_normal((n, k)).astype(dtype).T  # a transposed operand, as Linear uses
        forced(1)
        one = blas.matmul(a, b)
        forced(blas.policy.max_threads)
        many = blas.matmul(a, b)
        assert np.array_equal(one, many), (m, k, n, dtype)
        np.testing.assert_allclose(one, a @ b, rtol=1e-4 if dtype == np.float32 else 1e-10, atol=1e-3)


@needs_threads
def test_batched_products_follow_numpy_rules_with_the_same_bits(forced):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((3, 70, 600)).astype(np.float32)
    b = rng.standard_normal((600, 90)).astype(np.float32)
    forced(1)
    one = blas.matmul(a, b)
    forced(blas.policy.max_threads)
    assert np.array_equal(one, blas.matmul(a, b))
    assert one.shape == (3, 70, 90)
    np.testing.assert_allclose(one, a @ b, rtol=1e-4, atol=1e-3)


@needs_threads
def test_training_gives_the_same_parameters_quiet_or_busy(forced):
    # An MLP with a 784-long inner dimension: the shape whose bits OpenBLAS
    # changes with the thread count when it is summed in one call.
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5, 64, 784)).astype(np.float32)
    y = rng.integers(0, 10, (5, 64))
    finals = []
    for threads in (1, blas.policy.max_threads):
        forced(threads)
        nt.manual_seed(0)
        model = MLP(784, hidden=(256,), out_features=10)
        opt = nt.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        for xb, yb in zip(x, y):
            loss = F.cross_entropy(model(nt.from_numpy(xb)), nt.from_numpy(yb))
            opt.zero_grad()
            loss.backward()
            opt.step()
        finals.append([p.detach().numpy().copy() for p in model.parameters()])
    assert all(np.array_equal(p, q) for p, q in zip(*finals))


@needs_threads
def test_the_thread_count_follows_the_load(monkeypatch):
    policy = blas.ThreadPolicy()
    assert policy.managed
    load = {"others": 0}
    monkeypatch.setattr(blas, "_runnable_elsewhere", lambda: load["others"])
    monkeypatch.setattr(blas, "SAMPLE_S", 0.0)
    assert policy.threads() == policy.max_threads  # a quiet machine: every thread
    load["others"] = policy.cores  # as many busy processes as cores
    for _ in range(3):  # smoothed: a few looks
        policy.threads()
    assert policy.threads() == 1
    load["others"] = 0
    for _ in range(5):
        policy.threads()
    assert policy.threads() == policy.max_threads


def test_runnable_elsewhere_reads_the_machine_or_says_it_cannot():
    others = blas._runnable_elsewhere()
    assert others is None or (isinstance(others, int) and others >= 0)


def test_other_operands_go_to_numpy_unchanged():
    v = np.arange(3.0)
    m = np.arange(6.0).reshape(2, 3)
    assert np.array_equal(blas.matmul(m, v), m @ v)
    assert blas.matmul(v, v) == v @ v


CONV_PRODUCTS = [  # (m, k, n, a_transposed, b_transposed): LeNet's convolution products, batch 64 and 256
    (6, 25, 576 * 64, False, False), (6, 576 * 256, 25, False, True), (16, 150, 64 * 256, False, False),
    (150, 16, 64 * 64, True, False), (16, 64 * 256, 150, False, True), (16, 64 * 64, 150, False, True),
]


@pytest.mark.parametrize("m, k, n, ta, tb", CONV_PRODUCTS)
def test_skinny_products_are_cut_into_pieces_openblas_small_kernel_takes(m, k, n, ta, tb):
    mb, kb, nb = blas.small_blocks(m, k, n, ta, tb)
    assert mb * kb * nb <= blas.SMALL_PRODUCT
    if tb:  # OpenBLAS's "TN" case: a small output piece and a long enough inner piece
        assert mb * nb <= blas.SMALL_TN_OUTPUT and kb >= blas.SMALL_TN_MIN_K
    rng = np.random.default_rng(3)
    a = rng.standard_normal((k, m) if ta else (m, k)).astype(np.float32)
    b = rng.standard_normal((n, k) if tb else (k, n)).astype(np.float32)
    a, b = (a.T if ta else a), (b.T if tb else b)
    np.testing.assert_allclose(blas._blocked_matmul(a, b, mb, kb, nb), a @ b, rtol=1e-4, atol=1e-3)


def test_wide_small_or_doubly_transposed_products_stay_whole():
    assert blas.small_blocks(64, 784, 256, False, True) is None   # an MLP layer: as fast whole
    assert blas.small_blocks(6, 25, 100, False, False) is None    # small enough already
    assert blas.small_blocks(6, 36864, 25, True, True) is None    # OpenBLAS has no kernel for it
