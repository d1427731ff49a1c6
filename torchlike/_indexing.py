"""``Tensor.__getitem__`` / ``__setitem__``: PyTorch's indexing rules, step by step.

PyTorch (``torch/csrc/autograd/python_variable_indexing.cpp``, ``ATen/TensorIndexing.h``)
indexes in two stages, and so does this module:

1. *basic*: walking the index left to right, ints select, slices slice, ``None`` and Python
   bools unsqueeze, ``...`` skips the unspecified dimensions; tensors, lists, tuples and
   ``range`` objects (converted to index tensors) are set aside with the dimension of the
   partial result they apply to. The result is a view.
2. *advanced*: the index tensors set aside (a bool mask stands for its ``nonzero()`` columns, a
   Python bool for ``[0]`` or ``[]`` on its new dimension) are broadcast together and gather
   from the view; their dimensions go where the first one was when they are adjacent, in front
   otherwise. Ints were applied in stage 1, so they never separate index tensors
   (``x[0, :, [1, 2]]`` has shape ``(3, 2)`` for a ``(2, 3, 4)`` tensor, where NumPy gives
   ``(2, 3)``).

A non-tuple sequence holding a sequence, tensor, slice, ``None`` or ``...`` is read as a tuple
(with PyTorch's deprecation warning), as PyTorch still does. Errors come in PyTorch's order
with its types and messages: too many indices, select out of range (naming the index's
position), index tensor dtype, mask shape, broadcast, then out-of-range index values (checked
only when the result is not empty, like PyTorch's kernel, which never reads them then).
"""
from __future__ import annotations

import builtins
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from . import _checks
from . import _dtype as D
from ._ops import shape as S
from ._ops.registry import TABLE as T, call, check_inplace, commit
from ._tensor import Tensor, _new

_SEQ_WARNING = (
    "Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed "
    "in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be "
    "interpreted as tensor index, x[torch.tensor(seq)], which will result either in an error "
    "or a different result")

_FULL = slice(None)


def _is_seq(x):
    return isinstance(x, (list, tuple, range, np.ndarray))


def _as_tuple(index):
    if isinstance(index, tuple):
        return index
    if isinstance(index, (list, range)) and len(index) < 32:
        for it in index:
            if isinstance(it, Tensor) or _is_seq(it) or isinstance(it, (slice, str)) \
                    or it is None or it is Ellipsis:
                warnings.warn(_SEQ_WARNING, UserWarning, stacklevel=4)
                return tuple(index)
    return (index,)


def _plain(x):
    if isinstance(x, range):
        return list(x)
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, Tensor):
        return x.tolist()
    return x


def _seq_tensor(seq):
    """PyTorch's indexing_tensor_from_data: a bool or uint8 sequence stays so, others -> long."""
    if isinstance(seq, np.ndarray):
        a = seq
    else:
        data = _plain(seq)

        def check(v):
            if isinstance(v, list):
                for w in v:
                    check(w)
            elif isinstance(v, str):
                raise TypeError("new(): invalid data type 'str'")
            elif not isinstance(v, (builtins.bool, builtins.int, builtins.float, np.generic)):
                raise TypeError(f"new(): invalid data type '{type(v).__name__}'")
        check(data)
        try:
            a = np.asarray(data)
        except ValueError:
            raise ValueError("expected sequence of length "
                             f"{len(data[0]) if data and isinstance(data[0], list) else 0} "
                             "at dim 1 (got a ragged sequence)") from None
    if a.dtype == np.bool_ or a.dtype == np.uint8:
        return _new(jnp.asarray(a))
    if a.dtype.kind == "c":
        raise TypeError("can't convert complex to long")
    if a.dtype.kind not in "biuf" and a.size:
        raise TypeError(f"new(): invalid data type '{a.dtype}'")
    return _new(jnp.asarray(a.astype(np.int64)))


def _concrete_value(t):
    v = t._v
    return not isinstance(v, jax.core.Tracer)


def _is_mask(t):
    return t.dtype is D.bool_ or t.dtype is D.uint8


