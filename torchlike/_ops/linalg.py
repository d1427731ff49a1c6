"""Matrix products and linear algebra.

Factorizations that can fail (inv, solve, cholesky, lu) return LAPACK's `info` next to their
result, computed inside the same kernel; the eager wrappers in torchlike/linalg.py read it back
once and raise `LinAlgError` as PyTorch does.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax import lax

from .registry import defop


@defop(n_in=2)
def mm(x, y):
    return x @ y


@defop(n_in=2)
def bmm(x, y):
    return x @ y


@defop(n_in=2)
def mv(x, y):
    return x @ y


@defop(n_in=2)
def dot(x, y):
    return jnp.dot(x, y)


@defop(n_in=2, grad="UnsafeViewBackward0")
def matmul(x, y):
    return jnp.matmul(x, y)


def _add_product(name, product):
    """`beta * bias + alpha * product(x, y)`; with beta == 0 the bias is ignored (NaN too).
    In float16/bfloat16 the sum is formed in float32 and rounded once, as PyTorch's kernels do
    (rounding the product first, then the sum, was one ulp off for a bfloat16 Linear)."""
    def f(bias, x, y, beta=1, alpha=1):
        low = x.dtype if x.dtype in (jnp.bfloat16, jnp.float16) else None
        if low is not None:
            x, y, bias = x.astype(jnp.float32), y.astype(jnp.float32), bias.astype(jnp.float32)
        out = product(x, y)
        if alpha != 1:
            out = out * alpha
        if beta == 0:
            out = jnp.broadcast_to(out, jnp.broadcast_shapes(bias.shape, out.shape))
        else:
            out = out + (bias if beta == 1 else bias * beta)
        return out if low is None else out.astype(low)
    f.__name__ = name
    return defop(name, n_in=3, promote="same")(f)


addmm = _add_product("addmm", jnp.matmul)
addmv = _add_product("addmv", jnp.matmul)
baddbmm = _add_product("baddbmm", jnp.matmul)
addbmm = _add_product("addbmm", lambda x, y: jnp.einsum("bij,bjk->ik", x, y))
addr = _add_product("addr", lambda x, y: jnp.outer(x, y))


@defop(n_in=2, promote="same", grad="MulBackward0")
def outer(x, y):
    return jnp.outer(x, y)


@defop(seq=True, promote="same")
def einsum(*xs, equation):
    return jnp.einsum(equation, *xs)


@defop(n_in=2, promote="same", grad="TensordotBackward0")
def tensordot(x, y, dims_a, dims_b):
    return jnp.tensordot(x, y, (dims_a, dims_b))


@defop(n_in=2, promote="same", grad="KronBackward0")
def kron(x, y):
    return jnp.kron(x, y)


def _mT(x):
    return jnp.swapaxes(x, -1, -2)


def _mH(x):
    return _mT(x).conj() if jnp.iscomplexobj(x) else _mT(x)


# ------------------------------------------------------------------ determinants, inverses


@defop(n_in=1, grad="LinalgDetBackward0")
def det(x):
    return jnp.linalg.det(x)


@defop(n_in=1, grad="LinalgSlogdetBackward0")
def slogdet(x):
    sign, logabs = jnp.linalg.slogdet(x)
    return sign, logabs


@defop(n_in=1, grad="LogdetBackward0")
def logdet(x):
    sign, logabs = jnp.linalg.slogdet(x)
    if jnp.iscomplexobj(x):
        return jnp.log(sign) + logabs
    return jnp.where(sign < 0, jnp.nan, logabs)


def _lu_info(lu):
    """LAPACK getrf's info: 1 + the index of the first exactly zero pivot of U, else 0."""
    zero = jnp.diagonal(lu, axis1=-2, axis2=-1) == 0
    return jnp.where(zero.any(-1), jnp.argmax(zero, -1) + 1, 0).astype(jnp.int32)


