"""``nettrain export`` (safetensors with PyTorch's names, ONNX built with the
onnx package), ``eval`` on safetensors weights, and the missing-extra message.
Tests that need an optional package skip cleanly without it."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

import nettrain as nt
from conftest import run_cli
from nettrain.cli.export import trained_model
from nettrain.data import MNIST

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
TEST_IMAGES = 2000  # of the 10,000: enough to compare accuracies, quick under load


def real_test_images(count=TEST_IMAGES):
    test = MNIST(train=False)
    return test.data[:count].astype(np.float32)[:, None] / 255.0, test.targets[:count]


def nettrain_scores(checkpoint, pixels, dtype=np.float32):
    """The model's outputs on raw [0, 1] pixels, normalised as the checkpoint's transforms say."""
    trained = trained_model(checkpoint)
    (normalize,) = trained.transform_state["transforms"]
    x = (pixels.astype(dtype) - dtype(normalize["mean"][0])) / dtype(normalize["std"][0])
    with nt.no_grad():
        return trained.model.to(dtype=dtype)(nt.from_numpy(x)).numpy()


@pytest.fixture
def clusters_checkpoint(trained_run):
    """The shared one-epoch clusters run's checkpoint (tests write nothing next to it)."""
    return trained_run / "checkpoints" / "last.npz"


# --------------------------------------------------------------------------- safetensors


def test_safetensors_export_has_pytorch_names_float32_and_the_config(lenet_checkpoint, tmp_path, capsys):
    st = pytest.importorskip("safetensors.numpy")
    out = tmp_path / "lenet.safetensors"
    code, stdout, err = run_cli(["export", "--checkpoint", lenet_checkpoint, "--format", "safetensors",
                                 "--out", out], capsys)
    assert code == 0, err
    assert str(out) in stdout
    arrays = st.load_file(str(out))
    assert sorted(arrays) == sorted(["features.0.weight", "features.0.bias", "features.3.weight", "features.3.bias",
                                     "classifier.0.weight", "classifier.0.bias", "classifier.2.weight",
                                     "classifier.2.bias", "classifier.4.weight", "classifier.4.bias"])
    assert all(a.dtype == np.float32 for a in arrays.values())
    saved = nt.load(lenet_checkpoint)["model"]
    for name, array in arrays.items():
        np.testing.assert_array_equal(array, saved[name].numpy())
    assert sorted(nt.load_safetensors(out)) == sorted(arrays)


