"""``torchlike.save`` / ``torchlike.load`` in PyTorch's checkpoint format, without torch.

The format (``torch.save``'s default since PyTorch 1.6) is an uncompressed zip archive:

- ``<name>/data.pkl``: the object, pickled with protocol 2. Each tensor is written as
  ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)``
  where ``storage`` is a persistent id ``('storage', torch.FloatStorage, key, 'cpu', numel)``;
  parameters as ``torch._utils._rebuild_parameter(tensor, requires_grad, hooks)``.
- ``<name>/data/<key>``: each storage's raw bytes (little-endian), 64-byte aligned.
- ``<name>/byteorder`` (``little``), ``<name>/version`` (``3``), ``.format_version``,
  ``.storage_alignment`` and ``.data/serialization_id``, as PyTorch 2.x writes them.

Loading is safe by default: with ``weights_only=True`` (PyTorch's default since 2.6) only
tensors, storages, dtypes, ``OrderedDict`` and plain Python containers and scalars are rebuilt
(plus globals allowed with ``add_safe_globals`` / ``safe_globals``), by torchlike's own opcode
loop that lets a file change only objects it created; any other global is refused with
PyTorch's ``UnpicklingError`` wording. Loaded tensors keep their strides, and tensors saved from
one storage share it again (views of one root tensor). ``weights_only=False``
loads arbitrary pickled objects (whole modules), mapping ``torch.*`` / ``torchvision.*`` globals
to torchlike's. Saving to a path writes a temporary file in the same folder and renames it over
the target, so a crash never leaves a half-written checkpoint in place of a good one; a symlink
is followed and its target replaced, and a path that is a directory, FIFO or device is refused
(PyTorch writes into a FIFO or device). Tensors that share a storage are written with it once.
"""
from __future__ import annotations

import collections
import contextlib
import importlib
import io
import os
import pickle
import random
import stat
import struct
import tempfile
import zipfile

import numpy as np

from . import _dtype as D

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals",
           "safe_globals", "DEFAULT_PROTOCOL"]

DEFAULT_PROTOCOL = 2
_ALIGN = 64

# storage class name <-> dtype name
_STORAGE_DTYPES = {
    "FloatStorage": "float32", "DoubleStorage": "float64", "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
    "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8",
    "BoolStorage": "bool", "ComplexFloatStorage": "complex64",
    "ComplexDoubleStorage": "complex128", "UntypedStorage": "uint8",
}
_DTYPE_STORAGE = {v: k for k, v in _STORAGE_DTYPES.items() if k != "UntypedStorage"}


def _dtype_by_name(name):
    return next(d for d in D.ALL if d.name == name)


class _Global:
    """A reference to a global by (module, name), pickled as GLOBAL without importing it."""

    __slots__ = ("module", "name")

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __repr__(self):
        return f"{self.module}.{self.name}"

    def __call__(self, *args):  # pickle requires reduce functions to be callable
        raise TypeError(f"{self!r} is a placeholder for a global in a checkpoint")


_REBUILD_TENSOR = _Global("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _Global("torch._utils", "_rebuild_parameter")
_ORDERED_DICT = collections.OrderedDict


class _StorageRef:
    __slots__ = ("key", "dtype_name", "location", "numel")

    def __init__(self, key, dtype_name, location, numel):
        self.key, self.dtype_name, self.location, self.numel = key, dtype_name, location, numel


# ---------------------------------------------------------------------------------- save


class _TorchPickler(pickle._Pickler):
    """Pure-Python pickler (so that ``torch.*`` globals can be written without torch)."""

    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file, protocol):
        super().__init__(file, protocol)
        self.storages = {}       # key -> numpy bytes array
        self._keys = {}          # id(root tensor) -> key
        self._keep = []

    def _save_torch_global(self, obj):
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("utf-8"))
        self.memoize(obj)

    dispatch[_Global] = _save_torch_global

    def persistent_id(self, obj):
        if type(obj) is _StorageRef:
            return ("storage", _Global("torch", _DTYPE_STORAGE[obj.dtype_name]), obj.key,
                    obj.location, obj.numel)
        return None

    def reducer_override(self, obj):
        from ._tensor import Size, Tensor, device
        if isinstance(obj, Tensor):
            return self._reduce_tensor(obj)
        if type(obj) is Size:
            return _Global("torch", "Size"), (tuple(int(s) for s in obj),)
        if type(obj) is device:
            args = (obj.type,) if obj.index is None else (obj.type, obj.index)
            return _Global("torch", "device"), args
        return NotImplemented

    def save(self, obj, save_persistent_id=True):
        if isinstance(obj, D.dtype):   # torch pickles dtypes as the bare global torch.<name>
            return self._save_torch_global(_Global("torch", obj.name))
        return super().save(obj, save_persistent_id)

    def _reduce_tensor(self, t):
        from ._tensor import _is_tracer, contiguous_strides
        v = t._v
        if _is_tracer(v):
            raise RuntimeError("torchlike.save() needs concrete tensors, but this one is being "
                               "traced by torchlike.compile; save outside the compiled function")
        dname = t.dtype.name
        if dname not in _DTYPE_STORAGE:
            raise RuntimeError(f"torchlike.save: tensors of dtype torch.{dname} are not "
                               "supported by PyTorch's checkpoint format")
        root = t._base if t._base is not None else t
        meta = t._meta if t._base is not None else None
        if meta is not None and root.dtype is t.dtype:
            size, stride, offset = meta
            src = root
        else:
            size, stride, offset = tuple(v.shape), contiguous_strides(v.shape), 0
            src = t
        key = self._keys.get(id(src))
        loc = str(t.device)
        if key is None:
            key = str(len(self.storages))
            arr = np.ascontiguousarray(np.asarray(src._v)).reshape(-1)
            if arr.dtype.byteorder == ">":
                arr = arr.astype(arr.dtype.newbyteorder("<"))
            self.storages[key] = arr
            self._keys[id(src)] = key
            self._keep.append(src)
        numel = self.storages[key].size
        ref = _StorageRef(key, dname, loc, numel)
        args = (ref, int(offset), tuple(int(s) for s in size), tuple(int(s) for s in stride),
                bool(t.requires_grad), _ORDERED_DICT())
        if getattr(t, "_is_param", False):
            inner = _Tensorish(args[:4] + (False, _ORDERED_DICT()))
            return _REBUILD_PARAMETER, (inner, bool(t.requires_grad), _ORDERED_DICT())
        return _REBUILD_TENSOR, args


