"""torchlike.jit: ``trace`` compiles a call with ``jax.jit``; ``script`` keeps Python semantics.

``jit.trace(fn_or_module, example_inputs)`` returns a callable whose every call runs one
``jax.jit``-compiled program of the traced function. The state it reads (module parameters and
buffers, tensors reachable from the function's closure and globals, the RNG key) is found the
way ``torchlike.compile`` finds it and passed in as inputs; buffers and the RNG key it changes
are written back. The compiled call is one entry on the autograd tape, so gradients flow into
parameters and inputs as with the eager call (``jax.vjp`` of the traced program). Unlike
``torch.jit.trace``, Python control flow on tensor values cannot be frozen into the trace: it
raises a clear error; use ``jit.script`` (which runs the Python code eagerly) for that.
``torch.jit.trace`` refuses a tensor that requires grad and is neither a parameter nor an input
(a closure tensor, a view kept as a module attribute: "Cannot insert a Tensor that requires
grad as a constant"); torchlike lifts it like other state and gives eager's gradient.

``jit.script(module_or_fn)`` returns the module or function itself: it runs eagerly, with its
Python control flow, exactly as TorchScript would execute it.
"""
from __future__ import annotations

import functools
import pickle

import numpy as np

from . import _checks, _trace
from ._autograd_core import GRAD
from ._ops.registry import Op, call
from ._tensor import _new, _set_root
from .amp.autocast_mode import compile_key as _amp_key

__all__ = ["trace", "trace_module", "script", "save", "load", "ignore", "unused", "export",
           "is_scripting", "is_tracing", "annotate", "Final", "fork", "wait", "freeze",
           "optimize_for_inference", "ScriptModule", "ScriptFunction", "TracerWarning",
           "interface", "script_if_tracing", "Attribute", "enable_onednn_fusion",
           "TracedModule", "TracedFunction"]

_TRACING = [0]


class TracerWarning(Warning):
    pass


def _is_module(o):
    return _trace.is_module(o) and hasattr(o, "forward")


class _Traced:
    """Shared machinery of TracedFunction / TracedModule."""

    _what = "torchlike.jit.trace"
    _grad_name = "TracedBackward0"
    _advice = "Use torchlike.jit.script to keep Python control flow, or tensor ops such as " \
              "torchlike.where."

    def _setup(self, fn, module, name):
        self._fn = fn
        self._module = module
        self._name = name
        self._ops = {}

    def _state(self, args):
        """The state boxes the call reaches besides its tensor arguments, the views met on
        the way, and the Python flags (train/eval...) the program depends on."""
        fn = self._module if self._module is not None else self._fn
        w = _trace.walk(objs=[(("arg",), list(args))], fns=[(("fn",), fn)])
        leaves = []
        _trace.flatten(args, leaves)
        arg_ids = {id(t) for t in leaves}
        boxes = [b for b in w.boxes if id(b) not in arg_ids]
        return boxes, w.views, tuple(w.flags)

    def _call(self, args, kwargs):
        leaves = []
        spec = _trace.flatten((args, kwargs), leaves)
        boxes, views, flags = self._state(args)
        key = (_trace.spec_key(spec), tuple((id(b), b._v.shape, b._v.dtype) for b in boxes),
               flags, tuple((t._v.shape, t._v.dtype) for t in leaves),
               _amp_key())    # a program traced under autocast casts inside it
        entry = self._ops.get(key)
        if entry is None:
            entry = self._ops[key] = self._make_op(spec, len(leaves), boxes, views)
        op, info = entry
        outs = call(op, (*leaves, *boxes), ())
        if not isinstance(outs, tuple):
            outs = (outs,)
        if info["checks"] is not None:  # index checks made inside the program (_checks.py)
            flags, values = outs[-2:]
            outs = outs[:-2]
            info["checks"].raise_first(np.asarray(flags._v), values._v)
        n_user = info["n_user"]
        written = [boxes[i] for i in info["changed"]]
        if written:
            # backward uses the values this call read (kept on its tape node), so writing the
            # new state back into those boxes must not trip the in-place version check
            node = next((o.grad_fn for o in outs if o.grad_fn is not None), None)
            if node is not None and node.saved:
                ids = {id(b) for b in written}
                node.saved = tuple(s for s in node.saved if id(s[0]) not in ids)
        for i, v in zip(info["changed"], outs[n_user:]):
            _set_root(boxes[i], v._v)
        return _trace.rebuild(info["tree"], list(outs[:n_user]))

    def _make_op(self, spec, n_leaves, boxes, views):
        info = {}
        fn = self._fn

        def program(*arrays):
            ins, states = arrays[:n_leaves], arrays[n_leaves:]
            prev = GRAD[0]
            GRAD[0] = False
            _TRACING[0] += 1
            try:
                with _trace.Swap(boxes, views) as sw:
                    sw.lift(states)
                    args, kwargs = _trace.rebuild(spec, [_new(a) for a in ins])
                    with _checks.collecting() as col:
                        result = fn(*args, **kwargs)
                    out_leaves = []
                    tree = _trace.flatten(result, out_leaves)
                    changed = sw.changed()
                    info["tree"], info["changed"], info["n_user"] = tree, changed, len(out_leaves)
                    flags, values = col.outputs()
                    info["checks"] = None if flags is None else col
                    return (tuple(t._v for t in out_leaves)
                            + tuple(boxes[i]._data for i in changed)
                            + (() if flags is None else (flags, values)))
            except RuntimeError as e:
                if "needs a concrete value" in str(e):
                    raise RuntimeError(
                        f"{self._what}: {self._name} reads a tensor's value in Python "
                        f"(control flow, .item(), print) while being traced. {self._advice} "
                        f"({e})") from None
                raise
            finally:
                _TRACING[0] -= 1
                GRAD[0] = prev

        program.__name__ = f"traced_{self._name}"
        op = Op(f"jit_trace_{self._name}", program, n_leaves + len(boxes), False, None, "inputs",
                self._grad_name, None, True)
        return op, info


