"""StudentT(df, loc, scale), sampled as loc + scale * Z / sqrt(chi2(df) / df) with the
reparameterised gamma draw, so rsample is differentiable in all three parameters."""
from __future__ import annotations

import math
import numbers

from .. import _functions as F
from .._autograd_core import no_grad
from .._tensor import Size
from . import constraints
from ._sampling import standard_gamma
from .distribution import Distribution
from .utils import _size, _standard_normal, broadcast_all

__all__ = ["StudentT"]


class StudentT(Distribution):
    arg_constraints = {"df": constraints.positive, "loc": constraints.real,
                       "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        batch_shape = Size() if all(isinstance(v, numbers.Number) for v in (df, loc, scale)) \
            else self.df.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(StudentT, _instance)
        batch_shape = _size(batch_shape)
        new.df, new.loc = self.df.expand(batch_shape), self.loc.expand(batch_shape)
        new.scale = self.scale.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        m = self.loc.clone()
        return F.where(self.df <= 1, math.nan, m)

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        df = self.df
        v = self.scale.pow(2) * df / (df - 2)
        v = F.where(df <= 2, math.inf, v)
        return F.where(df <= 1, math.nan, v)

    def sample(self, sample_shape=Size()):
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        z = _standard_normal(shape, dtype=self.df.dtype, device=self.df.device)
        chi2 = 2 * standard_gamma(0.5 * self.df.expand(shape))
        y = z * F.rsqrt(chi2 / self.df)
        return self.loc + self.scale * y

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        y = (value - self.loc) / self.scale
        z = (self.scale.log() + 0.5 * self.df.log() + 0.5 * math.log(math.pi)
             + F.lgamma(0.5 * self.df) - F.lgamma(0.5 * (self.df + 1.0)))
        return -0.5 * (self.df + 1.0) * F.log1p(y ** 2.0 / self.df) - z

    def entropy(self):
        lbeta = (F.lgamma(0.5 * self.df) + math.lgamma(0.5)
                 - F.lgamma(0.5 * (self.df + 1)))
        return (self.scale.log() + 0.5 * (self.df + 1) * (
            F.digamma(0.5 * (self.df + 1)) - F.digamma(0.5 * self.df))
            + 0.5 * self.df.log() + lbeta)
