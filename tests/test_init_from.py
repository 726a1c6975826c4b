"""``model.init_from``: training starts from a safetensors state dict (PyTorch's
names), e.g. one written by PyTorch; mismatches are one message, exit 2."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import nettrain as nt
from conftest import run_cli
from nettrain.config import load_config
from nettrain.trainer import build

st = pytest.importorskip("safetensors.numpy", reason="the export extra (safetensors) is not installed")

CLUSTERS = Path(__file__).resolve().parents[1] / "configs" / "clusters.yaml"


def clusters_components(*overrides):
    return build(load_config(CLUSTERS, list(overrides)).to_dict())


def test_a_torch_trained_mlp_starts_nettrain_with_its_outputs(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    torch.manual_seed(1)
    net = torch.nn.Module()
    net.layers = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    path = tmp_path / "from-torch.safetensors"
    save_file(net.state_dict(), str(path))
    model = clusters_components(f"model.init_from={path}").model
    x = np.random.default_rng(0).normal(0, 4, (32, 2)).astype(np.float32)
    with torch.no_grad():
        theirs = net.layers(torch.from_numpy(x)).numpy()
    with nt.no_grad():
        ours = model(nt.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-6, rtol=0)


def test_the_weights_are_the_files_exactly(trained_run, tmp_path):
    weights = {k: v.numpy() for k, v in nt.load(trained_run / "checkpoints" / "last.npz")["model"].items()}
    path = tmp_path / "w.safetensors"
    st.save_file(weights, str(path))
    model = clusters_components(f"model.init_from={path}").model
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), weights[name])
    assert sorted(nt.load_safetensors(path)) == sorted(weights)


def test_training_from_trained_weights_starts_where_they_left_off(trained_run, tmp_path, capsys):
    import json

    weights = {k: v.numpy() for k, v in nt.load(trained_run / "checkpoints" / "last.npz")["model"].items()}
    path = tmp_path / "w.safetensors"
    st.save_file(weights, str(path))
    first_loss = {}
    for label, extra in (("fresh", []), ("warm", ["--set", f"model.init_from={path}"])):
        runs = tmp_path / label
        code, _, err = run_cli(["train", CLUSTERS, "--runs-dir", runs, "--epochs", "1", *extra], capsys)
        assert code == 0, err
        records = [json.loads(line) for line in next(runs.glob("*/metrics.jsonl")).read_text().splitlines()]
        first_loss[label] = records[0]["train_loss"]
    assert first_loss["warm"] < first_loss["fresh"]


def test_a_file_for_another_model_lists_every_problem_and_writes_no_run(trained_run, tmp_path, capsys):
    weights = {k: v.numpy() for k, v in nt.load(trained_run / "checkpoints" / "last.npz")["model"].items()}
    weights["layers.0.weight"] = np.zeros((8, 2), np.float32)  # wrong shape
    weights["layers.5.bias"] = np.zeros(2, np.float32)         # not in the model
    del weights["layers.2.weight"]                             # missing
    path = tmp_path / "other.safetensors"
    st.save_file(weights, str(path))
    runs = tmp_path / "runs"
    code, out, err = run_cli(["train", CLUSTERS, "--runs-dir", runs, "--set", f"model.init_from={path}"], capsys)
    assert code == 2 and "Traceback" not in err
    for word in ("model.init_from", "other.safetensors", "layers.0.weight", "layers.5.bias", "layers.2.weight"):
        assert word in err
    assert not runs.exists()


@pytest.mark.parametrize("value, words", [
    ("missing.safetensors", ["missing.safetensors", "no such"]),
    ("weights.npz", ["model.init_from", ".safetensors"]),
])
def test_a_wrong_path_is_exit_2(value, words, tmp_path, capsys):
    runs = tmp_path / "runs"
    code, out, err = run_cli(["train", CLUSTERS, "--runs-dir", runs, "--set", f"model.init_from={tmp_path / value}"],
                             capsys)
    assert code == 2
    for word in words:
        assert word in err
    assert not runs.exists()