def test_safetensors_loads_into_torch_lenet_strictly_with_equal_outputs(lenet_checkpoint, tmp_path, capsys):
    torch = pytest.importorskip("torch")
    pytest.importorskip("safetensors")
    from safetensors.torch import load_file

    out = tmp_path / "lenet.safetensors"
    assert run_cli(["export", "--checkpoint", lenet_checkpoint, "--format", "safetensors", "--out", out], capsys)[0] == 0
    net = torch.nn.Module()
    net.features = torch.nn.Sequential(torch.nn.Conv2d(1, 6, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                                       torch.nn.Conv2d(6, 16, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2))
    net.classifier = torch.nn.Sequential(torch.nn.Linear(256, 120), torch.nn.ReLU(), torch.nn.Linear(120, 84),
                                         torch.nn.ReLU(), torch.nn.Linear(84, 10))
    result = net.load_state_dict(load_file(str(out)), strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    # In float64 both sides compute the same function to ~1e-14: what is left
    # is whether the weights and the layers match (float32 differs by summation order).
    pixels, _ = real_test_images(500)
    ours = nettrain_scores(lenet_checkpoint, pixels, np.float64)
    with torch.no_grad():
        x = (torch.from_numpy(pixels.astype(np.float64)) - 0.1307) / 0.3081
        theirs = net.double().classifier(net.features(x).flatten(1)).numpy()
    np.testing.assert_allclose(theirs, ours, atol=1e-6, rtol=0)


def test_eval_accepts_the_exported_safetensors_with_the_same_figures(lenet_checkpoint, tmp_path, capsys):
    pytest.importorskip("safetensors")
    out = tmp_path / "lenet.safetensors"
    assert run_cli(["export", "--checkpoint", lenet_checkpoint, "--format", "safetensors", "--out", out], capsys)[0] == 0
    _, from_npz, _ = run_cli(["eval", "--checkpoint", lenet_checkpoint, "--json"], capsys)
    code, from_st, err = run_cli(["eval", "--checkpoint", out, "--json"], capsys)
    assert code == 0, err
    a, b = json.loads(from_npz), json.loads(from_st)
    assert b["acc"] == a["acc"] and b["confusion_matrix"] == a["confusion_matrix"]
    assert b["loss"] == pytest.approx(a["loss"], rel=1e-6) and b["epoch"] is None


def test_eval_of_foreign_safetensors_needs_and_uses_config(clusters_checkpoint, tmp_path, capsys):
    st = pytest.importorskip("safetensors.numpy")
    weights = {k: v.numpy() for k, v in nt.load(clusters_checkpoint)["model"].items()}
    foreign = tmp_path / "from-elsewhere.safetensors"
    st.save_file(weights, str(foreign))  # no nettrain metadata, as PyTorch would write it
    code, out, err = run_cli(["eval", "--checkpoint", foreign], capsys)
    assert code == 2 and "--config" in err and out == ""
    code, out, err = run_cli(["eval", "--checkpoint", foreign, "--config", CONFIGS / "clusters.yaml", "--json"], capsys)
    assert code == 0, err
    _, reference, _ = run_cli(["eval", "--checkpoint", clusters_checkpoint, "--json"], capsys)
    assert json.loads(out)["acc"] == json.loads(reference)["acc"]


def test_eval_lists_every_mismatch_of_wrong_weights_in_one_message(clusters_checkpoint, tmp_path, capsys):
    st = pytest.importorskip("safetensors.numpy")
    weights = {k: v.numpy() for k, v in nt.load(clusters_checkpoint)["model"].items()}
    weights["layers.0.weight"] = np.zeros((3, 2), np.float32)   # wrong shape
    weights["layers.9.weight"] = np.zeros(1, np.float32)        # unexpected
    del weights["layers.2.bias"]                                # missing
    bad = tmp_path / "bad.safetensors"
    st.save_file(weights, str(bad))
    code, out, err = run_cli(["eval", "--checkpoint", bad, "--config", CONFIGS / "clusters.yaml"], capsys)
    assert code == 2 and out == "" and "Traceback" not in err
    for word in ("bad.safetensors", "layers.0.weight", "layers.9.weight", "layers.2.bias"):
        assert word in err


# --------------------------------------------------------------------------- ONNX


def test_onnx_lenet_passes_the_full_check_and_matches_nettrain_on_real_images(lenet_checkpoint, tmp_path, capsys):
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    out = tmp_path / "lenet.onnx"
    code, stdout, err = run_cli(["export", "--checkpoint", lenet_checkpoint, "--format", "onnx", "--out", out], capsys)
    assert code == 0, err
    proto = onnx.load(str(out))
    onnx.checker.check_model(proto, full_check=True)
    props = {p.key: p.value for p in proto.metadata_props}
    assert "normalize" in props["nettrain.transforms"] and "[0, 1]" in props["nettrain.input"]
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "N"  # dynamic batch
    pixels, labels = real_test_images()
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    theirs = np.concatenate([session.run(None, {"input": pixels[i:i + 500]})[0] for i in range(0, len(pixels), 500)])
    ours = nettrain_scores(lenet_checkpoint, pixels)
    np.testing.assert_allclose(theirs, ours, atol=1e-5, rtol=0)
    assert (theirs.argmax(1) == labels).sum() == (ours.argmax(1) == labels).sum()
    assert (ours.argmax(1) == labels).mean() > 0.9  # a trained model, not a trivial comparison


def test_onnx_mlp_from_a_clusters_run_matches(clusters_checkpoint, tmp_path, capsys):
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    out = tmp_path / "clusters.onnx"
    assert run_cli(["export", "--checkpoint", clusters_checkpoint, "--format", "onnx", "--out", out], capsys)[0] == 0
    trained = trained_model(clusters_checkpoint)
    x = np.random.default_rng(0).normal(0, 4, (64, 2)).astype(np.float32)
    with nt.no_grad():
        ours = trained.model(nt.from_numpy(x)).numpy()
    theirs = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
    np.testing.assert_allclose(theirs, ours, atol=1e-5, rtol=0)


def _with_running_stats(bn, seed):
    rng = np.random.default_rng(seed)
    n = bn.num_features
    bn.running_mean.data[...] = rng.normal(size=n)
    bn.running_var.data[...] = rng.uniform(0.5, 2.0, size=n)
    bn.weight.data[...] = rng.normal(size=n)
    bn.bias.data[...] = rng.normal(size=n)
    return bn


EVERY_LAYER = {
    "conv stride padding, avg pool padding, sigmoid": lambda: nt.nn.Sequential(
        nt.nn.Conv2d(1, 4, 3, stride=2, padding=1), nt.nn.Sigmoid(), nt.nn.AvgPool2d(3, stride=2, padding=1),
        nt.nn.Flatten(), nt.nn.Linear(4 * 4 * 4, 5)),
    "batchnorm2d, max pool, tanh, dropout, softmax": lambda: nt.nn.Sequential(
        nt.nn.Conv2d(1, 3, 5), _with_running_stats(nt.nn.BatchNorm2d(3), 1), nt.nn.Tanh(), nt.nn.MaxPool2d(2),
        nt.nn.Dropout(0.5), nt.nn.Flatten(), nt.nn.Linear(3 * 5 * 5, 6), nt.nn.Softmax(dim=1)),
    "batchnorm1d, relu, identity, log_softmax": lambda: nt.nn.Sequential(
        nt.nn.Flatten(), nt.nn.Linear(196, 8), _with_running_stats(nt.nn.BatchNorm1d(8), 2), nt.nn.ReLU(),
        nt.nn.Identity(), nt.nn.Linear(8, 3, bias=False), nt.nn.LogSoftmax(dim=1)),
}


@pytest.mark.parametrize("name", list(EVERY_LAYER))
def test_onnx_every_layer_type_matches_nettrain(name):
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from nettrain.interop.onnx_export import onnx_model

    model = EVERY_LAYER[name]()
    transforms = [{"name": "zscore", "mean": [0.25], "std": [0.5]}]
    proto = onnx_model(model, (1, 14, 14), transforms)
    x = np.random.default_rng(3).uniform(0, 1, (7, 1, 14, 14)).astype(np.float32)
    model.eval()
    with nt.no_grad():
        ours = model(nt.from_numpy((x - np.float32(0.25)) / np.float32(0.5))).numpy()
    theirs = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
    np.testing.assert_allclose(theirs, ours, atol=1e-5, rtol=0)
    assert model.training is False  # it was in eval already; export restores the mode it found


def test_onnx_refuses_a_forward_that_computes_between_layers():
    pytest.importorskip("onnx")
    from nettrain.errors import UsageError
    from nettrain.interop.onnx_export import onnx_model

    class Doubling(nt.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nt.nn.Linear(4, 2)

        def forward(self, x):
            return self.fc(x * 2)

    with pytest.raises(UsageError, match="between its layers"):
        onnx_model(Doubling(), (4,))


# --------------------------------------------------------------------------- mistakes


def test_export_without_the_extra_says_what_to_install(clusters_checkpoint, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    out_file = clusters_checkpoint.with_suffix(".onnx")
    code, out, err = run_cli(["export", "--checkpoint", clusters_checkpoint, "--format", "onnx"], capsys)
    assert code == 2 and out == ""
    assert "pip install 'nettrain[export]'" in err
    assert not out_file.exists()


@pytest.mark.parametrize("args, words", [
    (["--format", "torch"], ["--format", "safetensors or onnx"]),
    (["--format", "onnx", "--out", "/nonexistent-folder/x.onnx"], ["--out", "does not exist"]),
])
def test_export_mistakes_exit_2_writing_nothing(args, words, clusters_checkpoint, capsys):
    before = sorted(p.name for p in clusters_checkpoint.parent.iterdir())
    code, out, err = run_cli(["export", "--checkpoint", clusters_checkpoint, *args], capsys)
    assert code == 2 and out == ""
    for word in words:
        assert word in err
    assert sorted(p.name for p in clusters_checkpoint.parent.iterdir()) == before


def test_export_of_a_missing_checkpoint(tmp_path, capsys):
    pytest.importorskip("safetensors")
    code, out, err = run_cli(["export", "--checkpoint", tmp_path / "nope.npz", "--format", "safetensors"], capsys)
    assert code == 2 and "nope.npz" in err
