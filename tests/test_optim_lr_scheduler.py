"""Learning-rate schedulers: PyTorch's numbers, closed forms, state dicts."""
import math

import pytest

import nettrain as nt
from nettrain import nn, optim
from nettrain.optim import lr_scheduler
from nettrain.serialization import dumps, loads


def _optimizer(lr=0.1):
    return optim.SGD([nn.Parameter(nt.zeros(1))], lr=lr)


def _rates(scheduler, epochs):
    """The rate in force during each epoch 0 .. epochs-1 (step() once per epoch)."""
    rates = []
    for _ in range(epochs):
        rates.append(scheduler.optimizer.param_groups[0]["lr"])
        scheduler.step()
    return rates


def test_step_lr_divides_every_step_size_epochs():
    rates = _rates(lr_scheduler.StepLR(_optimizer(), step_size=3, gamma=0.5), 7)
    assert rates == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025])


def test_multistep_lr_divides_at_each_milestone():
    rates = _rates(lr_scheduler.MultiStepLR(_optimizer(), milestones=[4, 2], gamma=0.1), 6)
    assert rates == pytest.approx([0.1, 0.1, 0.01, 0.01, 0.001, 0.001])


def test_exponential_lr_multiplies_every_epoch():
    assert _rates(lr_scheduler.ExponentialLR(_optimizer(), gamma=0.9), 4) == pytest.approx(
        [0.1 * 0.9 ** e for e in range(4)])


def test_cosine_annealing_follows_the_closed_form_down_and_back_up():
    scheduler = lr_scheduler.CosineAnnealingLR(_optimizer(), T_max=5, eta_min=0.01)
    rates = _rates(scheduler, 11)
    expected = [0.01 + 0.09 * (1 + math.cos(math.pi * e / 5)) / 2 for e in range(11)]
    assert rates == pytest.approx(expected, rel=1e-9)
    assert rates[5] == pytest.approx(0.01)


@pytest.mark.parametrize("make", [
    lambda o: lr_scheduler.StepLR(o, 2, 0.3),
    lambda o: lr_scheduler.MultiStepLR(o, [1, 3, 3], 0.5),
    lambda o: lr_scheduler.ExponentialLR(o, 0.7),
    lambda o: lr_scheduler.CosineAnnealingLR(o, 4, 0.001),
])
def test_recursion_equals_closed_form_and_pytorch(make):
    scheduler = make(_optimizer())
    ours = []
    for _ in range(10):
        assert scheduler.get_last_lr() == pytest.approx(scheduler.closed_form_lr(), rel=1e-9)
        ours.append(scheduler.get_last_lr()[0])
        scheduler.step()
    torch = pytest.importorskip("torch")
    param = torch.zeros(1, requires_grad=True)
    topt = torch.optim.SGD([param], lr=0.1)
    name = type(scheduler).__name__
    options = {k: v for k, v in scheduler.state_dict().items()
               if k in ("step_size", "gamma", "milestones", "T_max", "eta_min")}
    theirs_scheduler = getattr(torch.optim.lr_scheduler, name)(topt, **options)
    theirs = []
    for _ in range(10):
        theirs.append(theirs_scheduler.get_last_lr()[0])
        topt.step()
        theirs_scheduler.step()
    assert ours == pytest.approx(theirs, rel=1e-12)


def test_state_dict_round_trip_resumes_the_schedule():
    opt = _optimizer()
    scheduler = lr_scheduler.CosineAnnealingLR(opt, T_max=10)
    for _ in range(4):
        scheduler.step()
    saved = loads(dumps({"optimizer": opt.state_dict(), "scheduler": scheduler.state_dict()}))

    opt2 = _optimizer()
    opt2.load_state_dict(saved["optimizer"])
    scheduler2 = lr_scheduler.CosineAnnealingLR(opt2, T_max=10)
    scheduler2.load_state_dict(saved["scheduler"])
    for _ in range(3):
        scheduler.step()
        scheduler2.step()
        assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    assert scheduler2.last_epoch == 7


def test_each_group_keeps_its_own_base_rate():
    a, b = nn.Parameter(nt.zeros(1)), nn.Parameter(nt.zeros(1))
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1)
    scheduler = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    scheduler.step()
    assert scheduler.get_last_lr() == pytest.approx([0.05, 0.5])


# Per-step schedules: LinearLR (warm-up), OneCycleLR, SequentialLR.

def _trace(scheduler, steps, momentum_key=None):
    """(lr, momentum) in force at each of ``steps`` steps, stepping after each."""
    trace = []
    for _ in range(steps):
        group = scheduler.optimizer.param_groups[0]
        momentum = None
        if momentum_key == "betas":
            momentum = group["betas"][0]
        elif momentum_key:
            momentum = group[momentum_key]
        trace.append((group["lr"], momentum))
        scheduler.step()
    return trace


def test_linear_warmup_rises_to_the_base_rate_and_stays():
    rates = _rates(lr_scheduler.LinearLR(_optimizer(), start_factor=0.25, total_iters=3), 6)
    assert rates == pytest.approx([0.025, 0.05, 0.075, 0.1, 0.1, 0.1])


