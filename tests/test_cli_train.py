"""End to end through the command line: train, eval --json, runs, exact
resume, interrupts, crashes during a checkpoint write, divergence."""
from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from nettrain.checkpoint import read_checkpoint
from nettrain.cli import main
from conftest import cli_on_terminal, cli_process, cli_without, only_run, read_metrics, run_cli, without_timing

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / "configs"


def test_train_clusters_writes_the_run_folder_and_plain_output(tmp_path, capsys):
    code, out, err = run_cli(["train", CONFIGS / "clusters.yaml", "--runs-dir", tmp_path, "--epochs", "3"], capsys)
    assert code == 0, err
    run = only_run(tmp_path)
    assert run.name.startswith("clusters-")
    assert (run / "config.yaml").exists()
    # no validation split: no best.npz (it could only be chosen on the test set), and it says so
    assert (run / "checkpoints" / "last.npz").exists() and not (run / "checkpoints" / "best.npz").exists()
    records = read_metrics(run)
    assert [r["kind"] for r in records] == ["epoch", "epoch", "epoch", "final"]
    assert records[-1]["test_acc"] >= 0.99  # the tutorial's two clouds separate cleanly
    assert "best" not in records[-1]
    # piped output: plain lines, no carriage returns, no escape codes
    assert "\r" not in out and "\x1b" not in out
    assert "train loss" in out and "done: test loss" in out
    assert "(the last epoch, 3: last.npz)" in out and "no best.npz: without a validation split" in out
    assert f"eval --checkpoint {run / 'checkpoints' / 'last.npz'}" in out
    drawn = (run / "curves.png").exists()
    assert drawn == (importlib.util.find_spec("matplotlib") is not None) and ("no curves.png" in out) == (not drawn)


def test_on_an_80_column_terminal_the_run_lines_break_between_their_parts(fake_mnist, tmp_path):
    fake_mnist(tmp_path / "data" / "mnist")
    code, screen = cli_on_terminal(["train", CONFIGS / "lenet.yaml", "--runs-dir", "runs", "--epochs", "1",
                                    "--set", "data.root=data", "--set", "data.val_split=8"], cwd=tmp_path)
    assert code == 0, screen
    best = only_run(tmp_path / "runs").relative_to(tmp_path) / "checkpoints" / "best.npz"
    assert [line for line in screen.splitlines() if len(line) > 80] == [], screen
    assert ("model: lenet on cpu: 44,426 parameters, 281.64 k multiply-adds per sample,\n"
            "       2.99 MB at batch 64\n") in screen, screen  # never "2.99 / MB"
    assert f"evaluate with:\n  nettrain eval --checkpoint {best}\n" in screen, screen  # whole, to copy


def test_a_run_without_matplotlib_ends_saying_no_curves_png_and_the_extra_to_install(tmp_path):
    result = cli_without(["matplotlib"], ["train", CONFIGS / "clusters.yaml", "--runs-dir", tmp_path, "--epochs", "2"])
    assert result.returncode == 0, result.stderr
    assert not (only_run(tmp_path) / "curves.png").exists()
    said = [line for line in (result.stdout + result.stderr).splitlines() if "curves.png" in line]
    assert said == ['no curves.png: matplotlib is not installed; pip install -e ".[plot]" draws it in every run']
    assert result.stdout.splitlines()[-1] == said[0]  # once, at the end


def test_printed_paths_keep_their_brackets(tmp_path, capsys):
    """Paths are printed as text: rich markup would take "[old]" for a tag and drop it."""
    runs = tmp_path / "runs[old]"
    code, out, err = run_cli(["train", CONFIGS / "clusters.yaml", "--runs-dir", runs, "--epochs", "1"], capsys)
    assert code == 0, err
    assert f"checkpoint: {only_run(runs) / 'checkpoints' / 'last.npz'} (epoch 1)" in out


