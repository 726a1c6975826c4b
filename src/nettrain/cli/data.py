"""``nettrain data``: download, describe and verify the data sets.

    nettrain data download mnist [--root DIR]
    nettrain data info mnist [--root DIR]
    nettrain data verify fashion-mnist [--root DIR]

NumPy and the data package are imported inside the commands, so that
``nettrain --help`` starts quickly. Tables are plain aligned lines (tables.py),
as eval's, runs' and gradcheck's are: a pipe or a log gets no box drawing,
and a number is never cut or wrapped.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..errors import DataError, UsageError
from .common import DATA_ROOT_OPTION, HELP_SETTINGS, Command, app, console
from .tables import Column, fit, print_table

data_app = typer.Typer(
    help="""Download, describe and verify data sets (MNIST, Fashion-MNIST; synthetic sets for info).

    Examples:

    \b
        nettrain data info mnist
        nettrain data download fashion-mnist --root data
        nettrain data verify mnist
    """,
    no_args_is_help=True,
    **HELP_SETTINGS,
)
app.add_typer(data_app, name="data")

# Written out, not computed, so that defining the commands imports no data
# code; a test checks it names every data set.
DATASETS_HELP = "A data set: mnist, fashion-mnist, linear, cubic, clusters, clusters3."
ROOT_HELP = ("The only data root to look in (holds mnist/, fashion-mnist/); without it: "
             "$NETTRAIN_DATA, ./data, ~/.cache/nettrain, /usr/share/datasets.")


def _find_local(name: str, root, command: str):
    """(folder, where) of a data set's local files, or the not-found error
    (these commands read local files only; they never download)."""
    from ..data import datasets

    found = datasets.find_dataset(name, root, "--root")
    if found is None:
        raise DataError(datasets.not_found_message(
            name, root, f"`nettrain data {command}` reads local files only; "
                        f"`nettrain data download {name}` fetches them.", "--root"))
    return found


def _check_name(name: str) -> str:
    from ..data import datasets

    if name not in datasets.DATASET_NAMES:
        raise UsageError(f"unknown data set {name!r}; expected one of {', '.join(datasets.DATASET_NAMES)}")
    return name


def _image_name(name: str, command: str) -> str:
    from ..data import datasets

    _check_name(name)
    if name in datasets.SYNTHETIC_DATASETS:
        raise UsageError(
            f"{name} is a synthetic data set, generated from the seed: there are no files to {command}; "
            f"image data sets: {', '.join(datasets.IMAGE_DATASETS)}"
        )
    return name


def _pixel_mean_std(images):
    """Mean and std of the pixels scaled to [0, 1], exact, from a 256-bin histogram (no float copy)."""
    import numpy as np

    counts = np.bincount(images.ravel(), minlength=256).astype(np.float64)
    values = np.arange(256, dtype=np.float64) / 255.0
    mean = (counts @ values) / counts.sum()
    var = (counts @ (values - mean) ** 2) / counts.sum()
    return mean, float(np.sqrt(var))


@data_app.command("download", cls=Command)
def download_command(
    name: str = typer.Argument(..., help="mnist or fashion-mnist."),
    root: Optional[Path] = typer.Option(None, "--root", help="Folder to download into (default: $NETTRAIN_DATA, else ~/.cache/nettrain).",
                                        **DATA_ROOT_OPTION),
):
    """Download a data set's four files from its official mirrors, verifying each file's MD5.

    Files already in the destination are kept (and checked by structure).
    Without --root, a data set already found locally is not downloaded again.

    Examples:

    \b
        nettrain data download fashion-mnist --root ./data
        nettrain data download mnist
    """
    from ..data import datasets

    _image_name(name, "download")
    found = datasets.find_dataset(name) if root is None else None
    if found is not None:
        folder, where = found
        console.print(f"{name}: already in {folder} ({where}); nothing to download "
                      f"(--root DIR downloads a copy into DIR)", highlight=False, soft_wrap=True)
        return
    folder = datasets.fetch_dataset(name, root, "--root")
    for split in datasets.SPLIT_FILES:
        datasets.load_split(name, split, root=folder.parent, download=False)
    console.print(f"{name}: the four files are in {folder} and pass the structure check", highlight=False, soft_wrap=True)


@data_app.command("info", cls=Command)
def info_command(
    name: str = typer.Argument(..., help=DATASETS_HELP),
    root: Optional[Path] = typer.Option(None, "--root", help=ROOT_HELP, **DATA_ROOT_OPTION),
    seed: int = typer.Option(0, "--seed", help="Seed of a synthetic data set."),
):
    """Where a data set was found, samples per split, class balance, pixel mean/std.

    Does not download: run `nettrain data download NAME` first if it is missing.

    Examples:

    \b
        nettrain data info mnist
        nettrain data info clusters3 --seed 1
    """
    from ..data import datasets

    _check_name(name)
    if name in datasets.SYNTHETIC_DATASETS:
        _synthetic_info(name, seed)
        return
    info = datasets.IMAGE_DATASETS[name]
    folder, where = _find_local(name, root, "info")
    splits = {split: datasets.load_split(name, split, folder.parent, download=False)[:2]
              for split in datasets.SPLIT_FILES}

    _print_pairs(f"{info.title} ({name})", [
        ("found at", f"{folder}  ({where})"),
        ("image", f"{'x'.join(map(str, info.image_shape))} uint8, {len(info.classes)} classes"),
        ("default normalize", f"mean {info.normalize[0]}, std {info.normalize[1]}"),
    ])
    rows = []
    for split, (images, _) in splits.items():
        mean, std = _pixel_mean_std(images)
        rows.append([split, f"{len(images):,}", f"{mean:.4f}", f"{std:.4f}"])
    print_table(console, "\nsplits", [Column("split"), *(Column(h, right=True) for h in
                                                        ("samples", "pixel mean", "pixel std"))], rows)
    _print_class_balance(info.classes, {split: labels for split, (_, labels) in splits.items()})


def _print_pairs(title: str, pairs: list[tuple[str, str]]):
    """A title, then "key  value" lines, the values aligned."""
    console.print(title, highlight=False, soft_wrap=True)
    for text in fit([Column(""), Column("")], [list(pair) for pair in pairs], console.width)[1:]:
        console.print(text, highlight=False, soft_wrap=True)


def _print_class_balance(classes, labels_per_split: dict):
    import numpy as np

    counts = {split: np.bincount(labels, minlength=len(classes)) for split, labels in labels_per_split.items()}
    rows = []
    for k, class_name in enumerate(classes):
        row = [f"{k} {class_name}" if class_name != str(k) else class_name]
        for split, c in counts.items():
            share = c[k] / max(c.sum(), 1)
            row.append(f"{c[k]:,} ({share:.1%})")
        rows.append(row)
    print_table(console, "\nclass balance", [Column("class", shrink=8), *(Column(split, right=True)
                                                                        for split in labels_per_split)], rows)


def _synthetic_info(name: str, seed: int):
    from ..data import datasets

    info = datasets.SYNTHETIC_DATASETS[name]
    splits = datasets.make_synthetic(name, seed=seed)
    _print_pairs(f"{name} (synthetic, seed {seed})", [
        ("task", info.task), ("data", info.description), ("noise (default)", f"{info.noise:g}"),
        ("options", "data.train_size, data.test_size, data.noise"),
    ])
    rows = [[split, f"{len(x):,}", str(x.shape[1:]), f"{x.mean():.3f}", f"{x.std():.3f}", str(y.shape[1:])]
            for split, (x, y) in splits.items()]
    print_table(console, "\nsplits (default sizes)", [Column("split"), *(Column(h, right=True) for h in
                ("samples", "x shape", "x mean", "x std", "y shape"))], rows)
    if info.task == "classification":
        _print_class_balance(datasets.synthetic_classes(name), {s: y for s, (_, y) in splits.items()})


@data_app.command("verify", cls=Command)
def verify_command(
    name: str = typer.Argument(..., help="mnist or fashion-mnist."),
    root: Optional[Path] = typer.Option(None, "--root", help=ROOT_HELP, **DATA_ROOT_OPTION),
):
    """Check each file's structure and the SHA-256 of its decompressed content.

    The mirrors' .gz MD5 is shown for information only: a recompressed copy
    differs there and is still valid. Exits 1 when a check fails.

    Examples:

    \b
        nettrain data verify mnist
        nettrain data verify fashion-mnist --root /usr/share/datasets
    """
    import hashlib
    
    from ..data import datasets, download as downloads
    from ..data.idx import decompressed_bytes, parse_idx

    _image_name(name, "verify")
    info = datasets.IMAGE_DATASETS[name]
    folder, where = _find_local(name, root, "verify")
    rows, problems = [], []  # problems: whole messages, printed below the table
    failed, recompressed = 0, False
    for filename in datasets.IMAGE_FILES:
        path = folder / filename
        try:
            content = decompressed_bytes(path)
            array = parse_idx(content, source=path)
            structure = f"ok {array.shape}"
        except DataError as err:
            rows.append([filename, "FAIL (below)", "-", "-"])
            problems.append(f"FAIL {err}")
            failed += 1
            continue
        expected_sha = info.content_sha256.get(filename.removesuffix(".gz"))
        if expected_sha is None:
            sha = "unknown"
        elif hashlib.sha256(content).hexdigest() == expected_sha:
            sha = "ok"
        else:
            sha, failed = "FAIL", failed + 1
            problems.append(f"FAIL {filename}: its content is not the published data set's (content SHA-256)")
        md5 = hashlib.md5(path.read_bytes()).hexdigest()
        published = downloads.PUBLISHED_MD5.get(name, {}).get(filename)
        gz = "matches" if md5 == published else "differs*"
        recompressed = recompressed or md5 != published
        rows.append([filename, structure, sha, gz])
    try:
        for split in datasets.SPLIT_FILES:
            datasets.load_split(name, split, root=folder.parent, download=False)
    except DataError as err:
        problems.append(f"FAIL {err}")
        failed += 1
    print_table(console, f"{name} in {folder} ({where})",
                [Column(h) for h in ("file", "structure", "content SHA-256", "mirror .gz MD5")], rows)
    for problem in problems:
        console.print(problem, highlight=False, soft_wrap=True)
    if recompressed:
        console.print("* a recompressed copy: its .gz bytes differ from the mirrors' file, "
                      "which is fine when the content check is ok", highlight=False, soft_wrap=True)
    if failed:
        console.print(f"{failed} check(s) failed", highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    console.print(f"{name}: all files verified", highlight=False, soft_wrap=True)
