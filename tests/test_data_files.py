"""Finding and downloading MNIST-style files: root lookup order, the loopback
download server (good, bad-checksum, unreachable and dropping mirrors), the
offline message, and the `nettrain data` commands on small generated files."""
import gzip
import hashlib
import http.server
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

from conftest import FAKE_MNIST_TEST, FAKE_MNIST_TRAIN, fake_mnist_files, write_files
from nettrain.data import MNIST, FashionMNIST, build_data, datasets, download
from nettrain.errors import DataError

FILES = datasets.IMAGE_FILES
N_TRAIN, N_TEST = FAKE_MNIST_TRAIN, FAKE_MNIST_TEST


@pytest.fixture
def isolated_roots(tmp_path, monkeypatch):
    """No NETTRAIN_DATA, a private cache and system folder, an empty working
    directory (so no ./data): only what a test puts there exists."""
    monkeypatch.delenv("NETTRAIN_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setattr(datasets, "SYSTEM_DATA_ROOT", tmp_path / "usr-share-datasets")
    return tmp_path


# --------------------------------------------------------------------------- root lookup


def test_lookup_order_env_then_working_dir_then_cache_then_system(isolated_roots, monkeypatch):
    files = fake_mnist_files()
    env_root = isolated_roots / "env-root"
    cache, system = isolated_roots / "xdg-cache" / "nettrain", isolated_roots / "usr-share-datasets"
    monkeypatch.setenv("NETTRAIN_DATA", str(env_root))

    write_files(system / "fashion-mnist", files)
    assert datasets.find_dataset("fashion-mnist") == (system / "fashion-mnist", "system folder")
    write_files(cache / "fashion-mnist", files)
    assert datasets.find_dataset("fashion-mnist") == (cache / "fashion-mnist", "user cache")
    write_files(isolated_roots / "data" / "fashion-mnist", files)  # ./data: the working directory's
    assert datasets.find_dataset("fashion-mnist") == (Path("data") / "fashion-mnist", "./data in the working directory")
    write_files(env_root / "fashion-mnist", files)
    assert datasets.find_dataset("fashion-mnist") == (env_root / "fashion-mnist", "NETTRAIN_DATA")


def test_a_named_root_is_the_only_place_looked_in(isolated_roots, monkeypatch):
    # The data is everywhere else; a root the user names that lacks it is an error, not a fallback.
    files = fake_mnist_files()
    monkeypatch.setenv("NETTRAIN_DATA", str(write_files(isolated_roots / "env" / "mnist", files).parent))
    write_files(isolated_roots / "xdg-cache" / "nettrain" / "mnist", files)
    write_files(isolated_roots / "data" / "mnist", files)
    named = isolated_roots / "typo"
    assert datasets.find_dataset("mnist", named) is None
    with pytest.raises(DataError) as err:
        build_data("mnist", root=str(named), download=False, seed=0)
    message = str(err.value)
    assert f"not found in {named / 'mnist'}/ (data.root" in message
    assert str(isolated_roots / "env") not in message and "xdg-cache" not in message
    assert not named.exists()  # looking creates nothing
    write_files(named / "mnist", files)
    assert datasets.find_dataset("mnist", named) == (named / "mnist", "data.root")


def test_cache_defaults_to_home_dot_cache_without_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert datasets.cache_root() == tmp_path / ".cache" / "nettrain"


def test_a_folder_missing_one_file_is_skipped(isolated_roots, monkeypatch):
    files = fake_mnist_files()
    partial = dict(files)
    del partial[datasets.TEST_LABELS]
    write_files(isolated_roots / "env" / "mnist", partial)
    write_files(isolated_roots / "xdg-cache" / "nettrain" / "mnist", files)
    monkeypatch.setenv("NETTRAIN_DATA", str(isolated_roots / "env"))
    assert datasets.find_dataset("mnist")[1] == "user cache"


def test_mnist_class_loads_from_root(isolated_roots):
    write_files(isolated_roots / "root" / "mnist", fake_mnist_files())
    train = MNIST(root=isolated_roots / "root", train=True, download=False)
    test = MNIST(root=isolated_roots / "root", train=False, download=False)
    assert len(train) == N_TRAIN and len(test) == N_TEST
    assert train.data.dtype == np.uint8 and train.data.shape == (N_TRAIN, 28, 28)
    assert train.targets.dtype == np.int64
    image, label = train[3]
    assert image.shape == (28, 28) and label == 3


def test_offline_without_download_names_every_place_and_the_fixes(isolated_roots):
    with pytest.raises(DataError) as err:
        FashionMNIST(download=False)
    message = str(err.value)
    for place in (Path("data") / "fashion-mnist",
                  isolated_roots / "xdg-cache" / "nettrain" / "fashion-mnist",
                  isolated_roots / "usr-share-datasets" / "fashion-mnist"):
        assert f"  {place}/  (" in message
    assert "NETTRAIN_DATA" in message
    assert "nettrain data download fashion-mnist" in message
    assert all(name in message for name in FILES)
    assert _leftovers(isolated_roots) == ["usr-share-datasets"] or _leftovers(isolated_roots) == []


def test_a_mistyped_nettrain_data_is_named_and_never_created(isolated_roots, monkeypatch, unreachable_mirror):
    monkeypatch.setitem(download.MIRRORS, "mnist", [unreachable_mirror])
    monkeypatch.setenv("NETTRAIN_DATA", str(isolated_roots / "no-such-folder"))
    with pytest.raises(DataError) as err:
        build_data("mnist", seed=0)
    assert f"(NETTRAIN_DATA; {isolated_roots / 'no-such-folder'} does not exist)" in str(err.value)
    # The download was tried in the user cache (NETTRAIN_DATA does not exist) and left no folder behind.
    assert _leftovers(isolated_roots) == []


def test_a_corrupt_local_file_is_reported_not_skipped(isolated_roots):
    files = fake_mnist_files()
    files[datasets.TRAIN_IMAGES] = files[datasets.TRAIN_IMAGES][:200]
    folder = write_files(isolated_roots / "root" / "mnist", files)
    with pytest.raises(DataError, match="truncated") as err:
        build_data("mnist", root=str(isolated_roots / "root"), seed=0)
    assert str(folder / datasets.TRAIN_IMAGES) in str(err.value)


def test_recompressed_local_files_are_accepted(isolated_roots):
    # Local files are checked by structure, not by the mirrors' .gz MD5.
    files = {name: gzip.compress(gzip.decompress(c), compresslevel=1) for name, c in fake_mnist_files().items()}
    write_files(isolated_roots / "root" / "mnist", files)
    bundle = build_data("mnist", root=str(isolated_roots / "root"), download=False, seed=0)
    assert bundle.train[0].shape == (N_TRAIN, 1, 28, 28)


# --------------------------------------------------------------------------- the loopback server


class _Handler(http.server.BaseHTTPRequestHandler):
    files: dict = {}

    def do_GET(self):  # noqa: N802 - the http.server name
        mode, _, name = self.path.strip("/").partition("/")
        content = self.files.get(name)
        if content is None:
            self.send_error(404)
            return
        if mode == "bad":  # same length, one byte changed: only the MD5 can tell
            content = bytes([content[0] ^ 0xFF]) + content[1:]
        self.send_response(200)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if mode == "drop":  # half the file, then the connection closes
            self.wfile.write(content[: len(content) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(content)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    """An HTTP server on 127.0.0.1 serving the fake files under /good/, /bad/ and /drop/."""
    files = fake_mnist_files()
    handler = type("Handler", (_Handler,), {"files": files})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield base, files, {name: hashlib.md5(c).hexdigest() for name, c in files.items()}
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def unreachable_mirror():
    """A URL on a loopback port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def _leftovers(folder: Path):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_succeeds_with_progress_and_verified_files(server, isolated_roots, monkeypatch, capsys):
    base, files, md5s = server
    monkeypatch.setitem(download.MIRRORS, "mnist", [f"{base}/good/"])
    monkeypatch.setitem(download.PUBLISHED_MD5, "mnist", md5s)
    bundle = build_data("mnist", root=str(isolated_roots / "root"), seed=0)

    folder = isolated_roots / "root" / "mnist"
    assert _leftovers(folder) == sorted(FILES)
    assert all((folder / name).read_bytes() == files[name] for name in FILES)
    assert bundle.train[0].shape == (N_TRAIN, 1, 28, 28) and bundle.test[1].shape == (N_TEST,)
    progress = capsys.readouterr().err
    for name in FILES:
        assert f"downloading {base}/good/{name}" in progress
        assert f"saved {folder / name}" in progress


def test_bad_checksum_mirror_falls_back_to_good_one(server, isolated_roots, capsys):
    base, files, md5s = server
    folder = download.download_dataset("mnist", isolated_roots / "d", mirrors=[f"{base}/bad/", f"{base}/good/"], md5s=md5s)
    assert _leftovers(folder) == sorted(FILES)
    assert (folder / datasets.TRAIN_IMAGES).read_bytes() == files[datasets.TRAIN_IMAGES]
    assert "MD5 mismatch" in capsys.readouterr().err


def test_unreachable_mirror_falls_back_to_good_one(server, isolated_roots, unreachable_mirror, capsys):
    base, files, md5s = server
    folder = download.download_dataset("mnist", isolated_roots / "d", mirrors=[unreachable_mirror, f"{base}/good/"], md5s=md5s)
    assert _leftovers(folder) == sorted(FILES)
    assert "cannot connect" in capsys.readouterr().err


def test_dropped_connection_leaves_no_partial_file(server, isolated_roots):
    base, files, md5s = server
    with pytest.raises(DataError, match="connection closed after"):
        download.download_dataset("mnist", isolated_roots / "d", mirrors=[f"{base}/drop/"], md5s=md5s)
    assert _leftovers(isolated_roots / "d") == []


def test_only_bad_mirrors_leave_nothing_and_list_each_failure(server, isolated_roots, unreachable_mirror):
    base, files, md5s = server
    with pytest.raises(DataError) as err:
        download.download_dataset("mnist", isolated_roots / "d", mirrors=[f"{base}/bad/", unreachable_mirror], md5s=md5s)
    assert "MD5 mismatch" in str(err.value) and "cannot connect" in str(err.value)
    assert _leftovers(isolated_roots / "d") == []


def test_missing_file_on_a_mirror_is_an_http_error(server, isolated_roots):
    base, files, md5s = server
    with pytest.raises(DataError, match="HTTP 404"):
        download.download_file("no-such-file.gz", isolated_roots, "0" * 32, [f"{base}/good/"])


def test_offline_download_error_says_where_it_looked_and_how_to_fix(isolated_roots, monkeypatch, unreachable_mirror):
    monkeypatch.setitem(download.MIRRORS, "fashion-mnist", [unreachable_mirror])
    (isolated_roots / "env").mkdir()
    monkeypatch.setenv("NETTRAIN_DATA", str(isolated_roots / "env"))
    with pytest.raises(DataError) as err:
        build_data("fashion-mnist", seed=0)
    message = str(err.value)
    assert str(isolated_roots / "env" / "fashion-mnist") in message
    assert "Download failed: could not download" in message
    assert "nettrain data download fashion-mnist" in message and "copy" in message
    # The per-mirror failures were printed while downloading; the message does not repeat them.
    assert "cannot connect" not in message
    # The download went to NETTRAIN_DATA (first writable place) and left nothing there, not even the folder.
    assert _leftovers(isolated_roots / "env") == []


def test_a_failed_download_into_a_named_root_leaves_no_folder(isolated_roots, monkeypatch, unreachable_mirror):
    monkeypatch.setitem(download.MIRRORS, "fashion-mnist", [unreachable_mirror])
    with pytest.raises(DataError, match="a named root is the only place"):
        build_data("fashion-mnist", root=str(isolated_roots / "new" / "root"), seed=0)
    assert not (isolated_roots / "new").exists()
    assert not (isolated_roots / "xdg-cache").exists()


def test_download_destination_defaults_to_user_cache_and_creates_nothing(isolated_roots):
    assert datasets.download_destination("mnist") == isolated_roots / "xdg-cache" / "nettrain" / "mnist"
    assert not (isolated_roots / "xdg-cache").exists()


# --------------------------------------------------------------------------- the commands on generated files


def _run_cli(args, capsys):
    import nettrain.cli.data  # noqa: F401 - registers the `data` sub-app
    from nettrain.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(args)
    out = capsys.readouterr()
    return exit_info.value.code, out.out, out.err


def test_cli_download_puts_files_under_root(server, isolated_roots, monkeypatch, capsys):
    base, files, md5s = server
    monkeypatch.setitem(download.MIRRORS, "mnist", [f"{base}/bad/", f"{base}/good/"])
    monkeypatch.setitem(download.PUBLISHED_MD5, "mnist", md5s)
    code, out, err = _run_cli(["data", "download", "mnist", "--root", str(isolated_roots / "r")], capsys)
    assert code == 0, err
    assert _leftovers(isolated_roots / "r" / "mnist") == sorted(FILES)
    assert "pass the structure check" in out


def test_cli_info_prints_counts_of_local_files(isolated_roots, capsys):
    write_files(isolated_roots / "r" / "mnist", fake_mnist_files())
    code, out, err = _run_cli(["data", "info", "mnist", "--root", str(isolated_roots / "r")], capsys)
    assert code == 0, err
    assert "(--root)" in out  # where it was found: the option the user gave
    assert f"{N_TRAIN:,}" in out and f"{N_TEST:,}" in out


def test_cli_verify_fails_on_content_that_is_not_the_published_data(isolated_roots):
    from typer.testing import CliRunner

    import nettrain.cli.data  # noqa: F401 - registers the `data` sub-app
    from nettrain.cli.common import app

    write_files(isolated_roots / "r" / "mnist", fake_mnist_files())
    result = CliRunner().invoke(app, ["data", "verify", "mnist", "--root", str(isolated_roots / "r")])
    assert result.exit_code == 1
    assert "FAIL" in result.output and "4 check(s) failed" in result.output


@pytest.mark.parametrize("command", ["info", "verify"])
def test_cli_info_and_verify_of_missing_data_is_one_error_with_exit_2(isolated_roots, capsys, command):
    code, out, err = _run_cli(["data", command, "fashion-mnist"], capsys)
    assert code == 2
    assert "fashion-mnist data not found" in err and "Traceback" not in err
    # They never download, but the user never set data.download: do not blame it.
    assert "data.download" not in err
    assert f"nettrain data {command}` reads local files only" in err
    assert "nettrain data download fashion-mnist" in err


def test_cli_download_offline_gives_the_remedy_once(isolated_roots, monkeypatch, unreachable_mirror, capsys):
    monkeypatch.setitem(download.MIRRORS, "mnist", [unreachable_mirror])
    code, out, err = _run_cli(["data", "download", "mnist"], capsys)
    assert code == 2 and "Traceback" not in err
    assert "set NETTRAIN_DATA" in err and "copy" in err
    assert err.count("cannot connect") == 1  # shown as it happened, not repeated in the message
    assert _leftovers(isolated_roots) == []


def test_cli_download_of_data_already_found_downloads_nothing(isolated_roots, capsys):
    write_files(isolated_roots / "data" / "mnist", fake_mnist_files())
    code, out, err = _run_cli(["data", "download", "mnist"], capsys)
    assert code == 0, err
    assert "already in data/mnist (./data in the working directory)" in out


def test_cli_unknown_name_lists_valid_names(capsys):
    code, out, err = _run_cli(["data", "info", "cifar10"], capsys)
    assert code == 2
    assert "mnist" in err and "clusters3" in err


@pytest.mark.parametrize("command", ["info", "verify"])
def test_cli_info_and_verify_print_plain_tables_in_a_pipe(command, isolated_roots, capsys):
    """Like eval's and runs' tables: no box drawing, and no cell wrapped onto
    a second line at 80 columns (verify once split "(60000, 28, 28)")."""
    write_files(isolated_roots / "r" / "mnist", fake_mnist_files())
    code, out, err = _run_cli(["data", command, "mnist", "--root", str(isolated_roots / "r")], capsys)
    assert code == (0 if command == "info" else 1), err
    assert not set(out) & set("┏┃━│┡└─"), out
    rows = [line for line in out.splitlines() if line.startswith(("train", "t10k", "test", "file", "split"))]
    assert rows and all(len(line) <= 80 for line in rows), rows
    if command == "verify":
        assert f"train-images-idx3-ubyte.gz  ok ({N_TRAIN}, 28, 28)  FAIL" in out
    else:
        assert f"train  {N_TRAIN:>7,}" in out
