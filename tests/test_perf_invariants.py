"""Correctness invariants the engine's speed rests on (never timings):
float32 stays float32, no graph is built under no_grad, no gradient is
computed for inputs that do not need one, and the (C, H, W, N) memory layout
of conv/pool results gives the same values as the ordinary layout."""
import numpy as np
import pytest

import nettrain as nt
import nettrain.nn.functional as F
from nettrain.ops import nn as N


def _lenet_params(rng):
    def p(*shape):
        return nt.from_numpy((rng.standard_normal(shape) * 0.2).astype(np.float32)).requires_grad_()

    return [p(6, 1, 5, 5), p(6), p(16, 6, 5, 5), p(16), p(120, 256), p(120), p(84, 120), p(84), p(10, 84), p(10)]


def _lenet(x, params):
    c1w, c1b, c2w, c2b, f1w, f1b, f2w, f2b, f3w, f3b = params
    x = F.max_pool2d(F.relu(F.conv2d(x, c1w, c1b)), 2)
    x = F.max_pool2d(F.relu(F.conv2d(x, c2w, c2b)), 2)
    x = F.relu(F.linear(x.reshape(x.shape[0], -1), f1w, f1b))
    return F.linear(F.relu(F.linear(x, f2w, f2b)), f3w, f3b)


def test_a_float32_training_step_never_upcasts():
    rng = np.random.default_rng(0)
    params = _lenet_params(rng)
    x = nt.from_numpy(rng.standard_normal((4, 1, 28, 28)).astype(np.float32))
    y = nt.tensor([1, 2, 3, 4])
    out = _lenet(x, params)
    loss = F.cross_entropy(out, y)
    assert out.dtype == nt.float32 and loss.dtype == nt.float32
    saved = []  # every float array a node keeps for backward (im2col matrices, masks ...)
    stack = [loss.grad_fn]
    while stack:
        node = stack.pop()
        kept = [*vars(node).values(), *node.saved]  # derived values and save_for_backward's
        saved += [v for v in kept if isinstance(v, np.ndarray) and v.dtype.kind == "f"]
        stack += [p for p in node.parents if p is not None and not isinstance(p, nt.Tensor)]
    assert len(saved) >= 10 and all(a.dtype == np.float32 for a in saved)
    loss.backward()
    for p in params:
        assert p.grad.dtype == nt.float32, p.shape


def test_python_scalars_do_not_upcast_float32():
    x = nt.randn(3, requires_grad=True)
    out = ((x * 0.5 + 1.5) / 3.0 - 2) ** 2
    assert out.dtype == nt.float32
    out.sum().backward()
    assert x.grad.dtype == nt.float32


def test_no_graph_under_no_grad():
    rng = np.random.default_rng(0)
    params = _lenet_params(rng)
    x = nt.from_numpy(rng.standard_normal((2, 1, 28, 28)).astype(np.float32))
    with nt.no_grad():
        out = _lenet(x, params)
    assert out.grad_fn is None and not out.requires_grad


