"""torchlike.export: a model as a serialized StableHLO program that runs without its Python code.

``torchlike.export(model, x)`` (the module itself is callable) and PyTorch's spelling
``torchlike.export.export(model, (x,), kwargs=None, dynamic_shapes=None)`` trace the module's
forward (or a function) once with ``jax.export`` and return an :class:`ExportedProgram`. Save it
with ``ep.save(path)`` or ``torchlike.export.save(ep, f)``; ``torchlike.export.load(f)`` gives
it back in any process that can import torchlike, without the model's code.

What differs from ``torch.export``:

- The artifact is a StableHLO module (lowered by ``jax.export``), not an FX graph of aten ops;
  there is no ``graph``, ``graph_signature`` or ``run_decompositions``. ``ep.mlir_text()``
  shows the program; ``ep.exported`` is the underlying ``jax.export.Exported``.
- Parameters and buffers are baked into the program as constants, so the file is all that is
  needed to run it (and ``ep.state_dict`` is empty). Export again after changing the weights.
- The train/eval mode and the grad mode are those at export time (tracing runs with grad
  recording off). State a traced call would update (BatchNorm running statistics in training
  mode) is not updated by the program, and random ops (dropout in training mode) draw from a
  key fixed at export time: both warn. Call ``model.eval()`` before exporting for inference.
- Reading a tensor's value in Python while tracing (``.item()``, ``print``, ``if`` on a
  tensor) raises RuntimeError, as it would in torch's strict mode; use tensor ops instead.
- ``ExportedProgram`` can be called directly (torch's refuses; use ``ep.module()`` as there).
  Outputs are plain tensors that do not track gradients: the program is for inference.
- Inputs are tensors in (nested) tuples, lists and dicts; Python numbers, strings, bools and
  None among them are fixed at export time and must be passed again unchanged. Calling with
  other shapes or dtypes raises ValueError naming expected and actual shapes; another nesting
  or another constant raises TypeError.
- ``dynamic_shapes`` makes dimensions symbolic with ``jax.export.symbolic_shape`` (``Dim``,
  ``Dim.DYNAMIC``). Code that computes shapes in Python with such a dimension (``flatten``,
  ``view``/``reshape`` in torchlike today) raises RuntimeError at export; an MLP works.
- The program runs on the platforms it was lowered for: the default backend, or
  ``platforms=("cpu", "cuda")`` to lower for several at once.
- The file is a zip holding JSON metadata (nesting, names, shapes) and the StableHLO bytecode;
  it is not readable by ``torch.export.load``, nor torch's files by this ``load``.
"""
from __future__ import annotations

import dataclasses
import inspect
import io
import json
import os
import sys
import tempfile
import types
import warnings
import zipfile

import jax
import jax.numpy as jnp

from . import _trace
from ._autograd_core import GRAD
from ._dtype import _BY_NP
from ._random import default_generator
from ._tensor import Tensor, _new
from .jit import _is_module
from .nn import Module

__all__ = ["export", "save", "load", "deserialize", "ExportedProgram", "Dim"]

_FORMAT = "torchlike.export"
_FORMAT_VERSION = 1
_META = "torchlike_export.json"
_PROGRAM = "program.mlirbc"
_CONSTS = (type(None), bool, int, float, str)


# ----------------------------------------------------------------------------- Dim


class Dim:
    """A symbolic dimension for ``dynamic_shapes`` (``Dim("batch", min=1, max=1024)``). One
    ``Dim`` used for several inputs means those sizes are equal. ``Dim.DYNAMIC`` (or
    ``Dim.AUTO``) gives a fresh dimension of its own; ``Dim.STATIC`` or None keeps the size."""

    DYNAMIC = AUTO = STATIC = None  # set below

    def __init__(self, name, *, min=None, max=None):  # noqa: A002
        if not (isinstance(name, str) and name.isidentifier()):
            raise ValueError(f"Dim name must be a Python identifier, got {name!r}")
        self.__name__ = name
        self.min, self.max = min, max

    def __repr__(self):
        return f"Dim({self.__name__!r}" + (f", min={self.min}" if self.min is not None else "") \
            + (f", max={self.max}" if self.max is not None else "") + ")"


class _DimHint:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"Dim.{self.name}"


