"""Eager kernels in tiers: cold shapes are traced and evaluated with NumPy (torchlike/_interp.py),
hot shapes run compiled. Both tiers must agree (dtypes exactly, values to rounding, random
bits exactly), and a new shape must compile nothing."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

import torchlike as torch
from torchlike import _interp
from torchlike._ops import registry
from torchlike._ops.registry import _signature


def _both(fn, *args):
    closed, tree = _interp.trace(fn, args)
    got = jax.tree_util.tree_leaves(_interp.run(closed, tree, args))
    want = jax.tree_util.tree_leaves(jax.jit(fn)(*args))
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape, (g.dtype, w.dtype, g.shape, w.shape)
    return [np.asarray(g) for g in got], [np.asarray(w) for w in want]


_R = np.random.default_rng(0)
_X = _R.standard_normal((3, 4)).astype(np.float32)
_Y = _R.standard_normal((4, 5)).astype(np.float32)
_I = np.array([[7, -7, 3], [-8, 5, 1]], np.int64)
_J = np.array([[2, 2, -2], [3, -3, 4]], np.int64)

CASES = {
    "layer_norm": (lambda x: (x - x.mean(-1, keepdims=True)) * lax.rsqrt(x.var(-1, keepdims=True)
                                                                        + 1e-5), _X),
    "softmax": (lambda x: jax.nn.softmax(x, axis=0), _X),
    "log_softmax": (lambda x: jax.nn.log_softmax(x, axis=-1), _X),
    "matmul": (lambda x, y: x @ y, _X, _Y),
    "batched_dot": (lambda x: jnp.einsum("bij,bkj->bik", x, x), _R.standard_normal((2, 3, 4))),
    "gelu_erf": (lambda x: jax.nn.gelu(x, approximate=False), _X),
    "tanh_sigmoid": (lambda x: jnp.tanh(x) * jax.nn.sigmoid(x), _X),
    "int_div_rem": (lambda a, b: (lax.div(a, b), lax.rem(a, b), a // b, a % b), _I, _J),
    "reductions": (lambda x: (x.sum(0), x.max(1), x.min(), x.prod(0), jnp.argmax(x, 1),
                              jnp.argmin(x, 0), x.all(), x.any()), _X),
    "cumulative": (lambda x: (jnp.cumsum(x, 1), jnp.cumprod(x, 0), lax.cummax(x, 1)), _X),
    "shapes": (lambda x: (x.T, x.reshape(2, 6), x[None, :, 1:3], jnp.flip(x, 1),
                          jnp.concatenate([x, x], 0), jnp.pad(x, ((1, 0), (0, 2))),
                          x[::2, 1::2], jnp.broadcast_to(x[:, :1], (3, 4))), _X),
    "where_clip": (lambda x: (jnp.where(x > 0, x, 0.5 * x), jnp.clip(x, -0.5, 0.5)), _X),
    "sort": (lambda x: (jnp.sort(x, 1), jnp.argsort(x, 0)), _X),
    "casts": (lambda x: (x.astype(jnp.int32), x.astype(jnp.float16), x.astype(jnp.bfloat16),
                         (x * 100).astype(jnp.int64), x > 0), _X),
    "float16_math": (lambda x: jnp.exp(x) * x + 1, _X.astype(np.float16)),
    "float64": (lambda x: jnp.log1p(jnp.abs(x)) ** 1.5, _X.astype(np.float64)),
    "dynamic_slice": (lambda x: lax.dynamic_slice(x, (1, 1), (2, 2)), _X),
    "gather": (lambda x, i: x[i], _X, np.array([2, 0, 1])),
    "scatter_add": (lambda x, i: x.at[i].add(1.0), _X, np.array([2, 0, 2])),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_interpreted_equals_compiled(name):
    fn, *args = CASES[name]
    got, want = _both(fn, *args)
    for g, w in zip(got, want):
        if g.dtype.kind in "fc":
            tol = 1e-2 if g.dtype.itemsize <= 2 else 1e-6
            np.testing.assert_allclose(g.astype(np.float64), w.astype(np.float64), rtol=tol,
                                       atol=tol)
        else:
            np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("draw", [
    lambda k: jax.random.normal(k, (3, 5), jnp.float32),
    lambda k: jax.random.uniform(k, (7,), jnp.float64, -2.0, 3.0),
    lambda k: jax.random.split(k, 3),
    lambda k: jax.random.randint(k, (9,), 0, 10),
    lambda k: jax.random.permutation(k, 6),
    lambda k: jax.random.bernoulli(k, 0.3, (5,)),
])
def test_random_bits_are_identical(draw):
    """Bits and integers exactly; floats to the last bit XLA's fused multiply-add changes."""
    got, want = _both(draw, jnp.array([0, 42], jnp.uint32))
    for g, w in zip(got, want):
        if g.dtype.kind == "f":
            np.testing.assert_allclose(g, w, rtol=64 * np.finfo(g.dtype).eps, atol=0)
        else:
            np.testing.assert_array_equal(g, w)


