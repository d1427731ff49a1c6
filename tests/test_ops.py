"""Table-driven op tests (in the spirit of PyTorch's OpInfo and tinygrad's helper_test_op).

Part 1 -- values: one record per public op, compared against real torch (values, shapes and
dtypes) over several shapes, broadcasting cases and dtypes; also methods and in-place variants.

Part 2 -- gradients: a walk over `torchlike._ops.registry.TABLE` that gradchecks every
differentiable op in float64 with finite differences (`torchlike.autograd.gradcheck`). A new op
is covered automatically: elementwise and reduction ops with default static arguments get
generated inputs; every other op needs an entry in SAMPLES below (the test names the ops that
have none). Ops registered by other modules (torchlike.nn's functional ops, ...) are covered by
the same walk once those modules are imported here.
"""
from __future__ import annotations

import importlib
import math

import numpy as np
import pytest

import torchlike
from torchlike._ops.registry import TABLE, call
from parity import compare  # the one structure/shape/dtype/value comparison with torch

# modules that register ops of their own: import them so that the walk sees their ops
for _mod in ("torchlike.nn", "torchlike.nn.functional", "torchlike.special", "torchlike.fft",
             "torchlike.distributions", "torchlike.sparse", "torchlike._compile"):
    try:
        importlib.import_module(_mod)
    except ImportError:
        pass

F32, F64, I64, I32, BOOL = "float32", "float64", "int64", "int32", "bool"
FLOATS = (F32,)          # float64 is exercised by the gradcheck walk
NUMERIC = (F32, I64)

# ============================================================================ part 1: values


def _np_input(rng, shape, dtype, domain):
    if dtype == BOOL:
        return rng.random(shape) > 0.5
    lo, hi = domain
    if dtype in (I64, I32, "int16", "int8", "uint8"):
        lo_i, hi_i = int(math.ceil(lo)), int(math.floor(hi))
        if lo_i == hi_i:
            hi_i += 1
        return rng.integers(lo_i, hi_i + 1, size=shape).astype(dtype)
    return rng.uniform(lo, hi, size=shape).astype(dtype)


class Rec:
    """One op record: how to call it on either module, over which inputs."""

    def __init__(self, name, fn=None, *, arity=1, shapes=None, dtypes=FLOATS, domain=(-2, 2),
                 rtol=1e-5, atol=1e-6, method=None, scalars=(), nonzero=False,
                 id=None):
        self.name = name
        self.fn = fn or (lambda m, *xs: getattr(m, name)(*xs))
        self.arity = arity
        if shapes is None:
            shapes = UNARY_SHAPES if arity == 1 else BINARY_SHAPES if arity == 2 else \
                TERNARY_SHAPES
        self.shapes = shapes
        self.dtypes = dtypes
        self.domain = domain
        self.rtol, self.atol = rtol, atol
        self.method = method if method is not None else fn is None
        self.scalars = scalars   # Python scalars to try as the second operand
        self.nonzero = nonzero   # keep inputs away from 0 (divisors)
        self.id = id or name

    def inputs(self, dtype):
        rng = np.random.default_rng(abs(hash(self.id)) % 2**32)
        for shp in self.shapes:
            arrays = []
            for s in shp:
                a = _np_input(rng, s, dtype, self.domain)
                if self.nonzero and dtype != BOOL:
                    a = np.where(a == 0, np.ones_like(a), a)
                arrays.append(a)
            yield arrays


UNARY_SHAPES = [((2, 3),)]           # 0-d inputs: test_zero_dim_inputs
BINARY_SHAPES = [((2, 3), (2, 3)), ((2, 1), (3,))]   # 0-d: test_operator_promotion
TERNARY_SHAPES = [((2, 1), (3,), ())]


def _scal(x):
    return x


def _red(name, **kw):
    return lambda m, x: getattr(m, name)(x, **kw)


def _meth(name, *args, **kw):
    return lambda m, x: getattr(x, name)(*args, **kw)


_POS = (0.2, 3.0)
_UNIT = (-0.9, 0.9)
RED_SHAPES = [((2, 3),), ((2, 3, 4),)]