class _Tensorish:
    """The data tensor inside a pickled Parameter."""

    __slots__ = ("args",)

    def __init__(self, args):
        self.args = args

    def __reduce__(self):
        return _REBUILD_TENSOR, self.args


def _serialization_id():
    return "".join(str(random.randrange(10)) for _ in range(40))


def _write_archive(fileobj, name, pkl, storages):
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_STORED,
                         allowZip64=True) as zf:
        def rec(rname, data):
            full = f"{name}/{rname}"
            info = zipfile.ZipInfo(full, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 0
            offset = fileobj.tell() + 30 + len(full.encode("utf-8"))
            pad = (-(offset + 4)) % _ALIGN
            info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
            zf.writestr(info, data)
        rec("data.pkl", pkl)
        rec(".format_version", b"1")
        rec(".storage_alignment", b"64")
        rec("byteorder", b"little")
        for key, arr in storages.items():
            rec(f"data/{key}", memoryview(arr.view(np.uint8)) if arr.size else b"")
        rec("version", b"3\n")
        rec(".data/serialization_id", _serialization_id().encode())


def _target(f):
    """(the regular file that saving to path f replaces, its stat or None if it does not exist).
    A symlink is followed (its target is written, as PyTorch writes through it); a directory,
    FIFO, socket or device is refused instead of being replaced."""
    path = os.path.realpath(os.fspath(f))
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        raise RuntimeError(f"Parent directory {folder} does not exist.")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return path, None
    if not stat.S_ISREG(st.st_mode):
        kind = ("a directory" if stat.S_ISDIR(st.st_mode) else "a FIFO (named pipe)"
                if stat.S_ISFIFO(st.st_mode) else "a device" if
                stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "not a regular file")
        raise RuntimeError(f"torchlike.save: {path} is {kind}; a checkpoint is written to a "
                           "regular file (pass an open file object to write to a stream)")
    return path, st


def save(obj, f, pickle_module=pickle, pickle_protocol=DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization=True, _disable_byteorder_record=False):
    """Save obj to a path or a binary file object in PyTorch's zip checkpoint format."""
    if not _use_new_zipfile_serialization:
        raise NotImplementedError("torchlike.save writes only PyTorch's zip checkpoint format "
                                  "(_use_new_zipfile_serialization=True)")
    buf = io.BytesIO()
    pickler = _TorchPickler(buf, pickle_protocol)
    pickler.dump(obj)                       # everything is pickled before any file is touched
    pkl = buf.getvalue()
    if isinstance(f, (str, os.PathLike)):
        base = os.path.splitext(os.path.basename(os.fspath(f)))[0] or "archive"
        path, st = _target(f)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path),
                                   prefix="." + os.path.basename(path) + ".", suffix=".tmp")
        try:
            with os.fdopen(fd, "w+b") as out:
                _write_archive(out, base, pkl, pickler.storages)
                out.flush()
                os.fsync(out.fileno())
            if st is not None:
                mode = st.st_mode & 0o777
            else:
                umask = os.umask(0)
                os.umask(umask)
                mode = 0o666 & ~umask
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(tmp)
            raise
        return
    if not hasattr(f, "write"):
        raise AttributeError(f"expected 'f' to be string, path, or a file-like object with a "
                             f"'write' attribute, got {type(f).__name__}")
    out = io.BytesIO()
    _write_archive(out, "archive", pkl, pickler.storages)
    f.write(out.getvalue())
    if hasattr(f, "flush"):
        f.flush()


# ---------------------------------------------------------------------------------- load

_SAFE_GLOBALS = []


