"""The learning-rate range test: an exponential sweep that stops at divergence and suggests a rate."""
import math

import numpy as np
import pytest

import nettrain as nt
import nettrain.nn.functional as F
from nettrain import nn, optim
from nettrain.lr_finder import lr_find, steepest_descent


def _problem(seed=0):
    """Two Gaussian clouds and a small MLP: a sweep over it is quick and has a clear valley."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(2, 1, (256, 2)), rng.normal(-2, 1, (256, 2))]).astype(np.float32)
    y = np.repeat([0, 1], 256)
    order = rng.permutation(512)
    batches = [(x[order[i:i + 32]], y[order[i:i + 32]]) for i in range(0, 512, 32)]
    nt.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    opt = optim.SGD(model.parameters(), lr=0.1)

    def step(batch):
        loss = F.cross_entropy(model(nt.tensor(batch[0])), nt.tensor(batch[1]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    return step, batches, opt


def test_the_sweep_is_exponential_stops_when_the_loss_diverges_and_suggests_a_working_rate():
    step, batches, opt = _problem()
    result = lr_find(step, batches, opt, start_lr=1e-4, end_lr=1e4, num_steps=200)
    assert result.lrs[0] == pytest.approx(1e-4)
    ratios = np.diff(np.log(result.lrs))
    assert np.allclose(ratios, math.log(1e8) / 199)
    assert result.stopped_early and len(result.lrs) < 200
    assert 1e-3 < result.suggestion < 10
    # The suggested rate trains the problem from scratch.
    step, batches, opt = _problem()
    for group in opt.param_groups:
        group["lr"] = result.suggestion
    losses = [step(b) for _ in range(3) for b in batches]
    assert np.mean(losses[-8:]) < 0.5 * np.mean(losses[:4])


def test_a_gentle_sweep_runs_every_step_and_the_suggestion_is_the_steepest_fall():
    step, batches, opt = _problem()
    result = lr_find(step, batches, opt, start_lr=1e-5, end_lr=1e-2, num_steps=40)
    assert not result.stopped_early and len(result.lrs) == 40
    assert opt.param_groups[0]["lr"] == pytest.approx(1e-2)
    lrs = [1e-3 * 10 ** (i / 10) for i in range(30)]
    losses = [1.0] * 12 + [1.0 - 0.05 * i for i in range(6)] + [0.7 - 0.3 * i for i in range(1, 3)] + [0.1] * 10
    assert steepest_descent(lrs, losses) == lrs[18]  # central differences: the 0.75 -> 0.4 -> 0.1 drop
    assert steepest_descent(lrs[:14], losses[:14]) is None


def test_bad_sweep_bounds_are_refused():
    step, batches, opt = _problem()
    with pytest.raises(ValueError, match="start_lr < end_lr"):
        lr_find(step, batches, opt, start_lr=1.0, end_lr=0.1)
