"""Custom autograd Functions (`forward(ctx, ...)` / `backward(ctx, ...)`) on jax.custom_vjp."""
from __future__ import annotations

import functools

import jax

from .._autograd_core import GRAD, no_grad, node_class
from .._ops.registry import record, ref


class FunctionCtx:
    def __init__(self):
        self.saved_tensors = ()
        self.needs_input_grad = ()
        self.materialize_grads = True
        self._non_diff = set()

    def save_for_backward(self, *tensors):
        self.saved_tensors = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_diff.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def set_materialize_grads(self, value):
        self.materialize_grads = value


class _FunctionKernel:
    """Node kernel whose `fn` is a jax.custom_vjp: forward and backward are the user's."""

    __slots__ = ("fn", "jit", "__weakref__")

    def __init__(self, fn):
        self.fn = fn
        self.jit = fn


class FunctionMeta(type):
    def __init__(cls, name, bases, ns):
        super().__init__(name, bases, ns)
        cls._backward_cls = node_class(name + "Backward")


class Function(metaclass=FunctionMeta):
    """PyTorch's custom Function. `apply` runs `forward` eagerly on Tensors; backward replays
    through a jax.custom_vjp that calls the user's `backward` on Tensors."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError

    @classmethod
    def _separate_ctx(cls):
        """The `forward(*args)` + `setup_context(ctx, inputs, output)` style."""
        return cls.setup_context is not Function.setup_context

    @classmethod
    def _run_forward(cls, ctx, args, kwargs):
        if cls._separate_ctx():
            out = cls.forward(*args, **kwargs)
            cls.setup_context(ctx, args, out)
            return out
        return cls.forward(ctx, *args, **kwargs)

    @classmethod
    def apply(cls, *args, **kwargs):
        from .._tensor import Tensor, _new
        from .._ops.registry import check_inplace
        tensor_pos = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        before = [args[i]._v for i in tensor_pos]   # forward may change inputs (mark_dirty)
        with no_grad():
            out = cls._run_forward(ctx, args, kwargs)
        multi = isinstance(out, tuple)
        outs = out if multi else (out,)
        if not (GRAD[0] and any(ctx.needs_input_grad)):
            return out
        dirty = {id(t) for t in getattr(ctx, "_dirty", ())}
        for t in getattr(ctx, "_dirty", ()):
            check_inplace(t)

        saved = ctx.saved_tensors
        saved_t = [s for s in saved if isinstance(s, Tensor)]
        out_pos = [i for i, o in enumerate(outs) if isinstance(o, Tensor)]
        kernel = _kernel(cls, ctx, args, kwargs, tensor_pos, saved, len(outs), out_pos)
        tens = [args[i] for i in tensor_pos]
        # saved tensors are inputs of the node (never differentiated), so the backward program
        # takes them as arguments and is reused by the next call with the same structure
        res = [_new(outs[i]._v) for i in out_pos]
        record(cls._backward_cls.__name__, kernel, [ref(t) for t in tens] + [None] * len(saved_t),
               [*before, *(t._v for t in saved_t)], res, True,
               differentiable=[id(outs[i]) not in ctx._non_diff for i in out_pos])
        full = list(outs)
        for i, r in zip(out_pos, res):
            o = outs[i]
            if id(o) in dirty:
                # an input changed in place by forward: it becomes this node's output, as in
                # PyTorch (the same object is returned)
                if r._rg:
                    o.grad_fn, o._out, o._rg = r.grad_fn, r._out, True
                o._root()._ver += 1          # PyTorch bumps a dirty tensor's version again
                full[i] = o
            else:
                full[i] = r
        return tuple(full) if multi else full[0]


_KERNELS = {}
_CTX_OWN = ("saved_tensors", "needs_input_grad", "_non_diff")


def _kernel(cls, ctx, args, kwargs, tensor_pos, saved, n_out=1, out_pos=(0,)):
    """The node kernel of one call: a jax.custom_vjp over (tensor args, saved tensors) whose
    backward is the user's. Kernels are shared by calls that agree on everything else the
    kernel closes over (non-tensor arguments, ctx attributes, needs_input_grad, which saved
    values are tensors), so the backward program that contains it compiles once; a call with
    unhashable extras gets a kernel of its own."""
    from .._tensor import Tensor, _new
    extras = {k: v for k, v in ctx.__dict__.items() if k not in _CTX_OWN and k != "_dirty"}
    layout = tuple(None if isinstance(s, Tensor) else ("C", s) for s in saved)
    tset = set(tensor_pos)
    consts = tuple((i, a) for i, a in enumerate(args) if i not in tset)
    key = (cls, tuple(tensor_pos), consts, tuple(sorted(kwargs.items())),
           tuple(sorted(extras.items())), ctx.needs_input_grad, layout, n_out, tuple(out_pos))
    try:
        hash(key)
    except TypeError:
        key = None
    k = _KERNELS.get(key) if key is not None else None
    if k is not None:
        return k
    n_t = len(tensor_pos)
    static_args = [None if i in tset else a for i, a in enumerate(args)]  # no tensors kept
    needs = ctx.needs_input_grad

    def pure(*xs):
        # the user's forward on raw values (re-run under tracing during backward replay)
        full = list(static_args)
        for i, x in zip(tensor_pos, xs[:n_t]):
            full[i] = _new(x)
        c = FunctionCtx()
        with no_grad():
            o = cls._run_forward(c, full, kwargs)
        os_ = o if isinstance(o, tuple) else (o,)
        return tuple(os_[i]._v for i in out_pos)

    @jax.custom_vjp
    def f(*xs):
        return pure(*xs)

    def f_fwd(*xs):
        return pure(*xs), xs

    def f_bwd(xs, gs):
        c = FunctionCtx()
        c.needs_input_grad = needs
        it = iter(xs[n_t:])
        c.saved_tensors = tuple(_new(next(it)) if s is None else s[1] for s in layout)
        c.__dict__.update(extras)
        full = [None] * n_out
        for i, g in zip(out_pos, gs):
            full[i] = _new(g)
        with no_grad():
            r = cls.backward(c, *full)
        r = r if isinstance(r, tuple) else (r,)
        n_in = len(static_args)
        if len(r) != n_in and not (len(r) > n_in and all(g is None for g in r[n_in:])):
            raise RuntimeError(f"function {cls._backward_cls.__name__} returned an incorrect "
                               f"number of gradients (expected {n_in}, got {len(r)})")
        res = []
        for i, x in zip(tensor_pos, xs):
            g = r[i] if i < len(r) else None
            res.append(jax.numpy.zeros_like(x) if g is None else
                       (g._v if isinstance(g, Tensor) else jax.numpy.asarray(g)).astype(
                           x.dtype))
        return (*res, *(jax.numpy.zeros_like(x) for x in xs[n_t:]))

    f.defvjp(f_fwd, f_bwd)
    k = _FunctionKernel(f)
    if key is not None:
        if len(_KERNELS) > 1024:
            _KERNELS.clear()
        _KERNELS[key] = k
    return k


def once_differentiable(fn):
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            return fn(ctx, *args)
    return wrapper
