"""The public functional API (`torchlike.add`, ...) and Tensor methods, all thin layers over
the op table: each reaches `call(op, dynamic_args, static_args)`."""
from __future__ import annotations

import builtins
import collections
import math

import jax
import jax.numpy as jnp
import numpy as np

from . import _checks
from . import _dtype as D
from ._ops import linalg as _linalg_ops  # noqa: F401  (registers ops)
from ._ops import pointwise as _pw_ops  # noqa: F401
from ._ops import reduce as _red_ops  # noqa: F401
from ._ops import shape as S
from ._ops.registry import TABLE, call, check_inplace, commit, write_out
from ._autograd_core import GRAD as _GRAD
from ._tensor import Tensor, _new, _wrap_dim

_SCALARS = (builtins.bool, builtins.int, builtins.float, builtins.complex)
T = TABLE


def _t(x):
    """Tensor or Python scalar -> usable arg (numpy arrays and lists become tensors)."""
    if isinstance(x, (Tensor,) + _SCALARS) or x is None:
        return x
    if isinstance(x, np.generic):
        return x.item()
    from ._creation import tensor
    return tensor(x)


def _dims(dim, ndim):
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        if len(dim) == 0:
            return None
        w = [_wrap_dim(d, ndim) for d in dim]
        seen = set()
        for d in w:
            if d in seen:
                raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
            seen.add(d)
        r = tuple(sorted(w))
    else:
        r = (_wrap_dim(dim, ndim),)
    return r if ndim else ()  # a 0-d tensor accepts dim 0 / -1 and reduces over nothing


def _out(r, out):
    return r if out is None else write_out(out, r)


# ------------------------------------------------------------------ generic op wrappers


def _binary(name):
    op = T[name]

    def f(input, other, *, out=None):
        return _out(call(op, (_t(input), _t(other)), ()), out)
    f.__name__ = name
    return f


def _unary(name):
    op = T[name]

    def f(input, *, out=None):
        return _out(call(op, (input,), ()), out)
    f.__name__ = name
    return f


_BINARY = ["mul", "atan2", "maximum", "minimum", "fmax", "fmin", "hypot", "copysign",
           "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or",
           "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift",
           "bitwise_right_shift", "outer", "bmm"]
_UNARY = ["log", "log2", "log10", "log1p", "sqrt", "rsqrt", "sin", "cos", "tan", "asin", "acos",
          "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "erf", "erfc", "erfinv", "lgamma",
          "digamma", "reciprocal", "expm1", "sinc", "deg2rad", "rad2deg", "exp", "exp2", "tanh",
          "sigmoid", "neg", "abs", "sign", "sgn", "square", "floor", "ceil", "trunc", "frac",
          "relu", "logical_not", "bitwise_not", "isnan", "isinf", "isposinf", "isneginf",
          "isfinite", "signbit"]

_g = globals()
for _n in _BINARY:
    _g[_n] = _binary(_n)
for _n in _UNARY:
    _g[_n] = _unary(_n)
multiply, greater, greater_equal, less, less_equal, not_equal = mul, gt, ge, lt, le, ne
negative, absolute, arcsin, arccos, arctan, arctan2 = neg, abs, asin, acos, atan, atan2
arcsinh, arccosh, arctanh, fix, special_expit = asinh, acosh, atanh, trunc, sigmoid


def add(input, other, *, alpha=1, out=None):
    return _out(call(T["add"], (_t(input), _t(other)), (alpha,)), out)


def _sub_check(a, b):
    ab = isinstance(a, builtins.bool) or (isinstance(a, Tensor) and a.dtype is D.bool_)
    bb = isinstance(b, builtins.bool) or (isinstance(b, Tensor) and b.dtype is D.bool_)
    if ab and bb:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if ab or bb:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")


def sub(input, other, *, alpha=1, out=None):
    a, b = _t(input), _t(other)
    _sub_check(a, b)  # a bool tensor or a Python bool on either side
    return _out(call(T["sub"], (a, b), (alpha,)), out)


subtract = sub


def rsub(input, other, *, alpha=1):
    a, b = _t(input), _t(other)
    _sub_check(a, b)  # a bool tensor or a Python bool on either side
    return call(T["rsub"], (a, b), (alpha,))


def _check_int_zero(a, b):
    """PyTorch raises for integer division by zero where XLA returns a number."""
    def is_bool(x):
        return isinstance(x, builtins.bool) or (isinstance(x, Tensor) and x.dtype is D.bool_)

    def is_int(x):  # bools count: a bool and an integer divide as integers
        return (isinstance(x, Tensor) and x.dtype.category <= 1) or isinstance(x, builtins.int)
    if not (is_int(a) and is_int(b)) or (is_bool(a) and is_bool(b)):
        return
    if isinstance(b, Tensor):
        _checks.first_bad(b._v, lambda a: a == 0, lambda _: RuntimeError("ZeroDivisionError"))
    elif b == 0:
        raise RuntimeError("ZeroDivisionError")


def div(input, other, *, rounding_mode=None, out=None):
    a, b = _t(input), _t(other)
    if rounding_mode is None:
        return _out(call(T["div"], (a, b), ()), out)
    _check_int_zero(a, b)
    return _out(call(T["div_mode"], (a, b), (rounding_mode,)), out)


def remainder(input, other, *, out=None):
    a, b = _t(input), _t(other)
    _check_int_zero(a, b)
    return _out(call(T["remainder"], (a, b), ()), out)


def fmod(input, other, *, out=None):
    a, b = _t(input), _t(other)
    _check_int_zero(a, b)
    return _out(call(T["fmod"], (a, b), ()), out)


divide = true_divide = div


def floor_divide(input, other, *, out=None):
    return div(input, other, rounding_mode="floor", out=out)


def pow(input, exponent, *, out=None):
    if not isinstance(input, Tensor):
        return _out(call(T["rpow"], (_t(exponent), input), ()), out)
    if isinstance(exponent, builtins.int) and not isinstance(exponent, builtins.bool) \
            and -8 <= exponent <= 8:
        return _out(call(T["pow_int"], (input,), (exponent,)), out)
    if isinstance(exponent, _SCALARS):
        return _out(call(T["pow_scalar"], (input, exponent), ()), out)
    return _out(call(T["pow"], (input, _t(exponent)), ()), out)


def float_power(input, exponent):
    return pow(_t(input).double(), exponent.double() if isinstance(exponent, Tensor)
               else exponent)


def round(input, *, decimals=0, out=None):
    return _out(call(T["round"], (input,), (decimals,)), out)


