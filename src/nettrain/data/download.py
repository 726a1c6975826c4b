"""Downloading data set files from their official mirrors, verified and atomic.

For each file, each mirror is tried in turn. A file is streamed to a
temporary name in the destination folder while its MD5 is computed; only a
complete file whose MD5 matches the published one is renamed to its final
name. A wrong checksum, a dropped connection or an unreachable mirror deletes
the temporary file and moves on to the next mirror, so a partial download
never sits under the final name.

Your own mirror: ``NETTRAIN_MIRROR`` (one or more base URLs separated by
spaces or commas, ``http(s)://`` or ``file://``) is tried before the
official mirrors, as ``<mirror>/<data set>/<file>`` (the layout of a data
root: ``mnist/``, ``fashion-mnist/``). ``NETTRAIN_DOWNLOAD_TIMEOUT`` (seconds,
default 30) bounds how long a silent connection is waited on. A body is read
only up to the file's known size (``PUBLISHED_SIZE``, by MD5); a mirror that
sends more is cut off there, not read to its end.

A download killed before it finished leaves ``.<file>.<pid>.part``; the
next download of that file removes it (``nettrain.tempfiles.replace_atomic``,
which every file nettrain writes whole goes through).

``MIRRORS`` and ``PUBLISHED_MD5`` are plain module-level dicts; tests can
replace them, or pass ``mirrors=`` and ``md5s=`` to ``download_dataset``.
"""
from __future__ import annotations

import hashlib
import http.client
import math
import os
import re
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from ..errors import DataError
from ..tempfiles import replace_atomic
from ..terminal import is_terminal

MIRRORS = {
    "mnist": [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ],
    "fashion-mnist": [
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ],
}

# MD5 of the .gz files as the mirrors publish them.
PUBLISHED_MD5 = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    },
}

# Bytes of each published .gz file, by its MD5 (a fact about the content).
PUBLISHED_SIZE = {
    "f68b3c2dcbeaaa9fbdd348bbdeb94873": 9912422,
    "d53e105ee54ea40749a09fcbcd1e9432": 28881,
    "9fb629c4189551a2d022fa330f9573f3": 1648877,
    "ec29112dd5afa0611ce80d1b7f02629c": 4542,
    "8d4fb7e6c68d591d4c3dfef9ec88bf0d": 26421880,
    "25c81989df183df01b3e8a0aad5dffbe": 29515,
    "bef4ecab320f06d8554ea6380940ec79": 4422102,
    "bb300cfdad3c16e7a12a480ee83cd310": 5148,
}
MAX_UNKNOWN_SIZE = 256 << 20  # a file whose size nettrain does not know is cut off here

CHUNK = 1 << 16
TIMEOUT_S = 30.0
MIRROR_ENV = "NETTRAIN_MIRROR"
TIMEOUT_ENV = "NETTRAIN_DOWNLOAD_TIMEOUT"
PART_SUFFIX = ".part"
USER_AGENT = "nettrain-data-download"


def user_mirrors(name: str) -> list[str]:
    """The ``NETTRAIN_MIRROR`` base URLs for data set ``name`` (``<base>/<name>/``)."""
    bases = [b for b in re.split(r"[\s,]+", os.environ.get(MIRROR_ENV, "")) if b]
    return [base.rstrip("/") + f"/{name}/" for base in bases]


def download_timeout() -> float:
    """Seconds a connection may stay silent: ``NETTRAIN_DOWNLOAD_TIMEOUT``, else 30."""
    text = os.environ.get(TIMEOUT_ENV)
    if text is None or not text.strip():
        return TIMEOUT_S
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise DataError(f"{TIMEOUT_ENV}={text[:40]!r}: expected a number of seconds > 0, e.g. 10")
    return value


class MirrorFailed(Exception):
    """One mirror could not deliver one file (the next mirror is tried)."""


# --------------------------------------------------------------------------- progress


class _PlainProgress:
    """One line when a file starts and one when it ends: readable in CI logs."""

    def __init__(self, stream):
        self.stream = stream

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def start(self, url, total):
        size = f" ({total / 1e6:.1f} MB)" if total else ""
        print(f"downloading {url}{size}", file=self.stream, flush=True)

    def advance(self, nbytes):
        pass

    def finish(self, path, nbytes, seconds):
        print(f"  saved {path} ({nbytes:,} bytes in {seconds:.1f} s, MD5 ok)", file=self.stream, flush=True)

    def fail(self, url, reason):
        print(f"  failed {url}: {reason}", file=self.stream, flush=True)


class _RichProgress:
    """A rich progress bar per file, on stderr (stdout carries results)."""

    def __init__(self):
        from rich.console import Console
        from rich.progress import (BarColumn, DownloadColumn, Progress, TextColumn,
                                   TimeRemainingColumn, TransferSpeedColumn)

        self.console = Console(stderr=True)
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
            TimeRemainingColumn(), console=self.console, transient=False,
        )
        self.task = None

    def __enter__(self):
        self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        return self.progress.__exit__(*exc)

    def start(self, url, total):
        name = url.rsplit("/", 1)[-1]
        self.task = self.progress.add_task(name, total=total or None)

    def advance(self, nbytes):
        self.progress.update(self.task, advance=nbytes)

    def finish(self, path, nbytes, seconds):
        self.progress.update(self.task, description=f"{path.name} [green]MD5 ok[/]")

    def fail(self, url, reason):
        if self.task is not None:
            self.progress.update(self.task, description=f"{url.rsplit('/', 1)[-1]} [red]failed[/]")
        self.progress.console.print(f"  failed {url}: {reason}", markup=False, highlight=False)


