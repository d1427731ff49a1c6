"""Gradcheck inputs for the packed/projected RNN layer op (merged into tests/test_ops.py)."""
import numpy as np

from opsamples import Sample, _f64

import torchlike as tl

# x (T, B, I), h0 (B, P or H), c0 (B, H), w_ih (G*H, I), w_hh (G*H, P or H), biases (G*H,),
# w_hr (P, H), mask (T, B)
_MASK = tl.tensor(np.array([[True, True], [True, False], [False, False]]))
SAMPLES = {
    "rnn_layer_ex": [
        Sample(_f64(3, 2, 2), _f64(2, 1, seed=1), _f64(2, 2, seed=2), _f64(8, 2, seed=3),
               _f64(8, 1, seed=4), _f64(8, seed=5), _f64(8, seed=6), _f64(1, 2, seed=7),
               _MASK, mode="LSTM", reverse=True),
        Sample(_f64(3, 2, 2), _f64(2, 2, seed=1), None, _f64(6, 2, seed=3), _f64(6, 2, seed=4),
               None, _f64(6, seed=6), None, _MASK, mode="GRU", reverse=False),
    ],
}