def test_each_printed_figure_names_its_checkpoint_and_best_is_chosen_on_val(tmp_path, capsys):
    code, out, err = run_cli(["train", CONFIGS / "clusters.yaml", "--runs-dir", tmp_path, "--epochs", "4",
                              "--set", "data.val_split=200", "--set", "optimizer.lr=0.01"], capsys)
    assert code == 0, err
    run = only_run(tmp_path)
    final = read_metrics(run)[-1]
    best = final["best"]
    assert best["metric"] == "val_acc"
    val = {r["epoch"]: r["val_acc"] for r in read_metrics(run) if r["kind"] == "epoch"}
    assert best["value"] == max(val.values()) and best["epoch"] == min(e for e, v in val.items() if v == best["value"])
    assert f"test accuracy {final['test_acc']:.2%} (the last epoch, 4: last.npz)" in out
    assert (f"{run / 'checkpoints' / 'best.npz'} (epoch {best['epoch']}, the best val accuracy "
            f"{best['value']:.2%})") in out
    assert read_checkpoint(run / "checkpoints" / "best.npz")["epoch"] == best["epoch"]


def test_best_is_written_whenever_val_improves_whatever_checkpoint_every_says(tmp_path, capsys):
    # lr 0.01: the val accuracy improves on epochs 1, 2 and 3 or 4, never only on a multiple of 3
    code, out, err = run_cli(["train", CONFIGS / "clusters.yaml", "--runs-dir", tmp_path, "--epochs", "5",
                              "--set", "data.val_split=200", "--set", "optimizer.lr=0.01",
                              "--set", "train.checkpoint_every=3"], capsys)
    assert code == 0, err
    run = only_run(tmp_path)
    best = read_metrics(run)[-1]["best"]
    assert best["epoch"] % 3 != 0 and best["epoch"] != 5  # an epoch that is not a checkpoint epoch
    saved = read_checkpoint(run / "checkpoints" / "best.npz")
    assert saved["epoch"] == best["epoch"] and saved["best"] == best
    assert read_checkpoint(run / "checkpoints" / "last.npz")["epoch"] == 5


def test_early_stopping_writes_last_at_the_epoch_it_stops_whatever_checkpoint_every_says(tmp_path, capsys):
    code, out, err = run_cli(["train", CONFIGS / "clusters.yaml", "--runs-dir", tmp_path, "--epochs", "10",
                              "--set", "train.early_stopping={monitor: train_loss, patience: 1, min_delta: 1}",
                              "--set", "train.checkpoint_every=4"], capsys)
    assert code == 0, err
    run = only_run(tmp_path)
    final = read_metrics(run)[-1]
    assert "early_stop" in final and final["epoch"] == 2
    assert read_checkpoint(run / "checkpoints" / "last.npz")["epoch"] == final["epoch"]


def test_eval_json_prints_one_object_and_nothing_else(tmp_path, capsys):
    code, _, err = run_cli(["train", CONFIGS / "clusters3.yaml", "--runs-dir", tmp_path, "--epochs", "4"], capsys)
    assert code == 0, err
    checkpoint = only_run(tmp_path) / "checkpoints" / "last.npz"
    code, out, _ = run_cli(["eval", "--checkpoint", checkpoint, "--json"], capsys)
    assert code == 0
    result = json.loads(out)
    assert out.count("\n") == 1
    assert result["split"] == "test" and result["accuracy" if "accuracy" in result else "acc"] > 0.8
    assert len(result["confusion_matrix"]) == 3 and sum(map(sum, result["confusion_matrix"])) == result["samples"]
    code, out, _ = run_cli(["eval", "--checkpoint", checkpoint], capsys)
    assert code == 0 and "confusion matrix" in out and "accuracy" in out


def test_runs_lists_each_run(tmp_path, capsys):
    run_cli(["train", CONFIGS / "linear.yaml", "--runs-dir", tmp_path, "--epochs", "2"], capsys)
    code, out, _ = run_cli(["runs", "--runs-dir", tmp_path], capsys)
    assert code == 0
    assert "linear-" in out and "2/2" in out and "finished" in out


