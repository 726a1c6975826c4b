"""The data sets: MNIST and Fashion-MNIST from IDX files, and the tutorials' synthetic sets.

Where image files are looked for (first folder holding all four files wins)::

    1. the config's data.root (or --root)   <root>/mnist/, <root>/fashion-mnist/:
                                            when given, the ONLY place looked in
    2. $NETTRAIN_DATA                       same layout
    3. ./data in the working directory      the repository ships data/mnist/ there
    4. the per-user cache                   $XDG_CACHE_HOME/nettrain (default ~/.cache/nettrain)
    5. the system folder                    /usr/share/datasets/<name> (Debian's dataset-fashion-mnist)

Files found locally are checked by structure (IDX header, sizes, labels
matching images), not by the mirrors' .gz MD5: a recompressed copy is as good.
Looking never creates a folder; a download creates only the folders it
writes a file into, and removes them again when it fails.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import numpy as np

from ..config.checks import Integer, Nullable, Number
from ..errors import DataError
from ..registry import register
from . import download as _download
from .idx import read_idx_pair

# --------------------------------------------------------------------------- image data sets

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"
IMAGE_FILES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)
SPLIT_FILES = {"train": (TRAIN_IMAGES, TRAIN_LABELS), "test": (TEST_IMAGES, TEST_LABELS)}


@dataclass(frozen=True)
class ImageDatasetInfo:
    name: str                   # config name and folder name under a root
    title: str
    classes: tuple
    split_sizes: dict           # {"train": 60000, "test": 10000}
    image_shape: tuple          # (28, 28)
    normalize: tuple            # default (mean, std) of pixels scaled to [0, 1]
    content_sha256: dict        # decompressed file name -> SHA-256 of its content


IMAGE_DATASETS = {
    "mnist": ImageDatasetInfo(
        name="mnist",
        title="MNIST handwritten digits",
        classes=tuple(str(d) for d in range(10)),
        split_sizes={"train": 60000, "test": 10000},
        image_shape=(28, 28),
        normalize=(0.1307, 0.3081),
        content_sha256={
            "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        },
    ),
    "fashion-mnist": ImageDatasetInfo(
        name="fashion-mnist",
        title="Fashion-MNIST (Zalando Research)",
        classes=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                 "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
        split_sizes={"train": 60000, "test": 10000},
        image_shape=(28, 28),
        normalize=(0.2860, 0.3530),
        content_sha256={
            "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        },
    ),
}

# Where Debian's dataset-* packages install data sets (a module constant so tests can move it).
SYSTEM_DATA_ROOT = Path("/usr/share/datasets")


def cache_root() -> Path:
    """The per-user cache folder: $XDG_CACHE_HOME/nettrain, else ~/.cache/nettrain."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "nettrain"


# The working directory's data folder (PyTorch tutorials' root='./data'); relative
# on purpose, so messages show the path as the user would type it.
WORKING_DIR_DATA = Path("data")


def candidate_roots(root=None, root_label: str = "data.root") -> list:
    """The data roots to search, in order, each as (Path, where it came from).

    A root the user names (``data.root``, ``--root``) is the only place:
    falling back elsewhere would hide a mistyped path.
    """
    if root:
        return [(Path(root).expanduser(), root_label)]
    roots = []
    env = os.environ.get("NETTRAIN_DATA")
    if env:
        roots.append((Path(env).expanduser(), "NETTRAIN_DATA"))
    roots.append((WORKING_DIR_DATA, "./data in the working directory"))
    roots.append((cache_root(), "user cache"))
    roots.append((SYSTEM_DATA_ROOT, "system folder"))
    return roots


def find_dataset(name: str, root=None, root_label: str = "data.root"):
    """The first ``<root>/<name>/`` holding all four files, as (folder, where), or None."""
    for base, where in candidate_roots(root, root_label):
        folder = base / name
        if all((folder / f).is_file() for f in IMAGE_FILES):
            return folder, where
    return None


