"""Matrix products and linear algebra."""
from __future__ import annotations

import jax.numpy as jnp

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


@defop(n_in=3, promote="same")
def addmm(bias, x, y, beta=1, alpha=1):
    out = x @ y
    if alpha != 1:
        out = out * alpha
    return out + (bias if beta == 1 else bias * beta)


@defop(n_in=2, promote="same", grad="MulBackward0")
def outer(x, y):
    return jnp.outer(x, y)


@defop(seq=True, promote="same")
def einsum(*xs, equation):
    return jnp.einsum(equation, *xs)


@defop(n_in=1, grad="LinalgDetBackward0")
def det(x):
    return jnp.linalg.det(x)


@defop(n_in=1, grad="LinalgInvExBackward0")
def inv(x):
    return jnp.linalg.inv(x)


@defop(n_in=2, grad="LinalgSolveExBackward0")
def solve(a, b):
    return jnp.linalg.solve(a, b)


@defop(n_in=1, grad="LinalgCholeskyExBackward0")
def cholesky(x, upper=False):
    c = jnp.linalg.cholesky(x)
    return jnp.swapaxes(c, -1, -2).conj() if upper else c


@defop(n_in=1, grad="LinalgQrBackward0")
def qr(x, mode="reduced"):
    return tuple(jnp.linalg.qr(x, mode=mode))


@defop(n_in=1, grad="LinalgSvdBackward0")
def svd(x, full_matrices=True):
    u, s, vh = jnp.linalg.svd(x, full_matrices=full_matrices)
    return u, s, vh


@defop(n_in=1, grad="LinalgEighBackward0")
def eigh(x, UPLO="L"):
    w, v = jnp.linalg.eigh(x, UPLO=UPLO)
    return w, v


@defop(n_in=1, grad="LinalgMatrixNormBackward0")
def matrix_norm(x, ord="fro", dim=(-2, -1), keepdim=False):
    return jnp.linalg.matrix_norm(x, ord=ord, keepdims=keepdim) if dim == (-2, -1) else \
        jnp.linalg.norm(x, ord=ord, axis=dim, keepdims=keepdim)


@defop(n_in=1, differentiable=False)
def matrix_rank(x):
    return jnp.linalg.matrix_rank(x).astype(jnp.int64)


@defop(n_in=1)
def pinv(x):
    return jnp.linalg.pinv(x)


@defop(n_in=1, grad="TraceBackward0")
def trace(x):
    return jnp.trace(x)


@defop(n_in=2, promote="same", grad="LinalgCrossBackward0")
def cross(x, y, dim=-1):
    return jnp.cross(x, y, axis=dim)