def test_conv_skips_the_input_gradient_nobody_needs(monkeypatch):
    """The images of the first layer need no gradient: conv backward must not compute one."""
    rng = np.random.default_rng(0)
    w = nt.from_numpy(rng.standard_normal((3, 1, 3, 3)).astype(np.float32)).requires_grad_()
    x = nt.from_numpy(rng.standard_normal((2, 1, 6, 6)).astype(np.float32))
    out = F.conv2d(x, w)
    captured = {}
    original = N.Conv2d.backward

    def spy(self, grad):
        captured["grads"] = original(self, grad)
        return captured["grads"]

    monkeypatch.setattr(N.Conv2d, "backward", spy)
    out.sum().backward()
    assert captured["grads"][0] is None and captured["grads"][1] is not None
    assert x.grad is None


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1)])
def test_conv_and_pool_results_match_the_contiguous_layout(stride, padding):
    """Conv/pool hand back (N, C, H, W) views of (C, H, W, N) memory; feeding
    them, or their contiguous copies, to the next layer gives the same values
    and the same gradients."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 2, 9, 9))
    w1 = rng.standard_normal((4, 2, 3, 3))
    w2 = rng.standard_normal((5, 4, 2, 2))

    def run(make_contiguous):
        xs = nt.tensor(x, dtype=nt.float64, requires_grad=True)
        a = nt.tensor(w1, dtype=nt.float64, requires_grad=True)
        b = nt.tensor(w2, dtype=nt.float64, requires_grad=True)
        h = F.relu(F.conv2d(xs, a, stride=stride, padding=padding))
        if make_contiguous:
            h = h.clone()  # clone copies into the ordinary C-contiguous (N, C, H, W) layout
            assert h.array.flags["C_CONTIGUOUS"]
        h = F.max_pool2d(h, 2, stride=1)
        out = F.conv2d(h, b)
        (out * out).sum().backward()
        return out.array, xs.grad.numpy(), a.grad.numpy(), b.grad.numpy()

    for mine, plain in zip(run(False), run(True)):
        np.testing.assert_allclose(mine, plain, rtol=1e-12, atol=1e-12)


def test_conv_output_values_are_those_of_a_direct_convolution():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 6, 5))
    w = rng.standard_normal((4, 3, 3, 2))
    out = F.conv2d(nt.tensor(x, dtype=nt.float64), nt.tensor(w, dtype=nt.float64)).numpy()
    expected = np.zeros((2, 4, 4, 4))
    for i in range(4):
        for j in range(4):
            expected[:, :, i, j] = np.einsum("nchw,ochw->no", x[:, :, i:i + 3, j:j + 2], w)
    assert out.shape == (2, 4, 4, 4)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


def test_max_pool_gradient_goes_to_the_first_of_tied_maxima():
    x = nt.tensor([[[[1.0, 1.0], [0.0, 1.0]]]], requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    assert x.grad.tolist() == [[[[1.0, 0.0], [0.0, 0.0]]]]


@pytest.mark.parametrize("small_kernels", [True, False])  # bands of rows / one band (another BLAS)
@pytest.mark.parametrize("batch", [4, 256])  # im2col kept from forward / copied again band by band
def test_float32_conv_in_bands_matches_a_float64_reference(batch, small_kernels, monkeypatch):
    """Conv products run a band of output rows at a time and, for large
    batches, backward copies the bands again instead of keeping them: the
    values and gradients stay those of one whole float64 product."""
    from nettrain import blas

    blas.policy.small_kernels  # noqa: B018 (find the library first, then say what it has)
    monkeypatch.setattr(blas.policy, "_small_kernels", small_kernels)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((batch, 6, 12, 12)).astype(np.float32)
    w = (rng.standard_normal((16, 6, 5, 5)) * 0.1).astype(np.float32)
    g = rng.standard_normal((batch, 16, 8, 8)).astype(np.float32)

    def grads(dtype):
        xs = nt.tensor(x, dtype=dtype, requires_grad=True)
        ws = nt.tensor(w, dtype=dtype, requires_grad=True)
        b = nt.zeros(16, dtype=dtype, requires_grad=True)
        out = F.conv2d(xs, ws, b)
        (out * nt.tensor(g, dtype=dtype)).sum().backward()
        return out.detach().numpy(), xs.grad.numpy(), ws.grad.numpy(), b.grad.numpy()

    for mine, ref in zip(grads(nt.float32), grads(nt.float64)):
        assert mine.dtype == np.float32
        scale = np.abs(ref).max()
        np.testing.assert_allclose(mine, ref, rtol=0, atol=2e-5 * scale * np.sqrt(batch))


@pytest.mark.parametrize("channels", [3, 6])  # fewer than MIN_OFFSET_ROWS: one whole product
@pytest.mark.parametrize("one_thread", [True, False])  # False: a second core would go to the whole product
def test_the_conv_input_gradient_is_the_same_made_per_offset_or_whole(channels, one_thread, monkeypatch):
    """The input gradient's im2col blocks come from one product per kernel
    offset or from one whole product, depending on the channels and the
    cores: either way it is the gradient written out offset by offset."""
    from nettrain.ops import nn as conv_ops

    monkeypatch.setattr(conv_ops, "runs_on_one_thread", lambda *shape, **layout: one_thread)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((8, channels, 9, 9)).astype(np.float32)
    w = (rng.standard_normal((16, channels, 3, 3)) * 0.1).astype(np.float32)
    g = rng.standard_normal((8, 16, 9, 9)).astype(np.float32)
    xs = nt.tensor(x, requires_grad=True)
    (F.conv2d(xs, nt.tensor(w), padding=1) * nt.tensor(g)).sum().backward()

    # padding 1: offset (i, j) of the kernel sends g's pixel (y, x) to input pixel (y + i - 1, x + j - 1)
    expected = np.zeros((8, channels, 11, 11))
    for i in range(3):
        for j in range(3):
            expected[:, :, i:i + 9, j:j + 9] += np.einsum("nohw,oc->nchw", g.astype(np.float64), w[:, :, i, j])
    expected = expected[:, :, 1:10, 1:10]
    assert xs.grad.dtype == nt.float32
    np.testing.assert_allclose(xs.grad.numpy(), expected, rtol=0, atol=1e-5 * np.abs(expected).max())
