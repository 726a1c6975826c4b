"""Module: registration, naming, modes, state dicts, devices, printing."""
import numpy as np
import pytest

import nettrain as nt
from nettrain import nn
from nettrain.errors import CheckpointError
from nettrain.nn import Parameter


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.BatchNorm1d(4))
        self.scale = Parameter(nt.ones(4))
        self.register_buffer("calls", nt.zeros(1))
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        return self.head(self.features(x) * self.scale)


def test_attributes_register_parameters_modules_and_buffers_in_order():
    block = Block()
    names = [name for name, _ in block.named_parameters()]
    assert names == ["scale", "features.0.weight", "features.0.bias", "features.2.weight",
                     "features.2.bias", "head.weight", "head.bias"]
    assert [name for name, _ in block.named_children()] == ["features", "head"]
    assert len(list(block.modules())) == 6  # Block, Sequential, Linear, ReLU, BatchNorm1d, Linear
    assert [n for n, _ in block.named_buffers()] == [
        "calls", "features.2.running_mean", "features.2.running_var", "features.2.num_batches_tracked"]
    assert block.num_parameters() == 4 + (3 * 4 + 4) + (4 + 4) + (4 * 2 + 2)


def test_parameter_is_a_leaf_tensor_that_collects_gradients():
    p = Parameter(nt.tensor([1.0, 2.0]))
    assert isinstance(p, nt.Tensor) and p.requires_grad and p.is_leaf
    (p * p).sum().backward()
    np.testing.assert_allclose(p.grad.numpy(), [2.0, 4.0])
    assert type(p * 2) is nt.Tensor  # results of ops are plain tensors
    assert repr(p).startswith("Parameter containing:\ntensor(")


def test_assigning_a_plain_tensor_over_a_parameter_is_an_error():
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'weight'"):
        layer.weight = nt.zeros(2, 2)
    layer.bias = None
    assert [n for n, _ in layer.named_parameters()] == ["weight"]


def test_shared_parameters_are_listed_once():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(model.parameters())) == 2


def test_train_and_eval_switch_every_submodule():
    block = Block()
    assert all(m.training for m in block.modules())
    assert block.eval() is block
    assert not any(m.training for m in block.modules())
    block.train()
    assert all(m.training for m in block.modules())


def test_zero_grad_sets_gradients_to_none_or_zero():
    layer = nn.Linear(3, 2)
    layer(nt.randn(4, 3)).sum().backward()
    layer.zero_grad(set_to_none=False)
    assert float(layer.weight.grad.abs().sum()) == 0.0
    layer.zero_grad()
    assert layer.weight.grad is None and layer.bias.grad is None


def test_state_dict_has_dotted_keys_buffers_and_shares_memory():
    block = Block()
    sd = block.state_dict()
    assert list(sd) == ["scale", "calls", "features.0.weight", "features.0.bias", "features.2.weight",
                        "features.2.bias", "features.2.running_mean", "features.2.running_var",
                        "features.2.num_batches_tracked", "head.weight", "head.bias"]
    assert not sd["head.weight"].requires_grad
    assert np.shares_memory(sd["head.weight"].numpy(), block.head.weight.array)


