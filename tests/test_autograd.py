"""The autograd engine: the tutorials' known values, accumulation, graph
freeing, no_grad, in-place detection, deep graphs."""
import numpy as np
import pytest

import nettrain as nt


def test_tutorial_mean_of_squares_gives_27_and_grad_4_5():
    x = nt.ones(2, 2, requires_grad=True)
    y = x + 2
    z = y * y * 3
    out = z.mean()
    assert out.item() == 27.0
    out.backward()
    assert isinstance(x.grad, nt.Tensor)
    np.testing.assert_allclose(x.grad.numpy(), np.full((2, 2), 4.5))


def test_tutorial_design_example_gradient():
    x = nt.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    ((x + 2) * (x + 2) * 3).mean().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[4.5, 6.0], [7.5, 9.0]])


def test_vector_jacobian_product_of_doubling_loop():
    x = nt.randn(3, requires_grad=True)
    y = x * 2
    k = 1
    while y.array.dot(y.array) ** 0.5 < 1000:
        y = y * 2
        k += 1
    v = nt.tensor([0.1, 1.0, 0.0001])
    y.backward(v)
    np.testing.assert_allclose(x.grad.numpy(), v.numpy() * 2.0 ** k, rtol=1e-6)


def test_dot_gradient_is_4x():
    x = nt.arange(4, dtype=nt.float32).requires_grad_()
    y = 2 * nt.dot(x, x)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * x.detach().numpy())


def test_detach_cuts_the_graph():
    x = nt.randn(4, requires_grad=True)
    y = x * x
    u = y.detach()
    assert not u.requires_grad and u.grad_fn is None
    z = u * x
    z.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), u.numpy())


def test_sum_gives_ones_and_grads_accumulate_until_zeroed():
    x = nt.randn(2, 3, requires_grad=True)
    x.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 3)))
    x.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 2.0))
    x.grad.zero_()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3)))


def test_grad_fn_names_and_leaves():
    a = nt.randn(2, requires_grad=True)
    b = a * 3
    assert a.is_leaf and a.grad_fn is None
    assert not b.is_leaf
    assert repr(b.grad_fn).startswith("<MulBackward0 object at 0x")
    assert b.grad_fn.name() == "MulBackward0"
    assert (a + 1).grad_fn.name() == "AddBackward0"
    assert "grad_fn=<MulBackward0>" in repr(b)


def test_broadcasting_is_undone_in_backward():
    a = nt.randn(3, 1, requires_grad=True)
    b = nt.randn(4, requires_grad=True)
    c = nt.randn(2, 3, 4, requires_grad=True)
    (a * b + c).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (4,) and c.grad.shape == (2, 3, 4)
    np.testing.assert_allclose(a.grad.numpy()[:, 0], np.full(3, 2 * b.detach().numpy().sum()), rtol=1e-5)
    np.testing.assert_allclose(b.grad.numpy(), np.full(4, 2 * a.detach().numpy().sum()), rtol=1e-5)


def test_repeated_indices_accumulate():
    x = nt.zeros(5, requires_grad=True)
    x[nt.tensor([0, 2, 2, 2, 4])].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 0, 3, 0, 1])


def test_boolean_mask_and_slice_backward():
    x = nt.tensor([1.0, -2.0, 3.0, -4.0], requires_grad=True)
    (x[x > 0] * 10).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [10, 0, 10, 0])
    y = nt.arange(12, dtype=nt.float32).reshape(3, 4).requires_grad_()
    y[::2, -1].sum().backward()
    expected = np.zeros((3, 4))
    expected[[0, 2], 3] = 1
    np.testing.assert_array_equal(y.grad.numpy(), expected)


def test_no_grad_records_nothing_and_works_as_decorator():
    w = nt.randn(3, requires_grad=True)
    with nt.no_grad():
        y = w * 2
        with nt.enable_grad():
            z = w * 2
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad

    @nt.no_grad()
    def predict(v):
        return v * w

    assert not predict(nt.ones(3)).requires_grad
    assert nt.is_grad_enabled()


def test_weight_update_under_no_grad_like_the_tutorial():
    w = nt.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    loss.backward()
    with nt.no_grad():
        w -= 0.1 * w.grad
    w.grad.zero_()
    np.testing.assert_allclose(w.detach().numpy(), [0.8, 1.6])
    assert w.is_leaf and w.requires_grad


