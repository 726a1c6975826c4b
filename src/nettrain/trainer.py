"""The training loop: epochs, steps, evaluation, metrics, checkpoints, resume.

Read it top-down as one run::

    components = build(config)          # data, model, loss, optimizer, scheduler
    trainer = Trainer(config, components, run, report)
    trainer.restore(checkpoint)         # only when resuming
    trainer.fit()                       # epochs of train_epoch() + evaluate()

The loop emits plain metric dicts; the report (``report.py``), the metrics
log and the checkpoints consume them. Everything random (model init,
dropout, shuffling) is seeded from ``config["seed"]`` and its state travels
in every checkpoint, so a resumed run continues exactly as if it had never
stopped: same batches, same dropout masks, bit-identical parameters.
"""
from __future__ import annotations

import dataclasses
import datetime
import math
import signal
import time
from pathlib import Path
from typing import Callable

import numpy as np

from . import backend
from .autograd import no_grad
from .checkpoint import FORMAT, SUFFIX, VERSION, copy_atomic, write_atomic
from .data import build_data
from .errors import ConfigError, UsageError
from .models import build_model
from .nn import functional as F
from .nn.utils import clip_grad_norm_, l1_penalty
from .optim import OPTIMIZERS, lr_scheduler
from .report import MetricsLog, plot_curves
from .tensor import Tensor, as_tensor

# --------------------------------------------------------------------------- building


SCHEDULERS = {
    "step": lr_scheduler.StepLR,
    "multistep": lr_scheduler.MultiStepLR,
    "exponential": lr_scheduler.ExponentialLR,
    "cosine": lr_scheduler.CosineAnnealingLR,
}

LOSSES = {
    "cross_entropy": "classification",
    "nll": "classification",
    "bce_with_logits": "binary",
    "mse": "any",
    "l1": "any",
}


@dataclasses.dataclass
class Components:
    data: object           # nettrain.data.DataBundle
    model: object          # nettrain.nn.Module
    loss_name: str
    loss_options: dict
    optimizer: object
    scheduler: object      # or None
    device: backend.Device


def build(config: dict, device=None, transform_state=None, source="config") -> Components:
    """Data, model, loss, optimizer and scheduler from a resolved config dict.

    Seeds the engine first, so the model's initial weights depend only on
    ``config["seed"]``. Raises UsageError subclasses for a person's mistakes
    (missing data, a model argument that contradicts the data set)."""
    device = backend.Device(device or config.get("device", "cpu"))
    if device.type == "cuda":
        try:
            backend.cupy_module()  # a clear error now, before anything is built
        except RuntimeError as err:
            raise UsageError(f"device {device}: {err}") from None
    backend.manual_seed(config["seed"])
    data_cfg = dict(config["data"])
    bundle = build_data(data_cfg, seed=config["seed"], transform_state=transform_state)

    loss_cfg = dict(config["loss"])
    loss_name = loss_cfg.pop("name")
    model_name, model_cfg = model_arguments(config, bundle, source)
    model = build_model(model_name, **model_cfg)
    model.to(device)

    opt_cfg = dict(config["optimizer"])
    optimizer = OPTIMIZERS[opt_cfg.pop("name")](model.parameters(), **opt_cfg)
    scheduler = None
    if config.get("scheduler"):
        sched_cfg = dict(config["scheduler"])
        scheduler = SCHEDULERS[sched_cfg.pop("name")](optimizer, **sched_cfg)
    return Components(bundle, model, loss_name, loss_cfg, optimizer, scheduler, device)


def model_arguments(config: dict, bundle, source="config") -> tuple[str, dict]:
    """The model's name and keyword arguments, sizes filled in from the data
    set, after checking that the loss and the model fit the data (ConfigError
    otherwise). ``bundle`` may be a probe (``build_data(..., probe=True)``)."""
    _check_loss_fits_data(config["loss"]["name"], bundle, source)
    model_cfg = dict(config["model"])
    model_name = model_cfg.pop("name")
    return model_name, _fill_model_sizes(model_name, model_cfg, bundle, config["loss"]["name"], source)


def _check_loss_fits_data(loss_name, bundle, source):
    kind = LOSSES[loss_name]
    if kind == "classification" and bundle.task != "classification":
        raise ConfigError(
            f"{source}: loss.name: {loss_name} needs class labels, but data set "
            f"'{bundle.name}' is a regression task; use mse or l1"
        )
    if kind == "binary" and (bundle.task != "classification" or bundle.num_classes != 2):
        raise ConfigError(
            f"{source}: loss.name: bce_with_logits needs a two-class data set (clusters), "
            f"'{bundle.name}' has {bundle.num_classes or 'no'} classes; use cross_entropy"
        )
    if kind == "any" and bundle.task == "classification" and bundle.train[1].ndim != 2:  # no one_hot
        raise ConfigError(
            f"{source}: loss.name: {loss_name} on class labels needs the one_hot transform "
            f"(data.transforms: [..., one_hot]); or use cross_entropy"
        )


