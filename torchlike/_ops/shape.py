"""Shape ops. View ops carry a stride rule so that results alias their base like PyTorch."""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .registry import defop


def _cstrides(shape):
    st, acc = [], 1
    for s in reversed(shape):
        st.append(acc)
        acc *= max(s, 1)
    return tuple(reversed(st))


def _wrap(dim, ndim):
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim % n


# ------------------------------------------------------------------ storage-level (internal)


def _flat_index(size, stride):
    idx = np.zeros(size, np.int64)
    for d, (n, s) in enumerate(zip(size, stride)):
        shp = [1] * len(size)
        shp[d] = n
        idx = idx + (np.arange(n) * s).reshape(shp)
    return idx


@defop("as_strided_read", n_in=2, saves="none", grad="AsStridedBackward0")
def _as_strided_read(base, offset, size, stride):
    return jnp.ravel(base)[offset + _flat_index(size, stride)]


@defop("copy_slices", n_in=3, saves="none", grad="CopySlices")
def _copy_slices(base, value, offset, size, stride):
    idx = offset + _flat_index(size, stride)
    v = jnp.broadcast_to(value, size).astype(base.dtype)
    return jnp.ravel(base).at[idx.ravel()].set(v.ravel()).reshape(base.shape)


def _image(base, dt):
    """The flat buffer a reinterpreting view indexes: a complex storage as its (real, imag)
    pairs (`.real`, `.imag`), or the storage's bits as another dtype of the same size."""
    dt = jnp.dtype(dt)
    if dt == base.dtype:
        return base.reshape(-1)
    if jnp.iscomplexobj(base) and not jnp.issubdtype(dt, jnp.complexfloating):
        return jnp.stack([jnp.real(base), jnp.imag(base)], -1).reshape(-1).astype(dt)
    return jax.lax.bitcast_convert_type(jax.lax.stop_gradient(base), dt).reshape(-1)


def _from_image(img, base):
    if img.dtype == base.dtype:
        return img.reshape(base.shape)
    if jnp.iscomplexobj(base) and not jnp.iscomplexobj(img):
        p = img.reshape(base.shape + (2,))
        return jax.lax.complex(p[..., 0], p[..., 1]).astype(base.dtype)
    return jax.lax.bitcast_convert_type(jax.lax.stop_gradient(img), base.dtype).reshape(
        base.shape)


@defop("reinterp_read", n_in=2, saves="none", grad="AsStridedBackward0")
def _reinterp_read(base, offset, size, stride, dt):
    return _image(base, dt)[offset + _flat_index(size, stride)]


@defop("reinterp_write", n_in=3, saves="none", grad="CopySlices")
def _reinterp_write(base, value, offset, size, stride, dt):
    img = _image(base, dt)
    idx = offset + _flat_index(size, stride)
    v = jnp.broadcast_to(value, size).astype(img.dtype)
    return _from_image(img.at[idx.ravel()].set(v.ravel()), base)


@defop("to_dtype", saves="none", grad="ToCopyBackward0")
def _to_dtype(x, dtype):
    to = jnp.dtype(dtype.np)
    if jnp.issubdtype(x.dtype, jnp.floating) and jnp.issubdtype(to, jnp.integer) \
            and to != jnp.bool_:
        # PyTorch on x86: NaN, inf and values out of range become the most negative integer
        # of int64 or int32 (narrower types go through int32 and wrap); XLA saturates
        via = jnp.int64 if to == jnp.int64 else jnp.int32
        info = jnp.iinfo(via)
        t = jnp.trunc(x)
        ok = jnp.isfinite(t) & (t >= info.min) & (t < -float(info.min))
        r = jnp.where(ok, jnp.where(ok, t, 0).astype(via), jnp.asarray(info.min, via))
        return r.astype(to)
    return x.astype(to)


