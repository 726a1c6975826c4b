"""Optimizer step hooks (PyTorch's register_step_pre_hook / _post_hook) and the
two the trainer registers: L1Penalty (train.l1) and ClipGradNorm (train.grad_clip)."""
import importlib.util

import numpy as np
import pytest

import nettrain as nt
from nettrain import nn, optim
from nettrain.nn.utils import clip_grad_norm_, l1_penalty


def _hook_protocol_events(lib):
    """What the hooks see and when, for ``lib`` = nettrain or torch (same code)."""
    events = []
    p = lib.nn.Parameter(lib.tensor([1.0, -2.0]))
    opt = lib.optim.SGD([p], lr=0.5)

    def pre(optimizer, args, kwargs):
        events.append(("pre", optimizer is opt, args == (opt,), kwargs, p.grad.tolist(), p.tolist()))

    def post(optimizer, args, kwargs):
        events.append(("post", optimizer is opt, args == (opt,), kwargs, p.tolist()))

    handles = [opt.register_step_pre_hook(pre), opt.register_step_post_hook(post)]
    p.grad = lib.tensor([0.25, 0.5])
    opt.step()
    for handle in handles:
        handle.remove()
    opt.step()  # no hook runs
    events.append(("after remove", p.tolist()))
    return events


def test_pre_hooks_see_the_gradients_before_the_update_post_hooks_after_and_remove_unregisters():
    events = _hook_protocol_events(nt)
    assert events == [("pre", True, True, {}, [0.25, 0.5], [1.0, -2.0]),
                      ("post", True, True, {}, [0.875, -2.25]),
                      ("after remove", [0.75, -2.5])]
    if importlib.util.find_spec("torch") is not None:
        import torch

        assert events == _hook_protocol_events(torch)


def test_a_pre_hook_may_replace_the_steps_arguments_and_anything_else_is_an_error():
    p = nn.Parameter(nt.tensor([1.0]))
    opt = optim.SGD([p], lr=1.0)
    p.grad = nt.tensor([1.0])
    calls = []
    handle = opt.register_step_pre_hook(lambda o, args, kwargs: ((o,), {"closure": lambda: calls.append(1) or 7.0}))
    assert opt.step() == 7.0 and calls == [1]
    handle.remove()
    opt.register_step_pre_hook(lambda o, args, kwargs: "not a tuple")
    with pytest.raises(RuntimeError, match="must return None or a tuple of \\(new_args, new_kwargs\\)"):
        opt.step()


def _mlp_steps(hooks=(), penalty=0.0, clip=None, steps=4):
    """A small MLP trained with SGD + momentum for ``steps`` steps on fixed
    data: the weights after, and each step's reported (data) loss."""
    nt.manual_seed(3)
    model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3))
    opt = optim.SGD(model.parameters(), lr=0.3, momentum=0.9)
    for hook in hooks:
        opt.register_step_pre_hook(hook)
    rng = np.random.default_rng(0)
    x = nt.tensor(rng.normal(size=(16, 5)).astype(np.float32))
    y = nt.tensor(rng.integers(0, 3, 16))
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        total = loss + l1_penalty(model.parameters(), penalty) if penalty else loss
        total.backward()
        if clip is not None:
            clip_grad_norm_(model.parameters(), clip)
        opt.step()
        losses.append(loss.item())
    return [p.array.copy() for p in model.parameters()], losses


def test_l1_hook_is_the_update_of_the_penalty_added_to_the_loss_bit_for_bit():
    by_loss, _ = _mlp_steps(penalty=0.05)
    by_hook, _ = _mlp_steps(hooks=[optim.L1Penalty(0.05)])
    for a, b in zip(by_loss, by_hook):
        np.testing.assert_array_equal(a, b)
    plain, _ = _mlp_steps(steps=1)
    first, _ = _mlp_steps(hooks=[optim.L1Penalty(0.05)], steps=1)
    assert not np.array_equal(plain[0], first[0])  # the first step moved the weights differently ...
    np.testing.assert_array_equal(plain[1], first[1])  # ... but not the biases (1-D), as l1_penalty


def test_clip_hook_is_clip_grad_norm_before_the_step_and_l1_registered_first_is_clipped_too():
    by_hand, _ = _mlp_steps(clip=0.1)
    by_hook, _ = _mlp_steps(hooks=[optim.ClipGradNorm(0.1)])
    for a, b in zip(by_hand, by_hook):
        np.testing.assert_array_equal(a, b)
    both_by_hand, _ = _mlp_steps(penalty=0.05, clip=0.1)
    both_by_hook, _ = _mlp_steps(hooks=[optim.L1Penalty(0.05), optim.ClipGradNorm(0.1)])
    for a, b in zip(both_by_hand, both_by_hook):
        np.testing.assert_array_equal(a, b)


def test_the_hooks_check_their_arguments_as_the_functions_they_stand_for():
    with pytest.raises(ValueError, match="Invalid L1 weight: -0.1"):
        optim.L1Penalty(-0.1)
    with pytest.raises(ValueError, match="Invalid max_norm: 0"):
        optim.ClipGradNorm(0)
    assert repr(optim.ClipGradNorm(5)) == "ClipGradNorm(max_norm=5)"


# --------------------------------------------------------------------------- through a config


def _first_steps(*overrides, steps=6):
    """The first ``steps`` optimizer steps of a clusters run: each step's
    reported loss and the weights' displacement in that step."""
    from nettrain.config import load_config
    from nettrain.trainer import build
    from nettrain.trainer.objective import Objective
    from pathlib import Path

    config = Path(__file__).resolve().parents[1] / "configs" / "clusters.yaml"
    cfg = load_config(config, ["optimizer={name: sgd, lr: 1.0}", "scheduler=null", *overrides])
    c = build(cfg)
    objective = Objective(c.loss_name, c.loss_options, c.data.task)
    loader = c.data.loader("train", cfg.data.batch_size, shuffle=True, seed=cfg.seed, device=c.device)
    losses, moves = [], []
    for (xb, yb), _ in zip(loader, range(steps)):
        before = [p.array.copy() for p in c.model.parameters()]
        c.optimizer.zero_grad()
        loss = objective.loss(c.model(nt.as_tensor(xb)), objective.targets(yb))
        loss.backward()
        c.optimizer.step()
        losses.append(loss.item())
        moves.append(np.sqrt(sum(float(((p.array - b) ** 2).sum()) for p, b in zip(c.model.parameters(), before))))
    return losses, moves


def test_train_grad_clip_bounds_every_update_and_train_l1_leaves_the_reported_loss_the_datas():
    plain_losses, plain_moves = _first_steps()
    _, clipped_moves = _first_steps("train.grad_clip=0.01")
    assert max(plain_moves) > 0.05
    assert max(clipped_moves) <= 0.01 * 1.0001  # lr 1: the step is the clipped gradient
    l1_losses, l1_moves = _first_steps("train.l1=0.01")
    assert l1_losses[0] == plain_losses[0]  # same weights, and the penalty is not in the loss shown
    assert l1_moves != plain_moves
