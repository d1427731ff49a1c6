"""The torch.* helpers of the long tail (issue 15): searchsorted, bucketize, histc, histogram,
diff, tril/triu_indices, cartesian_prod, combinations, unique_consecutive, mode, cummax/cummin,
logcumsumexp, nanmedian, rot90, diag_embed, h/v/dsplit, dstack, column_stack, atleast_*d,
scatter_reduce, masked_scatter, put, as_strided, the complex helpers (angle, view_as_real,
view_as_complex, polar, complex), cov, corrcoef, renorm and the special functions PyTorch
also has at the top level (i0, xlogy, mvlgamma, igamma, igammac).

New kernels are table ops in `_ops/tail.py` and `_ops/special.py`; the rest compose existing
functions. Every public name here is also set on `torchlike._functions`, so that `_methods`
gives it PyTorch's Tensor method and in-place forms."""
from __future__ import annotations

import builtins
import itertools

import jax
import jax.numpy as jnp
import numpy as np

from . import _dtype as D
from . import _functions as F
from ._ops import special as _special_ops  # noqa: F401  (registers ops)
from ._ops import tail as _tail_ops  # noqa: F401
from ._ops.registry import TABLE, call, write_out
from ._tensor import Tensor, _new, _wrap_dim

T = TABLE

__all__ = ["searchsorted", "bucketize", "histc", "histogram", "diff", "tril_indices",
           "triu_indices", "cartesian_prod", "combinations", "unique_consecutive", "mode",
           "cummax", "cummin", "logcumsumexp", "nanmedian", "rot90", "diag_embed", "hsplit",
           "vsplit", "dsplit", "dstack", "column_stack", "row_stack", "atleast_1d",
           "atleast_2d", "atleast_3d", "scatter_reduce", "masked_scatter", "put",
           "as_strided", "angle", "view_as_real", "view_as_complex", "polar", "complex", "cov",
           "corrcoef", "renorm", "i0", "xlogy", "mvlgamma", "igamma", "igammac", "block_diag",
           "logaddexp", "logaddexp2", "heaviside", "gcd", "lcm", "nextafter", "frexp", "ldexp",
           "isin", "quantile", "nanquantile", "vdot", "isreal", "positive", "diagflat", "pdist",
           "unravel_index", "hann_window", "hamming_window", "blackman_window",
           "bartlett_window", "kaiser_window", "stft", "istft"]


def _out(r, out):
    return r if out is None else write_out(out, r)


def _tensor(x, like=None):
    if isinstance(x, Tensor):
        return x
    from ._creation import tensor
    return tensor(x, dtype=like.dtype if like is not None and isinstance(x, (builtins.int,
                                                                           builtins.float))
                  else None)


_SCALAR_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half",
                 "bfloat16": "BFloat16", "int64": "Long", "int32": "Int", "int16": "Short",
                 "int8": "Char", "uint8": "Byte", "bool": "Bool", "complex64": "ComplexFloat",
                 "complex128": "ComplexDouble"}


def _tname(d):
    """PyTorch's ScalarType name ("Float", "Long"...), as its error messages say."""
    return _SCALAR_NAMES.get(d.name, d.name)


# ------------------------------------------------------------------------------ searching


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None, out=None):
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to "
                               "opposites, got side of left while right was True")
        right = side == "right"
    scalar = not isinstance(input, Tensor)
    x = _tensor(input, sorted_sequence)
    s = sorted_sequence
    if s.dim() > 1 and (x.dim() != s.dim() or tuple(x.shape[:-1]) != tuple(s.shape[:-1])):
        raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or "
                           "the first N-1 dimensions of boundaries tensor and input value "
                           "tensor must match, but we got boundaries tensor "
                           f"{list(s.shape)} and input value tensor {list(x.shape)}")
    if sorter is not None and tuple(sorter.shape) != tuple(s.shape):
        raise RuntimeError("torch.searchsorted(): boundary and sorter must have the same size, "
                           f"but got boundary tensor {list(s.shape)}and got sorter tensor "
                           f"{list(sorter.shape)}")
    if x.dtype is not s.dtype:
        rt = D.result_type_of([s.dtype], [x.dtype] if scalar else [], [])
        s, x = s.to(rt), x.to(rt)
    r = call(T["searchsorted"], (s, x, sorter), (right, out_int32))
    return _out(r, out)


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    if boundaries.dim() != 1:
        raise RuntimeError("boundaries tensor must be 1 dimension, but got dim("
                           f"{boundaries.dim()})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right, out=out)


def _float_only(input, kernel):
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_tname(input.dtype)}\'')


