"""A picture of a classifier's worst mistakes: the images of a split it got
wrong with the highest confidence, each with its true and predicted class.

``worst_mistakes`` finds them in one no-grad pass over the split;
``plot_mistakes`` draws a grid with matplotlib (the ``plot`` extra).
"""
from __future__ import annotations

import math

import numpy as np

from . import backend
from .autograd import no_grad
from .tensor import as_tensor
from .tempfiles import replace_atomic


def worst_mistakes(model, data, split: str, device, count: int, batch_size: int = 1000):
    """Up to ``count`` misclassified samples of ``split``, most confident first:
    a dict of arrays ``index``, ``true``, ``predicted``, ``probability`` (of
    the predicted class) and ``true_probability``."""
    was_training = model.training
    model.eval()
    probabilities, labels = [], []
    with no_grad():
        for xb, yb in data.loader(split, batch_size, shuffle=False, drop_last=False, seed=0, device=device):
            logits = backend.to_host(model(as_tensor(xb)).array).astype(np.float64)
            logits -= logits.max(axis=1, keepdims=True)
            p = np.exp(logits)
            probabilities.append(p / p.sum(axis=1, keepdims=True))
            labels.append(backend.to_host(yb))
    model.train(was_training)
    p, y = np.concatenate(probabilities), np.concatenate(labels)
    if y.ndim == 2:  # one_hot targets
        y = y.argmax(axis=1)
    predicted = p.argmax(axis=1)
    wrong = np.flatnonzero(predicted != y)
    order = wrong[np.argsort(-p[wrong, predicted[wrong]], kind="stable")][:count]
    return {"index": order, "true": y[order], "predicted": predicted[order],
            "probability": p[order, predicted[order]], "true_probability": p[order, y[order]]}


def plot_mistakes(images, mistakes: dict, classes, path, title: str):
    """A grid of ``images`` (N, 1, H, W) for the rows of ``mistakes``, each
    titled "true -> predicted (probability)"; written through a temporary file."""
    import matplotlib  # noqa: PLC0415 - the plot extra, imported only to draw

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    count = len(mistakes["index"])
    cols = min(count, 5) or 1
    rows = max(math.ceil(count / cols), 1)
    fig, axes = plt.subplots(rows, cols, figsize=(2.1 * cols, 2.4 * rows + 0.4), squeeze=False)
    name = (lambda i: f"{i} {classes[i]}" if classes and classes[i] != str(i) else str(i))
    for ax in axes.flat:
        ax.axis("off")
    for ax, i, true, guess, prob in zip(axes.flat, mistakes["index"], mistakes["true"], mistakes["predicted"],
                                         mistakes["probability"]):
        ax.imshow(images[i].reshape(images.shape[-2:]), cmap="gray")
        ax.set_title(f"#{i}: {name(int(true))}\nas {name(int(guess))} ({prob:.0%})", fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    try:
        replace_atomic(path, lambda f: fig.savefig(f, format="png", dpi=100), stale_in_folder=False)
    finally:
        plt.close(fig)
