"""torchlike.linalg: PyTorch's linalg names on jax.numpy.linalg / jax.lax.linalg.

Failures (singular inv/solve, non-positive-definite cholesky, zero pivot in lu_factor) raise
`LinAlgError` eagerly, as PyTorch does: the kernel computes LAPACK's `info` with the result and
it is read back once. Inside `torchlike.compile` that check cannot run (the result holds
inf/NaN instead); use the `*_ex` variants there and test `info` yourself.
"""
from __future__ import annotations

import math

import numpy as np

from . import _dtype as D
from . import _functions as F
from ._functions import return_type
from ._ops.registry import TABLE as T
from ._ops.registry import call
from ._tensor import Tensor, _is_tracer


class LinAlgError(RuntimeError):
    """Raised when a factorization or solve fails (PyTorch's torch.linalg.LinAlgError)."""


InvEx = return_type("linalg_inv_ex", ["inverse", "info"])
SolveEx = return_type("linalg_solve_ex", ["result", "info"])
CholeskyEx = return_type("linalg_cholesky_ex", ["L", "info"])
QR = return_type("linalg_qr", ["Q", "R"])
SVD = return_type("linalg_svd", ["U", "S", "Vh"])
Eigh = return_type("linalg_eigh", ["eigenvalues", "eigenvectors"])
Eig = return_type("linalg_eig", ["eigenvalues", "eigenvectors"])
Slogdet = return_type("linalg_slogdet", ["sign", "logabsdet"])
Lstsq = return_type("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])
LUFactor = return_type("linalg_lu_factor", ["LU", "pivots"])
LUFactorEx = return_type("linalg_lu_factor_ex", ["LU", "pivots", "info"])
LU = return_type("linalg_lu", ["P", "L", "U"])


# ------------------------------------------------------------------------------ checks


def _check_matrix(A, name, square=True, floating=True):
    if A.dim() < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    if floating and not (A.dtype.is_floating_point or A.dtype.is_complex):
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. "
                           f"Got {D.scalar_name(A.dtype)}")


def _raise_on(info, name, message):
    """Eager check of a kernel's LAPACK info: LinAlgError for the first failing matrix."""
    v = info._v
    if _is_tracer(v):
        return
    a = np.asarray(v)
    if not a.any():
        return
    flat = a.reshape(-1)
    i = int(np.flatnonzero(flat)[0])
    batch = f"(Batch element {i}): " if a.ndim else ""
    raise LinAlgError(f"{name}: {batch}{message(int(flat[i]))}")


def _singular_inv(k):
    return (f"The diagonal element {k} is zero, the inversion could not be completed because "
            "the input matrix is singular.")


def _not_pd(k):
    return ("The factorization could not be completed because the input is not "
            f"positive-definite (the leading minor of order {k} is not positive-definite).")


def _ex_result(ex, info, check_errors, name, message):
    if check_errors:
        _raise_on(info, name, message)
    return ex


# -------------------------------------------------------------------- inverses and solves


def inv_ex(A, *, check_errors=False, out=None, _name="linalg.inv_ex"):
    _check_matrix(A, "linalg.inv")
    r = InvEx(*call(T["inv_ex"], (A,), ()))
    return _ex_result(r, r.info, check_errors, _name, _singular_inv)


def inv(A, *, out=None, _name="linalg.inv"):
    return F._out(inv_ex(A, check_errors=True, _name=_name).inverse, out)


def _solve_args(A, B, left, name):
    _check_matrix(A, name)
    if B.dim() < 1:
        raise RuntimeError(f"{name}: The input tensor B must have at least 1 dimensions.")
    vector = B.dim() == 1 or (B.dim() == A.dim() - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    n = A.shape[-1]
    k = B.shape[0] if B.dim() == 1 else B.shape[-2] if vector else \
        B.shape[-2] if left else B.shape[-1]
    if (B.shape[-1] if vector else k) != n:
        eq = "AX = B" if left else "XA = B"
        bs = f"{B.shape[-1]}x1" if vector else f"{B.shape[-2]}x{B.shape[-1]}"
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation {eq} "
                           f"({n}x{n} and {bs})")
    return vector


def solve_ex(A, B, *, left=True, check_errors=False, out=None, _name="torch.linalg.solve_ex"):
    vector = _solve_args(A, B, left, "linalg.solve")
    r = SolveEx(*call(T["solve_ex"], (A, B), (left, vector)))
    return _ex_result(r, r.info, check_errors, _name,
                      lambda k: "The solver failed because the input matrix is singular.")


def solve(A, B, *, left=True, out=None):
    """Solves A X = B (left=True) or X A = B; B is a vector when it has one dim less than A."""
    return F._out(solve_ex(A, B, left=left, check_errors=True,
                           _name="torch.linalg.solve").result, out)


def cholesky_ex(A, *, upper=False, check_errors=False, out=None, _name="linalg.cholesky_ex"):
    _check_matrix(A, "linalg.cholesky")
    r = CholeskyEx(*call(T["cholesky_ex"], (A,), (upper,)))
    return _ex_result(r, r.info, check_errors, _name, _not_pd)


