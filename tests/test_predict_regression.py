"""``nettrain predict --index`` on a regression model: the target and the
predicted value, not a one-class softmax. (Apart from test_predict.py:
these need no Pillow.)"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from conftest import only_run, run_cli

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def test_predict_on_a_regression_model_gives_values_that_make_evals_mse(tmp_path, capsys):
    code, _, err = run_cli(["train", CONFIGS / "cubic.yaml", "--runs-dir", tmp_path, "--epochs", 3], capsys)
    assert code == 0, err
    checkpoint = only_run(tmp_path) / "checkpoints" / "last.npz"
    code, out, err = run_cli(["eval", "--checkpoint", checkpoint, "--json"], capsys)
    assert code == 0, err
    evaluation = json.loads(out)

    every_index = [a for n in range(evaluation["samples"]) for a in ("--index", n)]
    code, out, err = run_cli(["predict", "--checkpoint", checkpoint, "--json", *every_index], capsys)
    assert code == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["index"] for r in records] == list(range(evaluation["samples"]))
    assert all(set(r) == {"index", "target", "prediction"} for r in records)
    errors = np.array([r["prediction"] - r["target"] for r in records])
    assert np.isclose(np.mean(errors ** 2), evaluation["mse"], rtol=1e-4)  # what eval's MSE averages

    code, out, err = run_cli(["predict", "--checkpoint", checkpoint, "--index", "0"], capsys)
    assert code == 0, err
    first = records[0]
    assert out == f"test sample 0 (target {first['target']:.4f}): predicted {first['prediction']:.4f}\n"