Dim.DYNAMIC, Dim.AUTO, Dim.STATIC = _DimHint("DYNAMIC"), _DimHint("AUTO"), _DimHint("STATIC")


# ------------------------------------------------------------------ nesting <-> JSON spec


def _encode(obj, leaves, path, outputs=False):
    """Tensors in nested tuples/lists/dicts -> leaves; returns a JSON-able spec."""
    if isinstance(obj, Tensor) or (outputs and isinstance(obj, jax.Array)):
        leaves.append(obj)
        return {"T": len(leaves) - 1}
    if isinstance(obj, (list, tuple)):
        return {type(obj).__name__ if type(obj) in (list, tuple) else "tuple":
                [_encode(x, leaves, f"{path}[{i}]", outputs) for i, x in enumerate(obj)]}
    if isinstance(obj, dict):
        for k in obj:
            if not isinstance(k, _CONSTS):
                raise TypeError(f"torchlike.export: {path} has a dict key of type "
                                f"{type(k).__name__}; keys must be str, int, float, bool or None")
        return {"dict": [[k, _encode(v, leaves, f"{path}[{k!r}]", outputs)]
                         for k, v in obj.items()]}
    if isinstance(obj, _CONSTS):
        return {"C": obj}
    kind = "output" if outputs else "input"
    raise TypeError(f"torchlike.export: {kind} {path} is a {type(obj).__name__}; exported "
                    "programs take and return tensors in tuples, lists and dicts, and Python "
                    "numbers, strings, bools and None")


def _decode(spec, leaves):
    if "T" in spec:
        return leaves[spec["T"]]
    if "C" in spec:
        return spec["C"]
    if "dict" in spec:
        return {k: _decode(v, leaves) for k, v in spec["dict"]}
    kind, items = next(iter(spec.items()))
    return (list if kind == "list" else tuple)(_decode(x, leaves) for x in items)


def _match(spec, obj, path, leaves):
    """Collect the tensors of a call's ``obj`` laid out as ``spec``; TypeError on mismatch."""
    if "T" in spec:
        if not isinstance(obj, Tensor):
            raise TypeError(f"{path}: expected a Tensor, got {type(obj).__name__}")
        leaves.append(obj)
        return
    if "C" in spec:
        c = spec["C"]
        if type(obj) is not type(c) or (obj != c and not (obj != obj and c != c)):
            raise TypeError(f"{path}: this argument was fixed to {c!r} at export time, got "
                            f"{obj!r}; export again to use another value")
        return
    if "dict" in spec:
        keys = [k for k, _ in spec["dict"]]
        if not isinstance(obj, dict) or sorted(map(repr, obj)) != sorted(map(repr, keys)):
            got = list(obj) if isinstance(obj, dict) else type(obj).__name__
            raise TypeError(f"{path}: expected a dict with keys {keys}, got {got}")
        for k, s in spec["dict"]:
            _match(s, obj[k], f"{path}[{k!r}]", leaves)
        return
    kind, items = next(iter(spec.items()))
    if not isinstance(obj, (list, tuple)) or len(obj) != len(items):
        got = f"{type(obj).__name__} of length {len(obj)}" if isinstance(
            obj, (list, tuple)) else type(obj).__name__
        raise TypeError(f"{path}: expected a {kind} of length {len(items)}, got {got}")
    for i, (s, x) in enumerate(zip(items, obj)):
        _match(s, x, f"{path}[{i}]", leaves)


def _leaf_names(spec, path, out):
    if "T" in spec:
        out.append(path)
    elif "dict" in spec:
        for k, s in spec["dict"]:
            _leaf_names(s, f"{path}[{k!r}]", out)
    elif "C" not in spec:
        for i, s in enumerate(next(iter(spec.values()))):
            _leaf_names(s, f"{path}[{i}]", out)
    return out


def _arg_names(fn, n):
    """Names of the first ``n`` positional parameters of ``fn`` (``args[i]`` past them)."""
    names = []
    try:
        for p in inspect.signature(fn).parameters.values():
            if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                break
            names.append(p.name)
    except (TypeError, ValueError):
        pass
    return [names[i] if i < len(names) else f"args[{i}]" for i in range(n)]


# ------------------------------------------------------------------------- shapes


def _dim_str(d):
    return str(d) if jax.export.is_symbolic_dim(d) else str(int(d))


