"""Elementwise ops. Gradients come from jax.vjp of these functions; where PyTorch's
convention at a kink differs from jax's default, the function is written to match PyTorch
(relu'(0) = 0, clamp passes gradient at its bounds)."""
from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from .registry import defop

_KIND_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
               "bool": "Bool", "int64": "Long", "int32": "Int", "complex64": "ComplexFloat",
               "complex128": "ComplexDouble"}


def not_implemented_for(kernel, dtype):
    """PyTorch's error for a kernel that has no implementation for a dtype."""
    name = _KIND_NAMES.get(jnp.dtype(dtype).name, jnp.dtype(dtype).name)
    return NotImplementedError(f'"{kernel}" not implemented for \'{name}\'')


# ---------------------------------------------------------------------------- binary


@defop(n_in=2, promote="same", saves="none")
def add(x, y, alpha=1):
    return x + y * alpha if alpha != 1 else x + y


@defop(n_in=2, promote="same", saves="none")
def sub(x, y, alpha=1):
    return x - y * alpha if alpha != 1 else x - y


@defop(n_in=2, promote="same", saves="none", grad="RsubBackward1")
def rsub(x, y, alpha=1):
    return y - x * alpha if alpha != 1 else y - x


@defop(n_in=2, promote="same")
def mul(x, y):
    return x * y


@defop(n_in=2, promote="float")
def div(x, y):
    return x / y


@defop("div_mode", n_in=2, promote="same", grad="DivBackward1")
def _div_mode(x, y, rounding_mode):
    if x.dtype == jnp.bool_:
        raise not_implemented_for("div_" + rounding_mode + "_cpu", x.dtype)
    if rounding_mode == "floor":
        return jnp.floor_divide(x, y) if jnp.issubdtype(x.dtype, jnp.integer) else jnp.floor(x / y)
    if jnp.issubdtype(x.dtype, jnp.integer):
        q = jnp.floor_divide(x, y)
        return jnp.where((q < 0) & (q * y != x), q + 1, q)
    return jnp.trunc(x / y)


@defop(n_in=2, promote="same", grad="RemainderBackward0")
def remainder(x, y):
    if x.dtype == jnp.bool_:
        raise not_implemented_for("remainder_cpu", x.dtype)
    return jnp.remainder(x, y)


@defop(n_in=2, promote="same")
def fmod(x, y):
    if x.dtype == jnp.bool_:
        raise not_implemented_for("fmod_cpu", x.dtype)
    return jnp.fmod(x, y)


def _int_power(x, y):
    """Integer x ** y with PyTorch's values for a negative exponent (jnp.power returns
    garbage there): 1 for x == 1, +-1 for x == -1 by the exponent's parity, else 0."""
    if not jnp.issubdtype(jnp.result_type(y), jnp.signedinteger):
        return jnp.power(x, y)
    neg = y < 0
    p = jnp.power(x, jnp.where(neg, 0, y))
    odd = (y % 2) != 0
    small = jnp.where(x == 1, 1, jnp.where(x == -1, jnp.where(odd, -1, 1), 0))
    return jnp.where(neg, small.astype(p.dtype), p)


@jax.custom_jvp
def _power_f(x, y):
    return jnp.power(x, y)


@_power_f.defjvp
def _power_f_jvp(primals, tangents):
    # PyTorch's pow_backward_self / pow_backward_exponent: d/dx is 0 where y == 0; d/dy is 0
    # where x == 0 and y >= 0 (real part of y for complex, with a zero imaginary part)
    x, y = primals
    dx, dy = tangents
    out = jnp.power(x, y)
    t = jnp.zeros(jnp.shape(out), out.dtype)
    if getattr(dx, "dtype", None) != jax.dtypes.float0:
        ds = jnp.where(y == 0, jnp.zeros((), out.dtype),
                       y * jnp.power(x, y - jnp.ones((), jnp.result_type(y))))
        t = t + ds * dx
    if getattr(dy, "dtype", None) != jax.dtypes.float0:
        if jnp.iscomplexobj(y):
            nonneg = (jnp.imag(y) == 0) & (jnp.real(y) >= 0)
        else:
            nonneg = y >= 0
        de = jnp.where((x == 0) & nonneg, jnp.zeros((), out.dtype), out * jnp.log(x))
        t = t + de * dy
    return out, t.astype(out.dtype)


