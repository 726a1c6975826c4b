"""MNIST and Fashion-MNIST as Datasets, as ``torchvision.datasets``.

The files are nettrain's (``nettrain.data``): ``MNIST("data")`` reads
``data/mnist/`` (the four IDX files), downloading them there when missing
and ``download`` is true, as torchvision downloads into its root;
``root=None`` searches nettrain's usual places ($NETTRAIN_DATA, ./data, the
user cache, the system folder).

One difference: a sample's image is a NumPy uint8 array (H, W), not a PIL
Image (nettrain does not depend on Pillow); every transform here, and
matplotlib's ``imshow``, takes it as torchvision's take a PIL Image.
"""
from __future__ import annotations

from ..data.datasets import load_split
from ..tensor import from_numpy
from ..utils.data import Dataset


class _IdxImages(Dataset):
    """One split of an IDX image data set: ``data`` (N, H, W) uint8 and
    ``targets`` (N,) int64 Tensors, ``classes``, and (image, label) samples."""

    name = ""        # nettrain's data set name: the folder under a root
    classes = []

    def __init__(self, root=None, train=True, transform=None, target_transform=None, download=True):
        self.root, self.train = root, train
        self.transform, self.target_transform = transform, target_transform
        images, labels, self.folder = load_split(
            self.name, "train" if train else "test", root, download, root_label="root")
        self._images = images
        self._labels = labels.tolist()  # ints, as torchvision's targets[i] give
        self.data, self.targets = from_numpy(images), from_numpy(labels)

    @property
    def class_to_idx(self):
        return {name: i for i, name in enumerate(self.classes)}

    def __len__(self):
        return len(self._labels)

    def __getitem__(self, index):
        image, target = self._images[index], self._labels[index]
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __repr__(self):
        # torchvision's text, including its quirk: the transform lines after
        # "StandardTransform" are not indented.
        body = [f"Number of datapoints: {len(self)}"]
        if self.root is not None:
            body.append(f"Root location: {self.root}")
        body.append(f"Split: {'Train' if self.train else 'Test'}")
        if self.transform is not None or self.target_transform is not None:
            standard = ["StandardTransform"]
            if self.transform is not None:
                standard += _aligned("Transform: ", repr(self.transform))
            if self.target_transform is not None:
                standard += _aligned("Target transform: ", repr(self.target_transform))
            body.append("\n".join(standard))
        return "\n".join([f"Dataset {type(self).__name__}"] + ["    " + line for line in body])


def _aligned(head, text):
    lines = text.splitlines()
    return [head + lines[0]] + [" " * len(head) + line for line in lines[1:]]


class MNIST(_IdxImages):
    """Handwritten digits 0-9, 28x28 grey: 60,000 train and 10,000 test images."""

    name = "mnist"
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
               "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]


class FashionMNIST(_IdxImages):
    """Zalando's clothing images, 28x28 grey, 10 classes, MNIST's sizes."""

    name = "fashion-mnist"
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
