"""torchlike.distributions: PyTorch's probability distributions on torchlike tensors.

Parameters are ordinary tensors, so ``log_prob``, ``entropy`` and ``rsample`` (reparameterised
sampling) are differentiable through the tape; draws use torchlike's default generator, so
``torchlike.manual_seed`` makes them repeatable.
"""
from __future__ import annotations

from . import constraints
from .bernoulli import Bernoulli
from .beta import Beta
from .categorical import Categorical
from .dirichlet import Dirichlet
from .distribution import Distribution
from .exponential import Exponential
from .gamma import Gamma
from .independent import Independent
from .kl import kl_divergence, register_kl
from .laplace import Cauchy, Gumbel, Laplace
from .studentt import StudentT
from . import transforms
from .transforms import (AbsTransform, AffineTransform, ComposeTransform, ExpTransform,
                         PowerTransform, SigmoidTransform, SoftmaxTransform,
                         StickBreakingTransform, TanhTransform, Transform)
from .transformed_distribution import LogNormal, TransformedDistribution
from .discrete import Binomial, Multinomial, OneHotCategorical, OneHotCategoricalStraightThrough
from .relaxed import (ExpRelaxedCategorical, LogitRelaxedBernoulli, RelaxedBernoulli,
                      RelaxedOneHotCategorical)
from .mixture_same_family import MixtureSameFamily
from .lowrank_multivariate_normal import LowRankMultivariateNormal
from .more import (Chi2, Geometric, HalfCauchy, HalfNormal, NegativeBinomial, Pareto,
                   Weibull)
from . import _kl_tail  # noqa: F401  (registers more KL pairs)
from .transforms import (CumulativeDistributionTransform, IndependentTransform,
                         LowerCholeskyTransform, ReshapeTransform, SoftplusTransform,
                         identity_transform)
from .constraint_registry import biject_to, transform_to
from .exp_family import ExponentialFamily, InverseGamma
from .more2 import FisherSnedecor, Kumaraswamy, LogisticNormal
from .continuous_bernoulli import ContinuousBernoulli
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .poisson import Poisson
from .uniform import Uniform

__all__ = ["Bernoulli", "Beta", "Categorical", "Dirichlet", "Distribution", "Exponential",
           "Gamma", "Independent", "MultivariateNormal", "Normal", "Poisson", "Uniform",
           "constraints", "kl_divergence", "register_kl", "Laplace", "Cauchy", "Gumbel",
           "StudentT", "LogNormal", "TransformedDistribution", "transforms", "Transform",
           "AbsTransform", "AffineTransform", "ComposeTransform", "ExpTransform",
           "PowerTransform", "SigmoidTransform", "SoftmaxTransform", "StickBreakingTransform",
           "TanhTransform", "Binomial", "Multinomial", "OneHotCategorical",
           "OneHotCategoricalStraightThrough", "RelaxedBernoulli", "RelaxedOneHotCategorical",
           "LogitRelaxedBernoulli", "ExpRelaxedCategorical", "MixtureSameFamily",
           "LowRankMultivariateNormal", "Chi2", "Geometric", "HalfCauchy", "HalfNormal",
           "NegativeBinomial", "Pareto", "Weibull", "IndependentTransform",
           "LowerCholeskyTransform", "ReshapeTransform", "SoftplusTransform",
           "identity_transform", "biject_to", "transform_to", "ExponentialFamily",
           "InverseGamma", "FisherSnedecor", "Kumaraswamy", "LogisticNormal",
           "ContinuousBernoulli", "CumulativeDistributionTransform"]
