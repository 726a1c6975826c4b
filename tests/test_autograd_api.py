"""PyTorch's autograd API around the engine: autograd.grad, Variable,
set_grad_enabled, inference_mode, node names and next_functions, and custom
Functions written with PyTorch's protocol."""
import numpy as np
import pytest

import nettrain as nt
from nettrain import autograd


# --------------------------------------------------------------------------- autograd.grad


def test_grad_returns_gradients_and_leaves_dot_grad_alone():
    x = nt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = nt.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = (x * x * w).sum()
    gx, gw = autograd.grad(y, [x, w])
    np.testing.assert_allclose(gx.numpy(), [1.0, -4.0, 12.0])
    np.testing.assert_allclose(gw.numpy(), [1.0, 4.0, 9.0])
    assert x.grad is None and w.grad is None and not gx.requires_grad


def test_grad_of_a_non_leaf_and_with_grad_outputs():
    x = nt.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    y = h * h
    (gh,) = autograd.grad(y, h, grad_outputs=nt.tensor([1.0, 0.5]), retain_graph=True)
    np.testing.assert_allclose(gh.numpy(), [6.0, 6.0])  # 2h * v
    (gx,) = autograd.grad(y.sum(), x)
    np.testing.assert_allclose(gx.numpy(), [18.0, 36.0])


def test_grad_frees_the_graph_unless_retained():
    x = nt.tensor([1.0], requires_grad=True)
    y = (x * x).sum()
    autograd.grad(y, x)
    with pytest.raises(RuntimeError, match="second time"):
        autograd.grad(y, x)


def test_grad_of_an_unused_input_needs_allow_unused():
    x = nt.tensor([1.0], requires_grad=True)
    z = nt.tensor([2.0], requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="not have been used in the graph.*allow_unused=True"):
        autograd.grad(y, [x, z], retain_graph=True)
    gx, gz = autograd.grad(y, [x, z], allow_unused=True)
    assert gx.tolist() == [2.0] and gz is None


def test_grad_checks_its_arguments():
    x = nt.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        autograd.grad(x * 2, x)
    with pytest.raises(RuntimeError, match="does not require grad"):
        autograd.grad((x * 2).sum(), nt.tensor([1.0]))
    with pytest.raises(NotImplementedError, match="create_graph"):
        autograd.grad((x * 2).sum(), x, create_graph=True)


# --------------------------------------------------------------------------- grad modes, Variable


def test_set_grad_enabled_as_function_and_context_manager():
    x = nt.ones(2, requires_grad=True)
    with nt.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert nt.is_grad_enabled()
    nt.set_grad_enabled(False)
    try:
        assert not nt.is_grad_enabled() and not (x * 2).requires_grad
    finally:
        nt.set_grad_enabled(True)
    assert (x * 2).requires_grad

    @nt.set_grad_enabled(False)
    def evaluate():
        return (x * 2).requires_grad

    assert nt.is_grad_enabled() and evaluate() is False and nt.is_grad_enabled()


def test_inference_mode_records_nothing():
    x = nt.ones(2, requires_grad=True)
    with nt.inference_mode():
        assert not (x * 2).requires_grad
    with nt.inference_mode(False):
        assert (x * 2).requires_grad

    @nt.inference_mode()
    def called():
        return (x * 2).requires_grad

    @nt.inference_mode
    def bare():
        return (x * 2).requires_grad

    assert called() is False and bare() is False and nt.is_grad_enabled()


def test_variable_is_a_tensor_sharing_the_data():
    t = nt.tensor([1.0, 2.0])
    v = autograd.Variable(t, requires_grad=True)
    assert isinstance(v, nt.Tensor) and isinstance(t, autograd.Variable)
    assert v.requires_grad and not t.requires_grad
    (v * v).sum().backward()
    assert v.grad.tolist() == [2.0, 4.0]


# --------------------------------------------------------------------------- graph nodes


