"""Shell completion: config files, checkpoints and run names are offered
(typer's --show-completion / --install-completion are on)."""
from __future__ import annotations

import pytest

from conftest import run_cli


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "lenet.yaml").write_text("")
    (tmp_path / "configs" / "notes.txt").write_text("")
    for run in ("lenet-20261125-101500", "mlp-20261125-101600"):
        (tmp_path / "runs" / run / "checkpoints").mkdir(parents=True)
        (tmp_path / "runs" / run / "config.yaml").write_text("")
        (tmp_path / "runs" / run / "checkpoints" / "best.npz").write_bytes(b"")
        (tmp_path / "runs" / run / "checkpoints" / "best.safetensors").write_bytes(b"")
        (tmp_path / "runs" / run / "metrics.jsonl").write_text("")
    (tmp_path / "runs" / "not-a-run").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def completions(words: str, monkeypatch, capsys) -> list[str]:
    """What bash would offer after ``words`` (the last word is being completed)."""
    parts = words.split(" ")
    monkeypatch.setenv("_NETTRAIN_COMPLETE", "complete_bash")
    monkeypatch.setenv("COMP_WORDS", words)
    monkeypatch.setenv("COMP_CWORD", str(len(parts) - 1))
    code, out, err = run_cli([], capsys)
    assert code == 0, err
    return out.split()


def test_config_files_complete(project, monkeypatch, capsys):
    assert completions("nettrain train con", monkeypatch, capsys) == ["configs/"]
    assert completions("nettrain train configs/", monkeypatch, capsys) == ["configs/lenet.yaml"]
    assert completions("nettrain config check configs/l", monkeypatch, capsys) == ["configs/lenet.yaml"]
    assert completions("nettrain summary configs/", monkeypatch, capsys) == ["configs/lenet.yaml"]


def test_checkpoints_complete(project, monkeypatch, capsys):
    folder = "runs/lenet-20261125-101500/checkpoints/"
    assert completions(f"nettrain eval --checkpoint {folder}", monkeypatch, capsys) == \
        [folder + "best.npz", folder + "best.safetensors"]
    assert completions("nettrain export --checkpoint runs/m", monkeypatch, capsys) == ["runs/mlp-20261125-101600/"]
    assert completions(f"nettrain train configs/lenet.yaml --resume {folder}b", monkeypatch, capsys) == \
        [folder + "best.npz", folder + "best.safetensors"]


def test_show_completion_prints_a_script(monkeypatch, capsys):
    monkeypatch.setenv("SHELL", "/bin/bash")
    code, out, err = run_cli(["--show-completion", "bash"], capsys)
    assert code == 0, err
    assert "_nettrain_completion" in out and "complete" in out
