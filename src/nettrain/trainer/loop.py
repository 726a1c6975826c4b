"""The training loop: epochs and steps, stop requests (SIGINT/SIGTERM), best tracking, state and restore."""
from __future__ import annotations

import dataclasses
import math
import signal
import time
from typing import Callable

import numpy as np

from .. import backend
from ..checkpoint import FORMAT, VERSION, write_atomic
from ..distributed.flat import StepStats
from ..distributed.parallel import SingleProcess
from ..report import plot_curves
from ..tensor import as_tensor
from ..tensorboard import TensorBoardLog
from ..config import as_config
from ..metrics import task_metrics
from .components import Components
from .early_stopping import EarlyStopping
from .objective import EpochSums, Objective, evaluate
from .run import CheckpointPolicy, Run


class Stopped(Exception):
    """Training stopped early; ``exit_code`` is what the process should exit with."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code


class StopRequests:
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


class BestTracker:
    """The best validation figure so far, by the task's ``best`` metric
    (``nettrain.metrics``); ``improved`` says whether the last epoch's
    record set it. Only a run with a validation split has one: choosing a
    "best" epoch on the test set would be selecting on the test data."""

    def __init__(self, task: str, split: str, best: dict | None = None):
        self.metric, self.key = task_metrics(task).best, task_metrics(task).best.key(split)
        self.best, self.improved = best, False

    def epoch_finished(self, record: dict):
        value = record.get(self.key)
        self.improved = value is not None and (self.best is None or self.metric.better(value, self.best["value"]))
        if self.improved:
            self.best = {"metric": self.key, "value": value, "epoch": record["epoch"]}


class EarlyStopNote:
    """Tells the report, below the table's row, that early stopping ended the run."""

    def __init__(self, report, epochs: int):
        self.report, self.epochs = report, epochs

    def epoch_finished(self, record: dict):
        if "early_stop" in record:
            self.report.note(f"{record['early_stop']}: stopping after epoch {record['epoch']} of {self.epochs}")


