"""Tensors print exactly as PyTorch prints them (module name aside).

The expected strings are PyTorch 2.x's own output with ``torch.`` replaced by
``nettrain.``; when torch is installed each case is also checked against it
live.
"""
import pytest

import nettrain as nt

# (expression with `lib` standing for the library, PyTorch's repr of it)
REPR_CASES = [
    ('lib.tensor([[4.5, 4.5], [4.5, 4.5]])',
     'tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]])'),
    ('lib.tensor([[4.5, 6.0], [7.5, 9.0]], dtype=lib.float64)',
     'tensor([[4.5000, 6.0000],\n        [7.5000, 9.0000]], dtype=nettrain.float64)'),
    ('lib.tensor([51.2, 0.001])',
     'tensor([5.1200e+01, 1.0000e-03])'),
    ('lib.tensor([1e-5, 1.0])',
     'tensor([1.0000e-05, 1.0000e+00])'),
    ('lib.tensor([1e9, 1.0])',
     'tensor([1.0000e+09, 1.0000e+00])'),
    ('lib.tensor([100000.0, 1.0])',
     'tensor([1.0000e+05, 1.0000e+00])'),
    ('lib.tensor([123456.0, 7.0])',
     'tensor([1.2346e+05, 7.0000e+00])'),
    ('lib.tensor([0.1, 0.12345678, -2.5])',
     'tensor([ 0.1000,  0.1235, -2.5000])'),
    ('lib.tensor([True, False, True])',
     'tensor([ True, False,  True])'),
    ('lib.tensor([1, -20, 300])',
     'tensor([  1, -20, 300])'),
    ('lib.tensor([1, 2], dtype=lib.int32)',
     'tensor([1, 2], dtype=nettrain.int32)'),
    ('lib.tensor([1, 2], dtype=lib.uint8)',
     'tensor([1, 2], dtype=nettrain.uint8)'),
    ('lib.tensor([1.5, 2.0], dtype=lib.float16)',
     'tensor([1.5000, 2.0000], dtype=nettrain.float16)'),
    ('lib.tensor(3.14159)',
     'tensor(3.1416)'),
    ('lib.tensor(7)',
     'tensor(7)'),
    ('lib.tensor(2.0)',
     'tensor(2.)'),
    ('lib.tensor([])',
     'tensor([])'),
    ('lib.zeros(0, 3)',
     'tensor([], size=(0, 3))'),
    ('lib.zeros(0, dtype=lib.int64)',
     'tensor([], dtype=nettrain.int64)'),
    ("lib.tensor([float('nan'), float('inf'), -float('inf'), 1.0])",
     'tensor([nan, inf, -inf, 1.])'),
    ("lib.tensor([float('nan'), 1.5])",
     'tensor([   nan, 1.5000])'),
    ('lib.tensor([0.0, 0.0])',
     'tensor([0., 0.])'),
    ('lib.tensor([-0.0, 1e-10])',
     'tensor([-0.0000e+00, 1.0000e-10])'),
    ('lib.ones(2, 2, requires_grad=True)',
     'tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)'),
    ('lib.ones(2, 3, 4) * 0.5',
     'tensor([[[0.5000, 0.5000, 0.5000, 0.5000],\n         [0.5000, 0.5000, 0.5000, 0.5000],\n         [0.5000, 0.5000, 0.5000, 0.5000]],\n\n        [[0.5000, 0.5000, 0.5000, 0.5000],\n         [0.5000, 0.5000, 0.5000, 0.5000],\n         [0.5000, 0.5000, 0.5000, 0.5000]]])'),
    ('lib.arange(12).reshape(3, 4)',
     'tensor([[ 0,  1,  2,  3],\n        [ 4,  5,  6,  7],\n        [ 8,  9, 10, 11]])'),
    ('lib.arange(2000)',
     'tensor([   0,    1,    2,  ..., 1997, 1998, 1999])'),
    ('lib.arange(1200.0).reshape(40, 30)',
     'tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 2.7000e+01, 2.8000e+01,\n         2.9000e+01],\n        [3.0000e+01, 3.1000e+01, 3.2000e+01,  ..., 5.7000e+01, 5.8000e+01,\n         5.9000e+01],\n        [6.0000e+01, 6.1000e+01, 6.2000e+01,  ..., 8.7000e+01, 8.8000e+01,\n         8.9000e+01],\n        ...,\n        [1.1100e+03, 1.1110e+03, 1.1120e+03,  ..., 1.1370e+03, 1.1380e+03,\n         1.1390e+03],\n        [1.1400e+03, 1.1410e+03, 1.1420e+03,  ..., 1.1670e+03, 1.1680e+03,\n         1.1690e+03],\n        [1.1700e+03, 1.1710e+03, 1.1720e+03,  ..., 1.1970e+03, 1.1980e+03,\n         1.1990e+03]])'),
    ('lib.arange(3000.0).reshape(10, 10, 30) / 7',
     'tensor([[[0.0000e+00, 1.4286e-01, 2.8571e-01,  ..., 3.8571e+00,\n          4.0000e+00, 4.1429e+00],\n         [4.2857e+00, 4.4286e+00, 4.5714e+00,  ..., 8.1429e+00,\n          8.2857e+00, 8.4286e+00],\n         [8.5714e+00, 8.7143e+00, 8.8571e+00,  ..., 1.2429e+01,\n          1.2571e+01, 1.2714e+01],\n         ...,\n         [3.0000e+01, 3.0143e+01, 3.0286e+01,  ..., 3.3857e+01,\n          3.4000e+01, 3.4143e+01],\n         [3.4286e+01, 3.4429e+01, 3.4571e+01,  ..., 3.8143e+01,\n          3.8286e+01, 3.8429e+01],\n         [3.8571e+01, 3.8714e+01, 3.8857e+01,  ..., 4.2429e+01,\n          4.2571e+01, 4.2714e+01]],\n\n        [[4.2857e+01, 4.3000e+01, 4.3143e+01,  ..., 4.6714e+01,\n          4.6857e+01, 4.7000e+01],\n         [4.7143e+01, 4.7286e+01, 4.7429e+01,  ..., 5.1000e+01,\n          5.1143e+01, 5.1286e+01],\n         [5.1429e+01, 5.1571e+01, 5.1714e+01,  ..., 5.5286e+01,\n          5.5429e+01, 5.5571e+01],\n         ...,\n         [7.2857e+01, 7.3000e+01, 7.3143e+01,  ..., 7.6714e+01,\n          7.6857e+01, 7.7000e+01],\n         [7.7143e+01, 7.7286e+01, 7.7429e+01,  ..., 8.1000e+01,\n          8.1143e+01, 8.1286e+01],\n         [8.1429e+01, 8.1571e+01, 8.1714e+01,  ..., 8.5286e+01,\n          8.5429e+01, 8.5571e+01]],\n\n        [[8.5714e+01, 8.5857e+01, 8.6000e+01,  ..., 8.9571e+01,\n          8.9714e+01, 8.9857e+01],\n         [9.0000e+01, 9.0143e+01, 9.0286e+01,  ..., 9.3857e+01,\n          9.4000e+01, 9.4143e+01],\n         [9.4286e+01, 9.4429e+01, 9.4571e+01,  ..., 9.8143e+01,\n          9.8286e+01, 9.8429e+01],\n         ...,\n         [1.1571e+02, 1.1586e+02, 1.1600e+02,  ..., 1.1957e+02,\n          1.1971e+02, 1.1986e+02],\n         [1.2000e+02, 1.2014e+02, 1.2029e+02,  ..., 1.2386e+02,\n          1.2400e+02, 1.2414e+02],\n         [1.2429e+02, 1.2443e+02, 1.2457e+02,  ..., 1.2814e+02,\n          1.2829e+02, 1.2843e+02]],\n\n        ...,\n\n        [[3.0000e+02, 3.0014e+02, 3.0029e+02,  ..., 3.0386e+02,\n          3.0400e+02, 3.0414e+02],\n         [3.0429e+02, 3.0443e+02, 3.0457e+02,  ..., 3.0814e+02,\n          3.0829e+02, 3.0843e+02],\n         [3.0857e+02, 3.0871e+02, 3.0886e+02,  ..., 3.1243e+02,\n          3.1257e+02, 3.1271e+02],\n         ...,\n         [3.3000e+02, 3.3014e+02, 3.3029e+02,  ..., 3.3386e+02,\n          3.3400e+02, 3.3414e+02],\n         [3.3429e+02, 3.3443e+02, 3.3457e+02,  ..., 3.3814e+02,\n          3.3829e+02, 3.3843e+02],\n         [3.3857e+02, 3.3871e+02, 3.3886e+02,  ..., 3.4243e+02,\n          3.4257e+02, 3.4271e+02]],\n\n        [[3.4286e+02, 3.4300e+02, 3.4314e+02,  ..., 3.4671e+02,\n          3.4686e+02, 3.4700e+02],\n         [3.4714e+02, 3.4729e+02, 3.4743e+02,  ..., 3.5100e+02,\n          3.5114e+02, 3.5129e+02],\n         [3.5143e+02, 3.5157e+02, 3.5171e+02,  ..., 3.5529e+02,\n          3.5543e+02, 3.5557e+02],\n         ...,\n         [3.7286e+02, 3.7300e+02, 3.7314e+02,  ..., 3.7671e+02,\n          3.7686e+02, 3.7700e+02],\n         [3.7714e+02, 3.7729e+02, 3.7743e+02,  ..., 3.8100e+02,\n          3.8114e+02, 3.8129e+02],\n         [3.8143e+02, 3.8157e+02, 3.8171e+02,  ..., 3.8529e+02,\n          3.8543e+02, 3.8557e+02]],\n\n        [[3.8571e+02, 3.8586e+02, 3.8600e+02,  ..., 3.8957e+02,\n          3.8971e+02, 3.8986e+02],\n         [3.9000e+02, 3.9014e+02, 3.9029e+02,  ..., 3.9386e+02,\n          3.9400e+02, 3.9414e+02],\n         [3.9429e+02, 3.9443e+02, 3.9457e+02,  ..., 3.9814e+02,\n          3.9829e+02, 3.9843e+02],\n         ...,\n         [4.1571e+02, 4.1586e+02, 4.1600e+02,  ..., 4.1957e+02,\n          4.1971e+02, 4.1986e+02],\n         [4.2000e+02, 4.2014e+02, 4.2029e+02,  ..., 4.2386e+02,\n          4.2400e+02, 4.2414e+02],\n         [4.2429e+02, 4.2443e+02, 4.2457e+02,  ..., 4.2814e+02,\n          4.2829e+02, 4.2843e+02]]])'),
    ('lib.linspace(-3, 3, 30)',
     'tensor([-3.0000, -2.7931, -2.5862, -2.3793, -2.1724, -1.9655, -1.7586, -1.5517,\n        -1.3448, -1.1379, -0.9310, -0.7241, -0.5172, -0.3103, -0.1034,  0.1034,\n         0.3103,  0.5172,  0.7241,  0.9310,  1.1379,  1.3448,  1.5517,  1.7586,\n         1.9655,  2.1724,  2.3793,  2.5862,  2.7931,  3.0000])'),
    ('lib.linspace(0, 1, 14, dtype=lib.float64)',
     'tensor([0.0000, 0.0769, 0.1538, 0.2308, 0.3077, 0.3846, 0.4615, 0.5385, 0.6154,\n        0.6923, 0.7692, 0.8462, 0.9231, 1.0000], dtype=nettrain.float64)'),
    ('lib.arange(40, dtype=lib.float64).reshape(2, 20) * 1.5',
     'tensor([[ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n         12.0000, 13.5000, 15.0000, 16.5000, 18.0000, 19.5000, 21.0000, 22.5000,\n         24.0000, 25.5000, 27.0000, 28.5000],\n        [30.0000, 31.5000, 33.0000, 34.5000, 36.0000, 37.5000, 39.0000, 40.5000,\n         42.0000, 43.5000, 45.0000, 46.5000, 48.0000, 49.5000, 51.0000, 52.5000,\n         54.0000, 55.5000, 57.0000, 58.5000]], dtype=nettrain.float64)'),
    ('lib.arange(30, dtype=lib.int32)',
     'tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,\n        18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29], dtype=nettrain.int32)'),
    ('lib.tensor([[1e-3, 2e-3], [3e-3, 4e-3]])',
     'tensor([[0.0010, 0.0020],\n        [0.0030, 0.0040]])'),
    ('lib.tensor([[-1.0, 2.0], [3.25, -400.0]], requires_grad=True)',
     'tensor([[  -1.0000,    2.0000],\n        [   3.2500, -400.0000]], requires_grad=True)'),
    ('lib.eye(3)',
     'tensor([[1., 0., 0.],\n        [0., 1., 0.],\n        [0., 0., 1.]])'),
]


