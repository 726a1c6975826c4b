"""``nettrain config show`` prints the resolved config; ``nettrain config
check`` validates one without reading data, downloading or writing."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import run_cli
from nettrain.config import load_config

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def test_show_prints_every_default_and_the_override(capsys):
    code, out, err = run_cli(["config", "show", CONFIGS / "lenet.yaml", "--set", "optimizer.lr=0.05"], capsys)
    assert code == 0, err
    shown = yaml.safe_load(out)
    assert shown == load_config(CONFIGS / "lenet.yaml", ["optimizer.lr=0.05"]).to_dict()
    assert shown["optimizer"]["lr"] == 0.05
    assert shown["train"]["keep_last"] == 1 and shown["loss"]["label_smoothing"] == 0.0  # defaults filled in


def test_show_output_is_a_config_that_resolves_to_itself(tmp_path, capsys):
    _, first, _ = run_cli(["config", "show", CONFIGS / "clusters.yaml", "--set", "train.epochs=7"], capsys)
    saved = tmp_path / "resolved.yaml"
    saved.write_text(first)
    _, second, _ = run_cli(["config", "show", saved], capsys)
    assert second == first


@pytest.mark.parametrize("config", sorted(p.name for p in CONFIGS.glob("*.yaml")))
def test_check_passes_every_shipped_config_without_data_or_writing(config, no_downloads, tmp_path, capsys):
    code, out, err = run_cli(["config", "check", CONFIGS / config], capsys)
    assert code == 0, err
    assert "ok" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no runs/, no data folder, nothing


@pytest.mark.parametrize("overrides, words", [
    (["data.batchsize=8"], ["data.batchsize", "batch_size"]),
    (["train.epochs='2'"], ["train.epochs", "string"]),
    (["data.transforms=[flatten]"], ["model.name", "lenet needs image data"]),
    (["model.num_classes=5"], ["model.num_classes", "10"]),
    (["loss.name=mse"], ["one_hot"]),
    (["data.val_split=60000"], ["data.val_split", "60000"]),
    (["model.init_from=nowhere/w.safetensors"], ["model.init_from", "nowhere/w.safetensors", "not a file"]),
    (["data.dataset=clusters", "data.val_split=0", "data.transforms=[]"], ["lenet needs image data", "clusters"]),
])
def test_check_reports_mistakes_with_exit_2(overrides, words, no_downloads, tmp_path, capsys):
    args = ["config", "check", CONFIGS / "lenet.yaml"]
    for override in overrides:
        args += ["--set", override]
    code, out, err = run_cli(args, capsys)
    assert code == 2
    assert out == "" and "Traceback" not in err
    for word in words:
        assert word in err
    assert list(tmp_path.iterdir()) == []


def test_show_reports_a_missing_file(capsys, tmp_path):
    code, out, err = run_cli(["config", "show", tmp_path / "nope.yaml"], capsys)
    assert code == 2 and "nope.yaml" in err and out == ""