def add_safe_globals(safe_globals):
    """Allow these globals in ``load(weights_only=True)``: classes/functions, or
    ``(obj, "module.name")`` pairs. A torchlike object also matches its PyTorch name
    (``torchlike.nn.modules.linear.Linear`` is allowed as ``torch.nn.modules.linear.Linear``)."""
    for g in safe_globals:
        _names(g)                       # validate now, as PyTorch does on use
    _SAFE_GLOBALS.extend(safe_globals)


def get_safe_globals():
    return list(_SAFE_GLOBALS)


def clear_safe_globals():
    _SAFE_GLOBALS.clear()


class safe_globals:
    """Context manager: allow these globals in ``load(weights_only=True)`` within the block."""

    def __init__(self, safe_globals):
        self.safe_globals = list(safe_globals)

    def __enter__(self):
        self._n = len(_SAFE_GLOBALS)
        add_safe_globals(self.safe_globals)

    def __exit__(self, *exc):
        del _SAFE_GLOBALS[self._n:]


_ALIASES = (("torchlike.vision", "torchvision"), ("torchlike", "torch"))


def _names(entry):
    """(object, the full names a pickle may use for it) for an allow-list entry."""
    if isinstance(entry, tuple):
        if len(entry) != 2:
            raise ValueError("Expected tuple of length 2 (global, str of callable full path), "
                             f"but got tuple of length: {len(entry)}")
        if type(entry[1]) is not str:
            raise TypeError("Expected second item in tuple to be str of callable full path, "
                            f"but got: {type(entry[1])}")
        obj, name = entry
    else:
        obj, name = entry, f"{entry.__module__}.{entry.__qualname__}"
    names = [name]
    for here, there in _ALIASES:
        if name.startswith(here + "."):
            names.append(there + name[len(here):])
            break
    return obj, names


def _user_globals():
    return {n: obj for e in _SAFE_GLOBALS for obj, names in [_names(e)] for n in names}


def _torchlike_object(module, name, importing):
    """torchlike's object for a ``torch.*`` / ``torchvision.*`` global: the one at the same module
    path, else the same name in the nearest torchlike package above it (PyTorch's
    ``torch.nn.modules.batchnorm.BatchNorm2d`` is ``torchlike.nn.BatchNorm2d``). Without
    ``importing`` only modules already imported are looked at."""
    import sys
    for here, there in _ALIASES:
        if module != there and not module.startswith(there + "."):
            continue
        parts = (here + module[len(there):]).split(".")
        stop = min(len(parts), len(here.split(".")) + 1)
        while len(parts) >= stop:
            mod = sys.modules.get(".".join(parts))
            if mod is None and importing:
                try:
                    mod = importlib.import_module(".".join(parts))
                except ImportError:
                    mod = None
            obj = getattr(mod, name, None) if mod is not None else None
            if obj is not None and not isinstance(obj, type(sys)):
                return obj
            parts.pop()
        return None
    return None


class _StorageType:
    __slots__ = ("name", "dtype_name")

    def __init__(self, name):
        self.name = name
        self.dtype_name = _STORAGE_DTYPES[name]

    def __setattr__(self, k, v):
        if hasattr(self, "dtype_name"):
            raise AttributeError(f"torch.{self.name} is read-only")
        object.__setattr__(self, k, v)

    def __repr__(self):
        return f"torch.{self.name}"


_STORAGE_TYPES = {n: _StorageType(n) for n in _STORAGE_DTYPES}


class _LoadedStorage:
    """One storage record of the archive, read as one dtype. Its tensors are views of ``root``
    (created by the first tensor rebuilt on it), so tensors saved from one storage alias."""

    __slots__ = ("array", "device", "root")

    def __init__(self, array, device):
        self.array, self.device, self.root = array, device, None


def _ints(x, what):
    if not isinstance(x, (tuple, list)) or not all(type(i) is int for i in x):
        raise TypeError(f"{what} must be a tuple of ints, got {type(x).__name__}")
    return tuple(x)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       metadata=None):
    """A tensor over ``storage``. Sizes, strides and offset are checked against the storage (with
    PyTorch's errors) before anything is allocated; a tensor that is not the whole storage is a
    view of it, kept unmaterialised until first read when it has more elements than the storage
    (an expanded, stride-0 tensor)."""
    import jax

    from ._tensor import Tensor, _new, contiguous_strides, jax_device, place
    if not isinstance(storage, _LoadedStorage):
        raise TypeError(f"expected a storage, got {type(storage).__name__}")
    if type(storage_offset) is not int:
        raise TypeError(f"storage offset must be an int, got {type(storage_offset).__name__}")
    size, stride = _ints(size, "size"), _ints(stride, "stride")
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if storage_offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {storage_offset}")
    if any(s < 0 for s in size):
        neg = next(s for s in size if s < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {neg}: {list(size)}")
    if any(st < 0 for st in stride):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and "
                           f"strides={list(stride)}")
    arr = storage.array
    numel = 1
    for s in size:
        numel *= s
    if numel and storage_offset + sum((s - 1) * st for s, st in zip(size, stride)) >= arr.size:
        raise RuntimeError("Trying to resize storage that is not resizable")
    if requires_grad and np.dtype(arr.dtype).kind not in "fcV" and arr.dtype.name != "bfloat16":
        raise RuntimeError("only Tensors of floating point dtype can require gradients")
    root = storage.root
    if root is None and storage_offset == 0 and numel == arr.size and \
            stride == contiguous_strides(size):
        t = storage.root = _new(place(arr.reshape(size), jax_device(storage.device)))
    else:
        if root is None:
            root = storage.root = _new(place(arr, jax_device(storage.device)))
        t = object.__new__(Tensor)
        t._base, t._meta = root, (size, stride, storage_offset)
        if numel <= arr.size:
            it = arr.itemsize
            t._data = place(
                np.lib.stride_tricks.as_strided(arr[storage_offset:], size,
                                                tuple(s * it for s in stride)).copy(),
                jax_device(storage.device))
            t._vsync = root._ver
        else:                 # read through the storage on first use: nothing allocated here
            t._data, t._vsync = None, root._ver - 1
    if requires_grad:
        t._rg = True
    return t


