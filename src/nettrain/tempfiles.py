"""Files written whole, atomically; temporary names; what a killed process left.

``replace_atomic(path, write)`` is how nettrain writes every file it writes
whole (checkpoints and their copies, config.yaml, downloads, curves.png and
the other plots, exported models): under a temporary name in the final
file's folder, ``.<name>.<pid><suffix>`` (checkpoints: ``.last.npz.<pid>.tmp``;
downloads: ``.<file>.<pid>.part``), flushed and fsynced, then renamed into
place (``os.replace`` is atomic on POSIX), so a reader sees the old file or
the new one, never half of one.
A process killed with SIGKILL, or a machine that loses power, cannot remove
its temporary file. The next download of the same file removes every such
file whose process is gone (and those of the older pid-less pattern); the
next checkpoint written into a folder removes every ``.<name>.<pid>.tmp``
there whose process is gone, whatever its name (a kill while ``best.npz`` or
``epoch-0003.npz`` was being copied leaves a name that may never be written
again).
"""
from __future__ import annotations

import glob
import os
import re
from pathlib import Path
from typing import Callable, IO

TEMP_SUFFIX = ".tmp"


def replace_atomic(path, write: Callable[[IO[bytes]], object], suffix: str = TEMP_SUFFIX, *,
                   stale_in_folder: bool = True) -> Path:
    """Write ``path`` whole: ``write(file)`` into a temporary file beside it
    (binary mode), fsync, rename over ``path``, fsync the folder. If
    ``write`` raises, the temporary file is removed and ``path`` is as it
    was. First removes the temporaries that killed writers left: in the
    whole folder, whatever their name (``stale_in_folder``: a folder nettrain
    owns, such as a run's), or only those of ``path`` itself (a person's
    folder: a plot, a download)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if stale_in_folder:
        remove_stale_beside(path, suffix)
    else:
        remove_stale(path, suffix)
    tmp = temporary_path(path, suffix)
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    _fsync_dir(path.parent)
    return path


def _fsync_dir(folder: Path):
    # The rename itself is durable only once the folder's entry is on disk.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def temporary_path(final: Path, suffix: str) -> Path:
    """``.<name>.<pid><suffix>`` beside ``final``."""
    return final.with_name(f".{final.name}.{os.getpid()}{suffix}")


def remove_stale(final: Path, suffix: str) -> list[Path]:
    """Remove ``.<name>.*<suffix>`` files beside ``final`` whose writer is no
    longer running; return what was removed. Never raises for a file that
    vanished meanwhile or a folder that cannot be listed."""
    final = Path(final)
    removed = []
    try:
        candidates = list(final.parent.glob(f".{glob.escape(final.name)}.*{glob.escape(suffix)}"))
    except OSError:
        return removed
    for candidate in candidates:
        middle = candidate.name[len(final.name) + 2: len(candidate.name) - len(suffix)]
        pid = middle.split(".", 1)[0]
        if pid.isdigit() and _running(int(pid)):
            continue
        try:
            candidate.unlink()
            removed.append(candidate)
        except OSError:
            pass
    return removed


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # gone, or never a pid
        return False
    except PermissionError:
        return True  # another user's process: leave its file alone
    return True


def remove_stale_beside(final: Path, suffix: str) -> list[Path]:
    """Remove every ``.<any name>.<pid><suffix>`` in ``final``'s folder whose
    process is no longer running; return what was removed."""
    pattern = re.compile(r"\.(.+)\.(\d+)" + re.escape(suffix))
    removed = []
    try:
        candidates = list(Path(final).parent.glob(f".*{glob.escape(suffix)}"))
    except OSError:
        return removed
    for candidate in candidates:
        match = pattern.fullmatch(candidate.name)
        if match is None or _running(int(match.group(2))):
            continue
        try:
            candidate.unlink()
            removed.append(candidate)
        except OSError:
            pass
    return removed