def clamp(input, min=None, max=None, *, out=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    return _out(call(T["clamp"], (input, _t(min), _t(max)), ()), out)


clip = clamp


def clamp_min(input, min):
    return clamp(input, min=min)


def clamp_max(input, max):
    return clamp(input, max=max)


def where(condition, input=None, other=None, *, out=None):
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    return _out(call(T["where"], (condition, _t(input), _t(other)), ()), out)


def lerp(input, end, weight, *, out=None):
    return _out(call(T["lerp"], (input, end, _t(weight)), ()), out)


def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    return _out(call(T["addcmul"], (input, tensor1, tensor2), (value,)), out)


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    return _out(call(T["addcdiv"], (input, tensor1, tensor2), (value,)), out)


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return call(T["isclose"], (input, _t(other)), (rtol, atol, equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return builtins.bool(isclose(input, other, rtol, atol, equal_nan).all())


def equal(input, other):
    if input.shape != other.shape:
        return False
    return builtins.bool((input == other).all())


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    return _out(call(T["nan_to_num"], (input,), (nan, posinf, neginf)), out)


def logit(input, eps=None):
    return call(T["logit"], (input,), (eps,))


def polygamma(n, input):
    return call(T["polygamma"], (input,), (n,))


def conj(input):
    """The complex conjugate, recorded for autograd. A real tensor is returned as is; for a
    complex one PyTorch returns a lazy conjugate view, torchlike a new tensor."""
    if not input.dtype.is_complex:
        return input
    return call(T["conj_physical"], (input,), ())


def resolve_conj(input):
    """torchlike has no lazy conjugate bit: every tensor is already resolved."""
    return input


def resolve_neg(input):
    return input


def is_conj(input):
    return False


def is_neg(input):
    return False


def conj_physical(input):
    return conj(input) if input.dtype.is_complex else clone(input)


def real(input):
    """A real tensor is its own real part (PyTorch returns `input` itself). The real part of a
    complex tensor is a view of its storage read as (real, imag) pairs: writes through it
    reach `input`, strides and offset are PyTorch's (in units of the real dtype)."""
    if not input.dtype.is_complex:
        return input
    return _part_view(input, call(T["real_part"], (input,), ()), 0)


def imag(input):
    """As `real`: the imaginary part, a view."""
    if not input.dtype.is_complex:
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return _part_view(input, call(T["imag_part"], (input,), ()), 1)


def _part_view(z, r, which):
    size, stride, off = z._meta_or_root()
    root = z._base if z._base is not None else z
    r._base, r._vsync = root, root._ver
    r._meta = (tuple(size), tuple(2 * s for s in stride), 2 * off + which)
    r._as = r._v.dtype
    if not _GRAD[0]:
        r._nograd_view = True
    return r


# -------------------------------------------------------------------------- reductions


def _reduce(name, input, dim, keepdim, dtype=None, *, extra=()):
    d = _dims(dim, input.dim())
    st = (d, keepdim) + extra + ((D.to_dtype(dtype) if dtype is not None else None),)
    return call(T[name], (input,), st)


def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    return _out(_reduce("sum", input, dim, keepdim, dtype), out)


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    return _reduce("nansum", input, dim, keepdim, dtype)


def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    d = input.dtype if dtype is None else D.to_dtype(dtype)
    if d.category < 2:
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a "
                           "floating point or complex dtype. Got: "
                           f"{D.scalar_name(d)}")
    return _out(_reduce("mean", input, dim, keepdim, dtype), out)


def nanmean(input, dim=None, keepdim=False):
    m = ~isnan(input)
    return nansum(input, dim, keepdim) / sum(m, dim, keepdim)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    if dim is not None and isinstance(dim, (list, tuple)):
        raise TypeError("prod(): argument 'dim' must be int, not tuple")
    return _reduce("prod", input, dim, keepdim, dtype)


def return_type(name, fields):
    """A named tuple that prints like torch.return_types.<name>."""
    base = collections.namedtuple(name, fields)

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"torch.return_types.{name}(\n{body})"

    return type(name, (base,), {"__slots__": (), "__repr__": __repr__, "__str__": __repr__})


MaxMin = return_type("max", ["values", "indices"])
_Min = return_type("min", ["values", "indices"])
_Median = return_type("median", ["values", "indices"])
_Kth = return_type("kthvalue", ["values", "indices"])
_Topk = return_type("topk", ["values", "indices"])
_Sort = return_type("sort", ["values", "indices"])


def _check_nonempty(input, name):
    if input.numel() == 0:
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() "
                           "== 0. Specify the reduction dim with the 'dim' argument.")


def _check_reduce_dims(input, name, dims, error=RuntimeError):
    """PyTorch's errors for a reduction without identity (max, amax, argmax...) over an empty
    tensor: no dim given, or a reduced dim of size 0."""
    if input.numel() != 0:
        return
    if not dims:
        if error is IndexError:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                             "input.numel() == 0.")
        _check_nonempty(input, name)
    for d in dims:  # reported as given (PyTorch checks sizes before repeated dims)
        if input.dim() and input.shape[_wrap_dim(d, input.dim())] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


def _out_pair(v, i, out):
    """`out=(values, indices)`: both are written and returned, as PyTorch."""
    if out is None:
        return v, i
    return write_out(out[0], v), write_out(out[1], i)


def max(input, dim=None, keepdim=False, *, out=None):
    if isinstance(dim, Tensor):
        return maximum(input, dim)
    if dim is None:
        _check_nonempty(input, "max")
        return call(T["max_all"], (input,), ())
    _check_reduce_dims(input, "max", (_wrap_dim(dim, input.dim()),))
    v, i = call(T["max_dim"], (input,), (_wrap_dim(dim, input.dim()), keepdim))
    return MaxMin(*_out_pair(v, i, out))


def min(input, dim=None, keepdim=False, *, out=None):
    if isinstance(dim, Tensor):
        return minimum(input, dim)
    if dim is None:
        _check_nonempty(input, "min")
        return call(T["min_all"], (input,), ())
    _check_reduce_dims(input, "min", (_wrap_dim(dim, input.dim()),))
    v, i = call(T["min_dim"], (input,), (_wrap_dim(dim, input.dim()), keepdim))
    return _Min(*_out_pair(v, i, out))


def _raw_dims(dim):
    return () if dim is None else tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)


def amax(input, dim=(), keepdim=False):
    _check_reduce_dims(input, "amax", _raw_dims(dim))
    return call(T["amax"], (input,), (_dims(dim, input.dim()), keepdim))


def amin(input, dim=(), keepdim=False):
    _check_reduce_dims(input, "amin", _raw_dims(dim))
    return call(T["amin"], (input,), (_dims(dim, input.dim()), keepdim))


