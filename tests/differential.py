"""Differential testing against real PyTorch: random programs of tensor ops (views, in-place
ops, several dtypes, complex numbers, autograd), run on torch and on torchlike with the same
inputs; the values of every variable at the end (so writes through views must reach their
bases), dtypes, shapes, exceptions and the gradients of the leaves must agree.

A program is Python source over a module `m` (torch or torchlike), so a failure prints a
reproducer that runs as is. The generator runs each candidate line on real torch while it
builds the program (to know shapes and dtypes and to drop lines torch rejects); a line torch
rejects is sometimes kept as the program's last line, so that errors are compared too.

    python tests/differential.py --cases 2000 --seed 1      # a long run, prints failures
    TORCHLIKE_DIFF_CASES=5000 pytest tests/test_differential.py
"""
from __future__ import annotations

import argparse
import random
import sys
import time
import traceback

import numpy as np

# ------------------------------------------------------------------------------ the ops

UNARY_REAL = ["abs", "neg", "sin", "cos", "tanh", "sigmoid", "exp", "log1p", "sqrt", "relu",
              "square", "reciprocal", "rsqrt", "erf", "atan", "sinh", "floor", "ceil", "round",
              "trunc", "frac", "sign", "expm1", "log", "asin", "acos", "cosh", "log2", "exp2",
              "erfc", "sgn", "deg2rad", "lgamma", "digamma", "logit", "nan_to_num", "sinc",
              "asinh", "atanh", "softmax_last", "clamp_pm", "t_floor_divide", "signbit"]
UNARY_COMPLEX = ["abs", "neg", "exp", "sin", "cos", "tanh", "sqrt", "conj", "reciprocal",
                 "square", "sigmoid", "log", "angle", "real", "imag", "sgn", "conj_physical",
                 "expm1", "rsqrt", "asinh", "tan"]
BINARY = ["add", "sub", "mul", "div", "maximum", "minimum", "pow", "atan2", "hypot", "fmod",
          "remainder", "eq", "lt", "ge", "ne", "xlogy", "copysign", "fmax", "fmin",
          "true_divide", "floor_divide", "logaddexp", "sub_alpha", "add_alpha", "where",
          "lerp", "dist"]
BINARY_COMPLEX = ["add", "sub", "mul", "div", "pow", "eq", "ne", "where", "sub_alpha"]
REDUCE = ["sum", "mean", "prod", "amax", "amin", "max_dim", "min_dim", "logsumexp", "norm",
          "std", "var", "cumsum", "cumprod", "softmax", "log_softmax", "argmax", "all", "any",
          "nansum", "median_dim", "sort", "topk", "cummax", "aminmax", "count_nonzero",
          "var_mean", "std_mean", "logcumsumexp"]
REDUCE_COMPLEX = ["sum", "mean", "prod", "cumsum", "norm", "var"]
VIEW = ["slice", "step_slice", "select", "transpose", "t", "reshape", "view_flat", "unsqueeze",
        "squeeze", "flatten", "narrow", "permute", "expand", "diagonal", "movedim", "unbind0",
        "split0", "chunk", "view_as_real", "unflatten", "mT", "swapaxes", "index_int",
        "neg_index", "real", "imag", "view_dtype", "as_strided", "contiguous", "clone"]
COPYING = ["flip", "roll", "cat", "stack", "tril", "triu", "repeat", "index_select",
           "gather", "masked_select", "take", "nonzero_idx", "mask_index", "list_index",
           "matmul", "outer", "einsum", "kron", "to_dtype", "where_scalar", "masked_fill",
           "clamp_t", "addcmul", "lerp_s", "baddbmm", "cross", "cdist", "tensordot"]
