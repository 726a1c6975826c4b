"""Tensor tutorials (the Blitz, d2l.ai's preliminaries, the seeds' snippets)
run with only their imports changed, printing what PyTorch prints."""


def test_blitz_tensor_tutorial(tutorial):
    out = tutorial.check("blitz_tensor", numbers="masked")  # rand() values differ from PyTorch's generator
    assert "Shape of tensor: nettrain.Size([3, 4])" in out
    assert "Datatype of tensor: nettrain.float32\nDevice tensor is stored on: cpu" in out
    assert "12.0 <class 'float'>" in out
    assert "t: tensor([2., 2., 2., 2., 2.], dtype=nettrain.float64)\nn: [2. 2. 2. 2. 2.]" in out
    assert "tensor([[6., 5., 6., 6.],\n        [6., 5., 6., 6.]," in out


def test_d2l_linear_algebra(tutorial):
    out = tutorial.check("d2l_linear_algebra")  # deterministic: PyTorch's exact text
    assert "tensor([[ 6.],\n        [22.],\n        [38.],\n        [54.],\n        [70.]])" in out
    assert "tensor(5.)\ntensor(7.)\ntensor(6.)" in out  # norm, abs().sum(), norm of ones(4, 9)
    assert "tensor([40., 45., 50., 55.]) nettrain.Size([4])" in out  # sum(axis=0)


def test_d2l_autograd(tutorial):
    out = tutorial.check("d2l_autograd", numbers="masked")  # randn(size=()) in the last part
    assert out.startswith("tensor([0., 1., 2., 3.])\nNone\ntensor(28., grad_fn=<MulBackward0>)\n"
                          "tensor([ 0.,  4.,  8., 12.])\ntensor([True, True, True, True])\n")
    assert "tensor(6., grad_fn=<SumBackward0>) tensor([1., 1., 1., 1.])" in out
    assert "tensor([0., 1., 4., 9.], grad_fn=<MulBackward0>) tensor([0., 2., 4., 6.])" in out
    assert out.endswith("tensor(True)\n")


def test_blitz_autograd_gentle_introduction(tutorial):
    out = tutorial.check("blitz_autograd_gentle", numbers="masked")
    assert out.startswith("tensor([-12.,  65.], grad_fn=<SubBackward0>)\ntensor([True, True])\ntensor([True, True])\n"
                          "tensor([36., 81.]) tensor([-12.,  -8.])\n")
    assert "Does `a` require gradients?: False\nDoes `b` require gradients?: True" in out


def test_d2l_ndarray(tutorial):
    out = tutorial.check("d2l_ndarray")  # PyTorch's exact text
    assert "tensor([ 3.,  4.,  6., 10.]) tensor([-1.,  0.,  2.,  6.])" in out


def test_blitz_autograd_tutorial(tutorial):
    # `while y.data.norm() < 1000` needs .data to be a Tensor; randn values differ from PyTorch's
    out = tutorial.check("blitz_autograd", numbers="masked")
    assert out.startswith("tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)\n"
                          "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)\n<AddBackward>\n"
                          "tensor([[27., 27.],\n        [27., 27.]], grad_fn=<MulBackward0>) "
                          "tensor(27., grad_fn=<MeanBackward0>)\nFalse\nTrue\n<SumBackward>\n"
                          "tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]])\n")
    assert out.endswith("True\nTrue\nFalse\nTrue\nFalse\ntensor(True)\n")


def test_seeds_linear_regression_by_hand(tutorial):
    # torch.Tensor(list), w.data = w.data - lr * w.grad, x.size(), unsqueeze, normal, .type(LongTensor)
    out = tutorial.check("seeds_linear_regression", numbers="masked")
    assert out.startswith("nettrain.Size([5])\nnettrain.Size([5])\nfinal loss: ")
    assert "nettrain.Size([2, 3]) nettrain.Size([2, 3])\ntensor([-3.0000, -1.5000,  0.0000,  1.5000,  3.0000]) nettrain.Size([5])" in out
    assert out.endswith("nettrain.Size([10, 2]) nettrain.float32 tensor([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]) nettrain.LongTensor\n")


def test_seeds_two_layer_network_by_hand(tutorial):
    out = tutorial.check("seeds_two_layer_by_hand", numbers="masked")
    assert out.startswith("tensor([[4.5000, 6.0000],\n        [7.5000, 9.0000]], dtype=nettrain.float64)\n"
                          "tensor([ 512., 1024., 1536.], dtype=nettrain.float64, grad_fn=<MulBackward0>)\n"
                          "tensor([5.1200e+01, 5.1200e+02, 5.1200e-02], dtype=nettrain.float64)\n")
    losses = [float(part.split("loss=")[1].split()[0]) for part in out.split("\r")[1:]]
    assert len(losses) == 20 and losses[-1] < losses[0] / 100  # the hand-written SGD fits