def _rebuild_tensor(storage, storage_offset, size, stride):
    return _rebuild_tensor_v2(storage, storage_offset, size, stride, False, None)


def _set_tensor_state(t, state):
    """Python attributes saved with a tensor subclass or Parameter. Only new public attributes
    are set: nothing of the Tensor class or its internals can be replaced by a file."""
    if not state:
        return
    if isinstance(state, tuple) and len(state) == 2:
        items = [*(state[0] or {}).items(), *(state[1] or {}).items()]
    elif isinstance(state, dict):
        items = list(state.items())
    else:
        raise pickle.UnpicklingError(f"unsupported tensor state of type {type(state).__name__}")
    for k, v in items:
        if type(k) is not str or k.startswith("_") or hasattr(type(t), k):
            raise pickle.UnpicklingError(f"refusing to set attribute {k!r} of a loaded tensor")
        setattr(t, k, v)


def _rebuild_parameter(data, requires_grad, backward_hooks):
    from ._tensor import Tensor
    from .nn.parameter import Parameter
    if not isinstance(data, Tensor):
        raise TypeError(f"_rebuild_parameter expects a tensor, got {type(data).__name__}")
    return Parameter(data, requires_grad)


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    p = _rebuild_parameter(data, requires_grad, backward_hooks)
    _set_tensor_state(p, state)
    return p


def _rebuild_from_type_v2(func, new_type, args, state):
    if func not in _REBUILD_FUNCS:
        raise pickle.UnpicklingError(f"_rebuild_from_type_v2 of unsupported function {func!r}")
    ret = func(*args)
    _set_tensor_state(ret, state)
    return ret


def _get_layout(name):
    return name


_REBUILD_FUNCS = (_rebuild_tensor_v2, _rebuild_tensor, _rebuild_parameter,
                  _rebuild_parameter_with_state)
_REBUILDERS = (*_REBUILD_FUNCS, _rebuild_from_type_v2)


def _default_globals():
    """PyTorch's weights-only allow-list, mapped to torchlike's objects."""
    import _codecs

    from ._tensor import Size, Tensor, device
    from .nn.parameter import Parameter
    rc = {"collections.OrderedDict": collections.OrderedDict,
          "collections.Counter": collections.Counter,
          "torch.nn.parameter.Parameter": Parameter,
          "torch.serialization._get_layout": _get_layout,
          "torch.Size": Size, "torch.Tensor": Tensor, "torch.device": device,
          "_codecs.encode": _codecs.encode, "builtins.bytearray": bytearray,
          "builtins.set": set, "builtins.frozenset": frozenset, "builtins.complex": complex,
          "builtins.slice": slice, "torch._tensor._rebuild_from_type_v2": _rebuild_from_type_v2}
    for f in _REBUILD_FUNCS:
        rc[f"torch._utils.{f.__name__}"] = f
    for d in D.ALL:
        rc[f"torch.{d.name}"] = d
    for n, st in _STORAGE_TYPES.items():
        rc[f"torch.{n}"] = rc[f"torch.storage.{n}"] = st
    return rc


_DEFAULT = []


def _default():
    if not _DEFAULT:
        _DEFAULT.append(_default_globals())
    return _DEFAULT[0]


_BLOCKED_MODULES = ("sys", "os", "posix", "nt")


def _weights_only_error(detail):
    return pickle.UnpicklingError(
        "Weights only load failed. This file can still be loaded, to do so you have two options, "
        "\x1b[1mdo those steps only if you trust the source of the checkpoint\x1b[0m. \n"
        "\t(1) In PyTorch 2.6, we changed the default value of the `weights_only` argument in "
        "`torch.load` from `False` to `True`. Re-running `torch.load` with `weights_only` set to "
        "`False` will likely succeed, but it can result in arbitrary code execution. Do it only "
        "if you got the file from a trusted source.\n"
        "\t(2) Alternatively, to load with `weights_only=True` please check the recommended steps "
        "in the following error message.\n"
        f"\tWeightsUnpickler error: {detail}\n\n"
        "Check the documentation of torch.load to learn more about types accepted by default "
        "with weights_only https://pytorch.org/docs/stable/generated/torch.load.html.")


