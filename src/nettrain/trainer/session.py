"""One training session, callable from Python: ``nettrain.train(config)``.

``nettrain train`` is this function plus parsing its options and printing
the outcome; a Python user gets the same run folder, checkpoints and exact
resume without copying the command's code::

    import nettrain
    result = nettrain.train("configs/clusters.yaml")
    result.final["test_acc"], result.run.dir
    nettrain.train(result.run.dir / "config.yaml", resume=result.run.last)

Everything that can fail on a person's input (the config, the checkpoint,
the data) fails before the run folder exists.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..checkpoint import open_checkpoint
from ..config import as_config, config_from_dict
from ..errors import CheckpointError, ConfigError, UsageError
from ..memory_estimate import check_fits_memory
from ..model_summary import summary
from ..report import SilentReport, make_report
from ..runlock import RunLock
from .components import build, check_optional_packages
from .loop import Stopped, Trainer
from .run import (Run, check_resumable, check_run_folder, check_runs_dir, create_locked_run, lock_run,
                  write_failure, write_resumed_files)


@dataclass
class TrainResult:
    """What a finished session leaves: its run folder, the final record and
    every record. ``already_finished``: why a resume of a finished run did
    nothing (no file was written), else None."""

    run: Run
    final: dict
    records: list = field(default_factory=list)
    already_finished: str | None = None


def checkpoint_config(layout_config, checkpoint) -> "Config":  # noqa: F821 - nettrain.config.Config
    """A checkpoint's stored config, validated as a file would be: a hand-edited
    or foreign one is a ConfigError naming the checkpoint (exit 2)."""
    if not isinstance(layout_config, dict):
        raise ConfigError(f"{checkpoint} (its config): expected a mapping of config sections, "
                          f"got {type(layout_config).__name__}")
    return config_from_dict(layout_config, source=f"{checkpoint} (its config)")


def train(config, *, resume=None, report=None, consumers=(), source=None, parallel=None) -> TrainResult:
    """Train what ``config`` describes (a Config, a mapping or a YAML path).

    ``resume``: a checkpoint of this config's run to continue from (the keys
    the schema marks resumable, such as train.epochs, may differ). ``report``:
    what shows progress (default: ``make_report``, rich on a terminal, plain
    lines elsewhere). ``consumers``: more epoch-record consumers (see
    ``Trainer``). ``source`` names the config in messages (default: its
    path, or "config"). ``parallel``: the processes of a data-parallel run
    (``nettrain.distributed.connect()``; default one process). Raises
    UsageError subclasses for a person's mistakes and ``Stopped`` when a
    signal or a diverging loss ends the run early (after recording it in
    metrics.jsonl). Resuming a finished run writes nothing and returns its
    final record with ``already_finished`` saying why."""
    from ..distributed.parallel import SingleProcess

    parallel = parallel or SingleProcess()
    source = source or (str(config) if isinstance(config, (str, Path)) else None)
    # Every rank checks the same input; a mistake is one message and exit 2
    # for all of them, found before anything is written or exchanged: a new
    # run's folder is made last, a resumed run's files are rewritten only
    # once its checkpoint has been restored.
    with parallel.agreement():
        cfg = as_config(config, source)
        source = source or "config"
        check_optional_packages(cfg, source)
        check_fits_memory(cfg, source)
        state, run, finished = None, None, None
        device = parallel.use_device(cfg.device)  # a GPU per process
        if resume is not None:
            read_stamp = _file_stamp(resume)  # taken before the read: a later replacement shows as a change
            with open_checkpoint(resume) as ckpt:  # layout checked; arrays read only once they fit
                saved = checkpoint_config(ckpt.layout["config"], resume)
                check_resumable(saved.to_dict(), cfg.to_dict(), resume)
                run = Run.of_checkpoint(resume)
                if not (run.dir / "config.yaml").exists():
                    raise CheckpointError(f"{resume}: not inside a run folder (no {run.dir / 'config.yaml'})")
                finished = run.already_finished(int(ckpt.layout["epoch"]), cfg.train.epochs)
                if finished is None:
                    _check_epochs_reach_the_checkpoint(ckpt.layout, cfg.train.epochs, resume)
                    check_run_folder(run)
                    components = build(cfg, device=device, transform_state=ckpt.layout["data"]["transform_state"],
                                       source=source)
                    state = ckpt.load(components.model, components.optimizer, components.scheduler)
        else:
            check_runs_dir(Path(cfg.output.runs_dir), cfg.name)
            components = build(cfg, device=device, source=source)
        if finished is None:
            parallel.check_model(components.model)
    if finished is not None:  # nothing to do, nothing written
        final, why = finished
        return TrainResult(run, final, [r for r in run.metrics.read() if r.get("kind") in ("epoch", "final")], why)

    # Only rank 0 writes (and holds the run folder's lock); the others learn
    # the folder's path from it.
    lock = None
    with parallel.agreement():
        if parallel.writes_files:
            if run is None:
                run, lock = create_locked_run(cfg.output.runs_dir, cfg.name, cfg.to_yaml())
            else:
                lock = lock_run(RunLock(run.dir))
                _check_unchanged_under_lock(run, resume, read_stamp, int(state["epoch"]), cfg.train.epochs, lock)
    try:
        run = Run(Path(parallel.broadcast(str(run.dir) if parallel.writes_files else None)))
        data = components.data
        if not parallel.writes_files:
            report = SilentReport()
        elif report is None:
            report = make_report(data.task, cfg.train.log_every, "val" if data.val is not None else "test")
        trainer = Trainer(cfg, components, run, report, parallel=parallel, consumers=consumers)
        with parallel.agreement():
            if state is not None:
                try:
                    trainer.restore(state)
                except (KeyError, ValueError, RuntimeError) as err:
                    raise CheckpointError(f"{resume}: does not fit this model and optimizer: {err}") from None
                if parallel.writes_files:
                    write_resumed_files(run, cfg.to_yaml(), trainer.records)
        final = _fit(trainer, run, report, parallel, _run_info(cfg, components, run, trainer, parallel, resume, state),
                     new=state is None)
    finally:
        if lock is not None:
            lock.release()
    return TrainResult(run, final, trainer.records)


def _file_stamp(path):
    """What changes when a checkpoint is rewritten (write_atomic renames a new file into place)."""
    try:
        stat = Path(path).stat()
    except OSError:
        return None  # missing: open_checkpoint says so, or the recheck sees the change
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def _check_epochs_reach_the_checkpoint(layout, epochs: int, resume):
    """A resume whose train.epochs ends before the checkpoint's own point
    would write a final record for an epoch the weights have gone past."""
    done = int(layout["epoch"])
    started = done + (1 if int(layout["loader"]["position"]) > 0 else 0)  # an epoch in progress counts
    if started > epochs:
        part = f" and part of epoch {started}" if started > done else ""
        raise CheckpointError(
            f"{resume}: this run has trained {done} epoch(s){part}; train.epochs = {epochs} would end it "
            f"before that point; resume with --epochs N, N >= {started}"
        )


def _check_unchanged_under_lock(run, resume, read_stamp, checkpoint_epoch: int, epochs: int, lock):
    """The checks made before the lock, made again now that it is held: the
    process that held it (the run's own, finishing its final evaluation, or
    another resume) may have written the final record or a newer checkpoint
    in between, and continuing from what was read would redo or undo its
    work. A UsageError (lock released, nothing written): the command, run
    again, says what the run is now."""
    finished = run.already_finished(checkpoint_epoch, epochs)
    if finished is None and _file_stamp(resume) == read_stamp:
        return
    lock.release()
    what = "finished the run" if finished is not None else f"replaced {resume}"
    raise UsageError(f"{run.dir}: another process {what} while this resume started; nothing was written; "
                     "run the command again")


def _fit(trainer, run, report, parallel, info, new: bool) -> dict:
    """trainer.fit() between the report's start and close; a stop recorded in metrics.jsonl."""
    report.run_started(info)
    try:
        final = trainer.fit()
    except Stopped as stopped:
        report.close()
        if parallel.writes_files:
            record = {"kind": "stopped", "epoch": trainer.current_epoch(), "step": trainer.step,
                      "reason": str(stopped).splitlines()[0]}
            if run.last.exists():
                record["resume"] = trainer.resume_command()
            try:
                run.metrics.append(record)
            except OSError:
                pass  # the message matters more than the record
        raise
    except OSError as err:  # a full disk, a folder gone read-only: one message, the way back
        report.close()
        message = write_failure(err, run, trainer, new=new)
        if parallel.size > 1:
            raise UsageError(message) from None  # every rank stops (they wait in a collective)
        raise Stopped(message, 1) from None
    report.close()
    return final


