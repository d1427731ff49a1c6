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
tensors, storages, dtypes, ``OrderedDict`` and plain Python containers and scalars are rebuilt;
any other global is refused with PyTorch's ``UnpicklingError`` wording. ``weights_only=False``
loads arbitrary pickled objects (whole modules), mapping ``torch.*`` / ``torchvision.*`` globals
to torchlike's. Saving to a path writes a temporary file in the same folder and renames it over
the target, so a crash never leaves a half-written checkpoint in place of a good one.
"""
from __future__ import annotations

import collections
import contextlib
import importlib
import io
import os
import pickle
import random
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
        path = os.fspath(f)
        base = os.path.splitext(os.path.basename(path))[0] or "archive"
        folder = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".",
                                   suffix=".tmp")
        try:
            with os.fdopen(fd, "w+b") as out:
                _write_archive(out, base, pkl, pickler.storages)
                out.flush()
                os.fsync(out.fileno())
            try:
                mode = os.stat(path).st_mode & 0o777
            except FileNotFoundError:
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
    """Allow these classes/functions in ``load(weights_only=True)``."""
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
        _SAFE_GLOBALS.extend(self.safe_globals)

    def __exit__(self, *exc):
        del _SAFE_GLOBALS[self._n:]


class _StorageType:
    def __init__(self, name):
        self.name = name
        self.dtype_name = _STORAGE_DTYPES[name]

    def __repr__(self):
        return f"torch.{self.name}"


_STORAGE_TYPES = {n: _StorageType(n) for n in _STORAGE_DTYPES}


class _LoadedStorage:
    __slots__ = ("array", "device")

    def __init__(self, array, device):
        self.array, self.device = array, device


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       metadata=None):
    import jax
    from ._tensor import _new, jax_device
    arr = storage.array
    size, stride = tuple(size), tuple(stride)
    numel = int(np.prod(size)) if size else 1
    if numel == 0:
        out = np.zeros(size, arr.dtype)
    else:
        last = storage_offset + sum((s - 1) * st for s, st in zip(size, stride))
        if storage_offset < 0 or last >= arr.size or any(st < 0 for st in stride):
            raise RuntimeError(f"corrupted checkpoint: a tensor of size {list(size)} and stride "
                               f"{list(stride)} at offset {storage_offset} does not fit in its "
                               f"storage of {arr.size} elements")
        it = arr.itemsize
        out = np.lib.stride_tricks.as_strided(arr[storage_offset:], shape=size,
                                              strides=tuple(s * it for s in stride)).copy()
    t = _new(jax.device_put(out, jax_device(storage.device)))
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_parameter(data, requires_grad, backward_hooks):
    try:
        from .nn.parameter import Parameter
    except ImportError:  # pragma: no cover - nn not available
        data.requires_grad_(requires_grad)
        return data
    return Parameter(data, requires_grad)


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    p = _rebuild_parameter(data, requires_grad, backward_hooks)
    for k, v in (state or {}).items():
        setattr(p, k, v)
    return p


def _rebuild_from_type_v2(func, new_type, args, state):
    ret = func(*args)
    if state:
        for k, v in state.items():
            setattr(ret, k, v)
    return ret


def _get_layout(name):
    return name


_TORCH_UTILS = {"_rebuild_tensor_v2": _rebuild_tensor_v2,
                "_rebuild_parameter": _rebuild_parameter,
                "_rebuild_parameter_with_state": _rebuild_parameter_with_state}


def _torch_global(module, name):
    """torchlike's object for a torch-side (module, name) in the weights-only allowlist."""
    from . import _tensor
    if module == "torch._utils" and name in _TORCH_UTILS:
        return _TORCH_UTILS[name]
    if module == "torch._tensor" and name == "_rebuild_from_type_v2":
        return _rebuild_from_type_v2
    if module in ("torch", "torch.storage") and name in _STORAGE_TYPES:
        return _STORAGE_TYPES[name]
    if module == "torch":
        if name == "Size":
            return _tensor.Size
        if name == "device":
            return _tensor.device
        if name == "Tensor":
            return _tensor.Tensor
        for d in D.ALL:
            if d.name == name:
                return d
    if module == "torch.serialization" and name == "_get_layout":
        return _get_layout
    if module == "collections" and name == "OrderedDict":
        return collections.OrderedDict
    if module == "builtins" and name in ("set", "frozenset", "slice", "complex", "bytearray",
                                         "range"):
        return getattr(__import__("builtins"), name)
    if module == "_codecs" and name == "encode":
        import _codecs
        return _codecs.encode
    return None


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


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, zf, prefix, map_location, weights_only, byteorder, where,
                 **kwargs):
        super().__init__(file, **kwargs)
        self.zf, self.prefix, self.map_location = zf, prefix, map_location
        self.weights_only, self.byteorder, self.where = weights_only, byteorder, where
        self.loaded = {}

    def find_class(self, module, name):
        g = _torch_global(module, name)
        if g is not None:
            return g
        if self.weights_only:
            for obj in _SAFE_GLOBALS:
                if (getattr(obj, "__module__", None) == module
                        and getattr(obj, "__qualname__", getattr(obj, "__name__", None)) == name):
                    return obj
            fq = f"{module}.{name}"
            raise _weights_only_error(
                f"Unsupported global: GLOBAL {fq} was not an allowed global by default. Please "
                f"use `torch.serialization.add_safe_globals([{fq}])` or the "
                f"`torch.serialization.safe_globals([{fq}])` context manager to allowlist this "
                "global if you trust this class/function.")
        for alias, real in (("torchvision", "torchlike.vision"), ("torch", "torchlike")):
            if module == alias or module.startswith(alias + "."):
                try:
                    mod = importlib.import_module(real + module[len(alias):])
                    return getattr(mod, name)
                except (ImportError, AttributeError):
                    raise pickle.UnpicklingError(
                        f"this checkpoint needs {module}.{name}, which torchlike does not "
                        f"provide (looked for {real + module[len(alias):]}.{name})") from None
        return super().find_class(module, name)

    def persistent_load(self, pid):
        if not isinstance(pid, tuple) or not pid or pid[0] != "storage" or len(pid) != 5:
            raise pickle.UnpicklingError(f"unsupported persistent id in checkpoint: {pid!r}")
        _, stype, key, location, numel = pid
        if not isinstance(stype, _StorageType):
            raise pickle.UnpicklingError(f"unsupported storage type in checkpoint: {stype!r}")
        if key in self.loaded:
            return self.loaded[key]
        name = f"{self.prefix}data/{key}"
        try:
            raw = self.zf.read(name)
        except KeyError:
            raise RuntimeError(f"{self.where} is corrupted: the archive has no record {name} "
                               "for a storage the pickle refers to") from None
        except (zipfile.BadZipFile, OSError, EOFError, zlib_error()) as e:
            raise RuntimeError(f"{self.where} is truncated or corrupted: {e}") from None
        dt = _dtype_by_name(stype.dtype_name)
        npdt = np.dtype(dt.np)
        if self.byteorder == "big":
            npdt = npdt.newbyteorder(">")
        if len(raw) != int(numel) * npdt.itemsize:
            raise RuntimeError(f"{self.where} is truncated or corrupted: storage {key} holds "
                               f"{len(raw)} bytes, expected {int(numel) * npdt.itemsize} "
                               f"({numel} x {stype.dtype_name})")
        arr = np.frombuffer(raw, dtype=npdt)
        if self.byteorder == "big":
            arr = arr.astype(npdt.newbyteorder("="))
        st = _LoadedStorage(arr, self._device(location))
        self.loaded[key] = st
        return st

    def _device(self, location):
        from ._tensor import _gpu_devices
        ml = self.map_location
        if callable(ml) and not isinstance(ml, (str,)) and not hasattr(ml, "type"):
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
        if location not in ("cpu",) and not location.startswith("cuda"):
            location = "cpu"
        return location


