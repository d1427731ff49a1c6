"""`nn.utils.parametrize`: register_parametrization / remove_parametrizations.

Like PyTorch, the module's class is swapped for a `Parametrized<Class>` subclass whose
property computes the tensor from `parametrizations.<name>.original`.
"""
from __future__ import annotations

from contextlib import contextmanager

from ..._autograd_core import no_grad
from ..modules.container import ModuleDict, ModuleList
from ..modules.module import Module
from ..parameter import Parameter

__all__ = ["register_parametrization", "remove_parametrizations", "is_parametrized", "cached",
           "ParametrizationList", "type_before_parametrizations",
           "transfer_parametrizations_and_params"]

_cache_enabled = 0
_cache = {}     # (id(module), tensor name) -> the parametrized tensor, inside cached()


@contextmanager
def cached():
    """Inside the context each parametrized tensor is computed once (on first access) and
    reused; the cache is dropped when the outermost context exits, as in PyTorch."""
    global _cache_enabled
    _cache_enabled += 1
    try:
        yield
    finally:
        _cache_enabled -= 1
        if not _cache_enabled:
            _cache.clear()


class ParametrizationList(ModuleList):
    def __init__(self, modules, original, unsafe=False):
        super().__init__(modules)
        self.unsafe = unsafe
        new = original
        with no_grad():
            for module in reversed(self):
                if hasattr(module, "right_inverse"):
                    new = module.right_inverse(new)
        self.is_tensor = not isinstance(new, (tuple, list))
        self.ntensors = 1 if self.is_tensor else len(new)
        if not self.is_tensor:      # right_inverse gave several tensors: original0, original1...
            for i, t in enumerate(new):
                self.register_parameter(f"original{i}",
                                        Parameter(t.detach(), original.requires_grad))
        elif new is original:
            self.register_parameter("original", original if isinstance(original, Parameter)
                                    else Parameter(original, original.requires_grad))
        else:
            p = Parameter(new.detach(), original.requires_grad)
            self.register_parameter("original", p)

    def right_inverse(self, value):
        with no_grad():
            for module in reversed(self):
                if hasattr(module, "right_inverse"):
                    value = module.right_inverse(value)
            if self.is_tensor:
                self.original.copy_(value)
            else:
                for i, t in enumerate(value):
                    getattr(self, f"original{i}").copy_(t)

    def forward(self):
        if not self.is_tensor:
            x = self[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
            for m in list(self)[1:]:
                x = m(x)
            return x
        x = self[0](self.original)
        for m in list(self)[1:]:
            x = m(x)
        return x


def _inject_new_class(module):
    cls = module.__class__

    def getstate(self):
        raise RuntimeError("Serialization of parametrized modules is only supported through "
                           "state_dict().")

    param_cls = type(f"Parametrized{cls.__name__}", (cls,), {"__getstate__": getstate})
    module.__class__ = param_cls


def _inject_property(module, tensor_name):
    def get_parametrized(self):
        if _cache_enabled:
            key = (id(self), tensor_name)
            t = _cache.get(key)
            if t is None:
                t = _cache[key] = self.parametrizations[tensor_name]()
            return t
        return self.parametrizations[tensor_name]()

    def set_original(self, value):
        self.parametrizations[tensor_name].right_inverse(value)

    setattr(module.__class__, tensor_name, property(get_parametrized, set_original))


def is_parametrized(module, tensor_name=None):
    parametrizations = getattr(module, "parametrizations", None)
    if parametrizations is None or not isinstance(parametrizations, ModuleDict):
        return False
    if tensor_name is None:
        return len(parametrizations) > 0
    return tensor_name in parametrizations


def register_parametrization(module, tensor_name, parametrization, *, unsafe=False):
    if is_parametrized(module, tensor_name):
        module.parametrizations[tensor_name].append(parametrization)
        return module
    if tensor_name in module._buffers or tensor_name in module._parameters:
        original = getattr(module, tensor_name)
        parametrizations = ParametrizationList([parametrization], original, unsafe=unsafe)
        delattr(module, tensor_name)
        if not is_parametrized(module):
            _inject_new_class(module)
            module.parametrizations = ModuleDict()
        _inject_property(module, tensor_name)
        module.parametrizations[tensor_name] = parametrizations
    else:
        raise ValueError(f"Module '{module}' does not have a parameter, a buffer, or a "
                         f"parametrized element with name '{tensor_name}'")
    return module


def remove_parametrizations(module, tensor_name, leave_parametrized=True):
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    parametrizations = module.parametrizations[tensor_name]
    if not parametrizations.is_tensor:
        if not leave_parametrized:
            raise ValueError("Cannot leave unparametrized (`leave_parametrized=False`) a "
                             "tensor that is parametrized in terms of a sequence of tensors.")
        with no_grad():
            t = getattr(module, tensor_name)
        original = Parameter(t.detach(), t.requires_grad)
    else:
        original = parametrizations.original
    if leave_parametrized and parametrizations.is_tensor:
        with no_grad():
            t = getattr(module, tensor_name)
        with no_grad():
            original.copy_(t)
    delattr(module.__class__, tensor_name)
    del module.parametrizations[tensor_name]
    module.register_parameter(tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        orig_cls = module.__class__.__bases__[0]
        module.__class__ = orig_cls
    return module


def type_before_parametrizations(module):
    if is_parametrized(module):
        return module.__class__.__bases__[0]
    return type(module)


def transfer_parametrizations_and_params(from_module, to_module, tensor_name=None):
    raise NotImplementedError("transfer_parametrizations_and_params is not implemented")


def _weight_norm(module, name="weight", dim=0):
    class _WeightNorm(Module):
        def __init__(self, dim):
            super().__init__()
            self.dim = dim

        def forward(self, weight):
            axes = [i for i in range(weight.dim()) if i != self.dim]
            return weight / weight.norm(2, dim=axes, keepdim=True) * \
                self.g if hasattr(self, "g") else weight

    raise NotImplementedError("weight_norm is not implemented in torchlike yet")


_ = Module
