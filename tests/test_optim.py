"""Optimizers: the first steps against formulas worked by hand, PyTorch where
installed, param groups, validation and state dicts."""
import math
import subprocess
import sys

import numpy as np
import pytest

import nettrain as nt
from nettrain import nn, optim
from nettrain.serialization import load, save

W0 = np.array([1.0, -2.0, 0.5])
GRADS = [np.array([0.1, -0.2, 0.3]), np.array([0.4, 0.0, -0.1]), np.array([-0.3, 0.2, 0.2])]


def run(make_optimizer, grads=GRADS):
    """Parameters after one optimizer step per gradient in ``grads`` (float64)."""
    p = nn.Parameter(nt.tensor(W0, dtype=nt.float64))
    opt = make_optimizer([p])
    history = []
    for g in grads:
        p.grad = nt.tensor(g, dtype=nt.float64)
        opt.step()
        history.append(p.array.copy())
    return history


def close(ours, expected):
    ours, expected = list(ours), list(expected)
    assert len(ours) == len(expected), f"{len(ours)} steps against {len(expected)}"  # zip would stop early
    for step, (a, b) in enumerate(zip(ours, expected)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15, err_msg=f"step {step + 1}")


# --------------------------------------------------------------------------- SGD by hand


def test_sgd_plain_step_is_w_minus_lr_g():
    g1, g2 = GRADS[:2]
    close(run(lambda p: optim.SGD(p, lr=0.1), GRADS[:2]), [W0 - 0.1 * g1, W0 - 0.1 * g1 - 0.1 * g2])


def test_sgd_momentum_buffer_starts_at_the_first_gradient():
    g1, g2, g3 = GRADS
    b1 = g1
    b2 = 0.9 * b1 + g2
    b3 = 0.9 * b2 + g3
    w1 = W0 - 0.1 * b1
    w2 = w1 - 0.1 * b2
    close(run(lambda p: optim.SGD(p, lr=0.1, momentum=0.9)), [w1, w2, w2 - 0.1 * b3])


def test_sgd_dampening_scales_new_gradients_after_the_first_step():
    g1, g2 = GRADS[:2]
    b1 = g1  # PyTorch: no dampening on the first step
    b2 = 0.9 * b1 + (1 - 0.5) * g2
    w1 = W0 - 0.1 * b1
    close(run(lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.5), GRADS[:2]), [w1, w1 - 0.1 * b2])


def test_sgd_nesterov_looks_ahead_along_the_buffer():
    g1, g2 = GRADS[:2]
    b1 = g1
    w1 = W0 - 0.1 * (g1 + 0.9 * b1)
    b2 = 0.9 * b1 + g2
    w2 = w1 - 0.1 * (g2 + 0.9 * b2)
    close(run(lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True), GRADS[:2]), [w1, w2])


def test_sgd_weight_decay_adds_l2_gradient():
    g1, g2 = GRADS[:2]
    w1 = W0 - 0.1 * (g1 + 0.01 * W0)
    w2 = w1 - 0.1 * (g2 + 0.01 * w1)
    close(run(lambda p: optim.SGD(p, lr=0.1, weight_decay=0.01), GRADS[:2]), [w1, w2])


# --------------------------------------------------------------------------- Adam by hand


