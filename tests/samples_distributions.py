"""Gradcheck inputs for the ops torchlike/distributions registers (tests/test_ops.py's walk)."""
from __future__ import annotations

import torchlike
from opsamples import Sample, _f64, _spd


def _lower(n):
    """Lower-triangular with a well-conditioned positive diagonal."""
    return (torchlike.tril(_f64(n, n, seed=3)) + 2 * torchlike.eye(n, dtype=torchlike.float64)
            ).detach()


SAMPLES = {
    # L's upper triangle is ignored by the solve: zero gradient on both sides
    "dist_batch_mahalanobis": [Sample(_lower(3), _f64(2, 3)),
                               Sample(torchlike.stack([_lower(2), _spd(2)]).detach(),
                                      _f64(2, 2, seed=1))],
    "dist_cholesky_of_inverse": [Sample(_spd(3))],
}

NO_GRADCHECK = {
    "dist_standard_gamma": (
        "implicit reparameterisation: the gradient is -(dCDF/dalpha)/(dCDF/dx) at the draw, "
        "not the derivative of the rejection sampler's output for a fixed key, so finite "
        "differences in alpha cannot check it (for key 0, alpha 1.4: 0.836 vs finite "
        "differences' 0.868)"),
}