def _items(shape, index):
    """Normalise ``index`` into a list of (kind, value) with kind in int/slice/none/ell/bool/
    tensor, converting sequences to index tensors."""
    out = []
    for it in _as_tuple(index):
        if it is None:
            out.append(("none", None))
        elif it is Ellipsis:
            out.append(("ell", None))
        elif isinstance(it, builtins.bool) or isinstance(it, np.bool_):
            out.append(("bool", builtins.bool(it)))
        elif isinstance(it, slice):
            out.append(("slice", it))
        elif isinstance(it, builtins.int) or isinstance(it, np.integer):
            out.append(("int", builtins.int(it)))
        elif isinstance(it, Tensor):
            if it.dim() == 0 and it.dtype.category <= 1 and _concrete_value(it):
                # a 0-d integer tensor selects like an int, a 0-d bool one acts like a bool
                if _is_mask(it):
                    out.append(("bool", builtins.bool(it.item())) if it.dtype is D.bool_
                               else ("tensor", it.reshape(1)))
                else:
                    out.append(("int", builtins.int(it.item())))
            else:
                out.append(("tensor", it))
        elif _is_seq(it) or isinstance(it, str):
            # converted (and its errors raised) when the walk reaches it, as in PyTorch
            try:
                if isinstance(it, str):
                    raise TypeError("new(): invalid data type 'str'")
                out.append(("tensor", _seq_tensor(it)))
            except (TypeError, ValueError) as e:
                out.append(("bad", e))
        elif hasattr(it, "__index__"):
            out.append(("int", it.__index__()))
        else:
            out.append(("bad", IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
                f"are valid indices (got {type(it).__name__})")))
    return out


def _specified(items):
    n = 0
    for kind, v in items:
        if kind in ("int", "slice", "bad"):
            n += 1
        elif kind == "tensor":
            n += v.dim() if _is_mask(v) else 1
    return n


def _plan(shape, index):
    """Stage 1: (basic index tuple, shape after it, [(dim, kind, value)] set aside)."""
    items = _items(shape, index)
    ndim = len(shape)
    spec = _specified(items)
    if spec > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    basic, adv, s1 = [], [], []
    src = 0
    for pos, (kind, v) in enumerate(items):
        if kind == "bad":
            raise v
        if kind == "int":
            n = shape[src]
            if not -n <= v < n:
                raise IndexError(f"index {v} is out of bounds for dimension {pos} with size {n}")
            basic.append(v)
            src += 1
        elif kind == "slice":
            step = 1 if v.step is None else v.step.__index__()
            if step == 0:
                raise ValueError("slice step cannot be zero")
            if step < 0:
                raise ValueError("step must be greater than zero")
            start, stop, _ = slice(v.start, v.stop, step).indices(shape[src])
            s1.append(builtins.max(0, (stop - start + step - 1) // step))
            basic.append(slice(v.start, v.stop, step))
            src += 1
        elif kind == "none":
            basic.append(None)
            s1.append(1)
        elif kind == "bool":
            basic.append(None)
            adv.append((len(s1), "bool", v))
            s1.append(1)
        elif kind == "ell":
            k = builtins.min(ndim - spec, ndim - src)
            basic.extend([_FULL] * k)
            s1.extend(shape[src:src + k])
            src += k
        else:  # tensor
            k = v.dim() if _is_mask(v) else 1
            adv.append((len(s1), "mask" if _is_mask(v) else "index", v))
            basic.extend([_FULL] * k)
            s1.extend(shape[src:src + k])
            src += k
    s1.extend(shape[src:])
    return tuple(basic), tuple(s1), adv


def _arrays(s1, adv):
    """Stage 2: index arrays and the dims they index, checked as PyTorch checks them."""
    for _, kind, v in adv:
        if kind == "index" and v.dtype.category != 1:
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    arrays, dims = [], []
    for d, kind, v in adv:
        if kind == "bool":
            arrays.append(_new(jnp.zeros((1 if v else 0,), jnp.int64)))
            dims.append(d)
        elif kind == "mask":
            if v.dtype is D.uint8:
                warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a "
                              "dtype torch.bool instead.", UserWarning, stacklevel=4)
            for k in range(v.dim()):
                if v.shape[k] != s1[d + k]:
                    raise IndexError(f"The shape of the mask {list(v.shape)} at index {k} does "
                                     f"not match the shape of the indexed tensor {list(s1)} at "
                                     f"index {d + k}")
            m = v._concrete("boolean mask indexing")
            for k, a in enumerate(np.nonzero(np.asarray(m))):
                arrays.append(_new(jnp.asarray(a.astype(np.int64))))
                dims.append(d + k)
        else:
            arrays.append(v)
            dims.append(d)
    shapes = [tuple(a.shape) for a in arrays]
    try:
        bshape = np.broadcast_shapes(*shapes)
    except ValueError:
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together with "
                         "shapes " + ", ".join(str(list(s)) for s in shapes)) from None
    rest = [s1[d] for d in range(len(s1)) if d not in dims]
    empty = 0 in bshape or 0 in rest
    if 0 not in bshape and any(s1[d] == 0 for d in dims):  # PyTorch checks this one always
        raise IndexError("index is out of bounds for dimension with size 0")
    if not empty:
        # PyTorch's kernel walks the broadcast positions in order and checks index tensor j
        # (counting from 0 among the index tensors) at each: the first failure is reported
        bad_at = []
        for j, (a, d) in enumerate(zip(arrays, dims)):
            n = s1[d]
            if not _concrete_value(a):  # traced by torchlike.compile: raised after the step
                _checks.first_bad(a._v, _checks.outside(-n, n), lambda v, j=j, n=n: IndexError(
                    f"index {v} is out of bounds for dimension {j} with size {n}"))
                continue
            x = np.broadcast_to(np.asarray(a._v), bshape).reshape(-1)
            bad = np.nonzero((x >= n) | (x < -n))[0]
            if bad.size:
                bad_at.append((bad[0], j, x[bad[0]], n))
        if bad_at:
            _, j, val, n = min(bad_at)
            raise IndexError(f"index {val} is out of bounds for dimension {j} with size {n}")
    if dims == list(range(dims[0], dims[0] + len(dims))):
        rshape = tuple(s1[:dims[0]]) + tuple(bshape) + tuple(s1[dims[-1] + 1:])
    else:
        rshape = tuple(bshape) + tuple(rest)
    spec = []
    by_dim = dict(zip(dims, range(len(dims))))
    ordered = []
    for d in range(dims[-1] + 1):
        if d in by_dim:
            spec.append("a")
            ordered.append(arrays[by_dim[d]])
        else:
            spec.append((None, None, None))
    return tuple(spec), ordered, rshape


