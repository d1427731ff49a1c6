"""Kernels of the torch.* helpers real programs use beyond the core (searchsorted, histc,
cummax, mode, nanmedian, diag_embed, scatter_reduce, masked_scatter, put, as_strided, complex
helpers, cov...). `dim` arrives as a non-negative int. Ops whose result is an index or a count
are `differentiable=False`; ops returning (values, indices) take the values with
`take_along_axis` of the input at the indices, so the gradient goes to the chosen elements, as
PyTorch's backward does."""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax import lax

from .registry import defop
from .shape import _flat_index


# ------------------------------------------------------------------------------ searching


def _searchsorted_1d(seq, x, side):
    return jnp.searchsorted(seq, x, side=side, method="compare_all" if seq.shape[-1] <= 64
                            else "scan")


@defop(n_in=3, differentiable=False)
def searchsorted(seq, x, sorter, right, out_int32):
    if sorter is not None:
        seq = jnp.take_along_axis(seq, sorter, axis=-1)
    side = "right" if right else "left"
    if seq.ndim == 1:
        r = _searchsorted_1d(seq, x, side)
    else:
        lead = seq.shape[:-1]
        s2 = seq.reshape((-1, seq.shape[-1]))
        x2 = x.reshape((s2.shape[0], -1))
        r = jax.vmap(lambda s, v: _searchsorted_1d(s, v, side))(s2, x2).reshape(
            lead + x.shape[len(lead):])
    return r.astype(jnp.int32 if out_int32 else jnp.int64)


@defop(differentiable=False)
def histc(x, bins, min, max):
    x = x.ravel()
    lo, hi = jnp.asarray(min, x.dtype), jnp.asarray(max, x.dtype)
    if min == max and x.size:
        lo, hi = jnp.min(x), jnp.max(x)
    equal = lo == hi
    lo, hi = jnp.where(equal, lo - 1, lo), jnp.where(equal, hi + 1, hi)
    inside = (x >= lo) & (x <= hi)
    pos = ((x - lo) * bins / (hi - lo)).astype(jnp.int64)
    pos = jnp.clip(jnp.where(pos == bins, bins - 1, pos), 0, bins - 1)
    return jnp.zeros(bins, x.dtype).at[pos].add(inside.astype(x.dtype))


@defop(n_in=3, differentiable=False)
def histogram(x, edges, weight, bins, range, density):
    """(hist, bin_edges). `bins` an int (then `edges` is None) or None (then `edges` is the
    tensor of edges); PyTorch's linear guess with a local search against the edges."""
    x = x.ravel()
    w = jnp.ones_like(x) if weight is None else weight.ravel().astype(x.dtype)
    if edges is None:
        if range is not None:
            lo, hi = jnp.asarray(range[0], x.dtype), jnp.asarray(range[1], x.dtype)
        elif x.size:
            lo, hi = jnp.min(x), jnp.max(x)
        else:
            lo, hi = jnp.asarray(0, x.dtype), jnp.asarray(0, x.dtype)
        equal = lo == hi
        lo, hi = jnp.where(equal, lo - 0.5, lo), jnp.where(equal, hi + 0.5, hi)
        edges = jnp.linspace(lo, hi, bins + 1).astype(x.dtype)
        nb = bins
        pos = ((x - lo) * nb / (hi - lo)).astype(jnp.int64)
        pos = jnp.clip(pos, 0, nb - 1)
        pos = jnp.where(x < edges[pos], pos - 1, jnp.where(x >= edges[jnp.minimum(pos + 1, nb)],
                                                           pos + 1, pos))
    else:
        edges = edges.astype(x.dtype)
        nb = edges.shape[0] - 1
        pos = jnp.searchsorted(edges, x, side="right") - 1
    pos = jnp.where(x == edges[-1], nb - 1, pos)
    inside = (x >= edges[0]) & (x <= edges[-1])
    pos = jnp.clip(pos, 0, nb - 1)
    hist = jnp.zeros(nb, x.dtype).at[pos].add(jnp.where(inside, w, 0))
    if density:
        hist = hist / (jnp.sum(hist) * jnp.diff(edges))
    return hist, edges


