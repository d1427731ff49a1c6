"""The two-layer nets of seed 000 (N=64, D_in=1000, H=100, D_out=10, random data, sum of squared
errors), trained three ways: raw tensors with a hand-written gradient-descent update, an
nn.Sequential model with Adam, and a custom nn.Module with SGD.

    python examples/two_layer_net.py                # 500 steps of each
    python examples/two_layer_net.py --steps 2000   # longer
    python examples/two_layer_net.py --compile      # the Adam step as one XLA program

Only the imports differ from the PyTorch program. A progress bar is shown when tqdm is installed.
"""
import argparse
import time

import torchlike as torch
from torchlike import nn, optim

try:
    from tqdm import tqdm
except ImportError:  # optional extra
    def tqdm(it, **kw):
        return it

ap = argparse.ArgumentParser()
ap.add_argument("--steps", type=int, default=500)
ap.add_argument("--compile", action="store_true", help="compile the nn.Sequential + Adam step")
args = ap.parse_args()

torch.manual_seed(0)
# N is batch size; D_in is input dimension; H is hidden dimension; D_out is output dimension.
N, D_in, H, D_out = 64, 1000, 100, 10
x = torch.randn(N, D_in)
y = torch.randn(N, D_out)


def report(name, losses, t0):
    print(f"{name}: loss {losses[0]:.4g} -> {losses[-1]:.4g} in {len(losses)} steps "
          f"({time.perf_counter() - t0:.1f} s)")


# --- (a) raw tensors and autograd, manual gradient descent --------------------------------------
print("(a) tensors and autograd")
w1 = torch.randn(D_in, H, requires_grad=True)
w2 = torch.randn(H, D_out, requires_grad=True)
learning_rate = 1e-6
losses = []
t0 = time.perf_counter()
for t in tqdm(range(args.steps), desc="tensors", leave=False):
    y_pred = x.mm(w1).clamp(min=0).mm(w2)
    loss = (y_pred - y).pow(2).sum()
    losses.append(loss.item())
    if t % 100 == 99:
        print(t, loss.item())
    loss.backward()
    with torch.no_grad():
        w1 -= learning_rate * w1.grad
        w2 -= learning_rate * w2.grad
        w1.grad.zero_()
        w2.grad.zero_()
report("tensors", losses, t0)

# --- (b) nn.Sequential, MSELoss(reduction='sum') and Adam ---------------------------------------
print("(b) nn.Sequential + Adam" + (" (compiled)" if args.compile else ""))
model = nn.Sequential(
    nn.Linear(D_in, H),
    nn.ReLU(),
    nn.Linear(H, D_out),
)
print(model)
loss_fn = nn.MSELoss(reduction='sum')
optimizer = optim.Adam(model.parameters(), lr=1e-4)


def train_step(x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss


step = torch.compile(train_step) if args.compile else train_step
losses = []
t0 = time.perf_counter()
for t in tqdm(range(args.steps), desc="adam", leave=False):
    loss = step(x, y)
    losses.append(loss.item())
    if t % 100 == 99:
        print(t, loss.item())
report("nn.Sequential + Adam", losses, t0)


# --- (c) a custom nn.Module and SGD --------------------------------------------------------------
class TwoLayerNet(nn.Module):
    def __init__(self, D_in, H, D_out):
        super(TwoLayerNet, self).__init__()
        self.linear1 = nn.Linear(D_in, H)
        self.linear2 = nn.Linear(H, D_out)

    def forward(self, x):
        h_relu = self.linear1(x).clamp(min=0)
        y_pred = self.linear2(h_relu)
        return y_pred


print("(c) custom nn.Module + SGD")
model = TwoLayerNet(D_in, H, D_out)
print(model)
criterion = nn.MSELoss(reduction='sum')
optimizer = optim.SGD(model.parameters(), lr=1e-4)
losses = []
t0 = time.perf_counter()
for t in tqdm(range(args.steps), desc="sgd", leave=False):
    y_pred = model(x)
    loss = criterion(y_pred, y)
    losses.append(loss.item())
    if t % 100 == 99:
        print(t, loss.item())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
report("TwoLayerNet + SGD", losses, t0)