def aminmax(input, *, dim=None, keepdim=False):
    return amin(input, dim if dim is not None else (), keepdim), \
        amax(input, dim if dim is not None else (), keepdim)


def _arg_check(input, name, dim):
    if input.dtype is D.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")
    d = None if dim is None else _wrap_dim(dim, input.dim())
    _check_reduce_dims(input, name, () if d is None else (d,), IndexError)
    return d


def argmax(input, dim=None, keepdim=False):
    return call(T["argmax"], (input,), (_arg_check(input, "argmax", dim), keepdim))


def argmin(input, dim=None, keepdim=False):
    return call(T["argmin"], (input,), (_arg_check(input, "argmin", dim), keepdim))


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def _std_var_check(input):
    if input.dtype.category < 2:
        raise RuntimeError("std and var only support floating point and complex dtypes")


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    _std_var_check(input)
    if isinstance(dim, builtins.bool):
        unbiased, dim = dim, None
    return call(T["var"], (input,), (_dims(dim, input.dim()), _correction(unbiased, correction),
                                     keepdim))


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    _std_var_check(input)
    if isinstance(dim, builtins.bool):
        unbiased, dim = dim, None
    return call(T["std"], (input,), (_dims(dim, input.dim()), _correction(unbiased, correction),
                                     keepdim))


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return var(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return std(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    if p == "fro" or p is None:
        p = 2
    if input.dtype.category < 2 and dtype is None:
        names = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
                 "uint8": "Byte", "bool": "Bool"}
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {names.get(input.dtype.name, input.dtype.name)}")
    if p == "nuc":
        return call(T["matrix_norm"], (input,), ("nuc", (-2, -1), keepdim))
    return call(T["vector_norm"], (input,), (float(p) if not isinstance(p, int) else p,
                                             _dims(dim, input.dim()), keepdim,
                                             D.to_dtype(dtype) if dtype else None))


def dist(input, other, p=2):
    return norm(input - other, p)


def logsumexp(input, dim, keepdim=False):
    if input.dtype.category < 2:  # integers and bools: the default float dtype, as PyTorch
        input = input.to(D.get_default_dtype())
    return call(T["logsumexp"], (input,), (_dims(dim, input.dim()), keepdim))


def cumsum(input, dim, *, dtype=None, out=None):
    return _out(call(T["cumsum"], (input,), (_wrap_dim(dim, input.dim()),
                                              D.to_dtype(dtype) if dtype else None)), out)


def cumprod(input, dim, *, dtype=None):
    return call(T["cumprod"], (input,), (_wrap_dim(dim, input.dim()),
                                         D.to_dtype(dtype) if dtype else None))


def all(input, dim=None, keepdim=False):
    r = call(T["all"], (input,), (_dims(dim, input.dim()), keepdim))
    return r.to(D.uint8) if input.dtype is D.uint8 else r  # PyTorch keeps uint8


def any(input, dim=None, keepdim=False):
    r = call(T["any"], (input,), (_dims(dim, input.dim()), keepdim))
    return r.to(D.uint8) if input.dtype is D.uint8 else r


def count_nonzero(input, dim=None):
    return call(T["count_nonzero"], (input,), (_dims(dim, input.dim()),))


def softmax(input, dim, dtype=None):
    return call(T["softmax"], (input,), (_wrap_dim(dim, input.dim()),
                                         D.to_dtype(dtype) if dtype else None))


def log_softmax(input, dim, dtype=None):
    return call(T["log_softmax"], (input,), (_wrap_dim(dim, input.dim()),
                                             D.to_dtype(dtype) if dtype else None))


def median(input, dim=None, keepdim=False):
    if input.dtype is D.bool_:
        if dim is not None:
            _wrap_dim(dim, input.dim())  # a bad dim is reported first
        raise NotImplementedError(f'"{"median_cpu" if dim is None else "median_out"}" not '
                                  "implemented for 'Bool'")
    if dim is None:
        return call(T["median_all"], (input,), ())
    v, i = call(T["median_dim"], (input,), (_wrap_dim(dim, input.dim()), keepdim))
    return _Median(v, i)


# ---------------------------------------------------------------------- linear algebra


def _mm_check(a, b, name="mm"):
    if a.dtype is not b.dtype:
        from .amp.autocast_mode import STATE
        if STATE.on:        # inside torch.autocast the op casts its inputs (torchlike/amp)
            return
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{D.scalar_name(a.dtype).lower()} != {D.scalar_name(b.dtype).lower()}")


def dot(input, other, *, out=None):
    if input.dim() != 1 or other.dim() != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.dim()}D and {other.dim()}D "
                           "tensors")
    if input.shape[0] != other.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{input.shape[0]}] and "
                           f"src [{other.shape[0]}] to have the same number of elements, but "
                           f"got {input.shape[0]} and {other.shape[0]} elements respectively")
    _mm_check(input, other)
    return _out(call(T["dot"], (input, other), ()), out)


def mv(input, vec, *, out=None):
    if input.dim() != 2 or vec.dim() != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input.dim()}, "
                           f"{vec.dim()}")
    if input.shape[1] != vec.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({input.shape[0]}), mat ({input.shape[0]}x"
                           f"{input.shape[1]}), vec ({vec.shape[0]})")
    _mm_check(input, vec)
    return _out(call(T["mv"], (input, vec), ()), out)


def mm(input, mat2, *, out=None):
    a, b = input, mat2
    if a.dim() != 2 or b.dim() != 2:
        raise RuntimeError(f"{'self' if a.dim() != 2 else 'mat2'} must be a matrix")
    _mm_check(a, b)
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x"
                           f"{a.shape[1]} and {b.shape[0]}x{b.shape[1]})")
    return _out(call(T["mm"], (a, b), ()), out)


def matmul(input, other, *, out=None):
    a, b = input, other
    da, db = a.dim(), b.dim()
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{da}D and {db}D")
    if da == 2 and db == 2:
        return mm(a, b, out=out)
    _mm_check(a, b)
    if da == 1 and db == 1:
        if a.shape[0] != b.shape[0]:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and "
                               f"src [{b.shape[0]}] to have the same number of elements, but "
                               "got {} and {} elements respectively".format(a.shape[0],
                                                                             b.shape[0]))
        return _out(call(T["dot"], (a, b), ()), out)
    if da == 2 and db == 1:
        if a.shape[1] != b.shape[0]:
            raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({a.shape[0]}x"
                               f"{a.shape[1]}), vec ({b.shape[0]})")
        return _out(call(T["mv"], (a, b), ()), out)
    ka = a.shape[-1]
    kb = b.shape[-2] if db > 1 else b.shape[0]
    if ka != kb:
        sa = "x".join(str(s) for s in (a.shape if da <= 2 else (math.prod(a.shape[:-1]), ka)))
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({sa} and "
                           f"{b.shape[-2] if db > 1 else b.shape[0]}x"
                           f"{b.shape[-1] if db > 1 else 1})")
    if da == 3 and db == 3:
        return _out(call(T["bmm"], (a, b), ()), out)
    return _out(call(T["matmul"], (a, b), ()), out)


