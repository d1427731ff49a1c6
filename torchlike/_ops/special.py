"""torch.special and torch.fft kernels. Gradients are jax.vjp of these functions; where
PyTorch's derivative differs from jax's default the function is written so that its
derivative is PyTorch's. Ops PyTorch does not differentiate (the Bessel functions of
the first kind, gammainc in its first argument...) are registered `differentiable=False`."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import jax.scipy.special as jss

from .registry import defop


def _unary(name, f, grad=None, differentiable=True):
    defop(name, promote="float", grad=grad, differentiable=differentiable)(f)


# --------------------------------------------------------------------------- torch.special

_unary("special_i0", jss.i0, grad="I0Backward0")
_unary("special_i0e", jss.i0e, grad="SpecialI0EBackward0")
_unary("special_i1", jss.i1, grad="SpecialI1Backward0")
_unary("special_i1e", jss.i1e, grad="SpecialI1EBackward0")
_unary("special_ndtr", jss.ndtr, grad="SpecialNdtrBackward0")
_unary("special_ndtri", jss.ndtri, grad="SpecialNdtriBackward0")
_unary("special_log_ndtr", jss.log_ndtr, grad="SpecialLogNdtrBackward0")
_unary("special_erfcx", jss.erfcx, grad="SpecialErfcxBackward0")
_unary("special_entr", jss.entr, grad="SpecialEntrBackward0")


def _bessel_j(v):
    """J_v(x), v in {0, 1}: for |x| <= 25 the trapezoid rule on Bessel's integral
    (1/2pi) int cos(v t - x sin t) dt over a period (exact but for aliasing terms of order
    J_96(x), far below rounding); beyond, Hankel's asymptotic expansion to six terms."""
    def f(x):
        a = jnp.abs(x)
        small = jnp.minimum(a, 25.0)
        t = jnp.arange(96, dtype=x.dtype) * (2 * jnp.pi / 96)
        near = jnp.mean(jnp.cos(v * t - small[..., None] * jnp.sin(t)), axis=-1)
        big = jnp.maximum(a, 25.0)
        mu, z = 4.0 * v * v, 8.0 * big
        p, q, term = jnp.ones_like(big), jnp.zeros_like(big), jnp.ones_like(big)
        for k in range(1, 13):
            term = term * (mu - (2 * k - 1) ** 2) / (k * z)
            if k % 2:
                q = q + (term if k % 4 == 1 else -term)
            else:
                p = p + (term if k % 4 == 0 else -term)
        chi = big - (v / 2 + 0.25) * jnp.pi
        far = jnp.sqrt(2 / (jnp.pi * big)) * (p * jnp.cos(chi) - q * jnp.sin(chi))
        r = jnp.where(a <= 25.0, near, far).astype(x.dtype)
        return r if v == 0 else jnp.sign(x) * r       # j1 is odd
    return f


_unary("special_bessel_j0", _bessel_j(0), differentiable=False)
_unary("special_bessel_j1", _bessel_j(1), differentiable=False)
_unary("special_modified_bessel_i0", jss.i0, differentiable=False)
_unary("special_modified_bessel_i1", jss.i1, differentiable=False)


def _spherical_j0(x):
    safe = jnp.where(x == 0, jnp.ones_like(x), x)
    return jnp.where(x == 0, jnp.ones_like(x), jnp.sin(safe) / safe)


_unary("special_spherical_bessel_j0", _spherical_j0, differentiable=False)


def _x_log(log, at_zero):
    """x * log(y) (or log1p) with PyTorch's derivative in x: log(y), but 0 where x == 0 and
    y <= at_zero (PyTorch masks those; jax's would be -inf or NaN)."""
    f = jss.xlogy if log is jnp.log else jss.xlog1py

    @jax.custom_jvp
    def g(x, y):
        return f(x, y)

    @g.defjvp
    def g_jvp(primals, tangents):
        x, y = primals
        dx, dy = tangents
        dlog = jnp.where((x == 0) & (y <= at_zero), jnp.zeros_like(y), log(y))
        dy_coef = x / y if log is jnp.log else x / (1 + y)
        return f(x, y), dx * dlog + dy * dy_coef
    return g


_xlogy, _xlog1py = _x_log(jnp.log, 0.0), _x_log(jnp.log1p, -1.0)