def _run_info(cfg, components, run, trainer, parallel, resume, state) -> dict:
    """What the report shows before the first epoch."""
    data = components.data
    train = f"train {len(data.train[1])}"
    limit = cfg.train.limit_batches
    if limit:  # the evaluation splits are cut already (limit_batches); training takes limit batches an epoch
        train += f" ({min(len(data.train[1]), limit * cfg.data.batch_size)} an epoch: train.limit_batches {limit})"
    info = {
        "run": run.dir,
        "data": f"{data.name} ({data.source}); {train}, {trainer.eval_split} "
                f"{len(getattr(data, trainer.eval_split)[1])}",
        # The short summary; its dry forward pass draws no random numbers, so a resumed run is unchanged.
        "model": f"{cfg.model.name} on {components.device}: "
                 + summary(components.model, (cfg.data.batch_size, *data.input_shape)).short(),
    }
    if parallel.size > 1:
        info["processes"] = (f"{parallel.description}; global batch {cfg.data.batch_size}, "
                             f"each process takes its part of every batch")
    if state is not None:
        info["resumed"] = f"from {resume}, after {trainer.position()}"  # as the stop message put it
        saved_size = int(state.get("world_size", 1))
        if saved_size != parallel.size:
            info["resumed"] += (f"; written by {saved_size} process(es), continued by {parallel.size}: "
                                "the same global batches, equal up to float summation order")
    return info