def cholesky(A, *, upper=False, out=None, _name="linalg.cholesky"):
    return F._out(cholesky_ex(A, upper=upper, check_errors=True, _name=_name).L, out)


def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    _check_matrix(A, "linalg.solve_triangular")
    n = A.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        raise RuntimeError(f"linalg.solve_triangular: Incompatible shapes of A and B for the "
                           f"equation {'AX = B' if left else 'XA = B'} ({n}x{n} and "
                           f"{B.shape[-2]}x{B.shape[-1]})")
    return F._out(call(T["solve_triangular"], (A, B), (upper, left, unitriangular)), out)


def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    _check_matrix(A, "linalg.lu_factor", square=False)
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    r = LUFactorEx(*call(T["lu_factor_ex"], (A,), ()))
    return _ex_result(r, r.info, check_errors, "torch.linalg.lu_factor_ex", _zero_pivot)


def _zero_pivot(k):
    return (f"U[{k},{k}] is zero and using it on lu_solve would result in a division by zero. "
            "If you still want to perform the factorization, consider calling "
            "linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")


def lu_factor(A, *, pivot=True, out=None):
    r = lu_factor_ex(A, pivot=pivot)
    _raise_on(r.info, "torch.linalg.lu_factor", _zero_pivot)
    return LUFactor(r.LU, r.pivots)


def lu(A, *, pivot=True, out=None):
    _check_matrix(A, "linalg.lu", square=False)
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    return LU(*call(T["lu"], (A,), (pivot,)))


def lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
    _check_matrix(LU, "linalg.lu_solve")
    return F._out(call(T["lu_solve"], (LU, B, pivots), (left, adjoint)), out)


def householder_product(A, tau, *, out=None):
    if A.shape[-1] < tau.shape[-1]:
        raise RuntimeError("torch.linalg.householder_product: input.shape[-1] must be greater "
                           "than or equal to tau.shape[-1]")
    return F._out(call(T["householder_product"], (A, tau), ()), out)


def tensorinv(A, ind=2, *, out=None):
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = A.shape[:ind], A.shape[ind:]
    r = inv(A.reshape(math.prod(rows), math.prod(cols)), _name="inv")
    return F._out(r.reshape(*cols, *rows), out)


def tensorsolve(A, B, dims=None, *, out=None):
    if dims is not None:
        nd = A.dim()
        dims = [d % nd for d in dims]
        A = A.permute(*[d for d in range(nd) if d not in dims], *dims)
    rest = A.shape[B.dim():]
    x = solve(A.reshape(B.numel(), math.prod(rest)), B.reshape(B.numel()))
    return F._out(x.reshape(*rest), out)


# ------------------------------------------------------------- products and determinants


matmul = F.matmul


def det(A, *, out=None):
    _check_matrix(A, "linalg.det")
    return F._out(call(T["det"], (A,), ()), out)


def slogdet(A, *, out=None):
    _check_matrix(A, "linalg.slogdet")
    return Slogdet(*call(T["slogdet"], (A,), ()))


def matrix_power(A, n, *, out=None):
    """A^n; n < 0 inverts first (LinAlgError when A is singular)."""
    _check_matrix(A, "linalg.matrix_power", floating=False)
    if n < 0:
        A, n = inv(A), -n
    return F._out(call(T["matrix_power"], (A,), (int(n),)), out)


def matrix_exp(A):
    _check_matrix(A, "linalg.matrix_exp")
    return call(T["matrix_exp"], (A,), ())


def multi_dot(tensors, *, out=None):
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    ts = list(tensors)
    first, last = ts[0].dim() == 1, ts[-1].dim() == 1
    if first:
        ts[0] = ts[0].unsqueeze(0)
    if last:
        ts[-1] = ts[-1].unsqueeze(-1)
    r = ts[0]
    for t in ts[1:]:
        r = F.mm(r, t)
    if first:
        r = r.squeeze(0)
    if last:
        r = r.squeeze(-1)
    return F._out(r, out)


def vecdot(x, y, *, dim=-1, out=None):
    return F._out(F.sum((x.conj() if x.is_complex() else x) * y, dim), out)


def cross(input, other, *, dim=-1, out=None):
    return F._out(call(T["cross"], (input, other), (dim,)), out)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    return F.diagonal(A, offset, dim1, dim2)


def vander(x, *, N=None):
    """Increasing powers x^0 ... x^(N-1) along a new last dimension."""
    if x.dim() < 1:
        raise RuntimeError("linalg.vander: x must have at least one dimension.")
    n = x.shape[-1] if N is None else N
    if n < 0:
        raise RuntimeError(f"N must be non-negative.")
    return call(T["vander"], (x,), (int(n),))


# ----------------------------------------------------------------------- decompositions


def qr(A, mode="reduced", *, out=None):
    _check_matrix(A, "linalg.qr", square=False)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    return QR(*call(T["qr"], (A,), (mode,)))


