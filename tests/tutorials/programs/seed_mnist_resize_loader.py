# The seeds' torchvision/DataLoader snippet (../shared/seeds/001_71e1caec2e8e394e.txt,
# "utils data.DataLoader"), with the `opt` it assumes made concrete and the
# first batch printed.
import argparse
import torch
from torchvision import datasets, transforms

opt = argparse.Namespace(img_size=32, batch_size=64)

dataloader = torch.utils.data.DataLoader(
    datasets.MNIST(
        "../../data/mnist",
        train=True,
        download=True,
        transform=transforms.Compose(
            [transforms.Resize(opt.img_size), transforms.ToTensor(), transforms.Normalize([0.5], [0.5])]
        ),
    ),
    batch_size=opt.batch_size,
    shuffle=True,
)

imgs, labels = next(iter(dataloader))
print(imgs.shape, labels.shape, len(dataloader))
print(imgs.min().item() >= -1, imgs.max().item() <= 1)
