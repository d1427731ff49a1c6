"""InverseGamma (1 / Gamma); ExponentialFamily lives in exponential_family.py."""
from __future__ import annotations

from .. import _functions as F
from . import constraints
from .exponential_family import ExponentialFamily
from .gamma import Gamma
from .transformed_distribution import TransformedDistribution
from .transforms import PowerTransform
from .utils import _size

__all__ = ["ExponentialFamily", "InverseGamma"]


class InverseGamma(TransformedDistribution):
    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        import torchlike as T
        base = Gamma(concentration, rate, validate_args=validate_args)
        neg_one = T.tensor(-1.0, dtype=base.rate.dtype)
        super().__init__(base, PowerTransform(neg_one), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(InverseGamma, _instance)
        return super().expand(_size(batch_shape), _instance=new)

    @property
    def concentration(self):
        return self.base_dist.concentration

    @property
    def rate(self):
        return self.base_dist.rate

    @property
    def mean(self):
        result = self.rate / (self.concentration - 1)
        return F.where(self.concentration > 1, result, float("inf"))

    @property
    def mode(self):
        return self.rate / (self.concentration + 1)

    @property
    def variance(self):
        result = self.rate.square() / ((self.concentration - 1).square()
                                       * (self.concentration - 2))
        return F.where(self.concentration > 2, result, float("inf"))

    def entropy(self):
        return (self.concentration + self.rate.log() + F.lgamma(self.concentration)
                - (1 + self.concentration) * F.digamma(self.concentration))
