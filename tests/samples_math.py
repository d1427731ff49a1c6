"""Gradcheck inputs for the ops of torch.fft, torch.special and the torch.* long-tail helpers
(torchlike/_ops/special.py and _ops/tail.py), for tests/test_ops.py's walk over the table."""
from __future__ import annotations

import torchlike
from opsamples import Sample, _f64, _i64, _pos

_b = torchlike.tensor


def _re_im(*outs):
    return tuple(torchlike.view_as_real(o) if o.dtype.is_complex else o for o in outs)


SAMPLES = {
    "special_i0": [Sample(_f64(2, 3) * 3)],
    "special_i0e": [Sample(_f64(2, 3) * 3)],
    "special_i1": [Sample(_f64(2, 3) * 3)],
    "special_i1e": [Sample(_f64(2, 3) * 3)],
    "special_ndtr": [Sample(_f64(2, 3) * 3)],
    "special_ndtri": [Sample(_pos(2, 3) * 0.9)],
    "special_log_ndtr": [Sample(_f64(2, 3) * 3)],
    "special_erfcx": [Sample(_f64(2, 3) * 3)],
    "special_entr": [Sample(_pos(2, 3))],
    "xlogy": [Sample(_f64(2, 3), _pos(2, 3))],
    "special_xlog1py": [Sample(_f64(2, 3), _pos(3))],
    "special_zeta": [Sample(_pos(2, 3) + 2, _pos(2, 3))],
    # the first argument is not differentiated (as PyTorch): float32, so gradcheck skips it
    "igamma": [Sample((_pos(2, 3) + 0.5).float(), _pos(2, 3))],
    "igammac": [Sample((_pos(2, 3) + 0.5).float(), _pos(2, 3))],
    "mvlgamma": [Sample(_pos(2, 3) + 1.5, p=2)],
    "fft_c2c": [Sample(_f64(3, 4), s=None, dim=(1,), norm="backward", forward=True,
                       post=_re_im),
                Sample(_f64(3, 4), s=(2, 5), dim=(0, 1), norm="ortho", forward=False,
                       post=_re_im)],
    "fft_r2c": [Sample(_f64(3, 4), s=None, dim=(1,), norm="backward", onesided=True,
                       forward=True, post=_re_im),
                Sample(_f64(3, 4), s=(5,), dim=(0,), norm="forward", onesided=True,
                       forward=False, post=_re_im)],
    "fft_c2r": [Sample(_f64(3, 4), s=(6,), dim=(1,), norm="backward", conj=False),
                Sample(_f64(3, 4), s=(3, 5), dim=(0, 1), norm="ortho", conj=True)],
    "fftshift": [Sample(_f64(3, 4), dim=(0, 1), inverse=False)],
    "cummax": [Sample(_f64(3, 4), dim=1)],
    "cummin": [Sample(_f64(3, 4), dim=0)],
    "logcumsumexp": [Sample(_f64(3, 4), dim=1)],
    "mode": [Sample(_f64(3, 4), dim=1)],   # no ties: finite differences would break them
    "nanmedian_all": [Sample(_f64(3, 4))],
    "nanmedian_dim": [Sample(_f64(3, 4), dim=1)],
    "diag_embed": [Sample(_f64(2, 3), offset=1, dim1=0, dim2=2)],
    "scatter_reduce": [Sample(_f64(2, 3), _i64([[0, 0], [2, 1]]), _f64(2, 2, seed=1), dim=1,
                              reduce=r) for r in ("sum", "prod", "mean", "amax", "amin")],
    "masked_scatter": [Sample(_f64(2, 3), _b([True, False, True]), _f64(5))],
    "put": [Sample(_f64(2, 3), _i64([0, -1]), _f64(2, seed=1), accumulate=False)],
    "as_strided": [Sample(_f64(6), size=(2, 2), stride=(1, 2), offset=1)],
    "angle": [Sample(_f64(2, 3))],
    "view_as_real": [Sample(_f64(2, 3))],
    "view_as_complex": [Sample(_f64(3, 2), post=_re_im)],
    "complex": [Sample(_f64(2, 3), _f64(2, 3, seed=1), post=_re_im)],
    "polar": [Sample(_pos(2, 3), _f64(2, 3, seed=1), post=_re_im)],
    "cov": [Sample(_f64(2, 4), None, None), Sample(_f64(2, 4), _i64([1, 2, 1, 1]),
                                                    _pos(4), correction=0)],
    "block_diag": [Sample(_f64(2, 2), _f64(1, 3, seed=1))],
    "logaddexp": [Sample(_f64(2, 3), _f64(3, seed=1))],
    "logaddexp2": [Sample(_f64(2, 3), _f64(3, seed=1))],
    "quantile": [Sample(_f64(3, 4), _b([0.2, 0.6], dtype=torchlike.float64).detach().float()
                        .double() * 1, dim=1, keepdim=False, interpolation=k,
                        ignore_nan=False, scalar_q=False)
                 for k in ("linear", "midpoint")],
    # nn tail (torchlike/_ops/nn_tail.py)
    "max_unpool": [Sample(_f64(1, 2, 2, 2), _i64([[[[0, 3], [9, 14]], [[1, 2], [12, 15]]]]),
                          out_shape=(4, 4))],
    "multilabel_margin_loss": [Sample(_f64(2, 4), _i64([[3, 0, -1, 1], [1, 2, 3, 0]]),
                                      reduction="mean")],
}

NO_GRADCHECK = {
    "ctc_loss": (
        "PyTorch's CTC gradient is exp(log_probs) minus the alignment posterior (the gradient "
        "with respect to the logits of a log_softmax), not the derivative in log_probs, and "
        "torchlike returns PyTorch's; tests/test_math_tail.py checks it against torch, through "
        "log_softmax and on leaf log_probs"),
}
