"""Tables at 80 and 60 columns and in a pipe: eval's confusion matrix,
`nettrain runs`, `nettrain gradcheck`. Numbers are never cut; text is
shortened with an ellipsis or its column dropped, deliberately."""
from __future__ import annotations

import io
import json
import shutil

import pytest
from rich.console import Console

import nettrain.cli  # noqa: F401 - registers every command
from nettrain.cli import gradcheck as gradcheck_cli
from nettrain.cli import runs as runs_cli
from nettrain.cli import train as train_cli
from nettrain.cli.tables import Column, fit


@pytest.fixture(params=[80, 60])
def narrow(request, monkeypatch):
    """The commands' stdout console replaced by one ``width`` columns wide,
    writing to a string, as a pipe with COLUMNS=width would."""
    width = request.param
    console = Console(file=io.StringIO(), width=width, soft_wrap=True, color_system=None)
    for module in (train_cli, gradcheck_cli, runs_cli):
        monkeypatch.setattr(module, "console", console)
    return width, lambda: console.file.getvalue()


FASHION = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def test_confusion_matrix_fits_without_cutting_a_number(narrow):
    width, output = narrow
    matrix = [[1135 if i == j else 3 for j in range(10)] for i in range(10)]
    acc = [0.9932 - i / 1000 for i in range(10)]
    train_cli._print_confusion(matrix, acc, FASHION)
    lines = output().splitlines()
    start = lines.index("confusion matrix (rows: true class, columns: predicted class)") + 1
    table = lines[start:start + 11]
    assert all(len(line) <= width for line in table), "\n".join(table)
    for i, line in enumerate(table[1:]):
        cells = line.split()[-11:]
        assert cells[-1] == f"{acc[i]:.1%}"            # 99.3%, never 99.3…
        assert cells[i] == "1135" and cells[:-1].count("3") == 9
    assert table[0].split()[0] == "true" and table[0].split()[-1] == "acc"
    if any("…" in line for line in table):  # names shortened: the legend says them in full
        assert "classes: 0 T-shirt/top, 1 Trouser" in output()
    assert "0 T-shirt/top" in output()


def _fake_run(runs, name, records, checkpoint=True):
    folder = runs / name
    (folder / "checkpoints").mkdir(parents=True)
    (folder / "config.yaml").write_text(
        "data: {dataset: fashion-mnist}\nmodel: {name: lenet}\ntrain: {epochs: 10}\n")
    (folder / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    if checkpoint:
        (folder / "checkpoints" / "last.npz").write_bytes(b"")
    return folder


def test_runs_table_fits_names_whole_reasons_shortened_and_resume_hints(narrow, tmp_path, capsys):
    width, output = narrow
    epoch = {"kind": "epoch", "epoch": 3, "val_acc": 0.8765}
    _fake_run(tmp_path, "lenet-fashion-20261125-101500", [epoch, {"kind": "final", "epoch": 3}])
    reason = "the loss became nan at step 1234 (epoch 3); the run stopped and its last good checkpoint is kept"
    _fake_run(tmp_path, "lenet-fashion-20261125-101501", [epoch, {"kind": "stopped", "reason": reason}])
    killed = _fake_run(tmp_path, "lenet-fashion-20261125-101502", [epoch])
    code = _run(["runs", "--runs-dir", tmp_path], capsys)
    assert code in (0, None)
    lines = output().splitlines()
    table = lines[1:5]
    assert all(len(line) <= width for line in table), "\n".join(table)
    assert all(f"lenet-fashion-20261125-10150{i}" in output() for i in range(3))  # names whole
    assert "87.65%" in output()
    assert next(line for line in table if "101501" in line).endswith("stopped")
    assert "incompl" in next(line for line in table if "101502" in line)
    # The stop reason whole (wrapped, not cut) below the table, and how to resume.
    assert "lenet-fashion-20261125-101501: stopped: the loss became nan" in output()
    assert "good checkpoint is kept" in " ".join(output().split())
    hint = f"resume with: nettrain train {killed / 'config.yaml'} --resume {killed / 'checkpoints' / 'last.npz'}"
    assert hint in output()


def _run(args, capsys):
    from nettrain.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in args])
    capsys.readouterr()
    return exit_info.value.code


def test_runs_without_a_runs_folder_says_so_and_exits_0(narrow, tmp_path, capsys):
    assert _run(["runs", "--runs-dir", tmp_path / "none"], capsys) in (0, None)
    assert "no runs in" in narrow[1]() and "nettrain train CONFIG" in narrow[1]()


def test_gradcheck_table_keeps_numbers_and_the_layer_is_found_by_its_class_name(narrow, capsys):
    width, output = narrow
    assert _run(["gradcheck", "--only", "nn.Conv2d", "--only", "models.LeNet"], capsys) in (0, None)
    lines = output().splitlines()
    assert lines[0].startswith("gradcheck (3 cases,")
    assert all(len(line) <= width for line in lines[1:-1]), "\n".join(lines)
    assert any(line.startswith("nn.Conv2d (stride 2, padding 1)") for line in lines)
    for line in lines[2:-1]:
        assert line.split()[-1] == "PASS" and "e-" in line.split()[-2]
    assert _run(["gradcheck", "--only", "nn.Conv2d"], capsys) in (0, None)
    assert "(1 case," in output()


def test_fit_drops_then_shortens_deliberately():
    columns = [Column("name"), Column("note", shrink=4, drop=1), Column("value", right=True)]
    rows = [["a-long-name", "some long text", "12345.678"]]
    assert fit(columns, rows, 80)[1] == "a-long-name  some long text  12345.678"
    assert fit(columns, rows, 30)[1] == "a-long-name  some …  12345.678"
    assert fit(columns, rows, 20)[1] == "a-long-name  12345.678"
    assert fit(columns, rows, 5)[1] == "a-long-name  12345.678"  # too narrow: numbers stay whole
