"""A run under faults: full disks, unusable folders, a second process on the
same run, a kill between writes, configs too big for the machine. Each is
one message, the right exit status, nothing left half-made, and a resume that
ends with the uninterrupted run's records."""
from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import cli_process, only_run, read_metrics, run_cli_joined, without_timing

from nettrain.checkpoint import read_checkpoint

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / "configs"
CLUSTERS = CONFIGS / "clusters.yaml"


def everything(folder: Path) -> dict:
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def no_space(path):
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))


# --------------------------------------------------------------------------- item 3: kill between the row and the checkpoint


def test_a_kill_between_an_epochs_row_and_its_checkpoint_leaves_no_duplicate_rows(tmp_path, capsys):
    straight, broken = tmp_path / "straight", tmp_path / "broken"
    assert run_cli_joined(["train", CLUSTERS, "--runs-dir", straight, "--epochs", 3], capsys)[0] == 0
    # The process dies as it starts epoch 2's checkpoint: its row is already in metrics.jsonl.
    script = (
        "import os\n"
        "from nettrain import checkpoint\n"
        "real = checkpoint.save\n"
        "def dying(obj, f):\n"
        "    if obj.get('epoch') == 2:\n"
        "        os._exit(9)\n"
        "    return real(obj, f)\n"
        "checkpoint.save = dying\n"
        "from nettrain.cli import main\n"
        f"main(['train', {str(CLUSTERS)!r}, '--runs-dir', {str(broken)!r}, '--epochs', '3'])\n"
    )
    assert subprocess.run([sys.executable, "-c", script], capture_output=True).returncode == 9
    run = only_run(broken)
    assert [r["epoch"] for r in read_metrics(run)] == [1, 2]  # the row of the epoch whose checkpoint never came
    code, _, err = run_cli_joined(["train", run / "config.yaml", "--resume", run / "checkpoints" / "last.npz"], capsys)
    assert code == 0, err
    assert without_timing(read_metrics(run)) == without_timing(read_metrics(only_run(straight)))
    assert [r["kind"] for r in read_metrics(run)] == ["epoch", "epoch", "epoch", "final"]


# --------------------------------------------------------------------------- item 5: one process per run folder


def test_a_second_resume_of_a_running_run_is_refused_naming_the_pid(trained_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    first = cli_process(["train", run / "config.yaml", "--resume", run / "checkpoints" / "last.npz",
                          "--epochs", 100000])
    try:
        deadline = time.time() + 60
        while time.time() < deadline and not (run / ".lock").exists():
            time.sleep(0.05)
        while time.time() < deadline and not (run / ".lock").read_text().strip():
            time.sleep(0.05)
        # the same --epochs as the first: by now it may have trained past any
        # smaller number, which would be refused for that reason instead
        code, _, err = run_cli_joined(["train", run / "config.yaml", "--resume", run / "checkpoints" / "last.npz",
                                "--epochs", 100000], capsys)
        assert code == 2, err
        assert f"in use by process {first.pid}" in err and "Traceback" not in err
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=60)
    assert first.returncode == 143
    assert not (run / ".lock").exists()


