"""nettrain.train: the training session as a Python call, and the checks it
shares with the CLI (stored configs validated, resumable keys from the schema)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import nettrain
from nettrain.checkpoint import read_checkpoint, write_atomic
from nettrain.config import config_from_dict, resumable_keys
from nettrain.errors import ConfigError
from nettrain.report import PlainReport


CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def _quiet():
    return PlainReport(stream=open(os.devnull, "w"))


def _config(runs_dir, **train):
    return {"data": {"dataset": "clusters", "train_size": 200, "test_size": 50}, "model": {"name": "mlp", "hidden": [8]},
            "optimizer": {"name": "sgd", "lr": 0.1}, "train": {"epochs": 2, **train},
            "output": {"runs_dir": str(runs_dir)}}


def test_train_from_python_writes_a_run_and_resumes_exactly(tmp_path):
    full = nettrain.train(_config(tmp_path / "a", epochs=3), report=_quiet())
    assert full.final["kind"] == "final" and full.final["epoch"] == 3
    assert (full.run.dir / "config.yaml").exists() and full.run.last.exists()
    assert [r["epoch"] for r in full.records if r["kind"] == "epoch"] == [1, 2, 3]

    short = nettrain.train(_config(tmp_path / "b", epochs=2), report=_quiet())
    resumed = nettrain.train(_config(tmp_path / "b", epochs=3), resume=short.run.last, report=_quiet())
    assert resumed.run.dir == short.run.dir
    a, b = read_checkpoint(full.run.last)["model"], read_checkpoint(resumed.run.last)["model"]
    for key in a:
        np.testing.assert_array_equal(a[key].numpy(), b[key].numpy())


def test_train_takes_a_path_a_mapping_or_a_config_and_nothing_else(tmp_path):
    with pytest.raises(TypeError, match="config must be a Config, a dict or the path"):
        nettrain.train(42)
    with pytest.raises(ConfigError, match="optimizer.lr"):
        nettrain.train({**_config(tmp_path), "optimizer": {"name": "sgd", "lr": "fast"}})
    assert not (tmp_path / "runs").exists() and not any(tmp_path.iterdir())


def _edited_checkpoint(trained_run, tmp_path, edit):
    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    checkpoint = run / "checkpoints" / "last.npz"
    state = read_checkpoint(checkpoint)
    edit(state["config"])
    write_atomic(state, checkpoint)
    return run, checkpoint


def test_eval_validates_the_checkpoints_stored_config(trained_run, tmp_path, cli):
    _, checkpoint = _edited_checkpoint(trained_run, tmp_path, lambda c: c["optimizer"].update(lr=-1))
    code, out, err = cli(["eval", "--checkpoint", checkpoint])
    message = " ".join(err.split())
    assert code == 2 and "Traceback" not in err
    assert f"{checkpoint} (its config)" in message and "optimizer.lr" in message


def test_resume_validates_the_checkpoints_stored_config(trained_run, tmp_path, cli):
    run, checkpoint = _edited_checkpoint(trained_run, tmp_path, lambda c: c["model"].update(hidden="wide"))
    before = sorted(p.name for p in run.rglob("*"))
    code, out, err = cli(["train", run / "config.yaml", "--resume", checkpoint, "--epochs", "2"])
    assert code == 2 and "Traceback" not in err
    assert "(its config)" in err and "model.hidden" in " ".join(err.split())
    assert sorted(p.name for p in run.rglob("*")) == before  # nothing written


def test_resumable_keys_are_schema_metadata():
    keys = resumable_keys()
    assert {"train.epochs", "train.log_every", "device", "data.root"} <= keys
    assert not keys & {"optimizer.lr", "model.hidden", "data.batch_size", "seed", "loss.name"}


class _Recorder:
    def __init__(self):
        self.records = []

    def epoch_finished(self, record):
        self.records.append(dict(record))


def test_each_epoch_record_reaches_every_consumer_once(tmp_path):
    recorder = _Recorder()
    from nettrain.trainer.session import train

    result = train(_config(tmp_path, epochs=3), report=_quiet(), consumers=[recorder])
    logged = [r for r in nettrain.report.MetricsLog(result.run.metrics.path).read() if r["kind"] == "epoch"]
    assert [r["epoch"] for r in recorder.records] == [1, 2, 3]
    assert recorder.records == logged
    assert "best" not in result.final  # no val split: never a best chosen on test
