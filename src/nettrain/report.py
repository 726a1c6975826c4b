"""What a person watches during training, and what a run leaves behind.

The trainer emits plain metric dicts; the classes here consume them (as
Chainer's ``PrintReport`` does), passed in explicitly:

- :class:`TerminalReport`: on a terminal, a rich progress bar per epoch
  (step, loss, samples/s, ETA) and one table row per epoch.
- :class:`PlainReport`: anywhere else (CI, a pipe, a log file), the same
  information as plain lines, no carriage returns or escape codes, at most
  one line per ``log_every`` steps.
- :class:`MetricsLog`: ``metrics.jsonl``, one JSON object per line, appended.
- :func:`plot_curves`: ``curves.png`` when matplotlib is installed.
"""
from __future__ import annotations

import json
import math
import os
import sys
import time
from pathlib import Path

from .tempfiles import replace_atomic
from .terminal import is_terminal, labelled
from .metrics import LOSS, TASKS, task_metrics

def columns_for(task: str, eval_split: str = "val"):
    """The epoch table's columns: (metric key, header, width, format), from the task's metrics."""
    score = task_metrics(task).score
    return (
        ("epoch", "epoch", 5, "{:d}"),
        (LOSS.key("train"), "train loss", 10, LOSS.format),
        (score.key("train"), f"train {score.label}", 9, score.format),
        (LOSS.key(eval_split), f"{eval_split} loss", 9, LOSS.format),
        (score.key(eval_split), f"{eval_split} {score.label}", 8, score.format),
        ("lr", "lr", 9, "{:.3g}"),
        ("seconds", "time (s)", 8, "{:.1f}"),
    )


COLUMNS = columns_for("classification")


def _cell(value, width, fmt):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        text = "-"
    else:
        try:
            text = fmt.format(value)
        except (ValueError, TypeError):
            text = str(value)
    return text.rjust(width)


def format_header(columns):
    return "  ".join(header.rjust(width) for _, header, width, _ in columns)


def format_row(row: dict, columns):
    return "  ".join(_cell(row.get(key), width, fmt) for key, _, width, fmt in columns)


def make_report(task: str, log_every: int, eval_split: str = "val", stream=None):
    """The report that fits where output goes: rich on a terminal, plain elsewhere."""
    columns = columns_for(task, eval_split)
    if is_terminal(stream):
        return TerminalReport(columns, stream)
    return PlainReport(columns, log_every, stream)


class PlainReport:
    """Plain lines: safe for logs and pipes (no \\r, no escape codes).

    The header and the epoch rows go to ``stream`` (stdout) and stay one
    contiguous table; progress lines (every ``log_every`` steps, with an ETA)
    go to ``progress_stream`` (stderr), indented and starting with "..", so
    they can be told apart where both end up in one log.
    """

    def __init__(self, columns=COLUMNS, log_every=50, stream=None, progress_stream=None):
        self.columns = columns
        self.log_every = max(1, int(log_every))
        self.stream = stream or sys.stdout
        self.progress_stream = progress_stream or sys.stderr

    def _print(self, text=""):
        print(text, file=self.stream, flush=True)

    def run_started(self, info: dict):
        for key, value in info.items():
            self._print(f"{key}: {value}")
        self._print(format_header(self.columns))

    def epoch_started(self, epoch: int, steps: int, start_step: int = 0):
        self.epoch, self.steps = epoch, steps
        self._started, self._start_step = time.perf_counter(), start_step

    def step(self, step: int, metrics: dict):
        """``step`` counts from 1 within the epoch."""
        if step % self.log_every == 0 or step == self.steps:
            done = step - self._start_step
            eta = (time.perf_counter() - self._started) / max(done, 1) * (self.steps - step)
            lr = f"  lr {metrics['lr']:.3g}" if "lr" in metrics else ""
            print(
                f"  .. epoch {self.epoch} step {step}/{self.steps}  loss {metrics['loss']:.4f}{lr}  "
                f"{metrics.get('samples_per_s', 0):,.0f} samples/s  ETA {eta:.0f} s",
                file=self.progress_stream, flush=True,
            )

    def epoch_finished(self, row: dict):
        self._print(format_row(row, self.columns))

    def note(self, text: str):
        """A line between the table's rows: something the loop decided (early stopping)."""
        self._print(text)

    def close(self):
        pass


