"""``torch._foreach_*``: an op over a list of tensors (optimizers written against PyTorch's
multi-tensor paths call them). Each is a loop over the public functions, so values, dtypes and
gradients are those of the single-tensor ops; the in-place forms return the list they update,
the others a tuple, as PyTorch's bindings do."""
from __future__ import annotations

_UNARY = ("abs acos asin atan ceil cos cosh erf erfc exp expm1 floor frac lgamma log log10 "
          "log1p log2 neg reciprocal round rsqrt sigmoid sign sin sinh sqrt tan tanh trunc").split()
_BINARY = "add sub mul div maximum minimum clamp_min clamp_max pow".split()
_TERNARY = "addcmul addcdiv".split()

__all__ = []


def _tl():
    import torchlike
    return torchlike


def _check_list(tensors):
    if not isinstance(tensors, (list, tuple)) or len(tensors) == 0:
        raise RuntimeError("Tensor list must have at least one tensor.")


def _others(tensors, other):
    """Per-tensor second operands: a list of tensors or scalars, or one scalar/tensor."""
    if isinstance(other, (list, tuple)):
        if other and isinstance(other[0], _tl().Tensor):
            if len(other) != len(tensors):
                raise RuntimeError("Tensor lists must have the same number of tensors, got "
                                   f"{len(tensors)} and {len(other)}")
        elif len(other) != len(tensors):
            raise RuntimeError("Tensor list must have same number of elements as scalar list.")
        return list(other)
    return [other] * len(tensors)


def _fn(name):
    tl = _tl()
    if name == "clamp_min":
        return lambda t, o: tl.clamp(t, min=o)
    if name == "clamp_max":
        return lambda t, o: tl.clamp(t, max=o)
    return getattr(tl, name)


def _method_(name):
    if name == "clamp_min":
        return lambda t, o: t.clamp_(min=o)
    if name == "clamp_max":
        return lambda t, o: t.clamp_(max=o)
    if name in ("maximum", "minimum"):      # no Tensor.maximum_: write the result back
        return lambda t, o: t.copy_(_fn(name)(t, o))
    return lambda t, *a, **k: getattr(t, name + "_")(*a, **k)


def _def(name, fn):
    fn.__name__ = fn.__qualname__ = name
    globals()[name] = fn
    __all__.append(name)


def _make_unary(op):
    def f(self):
        _check_list(self)
        return tuple(_fn(op)(t) for t in self)

    def f_(self):
        _check_list(self)
        for t in self:
            _method_(op)(t)
        return self
    _def(f"_foreach_{op}", f)
    _def(f"_foreach_{op}_", f_)


def _make_binary(op):
    def f(self, other, *, alpha=None):
        if op == "pow" and not isinstance(self, (list, tuple)):     # scalar ** tensors
            _check_list(other)
            return tuple(_tl().pow(self, t) for t in other)
        _check_list(self)
        kw = {} if alpha is None else {"alpha": alpha}
        return tuple(_fn(op)(t, o, **kw) for t, o in zip(self, _others(self, other)))

    def f_(self, other, *, alpha=None):
        _check_list(self)
        kw = {} if alpha is None else {"alpha": alpha}
        for t, o in zip(self, _others(self, other)):
            _method_(op)(t, o, **kw)
        return self
    _def(f"_foreach_{op}", f)
    _def(f"_foreach_{op}_", f_)


def _make_ternary(op):
    def f(self, tensor1, tensor2, value=1):
        _check_list(self)
        vals = _others(self, value)
        return tuple(getattr(_tl(), op)(t, a, b, value=v)
                     for t, a, b, v in zip(self, tensor1, tensor2, vals))

    def f_(self, tensor1, tensor2, value=1):
        _check_list(self)
        vals = _others(self, value)
        for t, a, b, v in zip(self, tensor1, tensor2, vals):
            getattr(t, op + "_")(a, b, value=v)
        return self
    _def(f"_foreach_{op}", f)
    _def(f"_foreach_{op}_", f_)


for _op in _UNARY:
    _make_unary(_op)
for _op in _BINARY:
    _make_binary(_op)
for _op in _TERNARY:
    _make_ternary(_op)


def _foreach_lerp(self, tensors1, weight):
    _check_list(self)
    return tuple(_tl().lerp(t, e, w) for t, e, w in zip(self, tensors1, _others(self, weight)))


def _foreach_lerp_(self, tensors1, weight):
    _check_list(self)
    for t, e, w in zip(self, tensors1, _others(self, weight)):
        t.lerp_(e, w)
    return self


def _foreach_norm(self, ord=2, dtype=None):
    _check_list(self)
    return tuple(_tl().linalg.vector_norm(t, ord, dtype=dtype) for t in self)


def _foreach_zero_(self):
    _check_list(self)
    for t in self:
        t.zero_()
    return self


def _foreach_copy_(self, src, non_blocking=False):
    _check_list(self)
    for t, s in zip(self, src):
        t.copy_(s)
    return self


__all__ += ["_foreach_lerp", "_foreach_lerp_", "_foreach_norm", "_foreach_zero_",
            "_foreach_copy_"]
