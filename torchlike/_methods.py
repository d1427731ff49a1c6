"""Tensor methods, operators and in-place variants: one-line aliases of `_functions`."""
from __future__ import annotations

import builtins

import inspect
import sys

from . import _functions as F
from ._creation import bernoulli as _bernoulli
from ._ops.variants import TENSOR_METHODS, TORCH_INPLACE
from ._functions import _t
from . import _dtype as D
from ._ops.registry import TABLE, call, check_inplace, commit
from ._tensor import Tensor

_SCALARS = (builtins.bool, builtins.int, builtins.float, builtins.complex)


def _method(f):
    def m(self, *args, **kwargs):
        return f(self, *args, **kwargs)
    m.__name__ = f.__name__
    m.__doc__ = f.__doc__
    return m


def _inplace(f):
    def m(self, *args, **kwargs):
        check_inplace(self)
        return commit(self, f(self, *args, **kwargs))
    m.__name__ = f.__name__ + "_"
    return m


def _public_functions():
    """torchlike's public functions that take the tensor first, by name."""
    for name in dir(F):
        f = getattr(F, name)
        if not name.startswith("_") and inspect.isfunction(f) \
                and f.__module__.startswith("torchlike."):
            yield name, f


# Methods: every public function PyTorch also offers as a Tensor method, unless the class
# defines it or the irregular forms below (varargs shapes, other argument order) replace it.
for _n, _f in _public_functions():
    if _n in TENSOR_METHODS and _n not in Tensor.__dict__:
        setattr(Tensor, _n, _method(_f))


def _view(self, *shape):
    if len(shape) == 1 and isinstance(shape[0], D.dtype):
        return _view_dtype(self, shape[0])
    return F._view(self, F._shape_args(shape))


