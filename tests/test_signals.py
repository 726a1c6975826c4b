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
