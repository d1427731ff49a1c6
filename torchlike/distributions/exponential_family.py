"""ExponentialFamily: the base class of the exponential-family distributions (Normal, Gamma,
Bernoulli...), whose default entropy comes from the log normalizer by the Bregman identity."""
from __future__ import annotations

from .distribution import Distribution

__all__ = ["ExponentialFamily"]


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
