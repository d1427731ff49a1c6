"""ExponentialFamily (the base class user code subclasses; entropy from the log normalizer by
the Bregman identity, as PyTorch) and InverseGamma (1 / Gamma)."""
from __future__ import annotations

from .. import _functions as F
from . import constraints
from .distribution import Distribution
from .gamma import Gamma
from .transformed_distribution import TransformedDistribution
from .transforms import PowerTransform
from .utils import _size

__all__ = ["ExponentialFamily", "InverseGamma"]


class ExponentialFamily(Distribution):
    """Distributions p(x) = h(x) exp(<t(x), theta> - F(theta)): subclasses give
    `_natural_params`, `_log_normalizer` and `_mean_carrier_measure`."""

    @property
    def _natural_params(self):
        raise NotImplementedError

    def _log_normalizer(self, *natural_params):
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self):
        raise NotImplementedError

    def entropy(self):
        import torchlike as T
        result = -self._mean_carrier_measure
        nparams = [p.detach().requires_grad_() for p in self._natural_params]
        with T.enable_grad():
            lg_normal = self._log_normalizer(*nparams)
            gradients = T.autograd.grad(lg_normal.sum(), nparams, create_graph=True)
        result = result + lg_normal
        for np_, g in zip(nparams, gradients):
            result = result - (np_ * g).reshape(tuple(self._batch_shape) + (-1,)).sum(-1)
        return result


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