def _lu_solve(lu, perm, b, adjoint=False):
    """Solve A X = B (or A^H X = B) for matrix B from A's partially pivoted LU factors."""
    batch = jnp.broadcast_shapes(lu.shape[:-2], b.shape[:-2])
    lu = jnp.broadcast_to(lu, batch + lu.shape[-2:])
    b = jnp.broadcast_to(b, batch + b.shape[-2:])
    perm = jnp.broadcast_to(perm, batch + perm.shape[-1:])
    ts = lax.linalg.triangular_solve
    if not adjoint:
        pb = jnp.take_along_axis(b, perm[..., None], axis=-2)
        y = ts(lu, pb, left_side=True, lower=True, unit_diagonal=True)
        return ts(lu, y, left_side=True, lower=False)
    y = ts(lu, b, left_side=True, lower=False, transpose_a=True, conjugate_a=True)
    x = ts(lu, y, left_side=True, lower=True, unit_diagonal=True, transpose_a=True,
           conjugate_a=True)
    return jnp.zeros_like(x).at[..., perm, :].set(x) if perm.ndim == 1 else \
        jax.vmap(lambda xi, pi: jnp.zeros_like(xi).at[pi].set(xi))(
            x.reshape((-1,) + x.shape[-2:]), perm.reshape(-1, perm.shape[-1])).reshape(x.shape)


@defop(n_in=1, grad="LinalgInvExBackward0")
def inv_ex(x):
    lu, _, perm = lax.linalg.lu(x)
    eye = jnp.broadcast_to(jnp.eye(x.shape[-1], dtype=x.dtype), x.shape)
    return _lu_solve(lu, perm, eye), _lu_info(lu)


@defop(n_in=2, grad="LinalgSolveExBackward0")
def solve_ex(a, b, left=True, vector=False):
    """`vector`: b is a (batch of) vector(s). left=False solves X A = B."""
    if vector:
        b = b[..., None]
    elif not left:
        b = _mH(b)
    lu, _, perm = lax.linalg.lu(a)
    x = _lu_solve(lu, perm, b, adjoint=not left)
    if vector:
        x = x[..., 0]
    elif not left:
        x = _mH(x)
    return x, _lu_info(lu)


def _cholesky_info(a):
    """The order of the first leading minor that is not positive-definite (0 if none)."""
    n = a.shape[-1]

    def step(k, carry):
        a, info = carry
        d = a[..., k, k].real
        bad = ~(d > 0)
        info = jnp.where((info == 0) & bad, k + 1, info)
        d = jnp.where(bad, 1, d)
        col = a[..., :, k] * (jnp.arange(n) > k)
        a = a - col[..., :, None] * col[..., None, :].conj() / d[..., None, None]
        return a, info

    return lax.fori_loop(0, n, step, (a, jnp.zeros(a.shape[:-2], jnp.int32)))[1]


@defop(n_in=1, grad="LinalgCholeskyExBackward0")
def cholesky_ex(x, upper=False):
    c = jnp.linalg.cholesky(x)
    failed = jnp.isnan(c).any()
    info = lax.cond(failed, lambda a: _cholesky_info(lax.stop_gradient(a)),
                    lambda a: jnp.zeros(a.shape[:-2], jnp.int32), x)
    return (_mH(c) if upper else c), info


def _cho_solve(b, l, upper):
    ts = lax.linalg.triangular_solve
    # A = L L^H (or U^H U): solve with the factor, then with its adjoint
    y = ts(l, b, left_side=True, lower=not upper, transpose_a=upper, conjugate_a=upper)
    return ts(l, y, left_side=True, lower=not upper, transpose_a=not upper,
              conjugate_a=not upper)


@functools.partial(jax.custom_vjp, nondiff_argnums=(2,))
def _cho_solve_real(b, l, upper):
    return _cho_solve(b, l, upper)


def _cho_solve_fwd(b, l, upper):
    x = _cho_solve(b, l, upper)
    return x, (x, l)


