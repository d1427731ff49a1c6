"""`nn.utils.prune`: masks kept as buffers (`<name>_mask`), the original as `<name>_orig`, and
a forward pre-hook recomputing `<name> = <name>_orig * <name>_mask`, as in PyTorch."""
from __future__ import annotations

import numbers
from abc import ABC, abstractmethod

import jax.numpy as jnp
import numpy as np

from ... import _creation as C
from ..._autograd_core import no_grad
from ..._tensor import _new
from ..parameter import Parameter

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured",
           "L1Unstructured", "RandomStructured", "LnStructured", "identity",
           "random_unstructured", "l1_unstructured", "random_structured", "ln_structured",
           "global_unstructured", "custom_from_mask", "remove", "is_pruned", "CustomFromMask"]


def _validate_amount(amount, n):
    if not isinstance(amount, numbers.Real) or amount < 0:
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a "
                         "non-negative integer")
    if isinstance(amount, numbers.Integral):
        if amount > n:
            raise ValueError(f"amount={amount} should be smaller than the number of parameters "
                             f"to prune={n}")
        return int(amount)
    if amount > 1:
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a "
                         "non-negative integer")
    return int(round(amount * n))


class BasePruningMethod(ABC):
    _tensor_name: str

    def __call__(self, module, inputs):
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t, default_mask):
        ...

    def apply_mask(self, module):
        orig = getattr(module, self._tensor_name + "_orig")
        mask = getattr(module, self._tensor_name + "_mask")
        return mask.to(dtype=orig.dtype) * orig

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        method = cls(*args, **kwargs)
        method._tensor_name = name
        orig = getattr(module, name)
        if importance_scores is None:
            importance_scores = orig
        old = None
        for k, hook in module._forward_pre_hooks.items():
            if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
                old = (k, hook)
        if old is None:
            default_mask = C.ones_like(orig)
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
        else:
            default_mask = getattr(module, name + "_mask").detach().clone()
            del module._forward_pre_hooks[old[0]]
            container = PruningContainer(old[1]) if not isinstance(old[1], PruningContainer) \
                else old[1]
            container.add_pruning_method(method)
            method = container
        with no_grad():
            mask = method.compute_mask(importance_scores.detach() if old is None else
                                       importance_scores.detach(), default_mask=default_mask)
        module.register_buffer(name + "_mask", mask)
        setattr(module, name, method.apply_mask(module))
        module.register_forward_pre_hook(method)
        return method

    def prune(self, t, default_mask=None, importance_scores=None):
        s = importance_scores if importance_scores is not None else t
        default_mask = default_mask if default_mask is not None else C.ones_like(t)
        return t * self.compute_mask(s, default_mask=default_mask)

    def remove(self, module):
        weight = self.apply_mask(module)
        if hasattr(module, self._tensor_name):
            delattr(module, self._tensor_name)
        orig = module._parameters[self._tensor_name + "_orig"]
        with no_grad():
            orig.copy_(weight.detach())
        del module._parameters[self._tensor_name + "_orig"]
        del module._buffers[self._tensor_name + "_mask"]
        setattr(module, self._tensor_name, orig)


class PruningContainer(BasePruningMethod):
    def __init__(self, *args):
        self._pruning_methods = tuple()
        for m in args:
            self.add_pruning_method(m)

    def add_pruning_method(self, method):
        if not hasattr(self, "_tensor_name"):
            self._tensor_name = method._tensor_name
        self._pruning_methods += (method,)

    def compute_mask(self, t, default_mask):
        m = self._pruning_methods[-1]
        keep = default_mask == 1
        flat_idx = np.nonzero(np.asarray(keep._v).reshape(-1))[0]
        sub = _new(jnp.asarray(np.asarray(t._v).reshape(-1)[flat_idx]))
        sub_mask = m.compute_mask(sub, C.ones_like(sub))
        new = np.asarray(default_mask._v).reshape(-1).copy()
        new[flat_idx] = np.asarray(sub_mask._v)
        return _new(jnp.asarray(new.reshape(tuple(t.shape)), default_mask._v.dtype))


class Identity(BasePruningMethod):
    def compute_mask(self, t, default_mask):
        return default_mask

    @classmethod
    def apply(cls, module, name):
        return super().apply(module, name)