def _fill_model_sizes(model_name, kwargs, bundle, loss_name, source):
    """Input size and number of outputs come from the data set; a config may
    repeat them, but a wrong value is an error naming both numbers."""
    outputs = 1 if loss_name == "bce_with_logits" else bundle.output_size
    shape = tuple(bundle.input_shape)
    if model_name == "mlp":
        wanted = {"in_features": int(np.prod(shape)), "out_features": outputs}
    else:
        if len(shape) != 3:
            raise ConfigError(
                f"{source}: model.name: lenet needs image data (C, H, W), but '{bundle.name}' gives "
                f"samples of shape {shape}; use model mlp (or drop the flatten transform)"
            )
        if shape[1:] not in ((28, 28), (32, 32)):
            raise ConfigError(f"{source}: model.name: lenet takes 28x28 or 32x32 images, got {shape[1:]}")
        wanted = {"in_channels": shape[0], "num_classes": outputs, "input_size": shape[1]}
    for key, value in wanted.items():
        given = kwargs.get(key)
        if given is not None and given != value:
            raise ConfigError(
                f"{source}: model.{key}: is {given}, but data set '{bundle.name}' gives {value}; "
                f"remove the key (it is filled in from the data) or set it to {value}"
            )
        kwargs[key] = value
    return kwargs



# --------------------------------------------------------------------------- loss and scores


class Objective:
    """The loss and the score (accuracy, or absolute error for regression),
    in one place for training and evaluation."""

    def __init__(self, loss_name: str, loss_options: dict, task: str):
        self.name, self.options, self.task = loss_name, loss_options, task
        self.binary = loss_name == "bce_with_logits"

    def targets(self, yb) -> Tensor:
        if self.binary:  # one logit per sample: float targets of shape (N, 1)
            return as_tensor(yb.astype(backend.float32).reshape(-1, 1))
        return as_tensor(yb)

    def loss(self, out, y, reduction="mean"):
        if self.name == "cross_entropy":
            return F.cross_entropy(out, y, reduction=reduction, **self.options)
        if self.name == "nll":
            return F.nll_loss(out.log_softmax(1), y, reduction=reduction)
        if self.name == "bce_with_logits":
            return F.binary_cross_entropy_with_logits(out, y, reduction=reduction)
        if self.name == "mse":
            return F.mse_loss(out, y, reduction=reduction)
        return F.l1_loss(out, y, reduction=reduction)

    def labels(self, yb):
        return yb.argmax(axis=1) if yb.ndim == 2 else yb

    def predictions(self, out):
        """Predicted class indices from the model's output array."""
        if self.binary:
            return (out[:, 0] > 0).astype(backend.int64)
        return out.argmax(axis=1)

    def score(self, out, yb, sums):
        """Add a batch's correct count (or absolute error) to ``sums``."""
        if self.task == "regression":
            sums.abs_err += float(abs(out - yb).sum())
        else:
            sums.correct += int((self.predictions(out) == self.labels(yb)).sum())


@no_grad()
def evaluate(model, objective: Objective, data, split: str, device, batch_size=1000, confusion=False) -> dict:
    """Loss and accuracy (MAE for regression) of ``model`` on a split, in eval
    mode; with ``confusion``, also the confusion matrix (rows: true class)."""
    was_training = model.training
    model.eval()
    sums = _EpochSums()
    classes = data.num_classes or 0
    matrix = np.zeros((classes, classes), dtype=np.int64) if confusion and classes else None
    for xb, yb in data.loader(split, batch_size, shuffle=False, drop_last=False, seed=0, device=device):
        out = model(as_tensor(xb))
        loss = objective.loss(out, objective.targets(yb), reduction="sum")
        sums.add(loss.item(), len(yb))
        objective.score(out.data, yb, sums)
        if matrix is not None:
            pairs = backend.to_host(objective.labels(yb)) * classes + backend.to_host(objective.predictions(out.data))
            matrix += np.bincount(pairs, minlength=classes * classes).reshape(classes, classes)
    model.train(was_training)
    result = sums.summary(split, objective.task)
    result[f"{split}_samples"] = sums.count
    if matrix is not None:
        result["confusion_matrix"] = matrix.tolist()
        totals = matrix.sum(axis=1)
        result["per_class_acc"] = [float(matrix[i, i] / totals[i]) if totals[i] else None for i in range(classes)]
    return result

