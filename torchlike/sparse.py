"""torchlike.sparse: COO sparse tensors (PyTorch's ``torch.sparse_coo`` layout).

A sparse COO tensor holds two ordinary tensors, ``indices`` (int64, ``sparse_dim x nnz``) and
``values`` (``nnz x *dense_dims``). Every operation on it is built from table ops on those two,
so gradients flow into ``values`` (and into dense operands of ``sparse.mm``). Matrix products
run on ``jax.experimental.sparse.BCOO``.

Coalescing (summing duplicate indices, sorting them) needs concrete indices: it runs eagerly.
"""
from __future__ import annotations

import builtins

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import sparse as jsparse

from . import _dtype as D
from . import _tensor_str
from ._ops.registry import call, defop
from ._tensor import Size, Tensor, _is_tracer, _new, _wrap_dim

__all__ = ["mm", "addmm", "sum", "sparse_coo_tensor", "SparseTensor", "sparse_coo", "layout",
           "to_dense", "check_sparse_tensor_invariants"]


class layout:
    """``torch.layout``: prints as ``torch.sparse_coo``."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "torch." + self.name

    __str__ = __repr__

    def __eq__(self, other):
        if isinstance(other, str):
            return other in (self.name, "torch." + self.name)
        return isinstance(other, layout) and other.name == self.name

    def __hash__(self):
        return hash(self.name)

    def __reduce__(self):
        return (layout, (self.name,))


sparse_coo = layout("sparse_coo")


# ----------------------------------------------------------------------------------- ops
# Indices are a non-differentiable integer input; values (and dense operands) get gradients
# from jax.vjp like every other table op.


@defop("sparse_coo_to_dense", n_in=2, saves="none", grad="ToDenseBackward0")
def _to_dense_op(indices, values, shape):
    out = jnp.zeros(shape, values.dtype)
    return out.at[tuple(indices)].add(values)


@defop("sparse_coo_segment_sum", n_in=2, saves="none", grad="SparseCoalesceBackward0")
def _segment_sum_op(values, segment_ids, num_segments):
    return jax.ops.segment_sum(values, segment_ids, num_segments, indices_are_sorted=False)


@defop("sparse_coo_gather", n_in=2, saves="none", grad="SparseCooGatherBackward0")
def _gather_op(dense, indices):
    return dense[tuple(indices)]


@defop("sparse_coo_mm", n_in=3, saves="none", grad="SparseAddmmBackward0")
def _mm_op(indices, values, dense, shape):
    dt = jnp.result_type(values.dtype, dense.dtype)
    m = jsparse.BCOO((values.astype(dt), indices.T), shape=shape)
    return m @ dense.astype(dt)


_TO_DENSE = _to_dense_op
_SEGSUM = _segment_sum_op
_GATHER = _gather_op
_MM = _mm_op


@jax.jit
def _raw_dense(indices, values, zeros):
    return zeros.at[tuple(indices)].add(values)


# ---------------------------------------------------------------------------- the tensor


def _as_tensor(x, dtype=None):
    from ._creation import tensor
    if isinstance(x, Tensor):
        return x if dtype is None or x.dtype is dtype else x.to(dtype)
    return tensor(x, dtype=dtype)


class SparseTensor(Tensor):
    """A COO sparse tensor: ``_ind`` (int64 ``[sparse_dim, nnz]``) and ``_val`` (``[nnz, ...]``)."""

    is_sparse = True
    layout = sparse_coo
    _rg = False   # generic (dense) ops see a constant; sparse ops differentiate through values

    def __init__(self, *args, **kwargs):  # noqa: D401 - only built through _make
        raise TypeError("use torchlike.sparse_coo_tensor(indices, values, size) to build a "
                        "sparse tensor")

    @classmethod
    def _make(cls, ind, val, size, coalesced=False):
        t = object.__new__(cls)
        t._ind, t._val, t._sz, t._coalesced = ind, val, tuple(int(s) for s in size), coalesced
        return t

    # ---------------------------------------------------------------- storage and shape
    @property
    def _v(self):
        """The dense jax array this sparse tensor stands for (used by dense ops)."""
        val = self._val._v
        return _raw_dense(self._ind._v, val, jnp.zeros(self._sz, val.dtype))

    @property
    def _data(self):
        return self._v

    @_data.setter
    def _data(self, v):
        raise RuntimeError("in-place operations on a sparse tensor's dense value are not "
                           "supported by torchlike; operate on .values() instead")

    @property
    def dtype(self):
        return self._val.dtype

    @property
    def shape(self):
        return Size(self._sz)

    def size(self, dim=None):
        if dim is None:
            return Size(self._sz)
        return self._sz[_wrap_dim(dim, len(self._sz))]

    def dim(self):
        return len(self._sz)

    ndimension = dim

    @property
    def ndim(self):
        return len(self._sz)

    def numel(self):
        n = 1
        for s in self._sz:
            n *= s
        return n

    nelement = numel

    @property
    def device(self):
        return self._val.device

    def sparse_dim(self):
        return self._ind.shape[0]

    def dense_dim(self):
        return len(self._sz) - self.sparse_dim()

    def _nnz(self):
        return self._ind.shape[1]

    def is_coalesced(self):
        return self._coalesced

    def _indices(self):
        return self._ind

    def _values(self):
        return self._val

    def indices(self):
        if not self._coalesced:
            raise RuntimeError("Cannot get indices on an uncoalesced tensor, please call "
                               ".coalesce() first")
        return self._ind

    def values(self):
        if not self._coalesced:
            raise RuntimeError("Cannot get values on an uncoalesced tensor, please call "
                               ".coalesce() first")
        return self._val

    def is_contiguous(self, memory_format=None):
        raise RuntimeError("is_contiguous is not supported for sparse tensors (layout "
                           "torch.sparse_coo)")

    def stride(self, dim=None):
        raise RuntimeError("Sparse CPU tensors do not have strides")

    # ------------------------------------------------------------------------ autograd
    @property
    def requires_grad(self):
        return self._val.requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        self._val.requires_grad = flag

    def requires_grad_(self, requires_grad=True):
        self._val.requires_grad_(requires_grad)
        return self

    @property
    def grad_fn(self):
        return self._val.grad_fn

    @property
    def is_leaf(self):
        return self._val.grad_fn is None

    @property
    def grad(self):
        g = self._val._grad
        if g is None:
            return None
        return SparseTensor._make(self._ind, g, self._sz, self._coalesced)

    @grad.setter
    def grad(self, g):
        if g is None:
            self._val._grad = None
        elif isinstance(g, SparseTensor):
            self._val._grad = g.coalesce()._val if g._ind is not self._ind else g._val
        else:
            raise TypeError("assigned grad of a sparse tensor must be a sparse tensor or None")

    def detach(self):
        return SparseTensor._make(self._ind, self._val.detach(), self._sz, self._coalesced)

    def clone(self, *, memory_format=None):
        return SparseTensor._make(self._ind.clone(), self._val.clone(), self._sz,
                                  self._coalesced)

    # ------------------------------------------------------------------ conversions
    def to_dense(self, dtype=None, *, masked_grad=None):
        r = call(_TO_DENSE, (self._ind, self._val), (self._sz,))
        return r if dtype is None else r.to(dtype)

    def to_sparse(self, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
        return self

    to_sparse_coo = to_sparse

    def coalesce(self):
        if self._coalesced:
            return self
        ind = self._ind._v
        if _is_tracer(ind):
            raise RuntimeError("coalesce() needs concrete indices; call it outside "
                               "torchlike.compile / jit.trace")
        ind = np.asarray(ind)
        sd = ind.shape[0]
        dims = self._sz[:sd]
        if ind.shape[1] == 0:
            return SparseTensor._make(self._ind, self._val, self._sz, True)
        lin = np.ravel_multi_index(tuple(ind), dims) if sd else np.zeros(ind.shape[1], np.int64)
        uniq, inv = np.unique(lin, return_inverse=True)
        new_ind = np.stack(np.unravel_index(uniq, dims)).astype(np.int64).reshape(sd, -1)
        seg = _new(jnp.asarray(inv.reshape(-1).astype(np.int64)))
        val = call(_SEGSUM, (self._val, seg), (int(uniq.size),))
        return SparseTensor._make(_new(jnp.asarray(new_ind)), val, self._sz, True)

    def to(self, *args, **kwargs):
        v = self._val.to(*args, **kwargs)
        ind = self._ind
        if v.device != ind.device:
            ind = ind.to(v.device)
        if v is self._val and ind is self._ind:
            return self
        return SparseTensor._make(ind, v, self._sz, self._coalesced)

    def type(self, dtype=None, non_blocking=False):
        if dtype is None:
            return "torch.sparse." + self.dtype.legacy
        return self.to(D.to_dtype(dtype))

    def float(self):
        return self.to(D.float32)

    def double(self):
        return self.to(D.float64)

    def half(self):
        return self.to(D.float16)

    def long(self):
        return self.to(D.int64)

    def int(self):
        return self.to(D.int32)

    def bool(self):
        return self.to(D.bool_)

    def cpu(self):
        return self.to("cpu")

    def numpy(self, *, force=False):
        raise TypeError("can't convert sparse tensor to numpy; call .to_dense() first")

    def tolist(self):
        raise RuntimeError("tolist() is not supported for sparse tensors; call .to_dense() "
                           "first")

    def item(self):
        if self.numel() != 1:
            raise RuntimeError(f"a Tensor with {self.numel()} elements cannot be converted to "
                               "Scalar")
        return self.to_dense().item()

    def __len__(self):
        if not self._sz:
            raise TypeError("len() of a 0-d tensor")
        return self._sz[0]

    def __reduce_ex__(self, proto):
        return (_rebuild_sparse, (np.asarray(self._ind._v), np.asarray(self._val._v), self._sz,
                                  self._coalesced, self.requires_grad))

    def __deepcopy__(self, memo):
        t = _rebuild_sparse(np.asarray(self._ind._v), np.asarray(self._val._v), self._sz,
                            self._coalesced, self.requires_grad)
        memo[id(self)] = t
        return t

    # ---------------------------------------------------------------------- arithmetic
    def add(self, other, *, alpha=1):
        if isinstance(other, SparseTensor):
            if other._sz != self._sz:
                raise RuntimeError(f"add: expected 'self' and 'other' to have same size, but "
                                   f"self has size {list(self._sz)} while other has size "
                                   f"{list(other._sz)} (FYI: op2-sparse addition does not "
                                   f"support broadcasting)")
            if other.sparse_dim() != self.sparse_dim():
                raise RuntimeError("add: expected 'self' and 'other' to have the same number "
                                   "of sparse dimensions")
            from ._functions import cat
            ov = other._val if alpha == 1 else other._val * alpha
            sv = self._val
            rt = D.result_type_of([sv.dtype, ov.dtype], [], []) if sv.dtype is not ov.dtype \
                else sv.dtype
            cat_val = cat([sv.to(rt), ov.to(rt)], 0)
            ind = cat([self._ind, other._ind], 1)
            r = SparseTensor._make(ind, cat_val, self._sz, False).coalesce()
            r._coalesced = self._coalesced and other._coalesced
            return r
        if isinstance(other, Tensor):
            raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) "
                               "instead.")
        raise TypeError(f"unsupported operand type(s) for +: 'Tensor' and "
                        f"'{type(other).__name__}'")

    __add__ = add

    def __radd__(self, other):
        if isinstance(other, Tensor):
            return other + self.to_dense()
        return self.add(other)

    def sub(self, other, *, alpha=1):
        return self.add(other, alpha=-alpha)

    __sub__ = sub

    def __rsub__(self, other):
        if isinstance(other, Tensor):
            return other - self.to_dense()
        raise TypeError(f"unsupported operand type(s) for -: '{type(other).__name__}' and "
                        "'Tensor'")

    def _scale(self, fn):
        return SparseTensor._make(self._ind, fn(self._val), self._sz, self._coalesced)

    def __neg__(self):
        return self._scale(lambda v: -v)

    neg = __neg__

    def mul(self, other):
        if isinstance(other, SparseTensor):
            raise NotImplementedError("torchlike: sparse * sparse is not implemented; use "
                                      ".to_dense()")
        if isinstance(other, Tensor) and other.dim() > 0:
            if tuple(other.shape) != self._sz:
                raise RuntimeError("mul(sparse, dense) needs a dense operand of the same "
                                   "size or a 0-d tensor")
            c = self.coalesce()
            g = call(_GATHER, (other, c._ind), ())
            return SparseTensor._make(c._ind, c._val * g, self._sz, True)
        return self._scale(lambda v: v * other)

    __mul__ = __rmul__ = mul

    def div(self, other):
        if isinstance(other, Tensor) and other.dim() > 0:
            raise RuntimeError("Sparse division requires a scalar or zero-dim dense tensor "
                               "divisor")
        return self._scale(lambda v: v / other)

    __truediv__ = div

    def mm(self, mat2):
        return mm(self, mat2)

    matmul = __matmul__ = mm

    def t(self):
        if self.dim() > 2:
            raise RuntimeError("t() expects a tensor with <= 2 dimensions, but self is "
                               f"{self.dim()}D")
        if self.dim() < 2:
            return self
        return self.transpose(0, 1)

    def transpose(self, dim0, dim1):
        n = self.dim()
        d0, d1 = _wrap_dim(dim0, n), _wrap_dim(dim1, n)
        sd = self.sparse_dim()
        if d0 >= sd or d1 >= sd:
            raise NotImplementedError("torchlike: transposing dense dimensions of a hybrid "
                                      "sparse tensor is not implemented")
        from ._creation import tensor
        perm = list(range(sd))
        perm[d0], perm[d1] = perm[d1], perm[d0]
        ind = self._ind.index_select(0, tensor(perm))
        sz = list(self._sz)
        sz[d0], sz[d1] = sz[d1], sz[d0]
        return SparseTensor._make(ind, self._val, sz, False)

    def sum(self, dim=None, keepdim=False, *, dtype=None):
        if dim is None:
            return self._val.sum(dtype=dtype)
        return self.to_dense().sum(dim, keepdim, dtype=dtype)

    def abs(self):
        return self._scale(lambda v: v.abs())

    def pow(self, exponent):
        return self._scale(lambda v: v ** exponent)

    def sqrt(self):
        return self._scale(lambda v: v.sqrt())

    # ------------------------------------------------------------------------ printing
    def __repr__(self, *, tensor_contents=None):
        if _is_tracer(self._val._v) or _is_tracer(self._ind._v):
            from ._tensor import _concrete_error
            raise _concrete_error("print(sparse tensor)")
        indent = len("tensor(")
        default = _tensor_str.DEFAULT_DTYPE_NAME.replace("torch.", "")
        name = self.dtype.name
        complex_default = "complex128" if default == "float64" else "complex64"
        suffixes = [f"size={self._sz}", f"nnz={self._nnz()}"]
        if name not in (default, complex_default, "int64", "bool"):
            suffixes.append(f"dtype=torch.{name}")
        dev = self.device
        if dev.type != "cpu":
            suffixes.insert(0, f"device='{dev}'")
        suffixes.append("layout=torch.sparse_coo")
        gf = self.grad_fn
        if gf is not None:
            suffixes.append(f"grad_fn=<{type(gf).__name__}>")
        elif self.requires_grad:
            suffixes.append("requires_grad=True")
        ip, vp = "indices=tensor(", "values=tensor("
        body = (ip + _part(self._ind, indent + len(ip)) + "),\n" + " " * indent + vp
                + _part(self._val, indent + len(vp)) + ")")
        out = ["tensor(" + body]
        last = len(out[0]) - out[0].rfind("\n") + 1
        force = True
        for s in suffixes:
            if force or last + len(s) + 2 > _tensor_str.PRINT_OPTS.linewidth:
                out.append(",\n" + " " * indent + s)
                last = indent + len(s)
                force = False
            else:
                out.append(", " + s)
                last += len(s) + 2
        return "".join(out) + ")"

    __str__ = __repr__

    def __format__(self, spec):
        return repr(self)


def _part(t, indent):
    """torch's ``_tensor_str`` of an indices/values tensor at the given indent."""
    name = t.dtype.name
    a = _tensor_str._as_array(np.asarray(t._v), name)
    if a.size == 0:
        return f"[], size={tuple(int(d) for d in a.shape)}"
    kind = ("complex" if name.startswith("complex") else
            "float" if a.dtype.kind == "f" or name.startswith(("float", "bfloat")) else "int")
    return _tensor_str._contents_str(a, indent, kind)