def histc(input, bins=100, min=0, max=0, *, out=None):
    _float_only(input, "histogram_cpu")
    if bins <= 0:
        raise RuntimeError("torch.histc(): bins must be > 0, but got " f"{bins} for dimension 0")
    if min > max:
        raise RuntimeError("torch.histc(): max must be larger than min")
    return _out(call(T["histc"], (input,), (bins, float(min), float(max))), out)


_Histogram = F.return_type("histogram", ["hist", "bin_edges"])


def histogram(input, bins, *, range=None, weight=None, density=False, out=None):
    _float_only(input, "histogramdd")
    if isinstance(bins, Tensor):
        r = call(T["histogram"], (input, bins, weight), (None, None, density))
    else:
        if bins <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for "
                               "dimension 0")
        rng = None if range is None else (float(range[0]), float(range[1]))
        if rng is not None and rng[0] > rng[1]:
            raise RuntimeError("torch.histogram(): min should not exceed max, but got min "
                               f"{rng[0]} max {rng[1]}")
        r = call(T["histogram"], (input, None, weight), (builtins.int(bins), rng, density))
    return _Histogram(*r)


# -------------------------------------------------------------------- differences, combos


def diff(input, n=1, dim=-1, prepend=None, append=None):
    if input.dim() == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = _wrap_dim(dim, input.dim())
    parts = [p for p in (prepend, input, append) if p is not None]
    x = F.cat(parts, d) if len(parts) > 1 else input
    for _ in range(n):
        m = x.shape[d]
        if m == 0:
            break
        a, b = F.narrow(x, d, 1, m - 1), F.narrow(x, d, 0, m - 1)
        x = F.logical_xor(a, b) if x.dtype is D.bool_ else a - b
    return x


def _indices(row, col, offset, dtype, device, upper):
    if row < 0 or col < 0:
        raise RuntimeError(f"{'triu' if upper else 'tril'}_indices expects row and col to be "
                           "non-negative")
    r, c = np.triu_indices(row, offset, col) if upper else np.tril_indices(row, offset, col)
    from ._creation import tensor
    return tensor(np.stack([r, c]).astype(np.int64), dtype=dtype or D.int64, device=device)


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None,
                 pin_memory=False):
    return _indices(row, col, offset, dtype, device, False)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None,
                 pin_memory=False):
    return _indices(row, col, offset, dtype, device, True)


def cartesian_prod(*tensors):
    for t in tensors:
        if t.dim() != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = F.meshgrid(*tensors, indexing="ij")
    return F.stack([g.reshape(-1) for g in grids], dim=1)


def combinations(input, r=2, with_replacement=False):
    if input.dim() != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        from ._creation import empty
        return empty(0, dtype=input.dtype)
    gen = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    idx = np.array(list(gen(range(input.shape[0]), r)), np.int64).reshape(-1, r)
    if idx.shape[0] == 0:
        from ._creation import empty
        return empty(0, r, dtype=input.dtype)
    return F.index_select(input, 0, _new(jnp.asarray(idx.reshape(-1)))).reshape(-1, r)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    a = input._concrete("unique_consecutive()")
    if dim is None:
        flat = a.reshape(-1)
        if flat.size == 0:
            keep = np.zeros(0, bool)
        else:
            keep = np.concatenate([[True], flat[1:] != flat[:-1]])
        vals = flat[keep]
        inverse = (np.cumsum(keep) - 1).reshape(a.shape)
        n = flat.size
    else:
        d = _wrap_dim(dim, a.ndim)
        m = np.moveaxis(a, d, 0).reshape(a.shape[d], -1)
        keep = np.concatenate([[True], (m[1:] != m[:-1]).any(axis=1)]) if m.shape[0] else \
            np.zeros(0, bool)
        vals = np.compress(keep, a, axis=d)
        inverse = np.cumsum(keep) - 1
        n = a.shape[d]
    res = _new(jnp.asarray(vals))
    if not (return_inverse or return_counts):
        return res
    starts = np.flatnonzero(keep)
    counts = np.diff(np.append(starts, n))
    return (res, _new(jnp.asarray(inverse, jnp.int64)),
            _new(jnp.asarray(counts, jnp.int64)))


