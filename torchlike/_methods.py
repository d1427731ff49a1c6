"""Tensor methods, operators and in-place variants: one-line aliases of `_functions`."""
from __future__ import annotations

import builtins

from . import _functions as F
from ._creation import bernoulli as _bernoulli
from ._functions import _t
from ._tensor import Tensor, check_inplace, commit

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


_METHODS = """add sub mul div true_divide floor_divide remainder fmod pow atan2 maximum minimum
fmax fmin hypot copysign eq ne lt le gt ge logical_and logical_or logical_xor bitwise_and
bitwise_or bitwise_xor logical_not bitwise_not log log2 log10 log1p sqrt rsqrt sin cos tan asin
acos atan sinh cosh asinh acosh atanh erf erfc erfinv lgamma digamma reciprocal expm1 exp exp2
tanh sigmoid neg abs sign sgn square floor ceil trunc frac relu isnan isinf isfinite signbit
round clamp clip clamp_min clamp_max lerp addcmul addcdiv isclose allclose equal nan_to_num logit
sum nansum mean nanmean prod max min amax amin aminmax argmax argmin var std norm logsumexp cumsum
cumprod all any count_nonzero softmax log_softmax median mm matmul addmm outer dot mv bmm t
flatten unflatten ravel squeeze unsqueeze permute transpose swapaxes swapdims movedim moveaxis
expand diagonal narrow select split chunk tensor_split unbind flip fliplr flipud roll tril triu
gather scatter scatter_add index_select index_add index_copy index_fill masked_fill
masked_select nonzero argwhere topk sort argsort msort kthvalue unique clone tile diag det
inverse trace cross dist cdist multiply subtract divide negative absolute greater greater_equal
less less_equal not_equal arcsin arccos arctan arctan2 fix index_put repeat_interleave
bincount logical_xor sinc deg2rad rad2deg bitwise_left_shift bitwise_right_shift erfc exp2
lgamma digamma""".split()

_INPLACE = """add sub mul div true_divide floor_divide remainder fmod pow atan2 hypot copysign eq
ne lt le gt ge logical_and logical_or logical_xor bitwise_and bitwise_or bitwise_xor logical_not
log log2 log10 log1p sqrt rsqrt sin cos tan asin acos atan sinh cosh erf erfinv reciprocal expm1
exp tanh sigmoid neg abs sign square floor ceil trunc frac relu round clamp clip clamp_min
clamp_max lerp addcmul addcdiv nan_to_num logit tril triu scatter scatter_add index_add
index_copy index_fill masked_fill multiply subtract divide negative index_put""".split()

for _n in _METHODS:
    setattr(Tensor, _n, _method(getattr(F, _n)))
for _n in _INPLACE:
    setattr(Tensor, _n + "_", _inplace(getattr(F, _n)))


def _view(self, *shape):
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list)):
        d = shape[0]
        from . import _dtype as D
        if isinstance(d, D.dtype):
            if d.itemsize != self.dtype.itemsize:
                raise RuntimeError("view(dtype) with a different element size is not supported")
            from ._tensor import _new
            import jax
            return _new(jax.lax.bitcast_convert_type(self._v, d.np))
    return F._view(self, F._shape_args(shape))


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
Tensor.conj = lambda self: self if not self.dtype.is_complex else F._new(self._v.conj())
Tensor.real = property(F.real)
Tensor.imag = property(F.imag)
Tensor.bernoulli = lambda self, p=None, generator=None: _bernoulli(self, p, generator=generator)
Tensor.square_ = _inplace(F.square)


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


# ------------------------------------------------------------------------- operators


def _rev(f):
    return lambda self, other: f(_t(other), self) if not isinstance(other, _SCALARS) else \
        f(other, self)


def _rsub(self, other):
    return F.rsub(self, _t(other))


def _rdiv(self, other):
    if isinstance(other, _SCALARS) and not isinstance(other, builtins.bool):
        return F.reciprocal(self) * other     # as torch: grad_fn=<MulBackward0>
    from ._tensor import call
    from ._ops.registry import TABLE
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
