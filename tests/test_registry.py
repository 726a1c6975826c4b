"""The registry is the one source of names, defaults and limits: the config
schema generated from it must agree with what each registered constructor
does when called from Python."""
from __future__ import annotations

import dataclasses
import inspect

import pytest

import nettrain as nt
from nettrain import registry
from nettrain.config import config_from_dict
from nettrain.config.checks import Integer, ListOf, Nullable, Number, OneOf, Where
from nettrain.config.sections import registry_choices
from nettrain.errors import ConfigError


def _inner(check):
    return check.inner if isinstance(check, Nullable) else check


def _accepted(check):
    """A value ``check`` accepts, at its lower bound where it has one."""
    check = _inner(check)
    if isinstance(check, Number):
        integer = isinstance(check, Integer)
        if check.ge is not None:
            return check.ge
        if check.gt is not None:
            return check.gt + (1 if integer else 0.5)
        return 0 if integer else 0.0
    if isinstance(check, ListOf):
        n = check.length or max(check.min_length, 1)
        item = _accepted(check.item)
        return [item + i for i in range(n)] if check.increasing else [item] * n
    if isinstance(check, OneOf):
        return check.choices[0]
    return False  # Boolean


def _rejected_values(check):
    """(value, bound) pairs just outside each of a Number check's bounds."""
    check = _inner(check)
    if not isinstance(check, Number):
        return []
    step = 1 if isinstance(check, Integer) else 1e-6
    out = []
    if check.ge is not None:
        out.append(check.ge - step)
    if check.gt is not None:
        out.append(check.gt)
    if check.le is not None:
        out.append(check.le + step)
    if check.lt is not None:
        out.append(check.lt)
    return out


def _construct(entry, **kwargs):
    """Call a registered constructor as Python code would, its required options filled in."""
    for option in entry.options():
        if option.name not in kwargs and (option.default is registry.REQUIRED or option.derived is not None):
            kwargs[option.name] = _accepted(option.check)
    target = entry.target
    if entry.kind == "optimizer":
        return target([nt.nn.Parameter(nt.zeros(3))], **kwargs)
    if entry.kind == "scheduler":
        return target(nt.optim.SGD([nt.nn.Parameter(nt.zeros(3))], lr=0.1), **kwargs)
    if entry.kind == "dataset" and not inspect.isclass(target):
        return target(entry.name, **kwargs)
    return target(**kwargs)


ENTRIES = [entry for kind in registry.HOMES for entry in registry.entries(kind).values()
           if entry.options() and inspect.signature(entry.target)]
BOUNDED = [(entry, option, value) for entry in ENTRIES for option in entry.options()
           if option.derived is None or entry.kind != "model"  # a model's sizes come from the data
           for value in _rejected_values(option.check)]


@pytest.mark.parametrize("entry, option, value", BOUNDED,
                         ids=[f"{e.kind}.{e.name}.{o.name}={v}" for e, o, v in BOUNDED])
def test_the_constructor_refuses_what_the_config_refuses(entry, option, value):
    with pytest.raises(ConfigError):
        option.check(value, Where("registry"))
    with pytest.raises(ValueError):
        _construct(entry, **{option.name: value})


@pytest.mark.parametrize("entry", ENTRIES, ids=[f"{e.kind}.{e.name}" for e in ENTRIES])
def test_the_constructor_takes_each_option_at_its_bound(entry):
    for option in entry.options():
        _construct(entry, **{option.name: _accepted(option.check)})


@pytest.mark.parametrize("entry", ENTRIES, ids=[f"{e.kind}.{e.name}" for e in ENTRIES])
def test_config_defaults_are_the_constructors_defaults(entry):
    signature = inspect.signature(entry.target)
    [choice] = [c for c in registry_choices(entry.kind) if entry.name in c.names]
    config_fields = {f.name: f.metadata["default"] for f in dataclasses.fields(choice.options)}
    for option in entry.options():
        default = signature.parameters[option.name].default
        if option.derived is not None:
            assert config_fields[option.name] is None  # filled in later, as its help says
        elif default is inspect.Parameter.empty:
            assert config_fields[option.name] is registry.REQUIRED
        else:
            assert config_fields[option.name] == (list(default) if isinstance(default, tuple) else default)
    assert set(config_fields) == {o.name for o in entry.options()}


def _config(**sections):
    base = {"data": {"dataset": "clusters"}, "model": {"name": "mlp"}, "optimizer": {"name": "sgd"},
            "train": {"epochs": 1}}
    base.update(sections)
    return config_from_dict(base)


def test_an_mlp_from_the_config_is_an_mlp_from_python():
    # They used to differ: model: {name: mlp} gave hidden [256], MLP() (128,).
    cfg = _config()
    python = nt.models.MLP(2)
    from_config = nt.models.MLP(2, **{k: v for k, v in cfg.model.kwargs().items() if v is not None})
    assert [p.shape for p in python.parameters()] == [p.shape for p in from_config.parameters()]


def test_a_learning_rate_of_zero_is_valid_in_both():
    # They used to differ: the config refused lr: 0, which torch.optim.SGD (and ours) accept.
    cfg = _config(optimizer={"name": "sgd", "lr": 0})
    nt.optim.SGD([nt.nn.Parameter(nt.zeros(2))], **cfg.optimizer.kwargs())


def test_every_kind_has_names_and_one_line_help():
    for kind in registry.HOMES:
        found = registry.entries(kind)
        assert found, kind
        for entry in found.values():
            assert entry.help and "\n" not in entry.help, (kind, entry.name)


def test_a_name_registers_once():
    with pytest.raises(ValueError, match="registered twice"):
        registry.register("loss", "mse", "again")(object)


def test_loss_nll_is_pytorchs_nll_loss_after_a_log_softmax_model():
    # NLLLoss takes log-probabilities: with loss nll the model ends in LogSoftmax.
    import numpy as np

    from nettrain.trainer import build

    components = build(_config(loss={"name": "nll"}).to_dict())
    assert isinstance(components.model.layers[-1], nt.nn.LogSoftmax)
    out = components.model(nt.as_tensor(components.data.train[0][:8]))
    np.testing.assert_allclose(np.exp(out.detach().numpy()).sum(axis=1), 1.0, rtol=1e-5)
    assert not isinstance(build(_config().to_dict()).model.layers[-1], nt.nn.LogSoftmax)
