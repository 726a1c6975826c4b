"""Tensor creation, attributes, conversion, operators and dtypes."""
import math

import numpy as np
import pytest

import nettrain as nt
import nettrain.nn.functional as F


def test_creation_functions_shapes_and_default_dtypes():
    assert nt.zeros(2, 3).shape == (2, 3) and nt.zeros(2, 3).dtype == nt.float32
    assert nt.ones((4,)).tolist() == [1.0] * 4
    assert nt.empty(2, 2).shape == (2, 2)
    assert nt.full((2,), 7).tolist() == [7, 7] and nt.full((2,), 7).dtype == nt.int64
    assert nt.full((2,), 0.5).dtype == nt.float32
    assert nt.arange(5).tolist() == [0, 1, 2, 3, 4] and nt.arange(5).dtype == nt.int64
    assert nt.arange(0, 1, 0.25).dtype == nt.float32
    np.testing.assert_allclose(nt.linspace(0, 1, 5).numpy(), [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_array_equal(nt.eye(3).numpy(), np.eye(3))
    assert nt.tensor([1, 2]).dtype == nt.int64
    assert nt.tensor([1.0, 2]).dtype == nt.float32
    assert nt.tensor([True]).dtype == nt.bool
    assert nt.tensor([1, 2], dtype="float64").dtype == nt.float64
    assert nt.randint(0, 10, (5,)).dtype == nt.int64
    t = nt.randn(3, 4)
    for like in (nt.zeros_like, nt.ones_like, nt.rand_like, nt.randn_like, nt.empty_like):
        assert like(t).shape == (3, 4) and like(t).dtype == nt.float32
    assert nt.full_like(t, 2.0).tolist()[0] == [2.0] * 4


def test_from_numpy_shares_memory_and_tensor_copies():
    a = np.arange(3.0)
    shared, copied = nt.from_numpy(a), nt.tensor(a)
    a[0] = 42
    assert shared.tolist()[0] == 42 and copied.tolist()[0] == 0
    assert shared.dtype == nt.float64


def test_manual_seed_makes_random_creation_reproducible_and_state_restorable():
    nt.manual_seed(123)
    a = nt.randn(5)
    nt.manual_seed(123)
    b = nt.randn(5)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    state = nt.get_rng_state()
    c = nt.rand(4)
    nt.set_rng_state(state)
    np.testing.assert_array_equal(nt.rand(4).numpy(), c.numpy())
    assert ((nt.rand(1000) >= 0) & (nt.rand(1000) < 1)).all()


def test_attributes():
    t = nt.zeros(2, 3, 4)
    assert t.ndim == 3 and t.dim() == 3 and t.size() == (2, 3, 4) and t.size(1) == 3
    assert t.numel() == 24 and len(t) == 2
    assert t.T.shape == (4, 3, 2)
    assert t.device == "cpu" and str(t.device) == "cpu"
    assert not t.requires_grad and t.is_leaf and t.grad is None


def test_conversions():
    t = nt.tensor([[1.5, 2.0]])
    assert nt.tensor(3.5).item() == 3.5
    assert t.tolist() == [[1.5, 2.0]]
    assert t.double().dtype == nt.float64 and t.long().tolist() == [[1, 2]]
    assert t.to(nt.float64).dtype == nt.float64 and t.to("float64").dtype == nt.float64
    assert t.to("cpu") is t
    c = t.clone()
    c.array[0, 0] = 9
    assert t.tolist() == [[1.5, 2.0]]
    assert float(nt.tensor([2.5])) == 2.5


def test_numpy_on_tensor_requiring_grad_is_a_clear_error():
    t = nt.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"detach\(\)\.numpy\(\)"):
        t.numpy()
    assert t.detach().numpy().tolist() == [1.0, 1.0]


def test_cuda_without_cupy_or_gpu_is_a_clear_error():
    if nt.cuda_is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="CUDA device was asked for"):
        nt.ones(2).to("cuda")
    with pytest.raises(ValueError, match="unknown device"):
        nt.ones(2).to("tpu")


def test_arithmetic_with_scalars_on_either_side():
    x = nt.tensor([1.0, 2.0, 4.0])
    assert (x + 1).tolist() == [2, 3, 5]
    assert (1 + x).tolist() == [2, 3, 5]
    assert (x - 1).tolist() == [0, 1, 3]
    assert (1 - x).tolist() == [0, -1, -3]
    assert (x * 2).tolist() == [2, 4, 8]
    assert (2 / x).tolist() == [2, 1, 0.5]
    assert (x / 2).tolist() == [0.5, 1, 2]
    assert (x ** 2).tolist() == [1, 4, 16]
    assert (2 ** x).tolist() == [2, 4, 16]
    assert (-x).tolist() == [-1, -2, -4]
    assert abs(nt.tensor([-1.0, 2])).tolist() == [1, 2]