@pytest.mark.parametrize("loss", ["mse", "l1"])
def test_eval_of_a_regression_run_reports_mse_and_mae_whatever_the_loss(loss, tmp_path, capsys):
    code, _, err = run_cli(["train", CONFIGS / "linear.yaml", "--runs-dir", tmp_path, "--epochs", "3",
                            "--set", f"loss.name={loss}"], capsys)
    assert code == 0, err
    checkpoint = only_run(tmp_path) / "checkpoints" / "last.npz"
    code, out, err = run_cli(["eval", "--checkpoint", checkpoint, "--json"], capsys)
    assert code == 0, err
    result = json.loads(out)
    assert result["mse"] > 0 and result["mae"] > 0
    assert result["mse"] >= result["mae"] ** 2 * (1 - 1e-6)  # Jensen: E[e^2] >= E[|e|]^2
    assert result["loss"] == pytest.approx(result["mse"] if loss == "mse" else result["mae"], rel=1e-5)
    code, out, err = run_cli(["eval", "--checkpoint", checkpoint], capsys)
    assert code == 0 and f"MSE  {result['mse']:.4f}".split() == next(
        line.split() for line in out.splitlines() if line.startswith("MSE"))


@pytest.mark.parametrize("config, epochs", [("linear.yaml", 5), ("cubic.yaml", 5)])
def test_regression_configs_train_and_report_mae(config, epochs, tmp_path, capsys):
    code, out, err = run_cli(["train", CONFIGS / config, "--runs-dir", tmp_path, "--epochs", epochs], capsys)
    assert code == 0, err
    final = read_metrics(only_run(tmp_path))[-1]
    assert "test_mae" in final and np.isfinite(final["test_loss"])


def _params(checkpoint: Path):
    return {k: np.asarray(v) for k, v in read_checkpoint(checkpoint)["model"].items()}


def test_exact_resume_between_epochs_is_bit_identical(tmp_path, capsys):
    straight, split = tmp_path / "straight", tmp_path / "split"
    common = ["--set", "model.dropout=0.2"]  # dropout: the engine's generator must resume too
    assert run_cli(["train", CONFIGS / "clusters3.yaml", "--runs-dir", straight, "--epochs", 4, *common], capsys)[0] == 0
    assert run_cli(["train", CONFIGS / "clusters3.yaml", "--runs-dir", split, "--epochs", 2, *common], capsys)[0] == 0
    run = only_run(split)
    code, _, err = run_cli(["train", run / "config.yaml", "--resume", run / "checkpoints" / "last.npz", "--epochs", 4], capsys)
    assert code == 0, err
    a, b = _params(only_run(straight) / "checkpoints" / "last.npz"), _params(run / "checkpoints" / "last.npz")
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    # metrics.jsonl ends up as the straight run's: the resume cuts it back to
    # the checkpoint's records (the first part's final record goes), so there
    # is one row per epoch and exactly one final.
    straight_records, split_records = read_metrics(only_run(straight)), read_metrics(run)
    assert [r["kind"] for r in split_records] == ["epoch", "epoch", "epoch", "epoch", "final"]
    assert without_timing(straight_records) == without_timing(split_records)


def test_resume_with_another_model_lists_the_differences(tmp_path, capsys):
    run_cli(["train", CONFIGS / "clusters.yaml", "--runs-dir", tmp_path, "--epochs", 1], capsys)
    checkpoint = only_run(tmp_path) / "checkpoints" / "last.npz"
    code, out, err = run_cli(["train", CONFIGS / "clusters.yaml", "--resume", checkpoint, "--set", "model.hidden=[8]",
                              "--set", "data.batch_size=10"], capsys)
    assert code == 2
    assert "model.hidden" in err and "data.batch_size" in err and "Traceback" not in err