def _adam_by_hand(lr, b1, b2, eps, wd=0.0, amsgrad=False, decoupled=False):
    w, m, v, vmax, out = W0.copy(), 0.0, 0.0, 0.0, []
    for t, g in enumerate(GRADS, start=1):
        if decoupled:
            w = w * (1 - lr * wd)
        else:
            g = g + wd * w
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vmax = np.maximum(vmax, v)
        m_hat = m / (1 - b1 ** t)
        v_hat = (vmax if amsgrad else v) / (1 - b2 ** t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(w)
    return out


def _adam_close(ours, expected):
    # same formula, different order of operations: equal to rounding
    for a, b in zip(ours, expected):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_adam_first_step_moves_each_weight_by_about_lr():
    (w1, *_) = run(lambda p: optim.Adam(p, lr=0.01))
    np.testing.assert_allclose(W0 - w1, 0.01 * np.sign(GRADS[0]), rtol=1e-6)


def test_adam_matches_the_bias_corrected_formulas():
    _adam_close(run(lambda p: optim.Adam(p, lr=0.01, betas=(0.8, 0.9), eps=1e-8)), _adam_by_hand(0.01, 0.8, 0.9, 1e-8))


def test_adam_weight_decay_is_l2_in_the_gradient():
    ours = run(lambda p: optim.Adam(p, lr=0.01, weight_decay=0.1))
    _adam_close(ours, _adam_by_hand(0.01, 0.9, 0.999, 1e-8, wd=0.1))


def test_adam_amsgrad_uses_the_running_maximum_of_v():
    ours = run(lambda p: optim.Adam(p, lr=0.01, betas=(0.9, 0.5), amsgrad=True))
    _adam_close(ours, _adam_by_hand(0.01, 0.9, 0.5, 1e-8, amsgrad=True))
    plain = run(lambda p: optim.Adam(p, lr=0.01, betas=(0.9, 0.5)))
    assert not np.allclose(ours[2], plain[2])  # the max kicks in at step 3


def test_adamw_decays_the_weights_directly():
    ours = run(lambda p: optim.AdamW(p, lr=0.01, weight_decay=0.1))
    _adam_close(ours, _adam_by_hand(0.01, 0.9, 0.999, 1e-8, wd=0.1, decoupled=True))


# --------------------------------------------------------------------------- Adagrad and RMSprop by hand


def test_adagrad_divides_by_the_root_of_summed_squares():
    s, w, expected = 0.1, W0.copy(), []  # initial_accumulator_value 0.1
    for t, g in enumerate(GRADS, start=1):
        g = g + 0.01 * w
        s = s + g * g
        clr = 0.5 / (1 + (t - 1) * 0.1)
        w = w - clr * g / (np.sqrt(s) + 1e-10)
        expected.append(w)
    close(run(lambda p: optim.Adagrad(p, lr=0.5, lr_decay=0.1, weight_decay=0.01, initial_accumulator_value=0.1)),
          expected)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("centered", [False, True])
def test_rmsprop_matches_its_formulas(momentum, centered):
    alpha, lr, eps, wd = 0.9, 0.01, 1e-8, 0.01
    v, gbar, buf, w, expected = 0.0, 0.0, 0.0, W0.copy(), []
    for g in GRADS:
        g = g + wd * w
        v = alpha * v + (1 - alpha) * g * g
        gbar = alpha * gbar + (1 - alpha) * g
        avg = np.sqrt(v - gbar * gbar if centered else v) + eps
        if momentum:
            buf = momentum * buf + g / avg
            w = w - lr * buf
        else:
            w = w - lr * g / avg
        expected.append(w)
    ours = run(lambda p: optim.RMSprop(p, lr=lr, alpha=alpha, eps=eps, weight_decay=wd, momentum=momentum,
                                       centered=centered))
    close(ours, expected)


# --------------------------------------------------------------------------- against PyTorch

TORCH_CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("Adagrad", dict(lr=0.5, lr_decay=0.1, weight_decay=0.01, initial_accumulator_value=0.1)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1)),
    ("Adam", dict(lr=0.01, betas=(0.9, 0.5), amsgrad=True)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
]


@pytest.mark.parametrize("name,options", TORCH_CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(TORCH_CASES)])
def test_matches_pytorch_step_for_step(name, options):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    grads = [rng.standard_normal(3) for _ in range(6)]
    ours = run(lambda p: getattr(optim, name)(p, **options), grads)
    tp = torch.tensor(W0.copy(), requires_grad=True)
    topt = getattr(torch.optim, name)([tp], **options)
    for step, g in enumerate(grads):
        tp.grad = torch.tensor(g)
        topt.step()
        np.testing.assert_allclose(ours[step], tp.detach().numpy(), rtol=1e-10, atol=1e-14, err_msg=f"step {step}")


# --------------------------------------------------------------------------- the Optimizer base


