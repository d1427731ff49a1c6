"""Gradcheck inputs for the ops torchlike/sparse.py registers (tests/test_ops.py's walk).

COO indices are int64 constants; values and dense operands are differentiated.
"""
from __future__ import annotations

from opsamples import Sample, _f64, _i64

# a 2 x 3 pattern with a duplicate entry (1, 2): duplicates are summed
_IDX = _i64([[0, 1, 1, 1], [2, 0, 2, 2]])

SAMPLES = {
    "sparse_coo_to_dense": [Sample(_IDX, _f64(4), shape=(2, 3)),
                            Sample(_i64([[0, 2]]), _f64(2, 2), shape=(3, 2))],   # hybrid
    "sparse_coo_segment_sum": [Sample(_f64(4, 2), _i64([0, 2, 0, 1]), num_segments=3)],
    "sparse_coo_gather": [Sample(_f64(3, 4), _i64([[0, 2, 1, 2], [3, 0, 3, 0]]))],
    "sparse_coo_mm": [Sample(_IDX, _f64(4), _f64(3, 2, seed=1), shape=(2, 3))],
}
