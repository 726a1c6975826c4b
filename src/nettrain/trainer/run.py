"""A run's folder, the checkpoint policy (when to write, which to keep) and what may change on resume."""
from __future__ import annotations

import dataclasses
import datetime
import json
import os
import shutil
import sys
from pathlib import Path

from ..checkpoint import SUFFIX, copy_atomic, replace_text_atomic
from ..config import resumable_keys
from ..errors import UsageError
from ..report import MetricsLog
from ..runlock import RunLock


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
        """The run folder of ``runs/<run>/checkpoints/last.npz``, spelled as the
        path was given (a relative path stays relative, so the paths a resumed
        run prints look like the ones the first run printed)."""
        path = Path(checkpoint_path)
        if path.parent.name != "checkpoints":  # e.g. "last.npz" given from inside checkpoints/
            path = path.resolve()
        return cls(path.parent.parent if path.parent.name == "checkpoints" else path.parent)

    def already_finished(self, checkpoint_epoch: int, epochs: int):
        """Why resuming from a checkpoint of ``checkpoint_epoch`` has nothing to
        do, with the run's final record: (final, reason); None when there is
        work left. Finished means metrics.jsonl holds the final record of
        that epoch (a run stopped during its final evaluation has none) and
        either every one of ``epochs`` is done or early stopping ended it."""
        final = next((r for r in reversed(self.metrics.read()) if r.get("kind") == "final"), None)
        if final is None or final.get("epoch") != checkpoint_epoch:
            return None
        if "early_stop" in final:
            return final, (f"already finished: early stopping ended it after epoch {checkpoint_epoch} "
                           f"({final['early_stop']}); more epochs would change nothing")
        if checkpoint_epoch >= epochs:
            return final, (f"already finished: all {checkpoint_epoch} epochs are done; use --epochs N "
                           f"(train.epochs) with N > {checkpoint_epoch} to extend it")
        return None


class CheckpointPolicy:
    """After each epoch (an epoch-record consumer, last in line): every
    ``every`` epochs, after the last and after the one early stopping ends
    the run, ``save`` the trainer's state to ``last`` and to an
    epoch-stamped file, keeping ``keep_last`` of those. ``best`` is written
    whenever ``tracker`` (None without a validation split) says the
    validation metric improved, whatever ``every`` is."""

    def __init__(self, run: Run, every: int, keep_last: int, epochs: int, save, tracker):
        self.run, self.every, self.keep_last, self.epochs = run, every, keep_last, epochs
        self.save, self.tracker = save, tracker

    def epoch_finished(self, record: dict):
        epoch, run = record["epoch"], self.run
        improved = self.tracker is not None and self.tracker.improved
        due = epoch % self.every == 0 or epoch >= self.epochs or "early_stop" in record
        if not due:
            if improved:
                self.save(run.best)
            return
        self.save(run.last)  # serialised once; best and the stamped copy are file copies
        if improved:
            copy_atomic(run.last, run.best)
        copy_atomic(run.last, run.checkpoints / f"epoch-{epoch:04d}{SUFFIX}")
        kept = sorted(run.checkpoints.glob(f"epoch-*{SUFFIX}"))
        for old in kept[: max(0, len(kept) - self.keep_last)]:
            old.unlink()


def config_changes(first: dict, second: dict, prefix="") -> list[tuple]:
    """(dotted key, first's value, second's value) for every key whose value
    differs between two resolved configs (None where a key is absent); the
    resume check and ``nettrain runs compare`` both use it."""
    out = []
    for key in sorted(set(first) | set(second)):
        dotted = f"{prefix}{key}"
        a, b = first.get(key), second.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out.extend(config_changes(a, b, dotted + "."))
        elif a != b:
            out.append((dotted, a, b))
    return out


def config_differences(saved: dict, given: dict, resumable=None) -> list[str]:
    """The differences that forbid a resume, one line each: all but the keys
    the schema marks resumable (``key(..., resumable=True)``)."""
    resumable = resumable_keys() if resumable is None else resumable
    return [f"{dotted}: checkpoint has {a!r}, config has {b!r}"
            for dotted, a, b in config_changes(saved, given) if dotted not in resumable]


def check_resumable(saved_config: dict, config: dict, checkpoint_path):
    diffs = config_differences(saved_config, config)
    if diffs:
        raise UsageError(
            f"{checkpoint_path}: cannot resume: the config differs from the checkpoint's in "
            f"{len(diffs)} key(s): " + "; ".join(diffs)
            + ". Resume with the run's own config (runs/<run>/config.yaml), changing only "
            "train.epochs or logging options."
        )


# --------------------------------------------------------------------------- the run folder's faults




