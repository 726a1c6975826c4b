"""Tensor tutorials (the Blitz, d2l.ai's preliminaries, the seeds' snippets)
run with only their imports changed, printing what PyTorch prints."""


def test_blitz_tensor_tutorial(tutorial):
    out = tutorial.check("blitz_tensor", numbers="masked")  # rand() values differ from PyTorch's generator
    assert "Shape of tensor: nettrain.Size([3, 4])" in out
    assert "Datatype of tensor: nettrain.float32\nDevice tensor is stored on: cpu" in out
    assert "12.0 <class 'float'>" in out
    assert "t: tensor([2., 2., 2., 2., 2.], dtype=nettrain.float64)\nn: [2. 2. 2. 2. 2.]" in out
    assert "tensor([[6., 5., 6., 6.],\n        [6., 5., 6., 6.]," in out