def test_matmul_family():
    a, b = nt.randn(2, 3), nt.randn(3, 4)
    np.testing.assert_allclose((a @ b).numpy(), a.numpy() @ b.numpy(), rtol=1e-5)
    np.testing.assert_allclose(a.mm(b).numpy(), a.numpy() @ b.numpy(), rtol=1e-5)
    v = nt.randn(3)
    np.testing.assert_allclose(a.mv(v).numpy(), a.numpy() @ v.numpy(), rtol=1e-5)
    batch = nt.randn(5, 2, 3)
    assert (batch @ b).shape == (5, 2, 4)
    with pytest.raises(RuntimeError, match="mm needs two 2-D"):
        v.mm(b)


def test_unary_math_and_comparisons():
    x = nt.tensor([-1.0, 0.5, 2.0])
    np.testing.assert_allclose(x.exp().numpy(), np.exp(x.numpy()), rtol=1e-6)
    np.testing.assert_allclose(x.tanh().numpy(), np.tanh(x.numpy()), rtol=1e-6)
    np.testing.assert_allclose(x.sigmoid().numpy(), 1 / (1 + np.exp(-x.numpy())), rtol=1e-6)
    assert x.relu().tolist() == [0, 0.5, 2]
    assert x.clamp(-0.5, 1).tolist() == [-0.5, 0.5, 1]
    assert x.clamp(min=0).tolist() == [0, 0.5, 2]
    assert nt.maximum(x, nt.tensor(0.0)).tolist() == [0, 0.5, 2]
    assert nt.minimum(x, 0).tolist() == [-1, 0, 0]
    assert nt.where(x > 0, x, nt.zeros(3)).tolist() == [0, 0.5, 2]
    assert (x > 0).dtype == nt.bool and (x > 0).tolist() == [False, True, True]
    assert (x == 0.5).tolist() == [False, True, False]
    assert nt.tensor([[1, 5], [7, 2]]).argmax(dim=1).tolist() == [1, 0]
    assert nt.tensor([[1, 5], [7, 2]]).argmin().item() == 0


def test_reductions_with_dim_and_keepdim():
    a = np.random.default_rng(0).standard_normal((3, 4, 5)).astype(np.float32)
    t = nt.tensor(a)
    np.testing.assert_allclose(t.sum().item(), a.sum(), rtol=1e-5)
    np.testing.assert_allclose(t.sum(dim=(0, 2)).numpy(), a.sum(axis=(0, 2)), rtol=1e-5)
    assert t.mean(dim=1, keepdim=True).shape == (3, 1, 5)
    values, indices = t.max(dim=2)
    np.testing.assert_array_equal(values.numpy(), a.max(axis=2))
    np.testing.assert_array_equal(indices.numpy(), a.argmax(axis=2))
    assert t.min(dim=0).indices.shape == (4, 5)
    np.testing.assert_allclose(t.var(dim=1).numpy(), a.var(axis=1, ddof=1), rtol=1e-5)
    np.testing.assert_allclose(t.std(unbiased=False).item(), a.std(), rtol=1e-5)
    np.testing.assert_allclose(t.logsumexp(dim=2).numpy(), np.log(np.exp(a).sum(axis=2)), rtol=1e-5)


@pytest.mark.parametrize("p", [1, 2, 3, 0.5 + 1, math.inf])
def test_norm_matches_numpy(p):
    a = np.random.default_rng(1).standard_normal((4, 6))
    t = nt.tensor(a, dtype=nt.float64)
    np.testing.assert_allclose(t.norm(p=p).item(), np.linalg.norm(a.ravel(), ord=p), rtol=1e-10)
    np.testing.assert_allclose(t.norm(p=p, dim=1).numpy(), np.linalg.norm(a, ord=p, axis=1), rtol=1e-10)


def test_shape_ops():
    t = nt.arange(24).reshape(2, 3, 4)
    assert t.view(6, 4).shape == (6, 4) and t.reshape((4, -1)).shape == (4, 6)
    assert t.flatten().shape == (24,) and t.flatten(1).shape == (2, 12)
    assert t.unsqueeze(0).shape == (1, 2, 3, 4) and t.unsqueeze(-1).shape == (2, 3, 4, 1)
    assert nt.zeros(1, 3, 1).squeeze().shape == (3,) and nt.zeros(1, 3, 1).squeeze(0).shape == (3, 1)
    assert t.transpose(0, 2).shape == (4, 3, 2) and t.permute(1, 2, 0).shape == (3, 4, 2)
    assert nt.zeros(3, 1).expand(2, 3, 4).shape == (2, 3, 4)
    assert nt.cat([t, t], dim=1).shape == (2, 6, 4) and nt.stack([t, t]).shape == (2, 2, 3, 4)
    assert [p.shape for p in t.split(2, dim=2)] == [(2, 3, 2), (2, 3, 2)]
    assert [p.shape for p in t.chunk(2, dim=1)] == [(2, 2, 4), (2, 1, 4)]
    assert t[0, -1].tolist() == [8, 9, 10, 11]
    assert t[:, ::2, 1].tolist() == [[1, 9], [13, 21]]
    with pytest.raises(RuntimeError, match=r"shape \(5, -1\) is invalid.*\(2, 3, 4\)"):
        t.reshape(5, -1)


