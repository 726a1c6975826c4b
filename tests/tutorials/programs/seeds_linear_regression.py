# ../shared/seeds/001: "线性回归代码" (linear regression by hand) and the
# appendix's Size / unsqueeze snippets, unchanged (plotting left out).
import torch


def Produce_X(x):
    x0 = torch.ones(x.numpy().size)
    X = torch.stack((x, x0), dim=1)
    return X


x = torch.Tensor([1.4, 5, 11, 16, 21])
y = torch.Tensor([14.4, 29.6, 62, 85.5, 113.4])
X = Produce_X(x)
inputs = X
targets = y
w = torch.rand(2, requires_grad=True)


def train(epochs=1, lr=0.01):
    for ep in range(epochs):
        outputs = inputs.mv(w)
        print(outputs.size())
        print(targets.shape)
        loss = (outputs - targets).pow(2).sum()
        loss.backward()
        w.data = w.data - lr * w.grad
        w.grad.zero_()
    return w, loss


w, loss = train(1, lr=1e-4)
print("final loss:", loss.item())
print("weights:", w.data)

w = torch.tensor([1.0, 2.0], requires_grad=True)
inputs = X
w, loss = train(3, lr=1e-4)
print("final loss:", loss.item())
print("weights:", w.data)

a = torch.Tensor([[1, 2, 3], [2, 1, 3]])
print(a.shape, a.size())
a = torch.linspace(-3, 3, 5)
print(a, a.size())
b = torch.unsqueeze(a, dim=1)
print(b, b.size())

N = 5
cluster = torch.ones(N, 2)
data0 = torch.normal(4 * cluster, 2)
label0 = torch.zeros(N)
label1 = torch.ones(N)
x = torch.cat((data0, -data0), ).type(torch.FloatTensor)
y = torch.cat((label0, label1), ).type(torch.LongTensor)
print(x.shape, x.dtype, y, y.type())