@pytest.mark.parametrize("expression, expected", REPR_CASES, ids=[c[0] for c in REPR_CASES])
def test_repr_is_pytorchs(expression, expected):
    assert repr(eval(expression, {"lib": nt})) == expected


@pytest.mark.parametrize("expression, expected", REPR_CASES, ids=[c[0] for c in REPR_CASES])
def test_repr_cases_are_what_installed_torch_prints(expression, expected):
    torch = pytest.importorskip("torch")
    assert repr(eval(expression, {"lib": torch})).replace("torch.", "nettrain.") == expected


def _reprs():
    return [
        repr(nt.tensor([1.12345, 2.5])), repr(nt.arange(10)), repr(nt.tensor([1e-5, 1.0])),
        repr(nt.linspace(0, 1, 12)),
    ]


# set_printoptions(**options) -> the four reprs above, as PyTorch prints them
PRINT_OPTION_CASES = [
    ({"precision": 2}, ["tensor([1.12, 2.50])", "tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])", "tensor([1.00e-05, 1.00e+00])",
                        "tensor([0.00, 0.09, 0.18, 0.27, 0.36, 0.45, 0.55, 0.64, 0.73, 0.82, 0.91, 1.00])"]),
    ({"threshold": 5}, ["tensor([1.1235, 2.5000])", "tensor([0, 1, 2,  ..., 7, 8, 9])", "tensor([1.0000e-05, 1.0000e+00])",
                        "tensor([0.0000, 0.0909, 0.1818,  ..., 0.8182, 0.9091, 1.0000])"]),
    ({"sci_mode": False}, ["tensor([1.1235, 2.5000])", "tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])", "tensor([0.0000, 1.0000])",
                           "tensor([0.0000, 0.0909, 0.1818, 0.2727, 0.3636, 0.4545, 0.5455, 0.6364, 0.7273,\n"
                           "        0.8182, 0.9091, 1.0000])"]),
    ({"sci_mode": True}, ["tensor([1.1235e+00, 2.5000e+00])", "tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])",
                          "tensor([1.0000e-05, 1.0000e+00])",
                          "tensor([0.0000e+00, 9.0909e-02, 1.8182e-01, 2.7273e-01, 3.6364e-01, 4.5455e-01,\n"
                          "        5.4545e-01, 6.3636e-01, 7.2727e-01, 8.1818e-01, 9.0909e-01, 1.0000e+00])"]),
    ({"linewidth": 40}, ["tensor([1.1235, 2.5000])", "tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])", "tensor([1.0000e-05, 1.0000e+00])",
                         "tensor([0.0000, 0.0909, 0.1818, 0.2727,\n        0.3636, 0.4545, 0.5455, 0.6364,\n"
                         "        0.7273, 0.8182, 0.9091, 1.0000])"]),
    ({"profile": "short"}, ["tensor([1.12, 2.50])", "tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])", "tensor([1.00e-05, 1.00e+00])",
                            "tensor([0.00, 0.09, 0.18, 0.27, 0.36, 0.45, 0.55, 0.64, 0.73, 0.82, 0.91, 1.00])"]),
    ({"edgeitems": 0, "threshold": 5}, ["tensor([1.1235, 2.5000], size=(2,))", "tensor([...], size=(10,))",
                                        "tensor([1.0000e-05, 1.0000e+00], size=(2,))", "tensor([...], size=(12,))"]),
]