def svd(A, full_matrices=True, *, driver=None, out=None):
    _check_matrix(A, "linalg.svd", square=False)
    if driver is not None:
        raise RuntimeError("torch.linalg.svd: keyword argument `driver=` is only supported on "
                           "CUDA inputs with cuSOLVER backend.")
    return SVD(*call(T["svd"], (A,), (full_matrices,)))


def svdvals(A, *, driver=None, out=None):
    _check_matrix(A, "linalg.svdvals", square=False)
    return F._out(call(T["svdvals"], (A,), ()), out)


def eigh(A, UPLO="L", *, out=None):
    _check_matrix(A, "linalg.eigh")
    return Eigh(*call(T["eigh"], (A,), (UPLO,)))


def eigvalsh(A, UPLO="L", *, out=None):
    _check_matrix(A, "linalg.eigvalsh")
    return F._out(call(T["eigvalsh"], (A,), (UPLO,)), out)


def eig(A, *, out=None):
    """On CPU only, as jax's eig (eigenvectors normalised as LAPACK's geev, like PyTorch)."""
    _check_matrix(A, "linalg.eig")
    return Eig(*call(T["eig"], (A,), ()))


def eigvals(A, *, out=None):
    _check_matrix(A, "linalg.eigvals")
    return F._out(call(T["eigvals"], (A,), ()), out)


def lstsq(A, B, rcond=None, *, driver=None):
    """PyTorch's CPU drivers: rank is reported for gelsy (default), gelsd and gelss, singular
    values for gelsd and gelss, residuals when m > n and A has full rank for all but gelsy.
    The solution is the minimum-norm one whatever the driver."""
    driver = driver or "gelsy"
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(f"torch.linalg.lstsq: parameter `driver` should be one of "
                           f"(gels, gelsy, gelsd, gelss)")
    _check_matrix(A, "torch.linalg.lstsq", square=False)
    vector = B.dim() == A.dim() - 1
    x, rank, s = call(T["lstsq"], (A, B), (rcond, vector))
    m, n = A.shape[-2:]
    empty = x.new_zeros(0)
    real = s.dtype
    residuals = empty.to(real)
    if driver != "gelsy" and m > n and bool((rank == n).all()):
        r = F.matmul(A, x.unsqueeze(-1) if vector else x) - (B.unsqueeze(-1) if vector else B)
        residuals = F.sum((r.abs() ** 2), -2)
        residuals = residuals.squeeze(-1) if vector else residuals
    if driver == "gels":
        rank = rank.new_zeros(0)
    if driver not in ("gelsd", "gelss"):
        s = empty.to(real)
    return Lstsq(x, residuals, rank, s.detach())


# ------------------------------------------------------------------ norms, rank, pinv


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    r = call(T["vector_norm"], (x,), (ord, F._dims(dim, x.dim()), keepdim,
                                      D.to_dtype(dtype) if dtype else None))
    return F._out(r, out)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    if A.dim() < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    if dtype is not None:
        A = A.to(dtype)
    return F._out(call(T["matrix_norm"], (A,), (ord, tuple(dim), keepdim)), out)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    if isinstance(dim, int):
        dim = (dim,)
    if dim is None and ord is not None:
        if A.dim() not in (1, 2):
            raise RuntimeError("linalg.norm: If dim is not specified but ord is, the input must "
                               f"be 1D or 2D. Got {A.dim()}D.")
        dim = tuple(range(A.dim()))
    if dim is not None and len(dim) == 2 and ord is not None:
        return matrix_norm(A, ord, dim, keepdim, dtype=dtype, out=out)
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype, out=out)


def cond(A, p=None, *, out=None):
    """2-norm condition numbers from singular values; other norms as norm(A) * norm(inv(A)),
    inf where A is singular (as PyTorch)."""
    _check_matrix(A, "linalg.cond", square=p not in (None, 2, -2))
    if p in (None, 2, -2):
        s = svdvals(A)
        big, small = s[..., 0], s[..., -1]
        return F._out(big / small if p != -2 else small / big, out)
    r = inv_ex(A)
    c = matrix_norm(A, p) * matrix_norm(r.inverse, p)
    return F._out(F.where(r.info > 0, float("inf"), c), out)


def _tols(atol, rtol, tol=None):
    if tol is not None:
        atol, rtol = tol, 0.0
    if isinstance(atol, Tensor) or isinstance(rtol, Tensor):
        raise NotImplementedError("torchlike: tensor atol/rtol are not supported; pass floats")
    return (None if atol is None else float(atol)), (None if rtol is None else float(rtol))


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, tol=None, out=None):
    _check_matrix(A, "torch.linalg.matrix_rank", square=hermitian)
    atol, rtol = _tols(atol, rtol, tol)
    return F._out(call(T["matrix_rank"], (A,), (atol, rtol, hermitian)), out)


def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None):
    _check_matrix(A, "linalg.pinv", square=hermitian)
    atol, rtol = _tols(atol, rtol)
    return F._out(call(T["pinv"], (A,), (atol, rtol, hermitian)), out)