def _cho_solve_bwd(upper, res, g):
    """PyTorch's formula: the factor's gradient is dense (not masked to its triangle)."""
    x, l = res
    gb = _cho_solve(g, l, upper)
    common = gb @ _mT(x)
    common = common + _mT(common)
    return gb, -(l @ common if upper else common @ l)


_cho_solve_real.defvjp(_cho_solve_fwd, _cho_solve_bwd)


@defop(n_in=2, grad="CholeskySolveBackward0")
def cholesky_solve(b, l, upper=False):
    batch = jnp.broadcast_shapes(b.shape[:-2], l.shape[:-2])
    b = jnp.broadcast_to(b, batch + b.shape[-2:])
    l = jnp.broadcast_to(l, batch + l.shape[-2:])
    return (_cho_solve if jnp.iscomplexobj(l) else _cho_solve_real)(b, l, upper)


@defop(n_in=2, grad="LinalgSolveTriangularBackward0")
def solve_triangular(a, b, upper, left=True, unitriangular=False):
    batch = jnp.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = jnp.broadcast_to(a, batch + a.shape[-2:])
    b = jnp.broadcast_to(b, batch + b.shape[-2:])
    return lax.linalg.triangular_solve(a, b, left_side=left, lower=not upper,
                                       unit_diagonal=unitriangular)


@defop(n_in=1, grad="LinalgLuFactorExBackward0")
def lu_factor_ex(x):
    lu, piv, _ = lax.linalg.lu(x)
    return lu, piv + 1, _lu_info(lu)


@defop(n_in=3, grad="LinalgLuSolveBackward0")
def lu_solve(lu, b, pivots, left=True, adjoint=False):
    """pivots (1-based, LAPACK's) is an int input; left=False solves X A = B."""
    perm = lax.linalg.lu_pivots_to_permutation((pivots - 1).astype(jnp.int32), lu.shape[-2])
    if not left:
        return _mH(_lu_solve(lu, perm, _mH(b), adjoint=not adjoint))
    return _lu_solve(lu, perm, b, adjoint=adjoint)


def _unpack(lu_, perm):
    m, n = lu_.shape[-2:]
    k = min(m, n)
    l = jnp.tril(lu_[..., :, :k], -1) + jnp.eye(m, k, dtype=lu_.dtype)
    u = jnp.triu(lu_[..., :k, :])
    p = jnp.swapaxes(jax.nn.one_hot(perm, m, dtype=lu_.dtype), -1, -2)
    return p, l, u


@defop(n_in=1, grad="LinalgLuBackward0")
def lu(x, pivot=True):
    lu_, _, perm = lax.linalg.lu(x)
    return _unpack(lu_, perm)


@defop(n_in=2, grad="LuUnpackBackward0")
def lu_unpack(lu_, pivots):
    """P, L, U from packed LU factors and LAPACK's 1-based pivots (an int input)."""
    return _unpack(lu_, lax.linalg.lu_pivots_to_permutation((pivots - 1).astype(jnp.int32),
                                                     lu_.shape[-2]))


@defop(n_in=1, grad="LinalgMatrixExpBackward0")
def matrix_exp(x):
    return jax.scipy.linalg.expm(x)


@defop(n_in=1, grad="LinalgMatrixPowerBackward0")
def matrix_power(x, n):
    """n >= 0 by repeated squaring (negative powers are taken of the inverse by the caller)."""
    result = None
    base = x
    while n:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    if result is None:
        return jnp.broadcast_to(jnp.eye(x.shape[-1], dtype=x.dtype), x.shape)
    return result


@defop(n_in=2, grad="LinalgHouseholderProductBackward0")
def householder_product(a, tau):
    m, n = a.shape[-2:]
    q = jnp.broadcast_to(jnp.eye(m, dtype=a.dtype), a.shape[:-2] + (m, m))
    rows = jnp.arange(m)
    for i in range(tau.shape[-1]):
        v = jnp.where(rows > i, a[..., :, i], (rows == i).astype(a.dtype))
        qv = jnp.einsum("...ij,...j->...i", q, v)
        q = q - tau[..., i, None, None] * qv[..., :, None] * v[..., None, :].conj()
    return q[..., :, :n]


