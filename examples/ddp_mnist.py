"""Data-parallel training of the MNIST MLP on several processes, PyTorch's DDP recipe.

    python -m torchlike.distributed.run --nproc-per-node 2 examples/ddp_mnist.py
    python -m torchlike.distributed.run --nproc-per-node 2 examples/ddp_mnist.py --epochs 1

Each rank trains on its shard of the bundled MNIST subset (DistributedSampler); DDP broadcasts
rank 0's initial parameters and averages gradients in backward(), so all ranks hold the same
model. Rank 0 reports the test accuracy. Only the imports differ from the PyTorch program.
"""
import argparse
import hashlib
import time

import torchlike as torch
import torchlike.distributed as dist
from torchlike import nn, optim
from torchlike.nn.parallel import DistributedDataParallel as DDP
from torchlike.utils.data import DataLoader
from torchlike.utils.data.distributed import DistributedSampler
from torchlike.vision import datasets, transforms

ap = argparse.ArgumentParser()
ap.add_argument("--epochs", type=int, default=2)
ap.add_argument("--batch-size", type=int, default=32, help="per process")
ap.add_argument("--root", default=None, help="dataset root (default: the bundled subset)")
ap.add_argument("--log-interval", type=int, default=100,
                help="rank 0 prints a progress line every this many batches")
args = ap.parse_args()

dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()

root = args.root or datasets.mnist_sample_root()
transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
train_set = datasets.MNIST(root, train=True, download=False, transform=transform)
sampler = DistributedSampler(train_set, shuffle=True, seed=0)
train_loader = DataLoader(train_set, batch_size=args.batch_size, sampler=sampler)

torch.manual_seed(rank)  # different on each rank on purpose: DDP broadcasts rank 0's weights
model = DDP(nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64),
                          nn.ReLU(), nn.Linear(64, 10)))
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(model.parameters(), lr=0.01 * world, momentum=0.9)

t0 = time.perf_counter()
for epoch in range(args.epochs):
    sampler.set_epoch(epoch)
    total, n = torch.zeros(()), 0
    for i, (images, labels) in enumerate(train_loader, 1):
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()
        total += loss.detach() * len(labels)
        n += len(labels)
        if rank == 0 and i % args.log_interval == 0:
            print(f"  epoch {epoch + 1}: batch {i}/{len(train_loader)}, loss {loss.item():.4f}",
                  flush=True)
    stats = torch.stack([total, torch.tensor(float(n))])
    dist.all_reduce(stats)  # the training loss over all ranks' samples
    if rank == 0:
        print(f"epoch {epoch + 1}: training loss {(stats[0] / stats[1]).item():.4f} "
              f"({int(stats[1].item())} samples on {world} processes)", flush=True)
elapsed = time.perf_counter() - t0

check = [None] * world  # every rank holds the same parameters, bit for bit
dist.all_gather_object(check, hashlib.sha256(b"".join(
    p.detach().numpy().tobytes() for p in model.parameters())).hexdigest())
assert len(set(check)) == 1, f"ranks disagree on the parameters: {check}"
if rank == 0:
    test_set = datasets.MNIST(root, train=False, download=False, transform=transform)
    correct = 0
    with torch.no_grad():
        for images, labels in DataLoader(test_set, batch_size=1000):
            correct += (model(images).argmax(1) == labels).sum().item()
    print(f"test accuracy {correct / len(test_set):.4f} on {len(test_set)} images; training "
          f"took {elapsed:.1f} s on {world} processes", flush=True)
dist.destroy_process_group()