def _view_dtype(self, d):
    a, b = self.dtype.itemsize, d.itemsize
    src, dst = D.scalar_name(self.dtype), D.scalar_name(d)
    if a != b:
        if self.dim() == 0:
            raise RuntimeError(f"self.dim() cannot be 0 to view {src} as {dst} (different "
                               "element sizes)")
        if b > a and self.shape[-1] % (b // a):
            raise RuntimeError(f"self.size(-1) must be divisible by {b // a} to view {src} as "
                               f"{dst} (different element sizes), but got {self.shape[-1]}")
    r = call(TABLE["view_dtype"], (self,), (d,))
    if a == b and self._as is None:
        # same element size: a view of the same storage read as the other dtype (writes reach
        # self); a different size stays a copy (docs/correctness.md)
        root = self._base if self._base is not None else self
        r._base, r._vsync, r._meta = root, root._ver, self._meta_or_root()
        r._as = d.np
    return r


Tensor.view = _view
Tensor.polygamma = lambda self, n: F.polygamma(n, self)
Tensor.where = lambda self, condition, other: F.where(condition, self, other)


def _new_like(fill):
    def m(self, *size, dtype=None, device=None, requires_grad=False, **kw):
        from . import _creation as C
        size = F._shape_args(size) if size else tuple(kw.pop("size"))
        args = dict(dtype=dtype or self.dtype, device=device or self.device,
                    requires_grad=requires_grad)
        return getattr(C, fill)(size, **args)
    return m


Tensor.new_zeros = _new_like("zeros")
Tensor.new_ones = _new_like("ones")
Tensor.new_empty = _new_like("empty")
Tensor.new_full = lambda self, size, fill_value, *, dtype=None, device=None, \
    requires_grad=False: __import__("torchlike._creation", fromlist=["full"]).full(
        tuple(size), fill_value, dtype=dtype or self.dtype, device=device or self.device,
        requires_grad=requires_grad)
Tensor.flip = lambda self, *dims: F.flip(self, F._shape_args(dims))
Tensor.view_as = lambda self, other: F._view(self, other.shape)
Tensor.reshape = lambda self, *shape: F.reshape(self, *shape)
Tensor.reshape_as = lambda self, other: F.reshape(self, other.shape)
Tensor.expand = lambda self, *sizes: F.expand(self, *sizes)
Tensor.expand_as = lambda self, other: F.expand(self, other.shape)
Tensor.broadcast_to = lambda self, size: F.expand(self, size)
Tensor.permute = lambda self, *dims: F.permute(self, *dims)
Tensor.repeat = lambda self, *sizes: F.tile(self, F._shape_args(sizes)) if len(
    F._shape_args(sizes)) >= self.dim() else _repeat_error(self, sizes)
Tensor.tile = lambda self, *dims: F.tile(self, F._shape_args(dims))
Tensor.contiguous = lambda self, memory_format=None: self if self.is_contiguous() else F.clone(self)
Tensor.copy_ = F.copy_
Tensor.fill_ = F.fill_
Tensor.zero_ = F.zero_
Tensor.__getitem__ = F.getitem
Tensor.__setitem__ = F.setitem
Tensor.T = property(lambda self: F.permute(self, tuple(reversed(range(self.dim())))))
Tensor.mT = property(lambda self: F.transpose(self, -2, -1))
Tensor.H = property(lambda self: F.t(self).conj() if self.dim() == 2 else self)
Tensor.mH = property(lambda self: F.transpose(self, -2, -1).conj())
Tensor.conj = lambda self: F.conj(self)
Tensor.real = property(F.real)
Tensor.imag = property(F.imag)
Tensor.bernoulli = lambda self, p=None, generator=None: _bernoulli(self, p, generator=generator)


# In-place methods (`t.name_(...)`): every one PyTorch has whose out-of-place method exists
# here, derived from that method so argument order and defaults are the method's. Ops that
# change the shape (`t_`, `unsqueeze_`...) re-point the tensor at the view they return.
_VIEW_INPLACE = {"t_", "transpose_", "squeeze_", "unsqueeze_", "swapaxes_", "swapdims_",
                 "as_strided_"}


def _become(self, r):
    """`self` takes the layout and autograd history of `r`, a view of it."""
    if self._base is None:
        self._data = r._v
    else:
        self._meta, self._data, self._vsync = r._meta, r._data, r._vsync
    if r._rg:
        self.grad_fn, self._out, self._rg = r.grad_fn, r._out, True
    return self


def _inplace_of(name):
    method = getattr(Tensor, name[:-1])
    if name in _VIEW_INPLACE:
        def m(self, *args, **kwargs):
            check_inplace(self)
            return _become(self, method(self, *args, **kwargs))
    else:
        def m(self, *args, **kwargs):
            check_inplace(self)
            return commit(self, method(self, *args, **kwargs))
    m.__name__ = name
    m.__doc__ = f"In-place version of :meth:`Tensor.{name[:-1]}`."
    return m


def _function_of(name):
    def f(input, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)
    f.__name__ = name
    f.__doc__ = f"In-place version of :func:`torchlike.{name[:-1]}`."
    return f


def _generate_inplace():
    for name in sorted(TENSOR_METHODS):
        if name.endswith("_") and not name.startswith("_") and name not in Tensor.__dict__ \
                and name[:-1] in Tensor.__dict__ and callable(Tensor.__dict__[name[:-1]]):
            setattr(Tensor, name, _inplace_of(name))
    pkg = sys.modules["torchlike"]
    for name in sorted(TORCH_INPLACE):
        if not hasattr(pkg, name) and name in Tensor.__dict__:
            f = _function_of(name)
            setattr(F, name, f)
            setattr(pkg, name, f)


def _repeat_error(self, sizes):
    raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of "
                       "dimensions of tensor")


def _rand_inplace(sampler):
    def m(self, *args, generator=None, **kw):
        from ._autograd_core import no_grad
        with no_grad():
            r = sampler(self, *args, generator=generator, **kw)
            commit(self, r)
        return self
    return m


def _uniform(self, a=0.0, b=1.0, generator=None):
    from ._creation import rand
    return rand(self.shape, dtype=self.dtype, generator=generator) * (b - a) + a


def _normal(self, mean=0.0, std=1.0, generator=None):
    from ._creation import randn
    return randn(self.shape, dtype=self.dtype, generator=generator) * std + mean


def _random(self, low=0, high=None, generator=None):
    from ._creation import randint
    if high is None:
        low, high = 0, low
    return randint(low, high, self.shape, dtype=self.dtype, generator=generator)


def _bern(self, p=0.5, generator=None):
    from ._creation import bernoulli
    return bernoulli(self, p, generator=generator)


