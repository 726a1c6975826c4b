"""``nettrain runs`` (the run folders, with the hyper-parameters that differ
between them) and ``nettrain runs compare RUN_A RUN_B``."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..errors import UsageError
from .common import HELP_SETTINGS, RUNS_DIR_OPTION, Command, app, checked_output_file, console
from .completion import complete_run

runs_app = typer.Typer(
    help="""List the runs (no subcommand): name, config, epochs done, best val and test
    figures, status, and the hyper-parameters that differ between them; or
    compare two, or export one's metrics as CSV.

    Examples:

    \b
        nettrain runs --runs-dir runs
        nettrain runs compare lenet-20261123-101500 lenet-20261123-111500
        nettrain runs export lenet-20261123-101500 --csv lenet.csv
    """,
    invoke_without_command=True,
    **HELP_SETTINGS,
)
app.add_typer(runs_app, name="runs")

RUNS_DIR_HELP = "The folder that holds the run folders."

# Keys that say where and how often, not what was learned: never a column.
NOT_HYPERPARAMETERS = ("name", "device", "output.", "data.root", "data.download", "train.epochs",
                       "train.log_every", "train.eval_every", "train.checkpoint_every", "train.keep_last")
MAX_COLUMNS = 2  # more would not fit 80 columns; the rest are named below the table


def _flat(config: dict, prefix="") -> dict:
    """{"optimizer.lr": 0.05, ...}: a nested config as dotted keys."""
    out = {}
    for key, value in config.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _read_config(folder: Path):
    import yaml

    try:
        config = yaml.safe_load((folder / "config.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    return config if isinstance(config, dict) else None


def _has_sections(config) -> bool:
    return isinstance(config, dict) and isinstance(config.get("data"), dict) and isinstance(config.get("model"), dict)


def differing_hyperparameters(configs: list) -> list[str]:
    """Dotted keys whose values differ between the (readable) configs, most telling first."""
    flats = [_flat(c) for c in configs if c is not None]
    if len(flats) < 2:
        return []
    keys = dict.fromkeys(k for flat in flats for k in flat)
    differing = [k for k in keys if not k.startswith(NOT_HYPERPARAMETERS)
                 and len({repr(flat.get(k)) for flat in flats}) > 1]
    first = ("optimizer.lr", "optimizer.name", "data.batch_size", "model.name", "seed")
    return sorted(differing, key=lambda k: (first.index(k) if k in first else len(first), differing.index(k)))


def _short(key: str, keys: list[str]) -> str:
    """"lr" for optimizer.lr, unless another key ends the same way."""
    last = key.rsplit(".", 1)[-1]
    return last if sum(k.rsplit(".", 1)[-1] == last for k in keys) == 1 else key


def _value(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return "[" + ",".join(map(str, value)) + "]"
    return str(value)


@runs_app.callback()
def runs_command(
    ctx: typer.Context,
    runs_dir: Path = typer.Option(Path("runs"), "--runs-dir", help=RUNS_DIR_HELP, **RUNS_DIR_OPTION),
):
    """List the runs (the group's help, above, is what --help shows)."""
    if ctx.invoked_subcommand is not None:
        return
    from ..report import MetricsLog
    from .tables import Column, fit, print_table

    folders = sorted(p for p in runs_dir.iterdir() if (p / "config.yaml").exists()) if runs_dir.is_dir() else []
    if not folders:
        console.print(f"no runs in {runs_dir} yet; `nettrain train CONFIG` makes one", highlight=False, soft_wrap=True)
        return
    configs = [_read_config(folder) for folder in folders]
    differing = differing_hyperparameters(configs)
    shown = differing[:MAX_COLUMNS]
    kinds = [f"{c['data'].get('dataset')}/{c['model'].get('name')}" if _has_sections(c) else "(unreadable config)"
             for c in configs]
    same_kind = len(set(kinds)) == 1  # then said once in the title, saving a column
    title = f"runs in {runs_dir}" + (f" (all {kinds[0]})" if same_kind else "")
    records_of = {folder: MetricsLog(folder / "metrics.jsonl").read() for folder in folders}
    # processes that trained each run (of its latest epoch); a column only when some run used several
    processes = {folder: next((r.get("world_size", 1) for r in reversed(records) if r.get("kind") == "epoch"), None)
                 for folder, records in records_of.items()}
    show_processes = any(n not in (None, 1) for n in processes.values())
    # best val: a column only when some run has a validation split (without one, a run has no best)
    bests = {folder: best_metric([r for r in records if r.get("kind") == "epoch"])
             for folder, records in records_of.items()}
    show_best = any(bests.values())
    columns = ["run", *([] if same_kind else ["data/model"]), "epochs", *(["procs"] if show_processes else []),
               *(["best val"] if show_best else []), "test", *(_short(k, differing) for k in shown), "status"]
    rows, unfinished = [], []
    for folder, config, kind in zip(folders, configs, kinds):
        records = records_of[folder]
        epochs = [r for r in records if r.get("kind") == "epoch"]
        best = bests[folder]
        last = records[-1] if records else {}
        if last.get("kind") == "final":
            status = f"early stop @{last['epoch']}" if "early_stop" in last else "finished"
        elif last.get("kind") == "stopped":
            status = "stopped"
            unfinished.append((folder, "stopped: " + last.get("reason", "")))
        else:
            status = "incomplete" if records else "not started"
            unfinished.append((folder, f"{status}: no final record (killed, or still running)"))
        done = max((r["epoch"] for r in epochs), default=0)
        flat = _flat(config) if config is not None else {}
        procs = [str(processes[folder] or "-")] if show_processes else []
        row = [folder.name, *([] if same_kind else [kind]), f"{done}/{flat.get('train.epochs', '?')}", *procs,
               *([best[1] if best else "-"] if show_best else []), final_test(records), *(_value(flat.get(k)) for k in shown), status]
        rows.append(row)
    # A run's name is what you copy: never cut. Numbers neither; text shortens, then columns go:
    # the hyper-parameters first (named below instead), the final test figure last.
    hyper = [_short(k, differing) for k in shown]
    drop = {"test": 1, "procs": 2, "data/model": 3, **{h: 4 + i for i, h in enumerate(hyper)}}
    fitted = [Column(c, right=c in ("epochs", "procs", "best val", "test"), shrink={"data/model": 8, "status": 8}.get(c, 0),
                     drop=drop.get(c, 0)) for c in columns]
    print_table(console, title, fitted, rows)
    kept = {c.strip() for c in fit(fitted, rows, console.width)[0].split("  ") if c.strip()}
    if show_best:
        console.print("best val: best validation accuracy (loss for regression), - without a val split",
                      highlight=False, markup=False)
    if "test" in kept:
        console.print("test: final test accuracy (loss for regression), last epoch's model (last.npz)",
                      highlight=False, markup=False)
    also = [key for key, header in zip(shown, hyper) if header not in kept] + differing[len(shown):]
    if also:
        console.print("also differ: " + ", ".join(also), highlight=False, markup=False)
    # Why a run did not finish, whole (wrapped, not cut), and how to go on with it.
    for folder, why in unfinished:
        console.print(f"\n{folder.name}: {why}", markup=False, highlight=False, soft_wrap=False)
        if (folder / "checkpoints" / "last.npz").exists():
            console.print(f"  resume with: nettrain train {folder / 'config.yaml'} --resume "
                          f"{folder / 'checkpoints' / 'last.npz'}", markup=False, highlight=False, soft_wrap=True)


def best_metric(epochs: list[dict]) -> tuple | None:
    """The best validation figure over a run's epoch records (accuracy, or
    the loss for regression), finished or not: (label, text, epoch); None
    for a run without a validation split, which has no best (choosing one
    on the test figures would be selecting on the test data)."""
    from ..metrics import TASKS

    for metric in (t.best for t in TASKS.values()):
        key = metric.key("val")
        evaluated = [r for r in epochs if r.get(key) is not None]
        if evaluated:
            pick = max if metric.higher_is_better else min
            best = pick(evaluated, key=lambda r: r[key])
            return f"val {metric.label}", metric.format.format(best[key]), best["epoch"]
    return None


def final_test(records: list[dict]) -> str:
    """The final record's test figure (the last epoch's model, last.npz), as
    ``best_metric`` measures it; "-" before the run has finished."""
    from ..metrics import TASKS

    final = next((r for r in reversed(records) if r.get("kind") == "final"), None)
    for metric in (t.best for t in TASKS.values()):
        if final is not None and final.get(metric.key("test")) is not None:
            return metric.format.format(final[metric.key("test")])
    return "-"


def _run_folder(run: str, runs_dir: Path) -> Path:
    """A run given as a folder path or as a name under ``runs_dir``."""
    for folder in (Path(run), runs_dir / run):
        if (folder / "config.yaml").is_file():
            return folder
    raise UsageError(f"{run}: not a run folder (no {Path(run) / 'config.yaml'}, nor {runs_dir / run / 'config.yaml'}); "
                     f"`nettrain runs --runs-dir {runs_dir}` lists the runs")


@runs_app.command("compare", cls=Command)
def compare_command(
    run_a: str = typer.Argument(..., help="A run: its folder, or its name under --runs-dir.",
                                autocompletion=complete_run),
    run_b: str = typer.Argument(..., help="The other run.", autocompletion=complete_run),
    runs_dir: Path = typer.Option(Path("runs"), "--runs-dir", help=RUNS_DIR_HELP, **RUNS_DIR_OPTION),
):
    """Two runs side by side: their configs key by key where they differ, the
    metrics of each epoch, and the best and final figures.

    Example:

    \b
        nettrain runs compare lenet-20261123-101500 lenet-20261123-111500
    """
    from rich import box
    from rich.table import Table

    from ..report import MetricsLog
    from ..trainer import config_changes

    folders = [_run_folder(run_a, runs_dir), _run_folder(run_b, runs_dir)]
    configs = [_read_config(folder) for folder in folders]
    for folder, config in zip(folders, configs):
        if config is None:
            raise UsageError(f"{folder / 'config.yaml'}: cannot be read as a config")
    names = [f"A {folders[0].name}", f"B {folders[1].name}"]
    console.print("\n".join(names), highlight=False, markup=False)

    changes = config_changes(configs[0], configs[1])
    if changes:
        table = Table(title=f"config: {len(changes)} difference(s)", box=box.SIMPLE_HEAD, pad_edge=False)
        for column in ("key", "A", "B"):
            table.add_column(column, overflow="fold")
        for dotted, a, b in changes:
            table.add_row(dotted, _value(a), _value(b))
        console.print(table)
    else:
        console.print("config: the same", highlight=False)

    records = [MetricsLog(folder / "metrics.jsonl").read() for folder in folders]
    epochs = [{r["epoch"]: r for r in rs if r.get("kind") == "epoch"} for rs in records]
    metrics = [k for k in ("train_loss", "val_loss", "val_acc", "test_loss", "test_acc", "val_mae", "test_mae")
               if any(k in r for run in epochs for r in run.values())][:4]
    table = Table(title="metrics per epoch", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("epoch", justify="right")
    for key in metrics:
        for side in "AB":
            table.add_column(f"{key.replace('_', ' ')}\n{side}", justify="right")
    for epoch in sorted(set(epochs[0]) | set(epochs[1])):
        row = [str(epoch)]
        for key in metrics:
            for run in epochs:
                row.append(_metric(key, run.get(epoch, {}).get(key)))
        table.add_row(*row)
    console.print(table)
    for side, rs, run in zip("AB", records, epochs):
        final = next((r for r in reversed(rs) if r.get("kind") == "final"), None)
        final_text = ("final " + ", ".join(f"{k} {_metric(k, v)}" for k, v in final.items()
                                           if k.startswith("test_") and not k.endswith("samples"))
                      + " (last epoch, last.npz)") if final else "not finished"
        best = best_metric(list(run.values()))
        best_text = (f"best {best[0]} {best[1]} (epoch {best[2]}, best.npz)" if best
                     else "no best.npz (no validation split)")
        console.print(f"{side}: {final_text}\n   {best_text}",
                      highlight=False, markup=False)


def _metric(key: str, value) -> str:
    if value is None:
        return "-"
    return f"{value:.2%}" if key.endswith("_acc") else f"{value:.4f}"


@runs_app.command("export", cls=Command)
def export_command(
    run: str = typer.Argument(..., help="A run: its folder, or its name under --runs-dir.",
                              autocompletion=complete_run),
    runs_dir: Path = typer.Option(Path("runs"), "--runs-dir", help=RUNS_DIR_HELP, **RUNS_DIR_OPTION),
    csv_out: Optional[Path] = typer.Option(None, "--csv", metavar="PATH",
                                           help="Write the epoch records as a CSV table ('-': standard output)."),
):
    """Write a run's metrics.jsonl (the record of the run) as a CSV table: one
    row per epoch, one column per metric, in the order they first appear.

    Examples:

    \b
        nettrain runs export lenet-20261123-101500 --csv lenet.csv
        nettrain runs export runs/lenet-20261123-101500 --csv - | column -s, -t
    """
    import csv
    import io
    import sys

    from ..report import MetricsLog

    if csv_out is None:
        raise UsageError("nothing to export to: give --csv PATH (or --csv - for standard output)")
    folder = _run_folder(run, runs_dir)
    if str(csv_out) != "-":
        checked_output_file(csv_out, "--csv", folder.name + ".csv")
    rows = [r for r in MetricsLog(folder / "metrics.jsonl").read() if r.get("kind") == "epoch"]
    if not rows:
        raise UsageError(f"{folder}: no epoch has finished yet; nothing to export")
    columns = list(dict.fromkeys(key for row in rows for key in row if key != "kind"
                                 and not isinstance(row[key], (dict, list))))
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    if str(csv_out) == "-":
        sys.stdout.write(text.getvalue())
        return
    from ..tempfiles import replace_atomic

    replace_atomic(csv_out, lambda f: f.write(text.getvalue().encode("utf-8")))
    console.print(f"{len(rows)} epochs, {len(columns)} columns: {csv_out}", highlight=False)