# ------------------------------------------------------------------- scans and selections


def _cum_extreme(x, dim, take):
    """(values, indices) of the running max/min; ties and NaNs take the later index."""
    v = lax.stop_gradient(x)
    idx = lax.broadcasted_iota(jnp.int64, x.shape, dim)

    def combine(a, b):
        av, ai = a
        bv, bi = b
        pick_b = take(bv, av) | jnp.isnan(bv) if jnp.issubdtype(v.dtype, jnp.inexact) \
            else take(bv, av)
        if jnp.issubdtype(v.dtype, jnp.inexact):
            pick_b = pick_b & ~(jnp.isnan(av) & ~jnp.isnan(bv))
        return jnp.where(pick_b, bv, av), jnp.where(pick_b, bi, ai)

    _, i = lax.associative_scan(combine, (v, idx), axis=dim)
    return jnp.take_along_axis(x, i, axis=dim), i


@defop(grad="CummaxBackward0")
def cummax(x, dim):
    if x.ndim == 0:
        return x, jnp.zeros((), jnp.int64)
    return _cum_extreme(x, dim, lambda b, a: b >= a)


@defop(grad="CumminBackward0")
def cummin(x, dim):
    if x.ndim == 0:
        return x, jnp.zeros((), jnp.int64)
    return _cum_extreme(x, dim, lambda b, a: b <= a)


@defop(promote="float", grad="LogcumsumexpBackward0")
def logcumsumexp(x, dim):
    if x.ndim == 0:
        return x
    return lax.cumlogsumexp(x, axis=dim)


@defop(grad="ModeBackward0", saves="none")   # torch saves only the indices
def mode(x, dim, keepdim=False):
    """The most frequent value (the smallest among ties) and the last index holding it."""
    if x.ndim == 0:
        return x, jnp.zeros((), jnp.int64)
    v = jnp.moveaxis(lax.stop_gradient(x), dim, -1)
    counts = jnp.sum(v[..., :, None] == v[..., None, :], axis=-1)
    best = counts == jnp.max(counts, axis=-1, keepdims=True)
    big = jnp.asarray(jnp.inf if jnp.issubdtype(v.dtype, jnp.inexact) else
                      jnp.iinfo(v.dtype).max, v.dtype) if v.dtype != jnp.bool_ else True
    m = jnp.min(jnp.where(best, v, big), axis=-1, keepdims=True)
    n = v.shape[-1]
    pos = jnp.max(jnp.where(v == m, jnp.arange(n), -1), axis=-1, keepdims=True)
    i = jnp.moveaxis(pos, -1, dim)
    vals = jnp.take_along_axis(x, i, axis=dim)
    if not keepdim:
        vals, i = jnp.squeeze(vals, dim), jnp.squeeze(i, dim)
    return vals, i.astype(jnp.int64)


def _nan_lower_median(x, dim):
    """Index of the lower median of the non-NaN values along dim (first element if all NaN)."""
    v = lax.stop_gradient(x)
    order = jnp.argsort(v, axis=dim, stable=True)          # NaNs sort last
    k = jnp.sum(~jnp.isnan(v), axis=dim, keepdims=True)
    nth = jnp.maximum(k - 1, 0) // 2
    return jnp.take_along_axis(order, nth, axis=dim)


