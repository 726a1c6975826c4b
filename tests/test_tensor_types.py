"""dtypes, legacy tensor types, nettrain.Size and devices, as PyTorch spells them."""
import numpy as np
import pytest

import nettrain as nt


def test_dtype_objects_print_as_pytorch_and_aliases_are_the_same_object():
    assert repr(nt.float32) == str(nt.float32) == "nettrain.float32"
    assert str(nt.tensor([1.0]).dtype) == "nettrain.float32"
    assert nt.float is nt.float32 and nt.double is nt.float64 and nt.half is nt.float16
    assert nt.long is nt.int64 and nt.int is nt.int32 and nt.short is nt.int16
    assert str(nt.bool) == "nettrain.bool" and str(nt.uint8) == "nettrain.uint8" and str(nt.int8) == "nettrain.int8"
    assert nt.float32 != nt.float64 and nt.float32 == nt.float
    assert isinstance(nt.float32, nt.dtype)
    assert nt.float64.is_floating_point and not nt.int64.is_floating_point and nt.float32.itemsize == 4


@pytest.mark.parametrize("spelling", [nt.float64, nt.double, "float64", "double", np.float64])
def test_every_spelling_of_a_dtype_is_accepted(spelling):
    for t in (nt.tensor([1, 2], dtype=spelling), nt.ones(2, dtype=spelling), nt.zeros(2).to(spelling),
              nt.arange(2, dtype=spelling), nt.rand(2, dtype=spelling)):
        assert t.dtype is nt.float64


def test_dtypes_of_new_tensors_follow_pytorch():
    assert nt.tensor([1, 2]).dtype is nt.int64 and nt.tensor([1.0]).dtype is nt.float32
    assert nt.tensor([True]).dtype is nt.bool and nt.rand_like(nt.tensor([1, 2]), dtype=nt.float).dtype is nt.float32
    assert nt.from_numpy(np.ones(2)).dtype is nt.float64
    assert nt.tensor([1.0]).int().dtype is nt.int32 and nt.tensor([1.0]).half().dtype is nt.float16
    assert nt.tensor([1.0]).byte().dtype is nt.uint8 and nt.tensor([1.0]).char().dtype is nt.int8
    assert nt.tensor([1.0]).element_size() == 4 and nt.tensor([1.0]).double().element_size() == 8


def test_default_dtype_can_be_changed_and_only_to_a_float():
    assert nt.get_default_dtype() is nt.float32
    try:
        nt.set_default_dtype(nt.float64)
        assert nt.get_default_dtype() is nt.float64
        assert nt.tensor([1.5]).dtype is nt.float64 and nt.ones(2).dtype is nt.float64
        assert repr(nt.tensor([1.5])) == "tensor([1.5000])"  # the default is not printed
        assert repr(nt.tensor([1.5], dtype=nt.float32)) == "tensor([1.5000], dtype=nettrain.float32)"
    finally:
        nt.set_default_dtype(nt.float32)
    with pytest.raises(TypeError, match="only floating-point types are supported as the default type"):
        nt.set_default_dtype(nt.int64)
    assert nt.ones(1).dtype is nt.float32


def test_legacy_tensor_constructor_and_types():
    assert repr(nt.Tensor([1, 2])) == "tensor([1., 2.])"  # always the default float, as in PyTorch
    assert nt.Tensor(3, 4).shape == (3, 4) and nt.Tensor(3, 4).dtype is nt.float32
    assert nt.Tensor().shape == (0,) and nt.Tensor(nt.Size([2, 5])).shape == (2, 5)
    assert repr(nt.FloatTensor([1, 2])) == "tensor([1., 2.])"
    assert repr(nt.LongTensor([1, 2])) == "tensor([1, 2])"
    assert nt.DoubleTensor(2).dtype is nt.float64 and nt.BoolTensor([1, 0]).tolist() == [True, False]
    assert repr(nt.FloatTensor) == "<class 'nettrain.FloatTensor'>"
    assert isinstance(nt.ones(2), nt.FloatTensor) and not isinstance(nt.ones(2), nt.LongTensor)
    with pytest.raises(TypeError, match="takes data .* or sizes"):
        nt.Tensor([1], [2])