def _existing_ancestor(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def download_destination(name: str, root=None, root_label: str = "data.root") -> Path:
    """Where a download goes (nothing is created here).

    A named root is the destination, created if need be. Otherwise the first
    usable of $NETTRAIN_DATA (only when that folder exists: a mistyped path
    is not created) and the user cache. Never ./data or the system folder.
    """
    if root:
        candidates = candidate_roots(root, root_label)
    else:
        candidates = [(base, where) for base, where in candidate_roots()
                      if where in ("NETTRAIN_DATA", "user cache")]
    tried = []
    for base, where in candidates:
        if where == "NETTRAIN_DATA" and not base.is_dir():
            tried.append(f"{base} ({where}): does not exist")
            continue
        folder = base / name
        ancestor = _existing_ancestor(folder)
        if not ancestor.is_dir():
            tried.append(f"{folder} ({where}): {ancestor} is a file")
        elif not os.access(ancestor, os.W_OK | os.X_OK):
            tried.append(f"{folder} ({where}): {ancestor} is not writable")
        else:
            return folder
    raise DataError("no writable folder to download into:\n  " + "\n  ".join(tried))


def not_found_message(name: str, root, reason: str, root_label: str = "data.root") -> str:
    """The one message for image files that are not there: where nettrain
    looked, why it did not download, and the ways to provide the files."""
    places = []
    for base, where in candidate_roots(root, root_label):
        note = f"; {base} does not exist" if where == "NETTRAIN_DATA" and not base.is_dir() else ""
        places.append(f"  {base / name}/  ({where}{note})")
    files = ", ".join(IMAGE_FILES)
    if root:
        return (
            f"{name} data not found in {Path(root).expanduser() / name}/ ({root_label}; a named root "
            f"is the only place looked in).\n{reason}\n"
            "To provide the files, do one of:\n"
            f"  - copy {files} into {Path(root).expanduser() / name}/;\n"
            f"  - run `nettrain data download {name} --root {root}` on a machine with network access;\n"
            f"  - remove {root_label} to search $NETTRAIN_DATA, ./data and the user cache."
        )
    return (
        f"{name} data not found. Looked in:\n" + "\n".join(places) + f"\n{reason}\n"
        "To provide the files, do one of:\n"
        f"  - set NETTRAIN_DATA to a folder that contains {name}/ with the four files;\n"
        f"  - run `nettrain data download {name}` on a machine with network access;\n"
        f"  - copy {files} into one of the folders above."
    )


def fetch_dataset(name: str, root=None, root_label: str = "data.root") -> Path:
    """Download ``name``'s files into :func:`download_destination` and return that folder.

    Folders are created only for the files written: a failed download
    removes the folders it created. Raises DataError naming the places and
    the remedies. (Each mirror's failure was already shown as it happened,
    so the message gives only the first line of the download error.)
    """
    folder = download_destination(name, root, root_label)
    created = []
    probe = folder.absolute()
    while not probe.exists():
        created.append(probe)
        probe = probe.parent
    try:
        _download.download_dataset(name, folder)
    except DataError as err:
        for path in created:  # deepest first; stop at the first that holds anything
            try:
                path.rmdir()
            except OSError:
                break
        first_line = str(err).splitlines()[0].rstrip(":")
        raise DataError(not_found_message(
            name, root, f"Download failed: {first_line} (each mirror's error is shown above).", root_label,
        )) from None
    return folder


def ensure_dataset(name: str, root=None, download: bool = True, root_label: str = "data.root"):
    """The folder holding ``name``'s four files, downloading them when missing and allowed.

    Returns (folder, where it was found). Raises DataError with the places
    looked in and how to provide the files.
    """
    if name not in IMAGE_DATASETS:
        raise ValueError(f"unknown image data set {name!r}; expected one of {', '.join(IMAGE_DATASETS)}")
    found = find_dataset(name, root, root_label)
    if found is not None:
        return found
    if not download:
        # Named as the caller spelled it: a config's key, or nettrain.vision's argument (root_label "root").
        off = "data.download: false" if root_label == "data.root" else "download=False"
        raise DataError(not_found_message(name, root, f"Downloading is off ({off}).", root_label))
    return fetch_dataset(name, root, root_label), "downloaded"


def load_split(name: str, split: str, root=None, download: bool = True, root_label: str = "data.root"):
    """(images uint8 (N, H, W), labels int64 (N,), folder) of one split of an image data set.
    ``root_label`` names the root in messages (``root`` for nettrain.vision's data sets)."""
    if split not in SPLIT_FILES:
        raise ValueError(f"unknown split {split!r}; expected 'train' or 'test'")
    info = IMAGE_DATASETS[name]
    folder, _ = ensure_dataset(name, root, download, root_label)
    images_file, labels_file = SPLIT_FILES[split]
    images, labels = read_idx_pair(folder / images_file, folder / labels_file, num_classes=len(info.classes))
    if images.shape[1:] != info.image_shape:
        raise DataError(f"{folder / images_file}: expected {info.image_shape} images, found {images.shape[1:]}")
    return images, labels.astype(np.int64), folder


class _ImageDataset:
    """One split of an image data set, named as in torchvision: ``data`` (N, H, W) uint8, ``targets`` int64.

    ``MNIST(root=None, train=True, download=True)``; ``root=None`` searches
    $NETTRAIN_DATA, ./data, the user cache and the system folder; a root
    given is the only place looked in.
    """

    name = ""

    def __init__(self, root=None, train: bool = True, download: bool = True):
        self.info = IMAGE_DATASETS[self.name]
        self.split = "train" if train else "test"
        self.data, self.targets, self.folder = load_split(self.name, self.split, root, download)
        self.classes = list(self.info.classes)

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, index):
        return self.data[index], int(self.targets[index])

    def __repr__(self):
        return f"{type(self).__name__}(split={self.split!r}, samples={len(self)}, folder='{self.folder}')"


@register("dataset", "mnist", "handwritten digits: 28x28 grey images, 10 classes, 60,000 + 10,000",
          group="the image data sets")
class MNIST(_ImageDataset):
    name = "mnist"