class RandomUnstructured(BasePruningMethod):
    def __init__(self, amount):
        self.amount = amount

    def compute_mask(self, t, default_mask):
        n = t.numel()
        k = _validate_amount(self.amount, n)
        mask = default_mask.clone()
        if k != 0:
            prob = C.rand(*t.shape)
            idx = np.argsort(-np.asarray(prob._v).reshape(-1), kind="stable")[:k]
            m = np.asarray(mask._v).reshape(-1).copy()
            m[idx] = 0
            mask = _new(jnp.asarray(m.reshape(tuple(t.shape)), mask._v.dtype))
        return mask

    @classmethod
    def apply(cls, module, name, amount):
        return super().apply(module, name, amount=amount)


class L1Unstructured(BasePruningMethod):
    def __init__(self, amount):
        self.amount = amount

    def compute_mask(self, t, default_mask):
        n = t.numel()
        k = _validate_amount(self.amount, n)
        mask = default_mask.clone()
        if k != 0:
            idx = np.argsort(np.abs(np.asarray(t._v)).reshape(-1), kind="stable")[:k]
            m = np.asarray(mask._v).reshape(-1).copy()
            m[idx] = 0
            mask = _new(jnp.asarray(m.reshape(tuple(t.shape)), mask._v.dtype))
        return mask

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class _Structured(BasePruningMethod):
    def _channels_mask(self, t, default_mask, scores):
        dim = self.dim if self.dim >= 0 else t.dim() + self.dim
        n = t.shape[dim]
        k = _validate_amount(self.amount, n)
        keep = n - k
        mask = np.zeros(tuple(t.shape), np.asarray(default_mask._v).dtype)
        if keep:
            top = np.argsort(-scores, kind="stable")[:keep]
            sl = [slice(None)] * t.dim()
            sl[dim] = top
            mask[tuple(sl)] = 1
        return _new(jnp.asarray(mask * np.asarray(default_mask._v)))


class RandomStructured(_Structured):
    def __init__(self, amount, dim=-1):
        self.amount = amount
        self.dim = dim

    def compute_mask(self, t, default_mask):
        dim = self.dim if self.dim >= 0 else t.dim() + self.dim
        scores = np.asarray(C.rand(t.shape[dim])._v)
        return self._channels_mask(t, default_mask, scores)

    @classmethod
    def apply(cls, module, name, amount, dim=-1):
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(_Structured):
    def __init__(self, amount, n, dim=-1):
        self.amount = amount
        self.n = n
        self.dim = dim

    def compute_mask(self, t, default_mask):
        dim = self.dim if self.dim >= 0 else t.dim() + self.dim
        a = np.asarray(t._v, np.float64)
        axes = tuple(i for i in range(a.ndim) if i != dim)
        if self.n == float("inf"):
            scores = np.abs(a).max(axis=axes)
        else:
            scores = (np.abs(a) ** self.n).sum(axis=axes) ** (1.0 / self.n)
        return self._channels_mask(t, default_mask, scores)

    @classmethod
    def apply(cls, module, name, amount, n, dim, importance_scores=None):
        return super().apply(module, name, amount=amount, n=n, dim=dim,
                             importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    def __init__(self, mask):
        self.mask = mask

    def compute_mask(self, t, default_mask):
        return default_mask * self.mask.to(dtype=default_mask.dtype)

    @classmethod
    def apply(cls, module, name, mask):
        return super().apply(module, name, mask=mask)


def identity(module, name):
    Identity.apply(module, name)
    return module


def random_unstructured(module, name, amount):
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module, name, amount, dim):
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module, name, amount, n, dim, importance_scores=None):
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def custom_from_mask(module, name, mask):
    CustomFromMask.apply(module, name, mask)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs):
    parameters = list(parameters)
    scores = [getattr(m, n) for m, n in parameters]
    flat = np.concatenate([np.asarray(s.detach()._v).reshape(-1) for s in scores])
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    mask = method.compute_mask(_new(jnp.asarray(flat)), default_mask=_new(jnp.ones(flat.shape,
                                                                                   flat.dtype)))
    m = np.asarray(mask._v)
    off = 0
    for (module, name), s in zip(parameters, scores):
        n = s.numel()
        custom_from_mask(module, name, _new(jnp.asarray(m[off:off + n].reshape(tuple(s.shape)))))
        off += n


def remove(module, name):
    for k, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"Parameter '{name}' of module {module} has to be pruned before pruning "
                     "can be removed")


def is_pruned(module):
    for _, submodule in module.named_modules():
        for hook in submodule._forward_pre_hooks.values():
            if isinstance(hook, BasePruningMethod):
                return True
    return False


_ = Parameter
