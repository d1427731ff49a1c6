"""torch.autograd.functional on JAX's transforms: the function is traced with jax arrays in
Tensor boxes, so jacobians and hessians come from jax.jacrev / jax.jvp directly."""
from __future__ import annotations

import jax

from .._autograd_core import no_grad


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


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    single, ins, vals = _vals(inputs)
    f = _wrap(func, len(ins))
    h = jax.hessian(f, argnums=tuple(range(len(ins))))(*vals)
    if single:
        h = h[0][0]
    return _box(h)


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


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    single, ins, vals = _vals(inputs)
    f = _wrap(func, len(ins))
    if v is None:
        tv = [jax.numpy.ones_like(x) for x in vals]
    else:
        tv = [v._v] if single else [x._v for x in v]
    out, t = jax.jvp(f, tuple(vals), tuple(tv))
    return _box(out), _box(t)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    single, ins, vals = _vals(inputs)
    f = _wrap(func, len(ins))
    tv = [v._v] if single else [x._v for x in v]
    out = f(*vals)
    _, t = jax.jvp(jax.grad(f, argnums=tuple(range(len(ins)))), tuple(vals), tuple(tv))
    return _box(out), _box(t[0] if single else t)


vhp = hvp