def _shape_view(shape):
    return tuple(str(d) if jax.export.is_symbolic_dim(d) else int(d) for d in shape)


def _dtype_name(dt):
    return jnp.dtype(dt).name


def _fmt(shape, dtype):
    name = getattr(_BY_NP.get(jnp.dtype(dtype)), "name", None) or _dtype_name(dtype)
    return f"{name}[{', '.join(str(d) for d in shape)}]"


def _dims_for(ds, value, path):
    """Per-leaf dynamic-dimension specs, in leaf order: a list of (dim index -> Dim|hint)."""
    if isinstance(value, Tensor):
        if ds is None:
            return [{}]
        if isinstance(ds, dict):
            entries = dict(ds)
        elif isinstance(ds, (list, tuple)):
            if len(ds) != value.dim():
                raise ValueError(f"dynamic_shapes for {path}: {len(ds)} entries for a "
                                 f"{value.dim()}-d tensor")
            entries = dict(enumerate(ds))
        else:
            raise ValueError(f"dynamic_shapes for {path}: expected a dict {{dim: Dim}} or a "
                             f"list of Dim/None per dimension, got {ds!r}")
        out = {}
        for i, d in entries.items():
            if not (isinstance(i, int) and -value.dim() <= i < value.dim()):
                raise ValueError(f"dynamic_shapes for {path}: dimension {i!r} out of range "
                                 f"for a {value.dim()}-d tensor")
            if d is None or d is Dim.STATIC:
                continue
            if not isinstance(d, (Dim, _DimHint)):
                raise ValueError(f"dynamic_shapes for {path}[{i}]: expected a Dim, "
                                 f"Dim.DYNAMIC or None, got {d!r}")
            out[i % value.dim()] = d
        return [out]
    if isinstance(value, (list, tuple)):
        if ds is not None and not (isinstance(ds, (list, tuple)) and len(ds) == len(value)):
            raise ValueError(f"dynamic_shapes for {path}: expected a {type(value).__name__} "
                             f"of {len(value)} entries, got {ds!r}")
        return [x for i, v in enumerate(value)
                for x in _dims_for(None if ds is None else ds[i], v, f"{path}[{i}]")]
    if isinstance(value, dict):
        if ds is not None and not isinstance(ds, dict):
            raise ValueError(f"dynamic_shapes for {path}: expected a dict, got {ds!r}")
        return [x for k, v in value.items()
                for x in _dims_for(None if ds is None else ds.get(k), v, f"{path}[{k!r}]")]
    return []


def _in_avals(args, kwargs, leaves, arg_names, dynamic_shapes):
    """ShapeDtypeStructs for the input leaves, and the dimension variables' bounds."""
    if dynamic_shapes is None:
        return [jax.ShapeDtypeStruct(t._v.shape, t._v.dtype) for t in leaves], {}
    kw = list(kwargs)
    if isinstance(dynamic_shapes, dict):
        names = arg_names + kw
        unknown = [k for k in dynamic_shapes if k not in names]
        if unknown:
            raise ValueError(f"dynamic_shapes has keys {unknown} that are not among the "
                             f"inputs' names {names}")
        per_arg = [dynamic_shapes.get(n) for n in names]
    elif isinstance(dynamic_shapes, (list, tuple)):
        if len(dynamic_shapes) not in (len(args), len(args) + len(kw)):
            raise ValueError(f"dynamic_shapes has {len(dynamic_shapes)} entries for "
                             f"{len(args)} positional and {len(kw)} keyword inputs")
        per_arg = list(dynamic_shapes) + [None] * (len(args) + len(kw) - len(dynamic_shapes))
    else:
        raise ValueError("dynamic_shapes must be a dict keyed by input name, or a tuple with "
                         "one entry per input")
    dims = []
    for name, ds, value in zip(arg_names + kw, per_arg,
                               list(args) + [kwargs[k] for k in kw]):
        dims += _dims_for(ds, value, name)
    bounds, fresh, shapes = {}, [0], []
    for t, spec in zip(leaves, dims):
        shape = [str(n) for n in t._v.shape]
        for i, d in spec.items():
            if isinstance(d, _DimHint):
                name = f"_d{fresh[0]}"
                fresh[0] += 1
                bounds[name] = (None, None)
            else:
                name = d.__name__
                prev = bounds.get(name)
                if prev is not None and prev != (d.min, d.max):
                    raise ValueError(f"dynamic_shapes: two Dims named {name!r} with different "
                                     f"bounds")
                bounds[name] = (d.min, d.max)
            shape[i] = name
        shapes.append(",".join(shape))
    constraints = []
    for name, (lo, hi) in bounds.items():
        if lo is not None and lo > 1:
            constraints.append(f"{name} >= {int(lo)}")
        if hi is not None:
            constraints.append(f"{name} <= {int(hi)}")
    scope = jax.export.SymbolicScope(tuple(constraints))
    avals = [jax.ShapeDtypeStruct(jax.export.symbolic_shape(s, scope=scope), t._v.dtype)
             for s, t in zip(shapes, leaves)]
    return avals, {k: list(v) for k, v in bounds.items()}