# ----------------------------------------------------------------------- decompositions


@defop(n_in=1, grad="LinalgQrBackward0")
def qr(x, mode="reduced"):
    if mode == "r":
        return jnp.zeros((0,), x.dtype), jnp.linalg.qr(x, mode="r")
    return tuple(jnp.linalg.qr(x, mode=mode))


@defop(n_in=1, grad="LinalgSvdBackward0")
def svd(x, full_matrices=True):
    u, s, vh = jnp.linalg.svd(x, full_matrices=full_matrices)
    return u, s, vh


@defop(n_in=1, grad="LinalgSvdBackward0")
def svdvals(x):
    return jnp.linalg.svd(x, compute_uv=False)


def _hermitian(x, UPLO):
    """The Hermitian matrix that x's UPLO triangle stands for (PyTorch's value), with the
    symmetrised input's gradient (PyTorch's gradient)."""
    strict = jnp.tril(x, -1) if UPLO == "L" else jnp.triu(x, 1)
    d = jnp.diagonal(x, axis1=-2, axis2=-1).real.astype(x.dtype)
    h = strict + _mH(strict) + d[..., None] * jnp.eye(x.shape[-1], dtype=x.dtype)
    sym = (x + _mH(x)) / 2
    return sym + lax.stop_gradient(h - sym)


@defop(n_in=1, grad="LinalgEighBackward0")
def eigh(x, UPLO="L"):
    w, v = jnp.linalg.eigh(_hermitian(x, UPLO), symmetrize_input=False)
    return w, v


@defop(n_in=1, grad="LinalgEighBackward0")
def eigvalsh(x, UPLO="L"):
    return jnp.linalg.eigh(_hermitian(x, UPLO), symmetrize_input=False)[0]


def _complex(x):
    return x.astype(jnp.result_type(x.dtype, jnp.complex64))


@defop(n_in=1, grad="LinalgEigBackward0")
def eig(x):
    w, v = lax.linalg.eig(x, compute_left_eigenvectors=False, enable_eigvec_derivs=True)
    return _complex(w), _complex(v)


@defop(n_in=1, grad="LinalgEigBackward0")
def eigvals(x):
    return _complex(jnp.linalg.eigvals(x))


def _rtol(x, atol, rtol):
    """PyTorch's default tolerances for rank and pseudo-inverse cut-offs."""
    if rtol is None:
        rtol = jnp.finfo(x.dtype).eps * max(x.shape[-2:]) if atol is None or atol <= 0 else 0.0
    return 0.0 if atol is None else atol, rtol


def _svals(x, hermitian):
    if hermitian:
        return jnp.abs(jnp.linalg.eigvalsh(x))
    return jnp.linalg.svd(x, compute_uv=False)


@defop(n_in=1, differentiable=False)
def matrix_rank(x, atol=None, rtol=None, hermitian=False):
    s = _svals(x, hermitian)
    atol, rtol = _rtol(x, atol, rtol)
    smax = jnp.max(s, axis=-1, keepdims=True, initial=0.0)
    tol = jnp.maximum(atol, rtol * smax)
    return jnp.sum(s > tol, axis=-1).astype(jnp.int64)