class _LinalgModule:
    """`torchlike.linalg`, imported on first use: it builds on this module, so importing it
    here would make an import cycle."""

    def __getattr__(self, name):
        from . import linalg
        return getattr(linalg, name)


_la = _LinalgModule()


_ADDPROD_SHAPE = {"addmm": lambda a, b: (a[0], b[1]), "addmv": lambda a, b: (a[0],),
                  "addr": lambda a, b: (a[0], b[0]), "baddbmm": lambda a, b: (a[0], a[1], b[2]),
                  "addbmm": lambda a, b: (a[1], b[2])}


def _addprod(name):
    """beta * input + alpha * product; input is ignored when beta is 0 (NaN/inf included)."""
    op, shape = T[name], _ADDPROD_SHAPE[name]

    def f(input, a, b, *, beta=1, alpha=1, out=None):
        if name == "addmm" and a.dim() == b.dim() == 2 and a.shape[1] != b.shape[0]:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x"
                               f"{a.shape[1]} and {b.shape[0]}x{b.shape[1]})")
        target = list(shape(a.shape, b.shape))
        have = list(input.shape)
        for d in range(1, builtins.min(len(have), len(target)) + 1):
            if have[-d] not in (1, target[-d]):
                raise RuntimeError(
                    f"The expanded size of the tensor ({target[-d]}) must match the existing "
                    f"size ({have[-d]}) at non-singleton dimension {len(target) - d}.  Target "
                    f"sizes: {target}.  Tensor sizes: {have}")
        if len(have) > len(target):
            raise RuntimeError(f"The number of sizes provided ({len(target)}) must be greater "
                               f"or equal to the number of dimensions in the tensor "
                               f"({len(have)})")
        return _out(call(op, (input, a, b), (beta, alpha)), out)
    f.__name__ = name
    return f


addmm, addmv, addr = _addprod("addmm"), _addprod("addmv"), _addprod("addr")
baddbmm, addbmm = _addprod("baddbmm"), _addprod("addbmm")


def _sublist(s):
    return "".join("..." if i is Ellipsis else chr(ord("a") + i) if i < 26
                   else chr(ord("A") + i - 26) for i in s)


def einsum(*args):
    """Also the sublist form einsum(a, [0, 1], b, [1, 2], [0, 2]); PyTorch's RuntimeErrors."""
    if args and not isinstance(args[0], str):
        out = "->" + _sublist(args[-1]) if len(args) % 2 else ""
        pairs = args[:len(args) - len(args) % 2]
        args = (",".join(_sublist(s) for s in pairs[1::2]) + out, *pairs[0::2])
    equation, operands = args[0].replace(" ", ""), list(args[1:])
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = list(operands[0])
    lhs = equation.split("->")[0].split(",")
    if len(lhs) != len(operands):
        raise RuntimeError("einsum(): " + ("fewer" if len(operands) < len(lhs) else "more")
                           + " operands were provided than specified in the equation")
    sizes = {}
    for i, (term, x) in enumerate(zip(lhs, operands)):
        labels = term.replace("...", "")
        if "..." not in term and len(labels) != x.dim():
            raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                               f"({len(labels)}) does not match the number of dimensions "
                               f"({x.dim()}) for operand {i} and no ellipsis was given")
        k = term.index("...") if "..." in term else len(labels)
        dims = list(range(k)) + list(range(x.dim() - len(labels) + k, x.dim()))
        for c, d in zip(labels, dims):
            n, seen = x.shape[d], sizes.get(c, 1)
            if n != 1 and seen != 1 and n != seen:
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {i} which"
                                   f" does not broadcast with previously seen size {seen}")
            sizes[c] = builtins.max(n, seen)
    for i, (term, x) in enumerate(zip(lhs, operands)):  # PyTorch broadcasts size-1 subscripts
        if "..." not in term and builtins.any(n == 1 and sizes[c] != 1
                                              for c, n in zip(term, x.shape)):
            operands[i] = x.expand(*[sizes[c] for c in term])
    return call(T["einsum"], tuple(operands), (equation,))


def t(input):
    if input.dim() > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input.dim()}D")
    return call(T["t"], (input,), ())


def det(input):
    return _la.det(input)


def logdet(input):
    _la._check_matrix(input, "linalg.logdet")
    return call(T["logdet"], (input,), ())


def slogdet(input, *, out=None):
    return _la.slogdet(input)


def inverse(input, *, out=None):
    return _la.inv(input, out=out)


def matrix_power(input, n):
    return _la.matrix_power(input, n)


def matrix_exp(input):
    return _la.matrix_exp(input)


def trace(input):
    if input.dim() != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.dim()}")
    return call(T["trace"], (input,), ())


def cross(input, other, dim=None, *, out=None):
    """dim=None picks the first dimension of size 3 (PyTorch's deprecated default)."""
    if dim is None:
        shape = broadcast_shapes(input.shape, other.shape)
        dim = next((i for i, n in enumerate(shape) if n == 3), -1)
    return _out(call(T["cross"], (input, other), (dim,)), out)


def tensordot(a, b, dims=2, out=None):
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, builtins.int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da, db = tuple(range(a.dim() - dims, a.dim())), tuple(range(dims))
    else:
        da, db = ([d] if isinstance(d, builtins.int) else list(d) for d in dims)
        da, db = tuple(d % a.dim() for d in da), tuple(d % b.dim() for d in db)
    for i, j in zip(da, db):
        if a.shape[i] != b.shape[j]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a.shape[i]} in dim {i} and second has size {b.shape[j]} in "
                               f"dim {j}")
    return _out(call(T["tensordot"], (a, b), (da, db)), out)


def kron(input, other, *, out=None):
    return _out(call(T["kron"], (input, other), ()), out)


def inner(input, other, *, out=None):
    if input.dim() == 0 or other.dim() == 0:
        return _out(mul(input, other), out)
    return _out(tensordot(input, other, ([-1], [-1])), out)


def chain_matmul(*matrices, out=None):
    if len(matrices) == 1:
        return _out(matrices[0].clone(), out)
    return _la.multi_dot(matrices, out=out)


def cholesky(input, upper=False, *, out=None):
    return _la.cholesky(input, upper=upper, out=out, _name="cholesky")


