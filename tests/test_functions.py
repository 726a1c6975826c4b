"""The function namespace: nettrain.<op>(...) with PyTorch's alpha= and out=."""
import numpy as np
import pytest

import nettrain as nt


def test_add_and_sub_take_alpha_as_functions_and_methods():
    a, b = nt.tensor([1.0, 2.0]), nt.tensor([10.0, 20.0])
    assert nt.add(a, b, alpha=2).tolist() == [21.0, 42.0] and a.add(b, alpha=2).tolist() == [21.0, 42.0]
    assert nt.sub(b, a, alpha=3).tolist() == [7.0, 14.0] and b.sub(a, alpha=3).tolist() == [7.0, 14.0]
    assert nt.add(a, 1).tolist() == [2.0, 3.0] and nt.mul(2, a).tolist() == [2.0, 4.0]
    assert nt.div(nt.tensor([7, -7]), 2, rounding_mode="floor").tolist() == [3, -4]
    assert nt.div(nt.tensor([7, -7]), 2, rounding_mode="trunc").tolist() == [3, -3]
    assert nt.pow(a, 2).tolist() == [1.0, 4.0] and nt.pow(2, a).tolist() == [2.0, 4.0]


def test_out_writes_into_the_given_tensor():
    a = nt.tensor([[1.0, 0.0], [1.0, 1.0]])
    out = nt.rand(2, 2)
    assert nt.matmul(a, a.T, out=out) is out
    assert out.tolist() == [[1.0, 1.0], [1.0, 2.0]]
    z = nt.rand(2, 2)
    nt.mul(a, a, out=z)
    assert z.tolist() == a.tolist()
    grown = nt.empty(0)
    nt.cat([a, a], out=grown)
    assert grown.shape == (4, 2)
    with pytest.raises(RuntimeError, match="out=... arguments don't support automatic differentiation"):
        nt.exp(nt.ones(2, requires_grad=True), out=nt.empty(2))


def test_comparisons_as_functions():
    a = nt.tensor([1.0, 2.0])
    assert nt.equal(a, nt.tensor([1.0, 2.0])) and not nt.equal(a, nt.tensor([1.0, 2.0, 3.0]))
    assert nt.allclose(a, a + 1e-7) and not nt.allclose(a, a + 1e-3)
    assert nt.isclose(a, nt.tensor([1.0, 2.1])).tolist() == [True, False]


def test_normal_draws_per_element_or_by_size():
    data0 = nt.normal(4 * nt.ones(500, 2), 2)
    assert data0.shape == (500, 2) and data0.dtype is nt.float32 and abs(data0.mean().item() - 4) < 0.3
    assert nt.normal(0.0, 1.0, size=(3, 4)).shape == (3, 4)
    nt.manual_seed(1)
    first = nt.normal(nt.zeros(3), 1).tolist()
    nt.manual_seed(1)
    assert nt.normal(nt.zeros(3), 1).tolist() == first


def test_a_numpy_array_where_a_tensor_is_required_is_a_type_error_naming_it():
    with pytest.raises(TypeError, match=r"max\(\): argument 'input' must be a Tensor, not numpy.ndarray"):
        nt.max(np.ones(3))
    with pytest.raises(TypeError, match="must be a Tensor, not list"):
        nt.exp([1.0])
    with pytest.raises(TypeError, match=r"tensors\[1\] must be a Tensor, not numpy.ndarray"):
        nt.cat([nt.ones(1), np.ones(1)])


def test_a_numpy_array_given_to_a_module_or_loss_is_a_type_error_naming_it():
    x = np.ones((1, 2), dtype=np.float32)
    with pytest.raises(TypeError, match=r"linear\(\): argument 1 must be a Tensor, not numpy.ndarray \(wrap it"):
        nt.nn.Linear(2, 2)(x)
    with pytest.raises(TypeError, match="must be a Tensor, not numpy.ndarray"):
        nt.nn.functional.cross_entropy(np.ones((2, 3)), nt.tensor([0, 1]))
    with nt.no_grad(), pytest.raises(TypeError, match="must be a Tensor, not list"):
        nt.nn.ReLU()([1.0, 2.0])


def test_fill_diagonal_as_pytorch():
    t = nt.zeros(5, 3)
    assert t.fill_diagonal_(2.0) is t
    assert t.tolist() == [[2, 0, 0], [0, 2, 0], [0, 0, 2], [0, 0, 0], [0, 0, 0]]
    wrapped = nt.zeros(7, 3).fill_diagonal_(1.0, wrap=True)
    assert wrapped.tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]]
    assert nt.zeros(2, 2, 2).fill_diagonal_(3.0).sum().item() == 6.0
    with pytest.raises(RuntimeError, match="all dimensions of input must be of equal length"):
        nt.zeros(2, 3, 2).fill_diagonal_(1.0)
