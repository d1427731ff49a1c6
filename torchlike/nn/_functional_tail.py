"""nn.functional's long-tail functions (issue 15): ctc_loss, max_unpool1d/2d/3d,
multilabel_margin_loss, triplet_margin_with_distance_loss. Kernels are table ops in
`torchlike/_ops/nn_tail.py`."""
from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .._ops import nn_tail as _nn_tail_ops  # noqa: F401  (registers the ops)
from .._ops.registry import TABLE as T
from .._ops.registry import call
from .._tensor import Tensor, _is_tracer
from . import functional as F

__all__ = ["ctc_loss", "max_unpool1d", "max_unpool2d", "max_unpool3d",
           "multilabel_margin_loss", "triplet_margin_with_distance_loss"]


def _lengths(x, n, what):
    if isinstance(x, Tensor):
        return x.long() if x.dim() else x.long().reshape(1).expand(n)
    from .._creation import tensor
    return tensor(list(x) if not isinstance(x, int) else [x] * n, dtype=D.int64)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    reduction = F._reduction(None, None, reduction)
    unbatched = log_probs.dim() == 2
    lp = log_probs.unsqueeze(1) if unbatched else log_probs
    if lp.dim() != 3:
        raise RuntimeError(f"ctc_loss: expected log_probs to be 2-D or 3-D, got "
                           f"{log_probs.dim()}-D")
    Tn, N, C = lp.shape
    if not 0 <= blank < C:
        raise RuntimeError("blank must be in label range")
    il = _lengths(input_lengths, N, "input_lengths")
    tl = _lengths(target_lengths, N, "target_lengths")
    tg = targets.unsqueeze(0) if unbatched and targets.dim() == 1 else targets
    concrete = not (_is_tracer(il._v) or _is_tracer(tl._v))
    if concrete:
        ila, tla = np.asarray(il._v), np.asarray(tl._v)
        if ila.size and ila.max() > Tn:
            raise RuntimeError(f"Expected input_lengths to have value at most {Tn}, but got "
                               f"value {ila.max()} (while checking arguments for "
                               "ctc_loss_cpu)")
        if tg.dim() == 1:              # concatenated targets: pad them to (N, max length)
            t = np.asarray(tg._v)
            S = int(tla.max()) if tla.size else 0
            pad = np.zeros((N, S), np.int64)
            off = np.concatenate([[0], np.cumsum(tla)])
            for i in range(N):
                pad[i, :tla[i]] = t[off[i]:off[i + 1]]
            from .._creation import tensor
            tg = tensor(pad)
        elif tla.size and tla.max() > tg.shape[1]:
            raise RuntimeError(f"Expected tensor to have size at least {tla.max()} at "
                               f"dimension 1, but got size {tg.shape[1]} for argument #2 "
                               "'targets' (while checking arguments for ctc_loss_cpu)")
    r = call(T["ctc_loss"], (lp, tg.long(), il, tl), (blank, reduction, bool(zero_infinity)))
    return r[0] if unbatched and reduction == "none" else r


def _unpool(nd):
    def f(input, indices, kernel_size, stride=None, padding=0, output_size=None):
        from .modules._utils import _ntuple
        tup = _ntuple(nd)
        k = tup(kernel_size)
        s = tup(stride if stride is not None else kernel_size)
        p = tup(padding)
        batched = input.dim() == nd + 2
        x, idx = (input, indices) if batched else (input.unsqueeze(0), indices.unsqueeze(0))
        spatial = tuple(x.shape[2:])
        default = tuple((spatial[i] - 1) * s[i] - 2 * p[i] + k[i] for i in range(nd))
        if output_size is None:
            out = default
        else:
            out = tuple(output_size)[-nd:]
            for i in range(nd):
                lo, hi = default[i] - s[i], default[i] + s[i]
                if not lo < out[i] < hi:
                    raise ValueError(f"invalid output_size {tuple(output_size)} (dim {i} must "
                                     f"be between {lo} and {hi})")
        v = idx._v
        if not _is_tracer(v) and v.size:
            size = int(np.prod(out))
            a = np.asarray(v)
            bad = a[(a < 0) | (a >= size)]
            if bad.size:
                dims = "x".join(str(o) for o in out)
                raise RuntimeError(f"Found an invalid max index: {bad[0]} (output volumes "
                                   f"are of size {dims}")
        r = call(T["max_unpool"], (x, idx.long()), (out,))
        return r if batched else r[0]
    f.__name__ = f"max_unpool{nd}d"
    return f


max_unpool1d, max_unpool2d, max_unpool3d = _unpool(1), _unpool(2), _unpool(3)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    reduction = F._reduction(size_average, reduce, reduction)
    if input.dim() > 2 or tuple(input.shape) != tuple(target.shape):
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: "
                           f"{list(input.shape)}")
    return call(T["multilabel_margin_loss"], (input, target.long()), (reduction,))


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    if margin <= 0:
        raise ValueError(f"triplet_margin_with_distance_loss: expected margin to be greater "
                         f"than 0, got {margin} instead")
    dist = distance_function if distance_function is not None else F.pairwise_distance
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        from .. import _functions as _F
        d_neg = _F.minimum(d_neg, dist(positive, negative))
    loss = (margin + d_pos - d_neg).clamp_min(0)
    return F._apply_reduction(loss, reduction)