def test_setitem_under_no_grad():
    w = nt.zeros(4, requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w[0] = 1.0
    with nt.no_grad():
        w[1:3] = 5.0
    assert w.tolist() == [0, 5, 5, 0]


def test_in_place_ops_on_plain_tensors():
    t = nt.ones(3)
    t.add_(1).mul_(3).sub_(1).div_(5)
    assert t.tolist() == [1, 1, 1]
    t += 1
    t -= 0.5
    t *= 4
    t /= 2
    assert t.tolist() == [3, 3, 3]
    t.fill_(7)
    assert t.tolist() == [7, 7, 7]
    t.copy_(nt.tensor([1.0, -2.0, 3.0]))
    t.clamp_(-1, 2)
    assert t.tolist() == [1, -1, 2]
    t.zero_()
    assert t.tolist() == [0, 0, 0]
    assert t._version > 0


def test_float32_stays_float32_through_every_op():
    """No op upcasts a float32 graph to float64 (forward or backward)."""
    x = nt.randn(2, 1, 8, 8, requires_grad=True)
    w = nt.randn(3, 1, 3, 3, requires_grad=True)
    y = F.conv2d(x, w, padding=1)
    y = F.max_pool2d(y, 2) + F.avg_pool2d(y, 2)
    h = y.flatten(1)
    lin_w = nt.randn(4, h.shape[1], requires_grad=True)
    z = F.linear(h, lin_w)
    parts = [
        z * 2.5, z / 3, z - 1.5, 1.5 - z, z ** 2, z ** 0.5 if False else z.abs().sqrt(), z.exp().log1p() if hasattr(z, "log1p") else z.exp(),
        z.tanh(), z.sigmoid(), z.relu(), z.clamp(-1, 1), z.maximum(0.1), nt.where(z > 0, z, 0.0),
        z.softmax(1), z.log_softmax(1), z.norm(p=3, dim=1, keepdim=True).expand(2, 4),
        z.var(dim=0, keepdim=True).expand(2, 4), z.logsumexp(1, keepdim=True).expand(2, 4),
        (z @ nt.randn(4, 4)), nt.cat([z[:, :2], z[:, 2:]], dim=1),
    ]
    total = sum(p.mean() for p in parts)
    total = total + F.cross_entropy(z, nt.tensor([0, 3]), label_smoothing=0.1) + F.mse_loss(z, nt.zeros(2, 4))
    for t in parts + [total]:
        assert t.dtype == nt.float32, t.grad_fn
    total.backward()
    for leaf in (x, w, lin_w):
        assert leaf.grad.dtype == nt.float32


def test_zero_fill_copy_on_a_graph_tensor_keep_inf_out_of_the_result():
    """They are ops of their own, not ``t * 0 + v`` (which turned inf into NaN)."""
    x = nt.tensor([float("inf"), 1.0], requires_grad=True)
    y = x * 1.0
    y.zero_()
    assert y.tolist() == [0.0, 0.0]
    z = x * 1.0
    z.fill_(2.5)
    w = x * 1.0
    w.copy_(nt.tensor([3.0, 4.0]))
    assert z.tolist() == [2.5, 2.5] and w.tolist() == [3.0, 4.0]
    (y + z + w).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]  # every value that reached x was overwritten


def test_as_tensor_shares_an_array_of_the_right_dtype_and_copies_otherwise():
    a = np.arange(3, dtype=np.float32)
    shared = nt.as_tensor(a)
    a[0] = 7
    assert shared.tolist() == [7, 1, 2] and not shared.requires_grad and shared.grad_fn is None
    converted = nt.as_tensor(a, dtype=nt.float64)
    a[1] = 9
    assert converted.dtype == nt.float64 and converted.tolist() == [7, 1, 2]
    assert nt.as_tensor([1.5, 2.0]).dtype == nt.float32  # Python floats: the default dtype
    assert nt.as_tensor(np.float32(2.5)).shape == ()
    t = nt.ones(2)
    assert nt.as_tensor(t) is t


def test_increment_version_makes_a_graph_that_saved_the_tensor_raise():
    w = nt.randn(3, requires_grad=True)
    x = nt.randn(3)
    y = (w * x).sum()
    x.numpy()[0] = 5.0  # written behind the engine's back ...
    nt.autograd.increment_version(x)  # ... and said so
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()