def zlib_error():
    import zlib
    return zlib.error


_LEGACY_MAGIC = 0x1950a86a20f9469cfc6c


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    """Load an object saved by ``torch.save`` / ``torchlike.save``.

    ``weights_only=True`` (the default, as in PyTorch >= 2.6) rebuilds only tensors, dtypes,
    ``OrderedDict`` and plain containers/scalars, and refuses any other global.
    """
    if weights_only is None:
        weights_only = pickle_module is None and os.environ.get(
            "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "0") not in ("1", "true", "True")
    if isinstance(f, (str, os.PathLike)):
        where = os.fspath(f)
        with open(where, "rb") as fh:
            data = fh.read()
    else:
        where = getattr(f, "name", "the checkpoint")
        data = f.read()
    buf = io.BytesIO(data)
    if not zipfile.is_zipfile(buf):
        if data[:2] == b"\x80\x02" and len(data) > 12:
            raise RuntimeError(f"{where} is in PyTorch's legacy (pre-1.6) format, which "
                               "torchlike does not read; re-save it with a recent torch.save")
        raise RuntimeError("PytorchStreamReader failed reading zip archive: failed finding "
                           f"central directory. The file {where} is truncated, corrupted or not "
                           "a PyTorch checkpoint (this can happen if it was not saved "
                           "completely or was modified after saving).")
    try:
        zf = zipfile.ZipFile(buf)
        names = zf.namelist()
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise RuntimeError(f"PytorchStreamReader failed reading zip archive: {e}. The file "
                           f"{where} is truncated or corrupted.") from None
    pkl_names = [n for n in names if n.endswith("data.pkl") and n.count("/") <= 1]
    if not pkl_names:
        raise RuntimeError(f"PytorchStreamReader failed locating file data.pkl: file not found "
                           f"({where} is a zip archive but not a PyTorch checkpoint)")
    prefix = pkl_names[0][: -len("data.pkl")]
    byteorder = "little"
    if prefix + "byteorder" in names:
        byteorder = zf.read(prefix + "byteorder").decode().strip() or "little"
    try:
        pkl = zf.read(pkl_names[0])
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise RuntimeError(f"{where} is truncated or corrupted: {e}") from None
    pickle_load_args.setdefault("encoding", "utf-8")
    up = _Unpickler(io.BytesIO(pkl), zf, prefix, map_location, weights_only, byteorder, where,
                    **pickle_load_args)
    try:
        return up.load()
    except pickle.UnpicklingError:
        raise
    except (EOFError, struct.error) as e:
        raise RuntimeError(f"{where} is corrupted: its data.pkl could not be read ({e})") \
            from None
    except (AttributeError, ImportError, TypeError, ValueError, KeyError, IndexError) as e:
        if weights_only:
            raise _weights_only_error(str(e)) from None
        raise