RECORDS = [
    # ------------------------------------------------------------------ unary, any real input
    *[Rec(n, dtypes=NUMERIC)
      for n in ("sin", "cos", "atan", "sinh", "cosh", "asinh", "erf", "erfc", "exp", "exp2",
                "expm1", "tanh", "sigmoid", "sinc", "deg2rad", "rad2deg")],
    Rec("tan", domain=(-1.2, 1.2), dtypes=NUMERIC),
    *[Rec(n, dtypes=NUMERIC)
      for n in ("neg", "abs", "sign", "sgn", "square", "relu")],
    *[Rec(n, dtypes=FLOATS, domain=(-3, 3))
      for n in ("floor", "ceil", "trunc", "frac", "round")],
    Rec("round", lambda m, x: m.round(x, decimals=1), id="round_decimals"),
    # ------------------------------------------------------------------ unary, restricted
    *[Rec(n, dtypes=NUMERIC, domain=_POS if n != "log1p" else (0, 3))
      for n in ("log", "log2", "log10", "log1p", "sqrt", "rsqrt", "lgamma", "digamma",
                "reciprocal")],
    *[Rec(n, domain=_UNIT) for n in
      ("asin", "acos", "atanh", "erfinv")],
    Rec("acosh", domain=(1.1, 3)),
    Rec("logit", domain=(0.05, 0.95)),
    Rec("logit", lambda m, x: m.logit(x, eps=0.1), domain=(0.0, 1.0), id="logit_eps"),
    Rec("polygamma", lambda m, x: m.polygamma(1, x), domain=_POS),
    *[Rec(n, dtypes=(F32, F64, BOOL), method=False) for n in
      ("isnan", "isinf", "isfinite", "signbit", "logical_not")],
    Rec("nan_to_num", lambda m, x: m.nan_to_num(x / x.abs().round(), nan=0.5, posinf=9.0),
        domain=(-1, 1)),
    Rec("bitwise_not", dtypes=(I64, BOOL)),
    # ------------------------------------------------------------------------------ binary
    *[Rec(n, arity=2, dtypes=NUMERIC + (BOOL,) if n in ("add", "mul") else NUMERIC,
          scalars=(2, 1.5, True))
      for n in ("add", "mul")],
    Rec("sub", arity=2, dtypes=NUMERIC, scalars=(2, 1.5)),
    Rec("add", lambda m, a, b: m.add(a, b, alpha=2), arity=2, dtypes=NUMERIC, id="add_alpha"),
    Rec("sub", lambda m, a, b: m.sub(a, b, alpha=0.5), arity=2, id="sub_alpha"),
    Rec("rsub", lambda m, a, b: m.rsub(a, b), arity=2, dtypes=NUMERIC),
    Rec("div", arity=2, dtypes=NUMERIC, nonzero=True, scalars=(2, 0.5)),
    Rec("true_divide", arity=2, dtypes=NUMERIC, nonzero=True),
    Rec("div", lambda m, a, b: m.div(a, b, rounding_mode="floor"), arity=2, dtypes=NUMERIC,
        nonzero=True, domain=(-6, 6), id="div_floor"),
    Rec("div", lambda m, a, b: m.div(a, b, rounding_mode="trunc"), arity=2, dtypes=NUMERIC,
        nonzero=True, domain=(-6, 6), id="div_trunc"),
    Rec("floor_divide", arity=2, dtypes=NUMERIC, nonzero=True, domain=(-6, 6)),
    *[Rec(n, arity=2, dtypes=NUMERIC, nonzero=True, domain=(-6, 6), scalars=(3,))
      for n in ("remainder", "fmod")],
    Rec("pow", arity=2, domain=_POS, scalars=(2, 0.5, 3, -1)),
    Rec("pow", lambda m, a, b: m.pow(a.abs().long(), b.abs().long()), arity=2, domain=(0, 3),
        dtypes=(I64,), id="pow_int"),
    Rec("pow", lambda m, a, b: 2 ** a, arity=2, id="rpow"),
    Rec("pow", lambda m, a, b: 2.5 ** a, arity=2, dtypes=NUMERIC, id="rpow_float"),
    *[Rec(n, arity=2, dtypes=NUMERIC, method=True) for n in
      ("maximum", "minimum", "fmax", "fmin")],
    *[Rec(n, arity=2) for n in ("atan2", "hypot", "copysign")],
    *[Rec(n, arity=2, dtypes=NUMERIC + (BOOL,), scalars=(0, 1.0)) for n in
      ("eq", "ne", "lt", "le", "gt", "ge")],
    *[Rec(n, arity=2, dtypes=(I64, BOOL, F32)) for n in
      ("logical_and", "logical_or", "logical_xor")],
    *[Rec(n, arity=2, dtypes=(I64, BOOL), scalars=(3,)) for n in
      ("bitwise_and", "bitwise_or", "bitwise_xor")],
    *[Rec(n, arity=2, dtypes=(I64,), domain=(0, 3)) for n in
      ("bitwise_left_shift", "bitwise_right_shift")],
    Rec("isclose", arity=2, dtypes=FLOATS),
    # ---------------------------------------------------------------------------- ternary
    Rec("where", lambda m, a, b, c: m.where(a > 0, b, c), arity=3, dtypes=NUMERIC),
    Rec("where", lambda m, a, b, c: m.where(a > 0, b, 0.0), arity=3, dtypes=NUMERIC,
        id="where_scalar"),
    Rec("lerp", arity=3, dtypes=FLOATS),
    Rec("lerp", lambda m, a, b, c: m.lerp(a, b, 0.25), arity=3, id="lerp_scalar"),
    Rec("addcmul", lambda m, a, b, c: m.addcmul(a, b, c, value=0.5), arity=3),
    Rec("addcdiv", lambda m, a, b, c: m.addcdiv(a, b, c, value=2), arity=3, nonzero=True),
    Rec("clamp", lambda m, x: m.clamp(x, -0.5, 0.5), dtypes=NUMERIC),
    Rec("clamp", lambda m, x: m.clamp(x, min=0), dtypes=NUMERIC, id="clamp_min"),
    Rec("clamp", lambda m, x: m.clamp(x, max=0.25), dtypes=FLOATS, id="clamp_max"),
    Rec("clamp", lambda m, x, lo: m.clamp(x, lo, lo + 1), arity=2, id="clamp_tensor"),
    Rec("clamp", lambda m, x: x.clamp_(min=-0.5), id="clamp_", method=False),
    # ------------------------------------------------------------------------- reductions
    *[Rec(n, _red(n, **kw), shapes=RED_SHAPES + [((),)], dtypes=NUMERIC + (BOOL,)
          if n == "sum" else NUMERIC if n in ("prod", "amax", "amin", "argmax", "argmin")
          else FLOATS, id=f"{n}{kw}", rtol=1e-4)
      for n in ("sum", "mean", "prod", "amax", "amin", "argmax", "argmin", "nansum")
      for kw in ({}, {"dim": -1, "keepdim": True})],
    Rec("sum", _red("sum", dim=(0, -1)), shapes=RED_SHAPES[:2], dtypes=NUMERIC, id="sum_dims"),
    Rec("mean", _red("mean", dim=[0, 1], keepdim=True), shapes=RED_SHAPES[:2], id="mean_dims"),
    Rec("sum", lambda m, x: m.sum(x, dtype=m.float64), method=False, dtypes=(I64,),
        shapes=RED_SHAPES, id="sum_dtype"),
    *[Rec(n, _red(n, **kw), shapes=RED_SHAPES, id=f"{n}{kw}", rtol=1e-4)
      for n in ("var", "std")
      for kw in ({}, {"dim": 0}, {"dim": 1, "unbiased": False}, {"dim": -1, "keepdim": True,
                                                                  "correction": 0})],
    *[Rec(n, _red(n, dim=d), shapes=RED_SHAPES, dtypes=NUMERIC if n != "logsumexp" else FLOATS,
          id=f"{n}{d}") for n in ("cumsum", "cumprod", "logsumexp", "softmax", "log_softmax")
      for d in (0, -1) if n in ("cumsum", "cumprod", "logsumexp") or True
      if not (n in ("softmax", "log_softmax") and False)],
    *[Rec(n, _red(n, **kw), shapes=RED_SHAPES, dtypes=(F32, I64, BOOL), id=f"{n}{kw}")
      for n in ("all", "any", "count_nonzero") for kw in ({}, {"dim": 0})],
    *[Rec(n, _red(n, **kw), shapes=RED_SHAPES, dtypes=NUMERIC, id=f"{n}{kw}")
      for n in ("max", "min", "median") for kw in ({}, {"dim": -1, "keepdim": True})],
    *[Rec("norm", _red("norm", **kw), shapes=RED_SHAPES, id=f"norm{kw}", rtol=1e-4)
      for kw in ({}, {"p": 1}, {"p": 3, "dim": 0}, {"p": float("inf")}, {"dim": -1,
                                                                         "keepdim": True})],
    Rec("aminmax", lambda m, x: tuple(m.aminmax(x, dim=0)), shapes=RED_SHAPES[:2]),
    # ---------------------------------------------------------------------- linear algebra
    Rec("matmul", arity=2, shapes=[((3, 4), (4, 2)), ((4,), (4,)), ((3, 4), (4,)),
                                   ((4,), (4, 2)), ((2, 3, 4), (2, 4, 5)), ((2, 3, 4), (4, 5)),
                                   ((4,), (2, 4, 3)), ((2, 1, 3, 4), (5, 4, 2))],
        dtypes=(F32, F64, I64), rtol=1e-4),
    Rec("mm", arity=2, shapes=[((3, 4), (4, 2))], rtol=1e-4),
    Rec("bmm", arity=2, shapes=[((2, 3, 4), (2, 4, 5))], rtol=1e-4),
    Rec("mv", arity=2, shapes=[((3, 4), (4,))], rtol=1e-4),
    Rec("dot", arity=2, shapes=[((4,), (4,))], dtypes=NUMERIC, rtol=1e-4),
    Rec("outer", arity=2, shapes=[((4,), (3,))], dtypes=NUMERIC),
    Rec("addmm", lambda m, a, b, c: m.addmm(a, b, c, beta=0.5, alpha=2), arity=3,
        shapes=[((2, 3), (2, 4), (4, 3)), ((3,), (2, 4), (4, 3))], rtol=1e-4),
    Rec("einsum", lambda m, a, b: m.einsum("ij,jk->ik", a, b), arity=2,
        shapes=[((2, 3), (3, 4))], rtol=1e-4),
    Rec("einsum", lambda m, a, b: m.einsum("bij,bj->bi", [a, b]), arity=2,
        shapes=[((2, 3, 4), (2, 4))], rtol=1e-4, id="einsum_list"),
    Rec("t", shapes=[((2, 3),), ((3,),), ((),)], dtypes=NUMERIC),
    Rec("T", lambda m, x: x.T, shapes=[((2, 3),), ((3,),)], method=False),
    Rec("mT", lambda m, x: x.mT, shapes=[((2, 3, 4),)], method=False),
    Rec("det", shapes=[((3, 3),), ((2, 3, 3),)], rtol=1e-4, atol=1e-5),
    Rec("inverse", shapes=[((3, 3),)], rtol=1e-3, atol=1e-4, domain=(1, 2),
        fn=lambda m, x: m.inverse(x + 3 * m.eye(3, dtype=x.dtype))),
    Rec("trace", shapes=[((3, 3),), ((2, 4),)], dtypes=NUMERIC),
    Rec("cross", lambda m, a, b: m.cross(a, b, dim=-1), arity=2,
        shapes=[((4, 3), (4, 3))]),
    Rec("linalg.norm", lambda m, x: m.linalg.norm(x), shapes=RED_SHAPES[:1] + [((4,),)],
        rtol=1e-4),
    Rec("linalg.vector_norm", lambda m, x: m.linalg.vector_norm(x, ord=1, dim=-1),
        shapes=RED_SHAPES, rtol=1e-4),
    Rec("linalg.matrix_norm", lambda m, x: m.linalg.matrix_norm(x), shapes=[((3, 4),)],
        rtol=1e-4),
    Rec("linalg.solve", lambda m, a, b: m.linalg.solve(a + 4 * m.eye(3, dtype=a.dtype), b),
        arity=2, shapes=[((3, 3), (3, 2))], rtol=1e-4, atol=1e-5),
    Rec("linalg.cholesky", lambda m, a: m.linalg.cholesky(a @ a.mT + m.eye(3, dtype=a.dtype)),
        shapes=[((3, 3),)], rtol=1e-4, atol=1e-5),
    Rec("linalg.eigvalsh", lambda m, a: m.linalg.eigvalsh(a + a.mT), shapes=[((3, 3),)],
        rtol=1e-4, atol=1e-5),
    Rec("linalg.svdvals", lambda m, a: m.linalg.svdvals(a), shapes=[((3, 4),)],
        rtol=1e-4, atol=1e-5),
    # ---------------------------------------------------------------------------- shape ops
    Rec("reshape", lambda m, x: x.reshape(-1, 2), shapes=[((2, 3),), ((4, 2, 1),)],
        dtypes=NUMERIC + (BOOL,), method=False),
    Rec("view", lambda m, x: x.view(3, -1), shapes=[((2, 3),), ((6,),)], method=False),
    Rec("view", lambda m, x: x.transpose(0, 1).reshape(6), shapes=[((2, 3),)], method=False,
        id="reshape_noncontig"),
    Rec("flatten", lambda m, x: m.flatten(x, 1), shapes=[((2, 3, 4),), ((2, 3),)]),
    Rec("flatten", lambda m, x: x.flatten(), shapes=[((2, 3, 4),), ((),)], id="flatten_all"),
    Rec("unflatten", lambda m, x: x.unflatten(1, (2, -1)), shapes=[((3, 4),)]),
    Rec("squeeze", shapes=[((1, 3, 1),), ((),), ((2,),)], dtypes=NUMERIC),
    Rec("squeeze", lambda m, x: x.squeeze(0), shapes=[((1, 3, 1),), ((2, 1),)], id="squeeze0"),
    Rec("squeeze", lambda m, x: x.squeeze((0, 2)), shapes=[((1, 3, 1),)], id="squeeze_dims"),
    Rec("unsqueeze", lambda m, x: x.unsqueeze(-1), shapes=[((2, 3),), ((),)]),
    Rec("unsqueeze", lambda m, x: m.unsqueeze(x, 1), shapes=[((2, 3),)], id="unsqueeze1"),
    Rec("permute", lambda m, x: x.permute(2, 0, 1), shapes=[((2, 3, 4),)]),
    Rec("permute", lambda m, x: m.permute(x, (1, 0)), shapes=[((2, 3),)], id="permute_fn"),
    Rec("transpose", lambda m, x: x.transpose(0, -1), shapes=[((2, 3, 4),), ((3,),)]),
    Rec("movedim", lambda m, x: m.movedim(x, 0, -1), shapes=[((2, 3, 4),)]),
    Rec("expand", lambda m, x: x.expand(2, -1, 3), shapes=[((4, 1),), ((1, 3),)]),
    Rec("expand_as", lambda m, x, y: x.expand_as(y), arity=2, shapes=[((3, 1), (2, 3, 4))]),
    Rec("broadcast_to", lambda m, x: m.broadcast_to(x, (2, 3)), shapes=[((3,),)]),
    Rec("repeat", lambda m, x: x.repeat(2, 1, 3), shapes=[((2, 3),), ((3,),)]),
    Rec("tile", lambda m, x: x.tile((2,)), shapes=[((2, 3),)]),
    Rec("cat", lambda m, a, b: m.cat([a, b], 1), arity=2, shapes=[((2, 3), (2, 1))],
        dtypes=NUMERIC),
    Rec("cat", lambda m, a, b: m.cat((a, b, a)), arity=2, shapes=[((2, 3), (1, 3))],
        id="cat0"),
    Rec("cat", lambda m, a, b: m.cat([a, b.long()], -1), arity=2, shapes=[((2, 3), (2, 2))],
        id="cat_promote"),
    Rec("stack", lambda m, a, b: m.stack([a, b], -1), arity=2, shapes=[((2, 3), (2, 3))],
        dtypes=NUMERIC),
    Rec("hstack", lambda m, a, b: m.hstack([a, b]), arity=2, shapes=[((2, 3), (2, 3)),
                                                                     ((3,), (2,))]),
    Rec("vstack", lambda m, a, b: m.vstack([a, b]), arity=2, shapes=[((2, 3), (2, 3)),
                                                                     ((3,), (3,))]),
    Rec("split", lambda m, x: x.split(2), shapes=[((5, 3),)]),
    Rec("split", lambda m, x: m.split(x, [1, 2], dim=1), shapes=[((5, 3),)], id="split_sizes"),
    Rec("chunk", lambda m, x: x.chunk(3, -1), shapes=[((2, 7),), ((2, 6),)]),
    Rec("tensor_split", lambda m, x: m.tensor_split(x, 3), shapes=[((7, 2),)]),
    Rec("unbind", lambda m, x: x.unbind(1), shapes=[((2, 3),)]),
    Rec("flip", lambda m, x: x.flip(0, 1), shapes=[((2, 3),)], dtypes=NUMERIC),
    Rec("flip", lambda m, x: m.flip(x, [-1]), shapes=[((2, 3),)], id="flip_list"),
    Rec("fliplr", shapes=[((2, 3),)]),
    Rec("roll", lambda m, x: x.roll(1, 0), shapes=[((3, 4),)]),
    Rec("roll", lambda m, x: m.roll(x, (1, -2), (0, 1)), shapes=[((3, 4),)], id="roll2"),
    Rec("roll", lambda m, x: m.roll(x, 2), shapes=[((3, 4),)], id="roll_flat"),
    Rec("tril", lambda m, x: x.tril(), shapes=[((3, 4),)], dtypes=NUMERIC),
    Rec("triu", lambda m, x: m.triu(x, 1), shapes=[((3, 4),), ((2, 3, 3),)], dtypes=NUMERIC),
    Rec("diagonal", lambda m, x: x.diagonal(), shapes=[((3, 4),)]),
    Rec("diagonal", lambda m, x: m.diagonal(x, -1, 1, 2), shapes=[((2, 3, 4),)],
        id="diagonal_off"),
    Rec("diag", lambda m, x: m.diag(x), shapes=[((3,),), ((3, 4),)], dtypes=NUMERIC),
    Rec("diag", lambda m, x: m.diag(x, 1), shapes=[((3,),)], id="diag1"),
    Rec("narrow", lambda m, x: x.narrow(1, 1, 2), shapes=[((2, 4),)]),
    Rec("select", lambda m, x: x.select(1, -1), shapes=[((2, 4),)]),
    Rec("gather", lambda m, x: x.gather(1, m.tensor([[0, 0], [2, 1]])), shapes=[((2, 3),)],
        dtypes=NUMERIC),
    Rec("scatter", lambda m, x: x.scatter(1, m.tensor([[0, 1], [2, 0]]),
                                          m.ones(2, 2, dtype=x.dtype)), shapes=[((2, 3),)],
        dtypes=NUMERIC),
    Rec("scatter", lambda m, x: x.scatter(0, m.tensor([[1, 0, 1]]), 2.5), shapes=[((2, 3),)],
        id="scatter_value"),
    Rec("scatter", lambda m, x: x.scatter(1, m.tensor([[0, 0], [1, 1]]),
                                          m.ones(2, 2, dtype=x.dtype), reduce="add"),
        shapes=[((2, 3),)], id="scatter_reduce_add"),
    Rec("scatter_add", lambda m, x: x.scatter_add(1, m.tensor([[0, 0], [2, 0]]),
                                                  m.ones(2, 2, dtype=x.dtype)),
        shapes=[((2, 3),)], dtypes=NUMERIC),
    Rec("index_select", lambda m, x: x.index_select(1, m.tensor([2, 0, 2])),
        shapes=[((2, 3),)], dtypes=NUMERIC),
    Rec("index_add", lambda m, x: x.index_add(0, m.tensor([1, 1]), m.ones(2, 3, dtype=x.dtype),
                                              alpha=2), shapes=[((2, 3),)]),
    Rec("index_copy", lambda m, x: x.index_copy(1, m.tensor([2, 0]), m.ones(2, 2, dtype=x.dtype)),
        shapes=[((2, 3),)]),
    Rec("index_fill", lambda m, x: x.index_fill(1, m.tensor([2, 0]), -1.0),
        shapes=[((2, 3),)]),
    Rec("masked_fill", lambda m, x: x.masked_fill(x > 0, 0.5), shapes=[((2, 3),), ((5,),)],
        dtypes=NUMERIC),
    Rec("masked_fill", lambda m, x, y: x.masked_fill(y > 0, -1), arity=2,
        shapes=[((2, 3), (3,))], id="masked_fill_bcast"),
    Rec("masked_select", lambda m, x: m.masked_select(x, x > 0), shapes=[((2, 3),)],
        dtypes=NUMERIC),
    Rec("topk", lambda m, x: tuple(x.topk(2)), shapes=[((2, 5),), ((6,),)]),
    Rec("topk", lambda m, x: tuple(m.topk(x, 2, dim=0, largest=False)), shapes=[((4, 3),)],
        id="topk_smallest"),
    Rec("sort", lambda m, x: tuple(x.sort()), shapes=[((2, 5),), ((6,),)], dtypes=NUMERIC),
    Rec("sort", lambda m, x: tuple(m.sort(x, 0, descending=True)), shapes=[((4, 3),)],
        id="sort_desc"),
    Rec("argsort", lambda m, x: x.argsort(dim=0), shapes=[((4, 3),)]),
    Rec("msort", shapes=[((4, 3),)]),
    Rec("kthvalue", lambda m, x: tuple(m.kthvalue(x, 2, 1)), shapes=[((3, 5),)]),
    Rec("unique", lambda m, x: m.unique(x), shapes=[((3, 5),)], dtypes=(I64,), domain=(0, 4)),
    Rec("unique", lambda m, x: m.unique(x, return_inverse=True, return_counts=True),
        shapes=[((3, 5),)], dtypes=(I64,), domain=(0, 4), id="unique_inv"),
    Rec("nonzero", lambda m, x: m.nonzero(x > 0), shapes=[((3, 4),), ((5,),)]),
    Rec("nonzero", lambda m, x: m.nonzero(x > 0, as_tuple=True), shapes=[((3, 4),)],
        id="nonzero_tuple"),
    Rec("where1", lambda m, x: m.where(x > 0), shapes=[((3, 4),)]),
    Rec("argwhere", lambda m, x: m.argwhere(x), shapes=[((3, 4),)], dtypes=(I64,),
        domain=(0, 1)),
    Rec("bincount", lambda m, x: m.bincount(x), shapes=[((7,),)], dtypes=(I64,), domain=(0, 5)),
    Rec("repeat_interleave", lambda m, x: x.repeat_interleave(2, dim=0),
        shapes=[((2, 3),)]),
    Rec("meshgrid", lambda m, a, b: m.meshgrid(a, b, indexing="ij"), arity=2,
        shapes=[((3,), (4,))]),
    Rec("meshgrid", lambda m, a, b: m.meshgrid(a, b, indexing="xy"), arity=2,
        shapes=[((3,), (4,))], id="meshgrid_xy"),
    Rec("cdist", lambda m, a, b: m.cdist(a, b), arity=2, shapes=[((3, 2), (4, 2))], rtol=1e-4),
    Rec("cosine_similarity", lambda m, a, b: m.cosine_similarity(a, b), arity=2,
        shapes=[((3, 4), (3, 4))], rtol=1e-4),
    # ------------------------------------------------------------------------ indexing
    Rec("getitem", lambda m, x: x[1], shapes=[((3, 4),)], dtypes=NUMERIC),
    Rec("getitem", lambda m, x: x[:, 1:3], shapes=[((3, 4),)], id="getitem_slice"),
    Rec("getitem", lambda m, x: x[::2, ::-1] if False else x[::2, 1::2], shapes=[((5, 4),)],
        id="getitem_step"),
    Rec("getitem", lambda m, x: x[..., None, -1], shapes=[((2, 3, 4),)], id="getitem_ell"),
    Rec("getitem", lambda m, x: x[x > 0], shapes=[((3, 4),)], id="getitem_mask"),
    Rec("getitem", lambda m, x: x[m.tensor([2, 0, 2])], shapes=[((3, 4),)], id="getitem_idx"),
    Rec("getitem", lambda m, x: x[[0, 2], [1, 3]], shapes=[((3, 4),)], id="getitem_lists"),
    Rec("getitem", lambda m, x: x[:, m.tensor([[0, 1], [3, 3]])], shapes=[((3, 4),)],
        id="getitem_2didx"),
    Rec("getitem", lambda m, x: x[1, [0, 2]], shapes=[((3, 4),)], id="getitem_mixed"),
    Rec("getitem", lambda m, x: x[x[:, 0] > 0, 1:], shapes=[((3, 4),)], id="getitem_rowmask"),
    Rec("getitem", lambda m, x: x[m.tensor(1)], shapes=[((3, 4),)], id="getitem_0d_idx"),
    # -------------------------------------------------------------------- misc / composite
    Rec("dist", lambda m, a, b: m.dist(a, b), arity=2, shapes=[((2, 3), (2, 3))], rtol=1e-4),
    Rec("allclose", lambda m, a, b: m.allclose(a, a + 1e-9), arity=2,
        shapes=[((2, 3), (2, 3))]),
    Rec("equal", lambda m, a, b: m.equal(a, b), arity=2, shapes=[((2, 3), (2, 3))]),
    Rec("clone", shapes=[((2, 3),)], dtypes=NUMERIC),
    Rec("contiguous", lambda m, x: x.t().contiguous(), shapes=[((2, 3),)]),
    Rec("to", lambda m, x: x.to(m.float64), shapes=[((2, 3),)], dtypes=(F32, I64, BOOL)),
    Rec("to", lambda m, x: x.long(), shapes=[((2, 3),)], dtypes=(F32, F64), id="long"),
    Rec("to", lambda m, x: x.bool(), shapes=[((2, 3),)], dtypes=(F32, I64), id="bool"),
    Rec("to", lambda m, x: x.type(m.int32), shapes=[((2, 3),)], dtypes=(F32, I64), id="type"),
]