def test_load_state_dict_copies_values_in_place():
    source, target = Block(), Block()
    source.features[2].running_mean.array[...] = 7.0
    weight_object = target.head.weight
    target.load_state_dict(source.state_dict())
    assert target.head.weight is weight_object  # same Parameter: an optimizer keeps working
    for (name, a), b in zip(source.state_dict().items(), target.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
    # values are copies, not shared with the source
    source.head.weight.array[...] = 0
    assert float(target.head.weight.abs().sum()) > 0


def test_load_state_dict_accepts_numpy_arrays_and_converts_dtype():
    layer = nn.Linear(2, 1)
    layer.load_state_dict({"weight": np.array([[1.0, 2.0]]), "bias": np.array([0.5])})
    assert layer.weight.dtype == nt.float32
    np.testing.assert_allclose(layer(nt.tensor([[1.0, 1.0]])).detach().numpy(), [[3.5]])


def test_strict_mismatch_lists_missing_unexpected_and_shapes_in_one_message():
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    sd = model.state_dict()
    del sd["1.bias"]
    sd["0.weight"] = nt.zeros(5, 3)
    sd["2.weight"] = nt.zeros(1)
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(sd)
    message = str(info.value)
    assert "missing keys: 1.bias" in message
    assert "unexpected keys: 2.weight" in message
    assert "size mismatch for 0.weight: the model has shape (4, 3), the state dict has (5, 3)" in message
    assert isinstance(info.value, CheckpointError)  # the CLI prints it as a person's mistake


def test_non_strict_load_returns_the_key_differences_but_still_refuses_shapes():
    model = nn.Sequential(nn.Linear(3, 4))
    result = model.load_state_dict({"0.weight": nt.ones(4, 3), "extra": nt.ones(1)}, strict=False)
    assert result.missing_keys == ["0.bias"] and result.unexpected_keys == ["extra"]
    np.testing.assert_array_equal(model[0].weight.array, np.ones((4, 3)))
    with pytest.raises(RuntimeError, match="size mismatch for 0.weight"):
        model.load_state_dict({"0.weight": nt.ones(3, 3)}, strict=False)


def test_to_moves_in_place_and_converts_floating_dtypes_only():
    block = Block()
    weight = block.head.weight
    block.to("cpu")
    assert block.head.weight is weight
    block.double()
    assert weight.dtype == nt.float64 and block.head.weight is weight
    assert block.features[2].num_batches_tracked.dtype == nt.int64
    assert block(nt.randn(5, 3, dtype=nt.float64)).dtype == nt.float64


def test_repr_prints_the_tree_like_pytorch():
    model = nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(864, 10))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))\n"
        "  (1): ReLU()\n"
        "  (2): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n"
        "  (3): Flatten(start_dim=1, end_dim=-1)\n"
        "  (4): Linear(in_features=864, out_features=10, bias=True)\n"
        ")"
    )


def test_sequential_indexing_slicing_and_iteration():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert isinstance(model[-1], nn.Linear) and len(model) == 3
    head = model[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[0] is model[0]
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear"]
    with pytest.raises(IndexError):
        model[3]


def test_setattr_before_init_is_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="super\\(\\).__init__"):
        Broken()


def test_load_state_dict_result_prints_all_keys_matched_as_pytorch():
    model = nn.Linear(2, 2)
    result = model.load_state_dict(model.state_dict())
    assert repr(result) == str(result) == "<All keys matched successfully>"
    assert result.missing_keys == [] and result.unexpected_keys == []
    partial = model.load_state_dict({"weight": nt.zeros(2, 2), "x": nt.zeros(1)}, strict=False)
    assert partial.missing_keys == ["bias"] and partial.unexpected_keys == ["x"]
    assert repr(partial) == "_IncompatibleKeys(missing_keys=['bias'], unexpected_keys=['x'])"
    missing, unexpected = partial  # still a named tuple
    assert (missing, unexpected) == (["bias"], ["x"])


def test_forward_hook_sees_inputs_and_output_can_replace_it_and_is_removable():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    seen = []
    handle = model[1].register_forward_hook(lambda module, args, output: seen.append((module, args[0].shape, output.shape)))
    model(nt.randn(5, 3))
    assert seen == [(model[1], (5, 4), (5, 4))]
    handle.remove()
    model(nt.randn(5, 3))
    assert len(seen) == 1  # removed: not called again

    x = nt.randn(2, 3)
    with model[2].register_forward_hook(lambda module, args, output: output * 0):
        assert np.all(model(x).detach().numpy() == 0)
    assert not np.all(model(x).detach().numpy() == 0)  # the with block removed it


def test_forward_pre_hook_can_replace_the_input():
    layer = nn.Linear(2, 1)
    layer.register_forward_pre_hook(lambda module, args: (args[0] * 0,))
    out = layer(nt.randn(3, 2))
    np.testing.assert_allclose(out.detach().numpy(), np.repeat(layer.bias.detach().numpy()[None], 3, axis=0))
    with pytest.raises(TypeError, match="callable"):
        layer.register_forward_hook("not a function")


def test_named_children_lists_direct_children_only():
    block = Block()
    assert [(name, type(m).__name__) for name, m in block.named_children()] == [
        ("features", "Sequential"), ("head", "Linear")]
    assert [type(m).__name__ for m in block.children()] == ["Sequential", "Linear"]
