"""The Optimizer base class: one loop over param groups and parameters for every optimizer.

An optimizer subclass gives its defaults and argument checks and, for one parameter (in the
spirit of optax's ``(init, update)`` transforms and MLX's optimizers):

- ``init(self, group, p) -> {name: jax array}``: the new state of one parameter (the base class
  puts ``'step'`` first unless the class sets ``has_step = False``);
- ``update(p, g, state, hyper, flags) -> (new_p, new_state)``: a pure function on jax arrays.
  ``g`` has ``maximize`` and coupled weight decay applied, ``p`` decoupled weight decay,
  ``state['step']`` is already incremented; ``hyper`` holds the group's numbers named in
  ``hyper`` (plus ``lr`` and ``weight_decay``) as traced scalars, ``flags`` the Python constants
  that select code paths (``maximize``, ``amsgrad``, whether ``momentum`` is nonzero...).

The base class does the rest: skipping parameters without a gradient, ``maximize``, weight decay
(L2 ``g + wd * p``, or ``p * (1 - lr * wd)`` where the group has a true
``decoupled_weight_decay``), step counting, state creation, and writing the results back into
the parameter and state Tensors in place (bumping their versions, as PyTorch's in-place updates
do). All parameters of a group go through one ``jax.jit`` call, compiled once per structure
(shapes, dtypes, state keys, flags): changing ``group['lr']`` never recompiles.

State lives in Tensors (``state['step']`` is a float32 0-d Tensor, as in PyTorch), and no
update reads a state value back into Python: under ``torchlike.compile`` the boxes hold tracers.
"""
from __future__ import annotations

import copy
import functools
import inspect
import numbers
import warnings
from collections import OrderedDict, defaultdict
from itertools import chain

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .._autograd_core import GRAD
from .._interp import to_device
from .._ops.registry import commit
from .._tensor import Tensor, _new, _set_root

__all__ = ["Optimizer", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook",
           "required"]

# PyTorch's type of an optimizer's ``params`` argument (programs annotate with it)
import typing as _typing  # noqa: E402

ParamsT = _typing.Union[_typing.Iterable[Tensor], _typing.Iterable[dict[str, _typing.Any]],
                        _typing.Iterable[tuple[str, Tensor]]]


class _RequiredParameter:
    """Singleton class representing a required parameter for an Optimizer."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()

_global_optimizer_pre_hooks: "OrderedDict[int, object]" = OrderedDict()
_global_optimizer_post_hooks: "OrderedDict[int, object]" = OrderedDict()
_HOOK_ID = [0]


class _RemovableHandle:
    def __init__(self, hooks_dict, hid):
        self._hooks, self.id = hooks_dict, hid

    def remove(self):
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _add_hook(d, hook, prepend=False):
    _HOOK_ID[0] += 1
    d[_HOOK_ID[0]] = hook
    if prepend:
        d.move_to_end(_HOOK_ID[0], last=False)
    return _RemovableHandle(d, _HOOK_ID[0])


def register_optimizer_step_pre_hook(hook):
    return _add_hook(_global_optimizer_pre_hooks, hook)


def register_optimizer_step_post_hook(hook):
    return _add_hook(_global_optimizer_post_hooks, hook)


# ----------------------------------------------------------------------- value helpers


def _scalar_dtype():
    """The dtype bias corrections are computed in (PyTorch computes them in Python doubles)."""
    return jnp.float64 if jax.config.jax_enable_x64 else jnp.float32


def hp(v):
    """A hyperparameter as a jit argument: Python numbers as floats, Tensors as their array,
    tuples (betas, etas) elementwise.

    Reading a Python number is fine (it is a trace argument, not a frozen constant); a Tensor
    hyperparameter (possibly holding a tracer under compile) is never read back.
    """
    t = type(v)
    if t is float or t is int:   # the common case first: a step pays this per number
        return float(v)
    if t is tuple:
        return tuple(hp(x) for x in v)
    if isinstance(v, Tensor):
        return v._v.reshape(())
    if isinstance(v, numbers.Real):
        return float(v)
    return jnp.asarray(v).reshape(())


def is_concrete(v):
    """Whether a hyperparameter is a plain Python number (not a Tensor, array or tracer)."""
    t = type(v)
    return t is float or t is int or t is bool or isinstance(v, numbers.Number)


def is_nonzero(v):
    """A static flag for `if weight_decay != 0` that never reads a Tensor's value.

    A Tensor (or a tracer that torchlike.compile put in the param group) counts as nonzero:
    the update it guards is then applied with the traced value, a no-op when that is 0.
    """
    if not is_concrete(v):
        return True
    return v != 0


def to_scalar(x):
    """PyTorch's `_to_scalar`: a 1-element Tensor becomes 0-d; other values are unchanged."""
    if isinstance(x, Tensor) and x.dim() != 0:
        return x.reshape(())
    return x


