"""Downloads under faults: the person's own mirror first, a stalled mirror
bounded by a timeout that reports what arrived, a body cut off at the file's
known size, and no temporary file left by a killed download."""
from __future__ import annotations

import hashlib
import http.server
import threading
import time

import pytest

from nettrain.data import download
from nettrain.errors import DataError

CONTENT = bytes(range(256)) * 20  # 5,120 bytes: a small "published" file
MD5 = hashlib.md5(CONTENT).hexdigest()
NAME = "t10k-labels-idx1-ubyte.gz"


class _Handler(http.server.BaseHTTPRequestHandler):
    requests: list = []

    def do_GET(self):  # noqa: N802 - the http.server name
        self.requests.append(self.path)
        mode = self.path.strip("/").split("/")[0]
        self.send_response(200)
        if mode == "stall":  # 1,000 bytes, then silence
            self.send_header("Content-Length", str(len(CONTENT)))
            self.end_headers()
            self.wfile.write(CONTENT[:1000])
            self.wfile.flush()
            time.sleep(3)
            return
        if mode == "endless":  # no length announced, far more than the file
            self.end_headers()
            try:
                for _ in range(2000):  # up to 10 MB
                    self.wfile.write(CONTENT)
            except OSError:
                pass  # the client stopped reading: what we want
            return
        self.send_header("Content-Length", str(len(CONTENT)))
        self.end_headers()
        self.wfile.write(CONTENT)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    handler = type("Handler", (_Handler,), {"requests": []})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", handler.requests
    httpd.shutdown()
    httpd.server_close()


def _contents(folder):
    return sorted(p.name for p in folder.iterdir())


def test_nettrain_mirror_is_tried_before_the_official_mirrors(server, tmp_path, monkeypatch):
    base, requests = server
    monkeypatch.setenv("NETTRAIN_MIRROR", f"{base}/good")
    monkeypatch.setitem(download.MIRRORS, "mnist", [f"{base}/official/"])
    download.download_dataset("mnist", tmp_path, md5s={NAME: MD5})
    assert requests == [f"/good/mnist/{NAME}"]
    assert (tmp_path / NAME).read_bytes() == CONTENT


def test_a_stalled_mirror_times_out_as_set_and_reports_the_bytes_received(server, tmp_path, monkeypatch, capsys):
    base, _ = server
    monkeypatch.setenv("NETTRAIN_DOWNLOAD_TIMEOUT", "0.5")
    folder = download.download_dataset("mnist", tmp_path, mirrors=[f"{base}/stall/", f"{base}/good/"], md5s={NAME: MD5})
    assert "no data for 0.5 s after 1,000 bytes" in capsys.readouterr().err  # the setting, not 30 s
    assert _contents(folder) == [NAME]


def test_a_bad_timeout_setting_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("NETTRAIN_DOWNLOAD_TIMEOUT", "soon")
    with pytest.raises(DataError, match="NETTRAIN_DOWNLOAD_TIMEOUT='soon': expected a number of seconds"):
        download.download_dataset("mnist", tmp_path, mirrors=["http://127.0.0.1:9/"], md5s={NAME: MD5})


def test_a_body_longer_than_the_known_size_is_cut_off_there(server, tmp_path, monkeypatch):
    base, _ = server
    monkeypatch.setitem(download.PUBLISHED_SIZE, MD5, len(CONTENT))
    with pytest.raises(DataError, match=f"sent more than the {len(CONTENT):,} bytes"):
        download.download_dataset("mnist", tmp_path, mirrors=[f"{base}/endless/"], md5s={NAME: MD5})
    assert _contents(tmp_path) == []


def test_the_published_sizes_cover_every_published_file():
    published = {md5 for files in download.PUBLISHED_MD5.values() for md5 in files.values()}
    assert published == set(download.PUBLISHED_SIZE)


def test_a_killed_downloads_part_file_is_removed_by_the_next_download(server, tmp_path):
    base, _ = server
    old_style = tmp_path / f".{NAME}.k3j_x8q2.part"       # before part names carried a pid
    dead = tmp_path / f".{NAME}.999999999.ab12cd.part"      # a pid no process has
    live = tmp_path / f".{NAME}.1.ab12cd.part"              # pid 1 is always running
    for path in (old_style, dead, live):
        path.write_bytes(b"partial")
    download.download_dataset("mnist", tmp_path, mirrors=[f"{base}/good/"], md5s={NAME: MD5})
    assert _contents(tmp_path) == sorted([NAME, live.name])