@defop(n_in=2, promote="float", grad="XlogyBackward0")
def xlogy(x, y):
    return _xlogy(*jnp.broadcast_arrays(x, y))


@defop(n_in=2, promote="float", grad="SpecialXlog1PyBackward0")
def special_xlog1py(x, y):
    return _xlog1py(*jnp.broadcast_arrays(x, y))


@defop(n_in=2, promote="float", grad="SpecialZetaBackward0")
def special_zeta(x, q):
    return jss.zeta(x, q)


def _gammainc(upper):
    def f(a, x):
        a = jax.lax.stop_gradient(a)    # PyTorch does not differentiate in `a`
        return jss.gammaincc(a, x) if upper else jss.gammainc(a, x)
    return f


defop("igamma", n_in=2, promote="float", grad="IgammaBackward0")(_gammainc(False))
defop("igammac", n_in=2, promote="float", grad="IgammacBackward0")(_gammainc(True))


@defop(promote="float", grad="MvlgammaBackward0")
def mvlgamma(x, p):
    return jss.multigammaln(x, p)


# ------------------------------------------------------------------------------- torch.fft
# `dim` arrives as a tuple of non-negative ints, `s` as a tuple (or None), `norm` as a string.


@defop(promote="float", saves="none", grad="FftC2CBackward0")
def fft_c2c(x, s, dim, norm, forward):
    x = x if jnp.iscomplexobj(x) else x.astype(jnp.result_type(x.dtype, jnp.complex64))
    return (jnp.fft.fftn if forward else jnp.fft.ifftn)(x, s=s, axes=dim, norm=norm)


@defop(promote="float", saves="none", grad="FftR2CBackward0")
def fft_r2c(x, s, dim, norm, onesided, forward):
    r = jnp.fft.rfftn(x, s=s, axes=dim, norm=norm) if onesided else \
        jnp.fft.fftn(x.astype(jnp.result_type(x.dtype, jnp.complex64)), s=s, axes=dim,
                     norm=norm)
    return r if forward else jnp.conj(r)


@defop(promote="float", saves="none", grad="FftC2RBackward0")
def fft_c2r(x, s, dim, norm, conj):
    x = x if jnp.iscomplexobj(x) else x.astype(jnp.result_type(x.dtype, jnp.complex64))
    return jnp.fft.irfftn(jnp.conj(x) if conj else x, s=s, axes=dim, norm=norm)


@defop(promote="same", saves="none", grad="RollBackward0")
def fftshift(x, dim, inverse):
    f = jnp.fft.ifftshift if inverse else jnp.fft.fftshift
    return f(x, axes=dim)


# ------------------------------------------------ modified Bessel K and orthogonal polynomials


def _bessel_k(v, scaled):
    """K_v(x) = int_0^inf exp(-x cosh t) cosh(v t) dt by the trapezoid rule on [0, t_max(x)]
    (400 panels; the integrand is analytic and decays double-exponentially, so the rule
    converges geometrically); scaled gives exp(x) K_v(x), computed as exp(-2x sinh^2(t/2))."""
    def f(x):
        xp = jnp.where(x > 0, x, jnp.ones_like(x))
        t_max = jnp.arccosh(jnp.maximum(1 + 60 / xp, 1.0)) + 1
        k = jnp.arange(401, dtype=x.dtype)
        t = t_max[..., None] * (k / 400)
        e = -2 * xp[..., None] * jnp.sinh(t / 2) ** 2
        if not scaled:
            e = e - xp[..., None]
        g = jnp.exp(e) * jnp.cosh(v * t)
        h = t_max / 400
        r = h * (jnp.sum(g, axis=-1) - 0.5 * (g[..., 0] + g[..., -1]))
        r = jnp.where(x == 0, jnp.asarray(jnp.inf, x.dtype), r)
        return jnp.where(x < 0, jnp.asarray(jnp.nan, x.dtype), r)
    return f


_unary("special_modified_bessel_k0", _bessel_k(0, False), differentiable=False)
_unary("special_modified_bessel_k1", _bessel_k(1, False), differentiable=False)
_unary("special_scaled_modified_bessel_k0", _bessel_k(0, True), differentiable=False)
_unary("special_scaled_modified_bessel_k1", _bessel_k(1, True), differentiable=False)


