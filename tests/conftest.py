"""Shared test setup: the ``gpu`` marker, the ``mpiexec`` fixture, seeding, the
real-data folder, ``run_cli`` (``from conftest import run_cli``), a command on
a terminal (``cli_on_terminal``) or without an extra (``cli_without``), and the
fake MNIST files
(``fake_mnist_files`` / the ``fake_mnist`` fixture)."""
from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import nettrain

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def pytest_collection_modifyitems(config, items):
    if nettrain.cuda_is_available():
        return
    skip = pytest.mark.skip(reason="needs CuPy and an NVIDIA GPU")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def mpiexec() -> str:
    """The MPI launcher next to this Python (the ``mpi`` extra puts it in the
    venv) or on PATH, with mpi4py importable; else a skip. Tests that use it
    are marked ``mpi``."""
    path = shutil.which("mpiexec", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    if path is None or importlib.util.find_spec("mpi4py") is None:
        pytest.skip('needs mpi4py and mpiexec: pip install -e ".[mpi]"')
    return path


@pytest.fixture(autouse=True)
def _seeded():
    nettrain.manual_seed(0)
    yield


@pytest.fixture
def real_data_root(monkeypatch):
    """NETTRAIN_DATA pointing at the real MNIST / Fashion-MNIST, or a skip."""
    root = os.environ.get("NETTRAIN_DATA") or (str(SHARED_DATA) if SHARED_DATA.is_dir() else None)
    if not root or not (Path(root) / "mnist").is_dir():
        pytest.skip("real MNIST not found (set NETTRAIN_DATA or provide ../shared/data)")
    monkeypatch.setenv("NETTRAIN_DATA", root)
    return Path(root)


def run_cli(args, capsys):
    """Run ``nettrain ARGS`` in-process; returns (exit code, stdout, stderr)."""
    from nettrain.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


FAKE_MNIST_TRAIN, FAKE_MNIST_TEST = 40, 12


def fake_mnist_files(n_train: int = FAKE_MNIST_TRAIN, n_test: int = FAKE_MNIST_TEST, seed: int = 0) -> dict:
    """The four gzip IDX files of a small MNIST-like set under their standard
    names (random pixels, labels 0..9 in turn): file name -> bytes."""
    import gzip

    import numpy as np

    from nettrain.data import datasets
    from nettrain.data.idx import encode_idx

    rng = np.random.default_rng(seed)
    arrays = {
        datasets.TRAIN_IMAGES: rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        datasets.TRAIN_LABELS: (np.arange(n_train) % 10).astype(np.uint8),
        datasets.TEST_IMAGES: rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        datasets.TEST_LABELS: (np.arange(n_test) % 10).astype(np.uint8),
    }
    return {name: gzip.compress(encode_idx(a), mtime=0) for name, a in arrays.items()}


def write_files(folder: Path, files: dict) -> Path:
    """``files`` (name -> bytes) into ``folder`` (created); returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return folder


@pytest.fixture
def fake_mnist():
    """``fake_mnist(folder, n_train=40, n_test=12, seed=0)``: a small MNIST-like
    set's files (``fake_mnist_files``) written into ``folder``, e.g.
    ``<root>/mnist`` or ``<root>/fashion-mnist``; returns the folder."""
    return lambda folder, **sizes: write_files(folder, fake_mnist_files(**sizes))


def run_cli_joined(args, capsys):
    """``run_cli``, with stderr's lines joined by single spaces (rich wraps
    long messages at the console's width): for matching words in a message."""
    code, out, err = run_cli(args, capsys)
    return code, out, " ".join(err.split())


def cli_process(args, **kwargs) -> subprocess.Popen:
    """``nettrain ARGS`` in a child process (for signals and kills), text pipes."""
    return subprocess.Popen([sys.executable, "-c", "from nettrain.cli import main; main()", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def cli_without(modules, args, **kwargs) -> subprocess.CompletedProcess:
    """``nettrain ARGS`` in a child process where importing any of ``modules``
    fails as it does when the package is not installed (an extra left out),
    however the tests' own environment is set up. Text output, captured."""
    blocked = "".join(f"sys.modules[{name!r}] = None; " for name in modules)
    return subprocess.run([sys.executable, "-c", f"import sys; {blocked}from nettrain.cli import main; main()",
                           *map(str, args)], capture_output=True, text=True, **kwargs)


def cli_on_terminal(args, columns: int = 80, **kwargs) -> tuple[int, str]:
    """``nettrain ARGS`` in a child process whose stdout and stderr are a
    terminal ``columns`` wide: (exit status, the screen's lines as a person
    would read them, ``terminal_screen``)."""
    import pty

    # The nettrain these tests import, from whatever folder (cwd=) the command runs in.
    package_parent = str(Path(nettrain.__file__).resolve().parents[1])
    env = {**os.environ, "COLUMNS": str(columns), "TERM": "xterm", **kwargs.pop("env", {}),
           "PYTHONPATH": os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH")]))}
    env.pop("NO_COLOR", None)
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", "from nettrain.cli import main; main()", *map(str, args)],
                            stdin=follower, stdout=follower, stderr=follower, env=env, **kwargs)
    os.close(follower)
    written = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child has closed the terminal
            break
        if not chunk:
            break
        written += chunk
    os.close(leader)
    return proc.wait(timeout=300), terminal_screen(written.decode(errors="replace"))


def terminal_screen(written: str) -> str:
    """The lines a terminal shows for what a program wrote to it: a carriage
    return goes back to the line's start, ESC[1A up a line, ESC[2K erases the
    line (how rich's progress bar rewrites and removes itself); colours and
    other escape codes are dropped."""
    lines, row, column = [""], 0, 0
    for token in re.findall(r"\x1b\[[0-9;?]*[A-Za-z]|\r\n|\n|\r|[^\x1b\r\n]+", written):
        if token in ("\r\n", "\n"):
            row, column = row + 1, 0
            lines += [""] * (row + 1 - len(lines))
        elif token == "\r":
            column = 0
        elif token == "\x1b[1A":
            row = max(row - 1, 0)
        elif token == "\x1b[2K":
            lines[row] = ""
        elif not token.startswith("\x1b"):
            lines[row] = lines[row][:column].ljust(column) + token + lines[row][column + len(token):]
            column += len(token)
    return "\n".join(lines)


def only_run(runs_dir: Path) -> Path:
    """The one run folder in ``runs_dir`` (fails the test if there are more or none)."""
    runs = [p for p in Path(runs_dir).iterdir() if p.is_dir()]
    assert len(runs) == 1, runs
    return runs[0]


def read_metrics(run: Path) -> list[dict]:
    """Every record of ``run``'s metrics.jsonl, in order."""
    return [json.loads(line) for line in (Path(run) / "metrics.jsonl").read_text().splitlines()]


def without_timing(records: list[dict]) -> list[dict]:
    """The records without their ``seconds`` (the one figure two equal runs may differ in)."""
    return [{k: v for k, v in r.items() if k != "seconds"} for r in records]


@pytest.fixture
def cli(capsys):
    """``cli(args)`` runs ``nettrain ARGS`` in-process: (exit code, stdout, stderr).
    A fixture, so a test needs no import from conftest (tests/tutorials has its own)."""
    return lambda args: run_cli(args, capsys)


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory):
    """A finished one-epoch run of configs/clusters.yaml (made once per session).
    Tests copy its files rather than change them."""
    from nettrain.cli import main

    runs = tmp_path_factory.mktemp("trained")
    with pytest.raises(SystemExit) as exit_info:
        main(["train", str(Path(__file__).resolve().parents[1] / "configs" / "clusters.yaml"),
              "--runs-dir", str(runs), "--epochs", "1"])
    assert exit_info.value.code in (0, None)
    return next(p for p in runs.iterdir() if p.is_dir())


@pytest.fixture
def no_downloads(monkeypatch, tmp_path):
    """Data roots that hold nothing, a download that fails the test if tried,
    and the working directory in tmp_path (check it stays empty)."""
    from nettrain.data import download

    def refuse(*args, **kwargs):
        raise AssertionError("tried to download")

    monkeypatch.setattr(download, "download_dataset", refuse)
    monkeypatch.setattr(download, "download_file", refuse)
    monkeypatch.setenv("NETTRAIN_DATA", str(tmp_path / "empty-root"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    monkeypatch.chdir(tmp_path)


def _real_root():
    root = os.environ.get("NETTRAIN_DATA") or (str(SHARED_DATA) if SHARED_DATA.is_dir() else None)
    return Path(root) if root and (Path(root) / "mnist").is_dir() else None


def _trained_checkpoint(config_name: str, steps: int, folder: Path) -> Path:
    """A real checkpoint of a shipped config's model after ``steps`` training
    steps on the real data (a full epoch would make the suite slow), written
    by the Trainer itself. Skips without the real data."""
    from nettrain.config import load_config
    from nettrain.trainer import Objective, Run, Trainer, build

    root = _real_root()
    if root is None:
        pytest.skip("real MNIST not found (set NETTRAIN_DATA or provide ../shared/data)")
    repo = Path(__file__).resolve().parents[1]
    config = load_config(repo / "configs" / config_name, [f"data.root={root}"]).to_dict()
    components = build(config)
    run = Run(folder)
    trainer = Trainer(config, components, run, report=None)
    objective = Objective(components.loss_name, components.loss_options, components.data.task)
    model, optimizer = components.model, components.optimizer
    model.train()
    for _, (xb, yb) in zip(range(steps), trainer.loader):
        loss = objective.loss(model(nettrain.from_numpy(xb)), nettrain.from_numpy(yb))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        trainer.progress.add(loss.item() * len(yb), len(yb))  # a mid-epoch checkpoint's running sums
    trainer.step = steps
    (run.dir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    trainer.save(run.last)
    return run.last


@pytest.fixture(scope="session")
def lenet_checkpoint(tmp_path_factory):
    """configs/lenet.yaml's LeNet after 300 steps on real MNIST (about 95 % test accuracy)."""
    return _trained_checkpoint("lenet.yaml", 300, tmp_path_factory.mktemp("lenet-run"))


@pytest.fixture(scope="session")
def fashion_checkpoint(tmp_path_factory):
    """configs/lenet-fashion.yaml's LeNet after 100 steps on real Fashion-MNIST."""
    return _trained_checkpoint("lenet-fashion.yaml", 100, tmp_path_factory.mktemp("fashion-run"))