def _make_progress():
    if is_terminal(sys.stderr):
        return _RichProgress()
    return _PlainProgress(sys.stderr)


# --------------------------------------------------------------------------- one file


def _fetch_to(url: str, final: Path, md5: str, progress, timeout: float = TIMEOUT_S) -> int:
    """Stream ``url`` into ``final`` (``replace_atomic``: a temporary
    ``.part`` file renamed into place once whole); return the byte count.

    Raises MirrorFailed (and leaves nothing behind) when the mirror cannot be
    reached, stays silent for ``timeout`` seconds, the connection drops, the
    body is longer than the file can be, or the content fails its MD5.
    """
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    limit = PUBLISHED_SIZE.get(md5)
    most = limit if limit is not None else MAX_UNKNOWN_SIZE
    received = 0

    def stream(out):
        nonlocal received
        digest = hashlib.md5()
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                length = response.headers.get("Content-Length")
                total = int(length) if length and length.isdigit() else None
                if total is not None and total > most:
                    raise MirrorFailed(f"announces {total:,} bytes, but {final.name} has "
                                       f"{'exactly' if limit is not None else 'at most'} {most:,}")
                progress.start(url, total or limit)
                while True:
                    # read1: whatever has arrived (at most CHUNK), so a stall
                    # mid-chunk still counts the bytes that did come.
                    chunk = response.read1(min(CHUNK, most + 1 - received))
                    if not chunk:
                        break
                    received += len(chunk)
                    if received > most:
                        raise MirrorFailed(f"sent more than the {most:,} bytes of {final.name}; cut off there")
                    out.write(chunk)
                    digest.update(chunk)
                    progress.advance(len(chunk))
        except MirrorFailed:
            raise
        except urllib.error.HTTPError as err:
            raise MirrorFailed(f"HTTP {err.code} {err.reason}") from None
        except urllib.error.URLError as err:
            raise MirrorFailed(f"cannot connect ({err.reason})") from None
        except TimeoutError:
            raise MirrorFailed(f"no data for {timeout:g} s after {received:,} bytes "
                               f"(set {TIMEOUT_ENV} to wait longer)") from None
        except (http.client.HTTPException, OSError) as err:
            raise MirrorFailed(f"connection lost after {received:,} bytes ({type(err).__name__}: {err})") from None
        # http.client returns a short body without complaint when a
        # server closes early, so compare against the announced length.
        if total is not None and received != total:
            raise MirrorFailed(f"connection closed after {received:,} of {total:,} bytes")
        if digest.hexdigest() != md5:
            raise MirrorFailed(f"MD5 mismatch (got {digest.hexdigest()}, expected {md5}); file discarded")

    replace_atomic(final, stream, PART_SUFFIX, stale_in_folder=False)
    return received


def download_file(filename: str, folder: Path, md5: str, mirrors, progress=None, timeout=None) -> Path:
    """Download one file into ``folder`` from the first mirror that delivers it intact.

    Raises DataError listing every mirror's failure when none does.
    """
    folder = Path(folder)
    final = folder / filename
    timeout = download_timeout() if timeout is None else timeout
    failures = []
    with (progress or _make_progress()) as bar:
        for mirror in mirrors:
            url = mirror if mirror.endswith(filename) else mirror.rstrip("/") + "/" + filename
            started = time.perf_counter()
            try:
                nbytes = _fetch_to(url, final, md5, bar, timeout)
            except MirrorFailed as err:
                bar.fail(url, str(err))
                failures.append(f"{url}: {err}")
                continue
            bar.finish(final, nbytes, time.perf_counter() - started)
            return final
    raise DataError(f"could not download {filename}; every mirror failed:\n  " + "\n  ".join(failures))


def download_dataset(name: str, folder, mirrors=None, md5s=None, progress=None, skip_existing=True) -> Path:
    """Download a data set's files into ``folder`` (created if needed), from
    ``NETTRAIN_MIRROR`` and then ``MIRRORS[name]`` (or ``mirrors``).

    Files already present are kept when ``skip_existing`` (the caller checks
    their structure). Returns ``folder``.
    """
    if name not in MIRRORS:
        raise DataError(f"no download mirrors known for {name!r}; known: {', '.join(sorted(MIRRORS))}")
    mirrors = user_mirrors(name) + list(MIRRORS[name] if mirrors is None else mirrors)
    md5s = dict(PUBLISHED_MD5[name] if md5s is None else md5s)
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DataError(f"cannot create the data folder {folder} ({err.strerror or err})") from None
    for filename, md5 in md5s.items():
        if skip_existing and (folder / filename).exists():
            continue
        download_file(filename, folder, md5, mirrors, progress=progress)
    return folder
