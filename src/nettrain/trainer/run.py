"""A run's folder, the checkpoint policy (when to write, which to keep) and what may change on resume."""
from __future__ import annotations

import dataclasses
import datetime
import shutil
from pathlib import Path

from ..checkpoint import SUFFIX, copy_atomic
from ..errors import UsageError
from ..report import MetricsLog


@dataclasses.dataclass
class Run:
    """A run's folder: ``config.yaml``, ``metrics.jsonl``, ``checkpoints/``, ``curves.png``."""

    dir: Path

    @property
    def checkpoints(self) -> Path:
        return self.dir / "checkpoints"

    @property
    def metrics(self) -> MetricsLog:
        return MetricsLog(self.dir / "metrics.jsonl")

    @property
    def last(self) -> Path:
        return self.checkpoints / f"last{SUFFIX}"

    @property
    def best(self) -> Path:
        return self.checkpoints / f"best{SUFFIX}"

    @classmethod
    def create(cls, runs_dir, name: str, config_yaml: str) -> "Run":
        """A new folder ``<runs_dir>/<name>-<timestamp>``; never reuses an existing one."""
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        runs_dir = Path(runs_dir)
        base = runs_dir / f"{name}-{stamp}"
        folder, n = base, 1
        while True:
            try:
                folder.mkdir(parents=True, exist_ok=False)
                break
            except FileExistsError:
                n += 1
                folder = base.with_name(f"{base.name}-{n}")
        try:
            (folder / "checkpoints").mkdir()
            (folder / "config.yaml").write_text(config_yaml, encoding="utf-8")
        except BaseException:  # a full disk, an interrupt: no half-made run folder
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return cls(folder)

    @classmethod
    def of_checkpoint(cls, checkpoint_path) -> "Run":
        path = Path(checkpoint_path).resolve()
        return cls(path.parent.parent if path.parent.name == "checkpoints" else path.parent)


class CheckpointPolicy:
    """After each epoch: every ``every`` epochs (and after the last) write
    ``last``, copy it to ``best`` when the eval metric improved and to an
    epoch-stamped file, keeping ``keep_last`` stamped files."""

    def __init__(self, run: Run, every: int, keep_last: int, epochs: int):
        self.run, self.every, self.keep_last, self.epochs = run, every, keep_last, epochs

    def after_epoch(self, epoch: int, improved: bool, save):
        """``epoch`` epochs are done; ``save(path)`` writes the trainer's state."""
        if epoch % self.every and epoch != self.epochs:
            return
        run = self.run
        save(run.last)  # serialised once; best and the stamped copy are file copies
        if improved:
            copy_atomic(run.last, run.best)
        copy_atomic(run.last, run.checkpoints / f"epoch-{epoch:04d}{SUFFIX}")
        kept = sorted(run.checkpoints.glob(f"epoch-*{SUFFIX}"))
        for old in kept[: max(0, len(kept) - self.keep_last)]:
            old.unlink()


# Keys that may change between a run and its resume (how long and how often,
# not what is learned); everything else must match the checkpoint.
RESUMABLE_CHANGES = {"name", "device", "train.epochs", "train.log_every", "train.eval_every",
                     "train.checkpoint_every", "train.keep_last", "output.runs_dir", "data.root",
                     "data.download"}


def config_differences(saved: dict, given: dict, prefix="") -> list[str]:
    """Dotted keys whose values differ between two resolved configs."""
    out = []
    for key in sorted(set(saved) | set(given)):
        dotted = f"{prefix}{key}"
        a, b = saved.get(key), given.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out.extend(config_differences(a, b, dotted + "."))
        elif a != b and dotted not in RESUMABLE_CHANGES:
            out.append(f"{dotted}: checkpoint has {a!r}, config has {b!r}")
    return out


def check_resumable(saved_config: dict, config: dict, checkpoint_path):
    diffs = config_differences(saved_config, config)
    if diffs:
        raise UsageError(
            f"{checkpoint_path}: cannot resume: the config differs from the checkpoint's in "
            f"{len(diffs)} key(s): " + "; ".join(diffs)
            + ". Resume with the run's own config (runs/<run>/config.yaml), changing only "
            "train.epochs or logging options."
        )