# ------------------------------------------------------------------ scans and selections

_Mode = F.return_type("mode", ["values", "indices"])
_Cummax = F.return_type("cummax", ["values", "indices"])
_Cummin = F.return_type("cummin", ["values", "indices"])
_Nanmedian = F.return_type("nanmedian", ["values", "indices"])


def mode(input, dim=-1, keepdim=False, *, out=None):
    d = _wrap_dim(dim, input.dim())
    if input.dim() and input.shape[d] == 0:
        raise IndexError("mode(): Expected reduction dim " f"{d} to have non-zero size.")
    return _Mode(*call(T["mode"], (input,), (d, keepdim)))


def cummax(input, dim, *, out=None):
    return _Cummax(*call(T["cummax"], (input,), (_wrap_dim(dim, input.dim()),)))


def cummin(input, dim, *, out=None):
    return _Cummin(*call(T["cummin"], (input,), (_wrap_dim(dim, input.dim()),)))


def logcumsumexp(input, dim, *, out=None):
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise NotImplementedError('"logcumsumexp_out_cpu" not implemented for '
                                  f"'{_tname(input.dtype)}'")
    return _out(call(T["logcumsumexp"], (input,), (_wrap_dim(dim, input.dim()),)), out)


def nanmedian(input, dim=None, keepdim=False, *, out=None):
    if dim is None:
        if input.numel() == 0:
            from ._creation import tensor
            return tensor(float("nan"), dtype=input.dtype)
        return call(T["nanmedian_all"], (input,), ())
    d = _wrap_dim(dim, input.dim())
    if input.dim() and input.shape[d] == 0:
        raise IndexError(f"nanmedian(): Expected reduction dim {d} to have non-zero size.")
    return _Nanmedian(*call(T["nanmedian_dim"], (input,), (d, keepdim)))


# ---------------------------------------------------------------------- shapes and stacking


def rot90(input, k=1, dims=(0, 1)):
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.dim() < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.dim()}")
    d0, d1 = (_wrap_dim(d, input.dim()) for d in dims)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and "
                           f"dim1 = {d1}")
    k %= 4
    if k == 1:
        return F.transpose(F.flip(input, (d1,)), d0, d1)
    if k == 2:
        return F.flip(input, (d0, d1))
    if k == 3:
        return F.flip(F.transpose(input, d0, d1), (d1,))
    return input.clone()


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    nd = input.dim() + 1
    d1, d2 = _wrap_dim(dim1, nd), _wrap_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return call(T["diag_embed"], (input,), (offset, d1, d2))


def _hvd_split(name, dim_of, min_dim):
    def f(input, indices_or_sections):
        if input.dim() < min_dim:
            raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dim} "
                               f"dimension, but got a tensor with {input.dim()} dimensions!")
        d = dim_of(input)
        if isinstance(indices_or_sections, builtins.int):
            n = input.shape[d]
            if indices_or_sections == 0 or n % indices_or_sections:
                raise RuntimeError(f"torch.{name} attempted to split along dimension {d}, but "
                                   f"the size of the dimension {n} is not divisible by the "
                                   f"split_size {indices_or_sections}!")
        return F.tensor_split(input, indices_or_sections, d)
    f.__name__ = name
    return f


