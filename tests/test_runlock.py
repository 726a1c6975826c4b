"""The run folder's lock: one process at a time, a dead holder's lock taken over."""
from __future__ import annotations

import os

import pytest

from nettrain.runlock import RunInUse, RunLock


def test_a_second_holder_is_refused_naming_the_first_ones_pid(tmp_path):
    with RunLock(tmp_path):
        assert (tmp_path / ".lock").read_text().strip() == str(os.getpid())
        with pytest.raises(RunInUse, match=f"in use by process {os.getpid()}"):
            RunLock(tmp_path).acquire()
    assert not (tmp_path / ".lock").exists()  # released: nothing left behind
    with RunLock(tmp_path):  # and free again
        pass


def test_a_lock_left_by_a_killed_process_is_taken_over_and_named(tmp_path):
    (tmp_path / ".lock").write_text("999999999\n")  # a pid no process has
    lock = RunLock(tmp_path).acquire()
    try:
        assert lock.took_over_from == 999999999
        assert (tmp_path / ".lock").read_text().strip() == str(os.getpid())
    finally:
        lock.release()