def test_a_lock_left_by_a_killed_run_is_taken_over_with_a_notice(trained_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    (run / ".lock").write_text("999999999\n")
    code, _, err = run_cli_joined(["train", run / "config.yaml", "--resume", run / "checkpoints" / "last.npz",
                            "--epochs", 2], capsys)
    assert code == 0, err
    assert "took over the lock of process 999999999" in err
    assert not (run / ".lock").exists()


# --------------------------------------------------------------------------- items 6, 8: a full disk


def test_a_full_disk_mid_run_is_one_line_with_the_resume_command(tmp_path, capsys, monkeypatch):
    from nettrain import checkpoint

    real = checkpoint.save

    def full_at_epoch_2(obj, f):
        if obj.get("epoch") == 2:
            raise no_space(f.name)
        return real(obj, f)

    monkeypatch.setattr(checkpoint, "save", full_at_epoch_2)
    code, _, err = run_cli_joined(["train", CLUSTERS, "--runs-dir", tmp_path, "--epochs", 3], capsys)
    run = only_run(tmp_path)
    assert code == 1
    assert "no space left on device" in err and "Traceback" not in err
    assert f"--resume {run / 'checkpoints' / 'last.npz'}" in err
    assert read_checkpoint(run / "checkpoints" / "last.npz")["epoch"] == 1  # the last good one, intact
    assert not list(run.rglob(".*.tmp"))


def test_a_full_disk_during_the_stop_save_after_ctrl_c_names_the_last_good_checkpoint(tmp_path, capsys, monkeypatch):
    from nettrain import checkpoint

    real = checkpoint.save
    epochs_done = []

    def full_when_stopping(obj, f):
        if obj.get("progress", {}).get("steps"):  # a mid-epoch save: the stop after Ctrl-C
            raise no_space(f.name)
        epochs_done.append(obj.get("epoch"))
        return real(obj, f)

    monkeypatch.setattr(checkpoint, "save", full_when_stopping)
    proc_args = ["train", CLUSTERS, "--runs-dir", tmp_path, "--epochs", 3]

    from nettrain import trainer as trainer_module

    real_step = trainer_module.Trainer._train_steps

    def interrupted(self, stop, started):
        if self.epoch == 1:
            os.kill(os.getpid(), signal.SIGINT)
        return real_step(self, stop, started)

    monkeypatch.setattr(trainer_module.Trainer, "_train_steps", interrupted)
    code, _, err = run_cli_joined(proc_args, capsys)
    run = only_run(tmp_path)
    assert code == 1 and "Traceback" not in err
    assert "no space left on device" in err and f"--resume {run / 'checkpoints' / 'last.npz'}" in err
    assert read_checkpoint(run / "checkpoints" / "last.npz")["epoch"] == 1


def test_a_full_disk_before_the_first_checkpoint_leaves_nothing(tmp_path, capsys, monkeypatch):
    from nettrain import checkpoint

    def always_full(obj, f):
        raise no_space(f.name)

    monkeypatch.setattr(checkpoint, "save", always_full)
    code, _, err = run_cli_joined(["train", CLUSTERS, "--runs-dir", tmp_path / "runs", "--epochs", 2], capsys)
    assert code == 1 and "no space left on device" in err and "Traceback" not in err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_a_full_disk_while_writing_the_new_runs_config_leaves_nothing(tmp_path, capsys, monkeypatch):
    real_write_text = Path.write_text

    def full_for_config(self, *args, **kwargs):
        if self.name == "config.yaml":
            real_write_text(self, "")  # the file is created, then the disk is full
            raise no_space(self)
        return real_write_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full_for_config)
    code, _, err = run_cli_joined(["train", CLUSTERS, "--runs-dir", tmp_path / "runs", "--epochs", 1], capsys)
    assert code == 2 and "no space left on device" in err and "Traceback" not in err
    assert len(err.split("error:")) == 2
    assert not any((tmp_path / "runs").iterdir())


# --------------------------------------------------------------------------- item 7: unusable folders


@pytest.mark.parametrize("runs_dir, words", [
    pytest.param(lambda t: (t / "a-file").write_text("x") and t / "a-file", ["is not a folder"], id="a file"),
    pytest.param(lambda t: Path("/dev/null"), ["/dev/null", "is not a folder"], id="/dev/null"),
    pytest.param(lambda t: (t / "a-file").write_text("x") and t / "a-file" / "runs", ["cannot make the run folder"],
                 id="under a file"),
])
def test_an_unusable_runs_dir_is_one_line_exit_2(runs_dir, words, tmp_path, capsys):
    code, _, err = run_cli_joined(["train", CLUSTERS, "--runs-dir", runs_dir(tmp_path), "--epochs", 1], capsys)
    assert code == 2, err
    assert "Traceback" not in err
    for word in words:
        assert word in err


def test_a_read_only_runs_dir_is_one_line_exit_2(tmp_path, capsys, monkeypatch):
    def read_only(self, *args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))

    monkeypatch.setattr(Path, "mkdir", read_only)
    code, _, err = run_cli_joined(["train", CLUSTERS, "--runs-dir", tmp_path / "runs", "--epochs", 1], capsys)
    assert code == 2 and "read-only file system" in err and "Traceback" not in err