class SilentReport(PlainReport):
    """Prints nothing: the report of every data-parallel process but rank 0,
    which shows the run for all of them."""

    def _print(self, text=""):
        pass

    def step(self, step: int, metrics: dict):  # progress lines too: rank 0 prints them for all
        pass


class TerminalReport(PlainReport):
    """A rich progress bar per epoch and a table row per epoch."""

    def __init__(self, columns=COLUMNS, stream=None):
        from rich.console import Console

        super().__init__(columns, 1, stream)
        self.console = Console(file=self.stream)
        self.progress = None

    def _print(self, text=""):
        self.console.print(text, highlight=False, markup=False)

    def run_started(self, info: dict):
        from rich.markup import escape

        for key, value in info.items():  # escaped: a path may hold brackets
            text = labelled(key, str(value), self.console.width)  # at 80 columns, broken between parts
            self.console.print(f"[dim]{key}:[/]{escape(text[len(key) + 1:])}", highlight=False)
        self.console.print(f"[bold]{format_header(self.columns)}[/]", highlight=False)

    def epoch_started(self, epoch: int, steps: int, start_step: int = 0):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        super().epoch_started(epoch, steps, start_step)
        self.progress = Progress(
            TextColumn(f"epoch {epoch}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]}"), TextColumn("lr {task.fields[lr]}"),
            TextColumn("{task.fields[rate]} samples/s"),
            TimeRemainingColumn(), console=self.console, transient=True,
        )
        self.task = self.progress.add_task("train", total=steps, completed=start_step, loss="-", lr="-", rate="-")
        self.progress.start()

    def step(self, step: int, metrics: dict):
        self.progress.update(
            self.task, completed=step, loss=f"{metrics['loss']:.4f}", lr=f"{metrics.get('lr', 0):.3g}",
            rate=f"{metrics.get('samples_per_s', 0):,.0f}",
        )

    def epoch_finished(self, row: dict):
        self.close()
        self._print(format_row(row, self.columns))

    def close(self):
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


class MetricsLog:
    """``metrics.jsonl``: one JSON object per line, appended and flushed, never rewritten."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def epoch_finished(self, record: dict):
        self.append(record)

    def append(self, record: dict):
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record, sort_keys=False) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def read(self) -> list[dict]:
        """The records; a line that is not a JSON object (torn by a kill or a
        full disk mid-append, or edited by hand) is skipped, not fatal."""
        if not self.path.exists():
            return []
        records = []
        with open(self.path, encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    record = json.loads(line) if line.strip() else None
                except ValueError:
                    continue
                if isinstance(record, dict):
                    records.append(record)
        return records


def curves_figure(records: list[dict], title: str = ""):
    """The figure of curves.png: loss and accuracy (or MAE) per epoch for
    each split the epoch records hold (train, and val or, in a run without
    a validation split, test), integer epochs on the x axis, ``title`` (the
    run's name) above; None when there is no epoch record. Needs matplotlib."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    epochs = [r for r in records if r.get("kind", "epoch") == "epoch"]
    if not epochs:
        return None
    score = next((t.score for t in TASKS.values() if any(t.score.key("train") in r for r in epochs)),
                 task_metrics("classification").score)
    fig, (ax_loss, ax_metric) = plt.subplots(1, 2, figsize=(10, 4))
    for split in ("train", "val", "test"):
        evaluated = [r for r in epochs if r.get(LOSS.key(split)) is not None]  # eval_every skips epochs
        if evaluated:
            x = [r["epoch"] for r in evaluated]
            ax_loss.plot(x, [r[LOSS.key(split)] for r in evaluated], marker="o", label=split)
            ax_metric.plot(x, [r.get(score.key(split)) for r in evaluated], marker="o", label=split)
    ax_loss.set(xlabel="epoch", ylabel=LOSS.label, title=LOSS.label)
    ax_metric.set(xlabel="epoch", ylabel=score.label, title=score.label)
    for ax in (ax_loss, ax_metric):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_curves(records: list[dict], path: Path, title: str = "") -> bool:
    """``curves_figure`` as a PNG at ``path``; False when matplotlib is missing or there is no epoch."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig = curves_figure(records, title)
    if fig is None:
        return False
    replace_atomic(path, lambda f: fig.savefig(f, format="png", dpi=100))
    plt.close(fig)
    return True