hsplit = _hvd_split("hsplit", lambda x: 0 if x.dim() == 1 else 1, 1)
vsplit = _hvd_split("vsplit", lambda x: 0, 2)
dsplit = _hvd_split("dsplit", lambda x: 2, 3)


def _atleast(n):
    def one(t):
        if t.dim() >= n:
            return t
        if n == 1:
            return t.reshape(1)
        if n == 2:
            return t.reshape(1, -1) if t.dim() == 1 else t.reshape(1, 1)
        if t.dim() == 0:
            return t.reshape(1, 1, 1)
        if t.dim() == 1:
            return t.reshape(1, -1, 1)
        return t.unsqueeze(-1)

    def f(*tensors):
        if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
            return tuple(one(t) for t in tensors[0])
        if len(tensors) == 1:
            return one(tensors[0])
        return tuple(one(t) for t in tensors)
    f.__name__ = f"atleast_{n}d"
    return f


atleast_1d, atleast_2d, atleast_3d = _atleast(1), _atleast(2), _atleast(3)


def dstack(tensors, *, out=None):
    return _out(F.cat(list(atleast_3d(list(tensors))), 2), out)


def column_stack(tensors, *, out=None):
    cols = [t.reshape(-1, 1) if t.dim() <= 1 else t for t in tensors]
    return _out(F.cat(cols, 1), out)


def row_stack(tensors, *, out=None):
    return _out(F.vstack(tensors), out)


# ------------------------------------------------------------------------ scatter and put


def _check_bounds(index, size, dim, prefix=""):
    F._check_index_bounds(index, size, dim, prefix=prefix)


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True, out=None):
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError("reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    d = _wrap_dim(dim, input.dim())
    if index.dtype is not D.int64:
        raise RuntimeError("scatter(): Expected dtype int64 for index")
    if src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if index.dim() != input.dim() and not (index.dim() <= 1 and input.dim() <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self "
                           "tensor")
    if input.dim():
        _check_bounds(index, input.shape[d], d)
    return _out(call(T["scatter_reduce"], (input, index, src), (d, reduce, include_self)), out)


def masked_scatter(input, mask, source):
    if mask.dtype is not D.bool_:
        raise RuntimeError("masked_scatter_ only supports boolean masks, but got mask with "
                           f"dtype {_tname(mask.dtype)}")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but "
                           f"got {_tname(input.dtype)} and {_tname(source.dtype)}")
    m = mask._v
    if not isinstance(m, jax.core.Tracer):
        need = int(np.asarray(jnp.broadcast_to(m, tuple(input.shape))).sum())
        if need > source.numel():
            raise RuntimeError("Number of elements of source < number of ones in mask")
    return call(T["masked_scatter"], (input, mask, source), ())


def put(input, index, source, accumulate=False):
    if index.dtype is not D.int64:
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got "
                           f"{_tname(index.dtype)}")
    if source.dtype is not input.dtype:
        raise RuntimeError("put_(): self and source expected to have the same dtype, but got "
                           f"self.dtype = {_tname(input.dtype)} and source.dtype = "
                           f"{_tname(source.dtype)}")
    if index.numel() != source.numel():
        raise RuntimeError(f"put_(): Expected source and index to have the same number of "
                           f"elements, but got source.numel() = {source.numel()}, "
                           f"index.numel() = {index.numel()}")
    n = input.numel()
    v = index._v
    if not isinstance(v, jax.core.Tracer) and v.size:
        a = np.asarray(v)
        bad = a[(a < -n) | (a >= n)]
        if bad.size:
            raise IndexError(f"out of range: tried to access index {bad[0]} on a tensor of {n} "
                             "elements.")
    return call(T["put"], (input, index, source), (builtins.bool(accumulate),))