@defop(grad="NanmedianBackward0")
def nanmedian_all(x):
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        return jnp.sort(x.ravel())[(x.size - 1) // 2]
    flat = x.ravel()
    return flat[_nan_lower_median(flat, 0)[0]]


@defop(grad="NanmedianBackward1")
def nanmedian_dim(x, dim, keepdim=False):
    if x.ndim == 0:
        return x, jnp.zeros((), jnp.int64)
    i = _nan_lower_median(x, dim)
    vals = jnp.take_along_axis(x, i, axis=dim)
    if not keepdim:
        vals, i = jnp.squeeze(vals, dim), jnp.squeeze(i, dim)
    return vals, i.astype(jnp.int64)


# ------------------------------------------------------------------------ building tensors


@defop(saves="none", grad="DiagEmbedBackward0")
def diag_embed(x, offset, dim1, dim2):
    m = x.shape[-1]
    n = m + abs(offset)
    out = jnp.zeros(x.shape[:-1] + (n, n), x.dtype)
    i = jnp.arange(m)
    r, c = (i, i + offset) if offset >= 0 else (i - offset, i)
    out = out.at[..., r, c].set(x)
    return jnp.moveaxis(out, (-2, -1), (dim1, dim2))


def _scatter_index(x, dim, index):
    """Full index arrays for a scatter of `index`'s shape into x along dim (torch.scatter)."""
    grids = [lax.broadcasted_iota(jnp.int64, index.shape, d) for d in range(index.ndim)]
    grids[dim] = jnp.where(index < 0, index + x.shape[dim], index)
    return tuple(grids)


def _scatter_prod(x, idx, src, touched, include_self):
    """The scattered product, with PyTorch's gradient: the product of the other factors of
    the group (jax's scatter_mul has no gradient for repeated indices)."""
    xs, ss = lax.stop_gradient(x), lax.stop_gradient(src)
    base = xs if include_self else jnp.where(touched, jnp.ones_like(xs), xs)
    r = base.at[idx].multiply(ss)
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        return r
    one = jnp.ones_like(xs)
    nz_base = jnp.where(base == 0, one, base)
    prod_nz = nz_base.at[idx].multiply(jnp.where(ss == 0, jnp.ones_like(ss), ss))
    zeros = (base == 0).astype(jnp.int32).at[idx].add((ss == 0).astype(jnp.int32))

    def others(v, at):       # d r / d v for a factor v of the group at `at`
        safe = jnp.where(v == 0, jnp.ones_like(v), v)
        return jnp.where(v == 0, jnp.where(zeros[at] == 1, prod_nz[at], 0), r[at] / safe)

    d_src = others(ss, idx)
    d_x = others(xs, tuple(slice(None) for _ in x.shape)) if include_self else \
        jnp.where(touched, 0, one)
    lin = (x - xs) * d_x
    return r + lin + jnp.zeros_like(r).at[idx].add((src - ss) * d_src)


@defop(n_in=3, grad=lambda dim, reduce, include_self:
       "ScatterReduceBackward0")
def scatter_reduce(x, index, src, dim, reduce, include_self=True):
    if x.ndim == 0:
        x, index, src = x.reshape(1), index.reshape(1), src.reshape(1)
        return scatter_reduce.fn(x, index, src, 0, reduce, include_self).reshape(())
    src = src[tuple(slice(0, n) for n in index.shape)].astype(x.dtype)
    idx = _scatter_index(x, dim, index)
    touched = jnp.zeros(x.shape, bool).at[idx].set(True)
    if reduce in ("sum", "mean"):
        base = x if include_self else jnp.where(touched, jnp.zeros_like(x), x)
        r = base.at[idx].add(src)
        if reduce == "mean":
            cnt = jnp.zeros(x.shape, x.dtype).at[idx].add(jnp.ones_like(src))
            cnt = cnt + (1 if include_self else 0)
            cnt = jnp.where(cnt == 0, jnp.ones_like(cnt), cnt)
            r = r / cnt if jnp.issubdtype(x.dtype, jnp.inexact) else jnp.floor_divide(r, cnt)
        return r
    if reduce == "prod":
        return _scatter_prod(x, idx, src, touched, include_self)
    if reduce in ("amax", "amin"):
        if jnp.issubdtype(x.dtype, jnp.inexact):
            fill = -jnp.inf if reduce == "amax" else jnp.inf
        else:
            info = jnp.iinfo(x.dtype)
            fill = info.min if reduce == "amax" else info.max
        base = x if include_self else jnp.where(touched, jnp.asarray(fill, x.dtype), x)
        base = lax.stop_gradient(base)
        r = base.at[idx].max(lax.stop_gradient(src)) if reduce == "amax" else \
            base.at[idx].min(lax.stop_gradient(src))
        # gradient as PyTorch's: split evenly among the elements equal to the result
        rs = lax.stop_gradient(r)
        # PyTorch counts an input element equal to the result in the split even where the
        # input is not included (include_self=False); only its own share is then dropped
        self_eq = x == rs
        self_hit = self_eq if include_self else self_eq & ~touched
        src_hit = src == rs[idx]
        n = self_eq.astype(x.dtype) + jnp.zeros(x.shape, x.dtype).at[idx].add(
            src_hit.astype(x.dtype))
        n = jnp.where(n == 0, jnp.ones_like(n), n)
        contrib = jnp.where(self_hit, x, 0).astype(x.dtype)
        contrib = contrib.at[idx].add(jnp.where(src_hit, src, 0).astype(x.dtype))
        return rs + (contrib / n - lax.stop_gradient(contrib / n)) if \
            jnp.issubdtype(x.dtype, jnp.inexact) else r
    raise RuntimeError("reduce argument must be either sum, prod, mean, amax or amin, got "
                       f"{reduce}")


@defop(n_in=3, grad="MaskedScatterBackward0")
def masked_scatter(x, mask, src):
    m = jnp.broadcast_to(mask, x.shape).ravel()
    pos = jnp.cumsum(m) - 1
    flat_src = src.ravel().astype(x.dtype)
    vals = flat_src[jnp.clip(pos, 0, max(flat_src.shape[0] - 1, 0))] if flat_src.shape[0] \
        else jnp.zeros_like(x.ravel())
    return jnp.where(m, vals, x.ravel()).reshape(x.shape)


@defop(n_in=3, grad="PutBackward0")
def put(x, index, src, accumulate=False):
    flat = x.ravel()
    i = index.ravel()
    i = jnp.where(i < 0, i + flat.shape[0], i)
    s = src.ravel().astype(x.dtype)
    r = flat.at[i].add(s) if accumulate else flat.at[i].set(s)
    return r.reshape(x.shape)


def _strided_meta(meta, size, stride, offset):
    return (tuple(size), tuple(stride), offset)


@defop(saves="none", grad="AsStridedBackward0", view=_strided_meta)
def as_strided(root, size, stride, offset):
    """A view of the root's storage (the root is a contiguous array)."""
    return jnp.ravel(root)[offset + _flat_index(size, stride)]


@defop(seq=True, promote="same", saves="none", grad="BlockDiagBackward0")
def block_diag(*xs):
    return jax.scipy.linalg.block_diag(*xs)


# --------------------------------------------------------------------------------- complex


@defop(promote="float", grad="AngleBackward0")
def angle(x):
    if jnp.iscomplexobj(x):
        return jnp.angle(x)
    return jnp.where(jnp.isnan(x), x, jnp.where(x < 0, jnp.asarray(math.pi, x.dtype),
                                                  jnp.zeros_like(x)))


@defop(saves="none", grad="ViewAsRealBackward0")
def view_as_real(z):
    return jnp.stack([jnp.real(z), jnp.imag(z)], axis=-1)


@defop(saves="none", grad="ViewAsComplexBackward0")
def view_as_complex(x):
    return lax.complex(x[..., 0], x[..., 1])


@defop(n_in=2, grad="ComplexBackward0")
def complex(re, im):
    return lax.complex(re, im)


@defop(n_in=2, grad="PolarBackward0")
def polar(r, theta):
    return lax.complex(r * jnp.cos(theta), r * jnp.sin(theta))


# ------------------------------------------------------------------------------ statistics


@defop(n_in=3, grad="CovBackward0")
def cov(x, fweights, aweights, correction=1):
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        x = x.astype(jnp.float32)
    x2 = x.reshape((1, -1)) if x.ndim < 2 else x
    n = x2.shape[1]
    w = None
    if fweights is not None:
        w = fweights.astype(x.dtype)
    if aweights is not None:
        w = aweights.astype(x.dtype) if w is None else w * aweights.astype(x.dtype)
    if w is None:
        wsum = jnp.asarray(n, x.dtype)
        avg = jnp.mean(x2, axis=1)
        norm = wsum - correction
    else:
        wsum = jnp.sum(w)
        avg = jnp.sum(x2 * w, axis=1) / wsum
        if correction == 0:
            norm = wsum
        elif aweights is None:
            norm = wsum - correction
        else:
            norm = wsum - correction * jnp.sum(w * aweights.astype(x.dtype)) / wsum
    norm = jnp.maximum(norm, 0)
    xc = x2 - avg[:, None]
    xw = xc if w is None else xc * w
    c = (xw @ jnp.conj(xc).T) / norm
    return c.reshape(()) if x.ndim < 2 or x.shape[0] == 1 else c


# ---------------------------------------------------------------- more pointwise and stats


@defop(n_in=2, promote="float", grad="LogaddexpBackward0")
def logaddexp(x, y):
    return jnp.logaddexp(x, y)


@defop(n_in=2, promote="float", grad="Logaddexp2Backward0")
def logaddexp2(x, y):
    return jnp.logaddexp2(x, y)


@defop(n_in=2, differentiable=False)
def heaviside(x, v):
    return jnp.where(x == 0, v, jnp.where(x > 0, jnp.ones_like(x), jnp.zeros_like(x))
                     ).astype(x.dtype)


@defop(n_in=2, promote="same", differentiable=False)
def gcd(x, y):
    return jnp.gcd(x, y)


@defop(n_in=2, promote="same", differentiable=False)
def lcm(x, y):
    return jnp.lcm(x, y)


@defop(n_in=2, promote="same", differentiable=False)
def nextafter(x, y):
    return jnp.nextafter(x, y)


@defop(differentiable=False)
def frexp(x):
    m, e = jnp.frexp(x)
    return m, e.astype(jnp.int32)


@defop(n_in=2, differentiable=False)
def isin(x, test, invert):
    r = jnp.isin(x, test)
    return ~r if invert else r


@defop(n_in=2, grad="QuantileBackward0")
def quantile(x, q, dim, keepdim, interpolation, ignore_nan, scalar_q):
    """q along a new leading axis (dropped for a scalar q); NaN propagates unless ignore_nan
    (nanquantile), which ranks among the non-NaN values only."""
    xd = x.ravel() if dim is None else jnp.moveaxis(x, dim, -1)
    xs = jnp.sort(xd, axis=-1)                   # NaNs last
    n_all = xs.shape[-1]
    isnan = jnp.isnan(xs)
    n = jnp.sum(~isnan, axis=-1, keepdims=True) if ignore_nan else \
        jnp.full(xs.shape[:-1] + (1,), n_all)
    qv = q.reshape((-1,) + (1,) * xs.ndim).astype(x.dtype)
    rank = qv * jnp.maximum(n - 1, 0).astype(x.dtype)         # (Q, ..., 1)
    lo = jnp.floor(rank)
    hi = jnp.ceil(rank)
    if interpolation == "lower":
        hi = lo
    elif interpolation == "higher":
        lo = hi
    elif interpolation == "nearest":
        lo = hi = jnp.round(rank)
    xb = jnp.broadcast_to(xs, qv.shape[:1] + xs.shape)
    vlo = jnp.take_along_axis(xb, jnp.clip(lo, 0, n_all - 1).astype(jnp.int64), axis=-1)
    vhi = jnp.take_along_axis(xb, jnp.clip(hi, 0, n_all - 1).astype(jnp.int64), axis=-1)
    if interpolation == "midpoint":
        r = (vlo + vhi) / 2
    elif interpolation == "linear":
        r = vlo + (rank - lo) * (vhi - vlo)
    else:
        r = vlo
    r = r[..., 0]
    bad = (n[..., 0] == 0) if ignore_nan else jnp.any(isnan, axis=-1)
    r = jnp.where(bad, jnp.asarray(jnp.nan, r.dtype), r)
    if keepdim:
        if dim is None:
            r = r.reshape(r.shape[:1] + (1,) * x.ndim)
        else:
            r = jnp.expand_dims(r, dim + 1)
    return r[0] if scalar_q else r
