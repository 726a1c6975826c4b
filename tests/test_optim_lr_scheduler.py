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