def cholesky_solve(input, input2, upper=False, *, out=None):
    """Solves A X = B for A = L L^H (or U^H U) given its factor input2."""
    return _out(call(T["cholesky_solve"], (input, input2), (upper,)), out)


def cholesky_inverse(input, upper=False, *, out=None):
    from ._creation import eye
    i = eye(input.shape[-1], dtype=input.dtype).expand(input.shape)
    return _out(cholesky_solve(i, input, upper), out)


_TriangularSolve = return_type("triangular_solve", ["solution", "cloned_coefficient"])


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False, *, out=None):
    """Deprecated API: solves op(A) X = b with op the transpose when `transpose`."""
    if transpose:
        x = _la.solve_triangular(A.mT, b, upper=not upper, unitriangular=unitriangular)
    else:
        x = _la.solve_triangular(A, b, upper=upper, unitriangular=unitriangular)
    return _TriangularSolve(x, A.clone())


def ger(input, vec2, *, out=None):
    return outer(input, vec2, out=out)


_QR = return_type("qr", ["Q", "R"])
_Svd = return_type("svd", ["U", "S", "V"])
_Lu = return_type("lu_unpack", ["P", "L", "U"])


def qr(input, some=True, *, out=None):
    return _QR(*_la.qr(input, "reduced" if some else "complete"))


def svd(input, some=True, compute_uv=True, *, out=None):
    """Returns V, not Vh; without compute_uv U and V are zeros (as PyTorch)."""
    if not compute_uv:
        from ._creation import zeros
        m, n = input.shape[-2:]
        batch = tuple(input.shape[:-2])
        return _Svd(zeros(*batch, m, m, dtype=input.dtype), _la.svdvals(input),
                    zeros(*batch, n, n, dtype=input.dtype))
    u, s, vh = _la.svd(input, full_matrices=not some)
    return _Svd(u, s, vh.mH)


def pinverse(input, rcond=1e-15):
    return _la.pinv(input, rtol=rcond)


def lu(A, pivot=True, get_infos=False, out=None):
    r = _la.lu_factor_ex(A, pivot=pivot, check_errors=False)
    return (r.LU, r.pivots, r.info) if get_infos else (r.LU, r.pivots)


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None):
    return _Lu(*call(T["lu_unpack"], (LU_data, LU_pivots), ()))


def lu_solve(b, LU_data, LU_pivots, *, out=None):
    return _la.lu_solve(LU_data, LU_pivots, b, out=out)


def vander(x, N=None, increasing=False):
    if x.dim() != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    v = _la.vander(x, N=N)
    return v if increasing else flip(v, (-1,))


def _trapezoid_dx(y, x, dx, dim):
    if x is None:
        return 1 if dx is None else dx
    if x.dim() == 1:
        d = x[1:] - x[:-1]
        return d.reshape(d.shape[0], *([1] * (y.dim() - 1 - _wrap_dim(dim, y.dim()))))
    return narrow(x, dim, 1, x.shape[dim] - 1) - narrow(x, dim, 0, x.shape[dim] - 1)


def _trapezoid_terms(y, x, dx, dim):
    n = y.shape[dim]
    mid = (narrow(y, dim, 1, n - 1) + narrow(y, dim, 0, n - 1)) / 2
    return mid * _trapezoid_dx(y, x, dx, dim)


def trapezoid(y, x=None, *, dx=None, dim=-1):
    if y.shape[dim] == 0:
        return sum(y, dim)
    return sum(_trapezoid_terms(y, x, dx, dim), dim)


def trapz(y, x=None, *, dx=None, dim=-1):
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    if y.shape[dim] == 0:
        return y.clone()
    return cumsum(_trapezoid_terms(y, x, dx, dim), dim)


# -------------------------------------------------------------------------- shape ops


def _shape_args(args):
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def _view(input, shape):
    shape = S.infer_size(tuple(int(s) for s in shape), input.numel())
    return call(T["view"], (input,), (shape,))


def reshape(input, *shape):
    shape = S.infer_size(tuple(int(s) for s in _shape_args(shape)), input.numel())
    meta = input._meta_or_root()
    if S.view_strides(meta[0], meta[1], shape) is not None:
        return call(T["view"], (input,), (shape,))
    return call(T["reshape_copy"], (input,), (shape,))


def flatten(input, start_dim=0, end_dim=-1):
    nd = input.dim()
    if nd == 0:
        return reshape(input, (1,))
    s, e = _wrap_dim(start_dim, nd), _wrap_dim(end_dim, nd)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    shp = input.shape
    return reshape(input, shp[:s] + (math.prod(shp[s:e + 1]),) + shp[e + 1:])


def unflatten(input, dim, sizes):
    d = _wrap_dim(dim, input.dim())
    shp = input.shape
    sizes = S.infer_size(tuple(sizes), shp[d])
    return reshape(input, shp[:d] + sizes + shp[d + 1:])


def ravel(input):
    return reshape(input, (-1,))


def squeeze(input, dim=None):
    nd = input.dim()
    if dim is None:
        dims = tuple(range(nd))
    else:
        dims = _dims(dim, nd) if nd else ()
    r = call(T["squeeze"], (input,), (dims,))
    return r


def unsqueeze(input, dim):
    return call(T["unsqueeze"], (input,), (_wrap_dim(dim, input.dim() + 1),))


def permute(input, *dims):
    dims = _shape_args(dims)
    nd = input.dim()
    if len(dims) != nd:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {nd} is not equal to len(dims) = {len(dims)}")
    return call(T["permute"], (input,), (tuple(_wrap_dim(d, nd) for d in dims),))


def transpose(input, dim0, dim1):
    nd = input.dim()
    return call(T["transpose"], (input,), (_wrap_dim(dim0, nd), _wrap_dim(dim1, nd)))


swapaxes = swapdims = transpose


def movedim(input, source, destination):
    nd = input.dim()
    src = tuple(_wrap_dim(d, nd) for d in (source if isinstance(source, (tuple, list))
                                           else (source,)))
    dst = tuple(_wrap_dim(d, nd) for d in (destination if isinstance(destination, (tuple, list))
                                           else (destination,)))
    return call(T["movedim"], (input,), (src, dst))


moveaxis = movedim


def expand(input, *sizes):
    return call(T["expand"], (input,), (S.expand_size(input.shape, _shape_args(sizes)),))


def broadcast_to(input, size):
    return expand(input, size)


def broadcast_tensors(*tensors):
    shape = jnp.broadcast_shapes(*[t.shape for t in tensors])
    return tuple(expand(t, shape) for t in tensors)


def broadcast_shapes(*shapes):
    from ._tensor import Size
    return Size(np.broadcast_shapes(*shapes))


