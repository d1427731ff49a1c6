"""`biject_to(constraint)` and `transform_to(constraint)`: transforms from unconstrained reals
onto a constraint's support (PyTorch's ``torch.distributions.constraint_registry``), for
optimising constrained parameters in unconstrained space."""
from __future__ import annotations

import numbers

from . import constraints, transforms

__all__ = ["ConstraintRegistry", "biject_to", "transform_to"]


class ConstraintRegistry:
    def __init__(self):
        self._registry = {}

    def register(self, constraint, factory=None):
        if factory is None:
            return lambda factory: self.register(constraint, factory)
        if isinstance(constraint, constraints.Constraint):
            constraint = type(constraint)
        if not isinstance(constraint, type) or not issubclass(constraint,
                                                              constraints.Constraint):
            raise TypeError("Expected constraint to be either a Constraint subclass or "
                            f"instance, but got {constraint}")
        self._registry[constraint] = factory
        return factory

    def __call__(self, constraint):
        try:
            factory = self._registry[type(constraint)]
        except KeyError:
            raise NotImplementedError(f"Cannot transform {type(constraint).__name__} "
                                      "constraints") from None
        return factory(constraint)


biject_to = ConstraintRegistry()
transform_to = ConstraintRegistry()


def _real(constraint):
    return transforms.identity_transform


def _independent_biject(constraint):
    t = biject_to(constraint.base_constraint)
    return transforms.IndependentTransform(t, constraint.reinterpreted_batch_ndims)


def _independent_transform(constraint):
    t = transform_to(constraint.base_constraint)
    return transforms.IndependentTransform(t, constraint.reinterpreted_batch_ndims)


def _positive(constraint):
    return transforms.ExpTransform()


def _greater_than(constraint):
    return transforms.ComposeTransform([transforms.ExpTransform(), transforms.AffineTransform(
        constraint.lower_bound, 1)])


def _less_than(constraint):
    return transforms.ComposeTransform([transforms.ExpTransform(), transforms.AffineTransform(
        constraint.upper_bound, -1)])


def _interval(constraint):
    lb, ub = constraint.lower_bound, constraint.upper_bound
    lower_is_0 = isinstance(lb, numbers.Number) and lb == 0
    upper_is_1 = isinstance(ub, numbers.Number) and ub == 1
    if lower_is_0 and upper_is_1:
        return transforms.SigmoidTransform()
    return transforms.ComposeTransform([transforms.SigmoidTransform(),
                                        transforms.AffineTransform(lb, ub - lb)])


for _reg in (biject_to, transform_to):
    _reg.register(constraints._Real, _real)
    _reg.register(constraints._GreaterThan, _greater_than)
    _reg.register(constraints._GreaterThanEq, _greater_than)
    _reg.register(constraints._LessThan, _less_than)
    _reg.register(constraints._Interval, _interval)
    _reg.register(constraints._HalfOpenInterval, _interval)
biject_to.register(constraints._IndependentConstraint, _independent_biject)
transform_to.register(constraints._IndependentConstraint, _independent_transform)
biject_to.register(constraints._Simplex, lambda c: transforms.StickBreakingTransform())
transform_to.register(constraints._Simplex, lambda c: transforms.SoftmaxTransform())
transform_to.register(constraints._LowerCholesky, lambda c: transforms.LowerCholeskyTransform())