def _power(x, y):
    """x ** y with PyTorch's derivatives at x == 0 and y == 0 (jnp.power's are NaN there)."""
    if not jnp.issubdtype(jnp.result_type(x, y), jnp.inexact):
        return _int_power(x, y)
    return _power_f(x, y)


@defop(n_in=2, promote="same", grad="PowBackward1")
def pow(x, y):
    if x.dtype == jnp.bool_:
        raise not_implemented_for("pow", x.dtype)
    return _power(x, y)


@defop("pow_scalar", n_in=2, promote="same", grad="PowBackward0")
def _pow_scalar(x, y):
    if x.dtype == jnp.bool_:
        raise not_implemented_for("pow", x.dtype)
    if isinstance(y, int) and not isinstance(y, bool) and 0 <= y <= 4:
        return lax.integer_pow(x, y)
    return _power(x, y)


@defop("pow_int", n_in=1, grad="PowBackward0")
def _pow_int(x, n):
    """x ** n for a Python int n: static, so x ** 2 compiles to x * x."""
    if x.dtype == jnp.bool_:
        x = x.astype(jnp.int64)       # bool tensor ** int -> int64, as torch
    if n < 0 and jnp.issubdtype(x.dtype, jnp.integer):
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return lax.integer_pow(x, n)


@defop("rpow", n_in=2, promote="same", saves="output", grad="PowBackward2")
def _rpow(x, y):
    if not jnp.issubdtype(jnp.result_type(x, y), jnp.inexact):
        return _int_power(y, x)
    return _power_f(y, x)


@defop(n_in=2, promote="float")
def atan2(x, y):
    return jnp.arctan2(x, y)


@defop(n_in=2, promote="same")
def maximum(x, y):
    return jnp.maximum(x, y)


@defop(n_in=2, promote="same")
def minimum(x, y):
    return jnp.minimum(x, y)


@defop(n_in=2, promote="same")
def fmax(x, y):
    return jnp.fmax(x, y)


@defop(n_in=2, promote="same")
def fmin(x, y):
    return jnp.fmin(x, y)


@defop(n_in=2, promote="float")
def hypot(x, y):
    return jnp.hypot(x, y)


@defop(n_in=2, promote="float")
def copysign(x, y):
    return jnp.copysign(x, y)


@defop(n_in=3, promote="same")
def lerp(x, end, weight):
    return x + weight * (end - x)


@defop(n_in=3, promote="same")
def addcmul(x, t1, t2, value=1):
    return x + value * t1 * t2


@defop(n_in=3, promote="same")
def addcdiv(x, t1, t2, value=1):
    return x + value * t1 / t2


@defop(n_in=3, promote="same", saves="none", grad="WhereBackward0")
def where(cond, x, y):
    return jnp.where(cond, x, y)



def _cmp(name, f):
    defop(name, n_in=2, promote="same", differentiable=False)(f)


_cmp("eq", lambda x, y: x == y)
_cmp("ne", lambda x, y: x != y)


def _refusing(kernel, kind, f):
    """f, raising PyTorch's "not implemented" error for inputs whose dtype is of `kind`."""
    def g(x, y):
        if jnp.issubdtype(x.dtype, kind):
            raise not_implemented_for(kernel, x.dtype)
        return f(x, y)
    return g


_cmp("lt", _refusing("lt_cpu", jnp.complexfloating, lambda x, y: x < y))
_cmp("le", _refusing("le_cpu", jnp.complexfloating, lambda x, y: x <= y))
_cmp("gt", _refusing("gt_cpu", jnp.complexfloating, lambda x, y: x > y))
_cmp("ge", _refusing("ge_cpu", jnp.complexfloating, lambda x, y: x >= y))
_cmp("logical_and", lambda x, y: jnp.logical_and(x, y))
_cmp("logical_or", lambda x, y: jnp.logical_or(x, y))
_cmp("logical_xor", lambda x, y: jnp.logical_xor(x, y))


