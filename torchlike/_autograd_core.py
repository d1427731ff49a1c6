"""Grad mode and tape nodes. The backward engine lives in `torchlike.autograd.engine`."""
from __future__ import annotations

import functools
import threading


class _ThreadFlag(threading.local):
    """A per-thread flag read and written as ``FLAG[0]`` (the interface of the one-cell list it
    replaced). Each new thread starts at the default, as PyTorch's grad mode does."""

    def __init__(self, default):
        self.v = default

    def __getitem__(self, i):
        return self.v

    def __setitem__(self, i, value):
        self.v = value

    def __repr__(self):
        return f"[{self.v!r}]"


GRAD = _ThreadFlag(True)          # grad mode: thread-local, as in PyTorch
INFERENCE = _ThreadFlag(False)    # inference mode: thread-local
ANOMALY = [False]                 # anomaly detection: process-wide, as in PyTorch


class _GradModeCtx:
    _mode = True

    def __enter__(self):
        self._prev = GRAD[0]
        GRAD[0] = self._mode

    def __exit__(self, *exc):
        GRAD[0] = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*a, **k):
            with self.__class__():
                return fn(*a, **k)
        return wrapper


class no_grad(_GradModeCtx):
    """Context manager and decorator that disables gradient recording."""
    _mode = False


class enable_grad(_GradModeCtx):
    _mode = True


class set_grad_enabled(_GradModeCtx):
    def __init__(self, mode: bool):
        self._mode = bool(mode)
        self._prev = GRAD[0]
        GRAD[0] = self._mode  # takes effect immediately, like torch

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        GRAD[0] = self._prev
        return False

    def __call__(self, fn):
        GRAD[0] = self._prev
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*a, **k):
            prev = GRAD[0]
            GRAD[0] = mode
            try:
                return fn(*a, **k)
            finally:
                GRAD[0] = prev
        return wrapper


class inference_mode(_GradModeCtx):
    def __init__(self, mode: bool = True):
        self._mode = not mode

    def __enter__(self):
        self._prev = GRAD[0], INFERENCE[0]
        GRAD[0] = self._mode
        INFERENCE[0] = not self._mode

    def __exit__(self, *exc):
        GRAD[0], INFERENCE[0] = self._prev
        return False

    def __call__(self, fn):
        mode = not self._mode

        @functools.wraps(fn)
        def wrapper(*a, **k):
            with inference_mode(mode):
                return fn(*a, **k)
        return wrapper


def is_grad_enabled() -> bool:
    return GRAD[0]


def is_inference_mode_enabled() -> bool:
    return INFERENCE[0]


class Node:
    """One recorded op application. Subclassed per PyTorch node name (`AddBackward0`, ...).

    inputs: per input, a (Node, out_index) pair, a leaf Tensor, or None for a constant.
    vals: the input values as they were when the op ran (jax arrays or Python scalars).
    """

    __slots__ = ("kernel", "inputs", "vals", "avals", "multi", "saved", "freed", "retained",
                 "hooks", "_nf", "metadata", "__weakref__")

    def __init__(self, kernel, inputs, vals, avals):
        self.kernel = kernel
        self.inputs = inputs
        self.vals = vals
        self.avals = avals          # ((shape, np dtype), ...) of the outputs
        self.multi = False          # the kernel returns a tuple
        self.saved = None           # ((root tensor or weakref, version), ...) for the check
        self.freed = False
        self.retained = None        # {out_index: weakref(Tensor)} for retain_grad / hooks
        self.hooks = None
        self._nf = None
        self.metadata = {}

    def name(self):
        return type(self).__name__

    @property
    def next_functions(self):
        if self._nf is None:
            out = []
            for ref in self.inputs:
                if ref is None:
                    out.append((None, 0))
                elif isinstance(ref, tuple):
                    out.append(ref)
                else:
                    out.append((accumulate_grad(ref), 0))
            self._nf = tuple(out)
        return self._nf

    def register_hook(self, fn):
        if self.hooks is None:
            self.hooks = []
        self.hooks.append(fn)

    def __call__(self, *grads):
        raise RuntimeError("calling a grad_fn node directly is not supported by torchlike; "
                           "use torchlike.autograd.grad")


_NODE_CLASSES: dict[str, type] = {}


def node_class(name: str) -> type:
    c = _NODE_CLASSES.get(name)
    if c is None:
        c = _NODE_CLASSES[name] = type(name, (Node,), {"__slots__": ()})
    return c


class AccumulateGrad:
    """The node standing for a leaf in `next_functions`."""

    def __init__(self, variable):
        self.variable = variable
        self.next_functions = ()

    def name(self):
        return "AccumulateGrad"


def accumulate_grad(leaf):
    a = leaf.__dict__.get("_acc")
    if a is None:
        a = leaf.__dict__["_acc"] = AccumulateGrad(leaf)
    return a