def test_seeded_randn_is_the_same_cold_and_hot():
    torch.manual_seed(3)
    cold = [torch.randn(2, 3) for _ in range(registry.CONFIG["compile_after"] + 3)]
    torch.manual_seed(3)
    again = [torch.randn(2, 3) for _ in range(len(cold))]
    for a, b in zip(cold, again):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_new_shapes_compile_nothing():
    """The issue's loop: every new length runs without an XLA compilation."""
    lin, ln = torch.nn.Linear(16, 16), torch.nn.LayerNorm(16)
    compiles = []

    def listen(event, duration, **kw):
        if event == "/jax/core/compile/backend_compile_duration":
            compiles.append(duration)

    def step(T):
        x = torch.randn(1, T, 16)
        return torch.softmax(lin(ln(x)) @ x.transpose(1, 2), dim=-1)[:, -1].sum().item()

    old = dict(registry.CONFIG)
    registry.CONFIG.update(compile_after=10**9, compile_after_s=1e9)  # nothing turns hot
    jax.monitoring.register_event_duration_secs_listener(listen)
    try:
        with torch.no_grad():
            step(100)                     # primes what does not depend on the length
            compiles.clear()
            for T in [101, 102, 103]:
                assert np.isfinite(step(T))
    finally:
        jax.monitoring.unregister_event_duration_listener(listen)
        registry.CONFIG.update(old)
    assert compiles == []


@pytest.mark.parametrize("background", [False, True])
def test_hot_signature_compiles_and_matches(background):
    """A hot signature is compiled (on a worker thread with `background`) and switched to at
    a fixed sighting: compile_after + 1, or compile_after + overlap + 1 in the background."""
    x = torch.randn(5, 9 + background)       # a signature no other test made hot
    op = registry.TABLE["tanh"]
    k = op.kernel((), None)
    old = dict(registry.CONFIG)
    registry.CONFIG.update(background=background)
    switch = registry.CONFIG["compile_after"] + (registry.CONFIG["overlap"] if background
                                                 else 0)
    sig = _signature((x._v,))
    try:
        outs = []
        for i in range(switch + 2):
            outs.append(k(x._v))
            assert (sig in k.hot) == (i + 1 > switch), i
    finally:
        registry.CONFIG.update(old)
    assert k.jit._cache_size() >= 1
    for o in outs[1:]:
        np.testing.assert_allclose(np.asarray(o), np.asarray(outs[0]), rtol=1e-6, atol=1e-7)


def test_caches_are_bounded():
    op = registry.TABLE["add"]
    old = dict(registry.CONFIG)
    registry.CONFIG.update(max_signatures=4, compile_after=0)
    try:
        k = op.kernel((1,), None)
        for n in range(1, 12):
            a = jnp.ones((n,), jnp.float32)
            k(a, a)
            k(a, a)
        registry.drain()
        assert len(k.hot) <= 4 and len(k.cold) <= 4
        assert k.jit._cache_size() <= 4
    finally:
        registry.CONFIG.clear()
        registry.CONFIG.update(old)