def _records(rec):
    return [pytest.param(rec, d, id=f"{rec.id}-{d}") for d in rec.dtypes]


@pytest.mark.parametrize("rec,dtype", [p for r in RECORDS for p in _records(r)])
def test_op_values(torch, rec, dtype):
    for arrays in rec.inputs(dtype):
        tl_in = [torchlike.tensor(a) for a in arrays]
        th_in = [torch.tensor(a) for a in arrays]
        try:
            expected = rec.fn(torch, *th_in)
        except Exception as e:  # noqa: BLE001 - torch rejects: torchlike must too
            with pytest.raises(type(e)):
                rec.fn(torchlike, *tl_in)
            continue
        got = rec.fn(torchlike, *tl_in)
        compare(got, expected, rec.rtol, rec.atol,
                where=f"{rec.id} {dtype} shapes={[a.shape for a in arrays]}")
        # the method form gives the same
        if rec.method and rec.arity <= 3 and hasattr(th_in[0], rec.name):
            m_exp = getattr(th_in[0], rec.name)(*th_in[1:])
            compare(getattr(tl_in[0], rec.name)(*tl_in[1:]), m_exp, rec.rtol, rec.atol,
                    where=f"{rec.id} method")
        # the in-place forms (method, and torch.name_ function where torch has one) write
        # into the first argument when torch allows it: every generated variant is checked
        if rec.method and rec.arity <= 3 and hasattr(th_in[0], rec.name + "_"):
            forms = [lambda m, x, *a: getattr(x, rec.name + "_")(*a)]
            if hasattr(torch, rec.name + "_"):
                forms.append(lambda m, x, *a: getattr(m, rec.name + "_")(x, *a))
            for form in forms:
                th0, tl0 = th_in[0].clone(), tl_in[0].clone()
                try:
                    form(torch, th0, *th_in[1:])
                except RuntimeError:
                    with pytest.raises(RuntimeError):
                        form(torchlike, tl0, *tl_in[1:])
                    continue
                r = form(torchlike, tl0, *tl_in[1:])
                assert r is tl0, "in-place op must return self"
                compare(tl0, th0, rec.rtol, rec.atol, where=f"{rec.id} in-place")


