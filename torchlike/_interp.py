"""Run a jax function on CPU without compiling it: trace it to a jaxpr and evaluate the jaxpr's
equations with NumPy.

Eager mode meets shapes it has never seen (a new sequence length, the last partial batch, a
growing context). Compiling an XLA program for each costs 10-500 ms; tracing costs well under a
millisecond and NumPy runs small ops in microseconds. Kernels (`_ops/registry.Kernel`) run cold
shapes here and compile a shape once it is hot (see `Kernel.__call__`).

Every result is cast to the dtype of the equation's output, so dtypes follow XLA's exactly;
values can differ from the compiled kernel's in the last bits (NumPy's reduction order and
transcendental functions are not XLA's), as PyTorch's differ between its CPU kernels.
Primitives without a NumPy rule here are bound through jax itself (one small cached program
each), so every jaxpr evaluates.
"""
from __future__ import annotations

import jax
import numpy as np
from jax import lax
from jax.extend import core as jcore


_EXTENDED = jax.dtypes.extended


class _Unsupported(Exception):
    """Raised by a rule for inputs whose XLA semantics it does not reproduce."""


_RULES = {}


def _rule(*prims):
    def deco(f):
        for p in prims:
            _RULES[p] = f
        return f
    return deco


def _un(prim, f):
    _RULES[prim] = lambda x, **_: f(x)


def _bin(prim, f):
    _RULES[prim] = lambda x, y, **_: f(x, y)


for _p, _f in [(lax.neg_p, np.negative), (lax.sign_p, np.sign), (lax.floor_p, np.floor),
               (lax.ceil_p, np.ceil), (lax.is_finite_p, np.isfinite), (lax.exp_p, np.exp),
               (lax.exp2_p, np.exp2), (lax.log_p, np.log), (lax.log1p_p, np.log1p),
               (lax.expm1_p, np.expm1), (lax.tanh_p, np.tanh), (lax.sin_p, np.sin),
               (lax.cos_p, np.cos), (lax.tan_p, np.tan), (lax.asin_p, np.arcsin),
               (lax.acos_p, np.arccos), (lax.atan_p, np.arctan), (lax.sinh_p, np.sinh),
               (lax.cosh_p, np.cosh), (lax.asinh_p, np.arcsinh), (lax.acosh_p, np.arccosh),
               (lax.atanh_p, np.arctanh), (lax.sqrt_p, np.sqrt), (lax.cbrt_p, np.cbrt),
               (lax.abs_p, np.abs), (lax.not_p, np.invert), (lax.real_p, np.real),
               (lax.imag_p, np.imag), (lax.conj_p, np.conj), (lax.square_p, np.square),
               (lax.copy_p, np.copy), (lax.stop_gradient_p, lambda x: x),
               (lax.optimization_barrier_p, lambda x: x)]:
    _un(_p, _f)

for _p, _f in [(lax.add_p, np.add), (lax.sub_p, np.subtract), (lax.mul_p, np.multiply),
               (lax.max_p, np.maximum), (lax.min_p, np.minimum), (lax.atan2_p, np.arctan2),
               (lax.and_p, np.bitwise_and), (lax.or_p, np.bitwise_or),
               (lax.xor_p, np.bitwise_xor), (lax.eq_p, np.equal), (lax.ne_p, np.not_equal),
               (lax.lt_p, np.less), (lax.le_p, np.less_equal), (lax.gt_p, np.greater),
               (lax.ge_p, np.greater_equal), (lax.nextafter_p, np.nextafter),
               ]:
    _bin(_p, _f)


def _shift(f):
    def g(x, y, **_):
        if ((y < 0) | (y >= x.dtype.itemsize * 8)).any():
            raise _Unsupported      # XLA defines shifts past the width; NumPy does not
        return f(x, y)
    return g


_RULES[lax.shift_left_p] = _shift(np.left_shift)
_RULES[lax.shift_right_arithmetic_p] = _shift(np.right_shift)
_RULES[lax.shift_right_logical_p] = _shift(
    lambda x, y: np.right_shift(x.view(f"u{x.itemsize}"), y.astype(f"u{x.itemsize}")).view(x.dtype))


