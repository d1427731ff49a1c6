"""Train the binary classifier of seed 002 (the `Network` class: 5 inputs, hidden layers of 8
and 4 with ReLU, one Sigmoid output; BCELoss; SGD(lr=0.1)) full-batch on 100 synthetic points
from scikit-learn's make_classification, plot the loss curve and report the accuracy.

    python examples/binary_classifier.py      # 1000 epochs; plot in the system's temp folder
    python examples/binary_classifier.py --epochs 5000 --png /tmp/loss.png

scikit-learn and matplotlib are optional: without scikit-learn the data are two Gaussian blobs
made with NumPy, without matplotlib no plot is saved.
Only the imports differ from the PyTorch program.
"""
import argparse
import os
import tempfile
import time

import numpy as np

import torchlike as torch
from torchlike import nn, optim

ap = argparse.ArgumentParser()
ap.add_argument("--epochs", type=int, default=1000)
ap.add_argument("--png", default=os.path.join(tempfile.gettempdir(), "binary_classifier_loss.png"),
                help="where to save the loss curve (default: the system's temp folder)")
args = ap.parse_args()

input_dim = 5
data_points = 100
try:
    from sklearn.datasets import make_classification
    X, y = make_classification(data_points, input_dim, n_informative=3, random_state=101)
    source = "make_classification"
except ImportError:  # two Gaussian blobs, one per class
    rng = np.random.default_rng(101)
    y = np.arange(data_points) % 2
    shift = 1.5 * (2 * y[:, None] - 1) * np.eye(input_dim)[0]
    X = rng.normal(size=(data_points, input_dim)) + shift
    source = "two NumPy blobs"
X = torch.from_numpy(X.astype(np.float32))
y = torch.from_numpy(y.astype(np.float32))
print(f"data: {tuple(X.shape)} from {source}")

n_input = X.shape[1]  # Must match the shape of the input features
n_hidden1 = 8  # Number of neurons in the 1st hidden layer
n_hidden2 = 4  # Number of neurons in the 2nd hidden layer
n_output = 1  # Number of output units (1 for binary classification)


class Network(nn.Module):
    def __init__(self):
        super(Network, self).__init__()
        self.hidden1 = nn.Linear(n_input, n_hidden1)
        self.hidden2 = nn.Linear(n_hidden1, n_hidden2)
        self.relu = nn.ReLU()
        self.output = nn.Linear(n_hidden2, n_output)
        self.sigmoid = nn.Sigmoid()

    def forward(self, X, **kwargs):
        X = self.hidden1(X)
        X = self.relu(X)
        X = self.hidden2(X)
        X = self.relu(X)
        X = self.output(X)
        X = self.sigmoid(X)
        return X


torch.manual_seed(0)
model = Network()
print(model)
criterion = nn.BCELoss()
optimizer = optim.SGD(model.parameters(), lr=0.1)

running_loss = []
t0 = time.perf_counter()
for i in range(args.epochs):
    optimizer.zero_grad()
    output = model(X)
    loss = criterion(output.view(output.shape[0]), y)
    loss.backward()
    optimizer.step()
    running_loss.append(loss.item())
    if i % max(1, args.epochs // 10) == 0 or i == args.epochs - 1:
        print(f"Epoch - {i + 1}, Loss - {round(loss.item(), 3)}")
elapsed = time.perf_counter() - t0

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
if plt is not None and args.png:
    plt.figure(figsize=(7, 4))
    plt.title("Loss over epochs", fontsize=16)
    plt.plot(range(1, len(running_loss) + 1), running_loss)
    plt.grid(True)
    plt.xlabel("Epochs", fontsize=15)
    plt.ylabel("Training loss", fontsize=15)
    plt.savefig(args.png, dpi=80, bbox_inches="tight")
    plt.close()
    print(f"loss curve saved to {args.png}")

with torch.no_grad():
    predicted = (model(X).view(-1) > 0.5).float()
accuracy = (predicted == y).float().mean().item()
print(f"final accuracy {accuracy:.4f} on {len(y)} points; loss {running_loss[0]:.4f} -> "
      f"{running_loss[-1]:.4f} in {args.epochs} epochs ({elapsed:.1f} s)")