def test_hyper_parameters_are_validated_with_pytorchs_messages():
    p = [nn.Parameter(nt.zeros(1))]
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.SGD(p, lr=-1)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero dampening"):
        optim.SGD(p, lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1: 1.0"):
        optim.Adam(p, betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Invalid epsilon value: -1"):
        optim.RMSprop(p, eps=-1)
    with pytest.raises(ValueError, match="Invalid lr_decay value"):
        optim.Adagrad(p, lr_decay=-0.5)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": p}, {"params": p}], lr=0.1)


def test_param_groups_take_their_own_options_and_defaults():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    opt = optim.SGD([{"params": model[0].parameters()}, {"params": model[1].parameters(), "lr": 0.5}],
                    lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[1]["momentum"] == 0.9
    before = model[1].weight.array.copy()
    model[1].weight.grad = nt.ones(1, 2)
    opt.step()
    np.testing.assert_allclose(model[1].weight.array, before - 0.5)


def test_zero_grad_sets_to_none_by_default_and_skips_parameters_without_grad():
    a, b = nn.Parameter(nt.ones(2)), nn.Parameter(nt.ones(2))
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = nt.ones(2)
    opt.step()
    np.testing.assert_array_equal(b.array, [1.0, 1.0])  # no grad: untouched, no state
    assert b not in opt.state and a in opt.state
    opt.zero_grad(set_to_none=False)
    assert a.grad is not None and not a.grad.array.any()
    opt.zero_grad()
    assert a.grad is None


def test_a_step_after_forward_invalidates_the_saved_graph():
    layer = nn.Linear(2, 1)
    opt = optim.SGD(layer.parameters(), lr=0.1)
    x = nt.randn(3, 2, requires_grad=True)
    out = layer(x).sum()
    out.backward(retain_graph=True)
    opt.step()
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        out.backward()


def _trained_model_and_optimizer(make_opt, steps=3):
    nt.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt = make_opt(model.parameters())
    x, y = nt.randn(8, 3), nt.randint(0, 2, (8,))
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return model, opt, x, y


OPTIMIZER_MAKERS = {
    "sgd": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    "adagrad": lambda ps: optim.Adagrad(ps, lr=0.1),
    "rmsprop": lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True),
    "adam": lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZER_MAKERS))
def test_state_dict_round_trip_continues_exactly(name, tmp_path):
    make = OPTIMIZER_MAKERS[name]
    model, opt, x, y = _trained_model_and_optimizer(make)
    path = tmp_path / "ckpt.npz"
    save({"model": model.state_dict(), "optimizer": opt.state_dict()}, path)
    sd = opt.state_dict()
    assert sorted(sd["state"]) == [0, 1, 2, 3] and sd["param_groups"][0]["params"] == [0, 1, 2, 3]

    clone, _, _, _ = _trained_model_and_optimizer(make, steps=0)
    clone_opt = make(clone.parameters())
    checkpoint = load(path)
    clone.load_state_dict(checkpoint["model"])
    clone_opt.load_state_dict(checkpoint["optimizer"])
    for m, o in ((model, opt), (clone, clone_opt)):
        o.zero_grad()
        nn.functional.cross_entropy(m(x), y).backward()
        o.step()
    for a, b in zip(model.parameters(), clone.parameters()):
        np.testing.assert_array_equal(a.array, b.array)


def test_load_state_dict_rejects_a_different_layout():
    model, opt, _, _ = _trained_model_and_optimizer(OPTIMIZER_MAKERS["adam"])
    other = optim.Adam(nn.Linear(3, 4).parameters())
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        other.load_state_dict(opt.state_dict())
    two_groups = optim.Adam([{"params": [nn.Parameter(nt.ones(1))]}, {"params": [nn.Parameter(nt.ones(1))]}])
    with pytest.raises(ValueError, match="2 parameter groups"):
        opt.load_state_dict(two_groups.state_dict())
    swapped = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    params = list(swapped.parameters())
    opt2 = optim.Adam([params[1], params[0], params[2], params[3]])
    with pytest.raises(ValueError, match=r"'exp_avg' of parameter 0 has shape \(4, 3\).*\(4,\)"):
        opt2.load_state_dict(opt.state_dict())


SECOND_PROCESS = """
import sys, numpy as np
import nettrain as nt
from nettrain import nn, optim
from nettrain.serialization import load
nt.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
ck = load(sys.argv[1])
model.load_state_dict(ck["model"])
opt.load_state_dict(ck["optimizer"])
x, y = nt.tensor(ck["x"]), nt.tensor(ck["y"])
opt.zero_grad()
nn.functional.cross_entropy(model(x), y).backward()
opt.step()
print(repr(float(model[2].weight.array.sum())))
"""


def test_state_survives_save_and_load_in_another_process(tmp_path):
    model, opt, x, y = _trained_model_and_optimizer(OPTIMIZER_MAKERS["sgd"])
    path = tmp_path / "ckpt.npz"
    save({"model": model.state_dict(), "optimizer": opt.state_dict(), "x": x.array, "y": y.array}, path)
    opt.zero_grad()
    nn.functional.cross_entropy(model(x), y).backward()
    opt.step()
    result = subprocess.run([sys.executable, "-c", SECOND_PROCESS, str(path)], capture_output=True, text=True,
                            check=True)
    assert float(result.stdout) == float(model[2].weight.array.sum())


def test_l1_penalty_is_exported_by_optim():
    assert optim.l1_penalty is nn.utils.l1_penalty
    assert math.isclose(optim.l1_penalty([nn.Parameter(nt.ones(2, 2))], 0.5).item(), 2.0)


@pytest.mark.parametrize("module, update", [("sgd", "sgd_update"), ("adam", "adam_update"),
                                            ("adagrad", "adagrad_update"), ("rmsprop", "rmsprop_update")])
def test_update_functions_take_hyperparameters_by_keyword_only(module, update):
    """A swapped positional argument must not train silently wrong (torch.optim's functional form)."""
    import importlib
    import inspect

    fn = getattr(importlib.import_module(f"nettrain.optim.{module}"), update)
    params = inspect.signature(fn).parameters
    hyper = [n for n in ("step", "lr", "eps", "momentum", "weight_decay", "beta1", "alpha", "lr_decay") if n in params]
    assert "lr" in hyper and all(params[n].kind is inspect.Parameter.KEYWORD_ONLY for n in hyper)
    arrays = [np.zeros(3) for p in params.values() if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    with pytest.raises(TypeError, match="positional argument"):
        fn(*arrays, 0.1)  # the learning rate passed by position
