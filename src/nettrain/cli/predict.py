"""``nettrain predict``: a trained model's top-3 classes for image files or test
images; for a regression model, its predicted value for test samples.

    nettrain predict --checkpoint runs/<run>/checkpoints/best.npz my-digit.png
    nettrain predict --checkpoint runs/<run>/checkpoints/best.npz --index 0 --index 7 --json
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from ..errors import UsageError
from .completion import complete_checkpoint
from .common import Command, app, console

TOP = 3


def _pipeline(trained):
    """The data transforms with the checkpoint's own statistics."""
    from ..data import IMAGE_DATASETS
    from ..data.transforms import Pipeline

    info = IMAGE_DATASETS.get(trained.bundle.name)
    pipeline = Pipeline.from_config(trained.config.data.transforms, info.normalize if info else None,
                                    trained.bundle.num_classes)
    pipeline.load_state(trained.transform_state)
    return pipeline


def _top(trained, x) -> list[list[dict]]:
    """For each sample of ``x`` (already transformed): the TOP classes and their probabilities."""
    import numpy as np

    from .. import from_numpy, no_grad

    with no_grad():
        scores = trained.model(from_numpy(np.ascontiguousarray(x))).softmax(1).numpy()
    names = trained.bundle.classes or [str(k) for k in range(scores.shape[1])]
    out = []
    for row in scores.astype(np.float64):
        best = np.argsort(-row, kind="stable")[:TOP]
        out.append([{"class": int(k), "name": names[k], "probability": float(row[k])} for k in best])
    return out


def _outputs(trained, x):
    """The model's raw outputs for ``x`` (already transformed), float64: a regression model's predictions."""
    import numpy as np

    from .. import from_numpy, no_grad

    with no_grad():
        return trained.model(from_numpy(np.ascontiguousarray(x))).numpy().astype(np.float64)


def _values(row):
    """One sample's values for JSON: a number for a single output (cubic, linear), else a list."""
    return float(row[0]) if len(row) == 1 else [float(v) for v in row]


def _values_text(row) -> str:
    return f"{row[0]:.4f}" if len(row) == 1 else "[" + ", ".join(f"{v:.4f}" for v in row) + "]"


def _print_regression(trained, index, test_x, test_y, as_json):
    """Each test sample's target and the model's prediction (what eval's MSE/MAE compare)."""
    import numpy as np

    predictions = _outputs(trained, np.stack([test_x[n] for n in index]))
    for n, prediction in zip(index, predictions):
        target = np.asarray(test_y[n], np.float64).reshape(-1)
        if as_json:
            sys.stdout.write(json.dumps({"index": n, "target": _values(target), "prediction": _values(prediction)})
                             + "\n")
        else:
            console.print(f"test sample {n} (target {_values_text(target)}): predicted {_values_text(prediction)}",
                          highlight=False, markup=False)


def _class_text(k: int, name: str) -> str:
    """"7" for MNIST, "7 Sneaker" for Fashion-MNIST."""
    return str(k) if name == str(k) else f"{k} {name}"


def _describe(top: list[dict]) -> str:
    return ", ".join(f"{_class_text(t['class'], t['name'])} ({t['probability']:.1%})" for t in top)


@app.command("predict", cls=Command)
def predict_command(
    images: Optional[List[Path]] = typer.Argument(None, metavar="IMAGE", help="PNG/JPEG/... image files (needs the images extra)."),
    checkpoint: Path = typer.Option(..., "--checkpoint", help="A checkpoint (or exported .safetensors) of an image model.",
                                    autocompletion=complete_checkpoint),
    index: Optional[List[int]] = typer.Option(None, "--index", metavar="N", help="Predict test image N of the run's data set (repeatable)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per image, nothing else on stdout."),
):
    """Top-3 classes with probabilities for image files (made into the data
    set's form: grayscale, inverted when dark-on-light, 28x28 centred, the
    checkpoint's normalisation) or for test images by index. For a
    regression model (cubic, linear): each test sample's target and the
    predicted value.

    Examples:

    \b
        nettrain predict --checkpoint runs/<run>/checkpoints/best.npz my-digit.png
        nettrain predict --checkpoint runs/<run>/checkpoints/best.npz --index 0 --index 1 --json
    """
    import numpy as np

    from ..data import IMAGE_DATASETS
    from ..trainer import data_from_config
    from .export import trained_model

    images, index = list(images or []), list(index or [])
    if not images and not index:
        raise UsageError("give image files, or --index N for test images of the run's data set")
    if images:
        from ..interop import require

        require("PIL.Image", "nettrain predict on image files")
    trained = trained_model(checkpoint)
    rows = []  # (what, x, label or None)
    if images:
        from ..interop.images import read_digit_image

        if trained.bundle.name not in IMAGE_DATASETS or trained.raw_input_shape != (1, 28, 28):
            raise UsageError(f"{checkpoint}: its model was trained on {trained.bundle.name}, not on 28x28 images; "
                             "use --index N for its test samples")
        raw = np.stack([read_digit_image(path) for path in images])  # every file checked before any output
        x, _ = _pipeline(trained)(raw, np.zeros(len(raw), np.int64))
        rows += [({"image": str(path)}, x[i], None) for i, path in enumerate(images)]
    if index:
        bundle = data_from_config(trained.config, transform_state=trained.transform_state, source=str(checkpoint))
        test_x, test_y = bundle.test
        for n in index:
            if not 0 <= n < len(test_y):
                raise UsageError(f"--index {n}: the test split of {bundle.name} has {len(test_y)} samples (0..{len(test_y) - 1})")
        if bundle.task != "classification":  # image files were refused above: only test samples here
            _print_regression(trained, index, test_x, test_y, as_json)
            return
        rows += [({"index": n}, test_x[n], int(test_y[n]) if test_y.ndim == 1 else int(test_y[n].argmax()))
                 for n in index]

    tops = _top(trained, np.stack([x for _, x, _ in rows]))
    for (what, _, label), top in zip(rows, tops):
        if as_json:
            record = {**what, **({"label": label} if label is not None else {}), "top": top}
            sys.stdout.write(json.dumps(record) + "\n")
            continue
        name = what.get("image") or f"test image {what['index']}"
        if label is not None:
            names = trained.bundle.classes or [str(k) for k in range(label + 1)]
            name += f" (label {_class_text(label, names[label])})"
        console.print(f"{name}: {_describe(top)}", highlight=False, markup=False)
