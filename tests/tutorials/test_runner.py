"""The tutorial runner changes import lines only."""


def test_only_pytorch_import_lines_change(tutorial):
    to_nettrain = tutorial.to_nettrain
    source = (
        "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport torch.optim as optim\n"
        "from torch import nn, optim\nfrom torch.utils.data import DataLoader\nimport torchvision\n"
        "from torchvision import datasets, transforms\nimport torchvision.transforms as transforms\n"
        "from torch.autograd import Variable\n"
        "x = torch.ones(2)  # import torch stays in comments\nprint('import torch')\n"
    )
    assert to_nettrain(source) == (
        "import nettrain as torch\nimport nettrain.nn as nn\nimport nettrain.nn.functional as F\n"
        "import nettrain.optim as optim\nfrom nettrain import nn, optim\nfrom nettrain.utils.data import DataLoader\n"
        "import nettrain.vision as torchvision\nfrom nettrain.vision import datasets, transforms\n"
        "import nettrain.vision.transforms as transforms\nfrom nettrain.autograd import Variable\n"
        "x = torch.ones(2)  # import torch stays in comments\nprint('import torch')\n"
    )


def test_masking_keeps_words_and_drops_values_and_alignment(tutorial):
    mask_numbers = tutorial.mask_numbers
    assert mask_numbers("tensor([[ 0.1234, -1.5000],\n        [ 2.0000e-05, 3.]])") == mask_numbers(
        "tensor([[-9.9000,  1.0000],\n        [ 7.0000,  8.0000]])"
    )
    assert mask_numbers("loss=0.25 epoch 3") == "loss=#epoch#"
    assert mask_numbers("tensor([1., 2.])") != mask_numbers("tensor([1., 2.], dtype=nettrain.float64)")


def test_graph_nodes_compare_without_their_addresses(tutorial):
    assert tutorial.without_addresses("<AddBackward0 object at 0x7f43d98b3df0>") == "<AddBackward>"
    assert tutorial.without_addresses("tensor(1., grad_fn=<AddBackward0>)") == "tensor(1., grad_fn=<AddBackward0>)"
