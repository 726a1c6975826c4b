"""nettrain.vision: MNIST/FashionMNIST Datasets over nettrain's files,
torchvision's transforms and make_grid."""
from pathlib import Path

import numpy as np
import pytest

import nettrain as nt
import nettrain.vision as torchvision
import nettrain.vision.transforms as transforms
from nettrain.errors import DataError
from nettrain.utils.data import DataLoader

SHIPPED = Path(__file__).resolve().parents[1] / "data"  # the repository's data/mnist


def test_mnist_dataset_gives_transformed_images_and_int_labels():
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    testset = torchvision.datasets.MNIST(SHIPPED, train=False, download=False, transform=transform)
    assert len(testset) == 10000 and testset.data.shape == (10000, 28, 28) and testset.targets.dtype == nt.int64
    image, label = testset[0]
    assert isinstance(image, nt.Tensor) and image.shape == (1, 28, 28) and image.dtype == nt.float32
    assert label == 7 and isinstance(label, int)  # MNIST's first test digit
    raw = testset.data[0].numpy().astype(np.float32)
    np.testing.assert_allclose(image.numpy()[0], (raw / 255 - 0.1307) / 0.3081, rtol=1e-5, atol=1e-6)
    assert testset.classes[7] == "7 - seven" and testset.class_to_idx["0 - zero"] == 0
    assert repr(testset) == (
        "Dataset MNIST\n"
        "    Number of datapoints: 10000\n"
        f"    Root location: {SHIPPED}\n"
        "    Split: Test\n"
        "    StandardTransform\n"
        "Transform: Compose(\n"
        "               ToTensor()\n"
        "               Normalize(mean=(0.1307,), std=(0.3081,))\n"
        "           )"
    )


def test_mnist_through_a_dataloader_gives_batches_like_torchvision():
    testset = torchvision.datasets.MNIST(SHIPPED, train=False, transform=transforms.ToTensor(),
                                         target_transform=transforms.Lambda(lambda y: y % 2))
    images, labels = next(iter(DataLoader(testset, batch_size=4, shuffle=False)))
    assert images.shape == (4, 1, 28, 28) and labels.dtype == nt.int64
    assert labels.tolist() == [int(t) % 2 for t in testset.targets[:4].tolist()]
    assert 0.0 <= images.min().item() and images.max().item() <= 1.0


def test_a_named_root_without_the_files_is_the_only_place_looked_in(tmp_path):
    with pytest.raises(DataError, match="root") as err:
        torchvision.datasets.MNIST(tmp_path / "nowhere", download=False)
    assert not (tmp_path / "nowhere").exists()
    # the argument the Python caller gave, not the config key it never wrote
    assert "(download=False)" in str(err.value) and "data.download" not in str(err.value)


def test_fashion_mnist_over_the_real_files(real_data_root):
    trainset = torchvision.datasets.FashionMNIST(real_data_root, train=True, download=False)
    image, label = trainset[0]
    assert image.shape == (28, 28) and image.dtype == np.uint8 and trainset.classes[label] == "Ankle boot"
    assert len(trainset) == 60000


def test_to_tensor_scales_uint8_and_moves_channels_first():
    hwc = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3) * 10
    out = transforms.ToTensor()(hwc)
    assert out.shape == (3, 2, 3) and out.dtype == nt.float32
    np.testing.assert_allclose(out.numpy(), hwc.transpose(2, 0, 1) / 255, rtol=1e-6)
    floats = np.full((2, 2), 7.0)
    assert transforms.ToTensor()(floats).numpy().max() == 7.0  # not scaled, as torchvision
    PIL = pytest.importorskip("PIL.Image")
    grey = PIL.fromarray(np.full((4, 5), 255, dtype=np.uint8))
    assert transforms.ToTensor()(grey).shape == (1, 4, 5)
    with pytest.raises(TypeError, match="PIL Image or ndarray"):
        transforms.ToTensor()([1, 2])


def test_normalize_per_channel_and_its_errors():
    image = nt.ones(3, 2, 2)
    out = transforms.Normalize([0.5, 0.0, 1.0], [0.5, 2.0, 1.0])(image)
    np.testing.assert_allclose(out.numpy()[:, 0, 0], [1.0, 0.5, 0.0])
    with pytest.raises(TypeError, match="Tensor Image"):
        transforms.Normalize((0.5,), (0.5,))(np.ones((1, 2, 2)))
    with pytest.raises(ValueError, match="division by zero"):
        transforms.Normalize((0.5,), (0.0,))
    assert repr(transforms.Normalize([0.5], [0.5])) == "Normalize(mean=[0.5], std=[0.5])"


def test_resize_keeps_the_aspect_ratio_and_interpolates_bilinearly():
    image = nt.tensor([[[0.0, 1.0], [2.0, 3.0]]])
    up = transforms.Resize((4, 4))(image).numpy()[0]
    # half-pixel bilinear: the first row interpolates 0 -> 1 as 0, 0.25, 0.75, 1
    np.testing.assert_allclose(up[0], [0.0, 0.25, 0.75, 1.0], atol=1e-6)
    assert transforms.Resize(14)(np.zeros((28, 56), dtype=np.uint8)).shape == (14, 28)
    assert transforms.Resize(32)(nt.zeros(1, 28, 28)).shape == (1, 32, 32)
    shrunk = transforms.Resize(2)(np.full((8, 8), 200, dtype=np.uint8))
    assert shrunk.dtype == np.uint8 and (shrunk == 200).all()
    assert repr(transforms.Resize(32)) == "Resize(size=32, interpolation=bilinear, max_size=None, antialias=True)"


def test_resize_matches_pytorchs_antialiased_bilinear():
    torch = pytest.importorskip("torch")
    image = np.random.default_rng(0).random((3, 17, 23)).astype(np.float32)
    for size in [(32, 40), (8, 11), (30, 12)]:
        ours = transforms.Resize(list(size))(nt.from_numpy(image)).numpy()
        theirs = torch.nn.functional.interpolate(torch.from_numpy(image)[None], size=size, mode="bilinear",
                                                 antialias=True, align_corners=False)[0].numpy()
        np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_lambda_and_compose():
    double = transforms.Lambda(lambda x: x * 2)
    assert transforms.Compose([double, double])(3) == 12
    assert repr(transforms.Compose([transforms.ToTensor(), double])) == "Compose(\n    ToTensor()\n    Lambda()\n)"
    with pytest.raises(TypeError, match="callable"):
        transforms.Lambda(3)


def test_make_grid_tiles_images_with_padding():
    batch = nt.ones(5, 1, 4, 4)
    grid = torchvision.utils.make_grid(batch, nrow=3, padding=2)
    assert grid.shape == (3, 2 * 6 + 2, 3 * 6 + 2)  # grey -> 3 channels, 2 rows of 3
    g = grid.numpy()
    assert g[0, 2:6, 2:6].min() == 1.0 and g[0, 0:2].max() == 0.0 and g[0, 8:12, 14:18].max() == 0.0  # 6th cell empty
    normalised = torchvision.utils.make_grid(nt.tensor([[[[2.0, 4.0]]]]), normalize=True)
    np.testing.assert_allclose(normalised.numpy()[0, 0], [0.0, 1.0])


def test_to_tensor_follows_the_default_dtype():
    nt.set_default_dtype(nt.float64)
    try:
        assert transforms.ToTensor()(np.zeros((2, 2), dtype=np.uint8)).dtype == nt.float64
    finally:
        nt.set_default_dtype(nt.float32)
