"""TensorBoard scalars for a run, written with tensorboardX (the optional
``tensorboard`` extra: no TensorFlow, no PyTorch).

``metrics.jsonl`` stays the record of a run; this is a view of it for people
who live in TensorBoard. Each epoch record's numbers become scalars tagged
``<split>/<metric>`` (``train_loss`` -> ``train/loss``, ``val_acc`` ->
``val/acc``, ``lr`` -> ``lr``) at x = the epoch; step losses and rates go to
``step/loss`` and ``step/lr`` at x = the global step. A resumed run opens the
folder with ``purge_step`` at its checkpoint's step, so TensorBoard drops
whatever the interrupted run logged after that point instead of drawing it
twice.
"""
from __future__ import annotations

from pathlib import Path

from .errors import UsageError

FOLDER = "tensorboard"
INSTALL = 'pip install -e ".[tensorboard]"  (or: pip install tensorboardX)'
_NOT_SCALARS = ("kind", "epoch", "step")


def require_tensorboardx():
    """tensorboardX's SummaryWriter, or a UsageError saying what to install."""
    try:
        from tensorboardX import SummaryWriter  # noqa: PLC0415 - optional extra
    except ImportError:
        raise UsageError(f"output.tensorboard needs tensorboardX, which is not installed: {INSTALL}") from None
    return SummaryWriter


def scalar_tag(key: str) -> str:
    """``train_loss`` -> ``train/loss``; keys without a split stay as they are."""
    split, _, metric = key.partition("_")
    return f"{split}/{metric}" if metric and split in ("train", "val", "test") else key


class TensorBoardLog:
    """Scalars of one run under ``<run>/tensorboard``."""

    def __init__(self, run_dir, resume_step=None):
        writer_class = require_tensorboardx()
        self.folder = Path(run_dir) / FOLDER
        # The file name holds the second it was opened: a suffix keeps a quick
        # resume from overwriting the file of the run it continues.
        self.writer = writer_class(logdir=str(self.folder), purge_step=resume_step, flush_secs=5,
                                   filename_suffix=f".from-step-{resume_step or 0}")

    def epoch(self, record: dict):
        for key, value in record.items():
            if key not in _NOT_SCALARS and isinstance(value, (int, float)) and not isinstance(value, bool):
                self.writer.add_scalar(scalar_tag(key), value, record["epoch"])
        self.writer.flush()

    def epoch_finished(self, record: dict):
        """An epoch-record consumer (``Trainer``)."""
        self.epoch(record)

    def step(self, step: int, loss: float, lr: float):
        self.writer.add_scalar("step/loss", loss, step)
        self.writer.add_scalar("step/lr", lr, step)

    def close(self):
        self.writer.close()