@pytest.fixture
def default_print_options():
    yield
    nt.set_printoptions(profile="default")


@pytest.mark.parametrize("options, expected", PRINT_OPTION_CASES, ids=[str(c[0]) for c in PRINT_OPTION_CASES])
def test_set_printoptions_changes_printing_as_in_pytorch(options, expected, default_print_options):
    nt.set_printoptions(**options)
    assert _reprs() == expected
    nt.set_printoptions(profile="default")
    assert _reprs()[0] == "tensor([1.1235, 2.5000])"


def test_set_printoptions_rejects_an_unknown_profile():
    with pytest.raises(ValueError, match="unknown print profile 'long'"):
        nt.set_printoptions(profile="long")


def test_zero_dim_tensors_format_as_their_number():
    loss = nt.tensor(1.23456, requires_grad=True)
    assert f"{loss:.3f}" == "1.235"
    assert "{}".format(nt.tensor(2.5)) == "2.5"
    assert "{:>8}".format(nt.tensor(3)) == "       3"
    assert "epoch=1 loss={}".format(nt.tensor(0.5)) == "epoch=1 loss=0.5"
    assert f"{nt.tensor([1.0, 2.0])}" == str(nt.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    with pytest.raises(TypeError, match="unsupported format string"):
        f"{nt.tensor([1.0, 2.0]):.3f}"


def test_max_and_min_over_a_dim_print_as_return_types():
    t = nt.tensor([[3.0, 1.0], [2.0, 5.0]])
    assert repr(t.min(1)) == "nettrain.return_types.min(\nvalues=tensor([1., 2.]),\nindices=tensor([1, 0]))"
    assert repr(nt.max(t, 1)) == "nettrain.return_types.max(\nvalues=tensor([3., 5.]),\nindices=tensor([0, 1]))"
    values, indices = t.max(dim=0)
    assert values.tolist() == [3.0, 5.0] and indices.tolist() == [0, 1]


def test_a_tensor_subclass_prints_its_own_name_and_a_parameter_as_pytorch():
    class Special(nt.Tensor):
        pass

    assert repr(Special([1.0, 2.0])) == "Special([1., 2.])"
    assert repr(nt.nn.Parameter(nt.ones(2))) == "Parameter containing:\ntensor([1., 1.], requires_grad=True)"