def write(t, v):
    """Store jax array v into Tensor t in place (no autograd recording), bumping its version."""
    if t._base is None:
        _set_root(t, v)
    else:
        prev = GRAD[0]
        GRAD[0] = False
        try:
            commit(t, _new(v))
        finally:
            GRAD[0] = prev


def step_tensor(value=0.0):
    """A ``state['step']``: a float32 0-d Tensor, as PyTorch keeps it."""
    return _new(full_like((), value, jnp.float32))


def full_like(shape, value, dtype):
    """A state array filled with `value`, made on the host: a `jnp.full` would compile one
    XLA program per parameter shape, eagerly."""
    return to_device(np.full(shape, value, dtype))


def zeros_like(v):
    """Zeros shaped like array `v` (see `full_like`)."""
    return full_like(v.shape, 0, v.dtype)


# ------------------------------------------------------------------------ argument checks

_ARG_NAMES = {"eps": "epsilon"}


def check_args(positive=(), **args):
    """PyTorch's range checks with its messages, in the order given: each value must be >= 0
    (> 0 for the names in `positive`), ``rho`` also <= 1, each beta in [0, 1)."""
    for name, v in args.items():
        if name == "betas":
            for i in (0, 1):
                if not 0.0 <= v[i] < 1.0:
                    raise ValueError(f"Invalid beta parameter at index {i}: {v[i]}")
            continue
        if name == "lr" and isinstance(v, Tensor) and v.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        ok = (0.0 < v if name in positive else 0.0 <= v) and (name != "rho" or v <= 1.0)
        if not ok:
            if name == "lr":
                raise ValueError(f"Invalid learning rate: {v}")
            raise ValueError(f"Invalid {_ARG_NAMES.get(name, name)} value: {v}")


def options(args, names):
    """The defaults dict: `names` (space-separated, in PyTorch's order) picked from `args`, the
    constructor's ``locals()``."""
    return {n: args[n] for n in names.split()}


def check_fused(fused, foreach, differentiable):
    """PyTorch's argument checks for ``fused=True`` (accepted, then ignored: see docs)."""
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


# ---------------------------------------------------------------- the jitted group update


class GroupKernel:
    """One optimizer's `update` run over all parameters of a group in one jitted call.

    The loop and what every optimizer shares (maximize, weight decay, step counting, keeping
    each result in its input's dtype) live here; `traces` counts compilations.
    """

    def __init__(self, update):
        self.update = update
        self.traces = 0
        self.jit = jax.jit(self._run, static_argnums=(0,))

    def _run(self, static, params, grads, states, hyper):
        self.traces += 1
        flags, keys = static
        f, hyper = dict(flags), dict(zip(keys, hyper))
        decay = f["weight_decay"]
        out_p, out_s = [], []
        for p, g, s in zip(params, grads, states):
            dt = p.dtype
            if f["maximize"]:
                g = -g
            if decay == "l2":
                g = g + cast(hyper["weight_decay"], dt) * p
            elif decay == "decoupled":
                p = p * cast(1 - hyper["lr"] * hyper["weight_decay"], dt)
            s = dict(s)
            if "step" in s:
                s["step"] = s["step"] + 1
            new_p, new_s = self.update(p, g, s, hyper, f)
            if "step" in s:
                new_s = {"step": s["step"], **new_s}
            out_p.append(new_p.astype(dt))
            out_s.append({k: v.astype(s[k].dtype) if k in s else v for k, v in new_s.items()})
        return out_p, out_s

    def __call__(self, static, *args):
        return self.jit(static, *args)


