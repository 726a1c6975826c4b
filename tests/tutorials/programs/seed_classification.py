# The seeds' "分类问题" and "多分类" (../shared/seeds/001_71e1caec2e8e394e.txt),
# as printed except 1000 / 10000 -> 300 epochs, and the two programs one after
# the other (the second reuses the first's imports and draw()).
import torch
import matplotlib.pyplot as plt
from torch import nn, optim
from time import perf_counter
import numpy as np
import torch.nn.functional as F


def draw(output):
    if CUDA:
        output = output.cpu()
    plt.cla()
    output = torch.max((output), 1)[1]
    pred_y = output.data.numpy().squeeze()
    target_y = y.numpy()
    plt.scatter(x.numpy()[:, 0], x.numpy()[:, 1], c=pred_y, s=10, lw=0, cmap='RdYlGn')
    accuracy = sum(pred_y == target_y) / 1000.0
    plt.text(1.5, -4, 'Accuracy=%s' % (accuracy), fontdict={'size': 20, 'color': 'red'})
    plt.pause(0.1)


N = 500
cluster = torch.ones(N, 2)
data0 = torch.normal(4 * cluster, 2)
data1 = torch.normal(-4 * cluster, 2)
label0 = torch.zeros(N)
label1 = torch.ones(N)

x = torch.cat((data0, data1), ).type(torch.FloatTensor)
y = torch.cat((label0, label1), ).type(torch.LongTensor)


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.linear = nn.Linear(2, 2)

    def forward(self, x):
        x = self.linear(x)
        x = torch.sigmoid(x)
        return x


CUDA = torch.cuda.is_available()
if CUDA:
    net = Net().cuda()
    inputs = x.cuda()
    targets = y.cuda()
else:
    net = Net()
    inputs = x
    targets = y


def train(model, criterion, optimizer, epochs):
    for ep in range(epochs):
        outputs = model(inputs)
        loss = criterion(outputs, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if ep % 80 == 0:
            draw(outputs)


optimizer = optim.SGD(net.parameters(), lr=0.02)
criterion = nn.CrossEntropyLoss()
train(net, criterion, optimizer, 300)
two_class_accuracy = (torch.max(net(inputs), 1)[1] == targets).float().mean().item()
print('two clouds:', two_class_accuracy)

# 多分类
N = 500
cluster = torch.ones(N, 2)
data0 = torch.normal(4*cluster, 2)
data1 = torch.normal(-4*cluster, 1)
data2 = torch.normal(-8*cluster, 1)
label0 = torch.zeros(N)
label1 = torch.ones(N)
label2 = label1 * 2

x = torch.cat((data0, data1, data2), ).type(torch.FloatTensor)
y = torch.cat((label0, label1, label2), ).type(torch.LongTensor)


class Net(nn.Module):
    def __init__(self, input_feature, num_hidden, outputs):
        super(Net, self).__init__()
        self.hidden = nn.Linear(input_feature, num_hidden)
        self.out = nn.Linear(num_hidden, outputs)

    def forward(self, x ):
        x = F.relu( self.hidden(x) )
        x = F.softmax(self.out(x))
        return x


CUDA = torch.cuda.is_available()
if CUDA:
    net = Net(input_feature=2, num_hidden=20,outputs=3).cuda()
    inputs = x.cuda()
    target = y.cuda()
else:
    net = Net(input_feature=2, num_hidden=20,outputs=3)
    inputs = x
    target = y

optimizer = optim.SGD(net.parameters(), lr=0.02)
criterion = nn.CrossEntropyLoss()


def train(model, criterion, optimizer, epochs):
    for ep in range(epochs):
        outputs = model(inputs)
        loss = criterion(outputs, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if ep % 80 == 0:
            draw(outputs)


train(net, criterion, optimizer, 300)
three_class_accuracy = (torch.max(net(inputs), 1)[1] == target).float().mean().item()
print('three clouds:', three_class_accuracy)
