"""torch.autograd.functional on JAX's transforms: the function is traced with jax arrays in
Tensor boxes, so jacobians and hessians come from jax.jacrev / jax.jvp directly.

Differs from PyTorch: a function that mutates a captured tensor in place with a value that
depends on the inputs raises RuntimeError and leaves the tensor unchanged (PyTorch, which
runs the function under its tape, keeps the mutation)."""
from __future__ import annotations

import functools

import jax

from .. import _trace
from .._autograd_core import no_grad


def _guarded(fn):
    """Run `fn`'s transform under the tracing core, which puts back captured state."""
    def error(t):
        return RuntimeError(
            f"torchlike.autograd.functional.{fn.__name__}: the function mutated a captured "
            f"Tensor of shape {list(t._v.shape)} in place with a value that depends on the "
            "inputs; torchlike evaluates it under JAX transforms and cannot keep that mutation "
            "(PyTorch does). Pass the tensor as an input or mutate it outside.")

    @functools.wraps(fn)
    def run(func, *args, **kwargs):
        with _trace.transformed(func, error):
            return fn(func, *args, **kwargs)
    return run


def _wrap(func, n):
    from .._tensor import Tensor, _new

    def f(*xs):
        with no_grad():
            out = func(*[_new(x) for x in xs])
        if isinstance(out, tuple):
            return tuple(o._v for o in out)
        return out._v if isinstance(out, Tensor) else out
    return f


def _vals(inputs):
    from .._tensor import Tensor
    single = isinstance(inputs, Tensor)
    ins = (inputs,) if single else tuple(inputs)
    return single, ins, [t._v for t in ins]


def _box(tree):
    from .._tensor import _new
    return jax.tree_util.tree_map(_new, tree)


@_guarded
def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    single, ins, vals = _vals(inputs)
    f = _wrap(func, len(ins))
    jac = (jax.jacrev if strategy == "reverse-mode" else jax.jacfwd)(
        f, argnums=tuple(range(len(ins))))(*vals)
    if single:
        jac = jax.tree_util.tree_map(lambda x: x, jac)
        jac = jac[0] if not isinstance(jac[0], tuple) or len(jac) != 1 else jac[0]
        if isinstance(jac, tuple) and len(jac) == 1:
            jac = jac[0]
    return _box(jac)


@_guarded
def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    single, ins, vals = _vals(inputs)
    f = _wrap(func, len(ins))
    h = jax.hessian(f, argnums=tuple(range(len(ins))))(*vals)
    if single:
        h = h[0][0]
    return _box(h)


@_guarded
def vjp(func, inputs, v=None, create_graph=False, strict=False):
    single, ins, vals = _vals(inputs)
    f = _wrap(func, len(ins))
    out, pull = jax.vjp(f, *vals)
    if v is None:
        v = jax.numpy.ones_like(out)
    else:
        v = v._v if not isinstance(v, tuple) else tuple(x._v for x in v)
    g = pull(v)
    return _box(out), _box(g[0] if single else tuple(g))


@_guarded
def jvp(func, inputs, v=None, create_graph=False, strict=False):
    single, ins, vals = _vals(inputs)
    f = _wrap(func, len(ins))
    if v is None:
        tv = [jax.numpy.ones_like(x) for x in vals]
    else:
        tv = [v._v] if single else [x._v for x in v]
    out, t = jax.jvp(f, tuple(vals), tuple(tv))
    return _box(out), _box(t)


@_guarded
def hvp(func, inputs, v=None, create_graph=False, strict=False):
    single, ins, vals = _vals(inputs)
    f = _wrap(func, len(ins))
    tv = [v._v] if single else [x._v for x in v]
    out = f(*vals)
    _, t = jax.jvp(jax.grad(f, argnums=tuple(range(len(ins)))), tuple(vals), tuple(tv))
    return _box(out), _box(t[0] if single else t)


vhp = hvp