def as_strided(input, size, stride, storage_offset=None):
    """A view of `input`'s storage, as PyTorch's (writes through it reach the base)."""
    size, stride = tuple(builtins.int(n) for n in size), tuple(builtins.int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape")
    if builtins.any(s < 0 for s in stride):
        raise RuntimeError("as_strided: Negative strides are not supported at the moment, got "
                           f"strides: {list(stride)}")
    off = input.storage_offset() if storage_offset is None else builtins.int(storage_offset)
    root = input._base if input._base is not None else input
    n = root.numel()
    need = off + builtins.sum((a - 1) * s for a, s in zip(size, stride)) + 1 \
        if builtins.all(size) else 0
    if need > n:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage "
                           f"offset {off}, and itemsize {input.dtype.itemsize} requiring a "
                           f"storage size of {need * input.dtype.itemsize} are out of bounds "
                           f"for storage of size {n * input.dtype.itemsize}")
    return call(T["as_strided"], (root,), (size, stride, off))


# --------------------------------------------------------------------------------- complex


def angle(input, *, out=None):
    return _out(call(T["angle"], (input,), ()), out)


def view_as_real(input):
    if not input.dtype.is_complex:
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return call(T["view_as_real"], (input,), ())


def view_as_complex(input):
    if input.dtype not in (D.float32, D.float64, D.float16):
        raise RuntimeError("view_as_complex is only supported for half, float and double "
                           f"tensors, but got a tensor of scalar type: {_tname(input.dtype)}")
    if input.dim() == 0 or input.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    return call(T["view_as_complex"], (input,), ())


def _complex_pair(name, a, b):
    if a.dtype is not b.dtype:
        raise RuntimeError(f"Expected object of scalar type {_tname(a.dtype)} but got scalar "
                           f"type {_tname(b.dtype)} for second argument")
    if a.dtype not in (D.float32, D.float64, D.float16):
        raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got "
                           f"{_tname(a.dtype)} and {_tname(b.dtype)}")


def complex(real, imag, *, out=None):  # noqa: A001
    _complex_pair("complex", real, imag)
    return _out(call(T["complex"], (real, imag), ()), out)


def polar(abs, angle, *, out=None):  # noqa: A002
    _complex_pair("polar", abs, angle)
    return _out(call(T["polar"], (abs, angle), ()), out)


# ------------------------------------------------------------------------------ statistics


def cov(input, *, correction=1, fweights=None, aweights=None):
    if input.dim() > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {input.dim()} dimensions")
    if fweights is not None and fweights.dtype.category != 1:
        raise RuntimeError(f"cov(): expected fweights to have integral dtype but got fweights "
                           f"with {_tname(fweights.dtype)} dtype")
    if aweights is not None and not aweights.dtype.is_floating_point:
        raise RuntimeError(f"cov(): expected aweights to have floating point dtype but got "
                           f"aweights with {_tname(aweights.dtype)} dtype")
    return call(T["cov"], (input, fweights, aweights), (correction,))


def corrcoef(input):
    c = cov(input)
    if c.dim() == 0:
        return c / c
    d = F.diagonal(c)
    sd = F.sqrt(d)
    c = c / sd.unsqueeze(1) / sd.unsqueeze(0)
    return F.clamp(c, -1, 1) if not c.dtype.is_complex else c


def renorm(input, p, dim, maxnorm):
    d = _wrap_dim(dim, input.dim())
    if p <= 0:
        raise RuntimeError(f"renorm: non-positive-norm not supported")
    others = tuple(i for i in range(input.dim()) if i != d)
    norms = F.norm(input, p, others, True) if others else F.abs(input)
    factor = F.where(norms > maxnorm, maxnorm / (norms + 1e-7), 1.0)
    return input * factor


# ------------------------------------------------------------- special at the top level


def i0(input, *, out=None):
    return _out(call(T["special_i0"], (input,), ()), out)


def xlogy(input, other, *, out=None):
    a, b = F._t(input), F._t(other)
    return _out(call(T["xlogy"], (a, b), ()), out)


def mvlgamma(input, p):
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    return call(T["mvlgamma"], (input,), (p,))


def igamma(input, other, *, out=None):
    return _out(call(T["igamma"], (input, other), ()), out)


def igammac(input, other, *, out=None):
    return _out(call(T["igammac"], (input, other), ()), out)


