"""The training workflow keys of Lightning/Keras/fastai users: early stopping,
quick-debug runs, per-step schedules with warm-up, gradient accumulation,
augmentation, TensorBoard; each resumes bit-identically mid-epoch."""
from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import only_run, read_metrics, run_cli, run_cli_joined, without_timing
from nettrain.checkpoint import read_checkpoint

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / "configs"


def _trainer(settings, folder, callbacks=()):
    from nettrain.report import PlainReport
    from nettrain.trainer import Run, Trainer, build

    run = Run.create(folder, "t", "")
    return Trainer(settings, build(settings), run, PlainReport(stream=open(os.devnull, "w")), callbacks)


def _settings(config, *overrides):
    from nettrain.config import load_config

    return load_config(CONFIGS / config, list(overrides)).to_dict()


MNIST_SMALL = ("train.limit_batches=6", "data.batch_size=32")

RESUME_CASES = {
    "onecycle per step, accumulate": ("clusters3.yaml", "model.dropout=0.1", "train.epochs=3", "train.accumulate=5",
                                      "scheduler={name: onecycle, max_lr: 0.5, interval: step}",
                                      "optimizer={name: sgd, lr: 0.1, momentum: 0.9}"),
    "warm-up + cosine per step, early stopping": (
        "clusters3.yaml", "train.epochs=4", "data.val_split=0.2",
        "scheduler={name: cosine, interval: step, warmup: 15}",
        "train.early_stopping={monitor: val_loss, patience: 1, min_delta: 0.5}"),
    "l1 and grad_clip step hooks, accumulate": (
        "clusters3.yaml", "train.epochs=3", "train.accumulate=2", "train.l1=0.01", "train.grad_clip=0.05",
        "optimizer={name: adam, lr: 0.05}"),
    "augmentation": ("mlp.yaml", *MNIST_SMALL, "train.epochs=2", "data.transforms=[normalize]",
                     "data.augment=[{random_shift: 2}, {random_rotation: 10}, {random_erasing: {p: 0.5}}]"),
}


@pytest.mark.parametrize("case", sorted(RESUME_CASES))
def test_a_run_stopped_mid_epoch_resumes_bit_identically(case, tmp_path):
    config, *overrides = RESUME_CASES[case]
    settings = _settings(config, *overrides)
    reference = _trainer(settings, tmp_path / "a")
    reference.fit()

    stop_at = reference.records[0]["step"] + 3  # a few steps into the second epoch

    def interrupt(metrics):
        if metrics["step"] == stop_at:
            os.kill(os.getpid(), signal.SIGINT)

    from nettrain.trainer import Stopped

    stopped = _trainer(settings, tmp_path / "b", [interrupt])
    with pytest.raises(Stopped):
        stopped.fit()
    resumed = _trainer(settings, tmp_path / "c")
    resumed.restore(read_checkpoint(stopped.run.last))
    resumed.fit()
    a, b = reference.c.model.state_dict(), resumed.c.model.state_dict()
    for key in a:
        np.testing.assert_array_equal(a[key].numpy(), b[key].numpy(), err_msg=key)
    assert without_timing(reference.records) == without_timing(resumed.records)
    assert reference.c.optimizer.param_groups[0]["lr"] == resumed.c.optimizer.param_groups[0]["lr"]


# --- early stopping ------------------------------------------------------------------

EARLY = ("--set", "data.val_split=0.2", "--set",
         "train.early_stopping={monitor: val_loss, patience: 2, min_delta: 0.5}")


