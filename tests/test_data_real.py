"""Real MNIST and Fashion-MNIST, found through NETTRAIN_DATA (../shared/data on dev and CI machines).

``real_data_root`` (tests/conftest.py) sets NETTRAIN_DATA, or skips when there is no real data.
"""
import numpy as np
import pytest

from nettrain.data import MNIST, FashionMNIST, build_data


@pytest.mark.parametrize("cls", [MNIST, FashionMNIST])
def test_splits_have_the_published_shapes_and_dtypes(real_data_root, cls):
    train, test = cls(train=True), cls(train=False)
    assert train.data.shape == (60000, 28, 28) and test.data.shape == (10000, 28, 28)
    assert train.data.dtype == np.uint8 and train.targets.dtype == np.int64
    assert len(train.classes) == 10
    assert train.folder == real_data_root / cls.name


def test_mnist_label_counts(real_data_root):
    counts = np.bincount(MNIST(train=True).targets, minlength=10)
    assert counts[1] == 6742
    assert counts.sum() == 60000
    assert np.bincount(MNIST(train=False).targets).tolist()[:2] == [980, 1135]


def test_fashion_mnist_is_balanced(real_data_root):
    assert np.bincount(FashionMNIST(train=True).targets).tolist() == [6000] * 10
    assert np.bincount(FashionMNIST(train=False).targets).tolist() == [1000] * 10


def test_build_data_gives_normalized_nchw_batches(real_data_root):
    bundle = build_data("mnist", val_split=5000, transforms=["normalize"], batch_size=64, seed=0)
    assert bundle.input_shape == (1, 28, 28) and bundle.output_size == 10
    assert bundle.train[0].shape == (55000, 1, 28, 28) and bundle.val[0].shape == (5000, 1, 28, 28)
    # The default MNIST normalisation (0.1307, 0.3081) leaves the training pixels near mean 0, std 1.
    assert abs(float(bundle.train[0].mean())) < 0.01 and abs(float(bundle.train[0].std()) - 1) < 0.01
    loader = bundle.loader("train")
    assert len(loader) == 860
    xb, yb = next(iter(loader))
    assert xb.shape == (64, 1, 28, 28) and xb.dtype == np.float32 and yb.dtype == np.int64
    assert bundle.source == str(real_data_root / "mnist")


def test_flatten_and_train_size_prefix(real_data_root):
    bundle = build_data("fashion-mnist", transforms=["flatten"], train_size=1000, test_size=200, seed=0)
    assert bundle.train[0].shape == (1000, 784) and bundle.test[0].shape == (200, 784)
    assert bundle.input_shape == (784,)
    assert 0.0 <= bundle.train[0].min() and bundle.train[0].max() <= 1.0


def test_cli_info_prints_counts(real_data_root, capsys):
    import nettrain.cli.data  # noqa: F401 - registers the `data` sub-app
    from nettrain.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["data", "info", "mnist"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    assert "60,000" in out and "10,000" in out and "6,742" in out and "0.1307" in out


def test_building_mnist_holds_each_split_once(real_data_root):
    """`nettrain train configs/lenet.yaml` peaked at 687 MB: the data step held
    the training images as float32 three times over (the whole split, its
    train/val parts, their normalised copies). Each split is now converted
    to floats after the split and normalised in that one array."""
    import tracemalloc

    tracemalloc.start()
    try:
        bundle = build_data("mnist", val_split=5000, transforms=["normalize"], seed=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    held = sum(split[0].nbytes for split in (bundle.train, bundle.val, bundle.test))
    assert peak < 1.5 * held, (peak / 2**20, held / 2**20)  # was 2.9x
    expected = (MNIST(train=False).data[:5].astype(np.float32) / 255 - np.float32(0.1307)) / np.float32(0.3081)
    np.testing.assert_allclose(bundle.test[0][:5, 0], expected, rtol=1e-6, atol=1e-6)
