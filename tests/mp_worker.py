"""Top-level functions for tests/test_multiprocessing.py (spawned children import this module)."""
import torchlike as torch


def add_one(t, q=None):
    t.add_(1)
    if q is not None:
        q.put(t)


def sgd_steps(model, seed, steps=3):
    torch.manual_seed(seed)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(steps):
        x = torch.randn(4, 3)
        loss = model(x).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
