"""``.data`` is a Tensor (PyTorch's): shared memory, no grad, no graph; the raw array is ``.array``."""
import numpy as np
import pytest

import nettrain as nt


def test_data_is_a_tensor_sharing_memory_outside_the_graph():
    w = nt.tensor([1.0, 2.0], requires_grad=True)
    d = w.data
    assert isinstance(d, nt.Tensor) and not d.requires_grad and d.grad_fn is None and d.is_leaf
    d[0] = 5.0
    assert w.tolist() == [5.0, 2.0]  # same memory
    y = (w * 3).sum()
    assert y.data.item() == 21.0 and y.data.grad_fn is None
    assert isinstance(w.array, np.ndarray) and w.array is w.data.array


def test_tutorial_updates_through_data():
    w = nt.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    lr = 0.1
    w.data -= lr * w.grad.data  # in place: w keeps its identity, requires_grad and graph-free state
    assert w.tolist() == pytest.approx([0.8, 1.6]) and w.requires_grad and w.is_leaf
    w.data.sub_(w.grad.data * lr)
    assert w.tolist() == pytest.approx([0.6, 1.2])
    w.grad.data.zero_()
    assert w.grad.tolist() == [0.0, 0.0]


def test_assigning_data_swaps_the_values_keeping_the_tensor():
    w = nt.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    grad = w.grad
    same = w
    w.data = w.data - 0.5 * w.grad  # the seeds' linear regression update
    assert w is same and w.requires_grad and w.grad is grad and w.tolist() == [0.0, 0.0]
    w.data = nt.zeros(3, 2)  # the shape may change
    assert w.shape == (3, 2) and w.requires_grad
    with pytest.raises(TypeError, match=r"the value assigned to .data must be a Tensor, not numpy.ndarray"):
        w.data = np.ones(2)


def test_max_of_outputs_data_over_a_dim():
    outputs = nt.tensor([[0.1, 0.9], [0.8, 0.2]], requires_grad=True) * 1
    _, predicted = nt.max(outputs.data, 1)
    assert predicted.tolist() == [1, 0]
    assert (predicted == nt.tensor([1, 1])).sum().item() == 1


def test_norm_of_data_and_the_while_loop():
    x = nt.tensor([1.0, 2.0, 3.0], dtype=nt.double, requires_grad=True)
    y = x * 2
    while y.data.norm() < 1000:
        y = y * 2
    y.backward(nt.tensor([0.1, 1.0, 0.0001], dtype=nt.float))
    assert x.grad.tolist() == pytest.approx([51.2, 512.0, 0.0512])  # as PyTorch (the seeds' 003)
