"""Shared test setup: the ``gpu`` marker, the ``mpiexec`` fixture, seeding, the
real-data folder, and ``run_cli`` (``from conftest import run_cli``)."""
from __future__ import annotations

import importlib.util
import os
import shutil
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
