"""torchlike.linalg: PyTorch's linalg names on jax.numpy.linalg."""
from __future__ import annotations

import collections

from ._functions import _dims, cross, det, matmul, norm as _norm  # noqa: F401
from ._ops.registry import TABLE
from ._tensor import call

inv = lambda A: call(TABLE["inv"], (A,), ())  # noqa: E731
solve = lambda A, B, *, left=True: call(TABLE["solve"], (A, B), ())  # noqa: E731
pinv = lambda A: call(TABLE["pinv"], (A,), ())  # noqa: E731
matrix_rank = lambda A: call(TABLE["matrix_rank"], (A,), ())  # noqa: E731
_QR = collections.namedtuple("QR", ["Q", "R"])
_SVD = collections.namedtuple("SVD", ["U", "S", "Vh"])
_EIGH = collections.namedtuple("EIGH", ["eigenvalues", "eigenvectors"])


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    return call(TABLE["vector_norm"], (x,), (ord, _dims(dim, x.dim()), keepdim, dtype))


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False):
    return call(TABLE["matrix_norm"], (A,), (ord, tuple(dim), keepdim))


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    if ord is None or (dim is None and A.dim() == 1) or (isinstance(dim, int)):
        return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
    return matrix_norm(A, ord, dim if dim is not None else (-2, -1), keepdim)


def cholesky(A, *, upper=False):
    return call(TABLE["cholesky"], (A,), (upper,))


def qr(A, mode="reduced"):
    return _QR(*call(TABLE["qr"], (A,), (mode,)))


def svd(A, full_matrices=True):
    return _SVD(*call(TABLE["svd"], (A,), (full_matrices,)))


def svdvals(A):
    return svd(A, False).S


def eigh(A, UPLO="L"):
    return _EIGH(*call(TABLE["eigh"], (A,), (UPLO,)))


def eigvalsh(A, UPLO="L"):
    return eigh(A, UPLO).eigenvalues


def matrix_power(A, n):
    out = A
    for _ in range(n - 1):
        out = matmul(out, A)
    return out