def test_a_checkpoint_path_that_is_a_folder_is_refused_before_resuming(trained_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    (run / "checkpoints" / "best.npz").unlink(missing_ok=True)  # a run without a val split has none
    (run / "checkpoints" / "best.npz").mkdir()
    code, _, err = run_cli_joined(["train", run / "config.yaml", "--resume", run / "checkpoints" / "last.npz",
                            "--epochs", 2], capsys)
    assert code == 2 and "best.npz: is a folder" in err and "Traceback" not in err


# --------------------------------------------------------------------------- item 9: a refused resume writes nothing


def test_a_resume_refused_while_restoring_leaves_the_run_untouched(trained_run, tmp_path, capsys):
    from nettrain.checkpoint import write_atomic

    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    state = read_checkpoint(run / "checkpoints" / "last.npz")
    state["loader"]["num_samples"] += 50  # a loader for another data set size: refused by the loader itself
    write_atomic(state, run / "checkpoints" / "last.npz")
    before = everything(run)
    code, _, err = run_cli_joined(["train", run / "config.yaml", "--resume", run / "checkpoints" / "last.npz",
                            "--epochs", 9], capsys)
    assert code == 2 and "num_samples" in err
    assert everything(run) == before  # config.yaml still says the run's own epochs


# --------------------------------------------------------------------------- item 18: sizes and names


def test_a_config_that_needs_more_memory_than_there_is_names_the_key(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("nettrain.memory_estimate.available_bytes", lambda: 1 << 30)
    code, _, err = run_cli_joined(["train", CLUSTERS, "--runs-dir", tmp_path, "--set", "model.hidden=[20000, 20000]"],
                           capsys)
    assert code == 2 and "model.hidden" in err and "GiB" in err and "1 GiB available" in err
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("size", ["1000000000000", str(2 ** 62), "1" + "0" * 100])
def test_a_data_set_of_absurd_size_is_refused_before_allocating(size, tmp_path, capsys):
    code, _, err = run_cli_joined(["train", CLUSTERS, "--runs-dir", tmp_path, "--set", f"data.train_size={size}"],
                                  capsys)
    assert code == 2 and "data.train_size" in err and "Traceback" not in err


@pytest.mark.parametrize("args, words", [
    pytest.param(lambda t: ["--name", "n" * 300], ["name", "too long"], id="a 300-byte name"),
    pytest.param(lambda t: ["--runs-dir", t / ("d" * 5000)], ["output.runs_dir", "longer than"], id="a 5000-byte folder"),
    pytest.param(lambda t: ["--set", 'name="a\\0b"'], ["name", "NUL"], id="NUL in the name"),
    pytest.param(lambda t: ["--set", 'output.runs_dir="r\\0s"'], ["output.runs_dir", "NUL"], id="NUL in runs_dir"),
])
def test_names_the_file_system_cannot_hold_are_one_line_exit_2(args, words, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    extra = [str(a) for a in args(tmp_path)]
    if not any("runs_dir" in a or "--runs-dir" in a for a in extra):
        extra += ["--runs-dir", str(tmp_path / "runs")]
    code, _, err = run_cli_joined(["train", CLUSTERS, "--epochs", 1, *extra], capsys)
    assert code == 2, err
    assert "Traceback" not in err
    for word in words:
        assert word in err


def test_a_full_disk_when_resuming_is_one_line_and_changes_nothing(trained_run, tmp_path, capsys, monkeypatch):
    from nettrain import checkpoint

    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    before = everything(run)

    def full(path, write):
        raise no_space(path)

    monkeypatch.setattr(checkpoint, "replace_atomic", full)
    code, _, err = run_cli_joined(["train", run / "config.yaml", "--resume", run / "checkpoints" / "last.npz",
                            "--epochs", 3], capsys)
    assert code == 2 and "no space left on device" in err and "not resumed" in err and "Traceback" not in err
    assert everything(run) == before


def test_runs_lists_a_run_whose_metrics_end_in_a_torn_line(trained_run, tmp_path, capsys):
    run = tmp_path / "runs" / trained_run.name
    shutil.copytree(trained_run, run)
    with open(run / "metrics.jsonl", "a") as f:
        f.write('{"kind": "epoch", "epoch": 2, "train_lo')  # a kill or a full disk mid-append
    code, out, err = run_cli_joined(["runs", "--runs-dir", tmp_path / "runs"], capsys)
    assert code in (0, None), err
    assert trained_run.name[:20] in out and "Traceback" not in err
