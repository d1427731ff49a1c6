"""A tour of torchlike tensors, mirroring the tensor sections of the seed tutorials.

Run: python examples/tensor_tour.py
"""
import numpy as np

import torchlike as torch

# Creating tensors (seed 001 §4.1, seed 003 "Tensors", the blitz tensor tutorial)
x = torch.tensor([[1, 2], [3, 4]], dtype=torch.float32)
print("x =", x)
print("x + 2 =", x + 2)
print("x.mm((x + 2).T) =", x.mm((x + 2).T))

t = torch.from_numpy(np.array([[0, 1, 2], [3, 4, 5]]))
print(t, t.shape, t.dtype, t.device)
print("rand_like:", torch.rand_like(t, dtype=torch.float).shape)
zeros = torch.zeros((2, 3))
print("row:", zeros[1], "column:", zeros[:, 0])

# Indexing writes through views, as in PyTorch
ones = torch.ones(4, 4)
ones[:, 1] = 0
print(ones)
print("cat:", torch.cat([ones, ones], dim=1).shape)
print("sum item:", ones.sum().item())

# The NumPy bridge shares memory both ways on CPU
a = torch.ones(5)
n = a.numpy()
a.add_(1)
print("tensor:", a, "numpy:", n)
n2 = np.ones(5)
b = torch.from_numpy(n2)
np.add(n2, 1, out=n2)
print("tensor:", b, "numpy:", n2)

# Autograd (seed 000 / blitz autograd)
a = torch.ones((2, 2), requires_grad=True)
c = a * 3 + 1
d = c.sum()
d.backward()
print("d =", d, "a.grad =", a.grad)