def test_sigint_mid_epoch_then_resume_matches_an_uninterrupted_run(tmp_path):
    """A real SIGINT delivered during a step: the trainer finishes the step,
    checkpoints mid-epoch, and the resumed run ends bit-identical."""
    from nettrain.config import load_config
    from nettrain.report import PlainReport
    from nettrain.trainer import Run, Stopped, Trainer, build

    settings = load_config(CONFIGS / "clusters3.yaml", ["model.dropout=0.1", "train.epochs=3"]).to_dict()

    def trainer(folder, callbacks=()):
        run = Run.create(folder, "t", "")
        return Trainer(settings, build(settings), run, PlainReport(stream=open(os.devnull, "w")), callbacks)

    reference = trainer(tmp_path / "a")
    reference.fit()

    def interrupt(metrics):
        if metrics["step"] == 40:  # mid-epoch 2 (30 steps per epoch)
            os.kill(os.getpid(), signal.SIGINT)

    stopped = trainer(tmp_path / "b", [interrupt])
    with pytest.raises(Stopped) as info:
        stopped.fit()
    assert info.value.exit_code == 130 and "--resume" in str(info.value)
    state = read_checkpoint(stopped.run.last)
    assert state["step"] == 40 and state["epoch"] == 1

    resumed = trainer(tmp_path / "c")
    resumed.restore(state)
    resumed.fit()
    a, b = reference.c.model.state_dict(), resumed.c.model.state_dict()
    for key in a:
        np.testing.assert_array_equal(a[key].numpy(), b[key].numpy(), err_msg=key)
    assert without_timing(reference.records) == without_timing(resumed.records)


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_through_the_cli_checkpoints_and_prints_the_resume_command(signum, code, tmp_path, capsys):
    proc = cli_process(["train", CONFIGS / "clusters.yaml", "--runs-dir", tmp_path, "--epochs", 1000,
                         "--set", "data.train_size=4000", "--set", "data.val_split=500"])
    deadline = time.time() + 60
    while time.time() < deadline and not list(tmp_path.glob("*/metrics.jsonl")):
        time.sleep(0.05)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert "resume with:" in err and "--resume" in err and "Traceback" not in err
    run = only_run(tmp_path)
    assert read_checkpoint(run / "checkpoints" / "last.npz")["step"] > 0
    assert read_metrics(run)[-1]["kind"] == "stopped"
    code, listing, _ = run_cli(["runs", "--runs-dir", tmp_path], capsys)
    assert code == 0 and "stopped" in listing and "%" in listing  # best val accuracy so far, unfinished


def test_the_resume_names_the_point_in_the_words_the_stop_used(tmp_path, capsys):
    """Wherever the signal lands (mid-epoch or between epochs), the stop
    message, the "stopped" record and the resume's first lines name the same
    step and the same 1-based epoch (the resume once said epoch 0 for the
    stop's epoch 1)."""
    proc = cli_process(["train", CONFIGS / "clusters.yaml", "--runs-dir", tmp_path, "--epochs", 1000,
                        "--set", "data.train_size=4000"])
    deadline = time.time() + 60
    while time.time() < deadline and not list(tmp_path.glob("*/metrics.jsonl")):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    position = re.search(r"stopped after (step \d+ \(.*?\)); checkpoint saved", err).group(1)
    epoch = int(re.search(r"epoch (\d+)", position).group(1))
    run = only_run(tmp_path)
    stopped = read_metrics(run)[-1]
    assert stopped["kind"] == "stopped" and stopped["epoch"] == epoch
    code, out, err = run_cli(["train", run / "config.yaml", "--resume", run / "checkpoints" / "last.npz",
                              "--epochs", epoch + 1], capsys)
    assert code == 0, err
    assert f"resumed: from {run / 'checkpoints' / 'last.npz'}, after {position}\n" in out


