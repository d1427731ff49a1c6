"""Train the LeNet-style ConvNet of seed 001 (sections 4.3-4.4: conv 6@5x5, pool, conv 16@5x5,
pool, 120-84-10, Normalize((0.1307,), (0.3081,)), CrossEntropyLoss, Adam(lr=0.001), batch 64)
on the real MNIST subset bundled with torchlike, eagerly or compiled, and report the test
accuracy.

    python examples/mnist_cnn.py                 # eager, 1 epoch on 5000 images
    python examples/mnist_cnn.py --compile       # the same training step as one XLA program
    python examples/mnist_cnn.py --batches 10    # a quick check: 10 batches only
    python examples/mnist_cnn.py --epochs 10 --root ../shared/data  # full MNIST, torchvision layout

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
ap.add_argument("--epochs", type=int, default=1)
ap.add_argument("--compile", action="store_true")
ap.add_argument("--batches", type=int, default=0,
                help="stop each epoch after this many batches (0: all)")
ap.add_argument("--root", default=None, help="dataset root (default: the bundled subset)")
args = ap.parse_args()


class ConvNet(nn.Module):
    def __init__(self):
        super(ConvNet, self).__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 4 * 4, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)
        self.relu = nn.ReLU()

    def forward(self, x):
        x = self.pool(self.relu(self.conv1(x)))
        x = self.pool(self.relu(self.conv2(x)))
        x = x.view(-1, 16 * 4 * 4)
        x = self.relu(self.fc1(x))
        x = self.relu(self.fc2(x))
        x = self.fc3(x)
        return x


root = args.root or datasets.mnist_sample_root()
transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
train_set = datasets.MNIST(root, train=True, download=False, transform=transform)
test_set = datasets.MNIST(root, train=False, download=False, transform=transform)
train_loader = DataLoader(train_set, batch_size=64, shuffle=True)
test_loader = DataLoader(test_set, batch_size=1000)

torch.manual_seed(0)
device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
model = ConvNet().to(device)
criterion = nn.CrossEntropyLoss()
optimizer = optim.Adam(model.parameters(), lr=0.001)
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
    batches = tqdm(train_loader, desc=f"epoch {epoch + 1}", leave=False)
    for i, (images, labels) in enumerate(batches):
        if args.batches and i >= args.batches:
            break
        images, labels = images.to(device), labels.to(device)
        loss = step(images, labels)
        total += loss.item() * len(labels)
        n += len(labels)
    print(f"Epoch [{epoch + 1}/{args.epochs}], Loss: {total / n:.4f}")
elapsed = time.perf_counter() - t0

correct = 0
with torch.no_grad():
    for images, labels in test_loader:
        images, labels = images.to(device), labels.to(device)
        correct += (model(images).argmax(dim=1) == labels).sum().item()
print(f"test accuracy {correct / len(test_set):.4f} on {len(test_set)} images; "
      f"training took {elapsed:.1f} s ({'compiled' if args.compile else 'eager'})")