@pytest.mark.parametrize("rec", [r for r in RECORDS if r.scalars], ids=lambda r: r.id)
@pytest.mark.parametrize("dtype", [F32, I64, BOOL])
def test_op_with_python_scalar(torch, rec, dtype):
    """Tensor op Python scalar (and the reflected form) follow torch's promotion."""
    if dtype not in rec.dtypes:
        pytest.skip("dtype not in the record")
    rng = np.random.default_rng(1)
    a = _np_input(rng, (2, 3), dtype, (0.5, 2) if rec.nonzero or rec.name == "pow" else (-2, 2))
    for s in rec.scalars:
        for rev in (False, True):
            th_a, tl_a = torch.tensor(a), torchlike.tensor(a)
            f = getattr(torch, rec.name)
            g = getattr(torchlike, rec.name)
            args_th = (s, th_a) if rev else (th_a, s)
            args_tl = (s, tl_a) if rev else (tl_a, s)
            if rev and rec.name not in ("add", "mul"):
                continue
            try:
                exp = f(*args_th)
            except Exception as e:  # noqa: BLE001
                with pytest.raises(type(e)):
                    g(*args_tl)
                continue
            compare(g(*args_tl), exp, 1e-5, 1e-6, where=f"{rec.name}({args_tl}) scalar {s!r}")


