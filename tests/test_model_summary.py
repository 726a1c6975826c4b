"""``nt.summary`` / ``nettrain summary``: layers, shapes, parameters,
multiply-adds and memory from one dry forward pass, in 80 columns."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import nettrain as nt
from conftest import run_cli

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def test_lenet_rows_totals_and_multiply_adds_by_hand():
    s = nt.summary(nt.models.LeNet(), (64, 1, 28, 28))
    shapes = [row.output_shape for row in s.layers]
    assert shapes == [(64, 6, 24, 24), (64, 6, 24, 24), (64, 6, 12, 12), (64, 16, 8, 8), (64, 16, 8, 8),
                      (64, 16, 4, 4), (64, 256), (64, 120), (64, 120), (64, 84), (64, 84), (64, 10)]
    assert [row.name for row in s.layers][:3] == ["features.0", "features.1", "features.2"]
    assert [row.params for row in s.layers if row.params] == [156, 2416, 30840, 10164, 850]
    assert s.total_params == s.trainable_params == 44_426
    # conv: outputs x (in_channels x 5 x 5); linear: outputs x in_features
    assert s.macs_per_sample == 6 * 24 * 24 * 25 + 16 * 8 * 8 * 150 + 256 * 120 + 120 * 84 + 84 * 10
    assert s.param_bytes == 44_426 * 4 and s.input_bytes == 64 * 784 * 4
    assert s.activation_bytes == sum(int(np.prod(shape)) for shape in shapes) * 4
    text = str(s)
    assert "44,426" in text and "281,640" in text and "69.4%" in text


def test_summary_restores_the_mode_and_leaves_the_model_as_it_was():
    model = nt.models.MLP(784, [32], 10, dropout=0.5)
    model.train()
    x = nt.randn(3, 784)
    model.eval()
    before = model(x).detach().numpy()
    model.train()
    first = nt.summary(model, (8, 784))
    second = nt.summary(model, (8, 784))  # no hook left behind: the same rows again
    assert model.training
    assert [r.name for r in first.layers] == [r.name for r in second.layers] == \
        ["layers.0", "layers.1", "layers.2", "layers.3"]
    model.eval()
    np.testing.assert_array_equal(model(x).detach().numpy(), before)


def test_a_shared_layer_counts_its_parameters_once():
    shared = nt.nn.Linear(4, 4)
    model = nt.nn.Sequential(shared, nt.nn.ReLU(), shared)
    s = nt.summary(model, (2, 4))
    assert [r.params for r in s.layers] == [20, 0, 0]
    assert s.total_params == model.num_parameters() == 20
    assert s.macs_per_sample == 2 * 16


def test_long_names_still_fit_80_columns():
    class Deep(nt.nn.Module):
        def __init__(self):
            super().__init__()
            self.a_rather_long_block_name_for_a_stage_of_the_network = nt.nn.Sequential(
                nt.nn.Sequential(nt.nn.Linear(3, 5), nt.nn.Tanh()), nt.nn.Linear(5, 12345))

        def forward(self, x):
            return self.a_rather_long_block_name_for_a_stage_of_the_network(x)

    lines = nt.summary(Deep(), (1000, 3)).lines()
    assert max(len(line) for line in lines) <= 80
    assert any(line.startswith("...") for line in lines)


def test_summary_command_fits_80_columns_and_needs_no_data(no_downloads, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = run_cli(["summary", CONFIGS / "lenet.yaml"], capsys)
    assert code == 0, err
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "classifier.4" in out and "[64, 10]" in out and "total parameters: 44,426" in out
    assert "multiply-adds per sample: 281,640" in out
    assert list(tmp_path.iterdir()) == []


def test_summary_command_applies_overrides(no_downloads, capsys):
    code, out, err = run_cli(["summary", CONFIGS / "mlp.yaml", "--set", "model.hidden=[64, 32]",
                              "--set", "data.batch_size=10"], capsys)
    assert code == 0, err
    assert "[10, 64]" in out and "[10, 32]" in out
    assert f"total parameters: {784 * 64 + 64 + 64 * 32 + 32 + 32 * 10 + 10:,}" in out


def test_a_tiny_model_gets_figures_not_zeros(no_downloads, capsys):
    """One Linear(1, 1) (cubic.yaml without hidden layers): 8 bytes of
    parameters, 32 inputs and outputs of 4 bytes each; no "0.00 MB", no "1 (1)"."""
    code, out, err = run_cli(["summary", CONFIGS / "cubic.yaml", "--set", "model.hidden=[]"], capsys)
    assert code == 0, err
    assert out.splitlines()[-3:] == [
        "multiply-adds per sample: 1",
        "memory at batch 32: 264 B = parameters 8 B + input 128 B",
        "  + layer outputs 128 B (gradients, optimizer state not included)",
    ]


def test_memory_parts_share_the_total_s_unit(no_downloads, capsys):
    code, out, err = run_cli(["summary", CONFIGS / "cubic.yaml"], capsys)
    assert code == 0, err
    assert "multiply-adds per sample: 40\n" in out
    assert "memory at batch 32: 5.49 KB = parameters 0.24 KB + input 0.12 KB\n  + layer outputs 5.12 KB " in out


def test_summary_command_reports_a_bad_config(no_downloads, capsys):
    code, out, err = run_cli(["summary", CONFIGS / "lenet.yaml", "--set", "data.transforms=[flatten]"], capsys)
    assert code == 2 and "lenet needs image data" in err and out == ""


def test_train_prints_the_short_summary_at_start(tmp_path, capsys):
    code, out, err = run_cli(["train", CONFIGS / "clusters.yaml", "--runs-dir", tmp_path, "--epochs", "1"], capsys)
    assert code == 0, err
    expected = nt.summary(nt.models.MLP(2, [16], 2), (50, 2))  # clusters.yaml's model and batch
    assert expected.short() in out + err