INPLACE = ["add_", "mul_", "sub_", "div_", "clamp_", "sin_", "exp_", "relu_", "zero_",
           "fill_", "copy_", "setitem", "setitem_t", "masked_fill_", "abs_", "neg_", "tanh_",
           "sigmoid_", "index_add_", "pow_", "addcmul_", "lerp_", "scatter_",
           "index_fill_", "t_", "unsqueeze_", "squeeze_", "sqrt_", "mul_complex_", "floor_",
           "clamp_min_", "masked_scatter_", "index_put_", "addmm_like", "iadd", "imul",
           "conj_inplace"]


def _fmt(x):
    if isinstance(x, complex):
        return f"complex({x.real!r}, {x.imag!r})"
    return repr(x)


class Gen:
    """Builds one program while running it on torch."""

    def __init__(self, torch, seed):
        self.T = torch
        self.rng = random.Random(seed)
        self.np = np.random.default_rng(seed)
        self.lines = []
        self.ns = {"m": torch}
        self.vars = []          # names
        self.leaves = []
        self.error_line = None

    # -- bookkeeping
    def val(self, name):
        return self.ns[name]

    def new(self):
        return f"v{len(self.vars) + len(self.leaves)}"

    def try_line(self, line, name=None, allow_error=False):
        try:
            exec(line, self.ns)
        except Exception:  # noqa: BLE001 - torch rejects it
            if name is not None:
                self.ns.pop(name, None)
            if allow_error and self.rng.random() < 0.15:
                self.lines.append(line)
                self.error_line = line
                return "error"
            return False
        if name is not None:
            v = self.ns[name]
            if not isinstance(v, self.T.Tensor):
                self.ns.pop(name)
                return False
            if v.numel() > 400 or v.dim() > 4:
                self.ns.pop(name)
                return False
            self.vars.append(name)
        self.lines.append(line)
        return True

    def pick(self, pred=lambda v: True):
        names = [n for n in self.leaves + self.vars if pred(self.ns[n])]
        return self.rng.choice(names) if names else None

    # -- inputs
    def leaf(self):
        r = self.rng
        nd = r.choice([0, 1, 1, 2, 2, 2, 3])
        shape = tuple(r.choice([1, 2, 3, 4]) for _ in range(nd))
        kind = r.choices(["f32", "f64", "c64", "i64", "f16", "bool", "c128", "bf16"],
                         [40, 15, 12, 10, 4, 4, 3, 3])[0]
        n = int(np.prod(shape)) if shape else 1
        lo = -2.0 if r.random() < 0.8 else 0.05
        vals = self.np.uniform(lo, 2.0, n).round(3)
        vals = np.where(np.abs(vals) < 0.02, 0.5, vals)
        if kind in ("c64", "c128"):
            im = self.np.uniform(-2, 2, n).round(3)
            data = [complex(a, b) for a, b in zip(vals, im)]
        elif kind == "i64":
            data = [int(x) for x in self.np.integers(-4, 5, n)]
        elif kind == "bool":
            data = [bool(x) for x in self.np.integers(0, 2, n)]
        else:
            data = [float(x) for x in vals]
        arr = np.array(data, dtype=object).reshape(shape) if shape else data[0]
        lit = _fmt(arr) if not shape else repr(arr.tolist())
        dt = {"f32": "float32", "f64": "float64", "c64": "complex64", "c128": "complex128",
              "i64": "int64", "f16": "float16", "bool": "bool", "bf16": "bfloat16"}[kind]
        grad = kind in ("f32", "f64", "c64", "c128") and r.random() < 0.85
        name = self.new()
        line = f"{name} = m.tensor({lit}, dtype=m.{dt}" + (", requires_grad=True)" if grad
                                                              else ")")
        exec(line, self.ns)
        self.lines.append(line)
        self.leaves.append(name)

    # -- steps
    def step(self):
        r = self.rng
        kind = r.choices(["unary", "binary", "reduce", "view", "copying", "inplace", "leaf"],
                         [18, 18, 10, 20, 10, 22, 2])[0]
        if kind == "leaf":
            self.leaf()
            return True
        return getattr(self, "s_" + kind)()

    def _shape(self, n):
        return tuple(self.val(n).shape)

    def s_unary(self):
        a = self.pick()
        if a is None:
            return False
        v = self.val(a)
        op = self.rng.choice(UNARY_COMPLEX if v.is_complex() else UNARY_REAL)
        out = self.new()
        if op == "softmax_last":
            e = f"{a}.softmax(-1)" if v.dim() else f"{a}.softmax(0)"
        elif op == "clamp_pm":
            e = f"{a}.clamp({self.rng.choice(['-0.5', 'None'])}, 0.7)"
        elif op == "t_floor_divide":
            e = f"m.floor_divide({a}, 2)"
        elif op in ("real", "imag"):
            e = f"{a}.{op}"
        elif op == "logit":
            e = f"m.logit({a}, eps=0.01)"
        else:
            e = f"m.{op}({a})" if self.rng.random() < 0.5 else f"{a}.{op}()"
        return self.try_line(f"{out} = {e}", out, allow_error=True)

    def _partner(self, a):
        """Another operand for a: a pool variable broadcastable with it, or a Python scalar."""
        r = self.rng
        sa = self._shape(a)
        cands = [n for n in self.leaves + self.vars if n != a and
                 _broadcastable(sa, self._shape(n))]
        if cands and r.random() < 0.7:
            return r.choice(cands)
        return _fmt(r.choice([2, -1, 0.5, 1.5, -0.25, 3, True, complex(1, -1), 0]))

    def s_binary(self):
        a = self.pick()
        if a is None:
            return False
        v = self.val(a)
        op = self.rng.choice(BINARY_COMPLEX if v.is_complex() else BINARY)
        b = self._partner(a)
        out = self.new()
        if op == "where":
            e = f"m.where({a}.real > 0 if {a}.is_complex() else {a} > 0, {a}, {b})"
        elif op == "sub_alpha":
            e = f"m.sub({a}, {b}, alpha=2)"
        elif op == "add_alpha":
            e = f"m.add({a}, {b}, alpha=0.5)"
        elif op == "lerp":
            e = f"m.lerp({a}, {b}, 0.3)"
        elif op == "dist":
            e = f"m.dist({a}, {b})"
        elif self.rng.random() < 0.3:
            sym = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**",
                   "remainder": "%", "floor_divide": "//", "eq": "==", "lt": "<", "ge": ">=",
                   "ne": "!="}.get(op)
            if sym is None:
                e = f"m.{op}({a}, {b})"
            elif self.rng.random() < 0.3 and not b.startswith("v"):
                e = f"{b} {sym} {a}"          # reflected operator with a Python scalar
            else:
                e = f"{a} {sym} {b}"
        else:
            e = f"m.{op}({a}, {b})"
        return self.try_line(f"{out} = {e}", out, allow_error=True)

    def s_reduce(self):
        a = self.pick(lambda v: v.dim() > 0)
        if a is None:
            return False
        v = self.val(a)
        op = self.rng.choice(REDUCE_COMPLEX if v.is_complex() else REDUCE)
        d = self.rng.randrange(-v.dim(), v.dim())
        kd = self.rng.choice(["True", "False"])
        out = self.new()
        if op in ("max_dim", "min_dim", "median_dim"):
            e = f"m.{op[:-4]}({a}, {d}, keepdim={kd})[{self.rng.choice([0, 1])}]"
        elif op in ("cumsum", "cumprod", "softmax", "log_softmax", "logcumsumexp"):
            e = f"m.{op}({a}, {d})"
        elif op == "cummax":
            e = f"m.cummax({a}, {d})[0]"
        elif op == "sort":
            e = f"m.sort({a}, {d}, descending={kd})[{self.rng.choice([0, 1])}]"
        elif op == "topk":
            e = f"m.topk({a}, 1, {d})[{self.rng.choice([0, 1])}]"
        elif op == "aminmax":
            e = f"m.aminmax({a}, dim={d})[{self.rng.choice([0, 1])}]"
        elif op in ("var_mean", "std_mean"):
            e = f"m.{op}({a}, {d})[{self.rng.choice([0, 1])}]"
        elif op in ("argmax", "count_nonzero"):
            e = f"m.{op}({a}, {d})"
        elif op == "norm":
            p = self.rng.choice(["2", "1", "float('inf')", "'fro'"])
            e = f"m.norm({a}, {p}, {d})" if "fro" not in p else f"m.norm({a})"
        elif op in ("std", "var"):
            e = f"m.{op}({a}, {d}, correction={self.rng.choice([0, 1])}, keepdim={kd})"
        elif self.rng.random() < 0.3:
            e = f"m.{op}({a})"
        else:
            e = f"m.{op}({a}, {d}, keepdim={kd})"
        return self.try_line(f"{out} = {e}", out, allow_error=True)

    def s_view(self):
        a = self.pick()
        if a is None:
            return False
        v = self.val(a)
        nd = v.dim()
        r = self.rng
        op = r.choice(VIEW)
        d = r.randrange(-nd, nd) if nd else 0
        d2 = r.randrange(-nd, nd) if nd else 0
        sh = list(v.shape)
        if op == "slice" and nd:
            n = sh[d % nd]
            lo = r.randrange(0, n)
            e = f"{a}[{':, ' * (d % nd)}{lo}:{r.randrange(lo, n + 1)}]"
        elif op == "step_slice" and nd:
            e = f"{a}[{':, ' * (d % nd)}::{r.choice([2, 3])}]"
        elif op == "select" and nd:
            e = f"{a}.select({d}, {r.randrange(-sh[d], sh[d])})"
        elif op == "index_int" and nd:
            e = f"{a}[{r.randrange(sh[0])}]"
        elif op == "neg_index" and nd:
            e = f"{a}[..., -1]"
        elif op == "transpose" and nd:
            e = f"{a}.transpose({d}, {d2})"
        elif op == "swapaxes" and nd:
            e = f"{a}.swapaxes({d}, {d2})"
        elif op == "t" and nd <= 2:
            e = f"{a}.t()"
        elif op == "mT" and nd >= 2:
            e = f"{a}.mT"
        elif op == "reshape":
            e = f"{a}.reshape({_refactor(sh, r)})"
        elif op == "view_flat":
            e = f"{a}.view(-1)"
        elif op == "unsqueeze":
            e = f"{a}.unsqueeze({r.randrange(-nd - 1, nd + 1)})"
        elif op == "squeeze":
            e = f"{a}.squeeze()" if r.random() < 0.5 else f"{a}.squeeze({d})"
        elif op == "flatten":
            e = f"{a}.flatten()"
        elif op == "narrow" and nd:
            n = sh[d]
            s = r.randrange(0, n)
            e = f"{a}.narrow({d}, {s}, {r.randrange(0, n - s + 1)})"
        elif op == "permute" and nd:
            p = list(range(nd))
            r.shuffle(p)
            e = f"{a}.permute({', '.join(map(str, p))})"
        elif op == "expand":
            e = f"{a}.expand({', '.join(['2'] + ['-1'] * nd)})"
        elif op == "diagonal" and nd >= 2:
            e = f"{a}.diagonal({r.choice([0, 1, -1])})"
        elif op == "movedim" and nd:
            e = f"{a}.movedim({d}, {d2})"
        elif op == "unbind0" and nd:
            e = f"{a}.unbind({d})[{r.randrange(sh[d])}]"
        elif op == "split0" and nd:
            e = f"{a}.split(2, {d})[0]"
        elif op == "chunk" and nd:
            e = f"{a}.chunk(2, {d})[-1]"
        elif op == "view_as_real" and v.is_complex():
            e = f"m.view_as_real({a})"
        elif op == "unflatten" and nd and sh[d] == 4:
            e = f"{a}.unflatten({d}, (2, 2))"
        elif op in ("real", "imag") and v.is_complex():
            e = f"{a}.{op}" if r.random() < 0.6 else f"m.{op}({a})"
        elif op == "view_dtype" and v.dtype == self.T.float32:
            e = f"{a}.view(m.int32)"
        elif op == "as_strided" and v.is_contiguous() and v.numel() >= 4:
            e = f"{a}.as_strided((2, 2), (1, 2))"
        elif op == "contiguous":
            e = f"{a}.contiguous()"
        elif op == "clone":
            e = f"{a}.clone()"
        else:
            return False
        out = self.new()
        return self.try_line(f"{out} = {e}", out)

    def s_copying(self):
        a = self.pick()
        if a is None:
            return False
        v = self.val(a)
        nd = v.dim()
        r = self.rng
        op = r.choice(COPYING)
        d = r.randrange(-nd, nd) if nd else 0
        sh = list(v.shape)
        b = self.pick(lambda w: tuple(w.shape) == tuple(sh))
        if op == "flip" and nd:
            e = f"{a}.flip({d})"
        elif op == "roll" and nd:
            e = f"{a}.roll({r.choice([1, -1, 2])}, {d})"
        elif op == "cat" and nd:
            e = f"m.cat([{a}, {b}], {d})"
        elif op == "stack":
            e = f"m.stack([{a}, {b}], {r.randrange(-nd - 1, nd + 1)})"
        elif op in ("tril", "triu") and nd >= 2:
            e = f"{a}.{op}({r.choice([0, 1, -1])})"
        elif op == "repeat":
            e = f"{a}.repeat({', '.join(['2'] + ['1'] * nd)})"
        elif op == "index_select" and nd:
            idx = [r.randrange(sh[d]) for _ in range(r.randrange(1, 4))]
            e = f"m.index_select({a}, {d}, m.tensor({idx}))"
        elif op == "gather" and nd:
            ish = list(sh)
            ish[d] = r.randrange(1, 4)
            idx = np.array([r.randrange(sh[d]) for _ in range(int(np.prod(ish)))]).reshape(ish)
            e = f"m.gather({a}, {d}, m.tensor({idx.tolist()}))"
        elif op == "masked_select":
            e = f"m.masked_select({a}, {a}.real > 0 if {a}.is_complex() else {a} > 0)"
        elif op == "take" and v.numel():
            e = f"m.take({a}, m.tensor([{r.randrange(v.numel())}, 0]))"
        elif op == "mask_index" and nd:
            e = f"{a}[{a}.real > 0 if {a}.is_complex() else {a} > 0]"
        elif op == "list_index" and nd:
            e = f"{a}[[{r.randrange(sh[0])}, {r.randrange(sh[0])}]]"
        elif op == "nonzero_idx" and nd:
            e = f"m.nonzero({a})"
        elif op == "matmul" and nd >= 1:
            e = f"{a} @ {a}.mT" if nd >= 2 else f"{a} @ {a}"
            if b is not None and nd >= 2 and r.random() < 0.5:
                e = f"m.matmul({a}, {b}.mT)"
        elif op == "outer" and nd == 1 and b is not None:
            e = f"m.outer({a}, {b})"
        elif op == "einsum" and nd == 2 and b is not None:
            e = f"m.einsum('ij,kj->ik', {a}, {b})"
        elif op == "kron" and nd <= 2 and b is not None:
            e = f"m.kron({a}, {b})"
        elif op == "to_dtype":
            dt = r.choice(["float64", "float32", "complex64", "int64", "float16", "bool"])
            e = f"{a}.to(m.{dt})"
        elif op == "where_scalar":
            e = f"m.where({a}.real > 0 if {a}.is_complex() else {a} > 0, {a}, 0.5)"
        elif op == "masked_fill":
            e = f"{a}.masked_fill({a}.real < 0 if {a}.is_complex() else {a} < 0, -1)"
        elif op == "clamp_t" and b is not None:
            e = f"m.clamp({a}, min={b})"
        elif op == "addcmul" and b is not None:
            e = f"m.addcmul({a}, {b}, {a}, value=0.5)"
        elif op == "lerp_s" and b is not None:
            e = f"m.lerp({a}, {b}, {b}.sigmoid() if {b}.is_floating_point() else 0.5)"
        elif op == "baddbmm" and nd == 3 and sh[1] == sh[2]:
            e = f"m.baddbmm({a}, {a}, {a}, beta={r.choice([0, 0.5])})"
        elif op == "cross" and nd and sh[-1] == 3 and b is not None:
            e = f"m.linalg.cross({a}, {b})"
        elif op == "cdist" and nd == 2 and b is not None:
            e = f"m.cdist({a}, {b})"
        elif op == "tensordot" and nd >= 1 and b is not None:
            e = f"m.tensordot({a}, {b}, 1)" if nd == 1 else f"m.tensordot({a}, {b}, ([0], [0]))"
        else:
            return False
        out = self.new()
        return self.try_line(f"{out} = {e}", out, allow_error=True)

    def s_inplace(self):
        r = self.rng
        # in-place targets: mostly non-leaves (views of computed tensors are the point)
        a = self.pick(lambda v: not v.is_leaf or not v.requires_grad) \
            if r.random() < 0.9 else self.pick()
        if a is None:
            return False
        v = self.val(a)
        nd = v.dim()
        sh = list(v.shape)
        op = r.choice(INPLACE)
        b = self._partner(a)
        d = r.randrange(-nd, nd) if nd else 0
        if op in ("add_", "mul_", "sub_", "div_", "pow_"):
            line = f"{a}.{op}({b})"
        elif op == "iadd":
            line = f"{a} += {b}"
        elif op == "imul":
            line = f"{a} *= {b}"
        elif op == "clamp_":
            line = f"{a}.clamp_(-0.5, 0.5)"
        elif op == "clamp_min_":
            line = f"{a}.clamp_min_(0.1)"
        elif op in ("sin_", "exp_", "relu_", "zero_", "abs_", "neg_", "tanh_", "sigmoid_",
                    "t_", "squeeze_", "sqrt_", "floor_"):
            line = f"{a}.{op}()"
        elif op == "unsqueeze_":
            line = f"{a}.unsqueeze_(0)"
        elif op == "fill_":
            line = f"{a}.fill_({_fmt(r.choice([1.5, -2, 0]))})"
        elif op == "copy_":
            line = f"{a}.copy_({b})"
        elif op == "setitem" and nd:
            line = f"{a}[{r.randrange(sh[0])}] = {_fmt(r.choice([7.0, -1, 0.25]))}"
        elif op == "setitem_t" and nd:
            i = r.randrange(sh[0])
            line = f"{a}[{i}:{i + 1}] = {b}[{i}:{i + 1}] * 2" if b.startswith("v") and \
                self._shape(b) == tuple(sh) else f"{a}[{i}] = {b}"
        elif op == "masked_fill_":
            line = f"{a}.masked_fill_({a}.real > 0.5 if {a}.is_complex() else {a} > 0.5, 0.0)"
        elif op == "index_add_" and nd:
            src = self.pick(lambda w: tuple(w.shape) == tuple(sh))
            line = f"{a}.index_add_({d}, m.arange({sh[d]}).flip(0), {src}, alpha=2)"
        elif op == "addcmul_" and b.startswith("v"):
            line = f"{a}.addcmul_({b}, {b}, value=0.5)"
        elif op == "lerp_" and b.startswith("v"):
            line = f"{a}.lerp_({b}, 0.25)"
        elif op == "scatter_" and nd:
            # distinct indices along d: torch leaves the winner of duplicate writes undefined
            keys = np.array([r.random() for _ in range(int(np.prod(sh)))]).reshape(sh)
            idx = np.argsort(keys, axis=d)
            line = f"{a}.scatter_({d}, m.tensor({idx.tolist()}), {b})"
        elif op == "index_fill_" and nd:
            line = f"{a}.index_fill_({d}, m.tensor([0]), -3)"
        elif op == "mul_complex_":
            line = f"{a}.mul_(complex(0, 1))"
        elif op == "masked_scatter_":
            line = (f"{a}.masked_scatter_({a}.real > 0 if {a}.is_complex() else {a} > 0, "
                    f"m.arange({v.numel()}).to({a}.dtype))")
        elif op == "index_put_" and nd:
            line = f"{a}.index_put_((m.tensor([0, {sh[0] - 1}]),), m.tensor(3.0), " \
                   f"accumulate={r.choice([True, False])})"
        elif op == "addmm_like" and nd == 2 and sh[0] == sh[1]:
            line = f"{a}.addmm_({a}.detach().clone(), {a}.detach().clone(), beta=0.5)"
        elif op == "conj_inplace" and v.is_complex():
            line = f"{a}.conj_physical_()"
        else:
            return False
        return self.try_line(line, allow_error=True)

    def finish(self):
        """The loss line and the list of what is compared."""
        T = self.T
        parts = []
        for n in self.leaves + self.vars:
            v = self.ns.get(n)
            if isinstance(v, T.Tensor) and v.requires_grad:
                w = round(self.rng.uniform(0.5, 1.5), 2)
                if v.is_complex():
                    parts.append(f"(m.view_as_real({n}.resolve_conj()) * {w}).sum()")
                else:
                    parts.append(f"({n}.float() * {w}).sum()" if v.dtype in
                                 (T.float16, T.bfloat16) else f"({n} * {w}).sum()")
        return parts

    def program(self, n_steps):
        for _ in range(self.rng.randrange(1, 4)):
            self.leaf()
        tries = 0
        while len(self.lines) < n_steps and tries < n_steps * 8 and self.error_line is None:
            tries += 1
            try:
                self.step()
            except Exception:  # noqa: BLE001 - a generator bug on an odd shape: skip the step
                pass
        return self.lines, self.finish()