def block_diag(*tensors):
    """Recorded for autograd (a table op over the blocks)."""
    ts = [t.reshape(1, -1) if t.dim() == 1 else t.reshape(1, 1) if t.dim() == 0 else t
          for t in tensors]
    for t in ts:
        if t.dim() != 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input {tensors.index(t) if t in tensors else 0} "
                               f"has {t.dim()} dimensions")
    return call(T["block_diag"], tuple(ts), ())


# ------------------------------------------------------------ more pointwise, statistics


def _float_kernel(name, input):
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise NotImplementedError(f'"{name}" not implemented for \'{_tname(input.dtype)}\'')


def logaddexp(input, other, *, out=None):
    _float_kernel("logaddexp_cpu", input)
    return _out(call(T["logaddexp"], (input, F._t(other)), ()), out)


def logaddexp2(input, other, *, out=None):
    _float_kernel("logaddexp2_cpu", input)
    return _out(call(T["logaddexp2"], (input, F._t(other)), ()), out)


def heaviside(input, values, *, out=None):
    if input.dtype is not values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different "
                           "dtypes.")
    return _out(call(T["heaviside"], (input, values), ()), out)


def _int_pair(name, kernel):
    def f(input, other, *, out=None):
        if input.dtype.category != 1:
            raise NotImplementedError(f'"{kernel}" not implemented for '
                                      f"'{_tname(input.dtype)}'")
        return _out(call(T[name], (input, F._t(other)), ()), out)
    f.__name__ = name
    return f


gcd = _int_pair("gcd", "gcd_cpu")
lcm = _int_pair("lcm", "lcm_cpu")


def nextafter(input, other, *, out=None):
    return _out(call(T["nextafter"], (input, F._t(other)), ()), out)


_Frexp = F.return_type("frexp", ["mantissa", "exponent"])


def frexp(input, *, out=None):
    if not input.dtype.is_floating_point:
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    return _Frexp(*call(T["frexp"], (input,), ()))


def ldexp(input, other, *, out=None):
    r = F.mul(input, F.pow(2.0, F._t(other)))
    return _out(r, out)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    e, t = _tensor(elements), _tensor(test_elements)
    return call(T["isin"], (e, t), (builtins.bool(invert),))


def _quantile(name, ignore_nan):
    def f(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
        if input.dtype not in (D.float32, D.float64):
            raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
        if interpolation not in ("linear", "lower", "higher", "midpoint", "nearest"):
            raise ValueError(f"{name}() interpolation must be one of linear, lower, higher, "
                             f"midpoint or nearest. Got {interpolation}")
        scalar = not isinstance(q, Tensor)
        qt = _tensor(float(q), input) if scalar else q
        if qt.dim() > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
        if qt.dtype is not input.dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
        v = qt._v
        if not isinstance(v, jax.core.Tracer):
            a = np.asarray(v)
            if a.size and ((a < 0).any() or (a > 1).any()):
                raise RuntimeError(f"{name}() q values must be in the range [0, 1]" if not
                                   scalar else f"{name}() q must be in the range [0, 1] but "
                                   f"got {float(q)}")
        d = None if dim is None else _wrap_dim(dim, input.dim())
        r = call(T["quantile"], (input, qt), (d, builtins.bool(keepdim), interpolation,
                                              ignore_nan, scalar or qt.dim() == 0))
        return _out(r, out)
    f.__name__ = name
    return f


quantile = _quantile("quantile", False)
nanquantile = _quantile("nanquantile", True)


def vdot(input, other, *, out=None):
    if input.dim() != 1 or other.dim() != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.dim()}D and {other.dim()}D "
                           "tensors")
    return _out(F.dot(input.conj() if input.dtype.is_complex else input, other), out)


def isreal(input):
    if not input.dtype.is_complex:
        from ._creation import ones_like
        return ones_like(input, dtype=D.bool_)
    return F.eq(F.imag(input), 0)


def positive(input):
    if input.dtype is D.bool_:
        raise TypeError("The `+` operator, on a bool tensor is not supported.")
    return input