class TracedFunction(_Traced):
    """What ``jit.trace(fn, example_inputs)`` returns for a function."""

    def __init__(self, fn):
        self._setup(fn, None, getattr(fn, "__name__", "fn"))
        functools.update_wrapper(self, fn)

    def __call__(self, *args, **kwargs):
        return self._call(args, kwargs)

    def __repr__(self):
        return f"<torchlike.jit.TracedFunction {self._name}>"


class TracedModule(_Traced):
    """What ``jit.trace(module, example_inputs)`` returns: the module, called compiled."""

    def __init__(self, module):
        self.__dict__["_orig_mod"] = module
        self._setup(module.forward, module, type(module).__name__)

    def __call__(self, *args, **kwargs):
        return self._call(args, kwargs)

    def forward(self, *args, **kwargs):
        return self._call(args, kwargs)

    def __getattr__(self, name):
        return getattr(self.__dict__["_orig_mod"], name)

    def __setattr__(self, name, value):
        if name.startswith("_") and name in ("_fn", "_module", "_name", "_ops"):
            self.__dict__[name] = value
        else:
            setattr(self._orig_mod, name, value)

    def __repr__(self):
        return repr(self._orig_mod)

    def __reduce__(self):
        return (_retrace, (self._orig_mod,))


def _retrace(module):
    return TracedModule(module)


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None,
          check_tolerance=1e-5, strict=True, _force_outplace=False,
          _module_class=None, _compilation_unit=None, example_kwarg_inputs=None,
          _store_inputs=True):
    """Trace ``func`` (a function or Module) into a jax.jit-compiled callable.

    The example inputs are run once through the compiled program (as PyTorch runs them), so a
    function that cannot be traced fails here with a clear error."""
    if _is_module(func):
        traced = TracedModule(func)
    elif callable(func):
        traced = TracedFunction(func)
    else:
        raise TypeError(f"jit.trace expects a function or a Module, got "
                        f"{type(func).__name__}")
    if example_inputs is None and example_kwarg_inputs is None:
        raise RuntimeError("jit.trace needs example_inputs (a tensor or a tuple of tensors)")
    if example_kwarg_inputs is not None:
        traced(**example_kwarg_inputs)
    else:
        args = example_inputs if isinstance(example_inputs, tuple) else (example_inputs,)
        traced(*args)
    return traced


