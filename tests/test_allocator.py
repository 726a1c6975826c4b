"""glibc malloc tuning is the command line's choice, never an import's."""
import subprocess
import sys

import pytest


def test_importing_nettrain_leaves_the_process_allocator_alone():
    code = (
        "import nettrain, nettrain.nn, nettrain.optim, nettrain.trainer, nettrain.cli\n"
        "import nettrain.allocator\n"
        "assert nettrain.allocator.tuned is False, 'an import tuned malloc'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_the_command_line_tunes_it_at_start(monkeypatch):
    for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"):
        monkeypatch.delenv(name, raising=False)
    code = (
        "import nettrain.allocator, nettrain.cli\n"
        "try:\n"
        "    nettrain.cli.main(['--version'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(nettrain.allocator.tuned)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip().splitlines()[-1] == "True"


def test_the_users_own_malloc_settings_win(monkeypatch):
    from nettrain import allocator

    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "1000")
    assert allocator.keep_freed_memory() is False
