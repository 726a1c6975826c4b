"""ModuleList, ModuleDict, ParameterList, ParameterDict and Sequential's list
operations: registration (parameters, state_dict keys), indexing and printing
as PyTorch."""
from collections import OrderedDict

import numpy as np
import pytest

import nettrain as nt
from nettrain import nn


class Stack(nn.Module):
    """The tutorials' use of ModuleList: layers built in a loop, called in a loop."""

    def __init__(self, sizes):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(a, b) for a, b in zip(sizes, sizes[1:])])

    def forward(self, x):
        for layer in self.layers:
            x = nt.relu(layer(x))
        return x


def test_module_list_registers_its_layers_so_they_train_and_save():
    model = Stack([3, 4, 2])
    assert list(model.state_dict()) == ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]
    assert len(list(model.parameters())) == 4
    model(nt.randn(5, 3)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_module_list_indexing_slicing_insert_delete_and_renumbering():
    a, b, c = nn.Linear(1, 1), nn.ReLU(), nn.Tanh()
    layers = nn.ModuleList([a, b])
    layers.append(c)
    assert len(layers) == 3 and layers[-1] is c and layers[0] is a
    tail = layers[1:]
    assert isinstance(tail, nn.ModuleList) and list(tail) == [b, c]
    layers.insert(1, nn.Sigmoid())
    assert [type(m).__name__ for m in layers] == ["Linear", "Sigmoid", "ReLU", "Tanh"]
    del layers[1]
    assert [name for name, _ in layers.named_children()] == ["0", "1", "2"]
    assert layers.pop() is c and len(layers) == 2
    layers += [nn.Identity()]
    assert len(layers + nn.ModuleList([nn.ReLU()])) == 4
    with pytest.raises(IndexError, match="out of range"):
        layers[5]
    with pytest.raises(TypeError, match="iterable"):
        nn.ModuleList().extend(nn.Linear(1, 1))
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        layers(nt.ones(1))


def test_module_list_prints_runs_of_identical_layers_once_as_pytorch_2():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU()])
    assert repr(layers) == (
        "ModuleList(\n"
        "  (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)\n"
        "  (3): ReLU()\n"
        ")"
    )
    assert repr(nn.ModuleList()) == "ModuleList()"


def test_module_dict_keeps_insertion_order_and_registers_by_key():
    heads = nn.ModuleDict({"cls": nn.Linear(4, 3), "box": nn.Linear(4, 2)})
    heads["act"] = nn.ReLU()
    assert list(heads) == ["cls", "box", "act"] and "box" in heads and len(heads) == 3
    assert list(heads.keys()) == ["cls", "box", "act"]
    assert [type(m).__name__ for m in heads.values()] == ["Linear", "Linear", "ReLU"]
    assert list(heads.state_dict()) == ["cls.weight", "cls.bias", "box.weight", "box.bias"]
    assert isinstance(heads.pop("act"), nn.ReLU) and len(heads) == 2
    heads.update([("extra", nn.Tanh())])
    assert repr(heads) == (
        "ModuleDict(\n"
        "  (cls): Linear(in_features=4, out_features=3, bias=True)\n"
        "  (box): Linear(in_features=4, out_features=2, bias=True)\n"
        "  (extra): Tanh()\n"
        ")"
    )


def test_parameter_list_wraps_tensors_as_parameters_and_prints_like_pytorch():
    params = nn.ParameterList([nn.Parameter(nt.ones(2, 3)), nt.zeros(2)])
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in params)
    params.append(nt.randn(4))
    assert len(params) == 3 and [n for n, _ in params.named_parameters()] == ["0", "1", "2"]

    class Mixture(nn.Module):
        def __init__(self):
            super().__init__()
            self.weights = nn.ParameterList([nn.Parameter(nt.tensor(float(i))) for i in range(3)])

        def forward(self, x):
            return sum(w * x for w in self.weights)

    model = Mixture()
    model(nt.tensor(2.0)).backward()
    np.testing.assert_allclose([w.grad.item() for w in model.weights], [2.0, 2.0, 2.0])
    assert list(model.state_dict()) == ["weights.0", "weights.1", "weights.2"]
    dtype = params[0].dtype
    assert repr(nn.ParameterList([nn.Parameter(nt.ones(2, 3)), nn.Parameter(nt.ones(2))])) == (
        "ParameterList(\n"
        f"    (0): Parameter containing: [{dtype} of size 2x3]\n"
        f"    (1): Parameter containing: [{dtype} of size 2]\n"
        ")"
    )
    with pytest.raises(TypeError, match="Parameters"):
        params.append([1.0])


def test_parameter_dict_registers_by_key():
    params = nn.ParameterDict({"scale": nn.Parameter(nt.ones(2)), "shift": nt.zeros(2)})
    assert list(params) == ["scale", "shift"] and isinstance(params["shift"], nn.Parameter)
    assert [n for n, _ in params.named_parameters()] == ["scale", "shift"]


def test_sequential_from_ordered_dict_names_children_and_supports_list_edits():
    model = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 3)), ("act", nn.ReLU()), ("out", nn.Linear(3, 1))]))
    assert list(model.state_dict()) == ["fc.weight", "fc.bias", "out.weight", "out.bias"]
    assert model.fc is model[0]
    model[1] = nn.Tanh()
    assert isinstance(model.act, nn.Tanh)
    del model[1]
    assert [n for n, _ in model.named_children()] == ["0", "1"]  # renumbered, as PyTorch does
    model.insert(1, nn.Sigmoid())
    model.extend([nn.Identity()])
    assert [type(m).__name__ for m in model] == ["Linear", "Sigmoid", "Linear", "Identity"]
    assert model(nt.randn(4, 2)).shape == (4, 1)
