"""Gradcheck inputs for the ops torchlike/_ops/nn.py registers (tests/test_ops.py's walk).

Shapes are tiny on purpose: finite differences cost two forwards per input element and the
analytic side one backward per output element. Values keep away from kinks (no ties in max
windows, no |x - y| near a loss's beta/delta, logits away from 0, probabilities in (0, 1)).
Float64 tensors are differentiated, int64 tensors, None and PRNG keys are constants.
"""
from __future__ import annotations

import jax

import torchlike
from opsamples import Sample, _f64, _i64, _pos

_KEY = jax.random.key(0)   # a fixed key makes dropout deterministic, so it can be checked


def _pm1(*shape, seed=0):
    """Labels of +-1 as float64 (soft margin loss)."""
    return torchlike.where(_f64(*shape, seed=seed) > 0, 1.0, -1.0).to(torchlike.float64)


def _prob(*shape, seed=0):
    return _f64(*shape, lo=0.15, hi=0.85, seed=seed).abs()


SAMPLES = {
    # ------------------------------------------------------------------------ convolution
    "convolution": [
        Sample(_f64(1, 2, 4, 4), _f64(2, 2, 2, 2, seed=1), _f64(2, seed=2), stride=(1, 1),
               padding=((1, 0), (0, 1)), dilation=(1, 1), groups=1, transposed=False,
               output_padding=(0, 0)),
        # transposed, grouped, strided 1-d (weights are (Cin, Cout/g, k))
        Sample(_f64(1, 2, 3), _f64(2, 1, 2, seed=1), None, stride=(2,), padding=((0, 0),),
               dilation=(1,), groups=2, transposed=True, output_padding=(1,)),
    ],
    # ---------------------------------------------------------------------------- pooling
    "max_pool": [Sample(_f64(1, 2, 4, 4), kernel=(2, 2), stride=(2, 2), padding=(0, 0),
                        dilation=(1, 1), ceil_mode=False),
                 Sample(_f64(1, 1, 5), kernel=(3,), stride=(2,), padding=(1,), dilation=(1,),
                        ceil_mode=True)],
    "avg_pool": [Sample(_f64(1, 2, 4, 4), kernel=(2, 2), stride=(2, 2), padding=(1, 1),
                        ceil_mode=False, count_include_pad=False, divisor_override=None),
                 Sample(_f64(1, 1, 5), kernel=(3,), stride=(2,), padding=(1,), ceil_mode=True,
                        count_include_pad=True, divisor_override=2)],
    "adaptive_avg_pool": [Sample(_f64(1, 2, 5, 4), out_size=(3, 2))],
    "adaptive_max_pool": [Sample(_f64(1, 2, 5, 4), out_size=(3, 2))],
    # ---------------------------------------------------------------------- normalisation
    "batch_norm": [
        Sample(_f64(3, 2, 2), _pos(2, seed=1), _f64(2, seed=2), None, None, training=True,
               eps=1e-5),
        Sample(_f64(3, 2, 2), _pos(2, seed=1), _f64(2, seed=2), _f64(2, seed=3),
               _pos(2, seed=4) + 0.5, training=False, eps=1e-5),
    ],
    "layer_norm": [Sample(_f64(2, 4), _pos(4, seed=1), _f64(4, seed=2), normalized_shape=(4,),
                          eps=1e-5)],
    "rms_norm": [Sample(_f64(2, 4), _pos(4, seed=1), normalized_shape=(4,), eps=None)],
    "group_norm": [Sample(_f64(2, 4, 3), _pos(4, seed=1), _f64(4, seed=2), num_groups=2,
                          eps=1e-5)],
    # ------------------------------------------------------------------ embedding, dropout
    # (padding_idx rows get no gradient by PyTorch's definition although the output uses
    # them, so finite differences cannot check a sample that looks up padding_idx)
    "embedding": [Sample(_f64(5, 3), _i64([[0, 2], [4, 2]]), padding_idx=None)],
    "embedding_bag": [
        Sample(_f64(5, 3), _i64([0, 2, 4, 1, 2]), _i64([0, 2]), None, mode="mean",
               padding_idx=None, include_last_offset=False),
        Sample(_f64(5, 3), _i64([0, 2, 4, 1, 3]), _i64([0, 3, 5]), _f64(5, seed=1),
               mode="sum", padding_idx=4, include_last_offset=True),
        Sample(_f64(5, 3), _i64([0, 2, 4, 1]), _i64([0, 2]), None, mode="max",
               padding_idx=None, include_last_offset=False),
    ],
    "dropout": [Sample(_f64(2, 3, 2), _KEY, p=0.4, mask_dims=2)],
    "alpha_dropout": [Sample(_f64(2, 3), _KEY, p=0.5, feature=False)],
    # ------------------------------------------------------------------------ activations
    "prelu": [Sample(_f64(2, 3, 2), _pos(3, seed=1)), Sample(_f64(2, 3), _pos(1, seed=1))],
    "glu": [Sample(_f64(2, 4), dim=1)],
    "rrelu_eval": [Sample(_f64(2, 3), lower=0.1, upper=0.3)],
    # ----------------------------------------------------------------------------- losses
    "mse_loss": [Sample(_f64(2, 3), _f64(2, 3, seed=1), reduction="none")],
    # |x - y| here is in [0.19, 1.3]: away from beta = 1 and delta = 0.5
    "smooth_l1_loss": [Sample(_f64(2, 3), _f64(2, 3, seed=1), reduction="mean", beta=1.0),
                       Sample(_f64(2, 3), _f64(2, 3, seed=1), reduction="sum", beta=0.0)],
    "huber_loss": [Sample(_f64(2, 3), _f64(2, 3, seed=1), reduction="mean", delta=0.5)],
    "nll_loss": [
        Sample(_f64(3, 4), _i64([1, 0, 3]), _pos(4, seed=1), reduction="mean",
               ignore_index=-100, nd=2),
        Sample(_f64(2, 3, 2), _i64([[0, 2], [1, 1]]), None, reduction="sum", ignore_index=1,
               nd=3),
        Sample(_f64(4), _i64(2), None, reduction="none", ignore_index=-100, nd=1),
    ],
    "binary_cross_entropy": [
        Sample(_prob(2, 3), _prob(2, 3, seed=1), _pos(2, 3, seed=2), reduction="mean")],
    "binary_cross_entropy_with_logits": [
        Sample(_f64(2, 3), _prob(2, 3, seed=1), _pos(2, 3, seed=2), None, reduction="mean"),
        Sample(_f64(2, 3), _prob(2, 3, seed=1), None, _pos(3, seed=3) + 0.5, reduction="sum"),
    ],
    "soft_margin_loss": [Sample(_f64(2, 3), _pm1(2, 3, seed=1), reduction="mean")],
    "poisson_nll_loss": [
        Sample(_f64(2, 3), _pos(2, 3, seed=1) * 2, log_input=True, full=False, eps=1e-8,
               reduction="mean"),
        # full: Stirling's term only where y > 1 (no y within eps of 1 here)
        Sample(_pos(2, 3), _pos(2, 3, seed=1) * 2, log_input=False, full=True, eps=1e-8,
               reduction="sum"),
    ],
    "multi_margin_loss": [
        Sample(_f64(3, 4), _i64([1, 0, 3]), _pos(4, seed=1), p=1, margin=1.0,
               reduction="mean"),
        Sample(_f64(4), _i64(2), None, p=2, margin=0.5, reduction="none"),
    ],
    # ------------------------------------------------------------------ padding, resampling
    "pad_nd": [Sample(_f64(1, 2, 3), pads=((1, 2),), mode="constant", value=0.5),
               Sample(_f64(1, 3, 3), pads=((1, 1), (2, 0)), mode="reflect", value=0),
               Sample(_f64(1, 2, 3), pads=((2, 1),), mode="replicate", value=0),
               Sample(_f64(1, 2, 3), pads=((1, 2),), mode="circular", value=0)],
    "upsample_linear": [
        Sample(_f64(1, 2, 3, 3), size=(4, 5), mode="bilinear", align_corners=False,
               scales=(None, None)),
        Sample(_f64(1, 2, 3), size=(5,), mode="linear", align_corners=True, scales=(None,)),
        Sample(_f64(1, 1, 3, 3), size=(4, 4), mode="bicubic", align_corners=False,
               scales=(None, None)),
    ],
    "upsample_nearest": [Sample(_f64(1, 2, 3), size=(5,), scales=(None,), exact=False),
                         Sample(_f64(1, 1, 3, 2), size=(4, 3), scales=(None, None),
                                exact=True)],
    "pixel_shuffle": [Sample(_f64(1, 4, 2, 2), r=2)],
    "pixel_unshuffle": [Sample(_f64(1, 1, 4, 4), r=2)],
    "im2col": [Sample(_f64(1, 2, 3, 3), kernel=(2, 2), dilation=(1, 1), padding=(0, 0),
                      stride=(1, 1)),
               Sample(_f64(1, 1, 4, 3), kernel=(2, 2), dilation=(1, 1), padding=(1, 0),
                      stride=(2, 1))],
    "col2im": [Sample(_f64(1, 8, 4), output_size=(3, 3), kernel=(2, 2), dilation=(1, 1),
                      padding=(0, 0), stride=(1, 1))],
    # ------------------------------------------------------------------------ grid sampling
    "affine_grid": [Sample(_f64(1, 2, 3), size=(1, 1, 2, 3), align_corners=False),
                    Sample(_f64(1, 3, 4), size=(1, 1, 2, 2, 2), align_corners=True)],
    # sample points away from pixel centres (the bilinear kinks) and from the border (the
    # clip's kinks); the second grid has points outside [-1, 1], where border clips
    "grid_sample2d": [
        Sample(_f64(1, 2, 3, 3), _f64(1, 2, 2, 2, lo=-0.9, hi=0.9, seed=1), mode="bilinear",
               padding_mode="zeros", align_corners=False),
        Sample(_f64(1, 1, 3, 3), _f64(1, 2, 2, 2, lo=-1.4, hi=1.4, seed=2), mode="bilinear",
               padding_mode="border", align_corners=True),
    ],
    # ------------------------------------------------------------------------ attention
    "sdpa": [
        Sample(_f64(1, 2, 3), _f64(1, 3, 3, seed=1), _f64(1, 3, 2, seed=2), _f64(2, 3, seed=3),
               None, dropout_p=0.0, is_causal=True, scale=0.5, enable_gqa=False),
        # dropout with a fixed key is deterministic
        Sample(_f64(1, 2, 3), _f64(1, 3, 3, seed=1), _f64(1, 3, 2, seed=2), None, _KEY,
               dropout_p=0.4, is_causal=False, scale=None, enable_gqa=False),
    ],
    # -------------------------------------------------------------------------- recurrent
    # x (T, B, I), h0/c0 (B, H), w_ih (G*H, I), w_hh (G*H, H), biases (G*H,)
    "rnn_layer": [
        Sample(_f64(2, 1, 2), _f64(1, 2, seed=1), _f64(1, 2, seed=2), _f64(8, 2, seed=3),
               _f64(8, 2, seed=4), _f64(8, seed=5), _f64(8, seed=6), mode="LSTM",
               reverse=False),
        Sample(_f64(2, 1, 2), _f64(1, 2, seed=1), None, _f64(6, 2, seed=3), _f64(6, 2, seed=4),
               _f64(6, seed=5), None, mode="GRU", reverse=True),
    ],
}
