"""The seed workloads W1-W5, each built from the same NumPy weights and data as torchlike eager,
torchlike compiled, hand-written JAX + optax under jax.jit, real PyTorch eager, and real PyTorch
with its model wrapped in `torch.compile`.

Each workload draws its data from its own seeded generator and `weights(spec)` from another, so
a spec is the same whatever was built before it in the process: benchmarks/run.py times PyTorch
in a separate process (no JAX there) and checks with `spec_digest` that both processes built the
same arrays. This module imports only NumPy; the builders take the framework module as argument
or import it themselves.

`build_torchlike_like` (torch or torchlike) and `build_jax` return a zero-argument `step()` that
runs one training step and returns the loss (something that can be synchronised).
"""
from __future__ import annotations

import hashlib

import numpy as np


def _rng(seed):
    return np.random.default_rng(seed)


# ------------------------------------------------------------------------- definitions


def w1():
    """Two-layer net: N=64, 1000-100-10, MSELoss(sum), Adam 1e-4 (seed 000)."""
    rng = _rng(1)
    x = rng.standard_normal((64, 1000)).astype(np.float32)
    y = rng.standard_normal((64, 10)).astype(np.float32)
    layers = [("linear", 1000, 100), ("relu",), ("linear", 100, 10)]
    return dict(name="W1 two-layer net", layers=layers, x=x, y=y, loss="mse_sum",
                opt=("adam", 1e-4))


