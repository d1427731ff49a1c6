"""Laplace, Cauchy and Gumbel: location-scale families with closed-form log_prob, cdf, icdf
and entropy; rsample by the inverse cdf of a uniform draw (differentiable in the parameters)."""
from __future__ import annotations

import math
import numbers

import numpy as np

from .. import _functions as F
from .._autograd_core import no_grad
from .._tensor import Size
from . import constraints
from .distribution import Distribution
from .utils import _size, broadcast_all, euler_constant

__all__ = ["Laplace", "Cauchy", "Gumbel"]


def _uniform(shape, like, lo, hi):
    """Uniform draws on (0, 1) of `like`'s dtype, kept an eps away from the ends."""
    import torchlike as T
    eps = float(np.finfo(like.dtype.np).eps)
    return T.rand(tuple(shape), dtype=like.dtype, device=like.device).clamp(eps, 1 - eps)


class _LocScale(Distribution):
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        batch_shape = Size() if isinstance(loc, numbers.Number) and isinstance(
            scale, numbers.Number) else self.loc.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(type(self), _instance)
        batch_shape = _size(batch_shape)
        new.loc = self.loc.expand(batch_shape)
        new.scale = self.scale.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _check(self, value):
        if self._validate_args:
            self._validate_sample(value)

    def sample(self, sample_shape=Size()):
        with no_grad():
            return self.rsample(sample_shape)


class Laplace(_LocScale):
    """Laplace(loc, scale): density exp(-|x - loc| / scale) / (2 scale)."""

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return 2 * self.scale.pow(2)

    @property
    def stddev(self):
        return (2 ** 0.5) * self.scale

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        import torchlike as T
        eps = float(np.finfo(self.loc.dtype.np).eps)
        u = T.rand(tuple(shape), dtype=self.loc.dtype, device=self.loc.device) * 2 - 1
        u = u.clamp(-1 + eps, 1 - eps)
        return self.loc - self.scale * u.sign() * F.log1p(-u.abs())

    def log_prob(self, value):
        self._check(value)
        return -F.log(2 * self.scale) - F.abs(value - self.loc) / self.scale

    def cdf(self, value):
        self._check(value)
        return 0.5 - 0.5 * (value - self.loc).sign() * F.expm1(
            -(value - self.loc).abs() / self.scale)

    def icdf(self, value):
        term = value - 0.5
        return self.loc - self.scale * term.sign() * F.log1p(-2 * term.abs())

    def entropy(self):
        return 1 + F.log(2 * self.scale)


class Cauchy(_LocScale):
    """Cauchy(loc, scale): density 1 / (pi scale (1 + ((x - loc) / scale)^2))."""

    @property
    def mean(self):
        import torchlike as T
        return T.full(tuple(self._extended_shape()), math.nan, dtype=self.loc.dtype)

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        import torchlike as T
        return T.full(tuple(self._extended_shape()), math.inf, dtype=self.loc.dtype)

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        u = _uniform(shape, self.loc, 0.0, 1.0)
        return self.loc + self.scale * F.tan(math.pi * (u - 0.5))

    def log_prob(self, value):
        self._check(value)
        return -math.log(math.pi) - F.log(self.scale) - F.log1p(
            ((value - self.loc) / self.scale) ** 2)

    def cdf(self, value):
        self._check(value)
        return F.atan((value - self.loc) / self.scale) / math.pi + 0.5

    def icdf(self, value):
        return F.tan(math.pi * (value - 0.5)) * self.scale + self.loc

    def entropy(self):
        return math.log(4 * math.pi) + F.log(self.scale)


class Gumbel(_LocScale):
    """Gumbel(loc, scale): cdf exp(-exp(-(x - loc) / scale))."""

    @property
    def mean(self):
        return self.loc + self.scale * euler_constant

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return (math.pi / math.sqrt(6)) * self.scale

    @property
    def variance(self):
        return self.stddev.pow(2)

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        u = _uniform(shape, self.loc, 0.0, 1.0)
        return self.loc - self.scale * F.log(-F.log(u))

    def log_prob(self, value):
        self._check(value)
        y = (self.loc - value) / self.scale
        return (y - y.exp()) - self.scale.log()

    def cdf(self, value):
        self._check(value)
        return F.exp(-F.exp(-(value - self.loc) / self.scale))

    def icdf(self, value):
        return self.loc - self.scale * F.log(-F.log(value))

    def entropy(self):
        return self.scale.log() + (1 + euler_constant)