def test_crash_between_temp_write_and_rename_keeps_the_old_checkpoint(tmp_path):
    from nettrain.checkpoint import write_atomic

    target = tmp_path / "last.npz"
    write_atomic({"format": "x", "value": np.arange(3)}, target)
    script = (
        "import os, numpy as np\n"
        "from nettrain import checkpoint\n"
        "os.replace = lambda *a: os._exit(9)  # the process dies right before the rename\n"
        f"checkpoint.write_atomic({{'format': 'x', 'value': np.arange(5)}}, {str(target)!r})\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert result.returncode == 9
    from nettrain.serialization import load

    assert load(target)["value"].tolist() == [0, 1, 2]


def test_diverging_loss_stops_with_a_message_naming_the_step(tmp_path, capsys):
    code, out, err = run_cli(["train", CONFIGS / "cubic.yaml", "--runs-dir", tmp_path, "--set", "optimizer.name=sgd",
                              "--set", "optimizer.lr=10.0"], capsys)
    assert code == 1
    assert "loss became" in err and "at step" in err and "Traceback" not in err
    assert read_metrics(only_run(tmp_path))[-1]["kind"] == "stopped"


def _folder_state(folder: Path) -> dict:
    """Every file under a folder: its bytes and modification time."""
    return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("epochs", [[], ["--epochs", "2"]])
def test_resuming_a_finished_run_says_so_and_writes_nothing(epochs, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # relative paths, as a user types them
    code, first, err = run_cli(["train", CONFIGS / "clusters.yaml", "--runs-dir", "runs", "--epochs", "3"], capsys)
    assert code == 0, err
    run = only_run(tmp_path / "runs").relative_to(tmp_path)
    before = _folder_state(run)
    code, out, err = run_cli(["train", run / "config.yaml", "--resume", run / "checkpoints" / "last.npz",
                              *epochs], capsys)
    assert code == 0, err
    assert f"{run}: already finished: all 3 epochs are done; use --epochs N" in out
    assert "epoch  train loss" not in out  # no empty table
    assert _folder_state(run) == before  # metrics.jsonl, checkpoints, config: not even rewritten
    # the same relative paths as the first run printed
    assert out.splitlines()[-2:] == first.splitlines()[-2:]


def test_a_resumed_run_prints_the_paths_as_the_first_run_did(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, first, err = run_cli(["train", CONFIGS / "clusters.yaml", "--runs-dir", "runs", "--epochs", "1"], capsys)
    assert code == 0, err
    run = only_run(tmp_path / "runs").relative_to(tmp_path)
    code, out, err = run_cli(["train", run / "config.yaml", "--resume", run / "checkpoints" / "last.npz",
                              "--epochs", "2"], capsys)
    assert code == 0, err
    assert f"run: {run}\n" in out and str(tmp_path) not in out
    assert f"evaluate with: nettrain eval --checkpoint {run / 'checkpoints' / 'last.npz'}" in out


def test_resuming_an_early_stopped_run_says_more_epochs_change_nothing(tmp_path, capsys):
    code, _, err = run_cli(["train", CONFIGS / "clusters.yaml", "--runs-dir", tmp_path, "--epochs", "10",
                            "--set", "train.early_stopping={monitor: train_loss, patience: 1, min_delta: 1}"], capsys)
    assert code == 0, err
    run = only_run(tmp_path)
    before = _folder_state(run)
    code, out, err = run_cli(["train", run / "config.yaml", "--resume", run / "checkpoints" / "last.npz",
                              "--epochs", "20"], capsys)
    assert code == 0, err
    assert "already finished: early stopping ended it after epoch 2" in out
    assert _folder_state(run) == before


def test_a_run_stopped_during_its_final_evaluation_resumes_to_write_the_final_record(tmp_path, capsys):
    code, _, err = run_cli(["train", CONFIGS / "clusters.yaml", "--runs-dir", tmp_path, "--epochs", "2"], capsys)
    assert code == 0, err
    run = only_run(tmp_path)
    records = read_metrics(run)
    final = records[-1]
    # what a stop during the final test evaluation leaves: every epoch done, no final record
    stopped = {"kind": "stopped", "epoch": 2, "step": final["step"], "reason": "SIGINT: stopped during the final"}
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in [*records[:-1], stopped]))
    code, out, err = run_cli(["train", run / "config.yaml", "--resume", run / "checkpoints" / "last.npz"], capsys)
    assert code == 0, err
    assert "already finished" not in out and "done: test loss" in out
    assert without_timing(read_metrics(run)) == without_timing(records)  # the epochs once, then the final record


@pytest.mark.parametrize("other", ["final record", "newer checkpoint"])
def test_a_resume_that_loses_the_race_to_another_process_writes_nothing(other, tmp_path, monkeypatch, capsys):
    """The finished check runs before the lock can be taken; the process
    that held it may write the final record in between (a second --resume
    during the first one's final evaluation once redid that evaluation).
    Simulated deterministically: the final record (or a newer last.npz)
    appears just before the lock is taken. The checks are made again under
    the lock: exit 2, nothing written, and the command run again says what
    the run is now."""
    from nettrain.trainer import session

    code, _, err = run_cli(["train", CONFIGS / "clusters.yaml", "--runs-dir", tmp_path, "--epochs", "2"], capsys)
    assert code == 0, err
    run = only_run(tmp_path)
    finished = (run / "metrics.jsonl").read_text()
    records = read_metrics(run)
    # a run in its final evaluation: every epoch done, no final record yet
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records[:-1]))
    real_lock_run = session.lock_run

    last = run / "checkpoints" / "last.npz"

    def finish_first(lock):  # the other process writes, then unlocks
        if other == "final record":
            (run / "metrics.jsonl").write_text(finished)
        else:
            (tmp_path / "newer.npz").write_bytes(last.read_bytes())
            os.replace(tmp_path / "newer.npz", last)  # as write_atomic puts a checkpoint in place
        return real_lock_run(lock)

    monkeypatch.setattr(session, "lock_run", finish_first)
    before = _folder_state(run)
    code, out, err = run_cli(["train", run / "config.yaml", "--resume", last], capsys)
    assert code == 2 and "done:" not in out
    what = "finished the run" if other == "final record" else f"replaced {last}"
    assert " ".join(err.split()) == (f"error: {run}: another process {what} while this resume started; "
                                     "nothing was written; run the command again")
    after = _folder_state(run)
    changed = run / "metrics.jsonl" if other == "final record" else last
    after.pop(changed), before.pop(changed)  # as the other process left it
    assert after == before  # nothing else rewritten
    if other == "final record":
        monkeypatch.undo()
        code, out, err = run_cli(["train", run / "config.yaml", "--resume", last], capsys)
        assert code == 0 and "already finished" in out


def test_resuming_with_fewer_epochs_than_the_checkpoint_trained_is_refused(tmp_path, monkeypatch, capsys):
    """A run stopped during its final evaluation (3 epochs done, no final
    record) resumed with --epochs 2 would have written a final record for
    epoch 3 under train.epochs 2."""
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["train", CONFIGS / "clusters.yaml", "--runs-dir", "runs", "--epochs", "3"], capsys)
    assert code == 0, err
    run = only_run(tmp_path / "runs").relative_to(tmp_path)
    metrics = run / "metrics.jsonl"
    lines = metrics.read_text().splitlines(keepends=True)
    metrics.write_text("".join(line for line in lines if '"kind": "final"' not in line))
    before = _folder_state(run)
    code, out, err = run_cli(["train", run / "config.yaml", "--resume", run / "checkpoints" / "last.npz",
                              "--epochs", "2"], capsys)
    assert code == 2
    assert "this run has trained 3 epoch(s); train.epochs = 2 would end it before that point" in err
    assert "--epochs N, N >= 3" in err and "Traceback" not in err
    assert _folder_state(run) == before