def diagflat(input, offset=0):
    return F.diag(input.reshape(-1), offset)


def pdist(input, p=2):
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    n = input.shape[0]
    i, j = np.triu_indices(n, 1)
    a = F.index_select(input, 0, _new(jnp.asarray(i, jnp.int64)))
    b = F.index_select(input, 0, _new(jnp.asarray(j, jnp.int64)))
    return F.norm(a - b, p, 1) if p != 2 else F.sqrt(F.sum((a - b) ** 2, 1))


def unravel_index(indices, shape):
    idx = _tensor(indices)
    if idx.dtype.category != 1:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {idx.dtype}")
    shape = (shape,) if isinstance(shape, builtins.int) else tuple(shape)
    out, rest = [], idx
    for n in reversed(shape):
        out.append(F.remainder(rest, n))
        rest = F.div(rest, n, rounding_mode="floor")
    return tuple(reversed(out))


def _window(name, formula):
    def f(window_length, periodic=True, *args, dtype=None, layout=None, device=None,
          requires_grad=False, **kw):
        from ._creation import tensor
        if window_length < 0:
            raise RuntimeError(f"{name} requires non-negative window length, got "
                               f"window_length={window_length}")
        dtype = dtype or D.get_default_dtype()
        if window_length <= 1:
            w = np.ones(window_length)
        else:
            N = window_length + 1 if periodic else window_length
            w = formula(np.arange(window_length, dtype=np.float64), N, *args, **kw)
        return tensor(w, dtype=dtype, device=device, requires_grad=requires_grad)
    f.__name__ = name
    return f


hann_window = _window("hann_window", lambda n, N: 0.5 - 0.5 * np.cos(2 * np.pi * n / (N - 1)))
hamming_window = _window("hamming_window", lambda n, N, alpha=0.54, beta=0.46:
                         alpha - beta * np.cos(2 * np.pi * n / (N - 1)))
blackman_window = _window("blackman_window", lambda n, N: 0.42 - 0.5 * np.cos(
    2 * np.pi * n / (N - 1)) + 0.08 * np.cos(4 * np.pi * n / (N - 1)))
bartlett_window = _window("bartlett_window", lambda n, N: 1 - np.abs(2 * n / (N - 1) - 1))
kaiser_window = _window("kaiser_window", lambda n, N, beta=12.0: np.i0(
    beta * np.sqrt(np.maximum(0, 1 - ((n - (N - 1) / 2) / ((N - 1) / 2)) ** 2))) / np.i0(beta))


# ---------------------------------------------------------------------- short-time Fourier


def _stft_window(window, win_length, n_fft, dtype):
    from ._creation import ones
    if window is None:
        window = ones(win_length, dtype=dtype)
    if window.shape[0] != win_length:
        raise RuntimeError(f"stft: expected a 1D window tensor of size equal to win_length="
                           f"{win_length}, but got window with size {list(window.shape)}")
    if win_length < n_fft:          # centred in n_fft, as PyTorch
        from .nn import functional as NF
        left = (n_fft - win_length) // 2
        window = NF.pad(window, (left, n_fft - win_length - left))
    return window


