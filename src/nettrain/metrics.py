"""What a task's figures are called, how they print, and which way is better.

One description per task feeds every place that shows or compares them:
the epoch records (``train_acc``, ``val_mae`` ...), the epoch table's
columns, the best-checkpoint tracking, ``nettrain runs`` and ``curves.png``.

    score = task_metrics("classification").score   # Metric("acc", "accuracy", "{:.2%}", True)
    score.key("val")                                # "val_acc"
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    name: str               # the suffix of its record keys: "loss", "acc", "mae"
    label: str              # how a table or a plot names it
    format: str             # how a number of it prints
    higher_is_better: bool

    def key(self, split: str) -> str:
        """Its record key for a split: ``val_acc``."""
        return f"{split}_{self.name}"

    def better(self, new, old) -> bool:
        return new > old if self.higher_is_better else new < old


LOSS = Metric("loss", "loss", "{:.4f}", False)


@dataclass(frozen=True)
class TaskMetrics:
    score: Metric           # reported beside the loss for every split
    best: Metric            # what "best" (best.npz, `runs`) follows


TASKS = {
    "classification": TaskMetrics(Metric("acc", "acc", "{:.2%}", True), Metric("acc", "acc", "{:.2%}", True)),
    # A regression's best epoch is its lowest loss (its MAE is shown beside it).
    "regression": TaskMetrics(Metric("mae", "MAE", "{:.4f}", False), LOSS),
}


def task_metrics(task: str) -> TaskMetrics:
    return TASKS[task]