class Trainer:
    """Epochs of steps over a run's components, with exact resume.

    ``config`` is a ``nettrain.config.Config`` (a mapping is validated into
    one), kept typed as ``self.config``; a checkpoint stores its
    ``to_dict()``. After each epoch the loop builds one record (``kind:
    epoch``: losses, scores, lr, seconds) and hands it to its consumers, in
    order, through one method, ``epoch_finished(record)``
    (``consumers()``): the best tracker, early stopping (which marks the
    record), the metrics log and the checkpoint policy (rank 0 only), the
    report, TensorBoard, and any ``consumers`` given.
    """

    def __init__(self, config, components: Components, run: Run, report, callbacks=(), parallel=None,
                 consumers=()):
        self.config = cfg = as_config(config)  # typed: every default filled in once, by the schema
        self.extra_consumers = list(consumers)
        # The other processes of a data-parallel run (distributed/parallel.py); one process: no-ops.
        self.parallel = parallel or SingleProcess()
        self.c = components
        self.run = run
        self.report = report
        self.callbacks: list[Callable[[dict], None]] = list(callbacks)
        train = cfg.train
        self.epochs = train.epochs
        data = components.data
        self.objective = Objective(components.loss_name, components.loss_options, data.task)
        self.eval_split = "val" if data.val is not None else "test"
        self.accumulate = train.accumulate
        self.loader = self.parallel.shard(data.loader(
            "train", cfg.data.batch_size, shuffle=not train.overfit_batches, drop_last=False,
            seed=cfg.seed, device=components.device, augment=components.augment,
            max_batches=train.limit_batches,
        ))
        self.step_scheduler = components.scheduler if components.scheduler_interval == "step" else None
        self.epoch_scheduler = components.scheduler if components.scheduler_interval == "epoch" else None
        stopping = train.early_stopping
        self.early_stopping = EarlyStopping(**dataclasses.asdict(stopping)) if stopping else None
        self.tensorboard = None  # a TensorBoardLog while fit() runs, when output.tensorboard is set
        self.epoch = 0           # epochs completed
        self.step = 0            # optimizer steps taken
        self.progress = EpochSums()
        self.records: list[dict] = []
        self.tracker = BestTracker(data.task, "val") if data.val is not None else None
        self.checkpoints = CheckpointPolicy(run, train.checkpoint_every, train.keep_last, self.epochs,
                                            self.save, self.tracker)

    @property
    def best(self) -> dict | None:
        """The best validation metric so far: {"metric", "value", "epoch"}; None without a val split."""
        return self.tracker.best if self.tracker is not None else None

    def consumers(self) -> list:
        """Who gets each epoch's record, in order (see the class's docstring)."""
        writes = self.parallel.writes_files  # only rank 0 writes the run folder
        return [*([self.tracker] if self.tracker is not None else []), *([self.early_stopping] if self.early_stopping is not None else []),
                *([self.run.metrics, self.checkpoints] if writes else []), self.report,
                *([EarlyStopNote(self.report, self.epochs)] if self.early_stopping is not None else []),
                *([self.tensorboard] if self.tensorboard is not None else []), *self.extra_consumers]

    # -- one epoch

    def train_epoch(self, stop: StopRequests):
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
        optimizer, sums = self.c.optimizer, self.progress
        for xb, yb in self.loader:
            # This process's forward and backward; with several processes, then
            # one sum of gradients and statistics: every process holds the global
            # batch's mean gradient, loss, and any stop request.
            step = self.parallel.step(self._forward_backward, xb, yb, self.loader.batch_rows, stop.signum)
            if not math.isfinite(step.loss):
                kept = (f"its last good checkpoint is kept ({self.run.last})" if self.run.last.exists()
                        else "no checkpoint had been written yet")
                raise Stopped(
                    f"the loss became {step.loss} at step {self.step + 1} (epoch {self.epoch + 1}); the run "
                    f"stopped and {kept}. Try a smaller optimizer.lr or set train.grad_clip.", 1,
                )
            lr = optimizer.param_groups[0]["lr"]  # the rate this step uses
            optimizer.step()
            if self.step_scheduler is not None:
                self.step_scheduler.step()
            self.step += 1
            sums.add(step.loss_sum, step.count)
            sums.correct += step.correct
            sums.abs_err += step.abs_err
            sums.lr = lr
            elapsed = time.perf_counter() - started
            metrics = {"epoch": self.epoch + 1, "step": self.step, "loss": step.loss, "lr": lr,
                       "samples_per_s": sums.count / max(elapsed, 1e-9)}
            self.report.step(sums.steps, metrics)
            if self.tensorboard is not None and self.step % self.config.train.log_every == 0:
                self.tensorboard.step(self.step, step.loss, lr)
            for callback in self.callbacks:
                callback(metrics)
            stop_signal = self.parallel.stop_after(step, stop.signum)
            if stop_signal is not None:
                sums.seconds = time.perf_counter() - started
                if self.parallel.writes_files:
                    self.save(self.run.last)
                raise Stopped(self._stopped_message(stop_signal), StopRequests.SIGNALS[stop_signal])

    def _forward_backward(self, xb, yb) -> StepStats:
        """Loss and gradients of this process's batch, over ``train.accumulate``
        micro-batches (one, usually): each loss weighted by its share of the
        rows, so the summed gradients are the whole batch's mean-loss
        gradients with a fraction of the activations' memory. ``train.l1``
        and ``train.grad_clip`` are the optimizer's step hooks (``build``):
        they act on the summed gradients inside ``optimizer.step()``."""
        model, objective, n = self.c.model, self.objective, len(yb)
        self.c.optimizer.zero_grad()
        step = StepStats(0.0, n)
        bounds = [n * i // self.accumulate for i in range(self.accumulate + 1)]
        for start, stop in zip(bounds, bounds[1:]):
            if start == stop:
                continue
            out = model(as_tensor(xb[start:stop]))
            loss = objective.loss(out, objective.targets(yb[start:stop]))
            total = loss if stop - start == n else loss * ((stop - start) / n)
            total.backward()
            step.loss_sum += loss.item() * (stop - start)
            objective.score(out.array, yb[start:stop], step)  # adds to step.correct (or step.abs_err)
        return step

    def current_epoch(self) -> int:
        """The epoch the last step belongs to, numbered from 1 as the table
        numbers them (``self.epoch`` counts the epochs completed)."""
        return self.epoch + 1 if self.progress.steps else self.epoch

    def position(self) -> str:
        """Where the run stands, in the words both a stop and a resume use:
        "step 818 (epoch 1, 818/860 steps)", or between epochs "step 860
        (the end of epoch 1)"."""
        if self.progress.steps:
            return f"step {self.step} (epoch {self.epoch + 1}, {self.progress.steps}/{len(self.loader)} steps)"
        return f"step {self.step} (the end of epoch {self.epoch})" if self.epoch else f"step {self.step}"

    def _stopped_message(self, signum):
        name = signal.Signals(signum).name
        return (
            f"{name}: stopped after {self.position()}; checkpoint saved to {self.run.last}\n"
            f"resume with:\n  {self.resume_command()}"
        )

    def resume_command(self) -> str:
        """How to continue this run (with as many processes; another number works too)."""
        return f"{self.parallel.launch_prefix}nettrain train {self.run.dir / 'config.yaml'} --resume {self.run.last}"

    def evaluate(self, split: str) -> dict:
        return evaluate(self.c.model, self.objective, self.c.data, split, self.c.device, parallel=self.parallel)

    # -- the whole run

    def fit(self) -> dict:
        writes = self.parallel.writes_files  # only rank 0 writes the run folder
        if writes and self.config.output.tensorboard:
            self.tensorboard = TensorBoardLog(self.run.dir, resume_step=self.step or None)
        try:
            return self._fit(writes)
        finally:
            if self.tensorboard is not None:
                self.tensorboard.close()
                self.tensorboard = None

    def _fit(self, writes) -> dict:
        log = self.run.metrics
        self.parallel.synchronise(self.c.model)
        consumers = self.consumers()
        with StopRequests() as stop:
            while self.epoch < self.epochs and not (self.early_stopping and self.early_stopping.stopped):
                self.train_epoch(stop)
                record = self._epoch_record()
                self.epoch += 1
                self.progress = EpochSums()
                self.records.append(record)
                for consumer in consumers:
                    consumer.epoch_finished(record)
                stop_signal = self.parallel.any_stop(stop.signum)  # agreed: every process stops here
                if stop_signal is not None:
                    raise Stopped(self._stopped_message(stop_signal), StopRequests.SIGNALS[stop_signal])
            # The handlers stay until the run's last write: a stop during the
            # final evaluation resumes from the last epoch's checkpoint, which
            # then only evaluates and writes the final record.
            final = self._final_record()
            stop_signal = self.parallel.any_stop(stop.signum)
            if stop_signal is not None:
                raise Stopped(self._stopped_in_final_message(stop_signal), StopRequests.SIGNALS[stop_signal])
            self.records.append(final)
            if writes:
                log.append(final)
                plot_curves(self.records, self.run.dir / "curves.png", title=self.run.dir.name)
        return final

    def _epoch_record(self) -> dict:
        """The epoch just trained: train figures, lr, the eval split's figures when due; steps the scheduler."""
        record = {"kind": "epoch", "epoch": self.epoch + 1, "step": self.step}
        record.update(self.progress.summary("train", self.objective.task))
        record["lr"] = self.progress.lr if self.progress.lr is not None else self.c.optimizer.param_groups[0]["lr"]
        if (self.epoch + 1) % self.config.train.eval_every == 0 or self.epoch + 1 == self.epochs:
            record.update(self.evaluate(self.eval_split))
        record["seconds"] = round(self.progress.seconds, 3)
        record["world_size"] = self.parallel.size
        if self.epoch_scheduler is not None:
            self.epoch_scheduler.step()
        return record

    def _final_record(self) -> dict:
        final = {"kind": "final", "epoch": self.epoch, "step": self.step}
        last = self.records[-1] if self.records else {}
        if last.get("kind") == "epoch" and last.get("epoch") == self.epoch and "test_loss" in last:
            # no val split: the last epoch was already evaluated on test
            final.update({k: v for k, v in last.items() if k.startswith("test_")})
        else:
            final.update(self.evaluate("test"))
        if self.best is not None:
            final["best"] = self.best
        if self.early_stopping is not None and self.early_stopping.stopped:
            final["early_stop"] = self.early_stopping.reason()
        return final

    def _stopped_in_final_message(self, signum):
        name = signal.Signals(signum).name
        return (
            f"{name}: stopped during the final test evaluation (all {self.epoch} epochs done); "
            f"the last checkpoint is {self.run.last}\n"
            f"resume with (it evaluates and writes the final record):\n  {self.resume_command()}"
        )

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
            "early_stopping": self.early_stopping.state_dict() if self.early_stopping is not None else None,
            "metrics": self.records,
            "config": self.config.to_dict(),
            "data": {"name": self.c.data.name, "transform_state": self.c.data.transform_state},
            # Nothing else depends on it: the loader counts global batches and
            # the optimizer state is the same in every process.
            "world_size": self.parallel.size,
        }

    def save(self, path):
        write_atomic(self.state(), path)

    def restore(self, state: dict):
        self.c.model.load_state_dict(state["model"])
        self.c.optimizer.load_state_dict(state["optimizer"])
        if self.c.scheduler is not None and state.get("scheduler") is not None:
            self.c.scheduler.load_state_dict(state["scheduler"])
        self.epoch, self.step = int(state["epoch"]), int(state["step"])
        self.progress = EpochSums(**state["progress"])
        self.loader.load_state_dict(state["loader"])
        backend.set_rng_state(state["rng"])
        if self.tracker is not None:
            self.tracker.best = state.get("best")
        if self.early_stopping is not None and state.get("early_stopping") is not None:
            self.early_stopping.load_state_dict(state["early_stopping"])
        self.records = list(state.get("metrics") or [])