def test_early_stopping_stops_records_why_and_keeps_its_patience_across_a_resume(tmp_path, capsys):
    straight, split = tmp_path / "straight", tmp_path / "split"
    code, out, err = run_cli(["train", CONFIGS / "clusters.yaml", "--runs-dir", straight, *EARLY], capsys)
    assert code == 0, err
    records = read_metrics(only_run(straight))
    epochs = [r for r in records if r["kind"] == "epoch"]
    # The first epoch sets the best; no later one beats it by 0.5; patience 2 -> stop after epoch 3.
    assert len(epochs) == 3 and "early_stop" in epochs[-1] and "early_stop" in records[-1]
    assert "val_loss did not improve by more than 0.5 for 2 epochs" in records[-1]["early_stop"]
    assert "stopping after epoch 3 of 10" in out

    # Stopped after epoch 2 (one epoch of patience used), resumed: stops at 3 as well, not 4.
    assert run_cli(["train", CONFIGS / "clusters.yaml", "--runs-dir", split, "--epochs", 2, *EARLY], capsys)[0] == 0
    run = only_run(split)
    code, _, err = run_cli(["train", run / "config.yaml", "--resume", run / "checkpoints" / "last.npz",
                            "--epochs", 10], capsys)
    assert code == 0, err
    resumed = [r for r in read_metrics(run) if r["kind"] == "epoch"]
    assert without_timing(resumed) == without_timing(epochs)

    code, out, _ = run_cli(["runs", "--runs-dir", straight], capsys)
    assert "early" in out and "@3" in out  # the status cell "early stop @3" (it may wrap at 80 columns)


def test_early_stopping_refuses_test_metrics_and_val_metrics_without_a_val_split(tmp_path, capsys):
    for monitor, problem in (("test_acc", "would choose when to stop by the test data"),
                             ("val_loss", "needs a validation split"), ("val_mae", "classification data set")):
        overrides = ["--set", f"train.early_stopping={{monitor: {monitor}}}"]
        if monitor == "val_mae":
            overrides += ["--set", "data.val_split=0.1"]
        code, _, err = run_cli(["train", CONFIGS / "clusters.yaml", "--runs-dir", tmp_path, *overrides], capsys)
        assert code == 2 and problem in err and "train.early_stopping.monitor" in err, err
    assert list(tmp_path.iterdir()) == []


# --- quick-debug runs ----------------------------------------------------------------


def test_limit_batches_trains_and_evaluates_on_the_first_n_batches(tmp_path, capsys):
    code, _, err = run_cli(["train", CONFIGS / "clusters.yaml", "--runs-dir", tmp_path, "--epochs", 2,
                            "--set", "train.limit_batches=3"], capsys)
    assert code == 0, err
    records = read_metrics(only_run(tmp_path))
    assert [r["step"] for r in records if r["kind"] == "epoch"] == [3, 6]
    assert records[-1]["test_samples"] == 3 * 50


def test_overfit_batches_drives_lenet_loss_on_one_batch_near_zero(tmp_path):
    settings = _settings("lenet.yaml", "data.batch_size=32", "train.overfit_batches=1", "train.epochs=60",
                         "optimizer={name: adam, lr: 0.002}", "scheduler=null")
    trainer = _trainer(settings, tmp_path)
    final = trainer.fit()
    assert len(trainer.c.data.train[1]) == 32 and trainer.records[-2]["step"] == 60
    assert final["test_loss"] < 0.01 and final["test_acc"] == 1.0


def test_fast_dev_run_exercises_one_batch_and_keeps_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["train", CONFIGS / "clusters.yaml", "--fast-dev-run"], capsys)
    assert code == 0, err
    assert "fast-dev-run" in out and "nothing was kept" in out and "evaluate with" not in out
    assert "; train 1000 (50 an epoch: train.limit_batches 1), test 50\n" in out  # what it trains on, not 1000
    assert list(tmp_path.iterdir()) == []
    code, _, err = run_cli(["train", CONFIGS / "clusters.yaml", "--fast-dev-run", "--resume", "x.npz"], capsys)
    assert code == 2 and "--fast-dev-run" in err


# --- schedules per step -------------------------------------------------------------


