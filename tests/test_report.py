"""The rich terminal report and curves.png: what a person sees during and after a run."""
from __future__ import annotations

import io

import pytest

from nettrain.report import PlainReport, TerminalReport, columns_for, make_report, plot_curves

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
