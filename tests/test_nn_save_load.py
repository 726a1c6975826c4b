"""Saving and loading as the tutorials write it: ``nt.save(model.state_dict(), PATH)``,
``nt.load(PATH, weights_only=True, map_location=...)``, checkpoint dicts with
epochs, losses and the optimizer's state; a whole model is refused."""
import numpy as np
import pytest

import nettrain as nt
from nettrain import nn, optim


def _net():
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))


def test_state_dict_round_trip_with_pytorchs_load_keywords(tmp_path):
    model, x = _net(), nt.randn(5, 4)
    path = tmp_path / "net.pth"
    nt.save(model.state_dict(), path)
    for kwargs in ({}, {"weights_only": True}, {"map_location": "cpu"}, {"weights_only": True, "map_location": "cpu"},
                   {"map_location": nt.device("cpu")}, {"map_location": {"cuda:0": "cpu"}},
                   {"map_location": lambda storage, location: storage}):
        fresh = _net()
        result = fresh.load_state_dict(nt.load(path, **kwargs))
        assert str(result) == "<All keys matched successfully>", kwargs
        np.testing.assert_array_equal(fresh(x).detach().numpy(), model(x).detach().numpy())
    with pytest.raises(TypeError, match="weights_only"):
        nt.load(path, weights_only="yes")


def test_saving_a_whole_model_is_refused_with_what_to_do_and_writes_nothing(tmp_path):
    path = tmp_path / "model.pth"
    with pytest.raises(TypeError, match=r"nettrain.save\(model.state_dict\(\), PATH\)"):
        nt.save(_net(), path)
    with pytest.raises(TypeError, match="optimizers"):
        nt.save(optim.SGD(_net().parameters(), lr=0.1), path)
    assert not path.exists()


def _step(model, opt, x, y):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss.item()


def test_checkpoint_dict_of_states_epoch_and_loss_resumes_training_exactly(tmp_path):
    x, y = nt.randn(16, 4), nt.randint(0, 3, (16,))
    model = _net()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(3):
        loss = _step(model, opt, x, y)
    path = tmp_path / "checkpoint.pth.tar"
    nt.save({"epoch": 3, "model_state_dict": model.state_dict(), "optimizer_state_dict": opt.state_dict(),
             "loss": loss, "note": "lenet"}, path)
    expected = [_step(model, opt, x, y) for _ in range(2)]

    checkpoint = nt.load(path, map_location="cpu")
    assert checkpoint["epoch"] == 3 and checkpoint["loss"] == loss and checkpoint["note"] == "lenet"
    assert isinstance(checkpoint["epoch"], int) and isinstance(checkpoint["loss"], float)
    resumed = _net()
    resumed.load_state_dict(checkpoint["model_state_dict"])
    resumed_opt = optim.SGD(resumed.parameters(), lr=0.1, momentum=0.9)
    resumed_opt.load_state_dict(checkpoint["optimizer_state_dict"])
    assert [_step(resumed, resumed_opt, x, y) for _ in range(2)] == expected  # momentum restored too