def _rebuild_sparse(ind, val, size, coalesced, requires_grad):
    v = _new(jnp.asarray(val))
    if requires_grad:
        v.requires_grad = True
    return SparseTensor._make(_new(jnp.asarray(ind)), v, size, coalesced)


# --------------------------------------------------------------------------- construction


def sparse_coo_tensor(indices=None, values=None, size=None, *, dtype=None, device=None,
                      pin_memory=False, requires_grad=False, check_invariants=None,
                      is_coalesced=None):
    """``torch.sparse_coo_tensor(indices, values, size)``: a COO tensor (not coalesced).

    ``sparse_coo_tensor(size=(2, 3))`` builds an empty one."""
    if indices is None and values is None:
        if size is None:
            raise TypeError("sparse_coo_tensor() missing required argument 'indices'")
        return _size_only(size, dtype, device, requires_grad)
    ind = _as_tensor(indices)
    if ind.dtype is not D.int64:
        if ind.dtype.category >= 2:
            raise RuntimeError(f"indices must be an int64 tensor")
        ind = ind.long()
    val = _as_tensor(values, dtype)
    if device is not None:
        val, ind = val.to(device), ind.to(device)
    if ind.dim() != 2:
        raise RuntimeError(f"indices must be sparse_dim x nnz, but got: {list(ind.shape)}")
    if val.dim() == 0:
        raise RuntimeError("values must have at least one dimension (nnz), but got a 0-d "
                           "tensor")
    sd, nnz = ind.shape
    if val.shape[0] != nnz:
        raise RuntimeError(f"indices and values must have same nnz, but got nnz from indices: "
                           f"{nnz}, nnz from values: {val.shape[0]}")
    ind_np = None if _is_tracer(ind._v) else np.asarray(ind._v)
    if size is None:
        if ind_np is None:
            raise RuntimeError("sparse_coo_tensor without size needs concrete indices")
        mx = (ind_np.max(axis=1) + 1) if nnz else np.zeros(sd, np.int64)
        size = tuple(int(m) for m in mx) + tuple(val.shape[1:])
    else:
        size = tuple(int(s) for s in size)
        if len(size) != sd + val.dim() - 1:
            raise RuntimeError(f"number of dimensions must be sparse_dim ({sd}) + dense_dim "
                               f"({val.dim() - 1}), but got {len(size)}")
        if tuple(size[sd:]) != tuple(val.shape[1:]):
            raise RuntimeError(f"values has incorrect size, expected {[nnz, *size[sd:]]}, got "
                               f"{list(val.shape)}")
        if ind_np is not None and nnz:
            if ind_np.min() < 0:
                raise RuntimeError(f"found negative index {int(ind_np.min())} for dim "
                                   f"{int(np.argmin(ind_np.min(axis=1)))}")
            mx = ind_np.max(axis=1)
            for d in range(sd):
                if mx[d] >= size[d]:
                    raise RuntimeError(f"size is inconsistent with indices: for dim {d}, size "
                                       f"is {size[d]} but found index {int(mx[d])}")
    if requires_grad:
        if val.requires_grad or val.grad_fn is not None:
            raise RuntimeError("sparse_coo_tensor(..., requires_grad=True) expects values "
                               "that do not require grad; pass values.detach()")
        val = _new(val._v)
        val.requires_grad = True
    return SparseTensor._make(ind, val, size, bool(is_coalesced) if is_coalesced else False)


