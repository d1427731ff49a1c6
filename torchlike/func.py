"""torchlike.func: PyTorch's functorch names as thin maps onto JAX's transforms.

Functions receive Tensors boxing jax tracers; results are unboxed. `functional_call` swaps a
module's parameters and buffers for the given tensors during one call. State the function
reaches (module parameters and buffers, closure tensors) is handled by the tracing core
(`torchlike._trace.transformed`): mutating a captured tensor with a value that depends on the
transformed inputs raises RuntimeError, as in PyTorch, and leaves the tensor unchanged.
"""
from __future__ import annotations

import contextlib

import jax

from . import _trace
from ._autograd_core import no_grad


def _grad_error(t):
    return RuntimeError(
        "During a grad (vjp, jvp, grad, etc) transform, the function provided attempted to call "
        "an in-place operation that would mutate a captured Tensor. This is not supported; "
        "please rewrite the function being transformed to explicitly accept the mutated "
        "Tensor(s) as inputs.")


def _vmap_error(t):
    return RuntimeError(
        f"vmap: the function provided mutated a captured Tensor of shape {list(t._v.shape)} "
        "in place with a batched value (PyTorch: output with shape [...] doesn't match the "
        "broadcast shape [...]); pass the tensor as an input instead.")


def _unbox(tree):
    from ._tensor import Tensor
    return jax.tree_util.tree_map(lambda t: t._v if isinstance(t, Tensor) else t, tree,
                                  is_leaf=lambda t: isinstance(t, Tensor))


def _box(tree):
    from ._tensor import _new
    return jax.tree_util.tree_map(lambda a: _new(a) if hasattr(a, "shape") else a, tree)


def _jaxify(func):
    def f(*args, **kwargs):
        with no_grad():
            return _unbox(func(*_box(args), **_box(kwargs)))
    return f


def _lift(transform, error=_grad_error):
    def outer(func, *targs, **tkw):
        g = transform(_jaxify(func), *targs, **tkw)

        def inner(*args, **kwargs):
            with _trace.transformed(func, error):
                out = g(*_unbox(args), **_unbox(kwargs))
            return _box(out)
        return inner
    return outer


def grad(func, argnums=0, has_aux=False):
    return _lift(jax.grad)(func, argnums=argnums, has_aux=has_aux)


def grad_and_value(func, argnums=0, has_aux=False):
    f = _lift(jax.value_and_grad)(func, argnums=argnums, has_aux=has_aux)

    def inner(*args, **kwargs):
        v, g = f(*args, **kwargs)
        return g, v
    return inner


def jacrev(func, argnums=0, has_aux=False, **kw):
    return _lift(jax.jacrev)(func, argnums=argnums, has_aux=has_aux)


def jacfwd(func, argnums=0, has_aux=False, **kw):
    return _lift(jax.jacfwd)(func, argnums=argnums, has_aux=has_aux)


def hessian(func, argnums=0):
    return _lift(jax.hessian)(func, argnums=argnums)


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    return _lift(jax.vmap, _vmap_error)(func, in_axes=in_dims, out_axes=out_dims)


def vjp(func, *primals, has_aux=False):
    with _trace.transformed(func, _grad_error):
        out, pull = jax.vjp(_jaxify(func), *_unbox(primals), has_aux=has_aux)

    def vjp_fn(*cts):
        return _box(pull(*_unbox(cts)))
    return _box(out), vjp_fn


def jvp(func, primals, tangents, *, has_aux=False):
    with _trace.transformed(func, _grad_error):
        out, t = jax.jvp(_jaxify(func), tuple(_unbox(primals)), tuple(_unbox(tangents)))
    return _box(out), _box(t)


def functional_call(module, parameter_and_buffer_dicts, args=(), kwargs=None, *, tie_weights=True,
                    strict=False):
    """Call `module` with its parameters/buffers replaced by the given tensors."""
    if isinstance(parameter_and_buffer_dicts, (list, tuple)):
        d = {}
        for x in parameter_and_buffer_dicts:
            d.update(x)
    else:
        d = dict(parameter_and_buffer_dicts)
    if not isinstance(args, tuple):
        args = (args,)
    with _swapped(module, d):
        return module(*args, **(kwargs or {}))


@contextlib.contextmanager
def _swapped(module, d):
    saved = []
    for name, t in d.items():
        *path, leaf = name.split(".")
        m = module
        for p in path:
            m = getattr(m, p)
        store = m._parameters if leaf in m._parameters else m._buffers
        saved.append((store, leaf, store[leaf]))
        store[leaf] = t
    try:
        yield
    finally:
        for store, leaf, old in saved:
            store[leaf] = old
