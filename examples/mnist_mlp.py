"""Train the MNIST MLP of seed 001 (784-128-64-10, SGD) on the real MNIST subset bundled with
torchlike, eagerly or compiled, and report the test accuracy.

    python examples/mnist_mlp.py                 # eager, 3 epochs on 5000 images
    python examples/mnist_mlp.py --compile       # the same training step as one XLA program
    python examples/mnist_mlp.py --root ../shared/data   # full MNIST in torchvision's layout

Only the imports differ from the PyTorch program. A progress bar is shown when tqdm is installed (a line every 100 batches otherwise).
"""
import argparse
import time

import torchlike as torch
from torchlike import nn, optim
from torchlike.utils.data import DataLoader
from torchlike.vision import datasets, transforms

try:
    from tqdm import tqdm
except ImportError:  # optional extra: without it, a line every 100 batches
    def tqdm(it, desc="", leave=True, every=100):
        total = len(it) if hasattr(it, "__len__") else None
        for i, item in enumerate(it, 1):
            yield item
            if i % every == 0:
                print(f"  {desc}: batch {i}" + (f"/{total}" if total else ""), flush=True)

ap = argparse.ArgumentParser()
ap.add_argument("--epochs", type=int, default=3)
ap.add_argument("--compile", action="store_true")
ap.add_argument("--root", default=None, help="dataset root (default: the bundled subset)")
args = ap.parse_args()

root = args.root or datasets.mnist_sample_root()
transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
train_set = datasets.MNIST(root, train=True, download=False, transform=transform)
test_set = datasets.MNIST(root, train=False, download=False, transform=transform)
train_loader = DataLoader(train_set, batch_size=64, shuffle=True)
test_loader = DataLoader(test_set, batch_size=1000)

torch.manual_seed(0)
model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64),
                      nn.ReLU(), nn.Linear(64, 10))
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
print(model)


def train_step(images, labels):
    optimizer.zero_grad()
    loss = criterion(model(images), labels)
    loss.backward()
    optimizer.step()
    return loss


step = torch.compile(train_step) if args.compile else train_step

t0 = time.perf_counter()
for epoch in range(args.epochs):
    total, n = 0.0, 0
    for images, labels in tqdm(train_loader, desc=f"epoch {epoch + 1}", leave=False):
        loss = step(images, labels)
        total += loss.item() * len(labels)
        n += len(labels)
    print(f"epoch {epoch + 1}: training loss {total / n:.4f}")
elapsed = time.perf_counter() - t0

correct = 0
with torch.no_grad():
    for images, labels in test_loader:
        correct += (model(images).argmax(1) == labels).sum().item()
print(f"test accuracy {correct / len(test_set):.4f} on {len(test_set)} images; "
      f"training took {elapsed:.1f} s ({'compiled' if args.compile else 'eager'})")
