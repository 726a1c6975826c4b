"""Signals at any moment: no traceback, the usual exit status, and a run that
can be resumed to the uninterrupted run's exact records."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / "configs"
ENTRY = "import sys; from nettrain_entry import main; sys.exit(main())"  # what the console script runs


def _catches(pid: int, signum: int) -> bool:
    """Whether process ``pid`` has a handler installed for ``signum`` (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (signum - 1) & 1)
    return False


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("delay", [0.0, 0.05, 0.15])
def test_ctrl_c_while_nettrain_is_still_importing_prints_no_traceback(delay, tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", ENTRY, "train", CONFIGS / "clusters.yaml", "--runs-dir", tmp_path],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    # Python catches SIGINT from its start; SIGTERM only once nettrain's entry point runs.
    while time.time() < deadline and proc.poll() is None and not _catches(proc.pid, signal.SIGTERM):
        time.sleep(0.001)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert len(err.strip().splitlines()) == 1, err


def test_a_stop_during_the_final_evaluation_prints_the_resume_command_and_resumes_to_the_final_record(tmp_path):
    """Runs with a validation split evaluate the test set after the last epoch:
    a signal then is handled like anywhere else (no silent exit)."""
    import os

    from nettrain.checkpoint import read_checkpoint
    from nettrain.config import load_config
    from nettrain.report import PlainReport
    from nettrain.trainer import Run, Stopped, Trainer, build

    settings = load_config(CONFIGS / "clusters.yaml", ["train.epochs=2", "data.val_split=200"]).to_dict()

    def trainer(folder):
        return Trainer(settings, build(settings), Run.create(folder, "t", ""), PlainReport(stream=open(os.devnull, "w")))

    reference = trainer(tmp_path / "a")
    reference.fit()

    stopped = trainer(tmp_path / "b")
    real_evaluate = stopped.evaluate

    def interrupted_final(split):
        if split == "test":
            os.kill(os.getpid(), signal.SIGINT)  # arrives while the test set is evaluated
        return real_evaluate(split)

    stopped.evaluate = interrupted_final
    with pytest.raises(Stopped) as info:
        stopped.fit()
    assert info.value.exit_code == 130
    assert "final test evaluation" in str(info.value) and f"--resume {stopped.run.last}" in str(info.value)
    assert [r["kind"] for r in stopped.run.metrics.read()] == ["epoch", "epoch"]  # no final yet

    resumed = Trainer(settings, build(settings), stopped.run, PlainReport(stream=open(os.devnull, "w")))
    resumed.restore(read_checkpoint(stopped.run.last))
    final = resumed.fit()
    assert final == reference.records[-1]
    assert [r["kind"] for r in stopped.run.metrics.read()] == ["epoch", "epoch", "final"]
