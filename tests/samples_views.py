"""Gradcheck inputs for the reinterpreting-view ops (`.real`/`.imag`/`view(dtype)` views,
tests/test_ops.py's walk): the same-dtype image is differentiable; the complex image is
checked against torch in tests/test_correctness2.py (real_imag_* cases)."""
from opsamples import Sample, _f64

SAMPLES = {
    "reinterp_read": [Sample(_f64(2, 3), 1, size=(2, 2), stride=(1, 2), dt="float64")],
    "reinterp_write": [Sample(_f64(2, 3), _f64(2, 2, seed=1), 1, size=(2, 2), stride=(1, 2),
                              dt="float64")],
}
