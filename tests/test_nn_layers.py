"""Layers, losses, initialisation and nn.utils."""
import math

import numpy as np
import pytest

import nettrain as nt
from nettrain import nn
from nettrain.nn import functional as F
from nettrain.nn import init
from nettrain.nn.utils import clip_grad_norm_, clip_grad_value_, l1_penalty


def test_default_init_is_uniform_in_one_over_sqrt_fan_in():
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w = layer.weight.array
    assert w.dtype == np.float32 and w.shape == (300, 400)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound  # std of U(-b, b) is b / sqrt(3)
    assert np.abs(layer.bias.array).max() <= bound
    conv = nn.Conv2d(6, 16, 5)
    fan_in = 6 * 5 * 5
    assert np.abs(conv.weight.array).max() <= 1 / math.sqrt(fan_in)
    assert np.abs(conv.bias.array).max() <= 1 / math.sqrt(fan_in)


def test_manual_seed_makes_initialisation_reproducible():
    nt.manual_seed(3)
    a = nn.Linear(5, 4).weight.array.copy()
    nt.manual_seed(3)
    b = nn.Linear(5, 4).weight.array.copy()
    c = nn.Linear(5, 4).weight.array.copy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


def test_init_functions_follow_their_formulas():
    w = nt.empty(200, 300)
    init.xavier_uniform_(w)
    assert np.abs(w.array).max() <= math.sqrt(6 / 500)
    init.kaiming_normal_(w, nonlinearity="relu")
    assert abs(w.array.std() - math.sqrt(2 / 300)) < 0.02 * math.sqrt(2 / 300)
    init.normal_(w, mean=3.0, std=0.5)
    assert abs(w.array.mean() - 3.0) < 0.01 and abs(w.array.std() - 0.5) < 0.01
    init.uniform_(w, -2.0, -1.0)
    assert w.array.min() >= -2.0 and w.array.max() < -1.0
    init.zeros_(w)
    assert not w.array.any()
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(nt.empty(3))