def _basic(t, basic):
    """Stage 1 on t: a view (t itself when the index does nothing)."""
    if builtins.all(b is _FULL for b in basic):
        return t
    from ._functions import getitem_basic
    return getitem_basic(t, basic)


def getitem(t, index):
    basic, s1, adv = _plan(tuple(t.shape), index)
    if not adv:
        from ._functions import getitem_basic
        if not isinstance(index, tuple) and len(basic) == 1:
            basic = basic[0]          # x[:] is an alias, x[1:] a slice: as PyTorch names them
        return getitem_basic(t, basic)
    v = _basic(t, basic)
    spec, arrays, _ = _arrays(s1, adv)
    return call(T["index"], (v,) + tuple(arrays), (spec,))


def _strip_ones(shape):
    shape = list(shape)
    while shape and shape[0] == 1:
        shape.pop(0)
    return shape


def _check_expand(vshape, target):
    vs = _strip_ones(vshape)
    if len(vs) > len(target):
        raise RuntimeError(f"expand(torch.{'LongTensor'}{{{list(vs)}}}, size={list(target)}): "
                           "the number of sizes provided "
                           f"({len(target)}) must be greater or equal to the number of "
                           f"dimensions in the tensor ({len(vs)})")
    off = len(target) - len(vs)
    for i, n in enumerate(vs):
        if n != 1 and n != target[off + i]:
            raise RuntimeError(f"The expanded size of the tensor ({target[off + i]}) must match "
                               f"the existing size ({n}) at non-singleton dimension {off + i}.  "
                               f"Target sizes: {list(target)}.  Tensor sizes: {list(vs)}")


def setitem(t, index, value):
    from ._functions import _t
    value = _t(value)
    basic, s1, adv = _plan(tuple(t.shape), index)
    vshape = tuple(value.shape) if isinstance(value, Tensor) else ()
    if not adv:
        from ._functions import getitem_basic
        target = getitem_basic(t, basic)
        _check_expand(vshape, tuple(target.shape))
        check_inplace(target)
        commit(target, call(T["copy_from"], (target, value), ()))
        return
    v = _basic(t, basic)
    if len(adv) == 1 and adv[0][1] == "mask" and not isinstance(value, Tensor) \
            and not _concrete_value(adv[0][2]):
        # x[mask] = scalar under tracing: a where, no data-dependent shape
        d, _, m = adv[0]
        if tuple(m.shape) != s1[d:d + m.dim()]:
            raise IndexError(f"The shape of the mask {list(m.shape)} at index 0 does not match "
                             f"the shape of the indexed tensor {list(s1)} at index {d}")
        mm = m.reshape((1,) * d + tuple(m.shape) + (1,) * (len(s1) - d - m.dim()))
        check_inplace(v)
        commit(v, call(T["masked_fill"], (v, mm, value), ()))
        return
    spec, arrays, rshape = _arrays(s1, adv)
    try:
        np.broadcast_shapes(tuple(_strip_ones(vshape)), rshape)
        ok = len(_strip_ones(vshape)) <= len(rshape)
    except ValueError:
        ok = False
    if not ok or np.broadcast_shapes(tuple(_strip_ones(vshape)), rshape) != tuple(rshape):
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(vshape)} cannot be "
                           f"broadcast to indexing result of shape {list(rshape)}")
    check_inplace(v)
    if isinstance(value, Tensor):
        if value.dtype is not t.dtype:
            value = value.to(t.dtype)
        if vshape != tuple(_strip_ones(vshape)):
            value = value.reshape(tuple(_strip_ones(vshape)))
    commit(v, call(T["index_put"], (v, value) + tuple(arrays), (spec, False)))