@_rule(lax.bitcast_convert_type_p)
def _bitcast(x, new_dtype, **_):
    a, b = x.dtype.itemsize, np.dtype(new_dtype).itemsize
    x = np.ascontiguousarray(x).reshape(np.shape(x))   # (ascontiguousarray makes 0-d 1-d)
    if b < a:           # each element becomes a trailing axis of a // b
        return x.view(new_dtype).reshape(x.shape + (a // b,))
    r = x.view(new_dtype)
    return r.reshape(r.shape[:-1]) if b > a else r   # the trailing axis of b // a goes


@_rule(lax.pow_p)
def _pow(x, y, **_):
    if x.dtype.kind in "iu" or y.dtype.kind in "iu":
        raise _Unsupported          # XLA's integer powers (negative exponents) differ from NumPy's
    return np.power(x, y)


@_rule(lax.rsqrt_p)
def _rsqrt(x, **_):
    return 1 / np.sqrt(x)


@_rule(lax.logistic_p)
def _logistic(x, **_):
    e = np.exp(-np.abs(x))              # stable at both ends
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


@_rule(lax.div_p)
def _div(x, y, **_):
    if x.dtype.kind in "iu":
        if np.any(y == 0):
            raise _Unsupported   # XLA's result for integer division by zero: let it decide
        q = np.abs(x) // np.abs(y)
        return np.where((x < 0) != (y < 0), -q, q)   # C division truncates toward zero
    return np.true_divide(x, y)


@_rule(lax.rem_p)
def _rem(x, y, **_):
    if x.dtype.kind in "iu" and np.any(y == 0):
        raise _Unsupported
    return np.fmod(x, y)


@_rule(lax.round_p)
def _round(x, rounding_method=0, **_):
    if int(rounding_method) == 1:           # to nearest even
        return np.round(x)
    return np.sign(x) * np.floor(np.abs(x) + 0.5)   # away from zero


@_rule(lax.integer_pow_p)
def _integer_pow(x, y, **_):
    if y == 0:
        return np.ones_like(x)
    r = x
    for _ in range(abs(y) - 1):
        r = r * x
    return 1 / r if y < 0 else r


@_rule(lax.select_n_p)
def _select_n(which, *cases):
    if len(cases) == 1:
        return cases[0]
    if which.dtype == np.bool_:
        return np.where(which, cases[1], cases[0])
    return np.choose(which, cases)


@_rule(lax.clamp_p)
def _clamp(lo, x, hi, **_):
    return np.minimum(np.maximum(x, lo), hi)


@_rule(lax.convert_element_type_p)
def _convert(x, new_dtype, **_):
    to = np.dtype(new_dtype)
    if x.dtype.kind == "c" and to.kind != "c":
        raise _Unsupported
    if x.dtype.kind == "f" and to.kind in "iu":
        info = np.iinfo(to)
        if not (np.isfinite(x).all() and (x > info.min - 1).all() and (x < info.max + 1).all()):
            raise _Unsupported   # NaN, inf or out of range: XLA's saturating rule decides
    return np.asarray(x).astype(to)


@_rule(lax.broadcast_in_dim_p)
def _bcast(x, shape, broadcast_dimensions, **_):
    s = [1] * len(shape)
    for i, d in enumerate(broadcast_dimensions):
        s[d] = x.shape[i]
    return np.broadcast_to(np.reshape(x, s), shape)


@_rule(lax.reshape_p)
def _reshape(x, new_sizes, dimensions=None, **_):
    if dimensions is not None:
        x = np.transpose(x, dimensions)
    return np.reshape(x, new_sizes)


@_rule(lax.squeeze_p)
def _squeeze(x, dimensions, **_):
    return np.squeeze(x, tuple(dimensions))


@_rule(lax.transpose_p)
def _transpose(x, permutation, **_):
    return np.transpose(x, permutation)


@_rule(lax.rev_p)
def _rev(x, dimensions, **_):
    return np.flip(x, tuple(dimensions)) if dimensions else x


@_rule(lax.iota_p)
def _iota(dtype, shape, dimension, **_):
    s = [1] * len(shape)
    s[dimension] = shape[dimension]
    return np.broadcast_to(np.arange(shape[dimension], dtype=dtype).reshape(s), shape)


@_rule(lax.concatenate_p)
def _concat(*xs, dimension):
    return np.concatenate(xs, axis=dimension)


@_rule(lax.pad_p)
def _pad(x, v, padding_config):
    if any(i for _, _, i in padding_config):
        raise _Unsupported
    if all(lo >= 0 and hi >= 0 for lo, hi, _ in padding_config):
        return np.pad(x, [(lo, hi) for lo, hi, _ in padding_config], constant_values=v)
    x = np.pad(x, [(max(lo, 0), max(hi, 0)) for lo, hi, _ in padding_config],
               constant_values=v)
    return x[tuple(slice(-lo if lo < 0 else 0, n + hi if hi < 0 else n)
                   for (lo, hi, _), n in zip(padding_config, x.shape))]


@_rule(lax.slice_p)
def _slice(x, start_indices, limit_indices, strides=None):
    strides = strides or (1,) * x.ndim
    return x[tuple(slice(a, b, s) for a, b, s in zip(start_indices, limit_indices, strides))]


@_rule(lax.dynamic_slice_p)
def _dynamic_slice(x, *idx, slice_sizes):
    # XLA clamps the start so that the slice fits
    st = [min(max(int(i), 0), n - s) for i, n, s in zip(idx, x.shape, slice_sizes)]
    return x[tuple(slice(a, a + s) for a, s in zip(st, slice_sizes))]


@_rule(lax.dynamic_update_slice_p)
def _dynamic_update_slice(x, upd, *idx):
    st = [min(max(int(i), 0), n - s) for i, n, s in zip(idx, x.shape, upd.shape)]
    r = np.array(x)
    r[tuple(slice(a, a + s) for a, s in zip(st, upd.shape))] = upd
    return r


def _reduction(f):
    def g(x, axes, **_):
        return f(x, axis=tuple(axes))
    return g


_RULES[lax.reduce_sum_p] = _reduction(np.sum)
def _extreme(f, lowest):
    """max/min reductions; an empty reduction gives XLA's identity (-inf / +inf, or the
    integer type's lowest / highest value) where NumPy raises."""
    def g(x, axes, **_):
        if x.size:
            return f(x, axis=tuple(axes))
        if x.dtype.kind == "f" or x.dtype.kind == "V":
            init = -np.inf if lowest else np.inf
        elif x.dtype.kind == "b":
            init = not lowest
        else:
            info = np.iinfo(x.dtype)
            init = info.min if lowest else info.max
        return f(x, axis=tuple(axes), initial=init)
    return g


_RULES[lax.reduce_max_p] = _extreme(np.max, True)
_RULES[lax.reduce_min_p] = _extreme(np.min, False)
_RULES[lax.reduce_prod_p] = _reduction(np.prod)
_RULES[lax.reduce_and_p] = _reduction(np.all)
_RULES[lax.reduce_or_p] = _reduction(np.any)


def _arg(f):
    def g(x, axes, index_dtype):
        ax = axes[0]
        if x.dtype.kind in "fc":
            # XLA returns the first NaN's index in each slice holding one (per slice: the
            # whole-array test made every slice answer with its first NaN's index, or 0)
            nan = np.isnan(x)
            if nan.any():
                return np.where(nan.any(axis=ax), np.argmax(nan, axis=ax),
                                f(x, axis=ax)).astype(index_dtype)
        return f(x, axis=ax).astype(index_dtype)
    return g


_RULES[lax.argmax_p] = _arg(np.argmax)
_RULES[lax.argmin_p] = _arg(np.argmin)


def _cum(f):
    def g(x, axis, reverse=False):
        if reverse:
            return np.flip(f(np.flip(x, axis), axis=axis), axis)
        return f(x, axis=axis)
    return g


_RULES[lax.cumsum_p] = _cum(np.cumsum)
_RULES[lax.cumprod_p] = _cum(np.cumprod)
_RULES[lax.cummax_p] = _cum(np.maximum.accumulate)
_RULES[lax.cummin_p] = _cum(np.minimum.accumulate)


@_rule(lax.dot_general_p)
def _dot_general(x, y, dimension_numbers, preferred_element_type=None, **_):
    (lc, rc), (lb, rb) = dimension_numbers
    letters = iter("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    xs = [next(letters) for _ in range(x.ndim)]
    ys = [next(letters) for _ in range(y.ndim)]
    for a, b in zip(lc, rc):
        ys[b] = xs[a]
    for a, b in zip(lb, rb):
        ys[b] = xs[a]
    batch = [xs[a] for a in lb]
    xfree = [c for i, c in enumerate(xs) if i not in lc and i not in lb]
    yfree = [c for i, c in enumerate(ys) if i not in rc and i not in rb]
    spec = f"{''.join(xs)},{''.join(ys)}->{''.join(batch + xfree + yfree)}"
    if preferred_element_type is not None and x.dtype != preferred_element_type:
        x, y = x.astype(preferred_element_type), y.astype(preferred_element_type)
    if x.dtype.itemsize == 2 and x.dtype.kind == "f" or x.dtype.name == "bfloat16":
        # NumPy's einsum has no bfloat16; XLA forms half-precision dots in float32 and
        # rounds once, and so does this
        dt = x.dtype
        return np.einsum(spec, x.astype(np.float32), y.astype(np.float32),
                         optimize=len(lc) > 0).astype(dt)
    return np.einsum(spec, x, y, optimize=len(lc) > 0)


@_rule(lax.sort_p)
def _sort(*xs, dimension, is_stable, num_keys):
    k = xs[0]
    if num_keys != 1 or k.dtype.kind == "c" or (k.dtype.kind == "f" and np.isnan(k).any()):
        raise _Unsupported           # XLA's total order for NaN keys
    if k.dtype.kind == "f" and (np.signbit(k) & (k == 0)).any():
        raise _Unsupported           # XLA orders -0.0 before 0.0
    order = np.argsort(k, axis=dimension, kind="stable")
    return tuple(np.take_along_axis(x, order, axis=dimension) for x in xs)


# ------------------------------------------------------------------ random (threefry)
# A key is held as its raw uint32 data; the bits are jax's own threefry functions, traced and
# evaluated here, so a seed gives the same numbers in every tier.

def _threefry2x32(k1, k2, x1, x2):
    def rotl(v, d):
        return (v << np.uint32(d)) | (v >> np.uint32(32 - d))

    rot = [(13, 15, 26, 6), (17, 29, 16, 24)]
    ks = [k1, k2, k1 ^ k2 ^ np.uint32(0x1BD11BDA)]
    x = [x1 + ks[0], x2 + ks[1]]
    for i in range(5):
        for r in rot[i % 2]:
            x[0] = x[0] + x[1]
            x[1] = rotl(x[1], r) ^ x[0]
        x = [x[0] + ks[(i + 1) % 3], x[1] + ks[(i + 2) % 3] + np.uint32(i + 1)]
    return tuple(x)


def _iota_2x32(shape, **_):
    idx = np.arange(int(np.prod(shape, dtype=np.int64)), dtype=np.uint64).reshape(shape)
    return (idx >> np.uint64(32)).astype(np.uint32), (idx & np.uint64(0xFFFFFFFF)).astype(np.uint32)


def _traced(fn, *args):
    closed = jax.jit(fn).trace(*args).jaxpr
    return eval_jaxpr(closed.jaxpr, closed.consts, *args)


def _prng():
    from jax._src.random import threefry2x32 as tf
    return tf


def _random_bits(keys, bit_width, shape):
    if keys.shape != (2,):
        raise _Unsupported
    tf = _prng()
    return _traced(lambda k: tf.threefry_random_bits(k, bit_width, shape), keys)[0]


def _random_split(keys, shape):
    if keys.shape != (2,):
        raise _Unsupported
    tf = _prng()
    return _traced(lambda k: tf.threefry_split(k, shape), keys)[0]


def _random_fold_in(keys, msgs):
    if keys.shape != (2,):
        raise _Unsupported
    tf = _prng()
    return _traced(lambda k, m: tf.threefry_fold_in(k, m), keys, msgs)[0]


def _random_rules():
    from jax._src.random import prng
    tf = _prng()
    _RULES[tf.threefry2x32_p] = lambda *a: _threefry2x32(*a)
    _RULES[prng.iota_2x32_shape_p] = _iota_2x32
    _RULES[prng.random_wrap_p] = lambda x, impl: x if impl.name == "threefry2x32" else _raise()
    _RULES[prng.random_unwrap_p] = lambda x: x
    _RULES[prng.random_bits_p] = _random_bits
    _RULES[prng.random_split_p] = _random_split
    _RULES[prng.random_fold_in_p] = _random_fold_in


def _raise():
    raise _Unsupported




# ------------------------------------------------------------------------- evaluation


def _sub_jaxpr(eqn):
    p = eqn.params
    for k in ("jaxpr", "call_jaxpr", "fun_jaxpr"):
        j = p.get(k)
        if j is not None and not callable(j):
            return j
    return None


_CALLS = {"pjit", "jit", "closed_call", "core_call", "custom_jvp_call", "custom_vjp_call",
          "custom_vjp_call_jaxpr", "remat", "checkpoint", "custom_lin"}


_ELEMENTWISE = {p for p in _RULES if p not in {
    lax.broadcast_in_dim_p, lax.reshape_p, lax.squeeze_p, lax.transpose_p, lax.rev_p,
    lax.iota_p, lax.concatenate_p, lax.pad_p, lax.slice_p, lax.dynamic_slice_p,
    lax.dynamic_update_slice_p, lax.reduce_sum_p, lax.reduce_max_p, lax.reduce_min_p,
    lax.reduce_prod_p, lax.reduce_and_p, lax.reduce_or_p, lax.argmax_p, lax.argmin_p,
    lax.cumsum_p, lax.cumprod_p, lax.cummax_p, lax.cummin_p, lax.dot_general_p, lax.sort_p,
    lax.bitcast_convert_type_p}}
_ELEMENTWISE |= {getattr(lax, n) for n in (
    "erf_p", "erfc_p", "erf_inv_p", "lgamma_p", "digamma_p", "igamma_p", "igammac_p",
    "igamma_grad_a_p", "bessel_i0e_p", "bessel_i1e_p", "polygamma_p", "zeta_p",
    "regularized_incomplete_beta_p", "random_gamma_grad_p", "clz_p", "population_count_p",
    "reduce_precision_p") if hasattr(lax, n)}


# ------------------------------------------------- structured primitives (after _ELEMENTWISE)


def _closed(j):
    return (j.jaxpr, j.consts) if hasattr(j, "consts") else (j, ())


def _scan(*args, jaxpr, length, reverse, num_consts, num_carry, **_):
    body, bconsts = _closed(jaxpr)
    consts = args[:num_consts]
    carry = list(args[num_consts:num_consts + num_carry])
    xs = args[num_consts + num_carry:]
    ys = []
    for i in (range(length - 1, -1, -1) if reverse else range(length)):
        out = eval_jaxpr(body, bconsts, *consts, *carry, *[x[i] for x in xs])
        carry, y = out[:num_carry], out[num_carry:]
        ys.append(y)
    if reverse:
        ys.reverse()
    stacked = []
    for k, v in enumerate(body.outvars[num_carry:]):
        a = v.aval
        stacked.append(np.stack([y[k] for y in ys]) if ys else
                       np.zeros((0,) + tuple(a.shape), a.dtype))
    return carry + stacked


def _while(*args, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts, **_):
    cj, cc = _closed(cond_jaxpr)
    bj, bc = _closed(body_jaxpr)
    c_args = args[:cond_nconsts]
    b_args = args[cond_nconsts:cond_nconsts + body_nconsts]
    val = list(args[cond_nconsts + body_nconsts:])
    while bool(eval_jaxpr(cj, cc, *c_args, *val)[0]):
        val = eval_jaxpr(bj, bc, *b_args, *val)
    return val


def _cond(index, *ops, branches, **_):
    i = min(max(int(index), 0), len(branches) - 1)
    j, c = _closed(branches[i])
    return eval_jaxpr(j, c, *ops)


def _starts(indices, rank, index_map, op_batch, idx_batch):
    """Per batch position of `indices` (index vector last), the full start vector over the
    operand's `rank` dims: (B, rank) int64, and the batch shape."""
    idx = np.asarray(indices).astype(np.int64)
    batch = idx.shape[:-1]
    b = int(np.prod(batch, dtype=np.int64))
    idx = idx.reshape(b, idx.shape[-1])
    starts = np.zeros((b, rank), np.int64)
    for k, d in enumerate(index_map):
        starts[:, d] = idx[:, k]
    if op_batch:
        coords = np.indices(batch).reshape(len(batch), b)
        for od, i in zip(op_batch, idx_batch):
            starts[:, od] = coords[i]
    return starts, batch


def _windows(starts, sizes):
    """Index arrays (one per operand dim) of the windows of `sizes` at each start."""
    r = len(sizes)
    grids = np.meshgrid(*[np.arange(n) for n in sizes], indexing="ij") if r else []
    return tuple(starts[:, d].reshape((-1,) + (1,) * r) + grids[d][None] for d in range(r))


def _gather(operand, indices, *, dimension_numbers, slice_sizes, mode, fill_value=None, **_):
    dn = dimension_numbers
    op = np.asarray(operand)
    mode = lax.GatherScatterMode.from_any(mode)
    if mode == lax.GatherScatterMode.ONE_HOT:
        raise _Unsupported
    starts, batch = _starts(indices, op.ndim, dn.start_index_map, dn.operand_batching_dims,
                            dn.start_indices_batching_dims)
    sizes = np.asarray(slice_sizes, np.int64)
    hi = np.asarray(op.shape, np.int64) - sizes
    ok = np.all((starts >= 0) & (starts <= hi), axis=1)
    starts = np.clip(starts, 0, np.maximum(hi, 0))       # XLA clamps the start of a slice
    out = op[_windows(starts, sizes)] if starts.size or not op.ndim else \
        np.zeros((starts.shape[0],) + tuple(sizes), op.dtype)
    drop = set(dn.collapsed_slice_dims) | set(dn.operand_batching_dims)
    out = out.reshape((out.shape[0],) + tuple(n for d, n in enumerate(sizes) if d not in drop))
    if mode == lax.GatherScatterMode.FILL_OR_DROP and not ok.all():
        if fill_value is None:
            kind = op.dtype.kind
            fill_value = (np.nan if kind in "fc" else True if kind == "b" else
                          np.iinfo(op.dtype).min if kind == "i" else np.iinfo(op.dtype).max)
        out = np.where(ok.reshape((-1,) + (1,) * (out.ndim - 1)), out,
                       np.asarray(fill_value).astype(op.dtype))
    out = out.reshape(batch + out.shape[1:])
    nb, offset = len(batch), tuple(dn.offset_dims)
    rest = iter(range(nb))
    perm = [nb + offset.index(p) if p in offset else next(rest) for p in range(out.ndim)]
    return out.transpose(perm)


def _scatter(combine):
    def rule(operand, indices, updates, *, dimension_numbers, mode, update_jaxpr=None, **_):
        if combine is None and update_jaxpr is not None:
            raise _Unsupported                   # scatter_apply: a function, not a value
        dn = dimension_numbers
        op = np.array(operand)
        upd = np.asarray(updates, dtype=op.dtype)
        r = op.ndim
        starts, _ = _starts(indices, r, dn.scatter_dims_to_operand_dims,
                            dn.operand_batching_dims, dn.scatter_indices_batching_dims)
        skip = set(dn.inserted_window_dims) | set(dn.operand_batching_dims)
        win_dims = [d for d in range(r) if d not in skip]
        sizes = np.ones(r, np.int64)
        sizes[win_dims] = [upd.shape[d] for d in dn.update_window_dims]
        scatter_dims = [d for d in range(upd.ndim) if d not in dn.update_window_dims]
        u = upd.transpose(scatter_dims + list(dn.update_window_dims))
        u = u.reshape((starts.shape[0],) + tuple(sizes))
        hi = np.asarray(op.shape, np.int64) - sizes
        if lax.GatherScatterMode.from_any(mode) == lax.GatherScatterMode.CLIP:
            starts = np.clip(starts, 0, np.maximum(hi, 0))
        ok = np.all((starts >= 0) & (starts <= hi), axis=1)   # XLA skips such windows
        starts, u = starts[ok], u[ok]
        if starts.shape[0]:
            index = _windows(starts, sizes)
            if combine is None:
                op[index] = u
            else:
                combine.at(op, index, u)
        return op
    return rule


_RULES[lax.scan_p] = _scan
if hasattr(lax, "split_p"):
    _RULES[lax.split_p] = lambda x, *, sizes, axis, **_: np.split(
        x, np.cumsum(sizes)[:-1].tolist(), axis=axis)
_RULES[lax.while_p] = _while
_RULES[lax.cond_p] = _cond
_RULES[lax.gather_p] = _gather
_RULES[lax.scatter_p] = _scatter(None)
_RULES[lax.scatter_add_p] = _scatter(np.add)
_RULES[lax.scatter_mul_p] = _scatter(np.multiply)
_RULES[lax.scatter_min_p] = _scatter(np.minimum)
_RULES[lax.scatter_max_p] = _scatter(np.maximum)
try:
    from jax._src import ad_util as _ad_util
    _RULES[_ad_util.add_jaxvals_p] = lambda x, y, **_: np.add(x, y)
except (ImportError, AttributeError):
    pass


# after _ELEMENTWISE: the key primitives (random_bits of a batch of keys...) are not elementwise
try:
    _random_rules()
except (ImportError, AttributeError):   # a jax whose private PRNG layout differs: bind instead
    pass


def _bind(eqn, invals):
    """Fallback: run one equation through jax, eagerly even while a trace is active (a cold
    kernel can run inside `torchlike.compile`'s tracing on concrete inputs)."""
    with jax.ensure_compile_time_eval():
        return _bind_eager(eqn, invals)


def _bind_eager(eqn, invals):
    """Elementwise primitives run on their inputs flattened and padded to a power-of-two
    length, so a new shape rarely compiles anything; others compile one small program per
    shape (cached by jax)."""
    prim = eqn.primitive
    if prim in _ELEMENTWISE and invals:
        shape = np.broadcast_shapes(*[np.shape(v) for v in invals])
        n = int(np.prod(shape, dtype=np.int64))
        size = 1 << max(3, (n - 1).bit_length())
        flat = [np.pad(np.broadcast_to(v, shape).reshape(-1), (0, size - n)) for v in invals]
        outs = prim.bind(*[to_device(v, copy=False) for v in flat], **eqn.params)
        outs = outs if prim.multiple_results else [outs]
        return [np.asarray(o)[:n].reshape(shape) for o in outs]
    args = []
    for var, v in zip(eqn.invars, invals):
        d = var.aval.dtype
        v = to_device(v, copy=False)
        if jax.dtypes.issubdtype(d, _EXTENDED):   # a key held as its raw data
            v = jax.random.wrap_key_data(v, impl=d._impl)
        args.append(v)
    outs = prim.bind(*args, **eqn.params)
    if not prim.multiple_results:
        outs = [outs]
    return [np.asarray(jax.random.key_data(o) if jax.dtypes.issubdtype(o.dtype, _EXTENDED)
                       else o) for o in outs]


def eval_jaxpr(jaxpr, consts, *args):
    env = {}

    def read(v):
        if isinstance(v, jcore.Literal):
            return np.asarray(v.val, dtype=v.aval.dtype)
        return env[v]

    for v, x in zip(jaxpr.constvars, consts):
        env[v] = np.asarray(x)
    for v, x in zip(jaxpr.invars, args):
        d = v.aval.dtype
        env[v] = x if jax.dtypes.issubdtype(d, _EXTENDED) else np.asarray(x, dtype=d)
    for eqn in jaxpr.eqns:
        invals = [read(v) for v in eqn.invars]
        prim = eqn.primitive
        rule = _RULES.get(prim)
        outs = None
        if rule is not None:
            try:
                r = rule(*invals, **eqn.params)
                outs = list(r) if prim.multiple_results else [r]
            except _Unsupported:
                outs = None
        elif prim.name in _CALLS:
            sub = _sub_jaxpr(eqn)
            if sub is not None:
                if hasattr(sub, "consts"):
                    outs = eval_jaxpr(sub.jaxpr, sub.consts, *invals)
                else:
                    outs = eval_jaxpr(sub, (), *invals)
        if outs is None:
            outs = _bind(eqn, invals)
        for v, o in zip(eqn.outvars, outs):
            a = v.aval
            o = np.asarray(o)
            if o.dtype != a.dtype and not jax.dtypes.issubdtype(a.dtype, _EXTENDED):
                o = o.astype(a.dtype)
            env[v] = o
    return [read(v) for v in jaxpr.outvars]


def trace(fn, args):
    """The closed jaxpr and output tree of `fn` at the shapes and dtypes of `args`."""
    t = jax.jit(fn).trace(*args)
    return t.jaxpr, t.out_tree


def run(closed, out_tree, args):
    """Evaluate a traced kernel on concrete arguments; returns jax arrays in fn's structure."""
    leaves = [jax.random.key_data(x) if jax.dtypes.issubdtype(getattr(x, "dtype", None) or
                                                              np.float32, _EXTENDED) else x
              for x in jax.tree_util.tree_leaves(args)]
    with np.errstate(all="ignore"):
        outs = eval_jaxpr(closed.jaxpr, closed.consts, *leaves)
    return jax.tree_util.tree_unflatten(
        out_tree, [to_device(o, v.aval.weak_type, copy=False)
                   for o, v in zip(outs, closed.jaxpr.outvars)])


_CPU = []


def to_device(a, weak_type=False, copy=True):
    """A jax array on the default CPU device holding NumPy array `a`. jax.device_put takes
    about 10x longer for a small array (its Python path checks shardings and layouts); this
    is the same transfer without those checks, and jax.device_put where it does not apply
    (keys, float0, a jax without the private entry point). Both share the memory of a
    64-byte aligned array instead of copying it: with `copy` (the default) `a` is copied
    first, so that writes to the caller's array never reach the tensor; `copy=False` is for
    arrays nobody else can write (the interpreter's results)."""
    a = np.asarray(a)
    if copy and a.flags.writeable and not a.ctypes.data % 64:
        a = a.copy()
    if _CPU is not None and a.dtype != jax.dtypes.float0 and \
            not jax.dtypes.issubdtype(a.dtype, _EXTENDED):
        try:
            if not _CPU:
                from jax._src import core as _core
                from jax._src.interpreters import pxla as _pxla
                dev = jax.local_devices(backend="cpu")[0]
                _CPU[:] = [_core.ShapedArray, _pxla.batched_device_put,
                           jax.sharding.SingleDeviceSharding(dev), [dev]]
            shaped, put, sharding, devs = _CPU
            return put(shaped(a.shape, a.dtype, weak_type=weak_type), sharding, [a], devs,
                       committed=False)
        except Exception:  # noqa: BLE001 - a jax whose private API moved: the public path
            globals()["_CPU"] = None
    return jax.device_put(a)


