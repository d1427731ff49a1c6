"""Pure-jax ops used by `torchlike.nn`: convolution, pooling, normalisation, embedding,
dropout, losses, padding, resampling, attention and recurrent layers.

Each is registered once in the op table with PyTorch's autograd node name; gradients are
jax.vjp of these functions. Where PyTorch's gradient convention differs from jax's default
(max-pooling ties go to the first maximum, hardtanh's bounds), the function is written so that
its vjp matches PyTorch.
"""
from __future__ import annotations

import functools
import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .registry import defop

# ------------------------------------------------------------------------- convolution

_DN = {1: ("NCH", "OIH", "NCH"), 2: ("NCHW", "OIHW", "NCHW"), 3: ("NCDHW", "OIDHW", "NCDHW")}


@defop(n_in=3, promote=None, grad="ConvolutionBackward0")
def convolution(x, w, b, stride, padding, dilation, groups, transposed, output_padding):
    """padding: ((lo, hi), ...) per spatial dim. Transposed weights are (Cin, Cout/g, *k)."""
    nd = x.ndim - 2
    if (not transposed and nd == 2 and groups == 1 and jnp.issubdtype(x.dtype, jnp.floating)
            and w.shape[1] * w.shape[2] * w.shape[3] <= 1024 and jax.default_backend() == "cpu"):
        y = _conv2d_cpu(x, w, tuple(stride), tuple(map(tuple, padding)), tuple(dilation))
    elif not transposed:
        y = lax.conv_general_dilated(x, w, window_strides=stride, padding=padding,
                                     rhs_dilation=dilation, dimension_numbers=_DN[nd],
                                     feature_group_count=groups)
    else:
        cin, cout_g = w.shape[0], w.shape[1]
        k = w.shape[2:]
        wt = w.reshape((groups, cin // groups, cout_g) + k)
        wt = jnp.swapaxes(wt, 1, 2).reshape((groups * cout_g, cin // groups) + k)
        wt = jnp.flip(wt, axis=tuple(range(2, 2 + nd)))
        pads = [(d * (kk - 1) - lo, d * (kk - 1) - hi + op)
                for kk, d, (lo, hi), op in zip(k, dilation, padding, output_padding)]
        y = lax.conv_general_dilated(x, wt, window_strides=(1,) * nd, padding=pads,
                                     lhs_dilation=stride, rhs_dilation=dilation,
                                     dimension_numbers=_DN[nd], feature_group_count=groups)
    if b is not None:
        y = y + b.reshape((1, -1) + (1,) * nd)
    return y


def _conv2d_patches(x, w, stride, padding, dilation):
    """A 2-D convolution as one matmul, (O, C*kh*kw) @ (C*kh*kw, N*OH*OW), over patches cut by
    strided slices. On XLA's CPU backend this is 1.3-3x faster than its convolution (forward and
    input gradient) for the small-channel nets of the tutorials (`benchmarks/conv_lowering.py`)."""
    n, c = x.shape[:2]
    o, _, kh, kw = w.shape
    if any(lo or hi for lo, hi in padding):
        x = jnp.pad(x, ((0, 0), (0, 0), *padding))
    (sh, sw), (dh, dw) = stride, dilation
    oh = (x.shape[2] - dh * (kh - 1) - 1) // sh + 1
    ow = (x.shape[3] - dw * (kw - 1) - 1) // sw + 1
    xc = jnp.transpose(x, (1, 0, 2, 3))
    cols = [lax.slice(xc, (0, 0, i * dh, j * dw),
                      (c, n, i * dh + (oh - 1) * sh + 1, j * dw + (ow - 1) * sw + 1),
                      (1, 1, sh, sw)) for i in range(kh) for j in range(kw)]
    patches = jnp.stack(cols, axis=1).reshape(c * kh * kw, n * oh * ow)
    y = w.reshape(o, -1) @ patches
    return jnp.transpose(y.reshape(o, n, oh, ow), (1, 0, 2, 3))


@functools.partial(jax.custom_jvp, nondiff_argnums=(2, 3, 4))
def _conv2d_cpu(x, w, stride, padding, dilation):
    """The patches convolution, differentiated so that its transpose (the backward pass) gives
    the input gradient through the patches and the weight gradient through XLA's own
    convolution, the faster of the two for each (`benchmarks/conv_lowering.py`)."""
    return _conv2d_patches(x, w, stride, padding, dilation)


@_conv2d_cpu.defjvp
def _conv2d_cpu_jvp(stride, padding, dilation, primals, tangents):
    x, w = primals
    dx, dw = tangents
    y = _conv2d_patches(x, w, stride, padding, dilation)
    dy = (_conv2d_patches(dx, w, stride, padding, dilation)
          + lax.conv_general_dilated(x, dw, window_strides=stride, padding=padding,
                                     rhs_dilation=dilation, dimension_numbers=_DN[2]))
    return y, dy


# ------------------------------------------------------------------------------ pooling


def pool_out_size(n, k, s, p, d, ceil_mode):
    eff = d * (k - 1) + 1
    num = n + 2 * p - eff
    if ceil_mode:
        o = -(-num // s) + 1
        if (o - 1) * s >= n + p:
            o -= 1
    else:
        o = num // s + 1
    return o


def _patches(x, kernel, stride, padding, dilation, ceil_mode, fill):
    """Windows of the last len(kernel) dims, stacked on a new last axis (row-major order)."""
    nd = len(kernel)
    spatial = x.shape[-nd:]
    outs = [pool_out_size(n, k, s, p, d, ceil_mode)
            for n, k, s, p, d in zip(spatial, kernel, stride, padding, dilation)]
    pads = []
    for n, k, s, p, d, o in zip(spatial, kernel, stride, padding, dilation, outs):
        need = (o - 1) * s + d * (k - 1) + 1
        pads.append((p, max(need - n - p, 0)))
    lead = x.ndim - nd
    xp = jnp.pad(x, [(0, 0)] * lead + pads, constant_values=fill) if any(
        a or b for a, b in pads) else x
    cols = []
    for offs in itertools.product(*[range(k) for k in kernel]):
        idx = tuple(slice(o_ * d, o_ * d + (o - 1) * s + 1, s)
                    for o_, d, s, o in zip(offs, dilation, stride, outs))
        cols.append(xp[(Ellipsis,) + idx])
    return jnp.stack(cols, axis=-1), outs


def _tiles(x, kernel):
    """Non-overlapping windows (stride == kernel, no padding) by reshape and transpose, in the
    same row-major window order as `_patches`."""
    nd = len(kernel)
    lead = x.shape[:-nd]
    outs = [n // k for n, k in zip(x.shape[-nd:], kernel)]
    shape = lead + tuple(v for o, k in zip(outs, kernel) for v in (o, k))
    y = x.reshape(shape)
    L = len(lead)
    perm = tuple(range(L)) + tuple(L + 2 * i for i in range(nd)) + tuple(L + 2 * i + 1
                                                                           for i in range(nd))
    return y.transpose(perm).reshape(lead + tuple(outs) + (-1,)), outs


def _pool_positions(spatial, kernel, stride, padding, dilation, outs):
    """Flat input index of every (output position, kernel offset) pair, as numpy."""
    nd = len(kernel)
    grids = []
    for dim in range(nd):
        o = np.arange(outs[dim])[:, None]
        kk = np.arange(kernel[dim])[None, :]
        grids.append(o * stride[dim] - padding[dim] + kk * dilation[dim])  # (O, K)
    flat = np.zeros(tuple(outs) + tuple(kernel), np.int64)
    mult = 1
    for dim in reversed(range(nd)):
        shape = [1] * (2 * nd)
        shape[dim] = outs[dim]
        shape[nd + dim] = kernel[dim]
        flat = flat + grids[dim].reshape(shape) * mult
        mult *= spatial[dim]
    # to (outs..., prod(kernel)) in the same row-major order as _patches
    return flat.reshape(tuple(outs) + (-1,))


@defop(promote=None, grad=lambda kernel, stride, padding, dilation, ceil_mode:
       f"MaxPool{len(kernel)}DWithIndicesBackward0")
def max_pool(x, kernel, stride, padding, dilation, ceil_mode):
    """Returns (values, indices). Ties go to the first maximum in window order, like PyTorch."""
    fill = -jnp.inf if jnp.issubdtype(x.dtype, jnp.floating) else jnp.iinfo(x.dtype).min
    nd = len(kernel)
    if (tuple(stride) == tuple(kernel) and not any(padding) and all(d == 1 for d in dilation)
            and all(n % k == 0 for n, k in zip(x.shape[-nd:], kernel))):
        cols, outs = _tiles(x, kernel)  # non-overlapping windows: a reshape, no gathers
    else:
        cols, outs = _patches(x, kernel, stride, padding, dilation, ceil_mode, fill)
    nanfirst = jnp.where(jnp.isnan(cols), jnp.inf, cols) if jnp.issubdtype(
        x.dtype, jnp.floating) else cols
    am = jnp.argmax(nanfirst, axis=-1)
    # select with a one-hot mask rather than take_along_axis: its gradient is a select, where
    # take_along_axis's is a scatter (slow on XLA's CPU backend)
    onehot = am[..., None] == jnp.arange(cols.shape[-1])
    vals = jnp.sum(jnp.where(onehot, cols, jnp.zeros((), cols.dtype)), axis=-1)
    pos = jnp.asarray(_pool_positions(x.shape[-len(kernel):], kernel, stride, padding,
                                      dilation, outs))
    bshape = (1,) * (x.ndim - len(kernel)) + pos.shape
    idx = jnp.take_along_axis(jnp.broadcast_to(pos.reshape(bshape), am.shape + pos.shape[-1:]),
                              am[..., None], axis=-1)[..., 0]
    return vals, idx


def _avg_divisor(spatial, kernel, stride, padding, ceil_mode, count_include_pad, outs):
    per_dim = []
    for n, k, s, p, o in zip(spatial, kernel, stride, padding, outs):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        size = end - start
        cstart, cend = np.maximum(start, 0), np.minimum(end, n)
        per_dim.append(size if count_include_pad else cend - cstart)
    div = per_dim[0].astype(np.float64)
    for d in per_dim[1:]:
        div = np.multiply.outer(div, d)
    return div


@defop(promote=None, grad=lambda kernel, stride, padding, ceil_mode, count_include_pad,
       divisor_override: f"AvgPool{len(kernel)}DBackward0")
def avg_pool(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    nd = len(kernel)
    cols, outs = _patches(x, kernel, stride, padding, (1,) * nd, ceil_mode, 0)
    s = jnp.sum(cols, axis=-1)
    if divisor_override:
        return s / jnp.asarray(divisor_override, x.dtype)
    div = _avg_divisor(x.shape[-nd:], kernel, stride, padding, ceil_mode, count_include_pad,
                       outs)
    return s / jnp.asarray(div, x.dtype)


def _adaptive_ranges(n, o):
    start = (np.arange(o) * n) // o
    end = -((-(np.arange(o) + 1) * n) // o)
    return start, end


@defop(promote=None, grad=lambda out_size: f"AdaptiveAvgPool{len(out_size)}DBackward0")
def adaptive_avg_pool(x, out_size):
    nd = len(out_size)
    y = x
    for i, o in enumerate(out_size):
        n = x.shape[x.ndim - nd + i]
        st, en = _adaptive_ranges(n, o)
        m = np.zeros((o, n), np.float64)
        for j in range(o):
            m[j, st[j]:en[j]] = 1.0 / (en[j] - st[j])
        axis = y.ndim - nd + i
        y = jnp.moveaxis(jnp.tensordot(y, jnp.asarray(m, x.dtype), axes=([axis], [1])), -1,
                         axis)
    return y


@defop(promote=None, grad=lambda out_size: f"AdaptiveMaxPool{len(out_size)}DBackward0")
def adaptive_max_pool(x, out_size):
    nd = len(out_size)
    spatial = x.shape[-nd:]
    idx_arrays, valid, kmax = [], [], []
    for n, o in zip(spatial, out_size):
        st, en = _adaptive_ranges(n, o)
        km = int((en - st).max())
        r = st[:, None] + np.arange(km)[None, :]
        valid.append(r < en[:, None])
        idx_arrays.append(np.minimum(r, n - 1))
        kmax.append(km)
    # gather windows: shape (..., O1, ..., Ond, K1, ..., Knd)
    index = []
    for dim in range(nd):
        shape = [1] * (2 * nd)
        shape[dim] = out_size[dim]
        shape[nd + dim] = kmax[dim]
        index.append(jnp.asarray(idx_arrays[dim].reshape(shape)))
    cols = x[(Ellipsis,) + tuple(index)]
    mask = np.ones(tuple(out_size) + tuple(kmax), bool)
    flat = np.zeros(tuple(out_size) + tuple(kmax), np.int64)
    mult = 1
    for dim in reversed(range(nd)):
        shape = [1] * (2 * nd)
        shape[dim] = out_size[dim]
        shape[nd + dim] = kmax[dim]
        mask = mask & valid[dim].reshape(shape)
        flat = flat + idx_arrays[dim].reshape(shape) * mult
        mult *= spatial[dim]
    lead = cols.shape[:x.ndim - nd]
    cols = cols.reshape(lead + tuple(out_size) + (-1,))
    mask = jnp.asarray(mask.reshape(tuple(out_size) + (-1,)))
    flat = jnp.asarray(flat.reshape(tuple(out_size) + (-1,)))
    neg = jnp.asarray(-jnp.inf, x.dtype)
    sel = jnp.where(mask, jnp.where(jnp.isnan(cols), jnp.inf, cols), neg)
    am = jnp.argmax(sel, axis=-1)
    vals = jnp.take_along_axis(cols, am[..., None], axis=-1)[..., 0]
    idx = jnp.take_along_axis(jnp.broadcast_to(flat, cols.shape), am[..., None], axis=-1)[..., 0]
    return vals, idx


# ------------------------------------------------------------------------ normalisation


def _bshape(x):
    return (1, -1) + (1,) * (x.ndim - 2)


def _half_in_f32(fn):
    """Normalizations of float16/bfloat16 inputs compute in float32 and round once to the
    input's dtype, whatever the dtype of the affine parameters, as PyTorch's CPU kernels do
    (a bfloat16 input with float32 weights gives bfloat16, e.g. a LayerNorm under autocast)."""
    @functools.wraps(fn)
    def wrapped(x, *args, **kwargs):
        if x.dtype not in (jnp.bfloat16, jnp.float16):
            return fn(x, *args, **kwargs)
        args = [a.astype(jnp.float32) if hasattr(a, "dtype") and
                jnp.issubdtype(a.dtype, jnp.floating) else a for a in args]
        return fn(x.astype(jnp.float32), *args, **kwargs).astype(x.dtype)
    return wrapped


@defop(n_in=5, promote=None, grad="NativeBatchNormBackward0")
@_half_in_f32
def batch_norm(x, w, b, rm, rv, training, eps):
    axes = (0,) + tuple(range(2, x.ndim))
    sh = _bshape(x)
    if training or rm is None:
        mean = jnp.mean(x, axis=axes, keepdims=True)
        var = jnp.mean(jnp.square(x - mean), axis=axes, keepdims=True)
    else:
        mean, var = rm.reshape(sh).astype(x.dtype), rv.reshape(sh).astype(x.dtype)
    y = (x - mean) * lax.rsqrt(var + eps)
    if w is not None:
        y = y * w.reshape(sh)
    if b is not None:
        y = y + b.reshape(sh)
    return y


@defop(n_in=4, promote=None, differentiable=False)
def batch_norm_stats_update(x, rm, rv, momentum):
    axes = (0,) + tuple(range(2, x.ndim))
    n = x.size // x.shape[1]
    mean = jnp.mean(x, axis=axes)
    var = jnp.sum(jnp.square(x - mean.reshape(_bshape(x))), axis=axes) / max(n - 1, 1)
    m = jnp.asarray(momentum, rm.dtype)
    return ((1 - m) * rm + m * mean.astype(rm.dtype),
            (1 - m) * rv + m * var.astype(rv.dtype))


@defop(n_in=3, promote=None, grad="NativeLayerNormBackward0")
@_half_in_f32
def layer_norm(x, w, b, normalized_shape, eps):
    axes = tuple(range(x.ndim - len(normalized_shape), x.ndim))
    mean = jnp.mean(x, axis=axes, keepdims=True)
    var = jnp.mean(jnp.square(x - mean), axis=axes, keepdims=True)
    y = (x - mean) * lax.rsqrt(var + eps)
    if w is not None:
        y = y * w
    if b is not None:
        y = y + b
    return y


@defop(n_in=2, promote=None, grad="RmsNormBackward0")
def rms_norm(x, w, normalized_shape, eps):
    axes = tuple(range(x.ndim - len(normalized_shape), x.ndim))
    if eps is None:
        eps = float(jnp.finfo(x.dtype).eps)
    y = x * lax.rsqrt(jnp.mean(jnp.square(x), axis=axes, keepdims=True) + eps)
    return y * w if w is not None else y


@defop(n_in=3, promote=None, grad="NativeGroupNormBackward0")
@_half_in_f32
def group_norm(x, w, b, num_groups, eps):
    n = x.shape[0]
    xg = x.reshape((n, num_groups, -1))
    mean = jnp.mean(xg, axis=-1, keepdims=True)
    var = jnp.mean(jnp.square(xg - mean), axis=-1, keepdims=True)
    y = ((xg - mean) * lax.rsqrt(var + eps)).reshape(x.shape)
    sh = _bshape(x)
    if w is not None:
        y = y * w.reshape(sh)
    if b is not None:
        y = y + b.reshape(sh)
    return y


# ---------------------------------------------------------------------- embedding, dropout


@defop(n_in=2, promote=None, grad="EmbeddingBackward0")
def embedding(w, idx, padding_idx, scale_grad_by_freq=False):
    out = jnp.take(w, idx, axis=0)
    if scale_grad_by_freq:
        # the same value; the gradient of each row divided by how often its index occurs
        counts = jnp.zeros((w.shape[0],), w.dtype).at[idx.reshape(-1)].add(1)
        s = (1 / counts[idx])[..., None].astype(out.dtype)
        out = lax.stop_gradient(out) + (out - lax.stop_gradient(out)) * s
    if padding_idx is not None:
        out = jnp.where((idx == padding_idx)[..., None], lax.stop_gradient(out), out)
    return out


@defop(n_in=4, promote=None, grad="EmbeddingBagBackward0")
def embedding_bag(w, idx, offsets, psw, mode, padding_idx, include_last_offset):
    """idx 1-D with offsets (bags = segments); returns (N, D)."""
    n_idx = idx.shape[0]
    nb = offsets.shape[0] - (1 if include_last_offset else 0)
    seg = jnp.searchsorted(offsets[:nb], jnp.arange(n_idx), side="right") - 1
    rows = jnp.take(w, idx, axis=0)
    keep = jnp.ones((n_idx,), bool) if padding_idx is None else idx != padding_idx
    if psw is not None:
        rows = rows * psw[:, None]
    if mode == "max":
        neg = jnp.where(keep[:, None], rows, -jnp.inf)
        out = jax.ops.segment_max(neg, seg, num_segments=nb)
        return jnp.where(jnp.isneginf(out), 0, out).astype(w.dtype)
    rows = jnp.where(keep[:, None], rows, 0)
    out = jax.ops.segment_sum(rows, seg, num_segments=nb)
    if mode == "mean":
        cnt = jax.ops.segment_sum(keep.astype(w.dtype), seg, num_segments=nb)
        out = out / jnp.maximum(cnt, 1)[:, None]
    return out


@defop(n_in=2, promote=None, grad="MulBackward0")
def dropout(x, key, p, mask_dims):
    """mask_dims: how many leading dims the mask varies over (None: all; 2 for Dropout2d)."""
    shape = x.shape if mask_dims is None else x.shape[:mask_dims] + (1,) * (x.ndim - mask_dims)
    if p >= 1:
        return x * jnp.zeros(shape, x.dtype)
    keep = jax.random.bernoulli(key, 1 - p, shape)
    return x * (keep.astype(x.dtype) * jnp.asarray(1 / (1 - p), x.dtype))


@defop(n_in=2, promote=None, grad="AddBackward0")
def alpha_dropout(x, key, p, feature):
    alpha_p = -1.7580993408473766
    shape = x.shape[:2] + (1,) * (x.ndim - 2) if feature else x.shape
    keep = jax.random.bernoulli(key, 1 - p, shape).astype(x.dtype)
    a = ((1 - p) * (1 + p * alpha_p ** 2)) ** -0.5
    bb = -a * alpha_p * p
    return (x * keep + alpha_p * (1 - keep)) * a + bb


# -------------------------------------------------------------------------- activations


@defop(promote="float", grad="CeluBackward0")
def celu(x, alpha=1.0):
    return jnp.where(x > 0, x, alpha * jnp.expm1(x / alpha))


@defop(promote="float", grad="MishBackward0")
def mish(x):
    return x * jnp.tanh(jax.nn.softplus(x))


@defop(promote="float", grad="HardsigmoidBackward0")
def hardsigmoid(x):
    # PyTorch's gradient is 1/6 strictly inside (-3, 3) and 0 at and outside the bounds
    inside = (x > -3) & (x < 3)
    return jnp.where(inside, x / 6 + 0.5, jnp.where(x >= 3, 1.0, 0.0).astype(x.dtype))


@defop(promote="float", grad="HardswishBackward0")
def hardswish(x):
    mid = x * (x + 3) / 6
    return jnp.where(x <= -3, jnp.zeros_like(x), jnp.where(x >= 3, x, mid))


@defop(promote="same", grad="SoftshrinkBackward0")
def softshrink(x, lambd=0.5):
    return jnp.where(x > lambd, x - lambd, jnp.where(x < -lambd, x + lambd, jnp.zeros_like(x)))


@defop(promote="same", grad="HardshrinkBackward0")
def hardshrink(x, lambd=0.5):
    return jnp.where((x > lambd) | (x < -lambd), x, jnp.zeros_like(x))


@defop(n_in=2, promote="same", grad="PreluKernelBackward0")
def prelu(x, w):
    if w.size == 1:
        ww = w.reshape(())
    else:
        ww = w.reshape((1, -1) + (1,) * (x.ndim - 2)) if x.ndim >= 2 else w
    return jnp.where(x > 0, x, ww * x)


@defop(promote="same", grad="HardtanhBackward0")
def hardtanh_pt(x, min_val=-1.0, max_val=1.0):
    """hardtanh with PyTorch's gradient: zero at and outside the bounds."""
    lo = jnp.asarray(min_val, x.dtype)
    hi = jnp.asarray(max_val, x.dtype)
    return jnp.where(x <= lo, lo, jnp.where(x >= hi, hi, x))


@defop(n_in=1, promote="float", grad="GluBackward0")
def glu(x, dim):
    a, b = jnp.split(x, 2, axis=dim)
    return a * jax.nn.sigmoid(b)


@defop(promote="float", grad="RreluWithNoiseBackward0")
def rrelu_eval(x, lower, upper):
    return jnp.where(x >= 0, x, x * ((lower + upper) / 2))


# ------------------------------------------------------------------------------- losses


def _reduce(loss, reduction):
    if reduction == "mean":
        return jnp.mean(loss)
    if reduction == "sum":
        return jnp.sum(loss)
    return loss


@defop(n_in=2, promote="same", grad="MseLossBackward0")
def mse_loss(x, y, reduction):
    return _reduce(jnp.square(x - y), reduction)


@defop(n_in=2, promote="same", grad="SmoothL1LossBackward0")
def smooth_l1_loss(x, y, reduction, beta):
    d = jnp.abs(x - y)
    if beta == 0:
        return _reduce(d, reduction)
    return _reduce(jnp.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta), reduction)


@defop(n_in=2, promote="same", grad="HuberLossBackward0")
def huber_loss(x, y, reduction, delta):
    d = jnp.abs(x - y)
    return _reduce(jnp.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta)), reduction)


@defop(n_in=3, promote=None, grad=lambda reduction, ignore_index, nd:
       "NllLoss2DBackward0" if nd == 4 else "NllLossBackward0")
def nll_loss(logp, target, weight, reduction, ignore_index, nd):
    if logp.ndim == 1:
        lp = logp[None]
        tg = target[None]
    else:
        lp = jnp.moveaxis(logp, 1, -1)
        tg = target
    valid = tg != ignore_index
    safe = jnp.where(valid, tg, 0)
    picked = jnp.take_along_axis(lp, safe[..., None].astype(jnp.int32), axis=-1)[..., 0]
    w = jnp.ones_like(picked) if weight is None else jnp.take(weight, safe).astype(lp.dtype)
    w = jnp.where(valid, w, 0)
    loss = -picked * w
    if logp.ndim == 1:
        loss, w = loss[0], w[0]
    if reduction == "mean":
        return jnp.sum(loss) / jnp.sum(w)
    if reduction == "sum":
        return jnp.sum(loss)
    return loss


@jax.custom_vjp
def _bce(x, y):
    lx = jnp.maximum(jnp.log(x), -100.0)
    l1x = jnp.maximum(jnp.log1p(-x), -100.0)
    return -(y * lx + (1 - y) * l1x)


def _bce_fwd(x, y):
    return _bce(x, y), (x, y)


def _bce_bwd(res, g):
    # PyTorch's rule: (x - y) / max((1 - x) x, 1e-12); finite where the clamped logs saturate
    x, y = res
    gx = g * (x - y) / jnp.maximum((1 - x) * x, jnp.asarray(1e-12, x.dtype))
    lx = jnp.maximum(jnp.log(x), -100.0)
    l1x = jnp.maximum(jnp.log1p(-x), -100.0)
    return gx.astype(x.dtype), (g * (l1x - lx)).astype(y.dtype)


_bce.defvjp(_bce_fwd, _bce_bwd)


@defop(n_in=3, promote=None, grad="BinaryCrossEntropyBackward0")
def binary_cross_entropy(x, y, w, reduction):
    loss = _bce(x, y)
    if w is not None:
        loss = loss * w
    return _reduce(loss, reduction)


@defop(n_in=4, promote=None, grad="BinaryCrossEntropyWithLogitsBackward0")
def binary_cross_entropy_with_logits(x, y, w, pos_weight, reduction):
    if pos_weight is not None:
        log_weight = (pos_weight - 1) * y + 1
        loss = (1 - y) * x + log_weight * (jnp.log1p(jnp.exp(-jnp.abs(x)))
                                           + jnp.maximum(-x, 0))
    else:
        max_val = jnp.maximum(-x, 0)
        loss = (1 - y) * x + max_val + jnp.log(jnp.exp(-max_val) + jnp.exp(-x - max_val))
    if w is not None:
        loss = loss * w
    return _reduce(loss, reduction)


@defop(n_in=2, promote="same", grad="SoftMarginLossBackward0")
def soft_margin_loss(x, y, reduction):
    return _reduce(jnp.log1p(jnp.exp(-y * x)), reduction)


@defop(n_in=2, promote=None, grad="PoissonNllLossBackward0")
def poisson_nll_loss(x, y, log_input, full, eps, reduction):
    if log_input:
        loss = jnp.exp(x) - y * x
    else:
        loss = x - y * jnp.log(x + eps)
    if full:
        st = y * jnp.log(y) - y + 0.5 * jnp.log(2 * jnp.pi * y)
        loss = loss + jnp.where(y > 1, st, 0)
    return _reduce(loss, reduction)


@defop(n_in=3, promote=None, grad="MultiMarginLossBackward0")
def multi_margin_loss(x, y, w, p, margin, reduction):
    x2 = x if x.ndim == 2 else x[None]
    y2 = y.reshape(-1)
    xy = jnp.take_along_axis(x2, y2[:, None], axis=1)
    z = jnp.maximum(margin - xy + x2, 0)
    if p == 2:
        z = z * z
    if w is not None:
        z = z * jnp.take(w, y2)[:, None]
    z = jnp.where(jnp.arange(x2.shape[1])[None, :] == y2[:, None], 0, z)
    loss = jnp.sum(z, axis=1) / x2.shape[1]
    if x.ndim == 1:
        loss = loss[0]
    return _reduce(loss, reduction)


# ------------------------------------------------------------------- padding, resampling


@defop(promote=None, grad=lambda pads, mode, value: {
    "constant": "ConstantPadNdBackward0",
    "reflect": f"ReflectionPad{len(pads)}DBackward0",
    "replicate": f"ReplicationPad{len(pads)}DBackward0",
    "circular": "CatBackward0"}[mode])
def pad_nd(x, pads, mode, value):
    """pads: ((lo, hi), ...) for the last len(pads) dims, first dim first."""
    lead = x.ndim - len(pads)
    if mode == "constant":
        cfg = [(0, 0, 0)] * lead + [(lo, hi, 0) for lo, hi in pads]
        return lax.pad(x, jnp.asarray(value, x.dtype), cfg)
    if mode == "circular":
        y = x
        for i, (lo, hi) in enumerate(pads):
            ax = lead + i
            n = y.shape[ax]
            idx = (np.arange(-lo, n + hi)) % n
            y = jnp.take(y, jnp.asarray(idx), axis=ax)
        return y
    jmode = {"reflect": "reflect", "replicate": "edge"}[mode]
    return jnp.pad(x, [(0, 0)] * lead + list(pads), mode=jmode)


def _src_scale(n_in, n_out, align_corners, scale):
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    if scale is not None and scale > 0:
        return 1.0 / scale
    return n_in / n_out


def _linear_matrix(n_in, n_out, align_corners, scale, cubic=False):
    r = _src_scale(n_in, n_out, align_corners, scale)
    m = np.zeros((n_out, n_in), np.float64)
    for o in range(n_out):
        if align_corners:
            src = r * o
        else:
            src = r * (o + 0.5) - 0.5
            if not cubic and src < 0:
                src = 0.0
        if cubic:
            i0 = math.floor(src)
            t = src - i0
            a = -0.75
            ws = [((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a,
                  ((a + 2) * t - (a + 3)) * t * t + 1,
                  ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1,
                  ((a * (2 - t) - 5 * a) * (2 - t) + 8 * a) * (2 - t) - 4 * a]
            for j, wgt in zip(range(i0 - 1, i0 + 3), ws):
                m[o, min(max(j, 0), n_in - 1)] += wgt
            continue
        i0 = int(src)
        i1 = i0 + (1 if i0 < n_in - 1 else 0)
        l1 = src - i0
        m[o, i0] += 1.0 - l1
        m[o, i1] += l1
    return m


@defop(promote=None, grad=lambda size, mode, align_corners, scales:
       {"linear": "UpsampleLinear1DBackward0", "bilinear": "UpsampleBilinear2DBackward0",
        "trilinear": "UpsampleTrilinear3DBackward0",
        "bicubic": "UpsampleBicubic2DBackward0"}[mode])
def upsample_linear(x, size, mode, align_corners, scales):
    nd = len(size)
    y = x
    for i, o in enumerate(size):
        axis = x.ndim - nd + i
        n = x.shape[axis]
        m = _linear_matrix(n, o, align_corners, scales[i], cubic=mode == "bicubic")
        y = jnp.moveaxis(jnp.tensordot(y, jnp.asarray(m, x.dtype), axes=([axis], [1])), -1,
                         axis)
    return y


@defop(promote=None, grad=lambda size, scales, exact:
       f"Upsample{'NearestExact' if exact else 'Nearest'}{len(size)}DBackward0")
def upsample_nearest(x, size, scales, exact):
    nd = len(size)
    y = x
    for i, o in enumerate(size):
        axis = x.ndim - nd + i
        n = x.shape[axis]
        r = (1.0 / scales[i]) if scales[i] else n / o
        if exact:
            idx = np.minimum(np.floor((np.arange(o) + 0.5) * r).astype(np.int64), n - 1)
        else:
            idx = np.minimum(np.floor(np.arange(o).astype(np.float32) * np.float32(r)).astype(
                np.int64), n - 1)
        y = jnp.take(y, jnp.asarray(idx), axis=axis)
    return y


@defop(promote=None, grad="PixelShuffleBackward0")
def pixel_shuffle(x, r):
    *lead, c, h, w = x.shape
    oc = c // (r * r)
    y = x.reshape(tuple(lead) + (oc, r, r, h, w))
    n = len(lead)
    y = jnp.transpose(y, tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2))
    return y.reshape(tuple(lead) + (oc, h * r, w * r))


@defop(promote=None, grad="PixelUnshuffleBackward0")
def pixel_unshuffle(x, r):
    *lead, c, h, w = x.shape
    y = x.reshape(tuple(lead) + (c, h // r, r, w // r, r))
    n = len(lead)
    y = jnp.transpose(y, tuple(range(n)) + (n, n + 2, n + 4, n + 1, n + 3))
    return y.reshape(tuple(lead) + (c * r * r, h // r, w // r))


def _im2col(x, kernel, dilation, padding, stride):
    n, c = x.shape[0], x.shape[1]
    cols, outs = _patches(x, kernel, stride, padding, dilation, False, 0)
    # cols: (N, C, oh, ow, K) -> (N, C*K, L)
    cols = jnp.moveaxis(cols, -1, 2)
    return cols.reshape((n, c * cols.shape[2], -1))


@defop(promote=None, grad="Im2ColBackward0")
def im2col(x, kernel, dilation, padding, stride):
    return _im2col(x, kernel, dilation, padding, stride)


@defop(promote=None, grad="Col2ImBackward0")
def col2im(cols, output_size, kernel, dilation, padding, stride):
    n = cols.shape[0]
    c = cols.shape[1] // math.prod(kernel)
    zeros = jnp.zeros((n, c) + tuple(output_size), cols.dtype)
    _, vjp = jax.vjp(lambda z: _im2col(z, kernel, dilation, padding, stride), zeros)
    return vjp(cols)[0]


# ------------------------------------------------------------------- grid sampling


@defop(promote=None, grad="AffineGridGeneratorBackward0")
def affine_grid(theta, size, align_corners):
    def lin(n):
        if n <= 1:
            return jnp.zeros((max(n, 1),), theta.dtype)
        v = jnp.linspace(-1.0, 1.0, n, dtype=theta.dtype)
        return v if align_corners else v * (n - 1) / n
    if len(size) == 4:
        _, _, h, w = size
        ys, xs = jnp.meshgrid(lin(h), lin(w), indexing="ij")
        base = jnp.stack([xs, ys, jnp.ones_like(xs)], axis=-1)  # (H, W, 3)
        return jnp.einsum("hwk,njk->nhwj", base, theta)
    _, _, d, h, w = size
    zs, ys, xs = jnp.meshgrid(lin(d), lin(h), lin(w), indexing="ij")
    base = jnp.stack([xs, ys, zs, jnp.ones_like(xs)], axis=-1)
    return jnp.einsum("dhwk,njk->ndhwj", base, theta)


def _unnormalize(coord, size, align_corners):
    if align_corners:
        return (coord + 1) / 2 * (size - 1)
    return ((coord + 1) * size - 1) / 2


def _reflect(coord, lo, hi):
    span = hi - lo
    if span <= 0:
        return jnp.zeros_like(coord)
    c = jnp.abs(coord - lo)
    extra = jnp.mod(c, span)
    flips = jnp.floor(c / span)
    return jnp.where(jnp.mod(flips, 2) == 0, extra + lo, span - extra + lo)


@defop(n_in=2, promote=None, grad="GridSampler2DBackward0")
def grid_sample2d(x, grid, mode, padding_mode, align_corners):
    n, c, h, w = x.shape
    gx = _unnormalize(grid[..., 0], w, align_corners)
    gy = _unnormalize(grid[..., 1], h, align_corners)
    if padding_mode == "border":
        gx = jnp.clip(gx, 0, w - 1)
        gy = jnp.clip(gy, 0, h - 1)
    elif padding_mode == "reflection":
        if align_corners:
            gx = _reflect(gx, 0, w - 1)
            gy = _reflect(gy, 0, h - 1)
        else:
            gx = _reflect(gx, -0.5, w - 0.5)
            gy = _reflect(gy, -0.5, h - 0.5)
        gx = jnp.clip(gx, 0, w - 1)
        gy = jnp.clip(gy, 0, h - 1)
    bidx = jnp.arange(n)[:, None, None]

    def tap(iy, ix):
        inb = (ix >= 0) & (ix <= w - 1) & (iy >= 0) & (iy <= h - 1)
        cx = jnp.clip(ix, 0, w - 1).astype(jnp.int32)
        cy = jnp.clip(iy, 0, h - 1).astype(jnp.int32)
        v = x[bidx, :, cy, cx]  # (N, Ho, Wo, C)
        return jnp.where(inb[..., None], v, 0)

    if mode == "nearest":
        ix = jnp.round(gx)
        iy = jnp.round(gy)
        out = tap(iy, ix)
    else:
        x0 = jnp.floor(gx)
        y0 = jnp.floor(gy)
        x1, y1 = x0 + 1, y0 + 1
        wx1 = gx - x0
        wx0 = 1 - wx1
        wy1 = gy - y0
        wy0 = 1 - wy1
        out = (tap(y0, x0) * (wx0 * wy0)[..., None] + tap(y0, x1) * (wx1 * wy0)[..., None]
               + tap(y1, x0) * (wx0 * wy1)[..., None] + tap(y1, x1) * (wx1 * wy1)[..., None])
    return jnp.moveaxis(out, -1, 1)


# ------------------------------------------------------------------------ attention


@defop(n_in=5, promote=None, grad="ScaledDotProductFlashAttentionForCpuBackward0")
def sdpa(q, k, v, mask, key, dropout_p, is_causal, scale, enable_gqa):
    sc = (1.0 / math.sqrt(q.shape[-1])) if scale is None else scale
    if enable_gqa and k.shape[-3] != q.shape[-3]:
        rep = q.shape[-3] // k.shape[-3]
        k = jnp.repeat(k, rep, axis=-3)
        v = jnp.repeat(v, rep, axis=-3)
    s = jnp.matmul(q, jnp.swapaxes(k, -1, -2)) * jnp.asarray(sc, q.dtype)
    L, S = q.shape[-2], k.shape[-2]
    if is_causal:
        causal = jnp.tril(jnp.ones((L, S), bool))
        s = jnp.where(causal, s, -jnp.inf)
    if mask is not None:
        if mask.dtype == jnp.bool_:
            s = jnp.where(mask, s, -jnp.inf)
        else:
            s = s + mask.astype(s.dtype)
    a = jax.nn.softmax(s, axis=-1)
    if dropout_p > 0 and key is not None:
        keep = jax.random.bernoulli(key, 1 - dropout_p, a.shape)
        a = a * keep.astype(a.dtype) / (1 - dropout_p)
    return jnp.matmul(a, v)


# -------------------------------------------------------------------------- recurrent


def _cell(mode):
    if mode == "LSTM":
        def step(carry, gi, w_hh, b_hh):
            h, c = carry
            g = gi + h @ w_hh.T
            if b_hh is not None:
                g = g + b_hh
            i, f, gg, o = jnp.split(g, 4, axis=-1)
            i, f, o = jax.nn.sigmoid(i), jax.nn.sigmoid(f), jax.nn.sigmoid(o)
            c2 = f * c + i * jnp.tanh(gg)
            h2 = o * jnp.tanh(c2)
            return (h2, c2), h2
    elif mode == "GRU":
        def step(carry, gi, w_hh, b_hh):
            (h,) = carry
            gh = h @ w_hh.T
            if b_hh is not None:
                gh = gh + b_hh
            ir, iz, inn = jnp.split(gi, 3, axis=-1)
            hr, hz, hn = jnp.split(gh, 3, axis=-1)
            r = jax.nn.sigmoid(ir + hr)
            z = jax.nn.sigmoid(iz + hz)
            nn_ = jnp.tanh(inn + r * hn)
            h2 = (1 - z) * nn_ + z * h
            return (h2,), h2
    else:
        act = jnp.tanh if mode == "RNN_TANH" else (lambda t: jnp.maximum(t, 0))

        def step(carry, gi, w_hh, b_hh):
            (h,) = carry
            g = gi + h @ w_hh.T
            if b_hh is not None:
                g = g + b_hh
            h2 = act(g)
            return (h2,), h2
    return step


@defop(n_in=7, promote=None, grad=lambda mode, reverse: {
    "LSTM": "MkldnnRnnLayerBackward0", "GRU": "StackBackward0"}.get(mode, "StackBackward0"))
def rnn_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh, mode, reverse):
    """One direction of one layer over a (T, B, I) sequence: returns (out (T,B,H), h_T, c_T)."""
    gi = jnp.einsum("tbi,gi->tbg", x, w_ih)
    if b_ih is not None:
        gi = gi + b_ih
    step = _cell(mode)
    carry = (h0, c0) if mode == "LSTM" else (h0,)

    def body(cr, g):
        return step(cr, g, w_hh, b_hh)

    carry, out = lax.scan(body, carry, gi, reverse=reverse)
    if mode == "LSTM":
        return out, carry[0], carry[1]
    return out, carry[0], carry[0]


@defop(n_in=9, promote=None, grad=lambda mode, reverse: {
    "LSTM": "MkldnnRnnLayerBackward0", "GRU": "StackBackward0"}.get(mode, "StackBackward0"))
def rnn_layer_ex(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, mask, mode, reverse):
    """`rnn_layer` with an LSTM projection `w_hr` (P, H) (h = (o * tanh(c)) @ w_hr.T, PyTorch's
    proj_size) and a (T, B) bool `mask` for packed batches: where the mask is False the state
    is carried through unchanged and the output is 0 (a sequence's padding after its end; for
    the reverse direction the state stays h0 until its last real step). Either may be None."""
    gi = jnp.einsum("tbi,gi->tbg", x, w_ih)
    if b_ih is not None:
        gi = gi + b_ih
    step = _cell(mode)
    carry = (h0, c0) if mode == "LSTM" else (h0,)
    if mask is None:
        mask = jnp.ones(x.shape[:2], bool)

    def body(cr, inp):
        g, m = inp
        new, _ = step(cr, g, w_hh, b_hh)
        if w_hr is not None:
            new = (new[0] @ w_hr.T, new[1])
        m = m[:, None]
        new = tuple(jnp.where(m, a, b) for a, b in zip(new, cr))
        return new, jnp.where(m, new[0], jnp.zeros_like(new[0]))

    carry, out = lax.scan(body, carry, (gi, mask), reverse=reverse)
    if mode == "LSTM":
        return out, carry[0], carry[1]
    return out, carry[0], carry[0]