@defop(n_in=1, grad="LinalgPinvBackward0")
def pinv(x, atol=None, rtol=None, hermitian=False):
    atol, rtol = _rtol(x, atol, rtol)
    if atol:
        smax = lax.stop_gradient(jnp.max(_svals(x, hermitian), -1, initial=0.0))
        rtol = jnp.maximum(rtol, atol / jnp.where(smax > 0, smax, 1.0))
        rtol = jnp.where(smax > 0, rtol, 0.0)[..., None, None] if x.ndim > 2 else rtol
        if x.ndim > 2:  # jnp.linalg.pinv takes one tolerance per matrix only as a scalar
            return jax.vmap(lambda a, r: jnp.linalg.pinv(a, r[0, 0], hermitian))(
                x.reshape((-1,) + x.shape[-2:]),
                jnp.broadcast_to(rtol, x.shape[:-2] + (1, 1)).reshape(-1, 1, 1),
            ).reshape(x.shape[:-2] + x.shape[-1:-3:-1])
    return jnp.linalg.pinv(x, rtol, hermitian)


@defop(n_in=2, grad="LinalgLstsqBackward0")
def lstsq(a, b, rcond=None, vector=False):
    """Minimum-norm solution (LAPACK gelsy's) with the rank that `rcond` gives."""
    if vector:
        b = b[..., None]
    m, n = a.shape[-2:]
    if rcond is None:
        rcond = jnp.finfo(a.dtype).eps * max(m, n)
    x = jnp.linalg.pinv(a, rcond) @ b
    s = jnp.linalg.svd(a, compute_uv=False)
    rank = jnp.sum(s > rcond * jnp.max(s, -1, keepdims=True, initial=0.0), -1)
    return (x[..., 0] if vector else x), rank.astype(jnp.int64), s


@defop(n_in=1, grad="LinalgMatrixNormBackward0")
def matrix_norm(x, ord="fro", dim=(-2, -1), keepdim=False):
    return jnp.linalg.matrix_norm(x, ord=ord, keepdims=keepdim) if dim == (-2, -1) else \
        jnp.linalg.norm(x, ord=ord, axis=dim, keepdims=keepdim)


@defop(n_in=1, grad="TraceBackward0")
def trace(x):
    return jnp.trace(x)


@defop(n_in=2, promote="same", grad="LinalgCrossBackward0")
def cross(x, y, dim=-1):
    shape = jnp.broadcast_shapes(x.shape, y.shape)
    return jnp.cross(jnp.broadcast_to(x, shape), jnp.broadcast_to(y, shape), axis=dim)


@defop(n_in=1, grad="LinalgVanderBackward0")
def vander(x, n):
    """x^0, x^1, ..., x^(n-1) along a new last dim (a cumulative product: exact at x = 0)."""
    if n == 0:
        return jnp.zeros(x.shape + (0,), x.dtype)
    powers = jnp.broadcast_to(x[..., None], x.shape + (n - 1,))
    return jnp.cumprod(jnp.concatenate([jnp.ones(x.shape + (1,), x.dtype), powers], -1), -1)


@defop(n_in=2, promote="float", grad="CdistBackward0")
def cdist(x1, x2, p=2.0, use_mm=False):
    if use_mm:  # PyTorch's matmul form of the euclidean distance
        n1 = jnp.sum(x1 * x1, -1, keepdims=True)
        n2 = jnp.sum(x2 * x2, -1, keepdims=True)
        a = jnp.concatenate([-2 * x1, n1, jnp.ones_like(n1)], -1)
        b = jnp.concatenate([x2, jnp.ones_like(n2), n2], -1)
        s = jnp.maximum(jnp.matmul(a, _mT(b)), 0)
        return jnp.where(s > 0, jnp.sqrt(jnp.where(s > 0, s, 1)), 0)
    d = jnp.abs(x1[..., :, None, :] - x2[..., None, :, :])
    if p == 0:
        return jnp.sum(d != 0, -1).astype(d.dtype)
    if p == float("inf"):
        return jnp.max(d, -1, initial=0.0)
    nz = d > 0
    if p == 1:
        return jnp.sum(d, -1)
    safe = jnp.where(nz, d, 1)
    s = jnp.sum(jnp.where(nz, safe ** p, 0), -1)
    return jnp.where(s > 0, jnp.where(s > 0, s, 1) ** (1 / p), 0)