# operators, reflected operators, and 0-d tensors in promotion
_OPERATORS = ["+", "-", "*", "/", "//", "%", "**", "==", "<", ">=", "&", "|", "^"]


@pytest.mark.parametrize("op", _OPERATORS)
@pytest.mark.parametrize("lhs,rhs", [
    ("f32", "f32"), ("i64", "f32"), ("i64", 2.5), (3, "i64"), (1.5, "i64"),
    ("f32", "f64_0d"), ("i32", "i64_0d"), ("f16", 2.0), ("b", "b"), ("b", 1), ("u8", "i8"),
])
def test_operator_promotion(torch, op, lhs, rhs):
    def make(mod, spec):
        if not isinstance(spec, str):
            return spec
        dt = {"f32": "float32", "f64": "float64", "i64": "int64", "i32": "int32", "b": "bool",
              "u8": "uint8", "i8": "int8", "f16": "float16"}[spec.split("_")[0]]
        shape = () if spec.endswith("_0d") else (2, 3)
        data = np.arange(1, 1 + int(np.prod(shape))).reshape(shape) % 3 + 1
        return mod.tensor(data.astype(dt))

    def run(mod):
        a, b = make(mod, lhs), make(mod, rhs)
        return eval(f"a {op} b", {"a": a, "b": b})  # noqa: S307 - fixed operator table

    try:
        exp = run(torch)
    except Exception as e:  # noqa: BLE001
        with pytest.raises(type(e)):
            run(torchlike)
        return
    compare(run(torchlike), exp, 1e-3, 1e-3, where=f"{lhs} {op} {rhs}")