def _describe_os_error(err: OSError, fallback) -> str:
    where = err.filename or fallback
    what = (err.strerror or type(err).__name__).lower()
    return f"{where}: {what}"


def write_failure(err: OSError, run, trainer, new: bool) -> str:
    """The one message for a write that failed mid-run, with the way back."""
    problem = _describe_os_error(err, run.dir)
    if run.last.is_file():
        return (f"{problem}; the run stopped, its last good checkpoint is kept ({run.last}).\n"
                f"resume with (once there is room):\n  {trainer.resume_command()}")
    if new:  # nothing worth keeping: leave no half-made run folder behind
        shutil.rmtree(run.dir, ignore_errors=True)
        return f"{problem}; the run stopped before its first checkpoint and its folder {run.dir} was removed"
    return f"{problem}; the run stopped"


def check_runs_dir(runs_dir: Path, name: str):
    """A runs folder that can hold a new run folder named ``name-<timestamp>``."""
    text = str(runs_dir)
    if "\x00" in text or "\x00" in name:
        which = "output.runs_dir" if "\x00" in text else "name"
        raise UsageError(f"{which}: contains a NUL byte, which no file name can hold")
    longest = _name_max(runs_dir)
    parts = [p for p in runs_dir.parts if len(p.encode()) > longest]
    if parts:
        raise UsageError(f"output.runs_dir: a folder name of {len(parts[0].encode()):,} bytes is longer than "
                         f"the {longest} this file system allows")
    folder_name = f"{name}-20261231-235959-99"  # the longest a run folder's name becomes
    if len(folder_name.encode()) > longest:
        raise UsageError(f"name: {len(name.encode()):,} bytes is too long for a folder name here (at most "
                         f"{longest - len(folder_name.encode()) + len(name.encode())} bytes); choose a shorter name")
    existing = runs_dir
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing == runs_dir and not runs_dir.is_dir():
        raise UsageError(f"output.runs_dir: {runs_dir} is not a folder (it is a file or a device); "
                         f"give a folder, e.g. --runs-dir runs")
    if existing.is_dir() and not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"output.runs_dir: {runs_dir} cannot be written ({existing} is read-only or "
                         f"not yours); give another folder with --runs-dir")


def _name_max(path: Path) -> int:
    """The longest file name the file system under ``path`` allows (255 when unknown)."""
    for folder in (path, *path.parents):
        try:
            return os.pathconf(folder, "PC_NAME_MAX")
        except (OSError, ValueError):
            continue
    return 255


def check_run_folder(run):
    """A resumed run's folder must take its writes: writable, and its files where files belong."""
    if not os.access(run.dir, os.W_OK | os.X_OK) or not os.access(run.checkpoints, os.W_OK | os.X_OK):
        raise UsageError(f"{run.dir}: the run folder cannot be written (read-only or not yours); "
                         f"copy it somewhere writable and resume from the copy")
    for path in (run.last, run.best, run.dir / "metrics.jsonl", run.dir / "config.yaml"):
        if path.exists() and not path.is_file():
            raise UsageError(f"{path}: is a folder (or device), not a file; move it away and resume")


def lock_run(lock):
    try:
        lock.acquire()
    except OSError as err:  # a full disk or a read-only folder: the lock file cannot be made
        raise UsageError(f"cannot lock the run folder: {_describe_os_error(err, lock.path)}") from None
    if lock.took_over_from is not None:
        print(f"note: took over the lock of process {lock.took_over_from}, which is no longer "
              f"running ({lock.path})", file=sys.stderr, flush=True)
    return lock


def create_locked_run(runs_dir, name: str, config_yaml: str):
    """The new run's folder, locked, with its config.yaml (Run.create leaves nothing when it fails)."""
    runs_dir = Path(runs_dir)
    try:
        run = Run.create(runs_dir, name, config_yaml)
    except OSError as err:
        raise UsageError(f"output.runs_dir: cannot make the run folder: {_describe_os_error(err, runs_dir)}") from None
    return run, lock_run(RunLock(run.dir))


def write_resumed_files(run, config_yaml: str, records: list):
    """After a successful restore: the run's metrics, cut back to the
    checkpoint's records (so that rows written after the checkpoint by the
    process that died are not written twice), then its config (with what
    the resume changed). Each file is replaced atomically: a full disk
    leaves the old one, and one message."""
    try:
        replace_text_atomic(run.dir / "metrics.jsonl", "".join(json.dumps(r) + "\n" for r in records))
        replace_text_atomic(run.dir / "config.yaml", config_yaml)
    except OSError as err:
        raise UsageError(f"{_describe_os_error(err, run.dir)}; the run was not resumed (its files are as "
                         f"they were); free some space and run the same command again") from None