def trace_module(mod, inputs, **kwargs):
    """``jit.trace_module(mod, {"forward": example})``: traces ``forward``."""
    example = inputs.get("forward") if isinstance(inputs, dict) else inputs
    return trace(mod, example, **kwargs)


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """Return ``obj`` unchanged: modules and functions run eagerly with their Python control
    flow, which is what TorchScript executes."""
    if obj is None:
        raise RuntimeError("jit.script expects a Module, a function or a class")
    return obj


class ScriptModule:
    """Placeholder base for code that subclasses ``torch.jit.ScriptModule``."""

    def __init_subclass__(cls, **kwargs):
        raise NotImplementedError("torchlike.jit.ScriptModule subclasses are not supported; "
                                  "subclass torchlike.nn.Module instead")


class ScriptFunction:
    pass


def script_method(fn):
    return fn


def save(m, f, _extra_files=None):
    """Save a (scripted or traced) module in PyTorch's checkpoint format (``torchlike.save`` of
    the module object); ``jit.load`` reads it back without running code from the file.

    Unlike PyTorch no TorchScript code is stored: the module's classes must be importable where
    it is loaded. Functions cannot be saved (PyTorch saves scripted functions as code)."""
    from .serialization import save as _save
    if not _is_module(m) and not isinstance(m, TracedModule):
        raise RuntimeError(f"torchlike.jit.save saves modules (scripted or traced), got "
                           f"{type(m).__name__}; torchlike keeps no TorchScript code to save a "
                           "function with")
    _save(m, f)


def _jit_global(module, name):
    """What ``jit.load`` allows beyond the weights-only globals: ``jit._retrace`` (a traced
    module) and module classes (``nn.Module`` subclasses, or classes defining ``forward``) that
    are already imported. Nothing is imported and only ``_retrace`` may be called."""
    import sys

    from .serialization import _torchlike_object
    if (module, name) == (__name__, "_retrace"):
        return _retrace, True
    obj = _torchlike_object(module, name, importing=False)
    if obj is None and module in sys.modules:
        obj = getattr(sys.modules[module], name, None)
    if isinstance(obj, type) and obj is not TracedModule and (
            _nn_module(obj) or callable(getattr(obj, "forward", None))):
        return obj, False
    return None


def _nn_module(cls):
    import sys
    nn = sys.modules.get(__package__ + ".nn")
    return nn is not None and issubclass(cls, nn.Module)


def load(f, map_location=None, _extra_files=None, _restore_shapes=False):
    """Load what ``jit.save`` wrote, safely: with ``torchlike.load(weights_only=True)``'s
    unpickler, which also allows module classes already imported (see ``_jit_global``) and
    whatever ``serialization.add_safe_globals`` allows. TorchScript archives written by PyTorch
    cannot be read (torchlike does not run TorchScript)."""
    from .serialization import _load
    m = _load(f, map_location, True, extra=_jit_global)
    if not _is_module(m) and not isinstance(m, TracedModule):
        raise RuntimeError("jit.load: not a module saved by torchlike.jit.save (TorchScript "
                           "archives from PyTorch cannot be loaded; save a state_dict with "
                           "torch.save and load it with torchlike.load)")
    if map_location is not None and hasattr(m, "to"):
        m.to(map_location)
    return m


def ignore(drop=False, **kwargs):
    if callable(drop):
        return drop
    return lambda fn: fn


def unused(fn):
    return fn


def export(fn):
    return fn


def interface(obj):
    return obj


def is_scripting():
    return False


def is_tracing():
    return _TRACING[0] > 0


def annotate(the_type, the_value):
    return the_value


def script_if_tracing(fn):
    return fn


class _FinalMeta(type):
    def __getitem__(cls, item):
        return item


class Final(metaclass=_FinalMeta):
    pass


class Attribute:
    def __new__(cls, value, type=None):  # noqa: A002
        return value


class Future:
    def __init__(self, value):
        self._value = value

    def wait(self):
        return self._value

    def value(self):
        return self._value

    def done(self):
        return True


def fork(func, *args, **kwargs):
    return Future(func(*args, **kwargs))


def wait(future):
    return future.wait()


def freeze(mod, preserved_attrs=None, optimize_numerics=True):
    return mod


def optimize_for_inference(mod, other_methods=None):
    return mod


def enable_onednn_fusion(enabled):
    pass