def test_unary_operators(torch):
    a = np.array([[1.5, -2.0], [0.0, 3.25]], np.float32)
    for expr in ("-x", "+x", "abs(x)", "~(x > 0)", "~xi", "-xi", "x @ x", "x.T @ x"):
        exp = eval(expr, {"x": torch.tensor(a), "xi": torch.tensor(a).long()})  # noqa: S307
        got = eval(expr, {"x": torchlike.tensor(a), "xi": torchlike.tensor(a).long()})  # noqa
        compare(got, exp, where=expr)


def test_out_arguments(torch):
    for name, args in [("add", ([1.0, 2.0], [3.0, 4.0])), ("mul", ([1.0, 2.0], [3.0, 4.0])),
                       ("exp", ([0.0, 1.0],)), ("cumsum", ([1.0, 2.0],)),
                       ("matmul", ([[1.0, 2.0]], [[3.0], [4.0]]))]:
        tl_out, th_out = torchlike.zeros(2), torch.zeros(2)
        extra = (0,) if name == "cumsum" else ()
        r = getattr(torchlike, name)(*[torchlike.tensor(a) for a in args], *extra, out=tl_out)
        getattr(torch, name)(*[torch.tensor(a) for a in args], *extra, out=th_out)
        assert r is tl_out
        compare(tl_out, th_out, where=f"{name}(out=)")


@pytest.mark.parametrize("expr", [
    "x.exp()", "x.sin()", "x.abs()", "x.neg()", "x.sqrt()", "x.floor()", "x.sigmoid()",
    "x + y", "x * 2", "x / y", "m.maximum(x, y)", "x == y", "x.sum(0)", "x.mean(-1)",
    "x.max()", "x.max(0)", "x.argmax(0)", "x.softmax(0)", "x.cumsum(0)", "x.logsumexp(0)",
    "x.unsqueeze(0)", "x.view(1)", "x.reshape(())", "x.expand(3)", "x.clamp(0, 0.5)",
    "x.where(x > 0, y)", "m.stack([x, y])", "x.sort(0)", "x.argsort()", "x.flatten()", "x.t()",
    "x.item()",
])
def test_zero_dim_inputs(torch, expr):
    got = eval(expr, {"x": torchlike.tensor(0.75), "y": torchlike.tensor(-1.5),  # noqa: S307
                      "m": torchlike})
    exp = eval(expr, {"x": torch.tensor(0.75), "y": torch.tensor(-1.5), "m": torch})  # noqa
    compare(got, exp, where=expr)


def test_softmax_values_sum_to_one():
    x = torchlike.randn(4, 7)
    s = torchlike.softmax(x, dim=1)
    np.testing.assert_allclose(s.sum(1).numpy(), np.ones(4), rtol=1e-6)


# property tests: broadcasting and promotion against numpy/torch
try:
    from hypothesis import given, settings, strategies as st
    HAVE_HYPOTHESIS = True
except ImportError:  # pragma: no cover
    HAVE_HYPOTHESIS = False

if HAVE_HYPOTHESIS:
    _dims_st = st.lists(st.integers(1, 3), min_size=0, max_size=3)

    @st.composite
    def _bcast_pair(draw):
        a = draw(_dims_st)
        b = list(a)
        # drop leading dims and set some to 1 on either side
        b = b[draw(st.integers(0, len(b))):]
        b = [1 if draw(st.booleans()) else s for s in b]
        a = [1 if draw(st.booleans()) else s for s in a]
        if draw(st.booleans()):
            a, b = b, a
        return tuple(a), tuple(b)

    @settings(max_examples=15, deadline=None)
    @given(_bcast_pair(), st.sampled_from(["add", "mul", "maximum", "sub"]))
    def test_broadcasting_property(pair, name):
        sa, sb = pair
        rng = np.random.default_rng(0)
        a, b = rng.standard_normal(sa).astype(np.float32), rng.standard_normal(sb).astype(
            np.float32)
        got = getattr(torchlike, name)(torchlike.tensor(a), torchlike.tensor(b))
        exp = {"add": np.add, "mul": np.multiply, "maximum": np.maximum,
               "sub": np.subtract}[name](a, b)
        assert tuple(got.shape) == exp.shape
        np.testing.assert_allclose(got.numpy(), exp, rtol=1e-6)

    _DT = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]

    @settings(max_examples=30, deadline=None)
    @given(st.sampled_from(_DT), st.sampled_from(_DT), st.booleans(), st.booleans(),
           st.sampled_from([None, 1, 2.5, True]))
    def test_promotion_property(da, db, a0d, b0d, scalar):
        torch = pytest.importorskip("torch")

        def run(mod):
            a = mod.ones(() if a0d else (2,), dtype=getattr(mod, da))
            b = mod.ones(() if b0d else (2,), dtype=getattr(mod, db))
            r = a + b if scalar is None else a + b + scalar
            return r.dtype

        assert str(run(torchlike)) == str(run(torch))
        assert str(torchlike.result_type(torchlike.ones(2, dtype=getattr(torchlike, da)),
                                         torchlike.ones((), dtype=getattr(torchlike, db)))) \
            == str(torch.result_type(torch.ones(2, dtype=getattr(torch, da)),
                                     torch.ones((), dtype=getattr(torch, db))))
        assert str(torchlike.promote_types(getattr(torchlike, da), getattr(torchlike, db))) == \
            str(torch.promote_types(getattr(torch, da), getattr(torch, db)))


# ========================================================================= part 2: gradients


import glob  # noqa: E402
import os  # noqa: E402

from opsamples import Sample, _f64, _i64, _pos, _spd  # noqa: E402,F401

# Ops whose default generated inputs (float64 values in +-[0.1, 1]) are outside their domain
POSITIVE = {"log", "log2", "log10", "sqrt", "rsqrt", "lgamma", "digamma", "polygamma", "logit",
            "pow", "reciprocal"}

# ops that are differentiable in torch but have no meaningful finite-difference check here
NO_GRADCHECK = {
    "to_device": "moves data between devices; its vjp is the identity",
}

