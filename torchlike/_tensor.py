"""The Tensor box, views over a base, and the NumPy bridge. Dispatch of table ops (`call`,
in-place and `out=` handling, the tape recorder) lives in `_ops/registry.py`, which builds on
this module; the few methods here that run an op import it when called."""
from __future__ import annotations

import builtins
import math
import weakref

import jax
import jax.numpy as jnp
import numpy as np

from . import _dtype as D
from . import _tensor_str
from ._autograd_core import GRAD

_BY_NP = D._BY_NP
_SCALARS = (builtins.bool, builtins.int, builtins.float, builtins.complex)


# ----------------------------------------------------------------------------------- Size


class Size(tuple):
    """A tuple of ints that prints as ``torch.Size([2, 3])``."""

    def __repr__(self):
        return f"torch.Size([{', '.join(str(int(s)) for s in self)}])"

    __str__ = __repr__

    def numel(self) -> int:
        return math.prod(self)

    def __getitem__(self, i):
        r = tuple.__getitem__(self, i)
        return Size(r) if isinstance(i, slice) else r

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))

    def __reduce__(self):
        return (Size, (tuple(self),))


# --------------------------------------------------------------------------------- device


class device:
    """``torchlike.device("cpu")``, ``device("cuda:0")``, ``device("cuda", 0)``."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int):
            type, index = "cuda", type
        if ":" in type:
            type, idx = type.split(":")
            index = int(idx)
        if type not in ("cpu", "cuda", "meta", "mps", "xla", "tpu"):
            raise RuntimeError(f"Expected one of cpu, cuda, mps, meta, xla device type at start "
                               f"of device string: {type}")
        self.type, self.index = type, index

    def __repr__(self):
        return f"device(type='{self.type}'" + (f", index={self.index})" if self.index is not None
                                               else ")")

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __enter__(self):
        self._prev = _DEFAULT_DEVICE[0]
        _DEFAULT_DEVICE[0] = self

    def __exit__(self, *exc):
        _DEFAULT_DEVICE[0] = self._prev


_DEFAULT_DEVICE = [None]   # None: JAX's default device
_CPU = device("cpu")


def _gpu_devices():
    try:
        return jax.local_devices(backend="gpu")
    except RuntimeError:
        return []


def jax_device(dev):
    """The jax device for a torchlike device (or string); raises like torch when absent."""
    if dev is None:
        dev = _DEFAULT_DEVICE[0]
        if dev is None:
            return None
    dev = device(dev) if not isinstance(dev, device) else dev
    if dev.type == "cpu":
        return jax.local_devices(backend="cpu")[0]
    if dev.type == "cuda":
        gpus = _gpu_devices()
        if not gpus:
            raise AssertionError("Torch not compiled with CUDA enabled")
        i = dev.index or 0
        if i >= len(gpus):
            raise RuntimeError("CUDA error: invalid device ordinal")
        return gpus[i]
    raise RuntimeError(f"torchlike does not support device type '{dev.type}'")


_DEFAULT_JAX = []


def place(v, jd):
    """Array `v` on jax device `jd` (None: where it is). On jax's default device arrays stay
    uncommitted, like jax's own results: jit keys its compiled programs on commitment too, so
    a mix of committed and uncommitted inputs would compile each kernel more than once."""
    if jd is None or _is_tracer(v):
        return v if jd is None else jax.device_put(v, jd)
    if not _DEFAULT_JAX:
        _DEFAULT_JAX.append(jax.devices()[0])
    if jd != _DEFAULT_JAX[0]:
        return jax.device_put(v, jd)
    if isinstance(v, jax.Array) and not v.committed and v.devices() == {jd}:
        return v
    from ._interp import to_device
    return to_device(np.asarray(v))


def _torch_device(jdev):
    if jdev.platform == "cpu":
        return _CPU
    return device("cuda", jdev.id)


# ------------------------------------------------------------------------------- helpers


def contiguous_strides(shape):
    st, acc = [], 1
    for s in reversed(shape):
        st.append(acc)
        acc *= max(s, 1)
    return tuple(reversed(st))


def _aligned_empty(shape, np_dtype, align=64):
    """A numpy array whose buffer jax on CPU can alias without a copy (needs 64-byte alignment)."""
    nbytes = max(int(np.prod(shape)) * np_dtype.itemsize, 1)
    buf = np.empty(nbytes + align, np.uint8)
    off = (-buf.ctypes.data) % align
    return buf[off:off + nbytes][: int(np.prod(shape)) * np_dtype.itemsize].view(np_dtype).reshape(
        shape)


def _alias(n):
    """A jax CPU array over numpy array n's memory, or None when jax would have to copy."""
    if (n.ctypes.data % 64 or not n.flags.c_contiguous or not n.flags.writeable
            or n.dtype.byteorder == ">" or n.size == 0):
        return None
    try:
        a = jax.dlpack.from_dlpack(n, copy=False)
    except Exception:  # noqa: BLE001 - any refusal means "no alias"
        return None
    return a if a.unsafe_buffer_pointer() == n.ctypes.data else None