# --------------------------------------------------------------------------- the run folder


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
        (folder / "checkpoints").mkdir()
        (folder / "config.yaml").write_text(config_yaml, encoding="utf-8")
        return cls(folder)

    @classmethod
    def of_checkpoint(cls, checkpoint_path) -> "Run":
        path = Path(checkpoint_path).resolve()
        return cls(path.parent.parent if path.parent.name == "checkpoints" else path.parent)


# --------------------------------------------------------------------------- stopping


class Stopped(Exception):
    """Training stopped early; ``exit_code`` is what the process should exit with."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code


class _StopRequests:
    """SIGINT / SIGTERM set a flag; the loop finishes its step, checkpoints, and stops."""

    SIGNALS = {signal.SIGINT: 130, signal.SIGTERM: 143}

    def __init__(self):
        self.signum = None
        self._previous = {}

    def __enter__(self):
        for signum in self.SIGNALS:
            try:
                self._previous[signum] = signal.signal(signum, self._handle)
            except ValueError:  # not the main thread: no handlers, Ctrl-C raises as usual
                pass
        return self

    def _handle(self, signum, frame):
        if self.signum is not None:  # a second Ctrl-C while saving: let it through
            raise KeyboardInterrupt
        self.signum = signum

    def __exit__(self, *exc):
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        return False


# --------------------------------------------------------------------------- the trainer


class Trainer:
    def __init__(self, config: dict, components: Components, run: Run, report, callbacks=()):
        self.config = config
        self.c = components
        self.run = run
        self.report = report
        self.callbacks: list[Callable[[dict], None]] = list(callbacks)
        train = config["train"]
        self.epochs = train["epochs"]
        self.grad_clip = train.get("grad_clip")
        self.l1 = train.get("l1") or 0.0
        data = components.data
        self.objective = Objective(components.loss_name, components.loss_options, data.task)
        self.eval_split = "val" if data.val is not None else "test"
        self.loader = data.loader(
            "train", config["data"]["batch_size"], shuffle=True, drop_last=False,
            seed=config["seed"], device=components.device,
        )
        self.epoch = 0           # epochs completed
        self.step = 0            # optimizer steps taken
        self.progress = _EpochSums()
        self.best = None         # best eval metric so far
        self.records: list[dict] = []

    # -- one epoch

    def train_epoch(self, stop: _StopRequests):
        model, sums = self.c.model, self.progress
        model.train()
        steps = len(self.loader)
        self.report.epoch_started(self.epoch + 1, steps, sums.steps)
        started = time.perf_counter() - sums.seconds
        # A diverging run overflows before its loss turns inf/NaN; the check
        # below reports that once, clearly, instead of NumPy warning per op.
        with np.errstate(over="ignore", invalid="ignore"):
            self._train_steps(stop, started)
        sums.seconds = time.perf_counter() - started

    def _train_steps(self, stop, started):
        model, optimizer, sums, objective = self.c.model, self.c.optimizer, self.progress, self.objective
        for xb, yb in self.loader:
            out = model(as_tensor(xb))
            loss = objective.loss(out, objective.targets(yb))
            total = loss + l1_penalty(model.parameters(), self.l1) if self.l1 else loss
            value = loss.item()
            if not math.isfinite(value):
                kept = (f"its last good checkpoint is kept ({self.run.last})" if self.run.last.exists()
                        else "no checkpoint had been written yet")
                raise Stopped(
                    f"the loss became {value} at step {self.step + 1} (epoch {self.epoch + 1}); the run "
                    f"stopped and {kept}. Try a smaller optimizer.lr or set train.grad_clip.", 1,
                )
            optimizer.zero_grad()
            total.backward()
            if self.grad_clip:
                clip_grad_norm_(model.parameters(), self.grad_clip)
            optimizer.step()
            self.step += 1
            n = len(yb)
            sums.add(value * n, n)
            objective.score(out.data, yb, sums)
            elapsed = time.perf_counter() - started
            metrics = {"epoch": self.epoch + 1, "step": self.step, "loss": value,
                       "samples_per_s": sums.count / max(elapsed, 1e-9)}
            self.report.step(sums.steps, metrics)
            for callback in self.callbacks:
                callback(metrics)
            if stop.signum is not None:
                sums.seconds = time.perf_counter() - started
                self.save(self.run.last)
                raise Stopped(self._stopped_message(stop.signum), _StopRequests.SIGNALS[stop.signum])

    def _stopped_message(self, signum):
        name = signal.Signals(signum).name
        return (
            f"{name}: stopped after step {self.step} (epoch {self.epoch + 1}, "
            f"{self.progress.steps}/{len(self.loader)} steps); checkpoint saved to {self.run.last}\n"
            f"resume with:\n  nettrain train {self.run.dir / 'config.yaml'} --resume {self.run.last}"
        )

    def evaluate(self, split: str) -> dict:
        return evaluate(self.c.model, self.objective, self.c.data, split, self.c.device)

    # -- the whole run

    def fit(self) -> dict:
        log = self.run.metrics
        with _StopRequests() as stop:
            while self.epoch < self.epochs:
                self.train_epoch(stop)
                row = {"kind": "epoch", "epoch": self.epoch + 1, "step": self.step}
                row.update(self.progress.summary("train", self.objective.task))
                row["lr"] = self.c.optimizer.param_groups[0]["lr"]
                if (self.epoch + 1) % self.config["train"]["eval_every"] == 0 or self.epoch + 1 == self.epochs:
                    row.update(self.evaluate(self.eval_split))
                row["seconds"] = round(self.progress.seconds, 3)
                if self.c.scheduler is not None:
                    self.c.scheduler.step()
                self.epoch += 1
                self.progress = _EpochSums()
                improved = self._track_best(row)
                self.records.append(row)
                log.append(row)
                self.report.epoch_finished(row)
                self._checkpoint(improved)
                if stop.signum is not None:
                    raise Stopped(self._stopped_message(stop.signum), _StopRequests.SIGNALS[stop.signum])
        final = {"kind": "final", "epoch": self.epoch, "step": self.step}
        last = self.records[-1] if self.records else {}
        if last.get("kind") == "epoch" and last.get("epoch") == self.epoch and "test_loss" in last:
            # no val split: the last epoch was already evaluated on test
            final.update({k: v for k, v in last.items() if k.startswith("test_")})
        else:
            final.update(self.evaluate("test"))
        if self.best is not None:
            final["best"] = self.best
        log.append(final)
        self.records.append(final)
        plot_curves(self.records, self.run.dir / "curves.png")
        return final

    def _track_best(self, row) -> bool:
        split = self.eval_split
        key, better = (f"{split}_acc", max) if self.objective.task != "regression" else (f"{split}_loss", min)
        if key not in row:
            return False
        if self.best is None or better(row[key], self.best["value"]) != self.best["value"]:
            self.best = {"metric": key, "value": row[key], "epoch": row["epoch"]}
            return True
        return False

    def _checkpoint(self, improved: bool):
        train = self.config["train"]
        last_epoch = self.epoch == self.epochs
        if self.epoch % train["checkpoint_every"] and not last_epoch:
            return
        self.save(self.run.last)  # serialised once; best and the stamped copy are file copies
        if improved:
            copy_atomic(self.run.last, self.run.best)
        copy_atomic(self.run.last, self.run.checkpoints / f"epoch-{self.epoch:04d}{SUFFIX}")
        kept = sorted(self.run.checkpoints.glob(f"epoch-*{SUFFIX}"))
        for old in kept[: max(0, len(kept) - train["keep_last"])]:
            old.unlink()

    # -- checkpoint state

    def state(self) -> dict:
        return {
            "format": FORMAT,
            "version": VERSION,
            "model": self.c.model.state_dict(),
            "optimizer": self.c.optimizer.state_dict(),
            "scheduler": self.c.scheduler.state_dict() if self.c.scheduler is not None else None,
            "epoch": self.epoch,
            "step": self.step,
            "progress": dataclasses.asdict(self.progress),
            "loader": self.loader.state_dict(),
            "rng": backend.get_rng_state(),
            "best": self.best,
            "metrics": self.records,
            "config": self.config,
            "data": {"name": self.c.data.name, "transform_state": self.c.data.transform_state},
        }

    def save(self, path):
        write_atomic(self.state(), path)

    def restore(self, state: dict):
        self.c.model.load_state_dict(state["model"])
        self.c.optimizer.load_state_dict(state["optimizer"])
        if self.c.scheduler is not None and state.get("scheduler") is not None:
            self.c.scheduler.load_state_dict(state["scheduler"])
        self.epoch, self.step = int(state["epoch"]), int(state["step"])
        self.progress = _EpochSums(**state["progress"])
        self.loader.load_state_dict(state["loader"])
        backend.set_rng_state(state["rng"])
        self.best = state.get("best")
        self.records = list(state.get("metrics") or [])


@dataclasses.dataclass
class _EpochSums:
    """Running sums over an epoch (or an evaluation); part of a mid-epoch checkpoint."""

    loss_sum: float = 0.0
    count: int = 0
    correct: int = 0
    abs_err: float = 0.0
    steps: int = 0
    seconds: float = 0.0

    def add(self, loss_sum, n):
        self.loss_sum += loss_sum
        self.count += n
        self.steps += 1

    def summary(self, split, task) -> dict:
        n = max(self.count, 1)
        out = {f"{split}_loss": self.loss_sum / n}
        if task == "regression":
            out[f"{split}_mae"] = self.abs_err / n
        else:
            out[f"{split}_acc"] = self.correct / n
        return out


# --------------------------------------------------------------------------- resume checks

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
