"""Early stopping (Keras' EarlyStopping, Lightning's callback): stop when the
monitored metric has not improved by more than ``min_delta`` for
``patience`` evaluated epochs.

Its whole state (best value, its epoch, the count of epochs without
improvement) goes into every checkpoint, so a resumed run stops exactly where
the uninterrupted one would have (the classic mistake is a patience counter
that restarts at zero on resume).
"""
from __future__ import annotations

import math


class EarlyStopping:
    """``update(record)`` after each epoch; True when training should stop.

    ``mode`` is ``"min"`` (losses, errors) or ``"max"`` (accuracies); an
    epoch whose record lacks the monitored metric (not evaluated that epoch)
    changes nothing."""

    def __init__(self, monitor: str, patience: int = 3, min_delta: float = 0.0, mode: str = "min"):
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        if patience < 1:
            raise ValueError(f"patience must be at least 1, got {patience}")
        if min_delta < 0:
            raise ValueError(f"min_delta must be >= 0, got {min_delta}")
        self.monitor, self.patience, self.min_delta, self.mode = monitor, int(patience), float(min_delta), mode
        self.best = None
        self.best_epoch = None
        self.waited = 0

    def improves(self, value: float) -> bool:
        if self.best is None:
            return math.isfinite(value)
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def epoch_finished(self, record: dict):
        """An epoch-record consumer (``Trainer``): marks the record that ends the run."""
        if self.update(record):
            record["early_stop"] = self.reason()

    def update(self, record: dict) -> bool:
        if self.monitor not in record:
            return False
        value = float(record[self.monitor])
        if self.improves(value):
            self.best, self.best_epoch, self.waited = value, record["epoch"], 0
            return False
        self.waited += 1
        return self.waited >= self.patience

    @property
    def stopped(self) -> bool:
        """True once patience ran out (a run resumed from then on trains no further)."""
        return self.waited >= self.patience

    def reason(self) -> str:
        return (f"early stopping: {self.monitor} did not improve by more than {self.min_delta:g} for "
                f"{self.waited} epoch{'s' if self.waited != 1 else ''} (best {self.best:.4g} at epoch {self.best_epoch})")

    def state_dict(self) -> dict:
        return {"best": self.best, "best_epoch": self.best_epoch, "waited": self.waited}

    def load_state_dict(self, state: dict):
        self.best, self.best_epoch, self.waited = state["best"], state["best_epoch"], int(state["waited"])
