"""One rule for rich against plain output (the training report and downloads
ask the same question) and one atomic write (checkpoints, downloads, plots)."""
from __future__ import annotations

import io
import sys

import pytest

from nettrain.data import download
from nettrain.report import PlainReport, TerminalReport, make_report
from nettrain.tempfiles import replace_atomic


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("tty, term, rich", [(True, "xterm", True), (True, "dumb", False), (False, "xterm", False)])
def test_the_training_report_and_downloads_choose_rich_or_plain_alike(tty, term, rich, monkeypatch):
    monkeypatch.setenv("TERM", term)
    stream = _Terminal() if tty else io.StringIO()
    report = make_report("classification", 5, "val", stream=stream)
    assert isinstance(report, TerminalReport if rich else PlainReport)
    monkeypatch.setattr(sys, "stderr", stream)  # downloads report on stderr
    progress = download._make_progress()
    assert isinstance(progress, download._RichProgress if rich else download._PlainProgress)


def test_a_write_that_fails_leaves_the_old_file_whole_and_no_temporary(tmp_path):
    path = tmp_path / "curves.png"
    replace_atomic(path, lambda f: f.write(b"old"))

    def half_then_fail(f):
        f.write(b"ne")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        replace_atomic(path, half_then_fail)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["curves.png"]


def test_stale_temporaries_go_from_the_whole_folder_only_where_nettrain_owns_it(tmp_path):
    dead = 999999999  # a pid no process has
    others = tmp_path / f".notes.txt.{dead}.tmp"        # another name's leftover
    own = tmp_path / f".plot.png.{dead}.tmp"            # this file's own leftover
    for leftover in (others, own):
        leftover.write_bytes(b"x")
    replace_atomic(tmp_path / "plot.png", lambda f: f.write(b"png"), stale_in_folder=False)  # a person's folder
    assert not own.exists() and others.exists()
    replace_atomic(tmp_path / "last.npz", lambda f: f.write(b"npz"))  # a run folder: every dead writer's leftover
    assert not others.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.npz", "plot.png"]