def _is_tracer(v):
    return isinstance(v, jax.core.Tracer)


def _concrete_error(what):
    return RuntimeError(
        f"{what} needs a concrete value, but this tensor is being traced by torchlike.compile. "
        "Return the tensor from the compiled function (and call it outside), or use tensor ops "
        "such as torchlike.where instead of Python control flow on tensor values.")


# ---------------------------------------------------------------------------------- Tensor


class Tensor:
    """A mutable box around one jax array (or tracer).

    Views (slices, transposes, ``view``...) keep ``_base`` (the tensor owning the storage) and
    ``_meta`` = (shape, strides, offset); they read through the base when it changed and write
    back into it on in-place ops, emulating PyTorch's shared storage.
    """

    # defaults live on the class so that creating a tensor sets one attribute
    _base = None
    _meta = None
    _vsync = 0
    _ver = 0
    _rg = False
    grad_fn = None
    _out = 0
    _np = None           # numpy array aliased by this tensor (from_numpy / .numpy())
    _npcopy = False      # _np could not be aliased (unaligned): compare with _npsnap on access
    _npsnap = None       # bytes of _np as last uploaded (for _npcopy tensors)
    _shm = None          # (SharedMemory, numpy view) after share_memory_()
    _retain = False
    _hooks = None
    _grad = None
    _is_param = False
    _nograd_view = False  # a view made under no_grad or by detach/.data: never joins the graph
    _inference = False    # made under inference_mode (PyTorch's inference tensor)
    _as = None            # a view reading its base reinterpreted (.real/.imag, view(dtype)):
                          # the dtype of that flat image; _meta is in its units
    __array_priority__ = 1000

    def __init__(self, *args, **kwargs):
        # legacy constructor: torch.Tensor(2, 3) or torch.Tensor([1, 2])
        from ._creation import _legacy_new
        t = _legacy_new(D.get_default_dtype(), args, kwargs.get("device"))
        self._data = t._v

    # ------------------------------------------------------------------ value and storage
    @property
    def _v(self):
        b = self._base
        if b is None:
            if self._npcopy:
                self._sync_np()
            return self._data
        if self._vsync != b._ver:
            self._refresh()
        return self._data

    def _sync_np(self):
        """Re-upload an unaligned from_numpy array if numpy code changed it (a byte compare
        is much cheaper than a host-to-device copy per access)."""
        n = self._np
        b = n.reshape(-1).view(np.uint8) if n.flags.c_contiguous else None
        if b is None or self._npsnap is None or not np.array_equal(b, self._npsnap):
            self._data = jax.device_put(n)
            self._npsnap = b.copy() if b is not None else None

    def _refresh(self):
        b = self._base
        size, stride, off = self._meta
        bv = b._v
        self._vsync = b._ver
        from ._ops.registry import TABLE, call
        if (self._rg or not self._nograd_view) and b._rg and GRAD[0]:
            # also a view made before its base required grad (an in-place write of a value
            # requiring grad through another view): PyTorch regenerates its grad_fn
            if self._as is None:
                r = call(TABLE["as_strided_read"], (b, off), (size, stride))
            else:
                r = call(TABLE["reinterp_read"], (b, off), (size, stride, self._as))
            self._data, self.grad_fn, self._out, self._rg = r._data, r.grad_fn, 0, True
        elif self._as is None:
            self._data = TABLE["as_strided_read"].kernel((size, stride), None)(bv, off)
        else:
            self._data = TABLE["reinterp_read"].kernel((size, stride, self._as), None)(bv, off)

    def _root(self):
        return self._base if self._base is not None else self

    @property
    def _version(self):
        return self._root()._ver

    # ------------------------------------------------------------------------ attributes
    @property
    def dtype(self) -> D.dtype:
        return _BY_NP[self._v.dtype]

    @property
    def shape(self) -> Size:
        return Size(self._v.shape)

    def size(self, dim=None):
        s = self._v.shape
        if dim is None:
            return Size(s)
        return s[_wrap_dim(dim, len(s))]

    def dim(self) -> int:
        return self._v.ndim

    ndimension = dim

    @property
    def ndim(self) -> int:
        return self._v.ndim

    def numel(self) -> int:
        return math.prod(self._v.shape)

    nelement = numel

    def element_size(self) -> int:
        return self._v.dtype.itemsize

    @property
    def itemsize(self):
        return self._v.dtype.itemsize

    @property
    def nbytes(self):
        return self.numel() * self.itemsize

    @property
    def device(self) -> device:
        v = self._v
        if _is_tracer(v):
            d = _DEFAULT_DEVICE[0]
            return d if d is not None else _torch_device(jax.local_devices()[0])
        return _torch_device(next(iter(v.devices())))

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    is_cpu = property(lambda self: self.device.type == "cpu")
    is_xpu = is_mps = is_ipu = is_xla = is_mtia = is_maia = is_vulkan = is_mkldnn = False
    is_sparse = False
    is_quantized = False
    is_meta = False
    is_nested = False
    layout = "torch.strided"

    def get_device(self):
        d = self.device
        return -1 if d.type == "cpu" else (d.index or 0)

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def requires_grad(self) -> bool:
        b = self._base
        if b is not None and self._vsync != b._ver:
            self._refresh()    # a view whose base was written (may now require grad)
        return self._rg

    @requires_grad.setter
    def requires_grad(self, flag):
        flag = bool(flag)
        if self.grad_fn is not None and not flag:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you "
                               "want to use a computed variable in a subgraph that doesn't require "
                               "differentiation use var_no_grad = var.detach().")
        if flag and self.dtype.category < 2:
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        if flag and self._root()._inference:
            from ._autograd_core import INFERENCE
            if not INFERENCE[0]:
                raise RuntimeError("Setting requires_grad=True on inference tensor outside "
                                   "InferenceMode is not allowed.")
        self._rg = flag

    def is_inference(self):
        return self._root()._inference

    def requires_grad_(self, requires_grad=True):
        self.requires_grad = requires_grad
        return self

    @property
    def grad(self):
        if self.grad_fn is not None and not self._retain and GRAD[0] and not self._is_param:
            import warnings
            warnings.warn("The .grad attribute of a Tensor that is not a leaf Tensor is being "
                          "accessed. Its .grad attribute won't be populated during "
                          "autograd.backward(). If you indeed want the .grad field to be "
                          "populated for a non-leaf Tensor, use .retain_grad() on the non-leaf "
                          "Tensor.", UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, g):
        if g is not None:
            if not isinstance(g, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad "
                                f"of type {type(g).__name__}")
            if tuple(g.shape) != tuple(self.shape):
                raise RuntimeError("assigned grad has data of a different size")
        self._grad = g

    def retain_grad(self):
        if self.grad_fn is None:
            return
        if not self._rg:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        self._retain = True
        node = self.grad_fn
        if node.retained is None:
            node.retained = {}
        node.retained[self._out] = weakref.ref(self)

    @property
    def retains_grad(self):
        return self._retain

    def register_hook(self, hook):
        """Hooks on leaves may return a replacement gradient; on non-leaves they observe it."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        if self.grad_fn is not None:
            node = self.grad_fn
            if node.retained is None:
                node.retained = {}
            node.retained.setdefault(self._out, weakref.ref(self))
        hooks = self._hooks

        class _Handle:
            def remove(self_inner):
                if hook in hooks:
                    hooks.remove(hook)
        return _Handle()

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        from .autograd import backward
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self):
        return _make_view(self, self._meta_or_root(), _stop(self._v), grad=False)

    def detach_(self):
        if self._base is not None and self._base._rg:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self._rg = False
        return self

    @property
    def data(self):
        return _make_view(self, self._meta_or_root(), _stop(self._v), grad=False)

    @data.setter
    def data(self, other):
        v = other._v if isinstance(other, Tensor) else jnp.asarray(other)
        if self._base is not None:
            raise RuntimeError("setting .data of a view is not supported by torchlike")
        self._data = v
        self._np = None
        self._ver += 1

    def _meta_or_root(self):
        if self._meta is not None:
            return self._meta
        shape = self._v.shape
        return (shape, contiguous_strides(shape), 0)

    @property
    def _base_tensor(self):
        return self._base

    def stride(self, dim=None):
        st = self._meta_or_root()[1]
        return st if dim is None else st[_wrap_dim(dim, len(st))]

    def storage_offset(self):
        return self._meta_or_root()[2]

    def is_contiguous(self, memory_format=None):
        shape, st, _ = self._meta_or_root()
        return all(s == c or n == 1 for s, c, n in zip(st, contiguous_strides(shape), shape))

    def data_ptr(self):
        r = self._root()
        v = r._v
        base = v.unsafe_buffer_pointer() if not _is_tracer(v) else 0
        return base + self.storage_offset() * v.dtype.itemsize

    def untyped_storage(self):
        return self._root()

    # ------------------------------------------------------------------ python protocols
    def __repr__(self, *, tensor_contents=None):
        v = self._v
        if _is_tracer(v):
            raise _concrete_error("print(tensor) / repr(tensor)")
        suffixes = []
        if self.grad_fn is not None:
            suffixes.append(f"grad_fn=<{type(self.grad_fn).__name__}>")
        elif self._rg:
            suffixes.append("requires_grad=True")
        dev = self.device
        return _tensor_str.tensor_str(np.asarray(v), self.dtype.name, suffixes=suffixes,
                                      device=None if dev.type == "cpu" else str(dev))

    __str__ = __repr__

    def __format__(self, spec):
        if self.dim() == 0 and (spec or type(self) is Tensor):  # f"{t}" of 0-d: the number
            return format(self.item(), spec)
        return str(self)

    def __len__(self):
        s = self._v.shape
        if not s:
            raise TypeError("len() of a 0-d tensor")
        return s[0]

    def __iter__(self):
        n = len(self)
        return (self[i] for i in range(n))

    def __hash__(self):
        return id(self)

    def __bool__(self):
        if self.numel() != 1:
            raise RuntimeError(f"Boolean value of Tensor with {'no' if self.numel() == 0 else 'more than one'} values is ambiguous")
        return builtins.bool(self._concrete("bool(tensor)").reshape(()))

    def __float__(self):
        return builtins.float(self.item())

    def __int__(self):
        return builtins.int(self.item())

    def __complex__(self):
        return builtins.complex(self.item())

    def __index__(self):
        if self.dtype.category != 1 or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return builtins.int(self.item())

    def _concrete(self, what):
        v = self._v
        if _is_tracer(v):
            raise _concrete_error(what)
        return np.asarray(v)

    def item(self):
        if self.numel() != 1:
            raise RuntimeError(f"a Tensor with {self.numel()} elements cannot be converted to "
                               "Scalar")
        return self._concrete(".item()").reshape(()).item()

    def tolist(self):
        return self._concrete(".tolist()").tolist()

    def numpy(self, *, force=False):
        """Shares memory with the returned array on CPU for tensors that own their storage."""
        if self._rg and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        v = self._v
        if _is_tracer(v):
            raise _concrete_error(".numpy()")
        if self._base is not None or self.device.type != "cpu":
            return np.array(v)  # views and device tensors: a copy (see docs/porting.md)
        if self._np is None:
            if v.dtype == jnp.bfloat16:
                return np.array(v)
            n = _aligned_empty(v.shape, np.dtype(v.dtype))
            n[...] = np.asarray(v)
            a = _alias(n)
            self._np = n
            if a is not None:
                self._data = a
        return self._np

    def __array__(self, dtype=None, copy=None):
        a = self._concrete("np.asarray(tensor)")
        return a.astype(dtype) if dtype is not None else a

    def __dlpack__(self, *args, **kwargs):
        return self._v.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self._v.__dlpack_device__()

    def jax(self):
        """The jax array (or tracer) this tensor holds."""
        return self._v

    def share_memory_(self):
        """Move this CPU tensor's storage into shared memory (see torchlike.multiprocessing).

        A no-op when already shared and for non-CPU tensors; a view shares its base."""
        from . import multiprocessing as _mp
        t = self._root()
        v = t._v
        if _is_tracer(v):
            raise _concrete_error("share_memory_()")
        if not _mp._is_shared(t) and t.device.type == "cpu":
            _mp._share(t)
        return self

    def is_shared(self):
        from . import multiprocessing as _mp
        return _mp._is_shared(self._root())

    def __reduce_ex__(self, proto):
        from ._creation import _rebuild
        return (_rebuild, (np.asarray(self._v), self._rg, self._is_param))

    def __deepcopy__(self, memo):
        t = _new(self._v)
        t._rg = self._rg
        if self._grad is not None:
            t._grad = _new(self._grad._v)
        if type(self) is not Tensor:
            t.__class__ = type(self)
            t.__dict__.update({k: v for k, v in self.__dict__.items()
                               if k not in ("_data", "_acc", "_np", "_shm")})
        memo[id(self)] = t
        return t

    # ----------------------------------------------------------------- type conversions
    def type(self, dtype=None, non_blocking=False):
        if dtype is None:
            return "torch." + self.dtype.legacy
        if isinstance(dtype, str) and dtype.startswith("torch.") and dtype.endswith("Tensor"):
            name = dtype[6:]
            dtype = next(d for d in D.ALL if d.legacy == name)
        return self.to(D.to_dtype(dtype))

    def to(self, *args, **kwargs):
        dtype = kwargs.get("dtype")
        dev = kwargs.get("device")
        copy = kwargs.get("copy", False)
        for a in args:
            if isinstance(a, D.dtype):
                dtype = a
            elif isinstance(a, Tensor):
                dtype, dev = a.dtype, a.device
            elif isinstance(a, (str, device)):
                dev = a
            elif isinstance(a, builtins.int) and not isinstance(a, builtins.bool):
                dev = device("cuda", a)
        from ._ops.registry import TABLE, call
        t = self
        if dtype is not None and D.to_dtype(dtype) is not self.dtype:
            t = call(TABLE["to_dtype"], (t,), (D.to_dtype(dtype),))
        if dev is not None:
            jd = jax_device(dev)
            if jd is not None and t.device != _torch_device(jd):
                t = call(TABLE["to_device"], (t,), (jd,))
        if copy and t is self:
            t = self.clone()
        return t

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False):
        return self.to("cuda" if device is None else (device if not isinstance(device, int)
                                                      else f"cuda:{device}"))

    def float(self):
        return self.to(D.float32)

    def double(self):
        return self.to(D.float64)

    def half(self):
        return self.to(D.float16)

    def bfloat16(self):
        return self.to(D.bfloat16)

    def long(self):
        return self.to(D.int64)

    def int(self):
        return self.to(D.int32)

    def short(self):
        return self.to(D.int16)

    def char(self):
        return self.to(D.int8)

    def byte(self):
        return self.to(D.uint8)

    def bool(self):
        return self.to(D.bool_)

    def is_floating_point(self):
        return self.dtype.is_floating_point

    def is_complex(self):
        return self.dtype.is_complex

    def type_as(self, other):
        return self.to(other.dtype)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        from ._creation import tensor
        return tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                      requires_grad=requires_grad)


def _wrap_dim(dim, ndim):
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim % n


def _new(v, cls=Tensor):
    t = object.__new__(cls)
    t._data = v
    return t


def _stop(v):
    """Inside a trace (compile, jit.trace, func), a detached value must carry no gradient."""
    return jax.lax.stop_gradient(v) if _is_tracer(v) else v


def _make_view(src, meta, value, grad):
    """A tensor aliasing src's storage with the given meta; `grad` keeps it in the graph."""
    root = src._base if src._base is not None else src
    t = object.__new__(Tensor)
    t._data = value
    t._base = root
    t._meta = meta
    t._vsync = root._ver
    t._nograd_view = not grad
    t._as = src._as
    if grad and src._rg:
        t._rg = True
    return t


def from_jax(a) -> Tensor:
    """Wrap a jax array without copying."""
    return _new(a)


def _set_root(t, v):
    t._ver += 1
    n = t._np
    if n is not None and not _is_tracer(v):
        n[...] = np.asarray(v)
        a = _alias(n)
        t._data = a if a is not None else v
        if t._npcopy:
            t._npsnap = None
    else:
        t._data = v
        t._np = None
