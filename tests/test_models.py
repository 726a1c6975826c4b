"""MLP and LeNet, and the tutorial problems they must learn in seconds."""
import numpy as np
import pytest

import nettrain as nt
from nettrain import models, nn, optim


def test_lenet_for_mnist_has_44426_parameters_and_plain_stable_keys():
    model = models.LeNet()
    assert model.num_parameters() == 44_426
    assert list(model.state_dict()) == [
        "features.0.weight", "features.0.bias", "features.3.weight", "features.3.bias",
        "classifier.0.weight", "classifier.0.bias", "classifier.2.weight", "classifier.2.bias",
        "classifier.4.weight", "classifier.4.bias",
    ]
    assert model.classifier[0].weight.shape == (120, 256)
    assert model(nt.randn(3, 1, 28, 28)).shape == (3, 10)


def test_lenet_on_32x32_input_uses_400_features_and_other_options():
    model = models.LeNet(in_channels=3, num_classes=5, activation="tanh", pool="avg", input_size=32)
    assert model.classifier[0].weight.shape == (120, 400)
    assert isinstance(model.features[1], nn.Tanh) and isinstance(model.features[2], nn.AvgPool2d)
    assert model(nt.randn(2, 3, 32, 32)).shape == (2, 5)
    with pytest.raises(ValueError, match=r"expects images \(N, C, 32, 32\), got shape \(2, 3, 28, 28\)"):
        model(nt.randn(2, 3, 28, 28))


def test_lenet_repr_reads_like_pytorch():
    text = repr(models.LeNet())
    assert text.startswith("LeNet(\n  (features): Sequential(\n    (0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))")
    assert "(4): Linear(in_features=84, out_features=10, bias=True)\n  )\n)" in text


def test_mlp_layers_flatten_images_and_dropout_only_in_training():
    model = models.MLP(784, [32, 16], 10, activation="sigmoid", dropout=0.5)
    assert [type(m).__name__ for m in model.layers] == [
        "Linear", "Sigmoid", "Dropout", "Linear", "Sigmoid", "Dropout", "Linear"]
    assert model.num_parameters() == 784 * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10
    x = nt.randn(4, 1, 28, 28)
    assert model(x).shape == (4, 10)
    assert not np.array_equal(model(x).array, model(x).array)  # a fresh dropout mask each time
    model.eval()
    np.testing.assert_array_equal(model(x).array, model(x).array)
    assert list(models.MLP(3, 4, 2).state_dict()) == ["layers.0.weight", "layers.0.bias", "layers.2.weight",
                                                      "layers.2.bias"]


def test_build_model_by_name_and_clear_errors():
    assert isinstance(models.build_model("lenet", num_classes=3), models.LeNet)
    assert isinstance(models.build_model("mlp", in_features=4, hidden=[2], out_features=1), models.MLP)
    with pytest.raises(ValueError, match="unknown model 'resnet'; expected one of lenet, mlp"):
        models.build_model("resnet")
    with pytest.raises(ValueError, match="unknown activation 'gelu'; expected one of relu, sigmoid, tanh"):
        models.MLP(2, [2], 1, activation="gelu")
    with pytest.raises(ValueError, match="unknown pool 'min'"):
        models.LeNet(pool="min")
    with pytest.raises(ValueError, match="at least 16x16"):
        models.LeNet(input_size=12)


def test_lenet_learns_a_tiny_batch():
    # 16 random images with random labels: the model memorises them (about 18 steps).
    model = models.LeNet()
    opt = optim.Adam(model.parameters(), lr=3e-3)
    x, y = nt.randn(16, 1, 28, 28), nt.randint(0, 10, (16,))
    for _ in range(30):
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert (model(x).argmax(1) == y).all()


def test_two_clusters_reach_99_percent_accuracy():
    # The tutorial's classification: Gaussian clouds at (+4, +4) and (-4, -4),
    # std 2, 500 points each (the Bayes error is about 0.2 %). Measured: 99.9 %.
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(4, 2, (500, 2)), rng.normal(-4, 2, (500, 2))]).astype(np.float32)
    y = np.concatenate([np.ones(500), np.zeros(500)]).astype(np.float32).reshape(-1, 1)
    model = models.MLP(2, [10], 1)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    criterion = nn.BCEWithLogitsLoss()
    inputs, targets = nt.tensor(x), nt.tensor(y)
    for _ in range(100):
        loss = criterion(model(inputs), targets)
        opt.zero_grad()
        loss.backward()
        opt.step()
    accuracy = ((model(inputs).array > 0) == (y > 0.5)).mean()
    assert accuracy >= 0.99


def test_cubic_regression_reaches_the_noise_floor():
    # y = x**3 + 0.3 * noise on [-3, 3] with a 1-20-1 ReLU net. The noise
    # alone has variance 0.09; the fit measures 0.078 (seeds 0-2: 0.078-0.097),
    # against a target variance of about 83.
    rng = np.random.default_rng(0)
    x = np.linspace(-3, 3, 200, dtype=np.float32).reshape(-1, 1)
    y = x ** 3 + 0.3 * rng.standard_normal(x.shape).astype(np.float32)
    model = models.MLP(1, [20], 1)
    opt = optim.Adam(model.parameters(), lr=0.05)
    inputs, targets = nt.tensor(x), nt.tensor(y)
    for _ in range(1000):
        loss = nn.functional.mse_loss(model(inputs), targets)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.15
    clean = nn.functional.mse_loss(model(inputs), nt.tensor(x ** 3)).item()
    assert clean < 0.1  # it learned the curve, not the noise (measured 0.019)