def test_layers_compute_what_the_functions_do():
    x = nt.randn(2, 3, 8, 8)
    conv = nn.Conv2d(3, 4, 3, stride=2, padding=1, bias=False)
    assert conv.bias is None
    out = conv(x)
    assert out.shape == (2, 4, 4, 4)
    np.testing.assert_allclose(out.array, F.conv2d(x, conv.weight, None, 2, 1).array)
    assert nn.MaxPool2d(2)(x).shape == (2, 3, 4, 4)
    np.testing.assert_allclose(nn.AvgPool2d(2)(x).array, x.array.reshape(2, 3, 4, 2, 4, 2).mean(axis=(3, 5)), rtol=1e-6)
    assert nn.Flatten()(x).shape == (2, 192)
    assert nn.Identity()(x) is x
    np.testing.assert_allclose(nn.Softmax(dim=1)(x).array.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(nn.LogSoftmax(dim=1)(x).array, F.log_softmax(x, 1).array)
    np.testing.assert_allclose(nn.Tanh()(x).array, np.tanh(x.array), rtol=1e-6)
    np.testing.assert_allclose(nn.Sigmoid()(x).array, 1 / (1 + np.exp(-x.array)), rtol=1e-6)
    assert float(nn.ReLU()(x).min()) == 0.0


def test_dropout_is_active_in_training_and_the_identity_in_eval():
    drop = nn.Dropout(0.5)
    x = nt.ones(1000)
    out = drop(x).array
    assert set(np.unique(out)) == {0.0, 2.0}  # kept values scaled by 1 / (1 - p)
    assert 400 < (out == 0).sum() < 600
    drop.eval()
    assert np.array_equal(drop(x).array, x.array)
    with pytest.raises(ValueError, match="dropout probability"):
        nn.Dropout(1.5)


def test_batchnorm_training_normalises_with_batch_stats_and_updates_running_stats():
    bn = nn.BatchNorm2d(3, momentum=0.1)
    x = nt.randn(4, 3, 5, 5) * 3 + 2
    out = bn(x).array
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(out.var(axis=(0, 2, 3)), 1, atol=1e-3)
    batch_mean = x.array.mean(axis=(0, 2, 3))
    batch_var_unbiased = x.array.var(axis=(0, 2, 3), ddof=1)
    np.testing.assert_allclose(bn.running_mean.array, 0.1 * batch_mean, rtol=1e-5)
    np.testing.assert_allclose(bn.running_var.array, 0.9 + 0.1 * batch_var_unbiased, rtol=1e-5)
    assert int(bn.num_batches_tracked) == 1


def test_batchnorm_eval_uses_running_stats_and_differs_from_training():
    bn = nn.BatchNorm1d(2)
    bn.running_mean.array[...] = [1.0, -1.0]
    bn.running_var.array[...] = [4.0, 0.25]
    bn.weight.array[...] = [2.0, 1.0]
    bn.bias.array[...] = [0.5, 0.0]
    x = nt.tensor([[3.0, 0.0], [5.0, 1.0]])
    bn.eval()
    expected = (x.array - [1.0, -1.0]) / np.sqrt(np.array([4.0, 0.25]) + 1e-5) * [2.0, 1.0] + [0.5, 0.0]
    np.testing.assert_allclose(bn(x).array, expected, rtol=1e-5)
    assert int(bn.num_batches_tracked) == 0  # eval does not update the statistics
    bn.train()
    assert not np.allclose(bn(x).array, expected)


def test_batchnorm_cumulative_average_and_input_checks():
    bn = nn.BatchNorm1d(2, momentum=None)
    a, b = nt.randn(8, 2), nt.randn(8, 2)
    bn(a), bn(b)
    expected = (a.array.mean(0) + b.array.mean(0)) / 2
    np.testing.assert_allclose(bn.running_mean.array, expected, rtol=1e-5)
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        bn(nt.randn(2, 2, 2, 2))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(nt.randn(1, 2))


def test_batchnorm_gradient_flows_to_input_and_affine_parameters():
    bn = nn.BatchNorm1d(3)
    x = nt.randn(5, 3, requires_grad=True)
    (bn(x) * nt.randn(5, 3)).sum().backward()
    assert x.grad.shape == (5, 3) and bn.weight.grad.shape == (3,) and bn.bias.grad.shape == (3,)
    # normalising removes the mean, so the input gradient sums to zero over the batch
    np.testing.assert_allclose(x.grad.array.sum(axis=0), 0, atol=1e-5)


def test_batchnorm_matches_pytorch():
    torch = pytest.importorskip("torch")
    ours = nn.BatchNorm2d(3, dtype=nt.float64)
    theirs = torch.nn.BatchNorm2d(3, dtype=torch.float64)
    for step in range(3):
        x = np.random.default_rng(step).standard_normal((4, 3, 3, 3)) * 2 + 1
        np.testing.assert_allclose(ours(nt.tensor(x)).array, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours.running_var.array, theirs.running_var.numpy(), rtol=1e-12)
    ours.eval(), theirs.eval()
    x = np.random.default_rng(9).standard_normal((2, 3, 3, 3))
    np.testing.assert_allclose(ours(nt.tensor(x)).array, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10)


def test_loss_modules_match_their_functions_and_reductions():
    logits = nt.randn(6, 4)
    target = nt.tensor([0, 1, 2, 3, 0, 1])
    assert nn.CrossEntropyLoss()(logits, target).item() == pytest.approx(F.cross_entropy(logits, target).item())
    smooth = nn.CrossEntropyLoss(label_smoothing=0.1, reduction="sum")(logits, target).item()
    assert smooth == pytest.approx(F.cross_entropy(logits, target, "sum", 0.1).item())
    assert nn.CrossEntropyLoss(reduction="none")(logits, target).shape == (6,)
    log_probs = F.log_softmax(logits, 1)
    assert nn.NLLLoss()(log_probs, target).item() == pytest.approx(F.cross_entropy(logits, target).item(), rel=1e-6)
    a, b = nt.randn(5, 2), nt.randn(5, 2)
    assert nn.MSELoss()(a, b).item() == pytest.approx(float(((a.array - b.array) ** 2).mean()), rel=1e-6)
    assert nn.L1Loss(reduction="sum")(a, b).item() == pytest.approx(float(np.abs(a.array - b.array).sum()), rel=1e-6)
    y = nt.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0], [1.0, 0.0]])
    p = 1 / (1 + np.exp(-a.array))
    expected = -(y.array * np.log(p) + (1 - y.array) * np.log(1 - p)).mean()
    assert nn.BCEWithLogitsLoss()(a, y).item() == pytest.approx(float(expected), rel=1e-5)
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="avg")
    assert repr(nn.CrossEntropyLoss(label_smoothing=0.1)) == "CrossEntropyLoss()"  # as PyTorch prints it


def test_clip_grad_norm_scales_gradients_to_the_max_norm():
    a = nn.Parameter(nt.zeros(2))
    b = nn.Parameter(nt.zeros(1))
    a.grad, b.grad = nt.tensor([3.0, 0.0]), nt.tensor([4.0])
    total = clip_grad_norm_([a, b], max_norm=1.0)
    assert total.item() == pytest.approx(5.0)
    np.testing.assert_allclose(a.grad.array, [3 / (5 + 1e-6), 0.0], rtol=1e-6)
    np.testing.assert_allclose(b.grad.array, [4 / (5 + 1e-6)], rtol=1e-6)
    # under the limit nothing changes; the infinity norm is the largest element
    assert clip_grad_norm_([a, b], max_norm=10.0, norm_type="inf").item() == pytest.approx(0.8, rel=1e-5)
    np.testing.assert_allclose(b.grad.array, [4 / (5 + 1e-6)], rtol=1e-6)
    b.grad = nt.tensor([float("nan")])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_([a, b], 1.0, error_if_nonfinite=True)
    clip_grad_value_([a], 0.1)
    assert a.grad.array.max() == pytest.approx(0.1)


