"""A new user's first run: a fresh clone, no network, no NETTRAIN_DATA, an
empty home folder; the README's main command must find the MNIST files the
repository ships in data/mnist/."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from nettrain.data import datasets
from nettrain.data.idx import decompressed_bytes

REPO = Path(__file__).resolve().parents[1]


def test_shipped_mnist_is_the_published_content():
    folder = REPO / "data" / "mnist"
    for filename in datasets.IMAGE_FILES:
        content = decompressed_bytes(folder / filename)
        expected = datasets.IMAGE_DATASETS["mnist"].content_sha256[filename.removesuffix(".gz")]
        assert hashlib.sha256(content).hexdigest() == expected, filename
    readme = (REPO / "data" / "README.md").read_text()
    assert all(sha in readme for sha in datasets.IMAGE_DATASETS["mnist"].content_sha256.values())


def test_shipped_data_is_not_git_ignored():
    ignored = subprocess.run(["git", "check-ignore", "-q", "data/mnist/train-images-idx3-ubyte.gz"],
                             cwd=REPO, capture_output=True)
    assert ignored.returncode == 1, "data/ must be committed, not ignored"


def test_main_command_finds_shipped_mnist_offline_with_an_empty_home(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("NETTRAIN_DATA", "XDG_CACHE_HOME")}
    # Any download attempt goes to a closed local port and fails at once.
    env.update(HOME=str(home), http_proxy="http://127.0.0.1:9", https_proxy="http://127.0.0.1:9")
    process = subprocess.Popen(
        [sys.executable, "-m", "nettrain", "train", "configs/lenet.yaml", "--runs-dir", str(tmp_path / "runs")],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    header = []
    try:
        for line in process.stdout:
            header.append(line)
            if line.startswith("model:"):  # data and model are built: training starts; enough
                break
    finally:
        process.kill()
        err = process.communicate(timeout=60)[1]
    text = "".join(header)
    assert "data: mnist (data/mnist); train 55000, val 5000" in text, text + err
    assert not any(home.iterdir())  # nothing was downloaded or cached