def diagonal(input, offset=0, dim1=0, dim2=1):
    nd = input.dim()
    return call(T["diagonal"], (input,), (offset, _wrap_dim(dim1, nd), _wrap_dim(dim2, nd)))


def diag(input, diagonal=0):
    if input.dim() == 1:
        return _new(jnp.diag(input._v, diagonal)) if not input._rg else \
            _diag_embed(input, diagonal)
    return globals()["diagonal"](input, diagonal).clone()


def _diag_embed(v, k):
    n = v.shape[0] + builtins.abs(k)
    from ._creation import zeros
    z = zeros(n, n, dtype=v.dtype)
    idx = np.arange(v.shape[0])
    r, c = (idx, idx + k) if k >= 0 else (idx - k, idx)
    return call(T["index_put"], (z, v, _new(jnp.asarray(r)), _new(jnp.asarray(c))),
                (("a", "a"), False))


def narrow(input, dim, start, length):
    d = _wrap_dim(dim, input.dim())
    start = int(start)
    if start < 0:
        start += input.shape[d]
    if start + length > input.shape[d]:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                           f"({input.shape[d]}).")
    idx = (slice(None),) * d + (slice(start, start + length),)
    return getitem(input, idx)


def select(input, dim, index):
    d = _wrap_dim(dim, input.dim())
    return getitem(input, (slice(None),) * d + (index,))


def cat(tensors, dim=0, *, out=None):
    tensors = [t for t in tensors]
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    nd = builtins.max(t.dim() for t in tensors)
    tensors = [t for t in tensors if not (t.dim() == 1 and t.shape[0] == 0)] or tensors[:1]
    d = _wrap_dim(dim, nd)
    ref = tensors[0].shape
    for i, t in enumerate(tensors):
        if t.dim() != len(ref):
            raise RuntimeError(f"Tensors must have same number of dimensions: got {len(ref)} "
                               f"and {t.dim()}")
        for k in range(len(ref)):
            if k != d and t.shape[k] != ref[k]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. "
                                   f"Expected size {ref[k]} but got size {t.shape[k]} for "
                                   f"tensor number {i} in the list.")
    return _out(call(T["cat"], tuple(tensors), (d,)), out)


concat = concatenate = cat


def stack(tensors, dim=0, *, out=None):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(tensors[0].shape)} at entry 0 and {list(t.shape)} at "
                               f"entry {i}")
    return _out(call(T["stack"], tuple(tensors), (_wrap_dim(dim, tensors[0].dim() + 1),)), out)


def hstack(tensors):
    return cat(tensors, 0 if tensors[0].dim() == 1 else 1)


def vstack(tensors):
    return cat([t.reshape(1, -1) if t.dim() == 1 else t for t in tensors], 0)


def split(tensor, split_size_or_sections, dim=0):
    d = _wrap_dim(dim, tensor.dim())
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, int):
        s = split_size_or_sections
        sizes = tuple(builtins.min(s, n - i) for i in range(0, n, s)) if n else (0,)
        return call(T["split_equal"], (tensor,), (sizes, d))
    sizes = tuple(split_size_or_sections)
    if builtins.sum(sizes) != n:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input "
                           f"tensor's size at dimension {d}), but got split_sizes={list(sizes)}")
    return call(T["split_with_sizes"], (tensor,), (sizes, d))


