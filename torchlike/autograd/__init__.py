"""torchlike.autograd: backward, grad, custom Functions, gradcheck and anomaly detection."""
from __future__ import annotations

import contextlib

import jax
import jax.numpy as jnp
import numpy as np

from .._autograd_core import (ANOMALY, enable_grad, inference_mode, is_grad_enabled,
                              no_grad, set_grad_enabled)
from .._ops.registry import HOOKS
from . import engine
from .engine import configure, stats
from .function import Function, FunctionCtx, once_differentiable
from . import functional

__all__ = ["backward", "grad", "Function", "FunctionCtx", "once_differentiable", "gradcheck",
           "gradgradcheck", "detect_anomaly", "set_detect_anomaly", "no_grad", "enable_grad",
           "set_grad_enabled", "inference_mode", "is_grad_enabled", "functional", "Variable",
           "stats", "configure"]


def _tensors(x):
    from .._tensor import Tensor
    if x is None:
        return None
    if isinstance(x, Tensor):
        return [x]
    return list(x)


_ONES: dict = {}


def _ones(shape, dtype):
    """Cached ones (the implicit gradient of a scalar loss) to skip a dispatch per backward."""
    k = (shape, dtype)
    v = _ONES.get(k)
    if v is None:
        v = _ONES[k] = jnp.ones(shape, dtype)
    return v


def _make_grads(outputs, grad_tensors, create_graph):
    from .._tensor import Tensor
    gs = []
    for i, out in enumerate(outputs):
        g = grad_tensors[i] if grad_tensors is not None and i < len(grad_tensors) else None
        if g is None:
            if out.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not out.dtype.is_floating_point and not out.dtype.is_complex:
                raise RuntimeError(f"grad can be implicitly created only for real scalar "
                                   f"outputs but got {out.dtype}")
            gs.append(_ones(out.shape, out.dtype.np))
        elif isinstance(g, Tensor):
            if tuple(g.shape) != tuple(out.shape):
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                                   f"{g.shape} and output[{i}] has a shape of {out.shape}.")
            gs.append(g if create_graph else g._v.astype(out.dtype.np))
        else:
            gs.append(jnp.full(out.shape, g, out.dtype.np))
    return gs


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None):
    """Accumulate gradients of `tensors` into the `.grad` of the leaves (or of `inputs`)."""
    outputs = _tensors(tensors)
    grad_tensors = _tensors(grad_tensors) if grad_tensors is not None else None
    if retain_graph is None:
        retain_graph = create_graph
    gs = _make_grads(outputs, grad_tensors, create_graph)
    inputs = _tensors(inputs)
    with set_grad_enabled(create_graph):
        engine.run_backward(outputs, gs, inputs=inputs, retain_graph=retain_graph,
                            create_graph=create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Return d(outputs)/d(inputs) without touching `.grad`."""
    outs = _tensors(outputs)
    ins = _tensors(inputs)
    for t in ins:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    gs = _make_grads(outs, _tensors(grad_outputs), create_graph)
    with set_grad_enabled(create_graph):
        res = engine.run_backward(outs, gs, inputs=ins, retain_graph=retain_graph,
                                  create_graph=create_graph, accumulate=False,
                                  allow_unused=bool(allow_unused) or materialize_grads)
    if materialize_grads:
        from .._creation import zeros_like
        res = [zeros_like(t) if g is None else g for t, g in zip(ins, res)]
    return tuple(res)


# ---------------------------------------------------------------------------- gradcheck


class GradcheckError(RuntimeError):
    pass


def _fd_jacobian(fn, inputs, eps):
    """Numerical Jacobians by central differences, one per input that requires grad."""
    from .._tensor import _new
    base = [np.array(t._v, dtype=np.float64) if t is not None else None for t in inputs]
    outs = []
    for k, t in enumerate(inputs):
        if t is None:
            outs.append(None)
            continue
        cols = []
        flat = base[k].reshape(-1)
        for i in range(flat.size):
            vals = []
            for sgn in (1, -1):
                pert = flat.copy()
                pert[i] += sgn * eps
                args = [_new(jnp.asarray(b)) if b is not None else None for b in base]
                args[k] = _new(jnp.asarray(pert.reshape(base[k].shape)))
                with no_grad():
                    o = fn(*args)
                vals.append(np.concatenate([np.asarray(x._v, np.float64).ravel()
                                            for x in _tensors(o)]))
            cols.append((vals[0] - vals[1]) / (2 * eps))
        outs.append(np.stack(cols, 1) if cols else None)
    return outs


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, fast_mode=False, **kw):
    """Compare analytical gradients (the tape) with central finite differences in float64."""
    from .._tensor import Tensor, _new
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    diff = [t if isinstance(t, Tensor) and t.requires_grad else None for t in inputs]
    if not any(d is not None for d in diff):
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of the them have requires_grad=True.")

    def call(*xs):
        full = [x if d is not None else o for x, d, o in zip(xs, diff, inputs)]
        return func(*full)

    numerical = _fd_jacobian(call, diff, eps)
    outs = _tensors(func(*inputs))
    sizes = [o.numel() for o in outs]
    analytic = [np.zeros_like(n) if n is not None else None for n in numerical]
    row = 0
    for o, n in zip(outs, sizes):
        for i in range(n):
            g = np.zeros(n)
            g[i] = 1
            gt = _new(jnp.asarray(g.reshape(o.shape), o.dtype.np))
            if not o.requires_grad:
                continue
            gr = grad(o, [d for d in diff if d is not None], gt, retain_graph=True,
                      allow_unused=True)
            k = 0
            for j, d in enumerate(diff):
                if d is None:
                    continue
                if gr[k] is not None:
                    analytic[j][row + i] = np.asarray(gr[k]._v, np.float64).ravel()
                k += 1
        row += n
    for j, (a, n) in enumerate(zip(analytic, numerical)):
        if a is None:
            continue
        if not np.allclose(a, n, rtol=rtol, atol=atol):
            if raise_exception:
                raise GradcheckError(f"Jacobian mismatch for output 0 with respect to input "
                                     f"{j},\nnumerical:{n}\nanalytical:{a}\n")
            return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True, **kw):
    """Check second derivatives: gradcheck of the function's vjp (built with create_graph)."""
    from .._tensor import Tensor, _new
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    outs = _tensors(func(*inputs))
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = [_new(jnp.asarray(rng.standard_normal(o.shape), o.dtype.np))
                        .requires_grad_() for o in outs]
    n_in = len(inputs)
    diff_idx = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]

    def vjp_fn(*args):
        xs, gos = list(args[:n_in]), args[n_in:]
        for i in diff_idx:   # finite differences call this with plain tensors
            if not xs[i].requires_grad:
                xs[i] = xs[i].detach().requires_grad_()
        with enable_grad():
            o = _tensors(func(*xs))
            gr = grad(o, [xs[i] for i in diff_idx], list(gos), create_graph=True,
                      allow_unused=True)
        return tuple(g for g in gr if g is not None)

    return gradcheck(vjp_fn, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)


