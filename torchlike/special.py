"""torch.special on jax.scipy.special. New kernels are table ops in `torchlike/_ops/special.py`
(autograd and compile for free); the names PyTorch shares with torch.* (erf, gammaln = lgamma,
expit = sigmoid, ...) reach the same ops as the top-level functions.

Not provided: airy_ai (see docs/porting.md)."""
from __future__ import annotations

from . import _functions as _F
from ._ops import special as _special_ops  # noqa: F401  (registers the kernels)
from ._ops.registry import TABLE, call, write_out

__all__ = ["bessel_j0", "bessel_j1", "digamma", "entr", "erf", "erfc", "erfcx", "erfinv",
           "exp2", "expit", "expm1", "gammainc", "gammaincc", "gammaln", "i0", "i0e", "i1",
           "i1e", "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp",
           "modified_bessel_i0", "modified_bessel_i1", "multigammaln", "ndtr", "ndtri",
           "polygamma", "psi", "round", "sinc", "softmax", "spherical_bessel_j0", "xlog1py",
           "xlogy", "zeta", "modified_bessel_k0", "modified_bessel_k1", "bessel_y0", "bessel_y1",
           "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", *[
               f"{p}{k}_polynomial_{c}" for p, k, c in (
                   ("", "chebyshev", "t"), ("", "chebyshev", "u"), ("", "chebyshev", "v"),
                   ("", "chebyshev", "w"), ("shifted_", "chebyshev", "t"),
                   ("shifted_", "chebyshev", "u"), ("shifted_", "chebyshev", "v"),
                   ("shifted_", "chebyshev", "w"), ("", "hermite", "h"),
                   ("", "hermite", "he"), ("", "laguerre", "l"), ("", "legendre", "p"))]]


def _out(r, out):
    return r if out is None else write_out(out, r)


def _unary(op_name, name):
    op = TABLE[op_name]

    def f(input, *, out=None):
        return _out(call(op, (input,), ()), out)
    f.__name__ = f.__qualname__ = name
    return f


def _same(fn, name):
    def f(input, *, out=None):
        return _out(fn(input), out)
    f.__name__ = f.__qualname__ = name
    return f


def _binary(op_name, name):
    op = TABLE[op_name]

    def f(input, other, *, out=None):
        a, b = _F._t(input), _F._t(other)
        if not isinstance(a, _F.Tensor) and not isinstance(b, _F.Tensor):
            raise TypeError(f"{name}() received an invalid combination of arguments: expected "
                            "at least one Tensor")
        return _out(call(op, (a, b), ()), out)
    f.__name__ = f.__qualname__ = name
    return f


i0 = _unary("special_i0", "i0")
i0e = _unary("special_i0e", "i0e")
i1 = _unary("special_i1", "i1")
i1e = _unary("special_i1e", "i1e")
ndtr = _unary("special_ndtr", "ndtr")
ndtri = _unary("special_ndtri", "ndtri")
log_ndtr = _unary("special_log_ndtr", "log_ndtr")
erfcx = _unary("special_erfcx", "erfcx")
entr = _unary("special_entr", "entr")
bessel_j0 = _unary("special_bessel_j0", "bessel_j0")
bessel_j1 = _unary("special_bessel_j1", "bessel_j1")
modified_bessel_i0 = _unary("special_modified_bessel_i0", "modified_bessel_i0")
modified_bessel_i1 = _unary("special_modified_bessel_i1", "modified_bessel_i1")
spherical_bessel_j0 = _unary("special_spherical_bessel_j0", "spherical_bessel_j0")

erf = _same(_F.erf, "erf")
erfc = _same(_F.erfc, "erfc")
erfinv = _same(_F.erfinv, "erfinv")
expit = _same(_F.sigmoid, "expit")
exp2 = _same(_F.exp2, "exp2")
expm1 = _same(_F.expm1, "expm1")
log1p = _same(_F.log1p, "log1p")
gammaln = _same(_F.lgamma, "gammaln")
digamma = _same(_F.digamma, "digamma")
psi = _same(_F.digamma, "psi")
sinc = _same(_F.sinc, "sinc")

xlogy = _binary("xlogy", "xlogy")
xlog1py = _binary("special_xlog1py", "xlog1py")
zeta = _binary("special_zeta", "zeta")
gammainc = _binary("igamma", "gammainc")
gammaincc = _binary("igammac", "gammaincc")


def multigammaln(input, p, *, out=None):
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    return _out(call(TABLE["mvlgamma"], (input,), (p,)), out)


def polygamma(n, input, *, out=None):
    return _out(_F.polygamma(n, input), out)


def logit(input, eps=None, *, out=None):
    return _out(_F.logit(input, eps), out)


def round(input, *, decimals=0, out=None):  # noqa: A001
    return _out(_F.round(input, decimals=decimals), out)


def logsumexp(input, dim, keepdim=False, *, out=None):
    return _out(_F.logsumexp(input, dim, keepdim), out)


def softmax(input, dim, *, dtype=None):
    return _F.softmax(input, dim, dtype)


def log_softmax(input, dim, *, dtype=None):
    return _F.log_softmax(input, dim, dtype)


bessel_y0 = _unary("special_bessel_y0", "bessel_y0")
bessel_y1 = _unary("special_bessel_y1", "bessel_y1")
modified_bessel_k0 = _unary("special_modified_bessel_k0", "modified_bessel_k0")
modified_bessel_k1 = _unary("special_modified_bessel_k1", "modified_bessel_k1")
scaled_modified_bessel_k0 = _unary("special_scaled_modified_bessel_k0",
                                   "scaled_modified_bessel_k0")
scaled_modified_bessel_k1 = _unary("special_scaled_modified_bessel_k1",
                                   "scaled_modified_bessel_k1")


def _polynomial(kind, name):
    """The orthogonal polynomial families: P_n(input) for integer n (a tensor or a number;
    n is truncated toward zero, negative n gives 0). The recurrence runs to n's largest
    value, so n must be concrete (not traced under compile)."""
    def f(input, n, *, out=None):
        import numpy as np
        from ._tensor import _is_tracer
        x, nn = _F._t(input), _F._t(n)
        if not isinstance(x, _F.Tensor) and not isinstance(nn, _F.Tensor):
            raise TypeError(f"{name}() expected a Tensor for input or n")
        if isinstance(nn, _F.Tensor):
            if _is_tracer(nn._v):
                raise RuntimeError(f"{name}(): n must be concrete (it sets the number of "
                                   "recurrence steps); pass it as a Python int or an eager "
                                   "tensor")
            a = np.asarray(nn._v)
            nmax = int(np.trunc(a.max())) if a.size else 0
        else:
            nmax = int(nn)
        return _out(call(TABLE["special_polynomial"], (x, nn), (kind, max(nmax, 0))), out)
    f.__name__ = f.__qualname__ = name
    return f


for _kind in ("chebyshev_t", "chebyshev_u", "chebyshev_v", "chebyshev_w", "hermite_h",
              "hermite_he", "laguerre_l", "legendre_p"):
    _fam, _c = _kind.split("_")
    for _pre in ("", "shifted_") if _fam == "chebyshev" else ("",):
        _name = f"{_pre}{_fam}_polynomial_{_c}"
        globals()[_name] = _polynomial(_pre + _kind, _name)