def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
         pad_mode="reflect", normalized=False, onesided=None, return_complex=None):
    """Frames of `n_fft` every `hop_length`, windowed, through the FFT: (F, frames) per
    signal. Composed of table ops (pad, unfold, fft), so differentiable and traceable."""
    from . import fft as _fft
    from .nn import functional as NF
    if return_complex is None and not (input.dtype.is_complex or (
            window is not None and window.dtype.is_complex)):
        raise RuntimeError("stft requires the return_complex parameter be given for real "
                           "inputs, and will further require that return_complex=True in a "
                           "future PyTorch release.")
    if input.dim() not in (1, 2):
        raise RuntimeError(f"stft: expected a 1D or 2D tensor, but got {input.dim()}D")
    hop = n_fft // 4 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    if hop <= 0:
        raise RuntimeError(f"stft: expected hop_length > 0, but got hop_length={hop}")
    if not 0 < win <= n_fft:
        raise RuntimeError(f"stft: expected 0 < win_length <= n_fft, but got win_length={win}")
    x = input.unsqueeze(0) if input.dim() == 1 else input
    if center:
        p = n_fft // 2
        x = NF.pad(x.unsqueeze(1), (p, p), mode=pad_mode).squeeze(1)
    if not 0 < n_fft <= x.shape[-1]:
        raise RuntimeError(f"stft: expected 0 < n_fft < {x.shape[-1]}, but got n_fft={n_fft}")
    w = _stft_window(window, win, n_fft, x.dtype if not x.dtype.is_complex else
                     (D.float32 if x.dtype is D.complex64 else D.float64))
    frames = x.unfold(-1, n_fft, hop) * w                    # (B, T, n_fft)
    if onesided is None:
        onesided = not (x.dtype.is_complex or w.dtype.is_complex)
    spec = _fft.rfft(frames, dim=-1) if onesided else _fft.fft(frames, dim=-1)
    if normalized:
        spec = spec * (n_fft ** -0.5)
    spec = spec.transpose(-1, -2)
    if input.dim() == 1:
        spec = spec[0]
    return spec if return_complex else view_as_real(spec)


def istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
          normalized=False, onesided=None, length=None, return_complex=False):
    """Inverse of stft by windowed overlap-add, divided by the summed squared window."""
    from . import fft as _fft
    from ._creation import zeros
    if not input.dtype.is_complex:
        raise RuntimeError("istft requires a complex-valued input tensor")
    hop = n_fft // 4 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    spec = input.unsqueeze(0) if input.dim() == 2 else input
    rdt = D.float32 if spec.dtype is D.complex64 else D.float64
    w = _stft_window(window, win, n_fft, rdt)
    if onesided is None:
        onesided = spec.shape[-2] != n_fft
    if normalized:
        spec = spec * (n_fft ** 0.5)
    spec = spec.transpose(-1, -2)                             # (B, T, F)
    frames = _fft.irfft(spec, n=n_fft, dim=-1) if onesided else _fft.ifft(spec, dim=-1)
    if not return_complex and frames.dtype.is_complex:
        frames = F.real(frames)
    frames = frames * w
    B, nT = frames.shape[0], frames.shape[1]
    total = n_fft + hop * (nT - 1)
    idx = (np.arange(nT)[:, None] * hop + np.arange(n_fft)[None, :]).reshape(-1)
    idx_t = _new(jnp.asarray(idx, jnp.int64))
    y = zeros(B, total, dtype=frames.dtype).index_add(1, idx_t, frames.reshape(B, -1))
    env = zeros(total, dtype=rdt).index_add(0, idx_t, (w * w).repeat(nT))
    start = n_fft // 2 if center else 0
    end = total - n_fft // 2 if center else total
    if length is not None:
        end = start + length
    env_c = env[start:min(end, total)]
    envv = env_c._v
    if not isinstance(envv, jax.core.Tracer) and envv.size and float(np.abs(
            np.asarray(envv)).min()) < 1e-11:
        raise RuntimeError("istft(...): window overlap add min: 1")
    y = y[:, start:min(end, total)] / env_c
    if length is not None and y.shape[-1] < length:
        from .nn import functional as NF
        y = NF.pad(y, (0, length - y.shape[-1]))
    return y[0] if input.dim() == 2 else y


for _n in __all__:
    setattr(F, _n, globals()[_n])


class _RemovableHandle:
    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def register_post_accumulate_grad_hook(self, hook):
    """`hook(tensor)` runs after backward accumulated into this leaf's `.grad` (not for
    `autograd.grad`, which accumulates nothing), as in PyTorch."""
    if not self.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if self.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                           "tensors")
    hooks = self.__dict__.setdefault("_post_acc_hooks", [])
    hooks.append(hook)
    return _RemovableHandle(hooks, hook)


Tensor.register_post_accumulate_grad_hook = register_post_accumulate_grad_hook