class _WeightsUnpickler:
    """The ``weights_only`` unpickler: its own opcode loop (PyTorch's design), never the stdlib's.

    Globals come only from the allow-lists (``extra`` may add a policy: a function
    ``(module, name) -> (object, whether REDUCE may call it) or None``). REDUCE / NEWOBJ call
    only those globals. BUILD, SETITEM(S), APPEND(S) and ADDITEMS change only objects this load
    created itself, never a global (a class, dtype, function or shared instance), so a file
    cannot touch anything but the object it returns.
    """

    def __init__(self, data, persistent_load, encoding="utf-8", extra=None):
        self.data, self.pos = data, 0
        self.persistent_load, self.encoding, self.extra = persistent_load, encoding, extra
        self.memo, self.stack, self.metastack = {}, [], []
        self.fresh = {}     # id -> object created by this load (kept alive: ids stay unique)
        self.globals = {}   # id -> object returned by GLOBAL in this load
        self.reducible = {}  # id -> those of them that REDUCE may call

    # ---------------------------------------------------------------- input
    def read(self, n):
        b = self.data[self.pos:self.pos + n]
        if len(b) < n:
            raise EOFError("pickle data was truncated")
        self.pos += n
        return b

    def readline(self):
        i = self.data.find(b"\n", self.pos)
        if i < 0:
            raise EOFError("pickle data was truncated")
        b, self.pos = self.data[self.pos:i], i + 1
        return b

    def _unpack(self, fmt):
        return struct.unpack(fmt, self.read(struct.calcsize(fmt)))[0]

    # ---------------------------------------------------------------- helpers
    def push_fresh(self, obj):
        self.fresh[id(obj)] = obj
        self.stack.append(obj)

    def pop_mark(self):
        items, self.stack = self.stack, self.metastack.pop()
        return items

    def target(self, kinds, op):
        obj = self.stack[-1]
        if not isinstance(obj, kinds) or id(obj) not in self.fresh:
            raise pickle.UnpicklingError(f"{op} is only allowed on a {kinds[0].__name__} created "
                                         f"by this checkpoint, not on {type(obj)}")
        return obj

    def find_global(self, module, name):
        if module == "__builtin__":
            module = "builtins"
        full = f"{module}.{name}"
        if module in _BLOCKED_MODULES:
            raise pickle.UnpicklingError(f"Trying to load unsupported GLOBAL {full} whose module "
                                         f"{module} is blocked.")
        obj = _default().get(full)
        if obj is None:
            user = _user_globals()
            obj = user.get(full)
            if obj is None:         # a torch path torchlike defines elsewhere, if allowed
                o = _torchlike_object(module, name, importing=False)
                obj = o if o is not None and any(o is u for u in user.values()) else None
        reducible = obj is not None
        if obj is None and self.extra is not None:
            obj, reducible = self.extra(module, name) or (None, False)
        if obj is None:
            shown = full[len("builtins."):] if full.startswith("builtins.") else full
            raise pickle.UnpicklingError(
                f"Unsupported global: GLOBAL {shown} was not an allowed global by default. "
                f"Please use `torch.serialization.add_safe_globals([{shown}])` or the "
                f"`torch.serialization.safe_globals([{shown}])` context manager to allowlist "
                "this global if you trust this class/function.")
        self.globals[id(obj)] = obj
        if reducible:
            self.reducible[id(obj)] = obj
        self.stack.append(obj)

    def check_call(self, f, args, op):
        from ._tensor import Tensor
        allowed = self.reducible if op == "reduce" else self.globals
        if id(f) not in allowed or not callable(f) or f is Tensor:
            what = f if id(f) in self.globals else type(f)
            raise pickle.UnpicklingError(f"Trying to call {op} for unrecognized function {what}")
        if type(args) is not tuple:
            raise pickle.UnpicklingError(f"{op} arguments must be a tuple")
        if f is bytearray and args and not isinstance(args[0], (bytes, bytearray, str)):
            raise pickle.UnpicklingError("bytearray() of a size is not allowed in a checkpoint")

    @staticmethod
    def _makes_fresh(cls):
        import enum

        from ._tensor import device
        return isinstance(cls, type) and not issubclass(cls, (enum.Enum, device, D.dtype))

    # ---------------------------------------------------------------- opcodes
    def load(self):
        ops = self._ops()
        while True:
            key = self.read(1)[0]
            if key == pickle.STOP[0]:
                if len(self.stack) != 1 or self.metastack:
                    raise pickle.UnpicklingError("pickle data ends with an unbalanced stack")
                return self.stack.pop()
            op = ops.get(key)
            if op is None:
                raise pickle.UnpicklingError(f"Unsupported operand {key}")
            op()

    def mark(self):
        self.metastack.append(self.stack)
        self.stack = []

    def tuple_of(self, n):
        if len(self.stack) < n:
            raise pickle.UnpicklingError("stack underflow")
        self.stack[len(self.stack) - n:] = [tuple(self.stack[len(self.stack) - n:])]

    def put(self, i):
        self.memo[i] = self.stack[-1]

    def reduce(self):
        args = self.stack.pop()
        f = self.stack[-1]
        self.check_call(f, args, "reduce")
        r = f(*args)
        self.stack[-1] = r
        if f in _REBUILDERS or (self._makes_fresh(f) and type(r) is f):
            self.fresh[id(r)] = r

    def newobj(self):
        from .nn.parameter import Parameter
        args = self.stack.pop()
        cls = self.stack.pop()
        self.check_call(cls, args, "NEWOBJ")
        if not isinstance(cls, type):
            raise pickle.UnpicklingError(f"NEWOBJ needs a class, got {cls!r}")
        r = Parameter(*args) if cls is Parameter else cls.__new__(cls, *args)
        if self._makes_fresh(cls):
            self.fresh[id(r)] = r
        self.stack.append(r)

    def build(self):
        from ._tensor import Tensor
        state = self.stack.pop()
        inst = self.stack[-1]
        typ = type(inst)
        if id(inst) not in self.fresh:
            raise pickle.UnpicklingError(f"Can only build objects created by this checkpoint, "
                                         f"but got {typ}")
        if isinstance(inst, Tensor):
            return _set_tensor_state(inst, state)
        if typ is not collections.OrderedDict and id(typ) not in self.globals:
            raise pickle.UnpicklingError("Can only build Tensor, Parameter, OrderedDict or types "
                                         f"allowlisted via `add_safe_globals`, but got {typ}")
        if getattr(typ, "__setstate__", None) is not None:
            return inst.__setstate__(state)
        slots = None
        if isinstance(state, tuple) and len(state) == 2:
            state, slots = state
        if state:
            inst.__dict__.update(state)
        for k, v in (slots or {}).items():
            if type(k) is not str or k.startswith("__"):
                raise pickle.UnpicklingError(f"refusing to set attribute {k!r}")
            setattr(inst, k, v)

    def setitems(self, items):
        d = self.target((dict,), "SETITEM")
        if len(items) % 2:
            raise pickle.UnpicklingError("SETITEMS needs key/value pairs")
        for i in range(0, len(items), 2):
            d[items[i]] = items[i + 1]

    def glob(self):
        module = self.readline().decode("utf-8")
        self.find_global(module, self.readline().decode("utf-8"))

    def stack_global(self):
        name, module = self.stack.pop(), self.stack.pop()
        if type(name) is not str or type(module) is not str:
            raise pickle.UnpicklingError("STACK_GLOBAL requires str")
        self.find_global(module, name)

    def _ops(self):
        P, rd, u = pickle, self.read, self._unpack

        def push(f):          # f may pop a mark (which replaces self.stack): call it first
            def op():
                v = f()
                self.stack.append(v)
            return op

        def text(b):
            return b if self.encoding == "bytes" else b.decode(self.encoding, "strict")

        def utf8(b):
            return str(b, "utf-8", "surrogatepass")

        return {
            P.PROTO[0]: lambda: rd(1), P.FRAME[0]: lambda: rd(8),
            P.MARK[0]: self.mark, P.POP_MARK[0]: self.pop_mark,
            P.POP[0]: lambda: self.stack.pop() if self.stack else self.pop_mark(),
            P.DUP[0]: lambda: self.stack.append(self.stack[-1]),
            P.NONE[0]: push(lambda: None),
            P.NEWTRUE[0]: push(lambda: True), P.NEWFALSE[0]: push(lambda: False),
            P.BININT[0]: push(lambda: u("<i")), P.BININT1[0]: push(lambda: rd(1)[0]),
            P.BININT2[0]: push(lambda: u("<H")),
            P.LONG1[0]: push(lambda: P.decode_long(rd(rd(1)[0]))),
            P.LONG4[0]: push(lambda: P.decode_long(rd(u("<I")))),
            P.BINFLOAT[0]: push(lambda: u(">d")),
            P.BINUNICODE[0]: push(lambda: utf8(rd(u("<I")))),
            P.SHORT_BINUNICODE[0]: push(lambda: utf8(rd(rd(1)[0]))),
            P.BINUNICODE8[0]: push(lambda: utf8(rd(u("<Q")))),
            P.SHORT_BINSTRING[0]: push(lambda: text(rd(rd(1)[0]))),
            P.BINSTRING[0]: push(lambda: text(rd(u("<I")))),
            P.SHORT_BINBYTES[0]: push(lambda: rd(rd(1)[0])),
            P.BINBYTES[0]: push(lambda: rd(u("<I"))), P.BINBYTES8[0]: push(lambda: rd(u("<Q"))),
            P.EMPTY_TUPLE[0]: push(tuple),
            P.TUPLE[0]: push(lambda: tuple(self.pop_mark())),
            P.TUPLE1[0]: lambda: self.tuple_of(1), P.TUPLE2[0]: lambda: self.tuple_of(2),
            P.TUPLE3[0]: lambda: self.tuple_of(3),
            P.EMPTY_LIST[0]: lambda: self.push_fresh([]),
            P.LIST[0]: lambda: self.push_fresh(self.pop_mark()),
            P.APPEND[0]: lambda: (lambda v: self.target((list,), "APPEND").append(v))(
                self.stack.pop()),
            P.APPENDS[0]: lambda: (lambda v: self.target((list,), "APPENDS").extend(v))(
                self.pop_mark()),
            P.EMPTY_DICT[0]: lambda: self.push_fresh({}),
            P.DICT[0]: lambda: (lambda it: self.push_fresh(dict(zip(it[::2], it[1::2]))))(
                self.pop_mark()),
            P.SETITEM[0]: lambda: (lambda v, k: self.setitems([k, v]))(
                self.stack.pop(), self.stack.pop()),
            P.SETITEMS[0]: lambda: self.setitems(self.pop_mark()),
            P.EMPTY_SET[0]: lambda: self.push_fresh(set()),
            P.ADDITEMS[0]: lambda: (lambda v: self.target((set,), "ADDITEMS").update(v))(
                self.pop_mark()),
            P.FROZENSET[0]: push(lambda: frozenset(self.pop_mark())),
            P.GLOBAL[0]: self.glob, P.STACK_GLOBAL[0]: self.stack_global,
            P.REDUCE[0]: self.reduce, P.NEWOBJ[0]: self.newobj, P.BUILD[0]: self.build,
            P.BINPERSID[0]: lambda: self.stack.append(self.persistent_load(self.stack.pop())),
            P.BINGET[0]: lambda: self.stack.append(self.memo[rd(1)[0]]),
            P.LONG_BINGET[0]: lambda: self.stack.append(self.memo[u("<I")]),
            P.BINPUT[0]: lambda: self.put(rd(1)[0]), P.LONG_BINPUT[0]: lambda: self.put(u("<I")),
            P.MEMOIZE[0]: lambda: self.put(len(self.memo)),
        }