# ------------------------------------------------------------------------- tracing


def _concrete_read(e):
    return isinstance(e, jax.errors.ConcretizationTypeError) or isinstance(
        e, (jax.errors.TracerIntegerConversionError, jax.errors.TracerArrayConversionError)) \
        or (isinstance(e, RuntimeError) and "needs a concrete value" in str(e))


def _export(fn, args, kwargs, dynamic_shapes, platforms):
    if not callable(fn):
        raise TypeError(f"torchlike.export expects a Module or a function, got "
                        f"{type(fn).__name__}")
    is_mod = _is_module(fn)
    target = fn.forward if is_mod else fn
    name = type(fn).__name__ if is_mod else getattr(fn, "__name__", type(fn).__name__)
    args, kwargs = tuple(args), dict(kwargs or {})
    arg_names = _arg_names(target, len(args))
    paths = arg_names + list(kwargs)
    leaves = []
    in_spec = {"tuple": [{"tuple": [_encode(a, leaves, p) for a, p in zip(args, paths)]},
                         {"dict": [[k, _encode(v, leaves, str(k))] for k, v in kwargs.items()]}]}
    avals, bounds = _in_avals(args, kwargs, leaves, arg_names, dynamic_shapes)

    w = _trace.walk(fns=[(("fn",), fn)])
    rng = default_generator._key
    swap = _trace.Swap(w.boxes, w.views, w.modules)  # not lifted: weights are baked in
    info = {}

    def program(*arrays):
        a, k = _decode(in_spec, [_new(x) for x in arrays])
        result = fn(*a, **k)
        outs = []
        info["out_spec"] = _encode(result, outs, "result", outputs=True)
        return tuple(o._v if isinstance(o, Tensor) else o for o in outs)

    program.__name__ = program.__qualname__ = name if name.isidentifier() else "fn"
    prev = GRAD[0]
    GRAD[0] = False
    try:
        exported = jax.export.export(jax.jit(program), platforms=platforms)(*avals)
    except Exception as e:  # noqa: BLE001 - re-raised with what export does not allow
        if _concrete_read(e):
            what = str(e).split(" needs a concrete value")[0] if isinstance(
                e, RuntimeError) else type(e).__name__
            raise RuntimeError(
                f"torchlike.export: {name} reads a tensor's value in Python ({what}) while "
                "being traced. This is not allowed when exporting: the program is traced once "
                "with abstract values, so .item(), .tolist(), print(tensor) and `if` on a "
                "tensor have no value to use. Use tensor ops such as torchlike.where "
                "instead.") from None
        if type(e).__name__ == "InconclusiveDimensionOperation":
            raise RuntimeError(f"torchlike.export: {name} computes with a dynamic dimension "
                               f"in a way jax cannot decide symbolically; keep that dimension "
                               f"static or change the code. ({e})") from None
        raise
    finally:
        GRAD[0] = prev
        changed = [swap.boxes[i] for i in swap.changed()]
        reassigned = swap.modules_changed()
        swap.restore()
    if any(b is rng for b in changed):
        warnings.warn(f"torchlike.export: {name} draws random numbers (dropout in training "
                      "mode?); the exported program uses a key fixed at export time, so it "
                      "gives the same draws on every call. Call model.eval() before exporting "
                      "for inference.", stacklevel=3)
    if any(b is not rng for b in changed) or reassigned:
        warnings.warn(f"torchlike.export: {name} updates its state while running (BatchNorm "
                      "running statistics in training mode?); the exported program does not "
                      "carry those updates. Call model.eval() before exporting for inference.",
                      stacklevel=3)
    if exported.ordered_effects or exported.unordered_effects:
        raise RuntimeError(f"torchlike.export: {name} has side effects (host callbacks) that "
                           "cannot be serialized")
    meta = {"name": name, "in_spec": in_spec, "out_spec": info["out_spec"],
            "in_names": _names(in_spec, paths),
            "arg_names": arg_names, "dims": bounds,
            "training": bool(fn.training) if is_mod else None}
    return ExportedProgram(exported, meta)


