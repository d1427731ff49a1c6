"""Gradcheck inputs for the linear-algebra ops of torchlike/_ops/linalg.py (tests/test_ops.py's
walk over the op table). Outputs with gauge freedom (eigenvectors, P of LU) are mapped to
invariant quantities by `post`."""
from __future__ import annotations

import torchlike
from opsamples import Sample, _f64, _i64, _spd


def _tril(n, seed=0):
    return (torchlike.tril(_f64(n, n, seed=seed)) + 2 * torchlike.eye(n, dtype=torchlike.float64))


_PIV = _i64([2, 3, 3])  # pivots of a 3 x 3 LU factorization (1-based row swaps)

SAMPLES = {
    "addmv": [Sample(_f64(2), _f64(2, 3), _f64(3), beta=0.5, alpha=2),
              Sample(_f64(2), _f64(2, 3), _f64(3), beta=0)],
    "addr": [Sample(_f64(2, 3), _f64(2), _f64(3), alpha=0.5)],
    "baddbmm": [Sample(_f64(2, 2, 2), _f64(2, 2, 3), _f64(2, 3, 2), beta=2)],
    "addbmm": [Sample(_f64(2, 2), _f64(3, 2, 3), _f64(3, 3, 2))],
    "tensordot": [Sample(_f64(2, 3, 4), _f64(4, 3, 2), dims_a=(1, 2), dims_b=(1, 0))],
    "kron": [Sample(_f64(2, 2), _f64(3, 2))],
    "slogdet": [Sample(_f64(3, 3), post=lambda s, l: l)],
    "logdet": [Sample(_spd(3))],
    "inv_ex": [Sample(_spd(3)), Sample(_f64(2, 3, 3))],
    "solve_ex": [Sample(_f64(3, 3), _f64(3, 2)), Sample(_f64(3, 3), _f64(2, 3), left=False),
                 Sample(_f64(2, 3, 3), _f64(2, 3), vector=True)],
    "cholesky_ex": [Sample(_spd(3)), Sample(_spd(3), upper=True)],
    "solve_triangular": [Sample(_tril(3), _f64(3, 2), upper=False),
                         Sample(_tril(3).mT, _f64(2, 3), upper=True, left=False,
                                unitriangular=True)],
    "lu_factor_ex": [Sample(_f64(3, 3))],
    "lu": [Sample(_f64(3, 3), post=lambda p, l, u: (l, u)),
           Sample(_f64(3, 2), post=lambda p, l, u: (l, u))],
    "lu_unpack": [Sample(_f64(3, 3), _PIV, post=lambda p, l, u: (l, u))],
    "lu_solve": [Sample(_f64(3, 3) + 2 * torchlike.eye(3, dtype=torchlike.float64), _f64(3, 2),
                        _PIV),
                 Sample(_f64(3, 3) + 2 * torchlike.eye(3, dtype=torchlike.float64), _f64(2, 3),
                        _PIV, left=False, adjoint=True)],
    "matrix_exp": [Sample(_f64(3, 3))],
    "matrix_power": [Sample(_f64(3, 3), n=3), Sample(_f64(3, 3), n=0)],
    "householder_product": [Sample(_f64(3, 2), _f64(2))],
    "svdvals": [Sample(_f64(3, 2))],
    # |w| and |w + 1| determine w up to conjugation; |v| is invariant to v's phase
    "eig": [Sample(_f64(3, 3), post=lambda w, v: (w.abs(), (w + 1).abs(), v.abs()))],
    "eigvals": [Sample(_f64(3, 3), post=lambda w: (w.abs(), (w + 1).abs()))],
    "lstsq": [Sample(_f64(4, 2), _f64(4, 3)), Sample(_f64(4, 3), _f64(4), vector=True)],
    "vander": [Sample(_f64(3), n=4)],
    "cdist": [Sample(_f64(3, 2), _f64(4, 2)), Sample(_f64(3, 2), _f64(4, 2), p=1.5),
              Sample(_f64(3, 2), _f64(4, 2), use_mm=True)],
}

NO_GRADCHECK = {
    "eigh": "reads one triangle (PyTorch's values) but returns the symmetrised gradient "
            "(PyTorch's); tests/test_linalg.py checks it against torch on symmetric inputs",
    "eigvalsh": "as eigh",
    "cholesky_solve": "reads the factor's triangle but returns PyTorch's dense gradient for it; "
                      "tests/test_linalg.py checks it against torch",
}