def test_in_place_on_leaf_requiring_grad_is_an_error():
    w = nt.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad.*no_grad"):
        w += 1


def test_in_place_change_to_a_saved_tensor_is_detected():
    w = nt.randn(3, requires_grad=True)
    x = nt.randn(3)
    y = (w * x).sum()
    x.mul_(2)  # Mul saved x for backward
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()


def test_in_place_change_to_a_saved_output_is_detected():
    w = nt.randn(3, requires_grad=True)
    e = w.exp()
    out = e.sum()
    with nt.no_grad():
        e.add_(1)  # Exp saved its output
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        out.backward()


def test_changing_where_condition_after_forward_is_detected():
    """The issue's example: the gradient used to come out [0, 0, 1] silently."""
    x = nt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    c = nt.tensor([True, False, True])
    y = nt.where(c, x, 0.0)
    c[0] = False
    with pytest.raises(RuntimeError, match="modified by an in-place operation: input 0 of WhereBackward0"):
        y.sum().backward()


@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
def test_changing_loss_targets_after_forward_is_detected(loss):
    logits = nt.randn(3, 4, requires_grad=True)
    target = nt.tensor([0, 3, 1])
    out = getattr(nt.nn.functional, loss)(logits, target)
    target[1] = 2
    with pytest.raises(RuntimeError, match="modified by an in-place operation: input 1"):
        out.backward()


def test_in_place_on_a_graph_tensor_then_on_its_new_value_is_detected():
    w = nt.tensor([0.5, 2.0], requires_grad=True)
    y = w * 1
    y.clamp_(-1, 1)  # recorded: y is now the clamp's output
    z = (y * y).sum()  # saves the clamped y
    with nt.no_grad():
        y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        z.backward()


def test_in_place_through_a_view_is_detected():
    w = nt.randn(4, requires_grad=True)
    x = nt.randn(4)
    y = (w * x).sum()
    view = x[1:]
    view.add_(1)
    with pytest.raises(RuntimeError, match="in-place"):
        y.backward()


def test_in_place_on_non_leaf_records_the_op():
    w = nt.tensor([1.0, 2.0], requires_grad=True)
    y = w * 1
    y *= 3
    y += 1
    y.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [3.0, 3.0])


def test_backward_twice_needs_retain_graph():
    x = nt.randn(3, requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * np.exp(x.detach().numpy()), rtol=1e-6)
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()


def test_backward_on_non_scalar_without_gradient_says_what_to_do():
    x = nt.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"scalar output.*shape \(3,\).*gradient="):
        (x * 2).backward()


def test_backward_gradient_shape_mismatch_names_both_shapes():
    x = nt.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"\(2,\).*\(3,\)"):
        (x * 2).backward(nt.ones(2))


def test_requires_grad_on_integer_tensor_is_an_error():
    with pytest.raises(RuntimeError, match="floating-point"):
        nt.tensor([1, 2, 3], requires_grad=True)


def test_shape_mismatch_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"\(2, 3\).*\(4, 5\)"):
        nt.randn(2, 3) @ nt.randn(4, 5)
    with pytest.raises(ValueError, match="operands could not be broadcast"):
        nt.randn(2, 3) + nt.randn(4)


def test_retain_grad_keeps_non_leaf_gradient():
    x = nt.randn(3, requires_grad=True)
    y = x * 2
    y.retain_grad()
    (y * y).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), 2 * y.detach().numpy(), rtol=1e-6)


def test_chain_of_100k_ops_backpropagates_without_recursion_error():
    x = nt.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0


def test_gradient_skipped_for_inputs_that_do_not_need_it():
    w = nt.randn(3, 2, requires_grad=True)
    x = nt.randn(4, 3)
    out = x @ w
    assert out.grad_fn.needs_input_grad == (False, True)
    out.sum().backward()
    assert x.grad is None and w.grad is not None


def test_grad_arrays_are_not_shared_between_leaves():
    a = nt.randn(3, requires_grad=True)
    b = nt.randn(3, requires_grad=True)
    (a + b).sum().backward()
    a.grad.array += 5
    np.testing.assert_array_equal(b.grad.numpy(), np.ones(3))