def test_a_per_step_schedule_moves_the_rate_every_step_and_shows_it(tmp_path, capsys):
    code, out, err = run_cli(["train", CONFIGS / "clusters.yaml", "--runs-dir", tmp_path, "--epochs", 2, "--set",
                              "scheduler={name: onecycle, max_lr: 1.0, interval: step}", "--set",
                              "train.log_every=1"], capsys)
    assert code == 0, err
    rates = [float(line.split(" lr ")[1].split()[0]) for line in err.splitlines() if " lr " in line and "step" in line]
    assert len(set(rates)) == len(rates) > 1  # a new rate at every logged step
    assert max(rates) > 0.5 and rates[0] < 0.1
    final_epoch = [r for r in read_metrics(only_run(tmp_path)) if r["kind"] == "epoch"][-1]
    assert final_epoch["lr"] == pytest.approx(1.0 / 25 / 1e4)


def test_onecycle_with_warmup_is_refused(tmp_path, capsys):
    code, _, err = run_cli(["train", CONFIGS / "clusters.yaml", "--runs-dir", tmp_path, "--set",
                            "scheduler={name: onecycle, max_lr: 1.0, warmup: 3}"], capsys)
    assert code == 2 and "scheduler.warmup" in err


# --- gradient accumulation ----------------------------------------------------------

LOSS_DATA = {"cross_entropy": "clusters3.yaml", "nll": "clusters3.yaml", "bce_with_logits": "clusters.yaml",
             "mse": "cubic.yaml", "l1": "cubic.yaml"}
OPTIMIZERS = ["sgd", "adagrad", "rmsprop", "adam", "adamw"]


@pytest.mark.parametrize("loss", sorted(LOSS_DATA))
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_accumulating_micro_batches_equals_one_step_with_the_whole_batch(loss, optimizer, tmp_path):
    common = (f"loss={{name: {loss}}}", f"optimizer={{name: {optimizer}, lr: 0.01}}", "data.train_size=96",
              "data.batch_size=24", "train.epochs=2", "scheduler=null", "train.l1=0.001")
    whole = _trainer(_settings(LOSS_DATA[loss], *common), tmp_path / "whole")
    whole.fit()
    parts = _trainer(_settings(LOSS_DATA[loss], *common, "train.accumulate=4"), tmp_path / "parts")
    parts.fit()
    a, b = whole.c.model.state_dict(), parts.c.model.state_dict()
    for key in a:
        np.testing.assert_allclose(a[key].numpy(), b[key].numpy(), rtol=2e-5, atol=1e-6, err_msg=key)
    assert whole.records[-2]["train_loss"] == pytest.approx(parts.records[-2]["train_loss"], rel=1e-5)


def test_accumulate_must_divide_the_batch(tmp_path, capsys):
    code, _, err = run_cli(["train", CONFIGS / "clusters.yaml", "--runs-dir", tmp_path, "--set",
                            "train.accumulate=3"], capsys)
    assert code == 2 and "train.accumulate" in err and "50" in err


# --- augmentation and TensorBoard through a config ------------------------------------


def test_augmentation_is_refused_for_non_images_and_after_flatten(tmp_path, capsys):
    code, _, err = run_cli(["train", CONFIGS / "clusters.yaml", "--runs-dir", tmp_path, "--set",
                            "data.augment=[{random_shift: 2}]"], capsys)
    assert code == 2 and "not an image data set" in err
    code, _, err = run_cli(["train", CONFIGS / "mlp.yaml", "--runs-dir", tmp_path, "--set",
                            "data.augment=[{random_shift: 2}]"], capsys)
    assert code == 2 and "flatten" in err
    code, _, err = run_cli(["train", CONFIGS / "lenet.yaml", "--runs-dir", tmp_path, "--set",
                            "data.augment=[random_shift]"], capsys)
    assert code == 2 and "needs its arguments" in err
    assert list(tmp_path.iterdir()) == []