def _exponential(self, lambd=1.0, generator=None):
    from ._creation import rand
    return -(1 - rand(self.shape, dtype=self.dtype, generator=generator)).log() / lambd


Tensor.uniform_ = _rand_inplace(_uniform)
Tensor.normal_ = _rand_inplace(_normal)
Tensor.random_ = _rand_inplace(_random)
Tensor.bernoulli_ = _rand_inplace(_bern)
Tensor.exponential_ = _rand_inplace(_exponential)


_generate_inplace()   # again from torchlike/__init__.py once every module added its methods


# ------------------------------------------------------------------------- operators


def _rev(f):
    return lambda self, other: f(_t(other), self) if not isinstance(other, _SCALARS) else \
        f(other, self)


def _rsub(self, other):
    return F.rsub(self, _t(other))


def _rdiv(self, other):
    if isinstance(other, _SCALARS) and not isinstance(other, builtins.bool):
        return F.reciprocal(self) * other     # as torch: grad_fn=<MulBackward0>
    from ._ops.registry import TABLE, call
    return call(TABLE["div"], (_t(other), self), ())


def _rpow(self, other):
    return F.pow(other, self) if isinstance(other, _SCALARS) else F.pow(_t(other), self)


Tensor.__add__ = Tensor.__radd__ = lambda self, other: F.add(self, other)
Tensor.__sub__ = lambda self, other: F.sub(self, other)
Tensor.__rsub__ = _rsub
Tensor.__mul__ = Tensor.__rmul__ = lambda self, other: F.mul(self, other)
Tensor.__truediv__ = lambda self, other: F.div(self, other)
Tensor.__rtruediv__ = _rdiv
Tensor.__floordiv__ = lambda self, other: F.floor_divide(self, other)
Tensor.__rfloordiv__ = lambda self, other: F.floor_divide(_t(other), self)
Tensor.__mod__ = lambda self, other: F.remainder(self, other)
Tensor.__rmod__ = _rev(F.remainder)
Tensor.__pow__ = lambda self, other: F.pow(self, other)
Tensor.__rpow__ = _rpow
Tensor.__matmul__ = lambda self, other: F.matmul(self, _t(other))
Tensor.__rmatmul__ = lambda self, other: F.matmul(_t(other), self)
Tensor.__neg__ = lambda self: F.neg(self)
Tensor.__pos__ = lambda self: self
Tensor.__abs__ = lambda self: F.abs(self)
Tensor.__invert__ = lambda self: F.logical_not(self) if self.dtype.name == "bool" else \
    F.bitwise_not(self)
Tensor.__eq__ = lambda self, other: F.eq(self, other) if other is not None else False
Tensor.__ne__ = lambda self, other: F.ne(self, other) if other is not None else True
Tensor.__lt__ = lambda self, other: F.lt(self, other)
Tensor.__le__ = lambda self, other: F.le(self, other)
Tensor.__gt__ = lambda self, other: F.gt(self, other)
Tensor.__ge__ = lambda self, other: F.ge(self, other)
Tensor.__and__ = Tensor.__rand__ = lambda self, other: F.bitwise_and(self, other)
Tensor.__or__ = Tensor.__ror__ = lambda self, other: F.bitwise_or(self, other)
Tensor.__xor__ = Tensor.__rxor__ = lambda self, other: F.bitwise_xor(self, other)
Tensor.__lshift__ = lambda self, other: F.bitwise_left_shift(self, other)
Tensor.__rshift__ = lambda self, other: F.bitwise_right_shift(self, other)
Tensor.__hash__ = lambda self: id(self)


def _iop(name):
    f = getattr(Tensor, name)

    def m(self, other):
        return f(self, other)
    return m


Tensor.__iadd__ = _iop("add_")
Tensor.__isub__ = _iop("sub_")
Tensor.__imul__ = _iop("mul_")
Tensor.__itruediv__ = _iop("div_")
Tensor.__ifloordiv__ = _iop("floor_divide_")
Tensor.__imod__ = _iop("remainder_")
Tensor.__ipow__ = _iop("pow_")
Tensor.__iand__ = _iop("bitwise_and_")
Tensor.__ior__ = _iop("bitwise_or_")
Tensor.__ixor__ = _iop("bitwise_xor_")