def _names(in_spec, paths):
    out = []
    args_spec, kw_spec = in_spec["tuple"]
    for s, p in zip(args_spec["tuple"], paths):
        _leaf_names(s, p, out)
    for k, s in kw_spec["dict"]:
        _leaf_names(s, str(k), out)
    return out


# ----------------------------------------------------------------- ExportedProgram


class ExportedProgram:
    """A traced, serializable program: call it (or ``.module()``) with tensors laid out as the
    example inputs were. ``in_shapes``/``out_shapes`` give the flat shapes (symbolic
    dimensions as their names), ``mlir_text()`` the StableHLO, ``save``/``serialize`` the file.
    """

    def __init__(self, exported, meta):
        self.exported = exported
        self._meta = meta
        self._jitted = None

    # -------------------------------------------------------------- information
    @property
    def name(self):
        return self._meta["name"]

    @property
    def in_shapes(self):
        return [_shape_view(a.shape) for a in self.exported.in_avals]

    @property
    def out_shapes(self):
        return [_shape_view(a.shape) for a in self.exported.out_avals]

    @property
    def in_dtypes(self):
        return [_BY_NP.get(jnp.dtype(a.dtype)) for a in self.exported.in_avals]

    @property
    def out_dtypes(self):
        return [_BY_NP.get(jnp.dtype(a.dtype)) for a in self.exported.out_avals]

    @property
    def in_names(self):
        return list(self._meta["in_names"])

    @property
    def platforms(self):
        return tuple(self.exported.platforms)

    @property
    def training(self):
        """The module's train/eval mode at export time (None for a function)."""
        return self._meta["training"]

    @property
    def state_dict(self):
        """Empty: parameters and buffers are constants inside the program."""
        return {}

    def mlir_text(self):
        """The program as StableHLO text (weights included as dense constants)."""
        return self.exported.mlir_module()

    def __repr__(self):
        ins = ", ".join(f"{n}: {_fmt(a.shape, a.dtype)}"
                        for n, a in zip(self.in_names, self.exported.in_avals))
        outs = ", ".join(_fmt(a.shape, a.dtype) for a in self.exported.out_avals)
        mode = "" if self.training is None else f", training={self.training}"
        size = len(self.exported.mlir_module_serialized)
        return (f"ExportedProgram({self.name}, platforms={self.platforms}{mode})\n"
                f"  inputs: {ins}\n  outputs: {outs}\n"
                f"  StableHLO: {size / 1024:.1f} KiB, weights included")

    # ------------------------------------------------------------------ calling
    def __call__(self, *args, **kwargs):
        leaves = self._inputs(args, kwargs)
        arrays = [t._v for t in leaves]
        self._check(arrays)
        if self._jitted is None:
            self._jitted = jax.jit(self.exported.call)
        outs = self._jitted(*arrays)
        return _decode(self._meta["out_spec"], [_new(o) for o in outs])

    def _inputs(self, args, kwargs):
        m = self._meta
        args_spec, kw_spec = m["in_spec"]["tuple"]
        n = len(args_spec["tuple"])
        if len(args) != n:
            raise TypeError(f"{self.name}: exported with {n} positional inputs, called with "
                            f"{len(args)}")
        leaves = []
        for s, a, p in zip(args_spec["tuple"], args, m["arg_names"]):
            _match(s, a, p, leaves)
        keys = [k for k, _ in kw_spec["dict"]]
        if sorted(kwargs) != sorted(keys):
            raise TypeError(f"{self.name}: exported with keyword inputs {keys}, called with "
                            f"{list(kwargs)}")
        for k, s in kw_spec["dict"]:
            _match(s, kwargs[k], k, leaves)
        return leaves

    def _check(self, arrays):
        bad, sym = [], {}
        bounds = self._meta["dims"]
        for name, aval, x in zip(self.in_names, self.exported.in_avals, arrays):
            ok = jnp.dtype(x.dtype) == jnp.dtype(aval.dtype) and len(x.shape) == len(aval.shape)
            for d, n in zip(aval.shape, x.shape) if ok else ():
                if not jax.export.is_symbolic_dim(d):
                    ok = ok and int(d) == n
                elif str(d) in bounds:
                    lo, hi = bounds[str(d)]
                    ok = ok and n >= max(lo or 1, 1) and (hi is None or n <= hi) \
                        and sym.setdefault(str(d), n) == n
            if not ok:
                bad.append(f"{name}: expected {_fmt(aval.shape, aval.dtype)}, got "
                           f"{_fmt(x.shape, x.dtype)}")
        if bad:
            extra = "".join(f"; {k} in [{lo or 1}, {'inf' if hi is None else hi}]"
                            for k, (lo, hi) in bounds.items())
            raise ValueError(f"{self.name} was exported for other input shapes or dtypes: "
                             + "; ".join(bad) + extra)

    def module(self):
        """An ``nn.Module`` whose forward runs this program (no parameters: they are baked in).
        ``train()``/``eval()`` are accepted when they ask for the export-time mode and raise
        NotImplementedError otherwise (torch's always raise)."""
        return ExportedModule(self)

    # ----------------------------------------------------------------- saving
    def serialize(self):
        """The file's bytes: a zip of JSON metadata and the StableHLO bytecode."""
        return _to_bytes(self)

    def save(self, f):
        """Write the program to a path (atomically) or a binary file object."""
        save(self, f)

    def __reduce__(self):
        return (deserialize, (self.serialize(),))