class _Storages:
    """``persistent_load`` for both unpicklers: reads each storage record once, checks its size
    against the pickle's claim before reading it, and caches it per dtype."""

    def __init__(self, zf, prefix, map_location, byteorder, where):
        self.zf, self.prefix, self.map_location = zf, prefix, map_location
        self.byteorder, self.where = byteorder, where
        self.loaded = {}

    def __call__(self, pid):
        if type(pid) is not tuple or len(pid) != 5 or pid[0] not in ("storage", b"storage"):
            raise pickle.UnpicklingError("Only persistent_load of storage is allowed, but got "
                                         f"{type(pid).__name__}")
        _, stype, key, location, numel = pid
        if not isinstance(stype, _StorageType) or type(key) is not str or \
                type(location) is not str or type(numel) is not int or numel < 0:
            raise pickle.UnpicklingError("malformed storage reference in checkpoint")
        st = self.loaded.get((key, stype.dtype_name))
        if st is None:
            st = self.loaded[key, stype.dtype_name] = self._read(stype.dtype_name, key, numel,
                                                                 location)
        return st

    def _read(self, dtype_name, key, numel, location):
        name = f"{self.prefix}data/{key}"
        npdt = np.dtype(_dtype_by_name(dtype_name).np)
        if self.byteorder == "big":
            npdt = npdt.newbyteorder(">")
        nbytes = numel * npdt.itemsize
        try:
            info = self.zf.getinfo(name)
        except KeyError:
            raise RuntimeError(f"{self.where} is corrupted: the archive has no record {name} "
                               "for a storage the pickle refers to") from None
        if info.file_size != nbytes:
            raise RuntimeError(f"record size ({info.file_size} bytes) does not match expected "
                               f"size ({nbytes} bytes = {numel} elements * {npdt.itemsize} "
                               f"bytes/element) for dtype {dtype_name} ({name} in "
                               f"{self.where})")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise RuntimeError(f"{self.where}: record {name} uses an unsupported compression")
        try:
            raw = self.zf.read(name)
        except Exception as e:  # noqa: BLE001 - any zip decoding failure means corruption
            raise RuntimeError(f"{self.where} is truncated or corrupted: {e}") from None
        if len(raw) != nbytes:
            raise RuntimeError(f"{self.where} is truncated or corrupted: record {name}")
        arr = np.frombuffer(raw, dtype=npdt)
        if self.byteorder == "big":
            arr = arr.astype(npdt.newbyteorder("="))
        return _LoadedStorage(arr, self._device(location))

    def _device(self, location):
        from ._tensor import _gpu_devices
        ml = self.map_location
        if callable(ml) and not isinstance(ml, str) and not hasattr(ml, "type"):
            r = ml(_LoadedStorage(None, location), location)
            location = r.device if isinstance(r, _LoadedStorage) else str(r)
        elif isinstance(ml, dict):
            location = ml.get(location, location)
        elif ml is not None:
            location = str(ml)
        location = str(location)
        if location.startswith("cuda") and not _gpu_devices():
            raise RuntimeError("Attempting to deserialize object on a CUDA device but "
                               "torch.cuda.is_available() is False. If you are running on a "
                               "CPU-only machine, please use torch.load with "
                               "map_location=torch.device('cpu') to map your storages to the "
                               "CPU.")
        if location != "cpu" and not location.startswith("cuda"):
            location = "cpu"
        return location