def w2():
    """MNIST MLP: Flatten, 784-512-512-10, batch 64, CrossEntropy, SGD 1e-3."""
    rng = _rng(2)
    x = rng.random((64, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    layers = [("flatten",), ("linear", 784, 512), ("relu",), ("linear", 512, 512), ("relu",),
              ("linear", 512, 10)]
    return dict(name="W2 MNIST MLP", layers=layers, x=x, y=y, loss="ce", opt=("sgd", 1e-3, 0.0))


def w3():
    """LeNet CNN: conv 6@5x5, pool, conv 16@5x5, pool, 256-120-84-10, batch 64, Adam 1e-3."""
    rng = _rng(3)
    x = rng.random((64, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    layers = [("conv", 1, 6, 5), ("relu",), ("pool", 2), ("conv", 6, 16, 5), ("relu",),
              ("pool", 2), ("flatten",), ("linear", 256, 120), ("relu",), ("linear", 120, 84),
              ("relu",), ("linear", 84, 10)]
    return dict(name="W3 LeNet CNN", layers=layers, x=x, y=y, loss="ce", opt=("adam", 1e-3))


def w4():
    """Binary classifier: 2-5-3-1 with Sigmoid, BCELoss, SGD 0.1, full batch of 1000."""
    rng = _rng(4)
    x = rng.standard_normal((1000, 2)).astype(np.float32)
    y = (rng.random((1000, 1)) > 0.5).astype(np.float32)
    layers = [("linear", 2, 5), ("relu",), ("linear", 5, 3), ("relu",), ("linear", 3, 1),
              ("sigmoid",)]
    return dict(name="W4 binary classifier", layers=layers, x=x, y=y, loss="bce",
                opt=("sgd", 0.1, 0.0))


def w5(batch):
    """Blitz CIFAR net: 3x32x32, conv 6, pool, conv 16, pool, 400-120-84-10, SGD 1e-3 m=0.9."""
    rng = _rng(500 + batch)
    x = rng.random((batch, 3, 32, 32)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    layers = [("conv", 3, 6, 5), ("relu",), ("pool", 2), ("conv", 6, 16, 5), ("relu",),
              ("pool", 2), ("flatten",), ("linear", 400, 120), ("relu",), ("linear", 120, 84),
              ("relu",), ("linear", 84, 10)]
    return dict(name=f"W5 CIFAR net b{batch}", layers=layers, x=x, y=y, loss="ce",
                opt=("sgd", 1e-3, 0.9))


WORKLOADS = {"W1": w1, "W2": w2, "W3": w3, "W4": w4, "W5b4": lambda: w5(4),
             "W5b64": lambda: w5(64)}


def weights(spec):
    """NumPy weights for every layer with parameters, PyTorch's shapes."""
    out = []
    r = np.random.default_rng(1)
    for layer in spec["layers"]:
        if layer[0] == "linear":
            _, i, o = layer
            b = 1 / np.sqrt(i)
            out.append((r.uniform(-b, b, (o, i)).astype(np.float32),
                        r.uniform(-b, b, (o,)).astype(np.float32)))
        elif layer[0] == "conv":
            _, ci, co, k = layer
            b = 1 / np.sqrt(ci * k * k)
            out.append((r.uniform(-b, b, (co, ci, k, k)).astype(np.float32),
                        r.uniform(-b, b, (co,)).astype(np.float32)))
    return out


def spec_digest(spec):
    """SHA-1 of a spec's data and weights: equal digests mean identical inputs to every variant."""
    h = hashlib.sha1(repr((spec["name"], spec["layers"], spec["loss"], spec["opt"])).encode())
    for a in (spec["x"], spec["y"], *(t for wb in weights(spec) for t in wb)):
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


# ------------------------------------------------------------------- torch-like builders


def build_torchlike_like(torch, spec, wrap_model=None):
    """Build model, loss and optimizer with a torch-compatible module (torch or torchlike).

    `wrap_model`, when given, wraps the model used in the forward pass (`torch.compile`); the
    optimizer still holds the unwrapped model's parameters, which the wrapper shares.
    """
    nn = torch.nn
    mods = []
    ws = iter(weights(spec))
    for layer in spec["layers"]:
        kind = layer[0]
        if kind == "linear":
            m = nn.Linear(layer[1], layer[2])
        elif kind == "conv":
            m = nn.Conv2d(layer[1], layer[2], layer[3])
        elif kind == "relu":
            m = nn.ReLU()
        elif kind == "sigmoid":
            m = nn.Sigmoid()
        elif kind == "pool":
            m = nn.MaxPool2d(layer[1])
        elif kind == "flatten":
            m = nn.Flatten()
        if kind in ("linear", "conv"):
            w, b = next(ws)
            with torch.no_grad():
                m.weight.copy_(torch.from_numpy(w.copy()))
                m.bias.copy_(torch.from_numpy(b.copy()))
        mods.append(m)
    model = nn.Sequential(*mods)
    if spec["loss"] == "mse_sum":
        loss_fn = nn.MSELoss(reduction="sum")
    elif spec["loss"] == "ce":
        loss_fn = nn.CrossEntropyLoss()
    else:
        loss_fn = nn.BCELoss()
    opt = spec["opt"]
    if opt[0] == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=opt[1])
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=opt[1], momentum=opt[2])
    x = torch.tensor(spec["x"])
    y = torch.tensor(spec["y"])
    forward = wrap_model(model) if wrap_model is not None else model

    def step():
        optimizer.zero_grad()
        loss = loss_fn(forward(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return step, model


# ------------------------------------------------------------------ hand-written JAX


def build_jax(spec):
    """The floor for the facade: the same step written directly with jax and optax."""
    import jax
    import jax.numpy as jnp
    import optax

    params = [(jnp.asarray(w), jnp.asarray(b)) for w, b in weights(spec)]
    layers = spec["layers"]

    def forward(params, x):
        it = iter(params)
        for layer in layers:
            kind = layer[0]
            if kind == "linear":
                w, b = next(it)
                x = x @ w.T + b
            elif kind == "conv":
                w, b = next(it)
                x = jax.lax.conv_general_dilated(x, w, (1, 1), "VALID",
                                                 dimension_numbers=("NCHW", "OIHW", "NCHW"))
                x = x + b[None, :, None, None]
            elif kind == "relu":
                x = jax.nn.relu(x)
            elif kind == "sigmoid":
                x = jax.nn.sigmoid(x)
            elif kind == "pool":
                k = layer[1]
                x = jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 1, k, k), (1, 1, k, k),
                                          "VALID")
            elif kind == "flatten":
                x = x.reshape(x.shape[0], -1)
        return x

    def loss_fn(params, x, y):
        out = forward(params, x)
        if spec["loss"] == "mse_sum":
            return jnp.sum((out - y) ** 2)
        if spec["loss"] == "ce":
            return optax.softmax_cross_entropy_with_integer_labels(out, y).mean()
        eps = 1e-12
        return -jnp.mean(y * jnp.log(jnp.clip(out, eps)) + (1 - y) * jnp.log(
            jnp.clip(1 - out, eps)))

    opt = spec["opt"]
    tx = optax.adam(opt[1]) if opt[0] == "adam" else (
        optax.sgd(opt[1], momentum=opt[2] or None))
    opt_state = tx.init(params)

    @jax.jit
    def step(params, opt_state, x, y):
        loss, g = jax.value_and_grad(loss_fn)(params, x, y)
        updates, opt_state = tx.update(g, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    x = jnp.asarray(spec["x"])
    y = jnp.asarray(spec["y"])
    state = [params, opt_state]

    def run():
        state[0], state[1], loss = step(state[0], state[1], x, y)
        return loss

    return run