class ExportedModule(Module):
    """``ExportedProgram.module()``: a Module whose forward runs the exported program."""

    def __init__(self, program):
        super().__init__()
        object.__setattr__(self, "_program", program)
        if program.training is not None:
            object.__setattr__(self, "training", program.training)

    def forward(self, *args, **kwargs):
        return self._program(*args, **kwargs)

    def train(self, mode=True):
        want = self._program.training
        if want is not None and bool(mode) != want:
            raise NotImplementedError(
                f"the exported program was traced in {'train' if want else 'eval'} mode; the "
                f"mode cannot change after export (export again after "
                f"model.{'train' if mode else 'eval'}())")
        return self

    def extra_repr(self):
        return repr(self._program).split("\n", 1)[1].replace("\n  ", ", ").strip()


# ---------------------------------------------------------------------- the file


def _to_bytes(ep, extra_files=None):
    e = ep.exported
    meta = dict(ep._meta, format=_FORMAT, version=_FORMAT_VERSION,
                in_avals=[[[_dim_str(d) for d in a.shape], _dtype_name(a.dtype)]
                          for a in e.in_avals],
                out_avals=[[[_dim_str(d) for d in a.shape], _dtype_name(a.dtype)]
                           for a in e.out_avals],
                platforms=list(e.platforms), nr_devices=e.nr_devices,
                calling_convention_version=e.calling_convention_version,
                module_kept_var_idx=list(e.module_kept_var_idx),
                uses_global_constants=bool(e.uses_global_constants),
                jax_version=jax.__version__)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(_META, json.dumps(meta, indent=1))
        z.writestr(_PROGRAM, e.mlir_module_serialized)
        for k, v in (extra_files or {}).items():
            z.writestr(f"extra/{k}", v.encode() if isinstance(v, str) else bytes(v))
    return buf.getvalue()


def _rebuild_exported(meta, program):
    """A ``jax.export.Exported`` from the stored fields. (jax's own ``Exported.serialize``
    needs the optional ``flatbuffers`` package; the fields it stores are these.)"""
    constraints = []
    for name, (lo, hi) in meta["dims"].items():
        if lo is not None and lo > 1:
            constraints.append(f"{name} >= {int(lo)}")
        if hi is not None:
            constraints.append(f"{name} <= {int(hi)}")
    scope = jax.export.SymbolicScope(tuple(constraints))

    def aval(shape, dtype):
        return jax.core.ShapedArray(jax.export.symbolic_shape(",".join(shape), scope=scope),
                                    jnp.dtype(dtype))

    ins = tuple(aval(*a) for a in meta["in_avals"])
    outs = tuple(aval(*a) for a in meta["out_avals"])
    # a stand-in with the same inputs and number of outputs supplies the fields not stored
    stand_in = jax.export.export(
        jax.jit(lambda *a: tuple(jnp.zeros((), o.dtype) for o in outs)),
        platforms=meta["platforms"])(*[jax.ShapeDtypeStruct(a.shape, a.dtype) for a in ins])
    return dataclasses.replace(
        stand_in, fun_name=meta["name"], in_avals=ins, out_avals=outs,
        mlir_module_serialized=program, platforms=tuple(meta["platforms"]),
        calling_convention_version=meta["calling_convention_version"],
        module_kept_var_idx=tuple(meta["module_kept_var_idx"]),
        uses_global_constants=meta["uses_global_constants"])