# ---------------------------------------------------------------------- anomaly detection


class detect_anomaly:
    """Within this context, ops that produce NaN raise RuntimeError naming the op."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        self._prev = ANOMALY[0]
        _set_anomaly(self.check_nan)

    def __exit__(self, *exc):
        _set_anomaly(self._prev)
        return False

    def __call__(self, fn):
        def wrapper(*a, **k):
            with detect_anomaly(self.check_nan):
                return fn(*a, **k)
        return wrapper


def set_detect_anomaly(mode, check_nan=True):
    _set_anomaly(bool(mode) and check_nan)
    return contextlib.nullcontext()


def is_anomaly_enabled():
    return ANOMALY[0]


def _set_anomaly(on):
    """Anomaly mode is a dispatch post-hook, present only while the mode is on."""
    ANOMALY[0] = on
    (HOOKS.add if on else HOOKS.remove)("post", _anomaly_check)


def _anomaly_check(op, args, static, out):
    """With anomaly mode on, a NaN result names the op that made it."""
    for r in (out if isinstance(out, tuple) else (out,)):
        v = r._v
        if not isinstance(v, jax.core.Tracer) and jnp.issubdtype(v.dtype, jnp.inexact) \
                and bool(jnp.isnan(v).any()):
            raise RuntimeError(f"Function '{op.node_name(static)}' returned nan values "
                               f"in its 0th output.")


def Variable(data, requires_grad=False, volatile=False):
    """Deprecated in PyTorch: returns the tensor (with requires_grad set)."""
    if requires_grad:
        data.requires_grad_(True)
    return data