class _Unpickler(pickle.Unpickler):
    """``weights_only=False``: the stdlib unpickler (runs what the file names, as in PyTorch),
    with ``torch.*`` / ``torchvision.*`` globals mapped to torchlike's."""

    def __init__(self, file, persistent_load, **kwargs):
        super().__init__(file, **kwargs)
        self._storages = persistent_load

    def persistent_load(self, pid):
        return self._storages(pid)

    def find_class(self, module, name):
        g = _default().get(f"{module}.{name}")
        if g is None:
            g = _torchlike_object(module, name, importing=True)
        if g is not None:
            return g
        if module.split(".")[0] in ("torch", "torchvision"):
            raise pickle.UnpicklingError(f"this checkpoint needs {module}.{name}, which torchlike "
                                         "does not provide")
        return super().find_class(module, name)


def _open_archive(f):
    """(zip file, prefix of its records, byte order, name for messages) of a checkpoint."""
    if isinstance(f, (str, os.PathLike)):
        where = os.fspath(f)
        with open(where, "rb") as fh:
            data = fh.read()
    else:
        where = getattr(f, "name", "the checkpoint")
        data = f.read()
    buf = io.BytesIO(data)
    try:
        zf = zipfile.ZipFile(buf)
        names = zf.namelist()
    except Exception as e:  # noqa: BLE001 - any failure to parse the zip is a bad file
        if data[:2] == b"\x80\x02" and len(data) > 12:
            raise RuntimeError(f"{where} is in PyTorch's legacy (pre-1.6) format, which "
                               "torchlike does not read; re-save it with a recent torch.save") \
                from None
        raise RuntimeError(f"PytorchStreamReader failed reading zip archive: {e}. The file "
                           f"{where} is truncated, corrupted or not a PyTorch checkpoint (this "
                           "can happen if it was not saved completely or was modified after "
                           "saving).") from None
    pkl_names = [n for n in names if n.endswith("data.pkl") and n.count("/") <= 1]
    if not pkl_names:
        raise RuntimeError(f"PytorchStreamReader failed locating file data.pkl: file not found "
                           f"({where} is a zip archive but not a PyTorch checkpoint)")
    prefix = pkl_names[0][: -len("data.pkl")]
    try:
        byteorder = "little"
        if prefix + "byteorder" in names:
            byteorder = zf.read(prefix + "byteorder").decode().strip() or "little"
        pkl = zf.read(pkl_names[0])
    except Exception as e:  # noqa: BLE001
        raise RuntimeError(f"{where} is truncated or corrupted: {e}") from None
    if byteorder not in ("little", "big"):
        raise RuntimeError(f"{where} is corrupted: unknown byte order {byteorder!r}")
    return zf, prefix, byteorder, pkl, where