def deserialize(data, extra_files=None):
    """An ExportedProgram from the bytes ``serialize()`` returned."""
    try:
        z = zipfile.ZipFile(io.BytesIO(bytes(data)))
        meta = json.loads(z.read(_META))
        program = z.read(_PROGRAM)
    except (zipfile.BadZipFile, KeyError, ValueError) as e:
        raise RuntimeError("torchlike.export.load: not a file written by torchlike.export.save "
                           f"({e})") from None
    if meta.get("format") != _FORMAT or meta.get("version", 0) > _FORMAT_VERSION:
        raise RuntimeError(f"torchlike.export.load: unsupported file (format "
                           f"{meta.get('format')!r} version {meta.get('version')!r}; this "
                           f"torchlike reads {_FORMAT!r} up to version {_FORMAT_VERSION})")
    if extra_files is not None:
        for k in list(extra_files):
            name = f"extra/{k}"
            if name in z.namelist():
                extra_files[k] = z.read(name).decode()
    keep = ("name", "in_spec", "out_spec", "in_names", "arg_names", "dims", "training")
    return ExportedProgram(_rebuild_exported(meta, program), {k: meta[k] for k in keep})


def save(ep, f, *, extra_files=None, opset_version=None, pickle_protocol=2):
    """Write ``ep`` to ``f``: a path (written to a temporary file, then renamed over it) or a
    binary file object. ``extra_files`` ({name: str}) are stored beside the program."""
    if not isinstance(ep, ExportedProgram):
        raise TypeError(f"torchlike.export.save expects an ExportedProgram, got "
                        f"{type(ep).__name__}")
    data = _to_bytes(ep, extra_files)
    if isinstance(f, (str, bytes)) or hasattr(f, "__fspath__"):
        path = os.fsdecode(f)
        fd, tmp = tempfile.mkstemp(prefix=".export-", dir=os.path.dirname(path) or ".")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    else:
        f.write(data)


def load(f, *, extra_files=None, expected_opset_version=None):
    """Read what ``save`` wrote, from a path or a binary file object. ``extra_files`` given as
    a dict ({name: ""}) is filled with the stored strings of those names."""
    if isinstance(f, (str, bytes)) or hasattr(f, "__fspath__"):
        with open(f, "rb") as fh:
            data = fh.read()
    else:
        data = f.read()
    return deserialize(data, extra_files)


def export(mod, args, kwargs=None, *, dynamic_shapes=None, strict=False,
           preserve_module_call_signature=(), prefer_deferred_runtime_asserts_over_guards=False,
           platforms=None):
    """PyTorch's ``torch.export.export(mod, args, kwargs)``: ``args`` is a tuple of example
    inputs. ``mod`` may also be a plain function. ``platforms`` (torchlike only) lists the jax
    platforms to lower for, default the current backend."""
    if not isinstance(args, tuple):
        raise ValueError(f"Expecting `args` to be a tuple of example positional inputs, got "
                         f"{type(args)}")
    if kwargs is not None and not isinstance(kwargs, dict):
        raise ValueError(f"Expecting `kwargs` to be a dict, got {type(kwargs)}")
    return _export(mod, args, kwargs, dynamic_shapes, platforms)


class _CallableModule(types.ModuleType):
    def __call__(self, fn, *example_args, kwargs=None, dynamic_shapes=None, platforms=None):
        """``torchlike.export(model, x, ...)``: export with example inputs given inline."""
        return _export(fn, example_args, kwargs, dynamic_shapes, platforms)


sys.modules[__name__].__class__ = _CallableModule