def test_nodes_carry_pytorchs_names_and_next_functions():
    """The Blitz's walk up the graph from a loss."""
    x = nt.randn(4, 3)
    w = nt.randn(2, 3, requires_grad=True)
    b = nt.randn(2, requires_grad=True)
    out = nt.nn.functional.linear(x, w, b)
    loss = ((out - nt.zeros(4, 2)) ** 2).mean()
    assert loss.grad_fn.name() == "MeanBackward0"
    names = {
        "add": (w + 1).grad_fn, "mul": (w * 2).grad_fn, "pow": (w ** 2).grad_fn, "sum": w.sum().grad_fn,
        "sum dim": w.sum(1).grad_fn, "mean": w.mean().grad_fn, "mm": (w @ w.T).grad_fn,
        "linear": out.grad_fn, "view": w.view(6).grad_fn, "relu": w.relu().grad_fn,
        "max": w.max().grad_fn, "cross_entropy": nt.nn.functional.cross_entropy(out, nt.tensor([0, 1, 0, 1])).grad_fn,
    }
    assert {k: v.name() for k, v in names.items()} == {
        "add": "AddBackward0", "mul": "MulBackward0", "pow": "PowBackward0", "sum": "SumBackward0",
        "sum dim": "SumBackward1", "mean": "MeanBackward0", "mm": "MmBackward0", "linear": "AddmmBackward0",
        "view": "ViewBackward0", "relu": "ReluBackward0", "max": "MaxBackward1",
        "cross_entropy": "NllLossBackward0",
    }
    assert repr(loss.grad_fn).startswith("<MeanBackward0 object at 0x")
    (first, index), = loss.grad_fn.next_functions
    assert index == 0 and first.name() == "PowBackward0"
    assert first.next_functions[0][0].name() == "SubBackward0"
    (bias, _), x_input, (transposed, _) = out.grad_fn.next_functions  # PyTorch's addmm(b, x, w.t())
    assert x_input == (None, 0)  # x does not require grad
    assert bias.variable is b and bias.name() == "nettrain::autograd::AccumulateGrad"
    assert transposed.name() == "TBackward0" and transposed.next_functions[0][0].variable is w


# --------------------------------------------------------------------------- custom Functions


class MyReLU(autograd.Function):
    """The tutorials' custom ReLU, in PyTorch's protocol."""

    @staticmethod
    def forward(ctx, input):  # noqa: A002
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors  # noqa: A001
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


class ScaledProduct(autograd.Function):
    """Two tensors and a number, PyTorch 2's setup_context style."""

    @staticmethod
    def forward(x, y, scale):
        return x * y * scale

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, y, scale = inputs
        ctx.save_for_backward(x, y)
        ctx.scale = scale

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        assert ctx.needs_input_grad == (True, False, False)
        return grad_output * y * ctx.scale, None, None


def test_custom_function_forward_backward_and_name():
    x = nt.tensor([-1.0, 2.0, -3.0, 4.0], requires_grad=True)
    y = MyReLU.apply(x)
    assert y.tolist() == [0.0, 2.0, 0.0, 4.0]
    assert y.grad_fn.name() == "MyReLUBackward" and y.grad_fn.next_functions[0][0].variable is x
    (y * nt.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    assert x.grad.tolist() == [0.0, 2.0, 0.0, 4.0]


def test_custom_function_setup_context_style_and_needs_input_grad():
    x = nt.tensor([1.0, 2.0], requires_grad=True)
    y = nt.tensor([3.0, 4.0])
    ScaledProduct.apply(x, y, 0.5).sum().backward()
    assert x.grad.tolist() == [1.5, 2.0]


def test_custom_function_without_inputs_needing_grad_records_nothing():
    out = MyReLU.apply(nt.tensor([-1.0, 1.0]))
    assert out.grad_fn is None and not out.requires_grad
    with nt.no_grad():
        assert MyReLU.apply(nt.tensor([-1.0, 1.0], requires_grad=True)).grad_fn is None


def test_custom_function_saved_tensor_changed_in_place_raises():
    x = nt.tensor([-1.0, 2.0], requires_grad=True)
    h = x * 1
    y = MyReLU.apply(h)
    with nt.no_grad():
        h.mul_(-1)
    with pytest.raises(RuntimeError, match="modified by an in-place operation: saved tensor 0 of MyReLUBackward"):
        y.sum().backward()


def test_custom_function_returning_the_wrong_number_of_gradients_says_so():
    class Bad(autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output  # one gradient for two arguments

    with pytest.raises(RuntimeError, match="BadBackward returned an incorrect number of gradients \\(expected 2"):
        Bad.apply(nt.ones(2, requires_grad=True), 3.0).sum().backward()


def test_autograd_gradcheck_on_custom_functions():
    x = nt.tensor(np.array([-1.5, -0.3, 0.4, 2.0]), dtype=nt.float64, requires_grad=True)
    assert autograd.gradcheck(MyReLU.apply, (x,))

    class WrongSquare(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * x  # should be 2x

    assert autograd.gradcheck(WrongSquare.apply, (x,), raise_exception=False) is False
    with pytest.raises(AssertionError, match="FAIL"):
        autograd.gradcheck(WrongSquare.apply, (x,))