def _bitwise(kernel, f):
    return _refusing(kernel, jnp.inexact, f)


_cmp("bitwise_and", _bitwise("bitwise_and_cpu", lambda x, y: x & y))
_cmp("bitwise_or", _bitwise("bitwise_or_cpu", lambda x, y: x | y))
_cmp("bitwise_xor", _bitwise("bitwise_xor_cpu", lambda x, y: x ^ y))
_cmp("bitwise_left_shift", _bitwise("lshift_cpu", lambda x, y: x << y))
_cmp("bitwise_right_shift", _bitwise("rshift_cpu", lambda x, y: x >> y))


@defop(n_in=2, promote="same", differentiable=False)
def isclose(x, y, rtol=1e-05, atol=1e-08, equal_nan=False):
    return jnp.isclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan)


# ----------------------------------------------------------------------------- unary


def _unary(name, f, promote="float", saves="inputs", grad=None, differentiable=True):
    defop(name, promote=promote, saves=saves, grad=grad, differentiable=differentiable)(f)


for _n, _f in {"log": jnp.log, "log2": jnp.log2, "log10": jnp.log10, "log1p": jnp.log1p,
               "sqrt": jnp.sqrt, "rsqrt": lax.rsqrt, "sin": jnp.sin, "cos": jnp.cos,
               "tan": jnp.tan, "asin": jnp.arcsin, "acos": jnp.arccos, "atan": jnp.arctan,
               "sinh": jnp.sinh, "cosh": jnp.cosh, "asinh": jnp.arcsinh, "acosh": jnp.arccosh,
               "atanh": jnp.arctanh, "erf": jax.scipy.special.erf,
               "erfc": jax.scipy.special.erfc, "erfinv": jax.scipy.special.erfinv,
               "lgamma": jax.scipy.special.gammaln, "digamma": jax.scipy.special.digamma,
               "reciprocal": lambda x: 1 / x, "expm1": jnp.expm1,
               "sinc": jnp.sinc, "deg2rad": jnp.deg2rad, "rad2deg": jnp.rad2deg}.items():
    _unary(_n, _f)

_unary("exp", jnp.exp, saves="output")
_unary("exp2", jnp.exp2, saves="output")
_unary("tanh", jnp.tanh, saves="output")
_unary("sigmoid", lambda x: 1 / (1 + jnp.exp(-x)) if jnp.iscomplexobj(x) else jax.nn.sigmoid(x),
       saves="output")   # jax.nn.sigmoid drops the imaginary part of a complex input
_unary("logit", lambda x, eps=None: jax.scipy.special.logit(
    x if eps is None else jnp.clip(x, eps, 1 - eps)))
def _neg(x):
    if x.dtype == jnp.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If "
                           "you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    return -x


_unary("neg", _neg, promote="same", saves="none")
def _sign(x):
    """PyTorch's sign of a real float: 0 for NaN and for -0.0 (jnp.sign: NaN, -0.0)."""
    if x.dtype == jnp.bool_:
        return x
    if not jnp.issubdtype(x.dtype, jnp.floating):
        return jnp.sign(x)
    one = jnp.ones((), x.dtype)
    return jnp.where(x > 0, one, jnp.where(x < 0, -one, jnp.zeros((), x.dtype)))


_unary("abs", lambda x: x * _sign(x) + jnp.zeros((), x.dtype)   # + 0 turns -0.0 into 0.0
       if jnp.issubdtype(x.dtype, jnp.floating) else jnp.abs(x),
       promote="same")  # abs'(0) = 0 as in PyTorch (and abs'(NaN) = 0)
def _sgn(x):
    """z / |z| (0 at 0) for complex, with its gradient (jnp.sign's is zero)."""
    if not jnp.iscomplexobj(x):
        return _sign(x)
    a = jnp.abs(x)
    zero = a == 0
    return jnp.where(zero, jnp.zeros((), x.dtype), x / jnp.where(zero, 1, a).astype(x.dtype))


_unary("sign", _sign, promote="same")
_unary("sgn", _sgn, promote="same")
_unary("square", lambda x: jnp.square(x.astype(jnp.int64) if x.dtype == jnp.bool_ else x),
       promote="same", grad="PowBackward0")
