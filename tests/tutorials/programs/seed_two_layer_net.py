# The seeds' two-layer network with nn and optim (../shared/seeds/003_e139807587444540.txt,
# "方式1.使用 Sequential" and "方式2.继承 torch.nn.Module"), as printed.
import torch

N, D_in, H, D_out = 64, 1000, 100, 10

# 随机创建训练数据
x = torch.randn(N,D_in)
y = torch.randn(N,D_out)

# 方式1,使用Sequential(序列)函数来构建我们的model
model = torch.nn.Sequential(
    torch.nn.Linear(D_in,H),
    torch.nn.Linear(H, D_out),
)

#torch.nn.init.normal_(model[0].weight)

lr = 1e-4

loss_fn = torch.nn.MSELoss(reduction='sum')

# 梯度下降策略
optimizer = torch.optim.Adam(model.parameters(),lr=lr)
for it in range(500):
    y_pred = model(x) #model.forward()

    loss = loss_fn(y_pred,y)
    print("\r epoch={} loss={}".format(it,loss), end=' ')

    optimizer.zero_grad()
    loss.backward()

    optimizer.step()

print()

# 方式2,实现自己的类,继承torch.nn.Module
class TwoLayerNet(torch.nn.Module):
    def __init__(self, D_in, H, D_out):
        super(TwoLayerNet,self).__init__()
        self.linear1 = torch.nn.Linear(D_in, H, bias=False)
        self.linear2 = torch.nn.Linear(H, D_out, bias=False)

    def forward(self, X):
        y_pred = self.linear2(self.linear1(X))
        return y_pred

model = TwoLayerNet(D_in, H, D_out)

lr = 1e-4

loss_fn = torch.nn.MSELoss(reduction='sum')
optimizer = torch.optim.Adam(model.parameters(),lr=lr)
for it in range(500):
    y_pred = model(x) #model.forward()

    loss = loss_fn(y_pred,y)
    print("\r epoch={} loss={}".format(it,loss), end=' ')

    optimizer.zero_grad()
    loss.backward()

    optimizer.step()

print()
