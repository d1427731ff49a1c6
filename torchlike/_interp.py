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
        outs = prim.bind(*[jax.device_put(v) for v in flat], **eqn.params)
        outs = outs if prim.multiple_results else [outs]
        return [np.asarray(o)[:n].reshape(shape) for o in outs]
    args = []
    for var, v in zip(eqn.invars, invals):
        d = var.aval.dtype
        v = jax.device_put(v)
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
    return jax.tree_util.tree_unflatten(out_tree, [jax.device_put(o) for o in outs])