SAMPLES = {
    # storage-level ops used by views
    "as_strided_read": [Sample(_f64(6), 1, size=(2, 2), stride=(2, 1))],
    "copy_slices": [Sample(_f64(2, 3), _f64(3), 3, size=(3,), stride=(1,))],
    "to_dtype": [Sample(_f64(2, 3), dtype=torchlike.float64)],
    "expand": [Sample(_f64(3, 1), size=(2, 3, 4))],
    "view": [Sample(_f64(2, 3), shape=(3, 2))],
    "reshape_copy": [Sample(_f64(2, 3), shape=(6,))],
    "permute": [Sample(_f64(2, 3, 4), dims=(2, 0, 1))],
    "transpose": [Sample(_f64(2, 3), dim0=0, dim1=1)],
    "t": [Sample(_f64(2, 3))],
    "squeeze": [Sample(_f64(1, 3, 1), dims=(0, 2))],
    "unsqueeze": [Sample(_f64(2, 3), dim=1)],
    "diagonal": [Sample(_f64(3, 4)), Sample(_f64(2, 3, 3), offset=1, dim1=1, dim2=2)],
    "alias": [Sample(_f64(2, 3))],
    "basic_index": [Sample(_f64(3, 4), 1, 1, spec=(("i", 0), ("s", 0, 2, 1)),
                           name="SliceBackward0"),
                    Sample(_f64(5, 4), 0, spec=(("s", 0, 3, 2), ("n", 0)),
                           name="SliceBackward0")],
    "index": [Sample(_f64(3, 4), _i64([2, 0, 2]), spec=("a",)),
              Sample(_f64(3, 4), _i64([0, 1]), _i64([3, 3]), spec=("a", "a"))],
    "index_put": [Sample(_f64(3, 4), _f64(2, 4), _i64([2, 0]), spec=("a",)),
                  Sample(_f64(3, 4), _f64(2), _i64([0, 0]), _i64([1, 2]), spec=("a", "a"),
                         accumulate=True)],
    "masked_fill": [Sample(_f64(2, 3), torchlike.tensor([True, False, True]), 0.5)],
    "cat": [Sample(_f64(2, 3), _f64(2, 1), dim=1)],
    "stack": [Sample(_f64(2, 3), _f64(2, 3), dim=1)],
    "split_with_sizes": [Sample(_f64(5, 2), sizes=(2, 3), dim=0)],
    "split_equal": [Sample(_f64(2, 4), sizes=(2, 2), dim=1)],
    "unbind": [Sample(_f64(2, 3), dim=1)],
    "flip": [Sample(_f64(2, 3), dims=(0, 1))],
    "roll": [Sample(_f64(2, 3), shifts=(1,), dims=(1,))],
    "repeat": [Sample(_f64(2, 3), repeats=(2, 1, 2))],
    "tril": [Sample(_f64(3, 3))],
    "triu": [Sample(_f64(3, 3), diagonal=1)],
    "gather": [Sample(_f64(2, 3), _i64([[0, 0], [2, 1]]), dim=1)],
    "scatter": [Sample(_f64(2, 3), _i64([[0, 1], [2, 0]]), _f64(2, 2), dim=1)],
    "scatter_add": [Sample(_f64(2, 3), _i64([[0, 0], [2, 0]]), _f64(2, 2), dim=1)],
    "index_select": [Sample(_f64(2, 3), _i64([2, 0, 2]), dim=1)],
    "index_add": [Sample(_f64(3, 2), _i64([1, 1]), _f64(2, 2), dim=0, alpha=2)],
    "index_copy": [Sample(_f64(3, 2), _i64([2, 0]), _f64(2, 2), dim=0)],
    "index_fill": [Sample(_f64(3, 2), _i64([2, 0]), value=-1.0, dim=0)],
    "topk": [Sample(_f64(2, 5), k=2)],
    "sort": [Sample(_f64(2, 5))],
    "movedim": [Sample(_f64(2, 3, 4), source=(0,), destination=(2,))],
    "narrow_copy": [Sample(_f64(2, 5), dim=1, start=1, length=3)],
    "clone": [Sample(_f64(2, 3))],
    "copy_from": [Sample(_f64(2, 3), _f64(3))],
    # linear algebra
    "mm": [Sample(_f64(2, 3), _f64(3, 4))],
    "bmm": [Sample(_f64(2, 2, 3), _f64(2, 3, 2))],
    "mv": [Sample(_f64(2, 3), _f64(3))],
    "dot": [Sample(_f64(3), _f64(3))],
    "matmul": [Sample(_f64(2, 2, 3), _f64(3, 2)), Sample(_f64(3), _f64(2, 3, 2))],
    "addmm": [Sample(_f64(3), _f64(2, 4), _f64(4, 3), beta=0.5, alpha=2)],
    "outer": [Sample(_f64(3), _f64(2))],
    "einsum": [Sample(_f64(2, 3), _f64(3, 2), equation="ij,jk->ik")],
    "det": [Sample(_f64(3, 3))],
    "inv": [Sample(_spd(3))],
    "solve": [Sample(_spd(3), _f64(3, 2))],
    "cholesky": [Sample(_spd(3), post=lambda L: L), Sample(_spd(3), upper=True)],
    "qr": [Sample(_f64(3, 3), post=lambda q, r: q @ r)],
    "svd": [Sample(_f64(3, 2), full_matrices=False, post=lambda u, s, vh: s),
            Sample(_f64(3, 2), full_matrices=False, post=lambda u, s, vh: (u * s) @ vh)],
    "eigh": [Sample(_spd(3), post=lambda w, v: (w, v * v))],
    "matrix_norm": [Sample(_f64(3, 4)), Sample(_f64(3, 3), ord="nuc")],
    "pinv": [Sample(_f64(3, 2))],
    "trace": [Sample(_f64(3, 3))],
    "cross": [Sample(_f64(2, 3), _f64(2, 3))],
    # elementwise with special inputs
    "acosh": [Sample(_pos(2, 3) + 1.1)],
    "asin": [Sample(_f64(2, 3, lo=-0.8, hi=0.8))],
    "acos": [Sample(_f64(2, 3, lo=-0.8, hi=0.8))],
    "atanh": [Sample(_f64(2, 3, lo=-0.8, hi=0.8))],
    "erfinv": [Sample(_f64(2, 3, lo=-0.8, hi=0.8))],
    "logit": [Sample(_pos(2, 3) * 0.8), Sample(_pos(2, 3), eps=0.05)],
    "pow": [Sample(_pos(2, 3), _f64(2, 3))],
    "pow_scalar": [Sample(_f64(2, 3), 2), Sample(_pos(2, 3), 0.5), Sample(_f64(2, 3), 3)],
    "rpow": [Sample(_f64(2, 3), 2.0)],
    "pow_int": [Sample(_f64(2, 3), n=2), Sample(_f64(2, 3), n=3), Sample(_pos(2, 3), n=-2)],
    "div_mode": [Sample(_f64(2, 3) * 5, _pos(2, 3) + 0.5, rounding_mode="floor")],
    "remainder": [Sample(_f64(2, 3) * 3, _pos(2, 3) + 0.5)],
    "fmod": [Sample(_f64(2, 3) * 3, _pos(2, 3) + 0.5)],
    "clamp": [Sample(_f64(2, 3), -0.5, 0.5), Sample(_f64(2, 3), _f64(3) - 1, None)],
    "where": [Sample(torchlike.tensor([True, False, True]), _f64(2, 3), _f64(3))],
    "threshold": [Sample(_f64(2, 3), threshold=0.2, value=-1.0)],
    "polygamma": [Sample(_pos(2, 3) + 0.5, n=1)],
    "lgamma": [Sample(_pos(2, 3) + 0.5)],
    "digamma": [Sample(_pos(2, 3) + 0.5)],
    "softplus": [Sample(_f64(2, 3)), Sample(_f64(2, 3) * 30, beta=2.0, threshold=20.0)],
    # reductions with required static args
    "max_dim": [Sample(_f64(3, 4), dim=1), Sample(_f64(3, 4), dim=0, keepdim=True)],
    "min_dim": [Sample(_f64(3, 4), dim=1)],
    "median_dim": [Sample(_f64(3, 5), dim=1)],
    "logsumexp": [Sample(_f64(3, 4), dim=(1,))],
    "cumsum": [Sample(_f64(3, 4), dim=1)],
    "cumprod": [Sample(_f64(3, 4), dim=0)],
    "softmax": [Sample(_f64(3, 4), dim=1)],
    "log_softmax": [Sample(_f64(3, 4), dim=0)],
    "sum": [Sample(_f64(3, 4)), Sample(_f64(3, 4), dim=(1,), keepdim=True)],
    "mean": [Sample(_f64(3, 4)), Sample(_f64(2, 3, 4), dim=(0, 2))],
    "prod": [Sample(_f64(3, 4)), Sample(_f64(3, 4), dim=(1,))],
    "var": [Sample(_f64(3, 4)), Sample(_f64(3, 4), dim=(1,), correction=0)],
    "std": [Sample(_f64(3, 4)), Sample(_f64(3, 4), dim=(0,), keepdim=True)],
    "vector_norm": [Sample(_f64(3, 4)), Sample(_f64(3, 4), p=3, dim=(0,))],
    "amax": [Sample(_f64(3, 4), dim=(1,))],
    "amin": [Sample(_f64(3, 4), dim=(0,))],
}