def test_l1_penalty_sums_absolute_weights_and_skips_biases_by_default():
    layer = nn.Linear(2, 2)
    layer.weight.array[...] = [[1.0, -2.0], [0.5, 0.0]]
    layer.bias.array[...] = [10.0, -10.0]
    penalty = l1_penalty(layer, 0.1)
    assert penalty.item() == pytest.approx(0.35)
    assert l1_penalty(layer, 0.1, include_1d=True).item() == pytest.approx(2.35)
    penalty.backward()
    np.testing.assert_allclose(layer.weight.grad.array, 0.1 * np.sign(layer.weight.array))
    assert layer.bias.grad is None


def test_softmax_without_dim_uses_pytorchs_implicit_choice_and_warns():
    x = nt.randn(2, 3)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax has been deprecated"):
        rows = F.softmax(x)
    np.testing.assert_allclose(rows.detach().numpy().sum(axis=1), [1.0, 1.0], rtol=1e-6)  # 2-D: dim=1
    v = nt.randn(3, 4, 5)
    with pytest.warns(UserWarning, match="log_softmax"):
        out = F.log_softmax(v)
    np.testing.assert_allclose(np.exp(out.detach().numpy()).sum(axis=0), np.ones((4, 5)), rtol=1e-5)  # 3-D: dim=0
    with pytest.warns(UserWarning, match="Implicit dimension") as record:
        nn.Softmax()(x)
    assert record[0].filename == __file__  # points at the line that called the module, as PyTorch aims to
    np.testing.assert_allclose(F.softmax(x, dim=0).detach().numpy().sum(axis=0), [1.0, 1.0, 1.0], rtol=1e-6)


def test_flatten_with_start_and_end_dim_as_in_the_polynomial_example():
    model = nn.Sequential(nn.Linear(3, 1), nn.Flatten(0, 1))
    assert model(nt.randn(7, 3)).shape == (7,)
    assert nn.Flatten(1, 2)(nt.zeros(2, 3, 4, 5)).shape == (2, 12, 5)
    assert repr(nn.Flatten(0, 1)) == "Flatten(start_dim=0, end_dim=1)"


def test_layers_and_losses_print_as_pytorch():
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.Dropout()) == "Dropout(p=0.5, inplace=False)"
    assert repr(nn.ReLU()) == "ReLU()" and repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.MSELoss(reduction="sum")) == "MSELoss()"
    with pytest.raises(ValueError, match="ceil_mode"):
        nn.MaxPool2d(2, ceil_mode=True)


def test_old_size_average_flag_maps_to_reduction_with_pytorchs_warning():
    a, b = nt.ones(3), nt.zeros(3)
    with pytest.warns(UserWarning, match="please use reduction='sum' instead"):
        summed = nn.MSELoss(size_average=False)
    assert summed.reduction == "sum" and summed(a, b).item() == 3.0
    with pytest.warns(UserWarning):
        assert nn.MSELoss(reduce=False).reduction == "none"
    with pytest.raises(ValueError, match="weight="):
        nn.CrossEntropyLoss(weight=nt.ones(3))


def test_bce_loss_on_probabilities_clamps_log_at_minus_100_as_pytorch():
    p, t = nt.tensor([0.2, 0.9, 0.5]), nt.tensor([0.0, 1.0, 1.0])
    expected = -np.mean([np.log(0.8), np.log(0.9), np.log(0.5)])
    assert nn.BCELoss()(p, t).item() == pytest.approx(expected, rel=1e-6)
    saturated = nt.tensor([0.0, 1.0], requires_grad=True)  # a sigmoid in float32 reaches exactly 0 and 1
    loss = nn.BCELoss(reduction="sum")(saturated, nt.tensor([1.0, 0.0]))
    assert loss.item() == 200.0
    loss.backward()
    assert np.isfinite(saturated.grad.numpy()).all()
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        nn.BCELoss()(nt.tensor([1.5]), nt.tensor([1.0]))
    with pytest.raises(ValueError, match="same size"):
        nn.BCELoss()(nt.tensor([0.5, 0.5]), nt.tensor([[1.0, 0.0]]))


def test_leaky_relu_scales_the_negative_side():
    out = nn.LeakyReLU(0.2)(nt.tensor([-2.0, 0.0, 3.0]))
    np.testing.assert_allclose(out.numpy(), [-0.4, 0.0, 3.0], rtol=1e-6)
    assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