def test_tensorboard_scalars_follow_the_epochs(tmp_path, capsys):
    pytest.importorskip("tensorboardX")
    from test_tensorboard import read_scalars

    code, out, err = run_cli(["train", CONFIGS / "clusters.yaml", "--runs-dir", tmp_path, "--epochs", 3,
                              "--set", "output.tensorboard=true", "--set", "train.log_every=5"], capsys)
    assert code == 0, err
    run = only_run(tmp_path)
    scalars = read_scalars(run / "tensorboard")
    epochs = [r for r in read_metrics(run) if r["kind"] == "epoch"]
    assert [step for step, _ in scalars["train/loss"]] == [1, 2, 3]
    assert [v for _, v in scalars["test/acc"]] == [round(r["test_acc"], 6) for r in epochs]
    assert [step for step, _ in scalars["step/loss"]] == list(range(5, 61, 5))


@pytest.mark.parametrize("command", ["train", "config check"])
def test_a_missing_tensorboard_extra_is_refused_before_anything_is_written(command, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)  # import tensorboardX now raises ImportError
    monkeypatch.chdir(tmp_path)  # where train would make runs/
    code, out, err = run_cli_joined([*command.split(), CONFIGS / "clusters.yaml", "--set", "output.tensorboard=true"],
                                    capsys)
    assert code == 2 and out == ""
    assert err.count("error:") == 1 and 'pip install -e ".[tensorboard]"' in err
    assert list(tmp_path.iterdir()) == []  # no run folder (nettrain runs would list it "not started")


# --- a picture of the mistakes --------------------------------------------------------


def test_eval_show_draws_the_most_confident_mistakes(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    code, _, err = run_cli(["train", CONFIGS / "lenet.yaml", "--runs-dir", tmp_path / "runs", "--epochs", 1,
                            "--set", "train.limit_batches=3", "--set", "data.val_split=0"], capsys)
    assert code == 0, err
    checkpoint = only_run(tmp_path / "runs") / "checkpoints" / "last.npz"
    picture = tmp_path / "mistakes.png"
    code, out, err = run_cli(["eval", "--checkpoint", checkpoint, "--show", 6, "--out", picture, "--json"], capsys)
    assert code == 0, err
    result = json.loads(out)  # --json keeps stdout to the one object
    assert result["acc"] < 1 and picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    from nettrain.mistakes import worst_mistakes
    from nettrain.trainer import build

    settings = _settings("lenet.yaml", "train.limit_batches=3", "data.val_split=0")
    components = build(settings)
    components.model.load_state_dict({k: v for k, v in read_checkpoint(checkpoint)["model"].items()})
    found = worst_mistakes(components.model, components.data, "test", "cpu", 6)
    assert len(found["index"]) == 6 and (found["true"] != found["predicted"]).all()
    assert list(found["probability"]) == sorted(found["probability"], reverse=True)


def test_eval_show_refuses_what_it_cannot_draw(trained_run, tmp_path, capsys):
    checkpoint = trained_run / "checkpoints" / "last.npz"
    code, _, err = run_cli(["eval", "--checkpoint", checkpoint, "--show", 4, "--out", tmp_path], capsys)
    assert code == 2 and "is a folder" in err
    code, _, err = run_cli(["eval", "--checkpoint", checkpoint, "--show", 4, "--out", tmp_path / "m.png"], capsys)
    assert code == 2 and "--show draws images" in err
    assert list(tmp_path.iterdir()) == []


def test_runs_export_writes_the_epoch_records_as_csv(trained_run, tmp_path, capsys):
    import csv

    out = tmp_path / "run.csv"
    code, printed, err = run_cli(["runs", "export", trained_run, "--csv", out], capsys)
    assert code == 0, err
    rows = list(csv.DictReader(out.open()))
    epochs = [r for r in read_metrics(trained_run) if r["kind"] == "epoch"]
    assert len(rows) == len(epochs) and rows[0]["epoch"] == "1"
    assert float(rows[-1]["train_loss"]) == epochs[-1]["train_loss"]
    assert {"epoch", "step", "train_loss", "test_acc", "lr"} <= set(rows[0])
    code, printed, _ = run_cli(["runs", "export", trained_run, "--csv", "-"], capsys)
    assert printed == out.read_text()
    code, _, err = run_cli(["runs", "export", trained_run], capsys)
    assert code == 2 and "--csv" in err