# Other parts of torchlike declare gradcheck inputs for their ops in tests/samples_<part>.py: a
# module-level dict SAMPLES {op name: [Sample(...), ...]} (and optionally NO_GRADCHECK), merged here.
for _path in sorted(glob.glob(os.path.join(os.path.dirname(__file__), "samples_*.py"))):
    _m = importlib.import_module(os.path.basename(_path)[:-3])
    for _k, _v in getattr(_m, "SAMPLES", {}).items():
        assert _k not in SAMPLES, f"gradcheck samples for {_k!r} declared twice ({_path})"
        SAMPLES[_k] = _v
    NO_GRADCHECK.update(getattr(_m, "NO_GRADCHECK", {}))

_AUTO_MODULES = ("torchlike._ops.pointwise", "torchlike._ops.reduce")


def _auto_samples(op):
    """Generated inputs for elementwise and reduction ops whose static args have defaults."""
    mod = getattr(op.fn, "__module__", None) or ""
    if op.seq or not (mod in _AUTO_MODULES or mod.startswith("jax")
                      or (op.n_in == 1 and mod == "torchlike._ops.nn")):
        return None
    if any(d is _EMPTY for d in op.defaults):
        return None
    maker = _pos if op.name in POSITIVE else _f64
    return [Sample(*[maker(2, 3, seed=i) for i in range(op.n_in)])]


import inspect  # noqa: E402

_EMPTY = inspect.Parameter.empty


def _differentiable_ops():
    return sorted(n for n, op in TABLE.items() if op.differentiable and n not in NO_GRADCHECK)


def test_every_differentiable_op_has_samples():
    missing = [n for n in _differentiable_ops()
               if n not in SAMPLES and _auto_samples(TABLE[n]) is None]
    assert not missing, (
        f"differentiable ops with no gradcheck inputs: {missing}. Add an entry to SAMPLES in "
        "tests/test_ops.py or in tests/samples_<part>.py (a list of "
        "opsamples.Sample(*inputs, **static_args)), or to NO_GRADCHECK with a reason.")


def _static_tuple(op, given):
    unknown = set(given) - set(op.static_names)
    assert not unknown, f"{op.name}: unknown static args {unknown} (has {op.static_names})"
    out = []
    for name, default in zip(op.static_names, op.defaults):
        if name in given:
            out.append(given[name])
        else:
            assert default is not _EMPTY, f"{op.name}: static arg {name!r} needs a value"
            out.append(default)
    return tuple(out)


def _run_gradcheck(op, sample):
    static = _static_tuple(op, sample.static)
    args = list(sample.args)
    diff_pos = [i for i, a in enumerate(args) if isinstance(a, torchlike.Tensor)
                and a.dtype is torchlike.float64]
    inputs = [args[i].detach().requires_grad_() for i in diff_pos]

    def fn(*xs):
        full = list(args)
        for i, x in zip(diff_pos, xs):
            full[i] = x
        if op.seq:
            out = call(op, tuple(full), static)
        else:
            out = call(op, tuple(full), static)
        outs = out if isinstance(out, tuple) else (out,)
        if sample.post is not None:
            outs = sample.post(*outs)
            outs = outs if isinstance(outs, tuple) else (outs,)
        return tuple(o for o in outs if o.dtype.is_floating_point)

    assert torchlike.autograd.gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("name", _differentiable_ops())
def test_gradcheck_op(name):
    op = TABLE[name]
    samples = SAMPLES.get(name) or _auto_samples(op)
    if samples is None:
        pytest.skip(f"op {name!r} has no gradcheck sample (test_every_differentiable_op_has_"
                    "samples fails for it)")
    for s in samples:
        _run_gradcheck(op, s)


@pytest.mark.parametrize("name", sorted(n for n, op in TABLE.items() if not op.differentiable))
def test_nondifferentiable_ops_cut_the_graph(name):
    """Ops marked non-differentiable never record a grad_fn, even on inputs that need one."""
    op = TABLE[name]
    x = _f64(2, 3).requires_grad_()
    args = [x] + [_f64(2, 3, seed=i) for i in range(1, op.n_in)]
    try:
        static = _static_tuple(op, {})
        out = call(op, tuple(args), static)
    except Exception:  # noqa: BLE001 - needs inputs of another kind (ints, bools)
        pytest.skip("op needs inputs other than float tensors")
    for o in out if isinstance(out, tuple) else (out,):
        assert o.grad_fn is None and not o.requires_grad
