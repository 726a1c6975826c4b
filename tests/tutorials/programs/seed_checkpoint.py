# The seeds' checkpoint helpers (../shared/seeds/001_71e1caec2e8e394e.txt, "保存模型断点"),
# with the object they are methods of (`self.nnet`, `args.cuda`) made concrete.
import os
import argparse
import torch
import torch.nn as nn

args = argparse.Namespace(cuda=False)


class Trainer:
    def __init__(self):
        self.nnet = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))

    def save_checkpoint(self, folder='checkpoint', filename='checkpoint.pth.tar'):
        filepath = os.path.join(folder, filename)
        if not os.path.exists(folder):
            print("Checkpoint Directory does not exist! Making directory {}".format(folder))
            os.mkdir(folder)
        else:
            print("Checkpoint Directory exists! ")
        torch.save({
            'state_dict': self.nnet.state_dict(),
        }, filepath)

    def load_checkpoint(self, folder='checkpoint', filename='checkpoint.pth.tar'):
        filepath = os.path.join(folder, filename)
        if not os.path.exists(filepath):
            raise ("No model in path {}".format(filepath))
        map_location = None if args.cuda else 'cpu'
        checkpoint = torch.load(filepath, map_location=map_location)
        print(self.nnet.load_state_dict(checkpoint['state_dict']))


saved = Trainer()
saved.save_checkpoint()
saved.save_checkpoint()
restored = Trainer()
restored.load_checkpoint()
x = torch.randn(3, 4)
print(torch.equal(saved.nnet(x), restored.nnet(x)))

model, loss, loss_value, j = saved.nnet, 0.5, 1.0, 10
try:
    if j % 10 ==0 and loss < loss_value:
        torch.save(model, "model.cpkt")
        loss_value = loss
except TypeError as err:
    print("refused:", err)
print(os.path.exists("model.cpkt"))