def _broadcastable(a, b):
    for x, y in zip(reversed(a), reversed(b)):
        if x != y and x != 1 and y != 1:
            return False
    return True


def _refactor(sh, r):
    n = int(np.prod(sh)) if sh else 1
    opts = [[n], [-1], [1, n]]
    for k in (2, 3, 4):
        if n % k == 0 and n > k:
            opts.append([k, n // k])
            opts.append([n // k, -1])
    return ", ".join(map(str, r.choice(opts))) if opts else "-1"


# ------------------------------------------------------------------------------ running


def run_program(m, lines, loss_parts):
    """Execute on module m; returns (values by name, grads by leaf, error) as numpy/objects."""
    ns = {"m": m}
    err = None
    for i, line in enumerate(lines):
        try:
            exec(line, ns)
        except Exception as e:  # noqa: BLE001
            err = ("line", i, type(e).__name__, str(e))
            break
    vals = {}
    for k, v in ns.items():
        if k.startswith("v") and isinstance(v, m.Tensor):
            vals[k] = _np(m, v)
    grads = {}
    if err is None and loss_parts:
        try:
            loss = eval(" + ".join(loss_parts), ns)
            loss.backward()
        except Exception as e:  # noqa: BLE001
            err = ("backward", type(e).__name__, str(e))
        else:
            for k, v in ns.items():
                if k.startswith("v") and isinstance(v, m.Tensor) and v.is_leaf \
                        and v.requires_grad:
                    g = v.grad
                    grads[k] = None if g is None else _np(m, g)
    return vals, grads, err


def _np(m, v):
    v = v.detach()
    if v.is_conj():
        v = v.resolve_conj()
    dt = str(v.dtype).replace("torch.", "")
    if dt == "bfloat16":
        a = v.float().numpy()
    else:
        a = np.array(v.numpy())
    return dt, tuple(v.shape), a


def _close(a, b, dt):
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "biu":
        return np.array_equal(a, b)
    tol = {"float16": 2e-3, "bfloat16": 2e-2, "complex64": 2e-4, "float32": 2e-4}.get(dt, 1e-7)
    # infinities and NaNs must agree; finite values within a relative tolerance
    an, bn = np.isnan(a), np.isnan(b)
    if not np.array_equal(an, bn):
        return False
    ai, bi = np.isinf(a), np.isinf(b)
    if not np.array_equal(ai, bi) or not np.array_equal(a[ai], b[ai]):
        return False
    fin = ~(an | ai)
    x, y = a[fin], b[fin]
    scale = max(1.0, float(np.max(np.abs(y))) if y.size else 1.0)
    return bool(np.all(np.abs(x - y) <= tol * 20 * scale + tol * np.abs(y)))


def compare(torch_res, tl_res):
    """A list of differences (empty when the runs agree)."""
    tv, tg, te = torch_res
    lv, lg, le = tl_res
    diffs = []
    if (te is None) != (le is None):
        return [f"error: torch {te!r} torchlike {le!r}"]
    if te is not None:
        if te[:-1] != le[:-1]:
            return [f"error differs: torch {te!r} torchlike {le!r}"]
    for k, (dt, sh, a) in tv.items():
        if k not in lv:
            diffs.append(f"{k}: missing in torchlike")
            continue
        dt2, sh2, b = lv[k]
        if (dt, sh) != (dt2, sh2):
            diffs.append(f"{k}: dtype/shape torch {dt}{list(sh)} torchlike {dt2}{list(sh2)}")
        elif not _close(b, a, dt):
            diffs.append(f"{k}: values torch {a.tolist()} torchlike {b.tolist()}")
    for k, g in tg.items():
        h = lg.get(k, "absent")
        if g is None or h is None or isinstance(h, str):
            if (g is None) != (h is None):
                diffs.append(f"grad {k}: torch {g and g[2].tolist()} torchlike "
                             f"{h if isinstance(h, str) or h is None else h[2].tolist()}")
            continue
        if (g[0], g[1]) != (h[0], h[1]):
            diffs.append(f"grad {k}: dtype/shape torch {g[:2]} torchlike {h[:2]}")
        elif not _close(h[2], g[2], g[0]):
            diffs.append(f"grad {k}: torch {g[2].tolist()} torchlike {h[2].tolist()}")
    return diffs


def one_case(torch, tl, seed, n_steps=8):
    """Generate, run on both, compare. Returns (source, differences)."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = Gen(torch, seed)
        torch.manual_seed(0)
        lines, loss = g.program(n_steps)
        a = run_program(torch, lines, loss)
        try:
            b = run_program(tl, lines, loss)
        except Exception as e:  # noqa: BLE001 - a crash outside the program's lines
            return _source(lines, loss), [f"torchlike crashed: {type(e).__name__}: {e}"]
    return _source(lines, loss), compare(a, b)


def _source(lines, loss):
    body = "\n".join(lines)
    if loss:
        body += "\n(" + " + ".join(loss) + ").backward()"
    return body


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=None)
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    import torch
    import torchlike
    t0 = time.time()
    fails = 0
    n = 0
    for i in range(args.cases):
        if args.seconds is not None and time.time() - t0 > args.seconds:
            break
        seed = args.seed * 1_000_003 + i
        n += 1
        try:
            src, diffs = one_case(torch, torchlike, seed, args.steps)
        except Exception:  # noqa: BLE001 - a generator bug: report and go on
            print(f"# seed {seed}: generator error\n{traceback.format_exc()}")
            continue
        if diffs:
            fails += 1
            print(f"# ---- seed {seed}: {len(diffs)} differences")
            print(src)
            for d in diffs[:6]:
                print("#  ", d[:600])
            sys.stdout.flush()
    print(f"# {n} cases, {fails} with differences, {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
