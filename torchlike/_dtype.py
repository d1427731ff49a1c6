"""dtype objects and PyTorch's type-promotion rules."""
from __future__ import annotations

import builtins

import jax.numpy as jnp
import numpy as np


class dtype:
    """A PyTorch dtype: prints as ``torch.float32`` and maps to one numpy/jax dtype."""

    __slots__ = ("name", "np", "is_floating_point", "is_complex", "is_signed", "itemsize",
                 "category", "legacy")

    def __init__(self, name, np_dtype, category, legacy):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.category = category  # 0 bool, 1 integer, 2 floating, 3 complex
        self.is_floating_point = category == 2
        self.is_complex = category == 3
        self.is_signed = name not in ("uint8", "uint16", "uint32", "uint64", "bool")
        self.itemsize = self.np.itemsize
        self.legacy = legacy  # legacy tensor type name, e.g. "FloatTensor"

    def __repr__(self):
        return "torch." + self.name

    def __reduce__(self):
        return (_lookup, (self.name,))

    def to_real(self):
        return {"complex64": float32, "complex128": float64}.get(self.name, self)

    def to_complex(self):
        return {"float32": complex64, "float64": complex128}.get(self.name, self)


def _lookup(name):
    return _BY_NAME[name]


float32 = dtype("float32", np.float32, 2, "FloatTensor")
float64 = dtype("float64", np.float64, 2, "DoubleTensor")
float16 = dtype("float16", np.float16, 2, "HalfTensor")
bfloat16 = dtype("bfloat16", jnp.bfloat16, 2, "BFloat16Tensor")
complex64 = dtype("complex64", np.complex64, 3, "ComplexFloatTensor")
complex128 = dtype("complex128", np.complex128, 3, "ComplexDoubleTensor")
uint8 = dtype("uint8", np.uint8, 1, "ByteTensor")
uint16 = dtype("uint16", np.uint16, 1, "UInt16Tensor")
uint32 = dtype("uint32", np.uint32, 1, "UInt32Tensor")
uint64 = dtype("uint64", np.uint64, 1, "UInt64Tensor")
int8 = dtype("int8", np.int8, 1, "CharTensor")
int16 = dtype("int16", np.int16, 1, "ShortTensor")
int32 = dtype("int32", np.int32, 1, "IntTensor")
int64 = dtype("int64", np.int64, 1, "LongTensor")
bool_ = dtype("bool", np.bool_, 0, "BoolTensor")

ALL = (float32, float64, float16, bfloat16, complex64, complex128, uint8, uint16, uint32, uint64,
       int8, int16, int32, int64, bool_)
_BY_NAME = {d.name: d for d in ALL}
_BY_NP = {d.np: d for d in ALL}
ALIASES = {"float": float32, "double": float64, "half": float16, "cfloat": complex64,
           "cdouble": complex128, "long": int64, "int": int32, "short": int16, "bool": bool_,
           "uint8": uint8}

_default = [float32]


_SCALAR_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half",
                 "bfloat16": "BFloat16", "int64": "Long", "int32": "Int", "int16": "Short",
                 "int8": "Char", "uint8": "Byte", "bool": "Bool", "complex64": "ComplexFloat",
                 "complex128": "ComplexDouble"}


def scalar_name(d: dtype) -> str:
    """PyTorch's ScalarType name of a dtype ("Float", "Long"...), as its error messages say."""
    return _SCALAR_NAMES.get(d.name, d.name)


def get_default_dtype() -> dtype:
    return _default[0]


def set_default_dtype(d: dtype) -> None:
    if not (isinstance(d, dtype) and d.is_floating_point):
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default[0] = d


def from_np(np_dtype) -> dtype:
    """The torchlike dtype of a numpy/jax dtype."""
    try:
        return _BY_NP[np.dtype(np_dtype)]
    except (KeyError, TypeError):
        raise TypeError(f"can't convert np.ndarray of type {np.dtype(np_dtype)}. The only "
                        "supported types are: float64, float32, float16, complex64, complex128, "
                        "int64, int32, int16, int8, uint64, uint32, uint16, uint8, and bool.")


def to_dtype(d) -> dtype:
    """Accept a torchlike dtype, a numpy/jax dtype, a Python type or a string."""
    if isinstance(d, dtype):
        return d
    if d is builtins.float:
        return _default[0]
    if d is builtins.int:
        return int64
    if d is builtins.bool:
        return bool_
    if d is builtins.complex:
        return _default[0].to_complex()
    if isinstance(d, str):
        name = d[6:] if d.startswith("torch.") else d
        if name in _BY_NAME:
            return _BY_NAME[name]
        if name in ALIASES:
            return ALIASES[name]
    return from_np(d)


def promote_types(a: dtype, b: dtype) -> dtype:
    if a is b:
        return a
    return _BY_NP[np.dtype(jnp.promote_types(a.np, b.np))]


def scalar_dtype(x) -> dtype:
    """dtype a Python scalar takes when it stands alone (torch.tensor(x))."""
    if isinstance(x, builtins.bool):
        return bool_
    if isinstance(x, builtins.int):
        return int64
    if isinstance(x, builtins.float):
        return _default[0]
    if isinstance(x, builtins.complex):
        return _default[0].to_complex()
    raise TypeError(f"unsupported scalar type {type(x).__name__}")


def _combine(higher, lower):
    """c10's combine_categories: the higher priority tier wins unless lower is a higher kind."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.is_complex:
        return higher
    if lower.is_complex:
        if higher.is_floating_point:
            return higher.to_complex()
        return lower
    if higher.is_floating_point:
        return higher
    if higher is bool_ or lower.is_floating_point:
        return promote_types(higher, lower)
    return higher


def result_type_of(dim_dtypes, zero_dtypes, scalars) -> dtype:
    """PyTorch's result type: dimensioned tensors > 0-d tensors > Python scalars (by category)."""
    def fold(ds):
        r = None
        for d in ds:
            r = d if r is None else promote_types(r, d)
        return r
    wrapped = fold([scalar_dtype(s) for s in scalars])
    return _combine(fold(dim_dtypes), _combine(fold(zero_dtypes), wrapped))
