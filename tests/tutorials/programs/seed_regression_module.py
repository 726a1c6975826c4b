# The seeds' "人工神经元-线性回归-module" (../shared/seeds/001_71e1caec2e8e394e.txt),
# as printed except 10000 -> 1000 epochs, and without the timing line.
import torch
import matplotlib.pyplot as plt
from torch import nn, optim
from time import perf_counter
import numpy as np
from typing import Any

x = torch.unsqueeze(torch.linspace(-3, 3, 1000), dim=1)
y = x + 1.2 * torch.rand(x.size())


class LR(nn.Module):
    def __init__(self):
        super(LR, self).__init__()
        self.liner = nn.Linear(1, 1)

    def forward(self, x: Any):
        out = self.liner(x)
        return out


CUDA = torch.cuda.is_available()
if CUDA:
    LR_model = LR().cuda()
    inputs = x.cuda()
    target = y.cuda()
else:
    LR_model = LR()
    inputs = x
    target = y

criterion = nn.MSELoss()
optimizer = optim.SGD(LR_model.parameters(), lr=1e-4)


def draw(output, loss):
    if CUDA:
        output = output.cpu()
    plt.cla()
    plt.scatter(x.numpy(), y.numpy(), marker='.')
    plt.plot(x.numpy(), output.data.numpy(), 'r-', lw=5)
    plt.text(0.5, 0, 'Loss=%.8s' % (loss.item()), fontdict={'size': 20, 'color': 'red'})
    plt.pause(0.005)


def train(model, criterion, optimizer, epochs):
    for ep in range(epochs):
        output = model(inputs)
        loss = criterion(output, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if ep % 80 == 0:
            draw(output, loss)
    return model, loss


start = perf_counter()
LR_model, loss = train(LR_model, criterion, optimizer, 1000)
finish = perf_counter()
time = finish - start
print("final loss:", loss.item())
print("weights:", list(LR_model.parameters()))
