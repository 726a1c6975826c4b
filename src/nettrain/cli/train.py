"""``nettrain train``, ``nettrain eval`` and ``nettrain runs``."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import List, Optional

import typer

from ..errors import CheckpointError, UsageError
from ..terminal import is_terminal, labelled
from .completion import complete_checkpoint, complete_config
from .common import (DEVICE_HELP, PLOT_INSTALL, RUNS_DIR_OPTION, SET_HELP, Command, app, checked_device, checked_output_file, console,
                     console_err, matplotlib_installed)
from .tables import Column, fit, print_table


@app.command("train", cls=Command)
def train_command(
    ctx: typer.Context,
    config: Path = typer.Argument(..., help="The YAML config, e.g. configs/lenet.yaml.",
                                  autocompletion=complete_config),
    set_: Optional[List[str]] = typer.Option(
        None, "--set", metavar="KEY=VALUE",
        help=SET_HELP,
    ),
    device: Optional[str] = typer.Option(None, "--device", help=DEVICE_HELP + " (overrides the config)."),
    resume: Optional[Path] = typer.Option(None, "--resume", help="Continue a run from its checkpoint.",
                                          autocompletion=complete_checkpoint),
    name: Optional[str] = typer.Option(None, "--name", help="Run name (folder runs/<name>-<timestamp>)."),
    runs_dir: Optional[Path] = typer.Option(None, "--runs-dir", help="Where run folders go (default: runs).",
                                            **RUNS_DIR_OPTION),
    epochs: Optional[int] = typer.Option(None, "--epochs", help="Train this many epochs in all (overrides train.epochs)."),
    workers: Optional[int] = typer.Option(
        None, "--workers", metavar="N",
        help="Train as N processes on this machine: re-launches itself under the environment's mpiexec "
             "(the mpi extra); the same as mpiexec -n N nettrain train ... With N idle cores the fast "
             "way to train a convolutional network (LeNet, 2 cores: 1.7-1.8x one process).",
    ),
    fast_dev_run: bool = typer.Option(False, "--fast-dev-run", help="One batch of each split, one epoch: "
                                      "every part of a run exercised, nothing kept."),
):
    """Train the model a config describes; write a run folder with metrics and checkpoints.

    Started by an MPI launcher (mpiexec -n N nettrain train CONFIG, srun), it
    trains data-parallel: each process takes its part of every batch.

    Examples:

    \b
        nettrain train configs/lenet.yaml
        nettrain train configs/clusters.yaml --set optimizer.lr=0.05 --epochs 5
        nettrain train runs/<run>/config.yaml --resume runs/<run>/checkpoints/last.npz
        mpiexec -n 2 nettrain train configs/lenet.yaml
        nettrain train configs/lenet.yaml --fast-dev-run
    """
    if fast_dev_run:
        _fast_dev_run(config, set_, device, resume, workers)
        return
    if workers is not None and workers != 1:
        from ..distributed.launcher import relaunch_command

        command = relaunch_command(workers, _arguments_without(ctx, "workers"))
        os.execv(command[0], command)  # becomes mpiexec; its ranks run this command without --workers
    from ..distributed import connect

    parallel = connect()  # one process, unless an MPI launcher started several
    with parallel.failures_abort():
        _train(parallel, config, set_, device, resume, name, runs_dir, epochs)


def _fast_dev_run(config, set_, device, resume, workers):
    """Lightning's fast_dev_run: the whole run (build, train, evaluate, checkpoint,
    final test) on one batch of each split, in a folder removed afterwards."""
    import shutil
    import tempfile

    from ..distributed.parallel import SingleProcess

    if resume is not None:
        raise UsageError("--fast-dev-run starts a throw-away run; it cannot be combined with --resume")
    if workers not in (None, 1):
        raise UsageError("--fast-dev-run runs in one process; drop --workers")
    scratch = Path(tempfile.mkdtemp(prefix="nettrain-fast-dev-run-"))
    overrides = [*(set_ or []), "train.limit_batches=1", "train.overfit_batches=null"]
    try:
        _train(SingleProcess(), config, overrides, device, None, None, scratch, 1, keep=False)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    console.print("fast-dev-run: one batch of each split went through training, evaluation and a "
                  "checkpoint; nothing was kept", highlight=False)


def _arguments_without(ctx: typer.Context, dropped: str) -> list[str]:
    """This command's arguments as given, minus one option: rebuilt from
    what click parsed, so it works however nettrain was called."""
    arguments = [ctx.info_name]
    for param in ctx.command.params:
        value = ctx.params.get(param.name)
        if param.name == dropped or value is None or value == () or value is False:
            continue
        if param.param_type_name == "argument":
            arguments.append(str(value))
        elif getattr(param, "is_flag", False):
            arguments.append(param.opts[0])
        else:
            for item in (value if isinstance(value, (list, tuple)) else [value]):
                arguments += [param.opts[0], str(item)]
    return arguments


def _train(parallel, config, set_, device, resume, name, runs_dir, epochs, keep=True):
    """Parse the options into ``--set`` overrides, run ``nettrain.train``, print the outcome;
    ``keep=False`` (a fast-dev-run) prints no paths of files about to be removed."""
    from ..config import load_config
    from ..trainer import Stopped, train

    with parallel.agreement():  # a mistake in the config: one message and exit 2 on every rank
        device = checked_device(device)
        overrides = list(set_ or [])
        for flag, key, value in (("--device", "device", device), ("--epochs", "train.epochs", epochs),
                                 ("--name", "name", name), ("--runs-dir", "output.runs_dir", runs_dir)):
            if value is not None:  # messages name the option as given, not the --set it becomes
                overrides.append((f"{key}={json.dumps(str(value)) if isinstance(value, (str, Path)) else value}",
                                  f"{flag} {value}"))
        cfg = load_config(config, overrides)
    try:
        result = train(cfg, resume=resume, source=str(config), parallel=parallel)
    except Stopped as stopped:
        if parallel.writes_files:
            console_err.print(str(stopped), markup=False, highlight=False)
        sys.exit(stopped.exit_code)
    if not parallel.writes_files:
        return
    if result.already_finished:
        console.print(f"{result.run.dir}: {result.already_finished}; nothing was written", highlight=False)
    _print_outcome(result, keep)


def _print_outcome(result, keep: bool):
    """The final test figures, saying which checkpoint they are of, then the checkpoints."""
    from ..metrics import LOSS, task_metrics

    final, run = result.final, result.run
    task = "regression" if "test_mae" in final else "classification"
    score = task_metrics(task).score
    name = "accuracy" if task == "classification" else score.label
    _print_labelled("done", f"test {LOSS.label} {LOSS.format.format(final['test_loss'])}, test {name} "
                    f"{score.format.format(final[score.key('test')])} (the last epoch, {final['epoch']}: last.npz)")
    if not keep:
        return
    best = final.get("best")
    if best is None:
        _print_labelled("checkpoint", f"{run.last} (epoch {final['epoch']})")
        _print_labelled("no best.npz", "without a validation split, a best epoch could only be chosen on the "
                        "test set; set data.val_split to keep one")
    else:
        metric = task_metrics(task).best
        _print_labelled("checkpoints", f"{run.last} (epoch {final['epoch']}), {run.best} (epoch {best['epoch']}, "
                        f"the best val {name if metric == score else metric.label} "
                        f"{metric.format.format(best['value'])})")
    _print_labelled("evaluate with", f"nettrain eval --checkpoint {run.best if best is not None else run.last}")
    if not matplotlib_installed():  # the run went well; only its picture is missing
        _print_labelled("no curves.png", f"matplotlib is not installed; {PLOT_INSTALL} draws it in every run")


def _print_labelled(label: str, value: str):
    """``label: value`` on stdout; on a terminal, broken between its parts to fit the width."""
    console.print(labelled(label, value, console.width if is_terminal(sys.stdout) else None), highlight=False)


@app.command("eval", cls=Command)
def eval_command(
    checkpoint: Path = typer.Option(..., "--checkpoint", help="A checkpoint written by `nettrain train`, "
                                    "or a .safetensors file (from `nettrain export`, or with --config).",
                                    autocompletion=complete_checkpoint),
    config: Optional[Path] = typer.Option(None, "--config", help="The config of a .safetensors file "
                                          "that does not carry one (weights from PyTorch).",
                                          autocompletion=complete_config),
    split: str = typer.Option("test", "--split", help="test, val or train."),
    device: Optional[str] = typer.Option(None, "--device", help=DEVICE_HELP + "."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object and nothing else on stdout."),
    show: Optional[int] = typer.Option(None, "--show", min=1, max=100, metavar="N",
                                       help="Draw the N most confident mistakes (needs matplotlib)."),
    out: Path = typer.Option(Path("mistakes.png"), "--out", help="Where --show draws its grid."),
):
    """Evaluate a checkpoint: loss, accuracy, per-class accuracy, confusion matrix
    (MSE/MAE for regression). The checkpoint carries its config.

    Examples:

    \b
        nettrain eval --checkpoint runs/<run>/checkpoints/best.npz
        nettrain eval --checkpoint runs/<run>/checkpoints/last.npz --split train --json
        nettrain eval --checkpoint runs/<run>/checkpoints/best.npz --show 25 --out mistakes.png
    """
    from ..memory_estimate import check_fits_memory
    from ..trainer import Objective, build, evaluate
    from .export import saved_weights

    device = checked_device(device)
    if split not in ("test", "val", "train"):
        raise UsageError(f"--split: {split!r} is not a split; use test, val or train")
    if show is not None:
        if not matplotlib_installed():
            raise UsageError(f"--show draws with matplotlib, which is not installed: {PLOT_INSTALL}")
        checked_output_file(out, "--out", "mistakes.png")
    saved = saved_weights(checkpoint, config)  # its config checked exactly as a config file would be
    check_fits_memory(saved.config, saved.source)
    components = build(saved.config, device=device, transform_state=saved.transform_state, source=saved.source)
    if split == "val" and components.data.val is None:
        raise UsageError(f"--split val: the run had no validation split (data.val_split is 0); use test or train")
    saved.load_into(components.model, "its config describes" if config is None else f"{config} describes")
    objective = Objective(components.loss_name, components.loss_options, components.data.task)
    result = evaluate(components.model, objective, components.data, split, components.device, confusion=True)
    result = {key.removeprefix(f"{split}_"): value for key, value in result.items()}
    result = {"checkpoint": str(checkpoint), "split": split, "epoch": saved.epoch, **result}
    if show is not None:
        _draw_mistakes(components, split, show, out, checkpoint, quiet=as_json)
    if as_json:
        sys.stdout.write(json.dumps(result) + "\n")
        return
    _print_evaluation(result, components.data)


def _draw_mistakes(components, split, count, out, checkpoint, quiet):
    from ..mistakes import plot_mistakes, worst_mistakes

    data = components.data
    images = data.split(split)[0]
    if data.task != "classification":
        raise UsageError(f"--show: {data.name} is a regression data set; there are no misclassified images")
    if images.ndim != 4:
        raise UsageError(f"--show draws images; {data.name}'s samples have shape {images.shape[1:]}")
    found = worst_mistakes(components.model, data, split, components.device, count)
    plot_mistakes(images, found, data.classes, out,
                  f"{checkpoint}: the {len(found['index'])} most confident mistakes on {split}")
    if not quiet:
        console.print(f"{len(found['index'])} mistakes drawn: {out}", highlight=False)


def _print_evaluation(result, data):
    trained = f", epoch {result['epoch']}" if result["epoch"] is not None else ""
    title = f"{result['checkpoint']} on {result['split']} ({result['samples']} samples{trained})"
    rows = [["loss", f"{result['loss']:.4f}"]]
    if "acc" in result:
        rows.append(["accuracy", f"{result['acc']:.2%}"])
    if "mae" in result:
        rows.append(["MAE", f"{result['mae']:.4f}"])
    if "mse" in result:
        rows.append(["MSE", f"{result['mse']:.4f}"])
    print_table(console, title, [Column("metric"), Column("value", right=True)], rows)
    matrix = result.get("confusion_matrix")
    if matrix:
        _print_confusion(matrix, result["per_class_acc"], list(getattr(data, "classes", None) or []))


def _print_confusion(matrix, per_class_acc, names):
    """Rows: true class, columns: predicted class (by index). Counts and
    accuracies are never cut; class names are shortened, and where even the
    shortened names do not fit, rows show the index and a legend follows."""
    k = len(matrix)
    named = bool(names) and any(name != str(i) for i, name in enumerate(names))
    counts = [[str(v) for v in row] for row in matrix]
    accs = ["-" if a is None else f"{a:.1%}" for a in per_class_acc]
    columns = [Column(str(j), right=True) for j in range(k)] + [Column("acc", right=True)]
    labels = [f"{i} {names[i]}" if named else str(i) for i in range(k)]
    lines = fit([Column("true", shrink=len(str(k - 1)) + 4)] + columns,
                [[labels[i], *counts[i], accs[i]] for i in range(k)], console.width, gap=1)
    legend = named and max(map(len, lines)) > console.width
    if legend:  # index only, names below
        lines = fit([Column("true")] + columns, [[str(i), *counts[i], accs[i]] for i in range(k)],
                    console.width, gap=1)
    console.print("\nconfusion matrix (rows: true class, columns: predicted class)", markup=False, highlight=False)
    for text in lines:
        console.print(text, markup=False, highlight=False, soft_wrap=True)
    if legend or (named and any("…" in text for text in lines)):
        console.print("classes: " + ", ".join(f"{i} {n}" for i, n in enumerate(names)),
                      markup=False, highlight=False, soft_wrap=False)