def test_one_cycle_rises_to_max_then_anneals_to_the_minimum():
    opt = optim.SGD([nn.Parameter(nt.zeros(1))], lr=0.1, momentum=0.9)
    scheduler = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10, pct_start=0.3)
    trace = _trace(scheduler, 10, "momentum")
    rates = [lr for lr, _ in trace]
    assert rates[0] == pytest.approx(1.0 / 25)
    assert max(rates) == pytest.approx(1.0) and rates.index(max(rates)) == 2
    assert rates[-1] == pytest.approx(1.0 / 25 / 1e4)
    assert trace[2][1] == pytest.approx(0.85) and trace[0][1] == pytest.approx(0.95)
    with pytest.raises(ValueError, match="Tried to step 11 times"):
        scheduler.step()


def test_one_cycle_refuses_an_optimizer_without_momentum():
    with pytest.raises(ValueError, match="momentum or beta1"):
        lr_scheduler.OneCycleLR(optim.Adagrad([nn.Parameter(nt.zeros(1))]), max_lr=0.1, total_steps=5)


def _warmup_then_cosine(opt):
    warmup = lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=3)
    cosine = lr_scheduler.CosineAnnealingLR(opt, T_max=6, eta_min=0.001)
    return lr_scheduler.SequentialLR(opt, [warmup, cosine], milestones=[3])


def test_sequential_warmup_then_cosine():
    rates = _rates(_warmup_then_cosine(_optimizer()), 10)
    warm = [0.1 * (0.1 + 0.9 * t / 3) for t in range(3)]
    cos = [0.001 + 0.099 * (1 + math.cos(math.pi * t / 6)) / 2 for t in range(7)]
    assert rates == pytest.approx(warm + cos, rel=1e-12)


@pytest.mark.parametrize("stop_at", [1, 3, 4, 7])
def test_per_step_schedules_resume_exactly_from_a_state_dict(stop_at):
    def build():
        opt = optim.Adam([nn.Parameter(nt.zeros(1))], lr=0.1)
        return opt, lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=12, three_phase=True)

    opt, scheduler = build()
    straight = _trace(scheduler, 12, "betas")

    opt, scheduler = build()
    first = _trace(scheduler, stop_at, "betas")
    saved = loads(dumps({"optimizer": opt.state_dict(), "scheduler": scheduler.state_dict()}))
    opt2, scheduler2 = build()
    opt2.load_state_dict(saved["optimizer"])
    scheduler2.load_state_dict(saved["scheduler"])
    assert first + _trace(scheduler2, 12 - stop_at, "betas") == straight

    seq_opt = _optimizer()
    seq = _warmup_then_cosine(seq_opt)
    seq_straight = _rates(seq, 10)
    seq_opt = _optimizer()
    seq = _warmup_then_cosine(seq_opt)
    head = _rates(seq, stop_at)
    saved = loads(dumps({"optimizer": seq_opt.state_dict(), "scheduler": seq.state_dict()}))
    seq_opt2 = _optimizer()
    seq2 = _warmup_then_cosine(seq_opt2)
    seq_opt2.load_state_dict(saved["optimizer"])
    seq2.load_state_dict(saved["scheduler"])
    assert head + _rates(seq2, 10 - stop_at) == seq_straight


PER_STEP_CASES = {
    "linear": (lambda o, m: m.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=4), "SGD", 8),
    "one_cycle_cos_sgd": (lambda o, m: m.OneCycleLR(o, max_lr=0.8, total_steps=20), "SGD", 20),
    "one_cycle_linear_adam": (lambda o, m: m.OneCycleLR(o, max_lr=[0.3], total_steps=15, pct_start=0.4,
                                                        anneal_strategy="linear", three_phase=True), "Adam", 15),
    "warmup_cosine": (lambda o, m: m.SequentialLR(o, [m.LinearLR(o, start_factor=0.1, total_iters=3),
                                                      m.CosineAnnealingLR(o, T_max=6, eta_min=0.001)],
                                                  milestones=[3]), "SGD", 12),
}


@pytest.mark.parametrize("case", sorted(PER_STEP_CASES))
def test_per_step_schedules_match_pytorch(case):
    torch = pytest.importorskip("torch")
    make, opt_name, steps = PER_STEP_CASES[case]
    key = "betas" if opt_name == "Adam" else "momentum"
    extra = {"momentum": 0.9} if opt_name == "SGD" else {}
    ours = _trace(make(getattr(optim, opt_name)([nn.Parameter(nt.zeros(1))], lr=0.1, **extra), lr_scheduler),
                  steps, key)
    topt = getattr(torch.optim, opt_name)([torch.zeros(1, requires_grad=True)], lr=0.1, **extra)
    theirs_scheduler = make(topt, torch.optim.lr_scheduler)
    theirs = []
    for _ in range(steps):
        group = topt.param_groups[0]
        theirs.append((group["lr"], group["betas"][0] if key == "betas" else group["momentum"]))
        topt.step()
        theirs_scheduler.step()
    assert [lr for lr, _ in ours] == pytest.approx([lr for lr, _ in theirs], rel=1e-12, abs=1e-15)
    assert [m for _, m in ours] == pytest.approx([m for _, m in theirs], rel=1e-12)
