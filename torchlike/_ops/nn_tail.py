"""Kernels of the long-tail nn functions: ctc_loss, max_unpool, multilabel_margin_loss."""
from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from .registry import defop

_NEG = -1e30     # log(0) for the CTC recursion: finite, so no NaN enters the gradient


def _lse(*xs):
    m = xs[0]
    for x in xs[1:]:
        m = jnp.maximum(m, x)
    return m + jnp.log(sum(jnp.exp(x - m) for x in xs))


@defop(n_in=4, grad="CtcLossBackward0")
def ctc_loss(lp, targets, in_len, tgt_len, blank, reduction, zero_infinity):
    """lp (T, N, C) log-probabilities, targets (N, S) padded. The gradient is PyTorch's:
    exp(log_probs) minus the alignment posterior (the gradient with respect to the logits of
    a log_softmax), zero past each input length."""
    T, N, C = lp.shape
    S = targets.shape[1]
    L = 2 * S + 1
    ext = jnp.full((N, L), blank, jnp.int64)
    if S:
        ext = ext.at[:, 1::2].set(targets.astype(jnp.int64))
    lp_ext = jnp.take_along_axis(lp, jnp.broadcast_to(ext[None], (T, N, L)), axis=2)
    prev2 = jnp.concatenate([jnp.full((N, 2), -1, jnp.int64), ext[:, :-2]], axis=1)
    skip = (jnp.arange(L) >= 2)[None] & (ext != blank) & (ext != prev2)
    neg = jnp.asarray(_NEG, lp.dtype)
    alpha = jnp.full((N, L), neg, lp.dtype).at[:, 0].set(lp_ext[0, :, 0])
    if L > 1:
        alpha = alpha.at[:, 1].set(jnp.where(tgt_len > 0, lp_ext[0, :, 1], neg))
    alpha = jnp.where((in_len > 0)[:, None], alpha, neg)

    def step(a, xs):
        t, lpt = xs
        a1 = jnp.concatenate([jnp.full((N, 1), neg, a.dtype), a[:, :-1]], axis=1)
        a2 = jnp.concatenate([jnp.full((N, 2), neg, a.dtype), a[:, :-2]], axis=1)
        a2 = jnp.where(skip, a2, neg)
        new = _lse(a, a1, a2) + lpt
        return jnp.where((t < in_len)[:, None], new, a), None

    if T > 1:
        alpha, _ = lax.scan(step, alpha, (jnp.arange(1, T), lp_ext[1:]))
    last = 2 * tgt_len
    a_last = jnp.take_along_axis(alpha, last[:, None], axis=1)[:, 0]
    a_prev = jnp.where(tgt_len > 0, jnp.take_along_axis(
        alpha, jnp.maximum(last - 1, 0)[:, None], axis=1)[:, 0], neg)
    ll = _lse(a_last, a_prev)
    impossible = ll < _NEG / 2
    # PyTorch's gradient adds exp(log_probs) over the valid frames: a zero-valued term here
    live = (jnp.arange(T)[:, None] < in_len[None, :]).astype(lp.dtype)[..., None]
    extra = jnp.sum((lp - lax.stop_gradient(lp)) * lax.stop_gradient(jnp.exp(lp)) * live,
                    axis=(0, 2))
    loss = -ll + extra
    loss = jnp.where(impossible, jnp.asarray(jnp.inf, lp.dtype), loss)
    if zero_infinity:
        loss = jnp.where(impossible, jnp.zeros_like(loss), loss)
    if reduction == "mean":
        return jnp.mean(loss / jnp.maximum(tgt_len, 1).astype(lp.dtype))
    if reduction == "sum":
        return jnp.sum(loss)
    return loss


@defop(n_in=2, grad=lambda out_shape: f"MaxUnpool{len(out_shape)}DBackward0")
def max_unpool(x, indices, out_shape):
    """x, indices (N, C, *spatial); indices index the flattened output plane."""
    n, c = x.shape[:2]
    size = 1
    for s in out_shape:
        size *= s
    flat = jnp.zeros((n, c, size), x.dtype)
    at = (jnp.arange(n)[:, None, None], jnp.arange(c)[None, :, None], indices.reshape(n, c, -1))
    xs = x.reshape(n, c, -1)
    # values by set (a repeated index keeps one value); the gradient of every input element
    # is the output gradient at its index, as PyTorch's (a zero-valued scatter-add carries it)
    out = flat.at[at].set(lax.stop_gradient(xs)) + flat.at[at].add(xs - lax.stop_gradient(xs))
    return out.reshape((n, c) + tuple(out_shape))


@defop(n_in=2, grad="MultilabelMarginLossBackward0")
def multilabel_margin_loss(x, target, reduction):
    one_d = x.ndim == 1
    if one_d:
        x, target = x[None], target[None]
    n, c = x.shape
    valid = jnp.cumprod(target != -1, axis=1).astype(bool)        # up to the first -1
    t = jnp.where(valid, target, 0)
    is_target = jnp.zeros((n, c), bool).at[jnp.arange(n)[:, None], t].max(valid)
    xt = jnp.take_along_axis(x, t, axis=1)                          # (n, S)
    margins = jnp.maximum(0, 1 - xt[:, :, None] + x[:, None, :])     # (n, S, C)
    mask = valid[:, :, None] & ~is_target[:, None, :]
    loss = jnp.sum(jnp.where(mask, margins, 0), axis=(1, 2)) / c
    if reduction == "mean":
        return jnp.mean(loss)
    if reduction == "sum":
        return jnp.sum(loss)
    return loss[0] if one_d else loss
