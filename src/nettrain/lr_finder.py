"""The learning-rate range test (Smith 2017; fastai's ``lr_find``, Lightning's tuner).

Train for at most ``num_steps`` steps while the rate grows exponentially
from ``start_lr`` to ``end_lr``::

    lr_i = start_lr * (end_lr / start_lr) ** (i / (num_steps - 1))

keep an exponentially smoothed, bias-corrected loss::

    avg_i = beta * avg_{i-1} + (1 - beta) * loss_i        smooth_i = avg_i / (1 - beta ** (i + 1))

and stop early once ``smooth_i > diverge * min(smooth)`` (or the loss is not
finite). The suggestion is the rate where the smoothed loss falls fastest
against log(lr) (the steepest descent), ignoring the first and last few
points, whose slopes are noise. The sweep changes the model and optimizer it
is given: run it on a fresh copy (``nettrain lr-find`` builds one from the
config and writes nothing but its plot).
"""
from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np

from .tempfiles import replace_atomic


@dataclasses.dataclass
class LRFindResult:
    lrs: list            # the rate of each step taken
    losses: list         # the smoothed loss after each step
    suggestion: float    # steepest descent, or None when the sweep was too short to tell
    stopped_early: bool  # the loss diverged before num_steps


def lr_find(step, batches, optimizer, *, start_lr=1e-7, end_lr=10.0, num_steps=100, beta=0.98, diverge=4.0,
            skip_start=10, skip_end=5) -> LRFindResult:
    """Sweep the learning rate. ``step(batch) -> float`` runs one training
    step (forward, backward, ``optimizer.step()``) and returns its loss;
    ``batches`` is cycled when it runs out. Sets every parameter group's
    ``lr`` of ``optimizer`` before each step."""
    if not 0 < start_lr < end_lr:
        raise ValueError(f"need 0 < start_lr < end_lr, got start_lr={start_lr}, end_lr={end_lr}")
    if num_steps < 2:
        raise ValueError(f"num_steps must be at least 2, got {num_steps}")
    ratio = end_lr / start_lr
    lrs, losses = [], []
    average, best, stopped_early = 0.0, math.inf, False
    for i, batch in enumerate(itertools.islice(itertools.cycle(batches), num_steps)):
        lr = start_lr * ratio ** (i / (num_steps - 1))
        for group in optimizer.param_groups:
            group["lr"] = lr
        loss = float(step(batch))
        average = beta * average + (1 - beta) * loss
        smoothed = average / (1 - beta ** (i + 1))
        if not math.isfinite(smoothed) or smoothed > diverge * best:
            stopped_early = True
            break
        lrs.append(lr)
        losses.append(smoothed)
        best = min(best, smoothed)
    return LRFindResult(lrs, losses, steepest_descent(lrs, losses, skip_start, skip_end), stopped_early)


def steepest_descent(lrs, losses, skip_start=10, skip_end=5):
    """The rate at which ``losses`` fall fastest against log(lr), or None
    when fewer than three points remain after skipping the ends."""
    lrs, losses = lrs[skip_start:len(lrs) - skip_end], losses[skip_start:len(losses) - skip_end]
    if len(lrs) < 3:
        return None
    slopes = np.gradient(np.asarray(losses), np.log(np.asarray(lrs)))
    return float(lrs[int(np.argmin(slopes))])


def plot_lr_find(result: LRFindResult, path, title="learning-rate range test"):
    """Loss against lr on a log axis, the suggestion marked; needs matplotlib
    (the caller checks it is installed). Written through a temporary file."""
    import matplotlib  # noqa: PLC0415 - optional extra, imported only to draw

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(result.lrs, result.losses)
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("loss (smoothed)")
    ax.set_title(title)
    if result.suggestion is not None:
        at = result.lrs.index(result.suggestion)
        ax.plot([result.suggestion], [result.losses[at]], "o", color="red",
                label=f"suggested lr {result.suggestion:.2e}")
        ax.legend()
    fig.tight_layout()
    try:
        replace_atomic(path, lambda f: fig.savefig(f, format="png", dpi=100), stale_in_folder=False)
    finally:
        plt.close(fig)
