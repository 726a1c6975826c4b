"""The rich terminal report and curves.png: what a person sees during and after a run."""
from __future__ import annotations

import io

import pytest

from nettrain.report import PlainReport, TerminalReport, columns_for, curves_figure, make_report, plot_curves

RECORDS = [
    {"kind": "epoch", "epoch": 1, "step": 10, "train_loss": 0.9, "train_acc": 0.61, "val_loss": 0.7,
     "val_acc": 0.7, "lr": 0.1, "seconds": 1.5},
    {"kind": "epoch", "epoch": 2, "step": 20, "train_loss": 0.5, "train_acc": 0.82, "val_loss": 0.45,
     "val_acc": 0.86, "lr": 0.05, "seconds": 1.4},
    {"kind": "final", "epoch": 2, "step": 20, "test_loss": 0.44, "test_acc": 0.87},
]


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_the_terminal_report_shows_progress_then_one_row_per_epoch(monkeypatch):
    monkeypatch.setenv("TERM", "xterm")
    stream = _Terminal()
    report = make_report("classification", 5, "val", stream=stream)
    assert isinstance(report, TerminalReport)
    report.run_started({"run": "runs/x", "model": "mlp"})
    for epoch, record in enumerate(RECORDS[:2], start=1):
        report.epoch_started(epoch, 10)
        for step in range(1, 11):
            report.step(step, {"loss": 1.0 / step, "lr": 0.1, "samples_per_s": 1234.0})
        report.epoch_finished(record)
    report.close()
    text = stream.getvalue()
    assert "run:" in text and "runs/x" in text
    assert "train acc" in text and "val loss" in text
    assert "61.00%" in text and "86.00%" in text and "0.4500" in text  # each epoch's row, formatted
    assert report.progress is None  # the bar is gone once the epoch's row is printed


def test_a_pipe_gets_the_plain_report_without_escape_codes(capsys):
    stream = io.StringIO()
    report = make_report("regression", 5, "test", stream=stream)
    assert type(report) is PlainReport
    report.run_started({"run": "r"})
    report.epoch_started(1, 10)
    for step in range(1, 11):
        report.step(step, {"loss": 0.5, "samples_per_s": 10.0})
    report.epoch_finished({"epoch": 1, "train_loss": 0.5, "train_mae": 0.25, "test_loss": 0.4, "test_mae": 0.2})
    text = stream.getvalue()
    assert "\x1b[" not in text and "\r" not in text
    assert "train MAE" in text and "0.2500" in text
    # The table stays contiguous on its stream; progress (steps 5 and 10 of
    # log_every 5, with an ETA) goes to stderr, marked with "..".
    assert "step " not in text and text.splitlines()[-2].startswith("epoch")
    progress = capsys.readouterr().err.splitlines()
    assert len(progress) == 2 and all(line.startswith("  .. epoch 1 step ") and "ETA" in line for line in progress)


def test_columns_come_from_the_tasks_metric():
    assert [c[0] for c in columns_for("regression", "val")][1:5] == ["train_loss", "train_mae", "val_loss", "val_mae"]
    assert [c[0] for c in columns_for("classification", "test")][1:5] == [
        "train_loss", "train_acc", "test_loss", "test_acc"]


def test_plot_curves_writes_a_png_of_the_epochs(tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "curves.png"
    assert plot_curves(RECORDS, path) is True
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    assert [p.name for p in tmp_path.iterdir()] == ["curves.png"]  # no temporary file left


def test_plot_curves_without_epochs_writes_nothing(tmp_path):
    pytest.importorskip("matplotlib")
    assert plot_curves([RECORDS[-1]], tmp_path / "curves.png") is False
    assert not (tmp_path / "curves.png").exists()


def _plotted(fig) -> dict:
    """{axes title: {line label: (x, y)}} of a figure."""
    return {ax.get_title(): {line.get_label(): (list(line.get_xdata()), list(line.get_ydata()))
                             for line in ax.get_lines()} for ax in fig.axes}


def test_curves_of_a_run_without_val_split_plot_test_with_integer_epochs_and_the_run_name():
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    records = [{"kind": "epoch", "epoch": e, "train_loss": 1.0 / e, "train_acc": 0.5 + e / 20,
                "test_loss": (1.2 / e if e % 2 == 0 else None), "test_acc": (0.4 + e / 20 if e % 2 == 0 else None)}
               for e in range(1, 7)]
    records = [{k: v for k, v in r.items() if v is not None} for r in records]  # eval_every 2
    fig = curves_figure(records, "clusters-20261125-101510")
    try:
        plotted = _plotted(fig)
        assert set(plotted["loss"]) == {"train", "test"} and set(plotted["acc"]) == {"train", "test"}
        assert plotted["loss"]["test"] == ([2, 4, 6], [1.2 / 2, 1.2 / 4, 1.2 / 6])  # only the evaluated epochs
        fig.canvas.draw()
        ticks = [t for ax in fig.axes for t in ax.get_xticks() if 1 <= t <= 6]
        assert ticks and all(float(t).is_integer() for t in ticks)
        assert fig._suptitle.get_text() == "clusters-20261125-101510"
    finally:
        plt.close(fig)


def test_curves_of_a_run_with_val_split_plot_train_and_val():
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    fig = curves_figure(RECORDS)
    try:
        assert set(_plotted(fig)["loss"]) == {"train", "val"}  # test is in the final record only
    finally:
        plt.close(fig)
