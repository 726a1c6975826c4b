"""One process at a time in a run folder: ``<run>/.lock`` holds the owner's pid.

Two ``train --resume`` of the same run would interleave their rows in one
``metrics.jsonl`` and overwrite each other's checkpoints. The lock file is
held with ``flock`` (released by the kernel when its process dies, however
it dies), so a second process is refused for as long as the first runs, and
names the first one's pid. A lock file left by a process that was killed
(SIGKILL cannot clean up) is taken over, with a notice naming that pid.
"""
from __future__ import annotations

import os
from pathlib import Path

from .errors import UsageError

LOCK_NAME = ".lock"

try:
    import fcntl
except ImportError:  # not POSIX: the pid in the file is all there is to go on
    fcntl = None


class RunInUse(UsageError):
    """Another process holds the run folder."""


class RunLock:
    """``RunLock(folder).acquire()`` ... ``release()`` (or ``with``)."""

    def __init__(self, folder):
        self.path = Path(folder) / LOCK_NAME
        self._fd = None
        self.took_over_from = None  # pid of a dead process whose lock file was left, if any

    def acquire(self) -> "RunLock":
        """Take the lock or raise RunInUse naming the holder; never blocks."""
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                if not self._lock(fd):
                    holder = _read_pid(fd)
                    raise RunInUse(
                        f"{self.path.parent}: the run is in use by process {holder or '(unknown)'} "
                        f"(its lock file {self.path}); wait for it to finish or stop it first")
                if os.path.exists(self.path) and os.stat(self.path).st_ino == os.fstat(fd).st_ino:
                    break
                os.close(fd)  # the holder removed the file between our open and lock: try again
            except BaseException:
                os.close(fd)
                raise
        previous = _read_pid(fd)
        if previous and previous != os.getpid():
            self.took_over_from = previous
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def _lock(self, fd) -> bool:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                return False
        holder = _read_pid(fd)
        return not holder or holder == os.getpid() or not _running(holder)

    def release(self):
        if self._fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)
        except OSError:
            pass
        os.close(self._fd)  # closing releases the flock
        self._fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()
        return False


def _read_pid(fd):
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:
        return True
    return True