def _typename(o):
    if isinstance(o, Tensor):
        return "torch." + o.type()[6:] if hasattr(o, "type") else type(o).__name__
    m = type(o).__module__
    return (m + "." if m not in ("builtins", None) else "") + type(o).__qualname__


# --------------------------------------------------------------------------- Optimizer


class Optimizer:
    r"""Base class for all optimizers (PyTorch's ``torch.optim.Optimizer``).

    Args:
        params: an iterable of Tensors or of dicts (parameter groups).
        defaults: a dict with the default values of the optimization options.

    A subclass defines ``init`` and ``update`` (see the module notes) and inherits ``step``;
    one that defines its own ``step`` (as PyTorch subclasses do) needs neither.
    """

    hyper = ()        # group entries passed to `update` as traced numbers (with lr, weight_decay)
    flags = ()        # group entries that select code paths (a number counts as "nonzero")
    zeros = ()        # state entries that start as zeros shaped like the parameter
    has_step = True   # whether the state holds PyTorch's float32 'step' count
    sparse_error = "{} does not support sparse gradients"   # None where sparse grads are fine
    update = None
    _kernel = None

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        self._optimizer_state_dict_pre_hooks = OrderedDict()
        self._optimizer_state_dict_post_hooks = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks = OrderedDict()
        self._optimizer_load_state_dict_post_hooks = OrderedDict()

        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got " + _typename(params))

        self.state = defaultdict(dict)
        self.param_groups = []

        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]

        for param_group in param_groups:
            self.add_param_group(param_group)

    # ------------------------------------------------------------------ subclass wiring
    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_optim_wrapped", False):
            cls.step = _wrap_step(step)
        if "update" in cls.__dict__:
            cls._kernel = GroupKernel(cls.update)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
                     "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
                     "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        self.defaults.setdefault("differentiable", False)
        # as PyTorch's per-optimizer __setstate__: flags missing from an older state get their
        # defaults, and a Python-number step (SparseAdam keeps one) becomes a Tensor
        flags = _flag_defaults(type(self))
        for group in self.param_groups:
            for k, v in flags.items():
                group.setdefault(k, v)
        for s in self.state.values():
            if "step" in s and not isinstance(s["step"], Tensor):
                s["step"] = step_tensor(float(s["step"]))

    def __repr__(self):
        format_string = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            format_string += "\n"
            format_string += f"Parameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    format_string += f"    {key}: {group[key]}\n"
        format_string += ")"
        return format_string

    # ------------------------------------------------------------------------- hooks
    def register_step_pre_hook(self, hook):
        return _add_hook(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        return _add_hook(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        return _add_hook(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        return _add_hook(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        return _add_hook(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        return _add_hook(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # -------------------------------------------------------------------- state dicts
    def state_dict(self):
        """The optimizer's state as PyTorch structures it: ``{'state': {int: {...}},
        'param_groups': [{..., 'params': [int, ...]}]}``. State Tensors are not copied."""
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)

        param_mappings = {}
        start_index = 0

        def pack_group(group):
            nonlocal start_index
            packed = {k: v for k, v in group.items() if k != "params"}
            param_mappings.update({id(p): i for i, p in enumerate(group["params"], start_index)
                                   if id(p) not in param_mappings})
            packed["params"] = [param_mappings[id(p)] for p in group["params"]]
            start_index += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {(param_mappings[id(k)] if isinstance(k, Tensor) else k): v
                        for k, v in self.state.items()}
        state_dict = {"state": packed_state, "param_groups": param_groups}

        for post_hook in self._optimizer_state_dict_post_hooks.values():
            hook_result = post_hook(self, state_dict)
            if hook_result is not None:
                state_dict = hook_result
        return state_dict

    @staticmethod
    def _process_value_according_to_param_policy(param, value, param_id, param_groups,
                                                 key=None):
        fused = capturable = False
        for pg in param_groups:
            if param_id in pg["params"]:
                fused = pg.get("fused", False)
                capturable = pg.get("capturable", False)
                break
        if key == "step":
            if capturable or fused:
                return value.to(dtype=_float32(), device=param.device)
            return value
        if param.is_floating_point():
            return value.to(dtype=param.dtype, device=param.device)
        return value.to(device=param.device)

    def load_state_dict(self, state_dict):
        """Load a state dict made by :meth:`state_dict` (here or by PyTorch)."""
        state_dict = state_dict.copy()
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            hook_result = pre_hook(self, state_dict)
            if hook_result is not None:
                state_dict = hook_result

        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])

        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        param_lens = (len(g["params"]) for g in groups)
        saved_lens = (len(g["params"]) for g in saved_groups)
        if any(p_len != s_len for p_len, s_len in zip(param_lens, saved_lens)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")

        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))

        def _cast(param, value, param_id=None, param_groups=None, key=None):
            if isinstance(value, Tensor):
                return Optimizer._process_value_according_to_param_policy(
                    param, value, param_id, param_groups, key)
            if isinstance(value, dict):
                return {k: _cast(param, v, param_id=param_id, param_groups=param_groups, key=k)
                        for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return type(value)(_cast(param, v, param_id=param_id,
                                         param_groups=param_groups) for v in value)
            return value

        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = _cast(param, v, param_id=k,
                                     param_groups=state_dict["param_groups"])
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({"state": state, "param_groups": param_groups})

        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)

    # ------------------------------------------------------------------------- grads
    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all optimized Tensors (to None by default, as PyTorch)."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        if g.grad_fn is not None:
                            g.detach_()
                        else:
                            g._rg = False
                        write(g, zeros_like(g._v))

    def step(self, closure=None):
        """One optimization step; ``closure`` re-evaluates the model and returns the loss."""
        if self._kernel is None:
            raise NotImplementedError
        loss = None
        if closure is not None:
            prev = GRAD[0]
            GRAD[0] = True
            try:
                loss = closure()
            finally:
                GRAD[0] = prev
        for group in self.param_groups:
            self._step_group(group)
        return loss

    def add_param_group(self, param_group):
        """Add a param group to the optimizer's ``param_groups``."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")

        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            param_group["params"] = list(params)

        extracted_param_tensors = []
        extracted_param_names = []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                extracted_param_names.append(param[0])
                extracted_param_tensors.append(param[1])
            else:
                extracted_param_tensors.append(param)

        param_group["params"] = extracted_param_tensors
        if len(extracted_param_names) != 0:
            if len(extracted_param_names) == len(extracted_param_tensors):
                param_group["param_names"] = extracted_param_names
            else:
                raise ValueError("all optimizer params should be with/without names. Some param "
                                 "names are missing")

        for param in param_group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(param))
            if not self.defaults.get("differentiable", None) and not (
                    param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)

        params = param_group["params"]
        if len(params) != len({id(p) for p in params}):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; "
                          "in future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)

        param_set = set()
        for group in self.param_groups:
            param_set.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                current_group_txt = ("with names" if "param_names" in param_group
                                     else "without names")
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {current_group_txt} to the optimizer")

        if not param_set.isdisjoint({id(p) for p in param_group["params"]}):
            raise ValueError("some parameters appear in more than one parameter group")

        self.param_groups.append(param_group)

    # ------------------------------------------------------------ the shared update
    def init(self, group, p):
        """The state of one parameter beyond ``'step'``: ``{name: jax array}``; by default
        zeros shaped like ``p`` for each name in ``zeros``."""
        return {k: zeros_like(p._v) for k in self.zeros}

    def _new_state(self, group, p):
        s = {"step": step_tensor()} if self.has_step else {}
        s.update((k, _new(v)) for k, v in self.init(group, p).items())
        return s

    def _flags(self, group):
        decay = None
        if is_nonzero(group.get("weight_decay", 0)):
            decay = "decoupled" if group.get("decoupled_weight_decay") else "l2"
        return (("maximize", bool(group.get("maximize", False))), ("weight_decay", decay),
                *((k, is_nonzero(group[k])) for k in self.flags))

    @functools.cached_property
    def _hyper_keys(self):
        return tuple(k for k in ("lr", "weight_decay", *self.hyper) if k in self.defaults)

    def _hyper(self, group):
        """The traced numbers, in the order of `_hyper_keys` (a tuple is cheaper to pass than
        a dict)."""
        return tuple(hp(group[k]) for k in self._hyper_keys)

    def _step_group(self, group):
        params, grads, boxes = [], [], []
        st = self.state
        for p in group["params"]:
            g = p._grad
            if g is None:
                continue
            if self.sparse_error and getattr(g, "is_sparse", False):
                raise RuntimeError(self.sparse_error.format(type(self).__name__))
            params.append(p)
            grads.append(g._v)
            boxes.append(st.get(p) or self._new_state(group, p))
        if not params:
            return
        arrays = [{k: v._v for k, v in s.items() if isinstance(v, Tensor)} for s in boxes]
        new_p, new_s = self._kernel((self._flags(group), self._hyper_keys),
                                    [p._v for p in params], grads, arrays, self._hyper(group))
        for p, v in zip(params, new_p):
            write(p, v)
        for p, s, ns in zip(params, boxes, new_s):
            for k, v in ns.items():
                t = s.get(k)
                if isinstance(t, Tensor):
                    write(t, v)
                else:
                    s[k] = _new(v)
            if s and st.get(p) is not s:
                st[p] = s


def _float32():
    from .. import _dtype
    return _dtype.float32


@functools.lru_cache(maxsize=None)
def _flag_defaults(cls):
    """The bool and None defaults of a class's constructor (amsgrad, maximize, foreach...)."""
    return {n: p.default for n, p in inspect.signature(cls.__init__).parameters.items()
            if p.default is None or isinstance(p.default, bool)}


def _wrap_step(step):
    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        if self.__dict__.get("_in_step"):   # a subclass's step calling super().step()
            return step(self, *args, **kwargs)
        self.__dict__["_in_step"] = True
        try:
            return _run_step(step, self, args, kwargs)
        finally:
            self.__dict__["_in_step"] = False

    wrapper._optim_wrapped = True
    return wrapper


def _run_step(step, self, args, kwargs):
    for pre_hook in chain(_global_optimizer_pre_hooks.values(),
                          self._optimizer_step_pre_hooks.values()):
        result = pre_hook(self, args, kwargs)
        if result is not None:
            if isinstance(result, tuple) and len(result) == 2:
                args, kwargs = result
            else:
                raise RuntimeError(f"{pre_hook} must return None or a tuple of (new_args, "
                                   f"new_kwargs), but got {result}.")
    prev = GRAD[0]
    GRAD[0] = bool(self.defaults.get("differentiable", False))
    try:
        out = step(self, *args, **kwargs)
    finally:
        GRAD[0] = prev
    for post_hook in chain(self._optimizer_step_post_hooks.values(),
                           _global_optimizer_post_hooks.values()):
        post_hook(self, args, kwargs)
    return out



Optimizer.step = _wrap_step(Optimizer.step)


# ------------------------------------------------------------- update math helpers


def cast(x, dt):
    """A scalar hyperparameter expression as an array of the parameter's dtype."""
    return jnp.asarray(x).astype(dt)


def wide(x):
    """A scalar in the precision PyTorch uses for its Python-double scalar math."""
    return jnp.asarray(x).astype(_scalar_dtype())


def descend(p, u, lr):
    """``p - lr * u`` as PyTorch's ``p.add_(u, alpha=-lr)`` rounds it."""
    return p + cast(-lr, p.dtype) * u


def optax_update(tx, state_cls, g, s, **keys):
    """Run optax transform `tx` on `g` with its state read from PyTorch's state `s`: `keys` maps
    fields of `state_cls` to state keys, and a ``count`` field is the int32 step count before
    this step. Returns the direction and the new state under PyTorch's keys."""
    fields = {f: s[k] for f, k in keys.items()}
    if "count" in state_cls._fields:
        fields["count"] = (s["step"] - 1).astype(jnp.int32)
    u, new = tx.update(g, state_cls(**fields))
    return u, {k: getattr(new, f) for f, k in keys.items()}


def moments(g, s, b1, b2):
    """Adam's new ``exp_avg`` and ``exp_avg_sq`` (optax's moment updates)."""
    return (optax.tree.update_moment(g, s["exp_avg"], b1, 1),
            optax.tree.update_moment_per_elem_norm(g, s["exp_avg_sq"], b2, 2))
