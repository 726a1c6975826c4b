"""``nettrain runs`` shows the hyper-parameters that differ between runs;
``nettrain runs compare A B`` puts two runs side by side."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_cli

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """clusters.yaml twice: 3 epochs at lr 0.1, batch 50; 4 epochs at lr 0.05, batch 25."""
    from nettrain.cli import main

    runs = tmp_path_factory.mktemp("runs")
    for args in (["--epochs", "3"], ["--epochs", "4", "--name", "slower", "--set", "optimizer.lr=0.05",
                                     "--set", "data.batch_size=25"]):
        with pytest.raises(SystemExit) as exit_info:
            main(["train", str(CONFIGS / "clusters.yaml"), "--runs-dir", str(runs), *args])
        assert exit_info.value.code == 0
    first = next(runs.glob("clusters-*"))
    second = next(runs.glob("slower-*"))
    return runs, first, second


def test_runs_gains_columns_for_the_hyperparameters_that_differ(two_runs, monkeypatch, capsys):
    runs, first, second = two_runs
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = run_cli(["runs", "--runs-dir", runs], capsys)
    assert code == 0, err
    lines = out.splitlines()
    header = next(line for line in lines if line.split()[:1] == ["run"])
    assert "lr" in header.split() and "batch_size" in header.split()
    assert "seed" not in header and "epochs" in header  # the same everywhere: no column; epochs has its own
    row = next(line for line in lines if line.lstrip().startswith(second.name)).split()
    assert row[1:5] == ["4/4", row[2], "0.05", "25"]  # the final test figure; no val split: no best column
    assert row[2].endswith("%") and "best val" not in header
    assert "(all clusters/mlp)" in out  # the same data and model: said once
    assert max(len(line) for line in lines) <= 80


def test_compare_lists_config_differences_and_metrics_side_by_side(two_runs, monkeypatch, capsys):
    runs, first, second = two_runs
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = run_cli(["runs", "compare", first.name, second, "--runs-dir", runs], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80
    differences = {line.split()[0]: line.split()[1:] for line in lines
                   if line.strip().startswith(("optimizer.lr", "data.batch_size", "train.epochs", "name"))}
    assert differences == {"optimizer.lr": ["0.1", "0.05"], "data.batch_size": ["50", "25"],
                           "train.epochs": ["3", "4"], "name": ["clusters", "slower"]}
    assert "config: 4 difference(s)" in out
    epoch_rows = [line.split() for line in lines if line.strip()[:1].isdigit()]
    assert [row[0] for row in epoch_rows] == ["1", "2", "3", "4"]
    assert epoch_rows[3][1] == "-" and epoch_rows[3][2] != "-"  # only B ran a 4th epoch
    assert out.count("(last epoch, last.npz)") == 2 and "A: final test_loss" in out and "B: final test_loss" in out
    assert out.count("no best.npz (no validation split)") == 2


def test_runs_shows_the_best_val_figure_only_for_runs_with_a_val_split(two_runs, tmp_path, monkeypatch, capsys):
    runs, first, second = two_runs
    import shutil

    shutil.copytree(first, tmp_path / first.name)
    code, _, err = run_cli(["train", CONFIGS / "clusters.yaml", "--runs-dir", tmp_path, "--epochs", "3",
                            "--name", "val", "--set", "data.val_split=200", "--set", "optimizer.lr=0.01"], capsys)
    assert code == 0, err
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = run_cli(["runs", "--runs-dir", tmp_path], capsys)
    assert code == 0, err
    lines = out.splitlines()
    best_val = max(r["val_acc"] for r in map(json.loads, next(tmp_path.glob("val-*/metrics.jsonl")).open())
                   if r["kind"] == "epoch")
    header = next(line for line in lines if line.startswith("run "))
    column = header.index("best val") + len("best val")
    cells = {line.split()[0]: line[:column].split()[-1] for line in lines[2:4]}
    assert cells == {first.name: "-", next(tmp_path.glob("val-*")).name: f"{best_val:.2%}"}
    assert max(len(line) for line in lines[1:]) <= 80  # the title holds the long temporary path
    # narrower: the hyper-parameter columns go first, named below instead; the final test figure stays
    monkeypatch.setenv("COLUMNS", "64")
    code, out, err = run_cli(["runs", "--runs-dir", tmp_path], capsys)
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("run ")).split()
    assert "test" in header and "lr" not in header and "val_split" not in header
    assert next(line for line in lines if line.startswith("also differ: ")).startswith(
        "also differ: optimizer.lr, data.val_split")
    assert max(len(line) for line in lines[1:4]) <= 64  # the table (the notes below it are prose)


def test_compare_of_a_run_with_itself_says_the_config_is_the_same(two_runs, capsys):
    runs, first, _ = two_runs
    code, out, err = run_cli(["runs", "compare", first, first], capsys)
    assert code == 0, err
    assert "config: the same" in out


def test_compare_names_a_missing_run(two_runs, capsys):
    runs, first, _ = two_runs
    code, out, err = run_cli(["runs", "compare", first.name, "nope", "--runs-dir", runs], capsys)
    assert code == 2 and "nope" in err and out == ""


def test_run_names_complete(two_runs, tmp_path, monkeypatch, capsys):
    runs, first, second = two_runs
    (tmp_path / "runs").symlink_to(runs)  # completion looks in ./runs
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("_NETTRAIN_COMPLETE", "complete_bash")
    monkeypatch.setenv("COMP_WORDS", "nettrain runs compare slo")
    monkeypatch.setenv("COMP_CWORD", "3")
    code, out, err = run_cli([], capsys)
    assert code == 0, err
    assert out.split() == [second.name]


def test_a_run_trained_by_several_processes_adds_the_procs_column(two_runs, tmp_path, capsys):
    import json
    import shutil

    runs, first, second = two_runs
    copy = tmp_path / "runs"
    shutil.copytree(runs, copy)
    metrics = copy / second.name / "metrics.jsonl"
    records = [json.loads(line) for line in metrics.read_text().splitlines()]
    metrics.write_text("".join(json.dumps({**r, "world_size": 2} if r["kind"] == "epoch" else r) + "\n"
                               for r in records))
    code, out, err = run_cli(["runs", "--runs-dir", copy], capsys)
    assert code == 0, err
    header = next(line for line in out.splitlines() if line.split()[:1] == ["run"])
    assert "procs" in header.split()
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.split()[:1] in ([first.name], [second.name])}
    assert rows[second.name][2] == "2" and rows[first.name][2] == "1"
    code, out, _ = run_cli(["runs", "--runs-dir", runs], capsys)
    assert "procs" not in out  # one process everywhere: no column