_RNG = np.random.default_rng(0)
_X = jnp.asarray(_RNG.standard_normal((6, 5)).astype(np.float32))
_I = jnp.asarray([3, 0, 5, 5, 1])
_V = jnp.asarray(_RNG.standard_normal((2, 4, 3)).astype(np.float32))
_J = jnp.asarray(_RNG.integers(0, 4, (2, 5)))
_STRUCTURED = {
    "gather rows": (lambda x, i: x[i], (_X, _I)),
    "gather cols": (lambda x, i: x[:, i], (_X, _I)),
    "gather rows and slice": (lambda x, i: x[i, 2:4], (_X, _I)),
    "gather pairs": (lambda x, i: x[i, i], (_X, _I)),
    "gather fill": (lambda x, i: x.at[i].get(mode="fill", fill_value=-1), (_X, jnp.asarray([9, 0, -7]))),
    "gather clip": (lambda x, i: x.at[i].get(mode="clip"), (_X, jnp.asarray([9, 0, -7]))),
    "take_along_axis": (lambda x, i: jnp.take_along_axis(x, i, axis=1),
                        (_X, jnp.asarray(_RNG.integers(0, 5, (6, 3))))),
    "batched gather": (lambda v, j: jax.vmap(lambda a, b: a[b])(v, j), (_V, _J)),
    "scatter add": (lambda x, i: x.at[i].add(1.0), (_X, _I)),
    "scatter set": (lambda x, i: x.at[i, 1].set(7.0), (_X, _I)),
    "scatter max": (lambda x, i: x.at[:, i].max(0.5), (_X, _I)),
    "scatter mul": (lambda x, i: x.at[i].multiply(2.0), (_X, _I)),
    "scatter drop": (lambda x, i: x.at[i].add(3.0, mode="drop"), (_X, jnp.asarray([9, 0, 2]))),
    "batched scatter": (lambda v, j: jax.vmap(lambda a, b: a.at[b].add(1.0))(v, j), (_V, _J)),
    "gather grad": (lambda x: jax.grad(lambda v: v[_I].sum() * v[jnp.asarray([1, 1])].sum())(x),
                    (_X,)),
    "split": (lambda x: jnp.split(x, [1, 4], axis=1), (_X,)),
    "scan": (lambda x: jax.lax.scan(lambda c, r: (c + r.sum(), c * r), 0.0, x), (_X,)),
    "scan reverse": (lambda x: jax.lax.scan(lambda c, r: (c + r.sum(), c * r), 0.0, x,
                                            reverse=True), (_X,)),
    "scan empty": (lambda x: jax.lax.scan(lambda c, r: (c + r.sum(), c * r), 0.0, x[:0]), (_X,)),
    "fori_loop": (lambda x: jax.lax.fori_loop(0, 3, lambda k, c: c * 2 + k, x), (_X,)),
    "while": (lambda x: jax.lax.while_loop(lambda c: c.sum() < 100, lambda c: c + 1, x), (_X,)),
    "cond": (lambda x: jax.lax.cond(x.sum() > 0, lambda v: v * 2, lambda v: v - 1, x), (_X,)),
}


@pytest.mark.parametrize("name", list(_STRUCTURED))
def test_structured_primitives_evaluate_without_compiling(name, monkeypatch):
    """gather/scatter (indexing and its gradient), scan/while/cond and add_any have NumPy
    rules: a new shape of them compiles nothing, and the values equal XLA's."""
    f, args = _STRUCTURED[name]
    closed, tree = _interp.trace(f, args)

    def no_bind(eqn, invals):
        raise AssertionError(f"{eqn.primitive} fell back to jax")
    monkeypatch.setattr(_interp, "_bind", no_bind)
    got = _interp.run(closed, tree, args)
    want = jax.jit(f)(*args)
    for g, w in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-6, atol=1e-6,
                                   equal_nan=True)


@pytest.mark.parametrize("n", [4, 40, 4096])
def test_tensor_of_an_aligned_array_is_a_copy(n):
    """jax shares the memory of a 64-byte aligned NumPy array (as torch's .numpy() arrays
    are) when it transfers it; torch.tensor must copy, torch.as_tensor shares."""
    from torchlike._tensor import _aligned_empty
    a = _aligned_empty((n,), np.dtype(np.float32))
    a[...] = 1
    t, shared = torch.tensor(a), torch.as_tensor(a)
    a += 1
    assert float(t[0]) == 1.0 and float(shared[0]) == 2.0
    b = _aligned_empty((n,), np.dtype(np.float32))
    b[...] = 3
    d = _interp.to_device(b)
    b[...] = 0
    assert float(d[0]) == 3.0