def chunk(input, chunks, dim=0):
    d = _wrap_dim(dim, input.dim())
    n = input.shape[d]
    size = -(-n // chunks) if chunks else 0
    return split(input, builtins.max(size, 1), d)


def tensor_split(input, indices_or_sections, dim=0):
    d = _wrap_dim(dim, input.dim())
    n = input.shape[d]
    if isinstance(indices_or_sections, int):
        k = indices_or_sections
        sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    else:   # indices past the end give empty pieces, as in PyTorch
        idx = [0] + [builtins.min(builtins.max(int(i), 0), n) for i in indices_or_sections] + [n]
        sizes = [builtins.max(idx[i + 1] - idx[i], 0) for i in range(len(idx) - 1)]
    return call(T["split_with_sizes"], (input,), (tuple(sizes), d))


def unbind(input, dim=0):
    return call(T["unbind"], (input,), (_wrap_dim(dim, input.dim()),))


def flip(input, dims):
    return call(T["flip"], (input,), (_dims(dims if isinstance(dims, (list, tuple)) else (dims,),
                                            input.dim()),))


def fliplr(input):
    return flip(input, (1,))


def flipud(input):
    return flip(input, (0,))


def roll(input, shifts, dims=None):
    if dims is None:
        return roll(input.flatten(), shifts, 0).view(input.shape)
    shifts = tuple(shifts) if isinstance(shifts, (list, tuple)) else (shifts,)
    dims = tuple(dims) if isinstance(dims, (list, tuple)) else (dims,)
    return call(T["roll"], (input,), (shifts, tuple(_wrap_dim(d, input.dim()) for d in dims)))


def tril(input, diagonal=0, *, out=None):
    return _out(call(T["tril"], (input,), (diagonal,)), out)


def triu(input, diagonal=0, *, out=None):
    return _out(call(T["triu"], (input,), (diagonal,)), out)


def _check_index_bounds(index, size, dim, lo=None, error=RuntimeError, prefix=""):
    _checks.first_bad(index._v, _checks.outside(-size if lo is None else lo, size),
                      lambda bad: error(f"{prefix}index {bad} is out of bounds for dimension "
                                        f"{dim} with size {size}"))


def gather(input, dim, index, *, sparse_grad=False, out=None):
    d = _wrap_dim(dim, input.dim())
    if index.dtype is not D.int64 and index.dtype is not D.int32:
        raise RuntimeError("gather(): Expected dtype int64 for index")
    if index.dim() == input.dim() and input.dim():
        for k in range(input.dim()):
            if k != d and index.shape[k] > input.shape[k]:
                raise RuntimeError(f"Size does not match at dimension {k} expected index "
                                   f"{list(index.shape)} to be no larger than self "
                                   f"{list(input.shape)} apart from dimension {d}")
        if builtins.any(index.shape[k] < input.shape[k] for k in range(input.dim()) if k != d):
            input = input[tuple(slice(0, index.shape[k]) if k != d else slice(None)
                                for k in range(input.dim()))]
    _check_index_bounds(index, _size(input, d), d, lo=0)
    return _out(call(T["gather"], (input, index), (_wrap_dim(dim, input.dim()),)), out)


def _size(input, d):
    return input.shape[d] if input.dim() else 1


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    s = src if src is not None else value
    d = _wrap_dim(dim, input.dim())
    _check_index_bounds(index, _size(input, d), d, lo=0)
    return call(T["scatter"], (input, index, _t(s)), (d, reduce))


def scatter_add(input, dim, index, src):
    d = _wrap_dim(dim, input.dim())
    _check_index_bounds(index, _size(input, d), d, lo=0)
    return call(T["scatter_add"], (input, index, src), (d,))


def index_select(input, dim, index, *, out=None):
    d = _wrap_dim(dim, input.dim())
    if index.dtype is not D.int64 and index.dtype is not D.int32:
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    n = _size(input, d)
    _checks.first_bad(index._v, _checks.outside(0, n), lambda bad: RuntimeError(
        f"INDICES element is out of DATA bounds, id={bad} axis_dim={n}"))
    return _out(call(T["index_select"], (input, index), (d,)), out)


def index_add(input, dim, index, source, *, alpha=1):
    d = _wrap_dim(dim, input.dim())
    _check_index_bounds(index, _size(input, d), d, lo=0)
    return call(T["index_add"], (input, index, source), (d, alpha))


def index_copy(input, dim, index, source):
    d = _wrap_dim(dim, input.dim())
    _check_index_bounds(index, _size(input, d), d, lo=0, error=IndexError,
                        prefix="index_copy_(): ")
    return call(T["index_copy"], (input, index, source), (d,))


def index_fill(input, dim, index, value):
    if isinstance(value, Tensor):
        value = value.item()
    d = _wrap_dim(dim, input.dim())
    _check_index_bounds(index, _size(input, d), d, error=IndexError)
    return call(T["index_fill"], (input, index), (value, d))


def masked_fill(input, mask, value):
    if mask.dtype is not D.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{D.scalar_name(mask.dtype).lower()}")
    return call(T["masked_fill"], (input, mask, _t(value)), ())


def masked_select(input, mask):
    a, m = broadcast_tensors(input, mask)
    return getitem(a, m)


def nonzero(input, *, as_tuple=False):
    idx = np.nonzero(input._concrete("nonzero()"))
    if as_tuple:
        return tuple(_new(jnp.asarray(i, jnp.int64)) for i in idx) if input.dim() else \
            (_new(jnp.zeros(int(input.item() != 0), jnp.int64)),)
    return _new(jnp.asarray(np.stack(idx, 1) if idx else np.zeros((0, 0)), jnp.int64))


def argwhere(input):
    return nonzero(input)


def topk(input, k, dim=-1, largest=True, sorted=True):
    if not 0 <= k <= _size(input, _wrap_dim(dim, input.dim())):
        raise RuntimeError("selected index k out of range")
    v, i = call(T["topk"], (input,), (k, _wrap_dim(dim, input.dim()), largest, sorted))
    return _Topk(v, i)


def sort(input, dim=-1, descending=False, stable=False):
    v, i = call(T["sort"], (input,), (_wrap_dim(dim, input.dim()), descending, stable))
    return _Sort(v, i)


def argsort(input, dim=-1, descending=False, stable=False):
    return call(T["argsort"], (input,), (_wrap_dim(dim, input.dim()), descending, stable))


def msort(input):
    return sort(input, 0).values


def kthvalue(input, k, dim=-1, keepdim=False):
    d = _wrap_dim(dim, input.dim())
    if not 1 <= k <= _size(input, d):
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    v, i = sort(input, dim)
    vv, ii = select(v, d, k - 1), select(i, d, k - 1)
    if keepdim:
        vv, ii = vv.unsqueeze(d), ii.unsqueeze(d)
    return _Kth(vv, ii)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    a = input._concrete("unique()")
    res = np.unique(a, return_inverse=return_inverse, return_counts=return_counts, axis=dim)
    if not (return_inverse or return_counts):
        return _new(jnp.asarray(res))
    out = [_new(jnp.asarray(res[0]))]
    k = 1
    if return_inverse:
        out.append(_new(jnp.asarray(res[k].reshape(a.shape) if dim is None else res[k],
                                    jnp.int64)))
        k += 1
    if return_counts:
        out.append(_new(jnp.asarray(res[k], jnp.int64)))
    return tuple(out)


def bincount(input, weights=None, minlength=0):
    a = input._concrete("bincount()")
    if a.ndim != 1 or input.dtype.category != 1 or (a.size and a.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    w = None if weights is None else np.asarray(weights._v)
    r = np.bincount(a, w, minlength)
    return _new(jnp.asarray(r, jnp.int64 if w is None else r.dtype))


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    if repeats is None:      # repeat_interleave(repeats): each index i, repeats[i] times
        input, repeats = _new(jax.device_put(np.arange(input.shape[0]))), input
    r = repeats._concrete("repeat_interleave") if isinstance(repeats, Tensor) else repeats
    if dim is None:
        input, dim = input.flatten(), 0
    idx = np.repeat(np.arange(input.shape[dim]), r)
    return index_select(input, dim, _new(jnp.asarray(idx)))


def unfold(input, dimension, size, step):
    """Tensor.unfold: the windows of `size` elements every `step` along `dimension`, as a new
    last dimension. PyTorch returns a view; this is a copy (writes do not reach `input`)."""
    d = _wrap_dim(dimension, input.dim())
    n_d = _size(input, d)
    if size > n_d:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n_d} but size is "
                           f"{size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    n = (n_d - size) // step + 1
    idx = (np.arange(n)[:, None] * step + np.arange(size)[None, :]).reshape(-1)
    if input.dim() == 0:
        return input.reshape(1)
    g = index_select(input, d, _new(jax.device_put(idx)))
    shape = tuple(input.shape)
    return movedim(g.reshape(shape[:d] + (n, size) + shape[d + 1:]), d + 1, -1)


def take(input, index):
    """`input.flatten()[index]` with PyTorch's range check."""
    n = input.numel()
    _checks.first_bad(index._v, _checks.outside(-n, n), lambda bad: IndexError(
        f"out of range: tried to access index {bad} on a tensor of {n} elements."))
    return getitem(input.reshape(-1), index)


def take_along_dim(input, indices, dim=None):
    if dim is None:
        return take(input, indices.reshape(-1))
    d = _wrap_dim(dim, input.dim())
    shape = list(jnp.broadcast_shapes(tuple(input.shape[:d]) + (1,) + tuple(input.shape[d + 1:]),
                                      tuple(indices.shape[:d]) + (1,) +
                                      tuple(indices.shape[d + 1:])))
    src = expand(input, tuple(shape[:d]) + (input.shape[d],) + tuple(shape[d + 1:]))
    idx = expand(indices, tuple(shape[:d]) + (indices.shape[d],) + tuple(shape[d + 1:]))
    return gather(src, d, idx)


def clone(input, *, memory_format=None):
    return call(T["clone"], (input,), (None,))


def tile(input, dims):
    dims = tuple(dims)
    if len(dims) < input.dim():
        dims = (1,) * (input.dim() - len(dims)) + dims
    return call(T["repeat"], (input,), (dims,))


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """p=2 uses PyTorch's matmul form where PyTorch does (same rounding, same zeros)."""
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    modes = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
             "donot_use_mm_for_euclid_dist")
    if compute_mode not in modes:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    use_mm = p == 2 and (compute_mode == modes[1] or (
        compute_mode == modes[0] and (x1.shape[-2] > 25 or x2.shape[-2] > 25)))
    return call(T["cdist"], (x1, x2), (float(p), use_mm))


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    n1 = norm(x1, 2, dim=dim).clamp(min=eps)
    n2 = norm(x2, 2, dim=dim).clamp(min=eps)
    return sum(x1 * x2, dim) / (n1 * n2)