def _load(f, map_location, weights_only, extra=None, pickle_load_args=None):
    """Load a checkpoint; ``extra`` adds an allow-list policy to the weights-only unpickler."""
    zf, prefix, byteorder, pkl, where = _open_archive(f)
    args = dict(pickle_load_args or {})
    args.setdefault("encoding", "utf-8")
    storages = _Storages(zf, prefix, map_location, byteorder, where)
    if not weights_only:
        try:
            return _Unpickler(io.BytesIO(pkl), storages, **args).load()
        except (EOFError, struct.error) as e:
            raise RuntimeError(f"{where} is corrupted: its data.pkl could not be read ({e})") \
                from None
    up = _WeightsUnpickler(pkl, storages, args["encoding"], extra)
    try:
        return up.load()
    except (EOFError, struct.error) as e:
        raise RuntimeError(f"{where} is corrupted: its data.pkl could not be read ({e})") \
            from None
    except RuntimeError:
        raise
    except pickle.UnpicklingError as e:
        raise _weights_only_error(str(e)) from None
    except Exception as e:  # noqa: BLE001 - a malformed pickle: one documented error type
        raise _weights_only_error(f"{type(e).__name__}: {e}") from None


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    """Load an object saved by ``torch.save`` / ``torchlike.save``.

    ``weights_only=True`` (the default, as in PyTorch >= 2.6) rebuilds only tensors, dtypes,
    ``OrderedDict``, plain containers/scalars and the globals allowed by ``add_safe_globals`` /
    ``safe_globals``; a bad or hostile file raises ``pickle.UnpicklingError`` (anything wrong in
    its pickle) or ``RuntimeError`` (a truncated or corrupted archive, storages that do not fit
    their tensors), and never changes anything but the object it returns. Tensors saved from one
    storage share it after loading and keep their strides, as in PyTorch.
    """
    if weights_only is None:
        weights_only = pickle_module is None and os.environ.get(
            "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "0") not in ("1", "true", "True")
    return _load(f, map_location, weights_only, pickle_load_args=pickle_load_args)