@register("dataset", "fashion-mnist", "clothing: 28x28 grey images, 10 classes, 60,000 + 10,000",
          group="the image data sets")
class FashionMNIST(_ImageDataset):
    name = "fashion-mnist"


# --------------------------------------------------------------------------- synthetic data sets


@dataclass(frozen=True)
class SyntheticInfo:
    name: str
    task: str                   # "regression" or "classification"
    description: str
    train_size: int
    test_size: int
    noise: float                # U(0,1) multiplier (regression) or multiplier on the cloud stds


SYNTHETIC_DATASETS = {
    "linear": SyntheticInfo("linear", "regression", "y = x + noise*U(0,1), x ~ U(-3, 3)", 1000, 200, 1.2),
    "cubic": SyntheticInfo("cubic", "regression", "y = x**3 + noise*U(0,1), x ~ U(-3, 3)", 1000, 200, 0.3),
    "clusters": SyntheticInfo(
        "clusters", "classification",
        "2 Gaussian clouds in 2-D: class 0 at (+4,+4) std 2, class 1 at (-4,-4) std 2", 1000, 200, 1.0),
    "clusters3": SyntheticInfo(
        "clusters3", "classification",
        "3 Gaussian clouds in 2-D: (+4,+4) std 2, (-4,-4) std 1, (-8,-8) std 1", 1500, 300, 1.0),
}

# (centre, std) of each class's cloud; the centre is repeated on both axes.
CLOUDS = {
    "clusters": ((4.0, 2.0), (-4.0, 2.0)),
    "clusters3": ((4.0, 2.0), (-4.0, 1.0), (-8.0, 1.0)),
}


def _regression(fn, n: int, noise: float, rng: np.random.Generator):
    x = rng.uniform(-3.0, 3.0, size=(n, 1))
    y = fn(x) + noise * rng.uniform(0.0, 1.0, size=(n, 1))
    return x.astype(np.float32), y.astype(np.float32)


def _clouds(clouds, n: int, noise: float, rng: np.random.Generator):
    # n samples split as evenly as possible among the classes, then shuffled
    # so the arrays are not sorted by class.
    counts = [n // len(clouds) + (1 if k < n % len(clouds) else 0) for k in range(len(clouds))]
    xs, ys = [], []
    for label, ((centre, std), count) in enumerate(zip(clouds, counts)):
        xs.append(rng.normal(centre, std * noise, size=(count, 2)))
        ys.append(np.full(count, label, dtype=np.int64))
    order = rng.permutation(n)
    return np.concatenate(xs).astype(np.float32)[order], np.concatenate(ys)[order]


def _check_size(value, key: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{key} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def make_synthetic(
    name: str,
    train_size: Annotated[int, Nullable(Integer(ge=1)), "training examples to draw (null: the data set's default)"] = None,
    test_size: Annotated[int, Nullable(Integer(ge=1)), "test examples to draw (null: the data set's default)"] = None,
    noise: Annotated[float, Nullable(Number(ge=0)),
                     "linear/cubic: the multiplier of the added U(0,1) noise; clusters: a multiplier on the "
                     "clouds' standard deviations (null: the data set's default)"] = None,
    seed: int = 0,
) -> dict:
    """{"train": (x, y), "test": (x, y)} for a synthetic data set.

    Train and test come from two independent streams spawned from ``seed``,
    so the test split does not change when ``train_size`` does.
    """
    if name not in SYNTHETIC_DATASETS:
        raise ValueError(f"unknown synthetic data set {name!r}; expected one of {', '.join(SYNTHETIC_DATASETS)}")
    info = SYNTHETIC_DATASETS[name]
    sizes = {
        "train": _check_size(info.train_size if train_size is None else train_size, "train_size", 1),
        "test": _check_size(info.test_size if test_size is None else test_size, "test_size", 1),
    }
    if noise is None:
        noise = info.noise
    if isinstance(noise, bool) or not isinstance(noise, (int, float)) or noise < 0:
        raise ValueError(f"noise must be a number >= 0, got {noise!r}")
    streams = np.random.SeedSequence(int(seed)).spawn(2)
    splits = {}
    for (split, n), stream in zip(sizes.items(), streams):
        rng = np.random.default_rng(stream)
        if name == "linear":
            splits[split] = _regression(lambda x: x, n, float(noise), rng)
        elif name == "cubic":
            splits[split] = _regression(lambda x: x ** 3, n, float(noise), rng)
        else:
            splits[split] = _clouds(CLOUDS[name], n, float(noise), rng)
    return splits


def synthetic_classes(name: str) -> list:
    """Class names of a synthetic classification set: one per cloud, named by its centre."""
    return [f"cloud at {centre:+g}" for centre, _ in CLOUDS[name]]


for _info in SYNTHETIC_DATASETS.values():  # one function draws them all; each name is a choice
    register("dataset", _info.name, f"synthetic {_info.task}: {_info.description}",
             group="the synthetic data sets")(make_synthetic)
del _info

DATASET_NAMES = tuple(IMAGE_DATASETS) + tuple(SYNTHETIC_DATASETS)