def test_type_reports_and_converts_as_pytorch():
    t = nt.tensor([1.5, 2.5])
    assert t.type() == "nettrain.FloatTensor" and nt.tensor([1]).type() == "nettrain.LongTensor"
    assert nt.tensor([True]).type() == "nettrain.BoolTensor"
    assert t.type(nt.LongTensor).tolist() == [1, 2] and t.type(nt.LongTensor).dtype is nt.int64
    assert t.type(nt.float64).dtype is nt.float64 and t.type("torch.DoubleTensor").dtype is nt.float64
    y = nt.cat((nt.zeros(2), nt.ones(2))).type(nt.LongTensor)
    assert y.tolist() == [0, 0, 1, 1] and t.type_as(y).dtype is nt.int64


def test_is_tensor_is_floating_point_numel():
    assert nt.is_tensor(nt.ones(1)) and nt.is_tensor(nt.nn.Parameter(nt.ones(1)))
    assert not nt.is_tensor([1.0]) and not nt.is_tensor(np.ones(1))
    assert nt.is_floating_point(nt.ones(1)) and not nt.is_floating_point(nt.tensor([1]))
    assert nt.numel(nt.ones(2, 3)) == 6 and nt.ones(2, 3).nelement() == 6


def test_size_is_a_tuple_that_prints_as_pytorch():
    s = nt.ones(3, 4).shape
    assert isinstance(s, nt.Size) and isinstance(s, tuple)
    assert repr(s) == str(s) == "nettrain.Size([3, 4])" and f"{s}" == "nettrain.Size([3, 4])"
    assert s == (3, 4) and (3, 4) == s and hash(s) == hash((3, 4))
    assert nt.ones(3, 4).size() == s and repr(nt.tensor(1.0).shape) == "nettrain.Size([])"
    assert isinstance(s[1:], nt.Size) and repr(s[1:]) == "nettrain.Size([4])" and s[0] == 3
    assert isinstance(s + (5,), nt.Size) and s.numel() == 12
    a, b = s
    assert (a, b) == (3, 4)


def test_size_of_a_dim_takes_negative_dims_and_checks_the_range():
    t = nt.ones(2, 3)
    assert t.size(-1) == 3 and t.size(0) == 2 and t.size(dim=1) == 3 and t.size(-2) == 2
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        t.size(2)


def test_devices_print_and_compare_as_pytorch():
    assert repr(nt.device("cpu")) == "device(type='cpu')" and str(nt.device("cpu")) == "cpu"
    assert repr(nt.device("cuda", 0)) == "device(type='cuda', index=0)" and str(nt.device("cuda", 1)) == "cuda:1"
    assert repr(nt.device("cuda")) == "device(type='cuda')" and repr(nt.device("cuda:2")) == "device(type='cuda', index=2)"
    t = nt.ones(2)
    assert repr(t.device) == "device(type='cpu')" and f"{t.device}" == "cpu"
    assert t.device.type == "cpu" and t.device.index is None and t.device == nt.device("cpu")
    with pytest.raises(ValueError, match="unknown device"):
        nt.device("tpu")
    with pytest.raises(ValueError, match="already names an index"):
        nt.device("cuda:0", 1)


def test_the_tutorials_device_line_runs_without_a_gpu():
    device = nt.device("cuda" if nt.cuda.is_available() else "cpu")
    assert nt.cuda.device_count() == (0 if not nt.cuda.is_available() else nt.cuda.device_count())
    if not nt.cuda.is_available():
        assert device == nt.device("cpu") and nt.cuda.device_count() == 0
    x = nt.ones(2).to(device)
    assert x.device == device


def test_cuda_manual_seed_leaves_the_cpu_stream_alone():
    nt.manual_seed(0)
    first = nt.rand(3).tolist()
    nt.manual_seed(0)
    nt.cuda.manual_seed(123)
    nt.cuda.manual_seed_all(7)
    assert nt.rand(3).tolist() == first
    with pytest.raises(TypeError, match="seed must be an int"):
        nt.cuda.manual_seed("1")


def test_cuda_without_a_gpu_is_the_clear_error():
    if nt.cuda.is_available():
        pytest.skip("a GPU is present")
    for move in (lambda t: t.to("cuda"), lambda t: t.cuda(), lambda t: t.to(nt.device("cuda", 0))):
        with pytest.raises(RuntimeError, match="CUDA device was asked for"):
            move(nt.ones(2))


def test_to_takes_another_tensor_and_copy():
    a = nt.ones(2)
    assert a.to(nt.tensor([1], dtype=nt.int32)).dtype is nt.int32
    assert a.to(a) is a and a.to(a, copy=True) is not a