# PyTorch's nodes of these save their result (not their input), for the in-place check
for _n, _f in {"sqrt": jnp.sqrt, "rsqrt": lax.rsqrt, "reciprocal": lambda x: 1 / x,
               "expm1": jnp.expm1, "tan": jnp.tan}.items():
    _unary(_n, _f, saves="output")
_unary("floor", jnp.floor, promote="same", saves="none")
_unary("ceil", jnp.ceil, promote="same", saves="none")
_unary("trunc", jnp.trunc, promote="same", saves="none")
_unary("frac", lambda x: x - jnp.trunc(x), promote="same", saves="none")
_unary("round", lambda x, decimals=0: jnp.round(x, decimals), promote="same", saves="none")
_unary("relu", lambda x: jnp.where(x <= 0, jnp.zeros_like(x), x), promote="same",
       saves="output")
_unary("nan_to_num", lambda x, nan=0.0, posinf=None, neginf=None: jnp.nan_to_num(
    x, nan=nan, posinf=posinf, neginf=neginf), promote="same")
_unary("logical_not", jnp.logical_not, promote=None, differentiable=False)
_unary("bitwise_not", jnp.invert, promote=None, differentiable=False)
_unary("isnan", jnp.isnan, promote=None, differentiable=False)
_unary("isinf", jnp.isinf, promote=None, differentiable=False)
_unary("isposinf", jnp.isposinf, promote=None, differentiable=False)
_unary("isneginf", jnp.isneginf, promote=None, differentiable=False)
_unary("isfinite", jnp.isfinite, promote=None, differentiable=False)
_unary("signbit", jnp.signbit, promote=None, differentiable=False)


@defop(n_in=3, promote="same", grad="ClampBackward1")
def clamp(x, lo, hi):
    # a NaN bound gives NaN, as PyTorch (x < NaN is false)
    if lo is not None:
        x = jnp.where((x < lo) | _isnan(lo), jnp.asarray(lo, x.dtype), x)
    if hi is not None:
        x = jnp.where((x > hi) | _isnan(hi), jnp.asarray(hi, x.dtype), x)
    return x


def _isnan(v):
    return jnp.isnan(v) if jnp.issubdtype(jnp.result_type(v), jnp.inexact) else False


@defop(n_in=1, promote="same")
def polygamma_(x, n=1):
    return jax.scipy.special.polygamma(n, x)


# --------------------------------------------------------------------- activations used by nn


@defop(promote="float", saves="inputs")
def gelu(x, approximate="none"):
    return jax.nn.gelu(x, approximate=approximate == "tanh")


@defop(promote="float", saves="inputs")
def silu(x):
    return jax.nn.silu(x)


@defop(promote="float", saves="inputs")
def softplus(x, beta=1.0, threshold=20.0):
    return jnp.where(x * beta > threshold, x, jnp.logaddexp(x * beta, 0.0) / beta)


@defop(promote="float", saves="inputs")
def elu(x, alpha=1.0, scale=1.0, input_scale=1.0):
    return scale * jnp.where(x > 0, x, alpha * jnp.expm1(x * input_scale))


@defop(promote="same", saves="inputs")
def leaky_relu(x, negative_slope=0.01):
    return jnp.where(x > 0, x, x * negative_slope)


@defop(promote="same", saves="inputs")
def hardtanh(x, min_val=-1.0, max_val=1.0):
    return jnp.where(x < min_val, min_val, jnp.where(x > max_val, max_val, x)).astype(x.dtype)


@defop(promote="float", saves="inputs")
def log_sigmoid(x):
    return jax.nn.log_sigmoid(x)


@defop(promote="same", saves="inputs")
def threshold(x, threshold, value):
    return jnp.where(x <= threshold, jnp.asarray(value, x.dtype), x)   # NaN passes, as torch


@defop("real_part", saves="none", grad="SelectBackward0")
def _real_part(z):
    return jnp.real(z)


@defop("imag_part", saves="none", grad="SelectBackward0")
def _imag_part(z):
    return jnp.imag(z)


@defop("conj_physical", saves="none", grad="ConjBackward0")
def _conj_physical(z):
    return jnp.conj(z)