def _three_term(kind, x):
    """(p0, p1, step(k, p_k, p_{k-1}) -> p_{k+1}) of each family's recurrence."""
    one = jnp.ones_like(x)
    if kind.startswith("shifted_"):
        x = 2 * x - 1
        kind = kind[len("shifted_"):]
    cheb = {"chebyshev_t": x, "chebyshev_u": 2 * x, "chebyshev_v": 2 * x - 1,
            "chebyshev_w": 2 * x + 1}
    if kind in cheb:
        return one, cheb[kind], lambda k, p, q: 2 * x * p - q
    if kind == "hermite_h":
        return one, 2 * x, lambda k, p, q: 2 * x * p - 2 * k * q
    if kind == "hermite_he":
        return one, x, lambda k, p, q: x * p - k * q
    if kind == "laguerre_l":
        return one, 1 - x, lambda k, p, q: ((2 * k + 1 - x) * p - k * q) / (k + 1)
    if kind == "legendre_p":
        return one, x, lambda k, p, q: ((2 * k + 1) * x * p - k * q) / (k + 1)
    raise ValueError(kind)


@defop("special_polynomial", n_in=2, promote="float", differentiable=False)
def _polynomial(x, n, kind, nmax):
    """P_n(x) for integer n <= nmax (truncated toward zero), 0 for n < 0."""
    x, n = jnp.broadcast_arrays(x, n)
    n = jnp.trunc(n).astype(jnp.int64)
    p0, p1, step = _three_term(kind, x)
    r = jnp.where(n == 0, p0, jnp.zeros_like(x))
    if nmax >= 1:
        r = jnp.where(n == 1, p1, r)
    q, p = p0, p1
    for k in range(1, nmax):
        q, p = p, step(k, p, q)
        r = jnp.where(n == k + 1, p, r)
    return r


_GL_X, _GL_W = __import__("numpy").polynomial.legendre.leggauss(96)


def _bessel_y(v):
    """Y_v(x), v in {0, 1}, x > 0: for x <= 25 the integral representation
    (1/pi) int_0^pi sin(x sin t - v t) dt - (1/pi) int_0^inf (e^{vt} + (-1)^v e^{-vt})
    e^{-x sinh t} dt by 96-point Gauss-Legendre on each piece (the second cut where the
    integrand is below e^-60); beyond, Hankel's asymptotic expansion (within 1e-13 of mpmath
    in float64 over the range tested)."""
    def f(x):
        gx, gw = jnp.asarray(_GL_X, x.dtype), jnp.asarray(_GL_W, x.dtype)
        xp = jnp.where(x > 0, x, jnp.ones_like(x))
        small = jnp.minimum(xp, 25.0)[..., None]
        th = (gx + 1) * (jnp.pi / 2)
        i1 = jnp.sum(gw * (jnp.pi / 2) * jnp.sin(small * jnp.sin(th) - v * th), -1) / jnp.pi
        tm = jnp.arcsinh(60 / small) + 1
        t = (gx + 1) * tm / 2
        g = (jnp.exp(v * t) + (-1) ** v * jnp.exp(-v * t)) * jnp.exp(-small * jnp.sinh(t))
        i2 = jnp.sum(gw * tm / 2 * g, -1) / jnp.pi
        near = i1 - i2
        big = jnp.maximum(xp, 25.0)
        mu, z = 4.0 * v * v, 8.0 * big
        p, q, term = jnp.ones_like(big), jnp.zeros_like(big), jnp.ones_like(big)
        for k in range(1, 13):
            term = term * (mu - (2 * k - 1) ** 2) / (k * z)
            if k % 2:
                q = q + (term if k % 4 == 1 else -term)
            else:
                p = p + (term if k % 4 == 0 else -term)
        chi = big - (v / 2 + 0.25) * jnp.pi
        far = jnp.sqrt(2 / (jnp.pi * big)) * (p * jnp.sin(chi) + q * jnp.cos(chi))
        r = jnp.where(xp <= 25.0, near, far).astype(x.dtype)
        r = jnp.where(x == 0, jnp.asarray(-jnp.inf, x.dtype), r)
        return jnp.where(x < 0, jnp.asarray(jnp.nan, x.dtype), r)
    return f


_unary("special_bessel_y0", _bessel_y(0), differentiable=False)
_unary("special_bessel_y1", _bessel_y(1), differentiable=False)
