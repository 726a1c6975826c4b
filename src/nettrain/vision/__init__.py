"""``nettrain.vision``: what the tutorials take from torchvision, by its names::

    import nettrain.vision as torchvision
    import nettrain.vision.transforms as transforms
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    trainset = torchvision.datasets.MNIST("data", train=True, download=True, transform=transform)

``datasets`` (MNIST, FashionMNIST over nettrain's data files and lookup),
``transforms`` (Compose, ToTensor, Normalize, Resize, Lambda) and ``utils``
(make_grid).
"""
from . import datasets, transforms, utils  # noqa: F401
