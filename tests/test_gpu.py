"""The GPU path (CuPy): skipped without CuPy and an NVIDIA GPU (see conftest)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import nettrain as nt
from nettrain.gradcheck import load_all_cases, run_case

pytestmark = pytest.mark.gpu
CONFIGS = Path(__file__).resolve().parents[1] / "configs"


@pytest.mark.parametrize("name", sorted(load_all_cases()))
def test_gradcheck_case_on_gpu(name):
    shapes, result = run_case(load_all_cases()[name], seed=0, device="cuda")
    assert result.passed, f"{name} {shapes}: {result.describe()}"


def test_lenet_step_matches_between_numpy_and_cupy():
    from nettrain.models import LeNet
    from nettrain.nn import functional as F

    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 8)
    results = {}
    for device in ("cpu", "cuda"):
        nt.manual_seed(0)
        model = LeNet().to(device)
        loss = F.cross_entropy(model(nt.tensor(x, device=device)), nt.tensor(y, device=device))
        loss.backward()
        results[device] = (loss.item(), {k: p.grad.cpu().numpy() for k, p in model.named_parameters()})
    assert results["cpu"][0] == pytest.approx(results["cuda"][0], rel=1e-5)
    for key, grad in results["cpu"][1].items():
        np.testing.assert_allclose(grad, results["cuda"][1][key], rtol=1e-3, atol=1e-5, err_msg=key)


def test_tensor_to_cuda_and_back():
    t = nt.randn(3, 4, requires_grad=True)
    g = t.to("cuda")
    assert g.device == "cuda:0"
    (g * 2).sum().backward()
    assert t.grad.device == "cpu"
    np.testing.assert_array_equal(t.grad.numpy(), np.full((3, 4), 2.0))


def test_train_on_gpu_then_eval_on_cpu(tmp_path, capsys):
    from nettrain.cli import main

    with pytest.raises(SystemExit) as info:
        main(["train", str(CONFIGS / "clusters.yaml"), "--device", "cuda", "--runs-dir", str(tmp_path), "--epochs", "2"])
    assert info.value.code == 0
    checkpoint = next(tmp_path.glob("*/checkpoints/last.npz"))
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        main(["eval", "--checkpoint", str(checkpoint), "--device", "cpu", "--json"])
    assert info.value.code == 0
    assert json.loads(capsys.readouterr().out)["acc"] >= 0.99



def test_resumed_gpu_run_is_bit_identical_to_an_uninterrupted_one(tmp_path, capsys):
    """Dropout masks drawn on the GPU continue where the checkpoint left the
    GPU's stream (they used to restart from the seed on resume)."""
    from conftest import run_cli
    from nettrain.checkpoint import read_checkpoint

    def only_run(root):
        (run,) = [p for p in root.iterdir() if p.is_dir()]
        return run

    common = ["--device", "cuda", "--set", "model.dropout=0.3"]
    straight, split = tmp_path / "straight", tmp_path / "split"
    assert run_cli(["train", CONFIGS / "clusters3.yaml", "--runs-dir", straight, "--epochs", 4, *common], capsys)[0] == 0
    assert run_cli(["train", CONFIGS / "clusters3.yaml", "--runs-dir", split, "--epochs", 2, *common], capsys)[0] == 0
    run = only_run(split)
    code, _, err = run_cli(["train", run / "config.yaml", "--resume", run / "checkpoints" / "last.npz", "--epochs", 4,
                            "--device", "cuda"], capsys)
    assert code == 0, err
    a = read_checkpoint(only_run(straight) / "checkpoints" / "last.npz")["model"]
    b = read_checkpoint(run / "checkpoints" / "last.npz")["model"]
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(np.asarray(a[key]), np.asarray(b[key]), err_msg=key)


def test_randperm_on_the_gpu_stays_on_the_gpu():
    p = nt.randperm(10, device="cuda")
    assert p.device == "cuda:0" and p.dtype == nt.int64
    assert sorted(p.cpu().tolist()) == list(range(10))
