# ../shared/seeds/003: the two-layer network by hand with x.mm(w1), updates
# under no_grad, and the double-precision autograd warm-up, unchanged
# (fewer iterations).
import torch

x = torch.tensor([[1, 2], [3, 4]], dtype=torch.double, requires_grad=True)
y = x + 2
z = y * y * 3
out = z.mean()
out.backward()
print(x.grad)

x = torch.tensor([1, 2, 3], dtype=torch.double, requires_grad=True)
y = x * 2
while y.data.norm() < 1000:
    y = y * 2
print(y)
v = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float)
y.backward(v)
print(x.grad)

N, D_in, H, D_out = 64, 1000, 100, 10
x = torch.randn(N, D_in)
y = torch.randn(N, D_out)
w1 = torch.randn(D_in, H, requires_grad=True)
w2 = torch.randn(H, D_out, requires_grad=True)

lr = 1e-6
for it in range(20):
    y_pred = x.mm(w1).mm(w2)
    loss = (y_pred - y).pow(2).sum()
    print("\r epoch={} loss={}".format(it, loss), end=' ')
    loss.backward()
    with torch.no_grad():
        w1 -= lr * w1.grad
        w2 -= lr * w2.grad
        w1.grad.zero_()
        w2.grad.zero_()
print()
print(f"{loss:.3f}" != "", loss.requires_grad, w1.grad.abs().sum().item())