def _size_only(size, dtype=None, device=None, requires_grad=False):
    from ._creation import empty, zeros
    size = tuple(int(s) for s in size)
    ind = zeros((len(size), 0), dtype=D.int64)
    val = empty((0,), dtype=dtype, device=device, requires_grad=requires_grad)
    return SparseTensor._make(ind, val, size, True)


def _dense_to_sparse(self, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
    if layout is not None and layout != sparse_coo:
        raise NotImplementedError(f"torchlike supports only the sparse_coo layout, not "
                                  f"{layout}")
    nd = self.dim()
    sd = nd if sparse_dim is None else int(sparse_dim)
    v = self._v
    if _is_tracer(v):
        raise RuntimeError("to_sparse() needs concrete values; call it outside "
                           "torchlike.compile")
    a = np.asarray(v)
    mask = a != 0
    if sd < nd:
        mask = mask.reshape(a.shape[:sd] + (-1,)).any(-1)
    ind = np.stack(np.nonzero(mask)).astype(np.int64).reshape(sd, -1)
    it = _new(jnp.asarray(ind))
    val = call(_GATHER, (self, it), ())
    return SparseTensor._make(it, val, tuple(self.shape), True)


Tensor.to_sparse = _dense_to_sparse
Tensor.to_sparse_coo = _dense_to_sparse


def _dense_to_dense(self, dtype=None, *, masked_grad=None):
    return self if dtype is None else self.to(dtype)


Tensor.to_dense = _dense_to_dense


# --------------------------------------------------------------------------- namespace ops


def mm(mat1, mat2):
    """``torch.sparse.mm``: sparse @ dense -> dense (sparse @ sparse -> sparse)."""
    if not isinstance(mat1, SparseTensor):
        if isinstance(mat2, SparseTensor):
            return (mat2.t().mm(mat1.t())).t()
        from ._functions import mm as dense_mm
        return dense_mm(mat1, mat2)
    if mat1.dim() != 2 or mat1.dense_dim() != 0:
        raise RuntimeError(f"sparse.mm: expected a 2-D sparse matrix, but got a "
                           f"{mat1.dim()}-D tensor")
    if isinstance(mat2, SparseTensor):
        return mm(mat1, mat2.to_dense()).to_sparse()
    if mat2.dim() != 2:
        raise RuntimeError(f"mat2 must be a matrix, got {mat2.dim()}-D tensor")
    if mat1._sz[1] != mat2.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({mat1._sz[0]}x"
                           f"{mat1._sz[1]} and {mat2.shape[0]}x{mat2.shape[1]})")
    if mat1.dtype is not mat2.dtype:
        raise RuntimeError(f"expected mat1 and mat2 to have the same dtype, but got: "
                           f"{mat1.dtype} != {mat2.dtype}")
    return call(_MM, (mat1._ind, mat1._val, mat2), (mat1._sz,))


def addmm(mat, mat1, mat2, *, beta=1.0, alpha=1.0):
    """``torch.sparse.addmm``: beta * mat + alpha * (mat1 @ mat2) with sparse mat1."""
    r = mm(mat1, mat2)
    if alpha != 1:
        r = r * alpha
    return r + (mat if beta == 1 else mat * beta)


def sum(input, dim=None, dtype=None):  # noqa: A001
    """``torch.sparse.sum``: a dense scalar for a full sum, else the dense reduction."""
    if not isinstance(input, SparseTensor):
        return input.sum(dim, dtype=dtype) if dim is not None else input.sum(dtype=dtype)
    if dim is None:
        return input._val.sum(dtype=dtype)
    dims = (dim,) if isinstance(dim, builtins.int) else tuple(dim)
    return input.to_dense().sum(dims, dtype=dtype)


def to_dense(input):
    return input.to_dense()


class check_sparse_tensor_invariants:
    """Accepted for compatibility: torchlike always checks indices when they are concrete."""

    def __init__(self, enable=True):
        self.enable = enable

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __call__(self, fn):
        return fn

    @staticmethod
    def is_enabled():
        return True

    @staticmethod
    def enable():
        pass

    @staticmethod
    def disable():
        pass