@defop("view_dtype", saves="none", differentiable=False)
def _view_dtype(x, dtype):
    """Reinterpret the bytes; a different element size rescales the last dimension."""
    to = jnp.dtype(dtype.np)
    a, b = x.dtype.itemsize, to.itemsize
    if a == b:
        return jax.lax.bitcast_convert_type(x, to)
    if b < a:
        r = jax.lax.bitcast_convert_type(x, to)
        return r.reshape(x.shape[:-1] + (x.shape[-1] * (a // b),))
    return jax.lax.bitcast_convert_type(x.reshape(x.shape[:-1] + (x.shape[-1] // (b // a),
                                                                   b // a)), to)


def _to_device(x, dev):
    import jax
    return jax.device_put(x, dev)


defop("to_device", saves="none", grad="ToCopyBackward0")(_to_device)


@defop(saves="none", grad="CloneBackward0")
def clone(x, memory_format=None):
    return jnp.array(x, copy=True)


@defop(saves="none", grad="ExpandBackward0", view=lambda m, size: _expand_meta(m, size))
def expand(x, size):
    return jnp.broadcast_to(x, size)


def _expand_meta(meta, size):
    shape, st, off = meta
    nd = len(size)
    shape = (1,) * (nd - len(shape)) + tuple(shape)
    st = (0,) * (nd - len(st)) + tuple(st)
    return (tuple(size), tuple(0 if o == 1 and n != 1 else s for o, n, s in zip(shape, size, st)),
            off)


def expand_size(shape, sizes):
    """Resolve -1 entries of `expand` sizes and check them like PyTorch."""
    sizes = tuple(sizes)
    if len(sizes) < len(shape):
        raise RuntimeError(f"expand(torch.FloatTensor{{{list(shape)}}}, size={list(sizes)}): the "
                           "number of sizes provided ({}) must be greater or equal to the number "
                           "of dimensions in the tensor ({})".format(len(sizes), len(shape)))
    lead = len(sizes) - len(shape)
    out = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError("The expanded size of the tensor (-1) isn't allowed in a "
                                   "leading, non-existing dimension " + str(i))
            out.append(s)
            continue
        o = shape[i - lead]
        if s == -1:
            s = o
        if o != s and o != 1:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing "
                               f"size ({o}) at non-singleton dimension {i}.  Target sizes: "
                               f"{list(sizes)}.  Tensor sizes: {list(shape)}")
        out.append(s)
    return tuple(out)


# ------------------------------------------------------------------------- view / reshape


def view_strides(shape, strides, newshape):
    """PyTorch's computeStride: strides for viewing (shape, strides) as newshape, or None."""
    if math.prod(shape) == 0:
        return _cstrides(newshape)
    if len(shape) == 0:
        shape, strides = (1,), (1,)
    newstride = [0] * len(newshape)
    view_d = len(newshape) - 1
    chunk = strides[-1]
    tnum = vnum = 1
    for td in range(len(shape) - 1, -1, -1):
        tnum *= shape[td]
        if td == 0 or (shape[td - 1] != 1 and strides[td - 1] != tnum * chunk):
            while view_d >= 0 and (vnum < tnum or newshape[view_d] == 1):
                newstride[view_d] = vnum * chunk
                vnum *= newshape[view_d]
                view_d -= 1
            if vnum != tnum:
                return None
            if td > 0:
                chunk = strides[td - 1]
                tnum = vnum = 1
    if view_d != -1:
        return None
    return tuple(newstride)


def infer_size(shape, numel):
    shape = list(shape)
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = math.prod(s for s in shape if s != -1)
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape[neg[0]] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return tuple(shape)


def _view_meta(meta, shape):
    st = view_strides(meta[0], meta[1], shape)
    if st is None:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at "
                           "least one dimension spans across two contiguous subspaces). Use "
                           ".reshape(...) instead.")
    return (tuple(shape), st, meta[2])


@defop(saves="none", grad="ViewBackward0", view=_view_meta)
def view(x, shape):
    return jnp.reshape(x, shape)


@defop("reshape_copy", saves="none", grad="UnsafeViewBackward0")
def _reshape_copy(x, shape):
    return jnp.reshape(x, shape)


def _perm_meta(meta, dims):
    shape, st, off = meta
    return (tuple(shape[d] for d in dims), tuple(st[d] for d in dims), off)


@defop(saves="none", grad="PermuteBackward0", view=_perm_meta)
def permute(x, dims):
    return jnp.transpose(x, dims)


def _transpose_meta(meta, dim0, dim1):
    p = list(range(len(meta[0])))
    if p:
        p[dim0], p[dim1] = p[dim1], p[dim0]
    return _perm_meta(meta, p)


@defop(saves="none", grad="TransposeBackward0", view=_transpose_meta)
def transpose(x, dim0, dim1):
    return jnp.swapaxes(x, dim0, dim1) if x.ndim else x


@defop("t", saves="none", grad="TBackward0",
       view=lambda m: _transpose_meta(m, 0, 1) if len(m[0]) == 2 else m)
def t_(x):
    return x.T


def _squeeze_meta(meta, dims):
    shape, st, off = meta
    keep = [i for i in range(len(shape)) if not (i in dims and shape[i] == 1)]
    return (tuple(shape[i] for i in keep), tuple(st[i] for i in keep), off)


@defop(saves="none", grad=lambda dims: "SqueezeBackward1" if len(dims) == 1 else "SqueezeBackward0",
       view=_squeeze_meta)
def squeeze(x, dims):
    return jnp.squeeze(x, tuple(d for d in dims if x.shape[d] == 1))


def _unsqueeze_meta(meta, dim):
    shape, st, off = meta
    s = st[dim] * shape[dim] if dim < len(shape) else 1
    return (shape[:dim] + (1,) + shape[dim:], st[:dim] + (s,) + st[dim:], off)


@defop(saves="none", grad="UnsqueezeBackward0", view=_unsqueeze_meta)
def unsqueeze(x, dim):
    return jnp.expand_dims(x, dim)


def _diag_meta(meta, offset, dim1, dim2):
    shape, st, off = meta
    n1, n2 = shape[dim1], shape[dim2]
    if offset >= 0:
        n = max(min(n1, n2 - offset), 0)
        off = off + offset * st[dim2]
    else:
        n = max(min(n1 + offset, n2), 0)
        off = off - offset * st[dim1]
    keep = [i for i in range(len(shape)) if i not in (dim1, dim2)]
    return (tuple(shape[i] for i in keep) + (n,), tuple(st[i] for i in keep) + (st[dim1] + st[dim2],),
            off)


@defop(saves="none", grad="DiagonalBackward0", view=_diag_meta)
def diagonal(x, offset=0, dim1=0, dim2=1):
    return jnp.diagonal(x, offset, dim1, dim2)


def _alias_meta(meta):
    return meta


@defop(saves="none", grad="AliasBackward0", view=_alias_meta)
def alias(x):
    return x


# ----------------------------------------------------------------------- basic indexing
# spec: per output-producing step, ("i", dim) select, ("s", dim, length, step) slice,
# ("n", pos) unsqueeze; dynamic args are the starts of "i" and "s" entries.


def _basic_meta(meta, spec, starts_static):
    shape, st, off = list(meta[0]), list(meta[1]), meta[2]
    k = 0
    for item in spec:
        if item[0] == "i":
            d = item[1]
            off += starts_static[k] * st[d]
            k += 1
            del shape[d], st[d]
        elif item[0] == "s":
            _, d, length, step = item
            off += starts_static[k] * st[d]
            k += 1
            shape[d] = length
            st[d] = st[d] * step
        else:
            d = item[1]
            s = st[d] * shape[d] if d < len(shape) else 1
            shape.insert(d, 1)
            st.insert(d, s)
    return (tuple(shape), tuple(st), off)


@defop("basic_index", n_in=1, saves="none", grad=lambda spec, name: name)
def _basic_index(x, *starts, spec, name):
    k = 0
    for item in spec:
        if item[0] == "i":
            x = lax.dynamic_index_in_dim(x, starts[k], item[1], keepdims=False)
            k += 1
        elif item[0] == "s":
            _, d, length, step = item
            span = (length - 1) * step + 1 if length else 0
            x = lax.dynamic_slice_in_dim(x, starts[k], span, d)
            if step > 1:
                x = lax.slice_in_dim(x, 0, span, step, d)
            k += 1
        else:
            x = jnp.expand_dims(x, item[1])
    return x


def parse_basic_index(shape, index):
    """Turn a basic index (ints, slices, None, Ellipsis) into a spec, starts and node name.

    Returns None when the index is not basic (tensors, lists, bools).
    """
    single = not isinstance(index, tuple)
    items = (index,) if single else index
    if any(it is True for it in items):
        # x[True] adds a dimension of size 1, like None
        items = tuple(None if it is True else it for it in items)
    for it in items:
        if not (it is None or it is Ellipsis or isinstance(it, slice)
                or (isinstance(it, int) and not isinstance(it, bool))
                or (hasattr(it, "__index__") and not hasattr(it, "shape")
                    and not isinstance(it, bool))):
            return None
    n_ell = sum(1 for it in items if it is Ellipsis)
    if n_ell > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    n_real = sum(1 for it in items if it is not None and it is not Ellipsis)
    if n_real > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    if n_ell:
        i = items.index(Ellipsis)
        items = items[:i] + (slice(None),) * (len(shape) - n_real) + items[i + 1:]
        single = False
    spec, starts, name = [], [], None
    d = 0  # current dim in the (partially indexed) result
    src = 0  # dim in the source
    for it in items:
        if it is None:
            spec.append(("n", d))
            name = "UnsqueezeBackward0"
            d += 1
            continue
        n = shape[src]
        if isinstance(it, slice):
            start, stop, step = it.start, it.stop, it.step
            step = 1 if step is None else int(step)
            if step <= 0:
                raise ValueError("step must be greater than zero")
            start = 0 if start is None else int(start)
            stop = n if stop is None else int(stop)
            if start < 0:
                start += n
            if stop < 0:
                stop += n
            start = min(max(start, 0), n)
            stop = min(max(stop, start), n)
            length = (stop - start + step - 1) // step
            if single or not (start == 0 and length == n and step == 1):
                spec.append(("s", d, length, step))
                starts.append(start)
                name = "SliceBackward0"
            d += 1
        else:
            i = int(it)
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of bounds for dimension {src} with size {n}")
            spec.append(("i", d))
            starts.append(i % n)
            name = "SelectBackward0"
        src += 1
    return tuple(spec), tuple(starts), name or "AliasBackward0"


# ------------------------------------------------------------------- advanced indexing


@defop("index", n_in=1, saves="none", grad="IndexBackward0")
def _index(x, *arrays, spec):
    return x[_build_index(spec, arrays)]


def _build_index(spec, arrays):
    out, k = [], 0
    for s in spec:
        if s == "a":
            out.append(arrays[k])
            k += 1
        else:
            out.append(s if not isinstance(s, tuple) else slice(*s))
    return tuple(out)


@defop("index_put", n_in=2, saves="none", grad="IndexPutBackward0")
def _index_put(x, v, *arrays, spec, accumulate=False):
    idx = _build_index(spec, arrays)
    v = v.astype(x.dtype) if hasattr(v, "astype") else v
    return x.at[idx].add(v) if accumulate else x.at[idx].set(v)


@defop("masked_fill", n_in=3, saves="none")
def _masked_fill(x, mask, value):
    return jnp.where(mask, jnp.asarray(value).astype(x.dtype), x)


# ------------------------------------------------------------------- joins and splits


@defop(seq=True, promote="same", saves="none")
def cat(*xs, dim=0):
    return jnp.concatenate(xs, axis=dim)


@defop(seq=True, promote="same", saves="none")
def stack(*xs, dim=0):
    return jnp.stack(xs, axis=dim)


def _split_meta(meta, sizes, dim):
    shape, st, off = meta
    out, start = [], 0
    for n in sizes:
        s = list(shape)
        s[dim] = n
        out.append((tuple(s), st, off + start * st[dim]))
        start += n
    return out


@defop("split_with_sizes", saves="none", grad="SplitWithSizesBackward0", view=_split_meta)
def _split(x, sizes, dim):
    idx = list(np.cumsum(sizes)[:-1])
    return tuple(jnp.split(x, idx, axis=dim))


@defop("split_equal", saves="none", grad="SplitBackward0",
       view=lambda m, sizes, dim: _split_meta(m, sizes, dim))
def _split_equal(x, sizes, dim):
    idx = list(np.cumsum(sizes)[:-1])
    return tuple(jnp.split(x, idx, axis=dim))


def _unbind_meta(meta, dim):
    shape, st, off = meta
    s = shape[:dim] + shape[dim + 1:]
    t = st[:dim] + st[dim + 1:]
    return [(s, t, off + i * st[dim]) for i in range(shape[dim])]


@defop(saves="none", grad="UnbindBackward0", view=_unbind_meta)
def unbind(x, dim=0):
    return tuple(jnp.moveaxis(x, dim, 0))


@defop(saves="none")
def flip(x, dims):
    return jnp.flip(x, dims)


@defop(saves="none")
def roll(x, shifts, dims):
    return jnp.roll(x, shifts, dims)


@defop(saves="none")
def repeat(x, repeats):
    lead = len(repeats) - x.ndim
    x = jnp.reshape(x, (1,) * lead + x.shape)
    return jnp.tile(x, repeats)


@defop(saves="none")
def tril(x, diagonal=0):
    return jnp.tril(x, diagonal)


@defop(saves="none")
def triu(x, diagonal=0):
    return jnp.triu(x, diagonal)


@defop(n_in=2, saves="inputs")
def gather(x, index, dim):
    return jnp.take_along_axis(x, index, axis=dim)


def _scatter_idx(index, dim):
    grids = jnp.meshgrid(*[jnp.arange(n) for n in index.shape], indexing="ij")
    grids[dim] = index
    return tuple(grids)


@defop(n_in=3, saves="none")
def scatter(x, index, src, dim, reduce=None):
    idx = _scatter_idx(index, dim)
    if not hasattr(src, "shape") or src.ndim == 0:
        src = jnp.broadcast_to(jnp.asarray(src, x.dtype), index.shape)
    else:
        src = src[tuple(slice(0, n) for n in index.shape)].astype(x.dtype)
    if reduce in ("add", "sum"):
        return x.at[idx].add(src)
    if reduce in ("multiply", "prod"):
        return x.at[idx].multiply(src)
    return x.at[idx].set(src)


@defop(n_in=3, saves="none")
def scatter_add(x, index, src, dim):
    src = src[tuple(slice(0, n) for n in index.shape)].astype(x.dtype)
    return x.at[_scatter_idx(index, dim)].add(src)


@defop(n_in=2, saves="none")
def index_select(x, index, dim):
    return jnp.take(x, index, axis=dim)


@defop(n_in=3, saves="none")
def index_add(x, index, source, dim, alpha=1):
    idx = (slice(None),) * dim + (index,)
    return x.at[idx].add((source * alpha).astype(x.dtype))


@defop(n_in=3, saves="none")
def index_copy(x, index, source, dim):
    idx = (slice(None),) * dim + (index,)
    return x.at[idx].set(source.astype(x.dtype))


@defop(n_in=2, saves="none")
def index_fill(x, index, value, dim):
    idx = (slice(None),) * dim + (index,)
    return x.at[idx].set(jnp.asarray(value, x.dtype))


@defop(saves="none", grad="TopkBackward0")
def topk(x, k, dim=-1, largest=True, sorted=True):
    xm = jnp.moveaxis(x, dim, -1)
    if jnp.issubdtype(xm.dtype, jnp.floating):
        # every NaN counts as the largest value (torch); top_k orders a NaN by its sign bit,
        # and x86 makes negative NaNs (log of a negative number)
        xm = jnp.where(jnp.isnan(xm), jnp.array(jnp.nan, xm.dtype), xm)
    v, i = lax.top_k(xm if largest else -xm, k)
    if not largest:
        v = -v
    return jnp.moveaxis(v, -1, dim), jnp.moveaxis(i, -1, dim).astype(jnp.int64)


@defop(saves="none", grad="SortBackward0")
def sort(x, dim=-1, descending=False, stable=False):
    if x.ndim == 0:
        return x, jnp.zeros((), jnp.int64)
    i = jnp.argsort(x, axis=dim, stable=True, descending=descending)
    return jnp.take_along_axis(x, i, axis=dim), i.astype(jnp.int64)


@defop(differentiable=False)
def argsort(x, dim=-1, descending=False, stable=False):
    if x.ndim == 0:
        return jnp.zeros((), jnp.int64)
    return jnp.argsort(x, axis=dim, stable=True, descending=descending).astype(jnp.int64)


@defop(saves="none")
def movedim(x, source, destination):
    return jnp.moveaxis(x, source, destination)


def _movedim_perm(n, source, destination):
    perm = [-1] * n
    for s, d in zip(source, destination):
        perm[d] = s
    rest = iter(d for d in range(n) if d not in source)
    return tuple(p if p >= 0 else next(rest) for p in perm)


movedim.view = lambda meta, source, destination: _perm_meta(
    meta, _movedim_perm(len(meta[0]), source, destination))


@defop(saves="none")
def narrow_copy(x, dim, start, length):
    return lax.slice_in_dim(x, start, start + length, 1, dim)