def meshgrid(*tensors, indexing="ij"):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    shape = tuple(t.numel() for t in tensors)
    out = []
    for i, t in enumerate(tensors):
        s = [1] * len(tensors)
        s[i] = -1
        out.append(expand(t.reshape(s), shape))
    if indexing == "xy" and len(tensors) >= 2:
        out = [o.transpose(0, 1) for o in out]
    return tuple(out)


def block_diag(*tensors):
    return _new(jnp.asarray(__import__("jax").scipy.linalg.block_diag(*[t._v for t in tensors])))


def atleast_1d(t):
    return t.reshape(1) if t.dim() == 0 else t


def numel(input):
    return input.numel()


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(input):
    return input.dtype.is_floating_point


def is_complex(input):
    return input.dtype.is_complex


def is_nonzero(input):
    return builtins.bool(input)


def result_type(tensor1, tensor2):
    from ._ops.registry import _promote
    a, b = _t(tensor1), _t(tensor2)
    return _promote("same", (a, b), [x._v if isinstance(x, Tensor) else x for x in (a, b)])


def can_cast(from_, to):
    return from_.category <= to.category


def promote_types(type1, type2):
    return D.promote_types(type1, type2)


# -------------------------------------------------------------------------- indexing


def getitem(t, index):
    """``t[index]``: PyTorch's indexing rules are in _indexing.py; the basic part ends here."""
    from ._indexing import getitem as _getitem
    return _getitem(t, index)


def getitem_basic(t, index):
    """A basic index (ints, slices, None; no Ellipsis) as a view of t."""
    v = t._v
    parsed = S.parse_basic_index(v.shape, index)
    spec, starts, name = parsed
    meta = t._meta_or_root()
    if not spec:
        return call(T["alias"], (t,), ())
    r = call(T["basic_index"], (t,) + starts, (spec, name))
    root = t._base if t._base is not None else t
    r._base, r._meta, r._vsync = root, S._basic_meta(meta, spec, starts), root._ver
    if not _GRAD[0]:
        r._nograd_view = True
    if t._as is not None:
        r._as = t._as
    return r


def _advanced(shape, index):
    """Normalise an advanced index: returns (static spec, index tensors)."""
    items = index if isinstance(index, tuple) else (index,)
    spec, arrays = [], []
    dim = 0
    n_real = builtins.sum(1 for it in items if it is not None and it is not Ellipsis
                          and not (isinstance(it, Tensor) and it.dtype is D.bool_)
                          and not isinstance(it, builtins.bool)) + builtins.sum(
        it.dim() for it in items if isinstance(it, Tensor) and it.dtype is D.bool_)
    for it in items:
        if it is Ellipsis:
            k = len(shape) - n_real
            spec.extend([(None, None, None)] * k)
            dim += k
            continue
        if it is None:
            spec.append(None)
            continue
        if isinstance(it, slice):
            spec.append((it.start, it.stop, it.step))
            dim += 1
            continue
        if isinstance(it, builtins.bool):
            it = _new(jnp.asarray(it))
        if isinstance(it, (list, np.ndarray)):
            a = np.asarray(it)
            it = _new(jnp.asarray(a if a.dtype != np.float64 or a.size else a.astype(np.int64)))
        if isinstance(it, Tensor):
            if it.dtype is D.bool_ or it.dtype is D.uint8:
                m = it._concrete("boolean mask indexing")
                for k in range(m.ndim):
                    if m.shape[k] != shape[dim + k]:
                        raise IndexError(f"The shape of the mask {list(m.shape)} at index {k} "
                                         f"does not match the shape of the indexed tensor "
                                         f"{list(shape)} at index {dim + k}")
                for a in np.nonzero(m):
                    spec.append("a")
                    arrays.append(_new(jnp.asarray(a)))
                dim += m.ndim
                continue
            if it.dtype.category != 1:
                raise IndexError("tensors used as indices must be long, int, byte or bool "
                                 "tensors")
            n, d_ = shape[dim], dim
            _checks.first_bad(it._v, _checks.outside(-n, n), lambda bad: IndexError(
                f"index {bad} is out of bounds for dimension {d_} with size {n}"))
            spec.append("a")
            arrays.append(it)
            dim += 1
            continue
        i = int(it)
        if not -shape[dim] <= i < shape[dim]:
            raise IndexError(f"index {i} is out of bounds for dimension {dim} with size "
                             f"{shape[dim]}")
        spec.append(i)
        dim += 1
    return tuple(spec), arrays


def setitem(t, index, value):
    from ._indexing import setitem as _setitem
    _setitem(t, index, value)


def index_put(input, indices, values, accumulate=False):
    spec, arrays = _advanced(input._v.shape, tuple(indices))
    return call(T["index_put"], (input, _t(values)) + tuple(arrays), (spec, accumulate))


@S.defop("copy_from", n_in=2, saves="none", grad="CopyBackwards")
def _copy_from(x, src):
    return jnp.broadcast_to(jnp.asarray(src).astype(x.dtype), x.shape)


def copy_(t, src, non_blocking=False):
    src = _t(src)
    check_inplace(t)
    if isinstance(src, Tensor):
        try:
            jnp.broadcast_shapes(src.shape, t.shape)
        except ValueError:
            raise RuntimeError(f"The size of tensor a ({t.shape[-1]}) must match the size of "
                               f"tensor b ({src.shape[-1]}) at non-singleton dimension "
                               f"{t.dim() - 1}") from None
    return commit(t, call(T["copy_from"], (t, src), ()))


def fill_(t, value):
    return copy_(t, value)


def zero_(t):
    return copy_(t, 0)


__all__ = [_n for _n, _v in list(globals().items())
           if not _n.startswith("_") and callable(_v) and not isinstance(_v, type)
           and getattr(_v, "__module__", None) == __name__]
