"""torch.amp.GradScaler: dynamic loss scaling.

PyTorch's algorithm (scale, unscale_, step, update; growth and backoff; per-optimizer stages and
state_dict) with one difference in mechanism: the scale, the growth tracker and the inf flags
are Tensors that no library path reads back into Python. PyTorch's `step` asks
`found_inf.item()` whether to call `optimizer.step()`; here `step` always runs the optimizer and
then selects, element by element, the old parameters and optimizer state where an inf/NaN was
found (`where(found_inf, old, new)`), so a skipped step leaves parameters and state exactly as
they were, and the whole step traces under `torchlike.compile` as one program. Optimizer state
created by a skipped first step is reset to zeros (PyTorch would not have created it; for
every optimizer whose state starts at zero this is the same thing).
"""
from __future__ import annotations

import warnings
from collections import abc, defaultdict
from enum import Enum

import jax.numpy as jnp

from .. import _dtype as D

__all__ = ["GradScaler", "OptState"]


class OptState(Enum):
    READY = 0
    UNSCALED = 1
    STEPPED = 2


def _refresh_per_optimizer_state():
    return {"stage": OptState.READY, "found_inf_per_device": {}}


def _t():
    from .. import _creation, _functions
    return _creation, _functions


class GradScaler:
    def __init__(self, device="cuda", init_scale=2.0 ** 16, growth_factor=2.0,
                 backoff_factor=0.5, growth_interval=2000, enabled=True):
        self._device = device
        self._enabled = enabled
        if self._device == "cuda":
            from .. import cuda
            if enabled and not cuda.is_available():
                warnings.warn("torch.cuda.amp.GradScaler is enabled, but CUDA is not available. "
                              " Disabling.", stacklevel=2)
                self._enabled = False
        if self._enabled:
            if growth_factor <= 1.0:
                raise AssertionError("The growth factor must be > 1.0.")
            if backoff_factor >= 1.0:
                raise AssertionError("The backoff factor must be < 1.0.")
            self._init_scale = init_scale
            self._scale = None
            self._growth_factor = growth_factor
            self._backoff_factor = backoff_factor
            self._growth_interval = growth_interval
            self._init_growth_tracker = 0
            self._growth_tracker = None
            self._per_optimizer_states = defaultdict(_refresh_per_optimizer_state)

    # ---------------------------------------------------------------- helpers
    def _check_scale_growth_tracker(self, funcname):
        fix = ("This may indicate your script did not use scaler.scale(loss or outputs) earlier "
               "in the iteration.")
        if self._scale is None:
            raise AssertionError(f"Attempted {funcname} but _scale is None.  " + fix)
        if self._growth_tracker is None:
            raise AssertionError(f"Attempted {funcname} but _growth_tracker is None.  " + fix)
        return self._scale, self._growth_tracker

    def _lazy_init_scale_growth_tracker(self, dev):
        C, _ = _t()
        self._scale = C.full((), self._init_scale, dtype=D.float32, device=dev)
        self._growth_tracker = C.full((), self._init_growth_tracker, dtype=D.int32, device=dev)

    # ---------------------------------------------------------------- API
    def scale(self, outputs):
        from .._tensor import Tensor
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            if self._scale is None:
                self._lazy_init_scale_growth_tracker(outputs.device)
            return outputs * self._scale.to(device=outputs.device)

        def apply_scale(val):
            if isinstance(val, Tensor):
                if self._scale is None:
                    self._lazy_init_scale_growth_tracker(val.device)
                return val * self._scale.to(device=val.device)
            if isinstance(val, abc.Iterable):
                it = map(apply_scale, val)
                if isinstance(val, (list, tuple)):
                    return type(val)(it)
                return it
            raise ValueError("outputs must be a Tensor or an iterable of Tensors")
        return apply_scale(outputs)

    def _unscale_grads_(self, optimizer, inv_scale, found_inf, allow_fp16):
        from .._autograd_core import no_grad
        C, F = _t()
        flags = []
        with no_grad():
            for group in optimizer.param_groups:
                for param in group["params"]:
                    g = param.grad
                    if g is None:
                        continue
                    if (not allow_fp16) and g.dtype is D.float16:
                        raise ValueError("Attempting to unscale FP16 gradients.")
                    flags.append((~F.isfinite(g)).any())
                    g.mul_(inv_scale.to(g.dtype) if g.dtype is not D.float32 else inv_scale)
            if flags:
                found = F.stack(flags).any().to(D.float32).reshape(1)
                found_inf.copy_(F.maximum(found_inf, found))
        return {str(found_inf.device): found_inf}

    def unscale_(self, optimizer):
        if not self._enabled:
            return
        self._check_scale_growth_tracker("unscale_")
        state = self._per_optimizer_states[id(optimizer)]
        if state["stage"] is OptState.UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the "
                               "last update().")
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        C, F = _t()
        inv_scale = self._scale.double().reciprocal().float()
        found_inf = C.zeros(1, dtype=D.float32, device=self._scale.device)
        state["found_inf_per_device"] = self._unscale_grads_(optimizer, inv_scale, found_inf,
                                                             False)
        state["stage"] = OptState.UNSCALED

    def _maybe_opt_step(self, optimizer, optimizer_state, *args, **kwargs):
        """optimizer.step(), then the old values back wherever an inf/NaN was found."""
        from .._autograd_core import no_grad
        from .._tensor import Tensor, _new
        C, F = _t()
        found = None
        for v in optimizer_state["found_inf_per_device"].values():
            found = v if found is None else found + v
        skip = (found > 0).reshape(())
        params = [p for g in optimizer.param_groups for p in g["params"]]
        before = {}
        for p in params:
            before[id(p)] = (p, _new(p._v))
            for k, s in optimizer.state.get(p, {}).items():
                if isinstance(s, Tensor):
                    before[id(s)] = (s, _new(s._v))
        had_state = {id(p): set(optimizer.state.get(p, {})) for p in params}
        retval = optimizer.step(*args, **kwargs)
        with no_grad():
            for p in params:
                t, old = before[id(p)]
                if t._v is not old._v:
                    t.copy_(F.where(skip, old, t))
                for k, s in optimizer.state.get(p, {}).items():
                    if not isinstance(s, Tensor):
                        continue
                    if k in had_state[id(p)] and id(s) in before:
                        _, old = before[id(s)]
                        if s._v is not old._v:
                            s.copy_(F.where(skip, old, s))
                    elif k not in had_state[id(p)]:
                        s.copy_(F.where(skip, C.zeros_like(s), s))
        return retval

    def step(self, optimizer, *args, **kwargs):
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._check_scale_growth_tracker("step")
        state = self._per_optimizer_states[id(optimizer)]
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] is OptState.READY:
            self.unscale_(optimizer)
        if len(state["found_inf_per_device"]) == 0:
            raise AssertionError("No inf checks were recorded for this optimizer.")
        retval = self._maybe_opt_step(optimizer, state, *args, **kwargs)
        state["stage"] = OptState.STEPPED
        return retval

    def update(self, new_scale=None):
        if not self._enabled:
            return
        from .._autograd_core import no_grad
        from .._tensor import Tensor
        C, F = _t()
        _scale, _growth_tracker = self._check_scale_growth_tracker("update")
        with no_grad():
            if new_scale is not None:
                if isinstance(new_scale, float):
                    self._scale.fill_(new_scale)
                else:
                    reason = ("new_scale should be a float or a 1-element torch.cuda.FloatTensor "
                              "or torch.FloatTensor with requires_grad=False.")
                    if not isinstance(new_scale, Tensor):
                        raise AssertionError(reason)
                    if new_scale.numel() != 1:
                        raise AssertionError(reason)
                    if new_scale.requires_grad:
                        raise AssertionError(reason)
                    self._scale.copy_(new_scale.reshape(()))
            else:
                found_infs = [f for st in self._per_optimizer_states.values()
                              for f in st["found_inf_per_device"].values()]
                if len(found_infs) == 0:
                    raise AssertionError("No inf checks were recorded prior to update.")
                found = found_infs[0]
                for f in found_infs[1:]:
                    found = found + f
                inf = (found > 0).reshape(())
                tracker = _growth_tracker + 1
                grow = tracker >= self._growth_interval
                grown = _scale * self._growth_factor
                grown = F.where(F.isfinite(grown), grown, _scale)
                new_s = F.where(inf, _scale * self._backoff_factor,
                                F.where(grow, grown, _scale))
                new_t = F.where(inf | grow, C.zeros_like(tracker), tracker)
                _scale.copy_(new_s)
                _growth_tracker.copy_(new_t)
        self._per_optimizer_states = defaultdict(_refresh_per_optimizer_state)

    # ---------------------------------------------------------------- queries and state
    def _get_scale_async(self):
        return self._scale

    def get_scale(self):
        if self._enabled:
            return (self._init_scale if self._scale is None
                    else float(jnp.asarray(self._scale._v)))
        return 1.0

    def get_growth_factor(self):
        return self._growth_factor

    def set_growth_factor(self, new_factor):
        self._growth_factor = new_factor

    def get_backoff_factor(self):
        return self._backoff_factor

    def set_backoff_factor(self, new_factor):
        self._backoff_factor = new_factor

    def get_growth_interval(self):
        return self._growth_interval

    def set_growth_interval(self, new_interval):
        self._growth_interval = new_interval

    def _get_growth_tracker(self):
        if self._enabled:
            return (self._init_growth_tracker if self._growth_tracker is None
                    else int(jnp.asarray(self._growth_tracker._v)))
        return 0

    def is_enabled(self):
        return self._enabled

    def state_dict(self):
        if self._enabled:
            return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                    "backoff_factor": self._backoff_factor,
                    "growth_interval": self._growth_interval,
                    "_growth_tracker": self._get_growth_tracker()}
        return {}

    def load_state_dict(self, state_dict):
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        self._init_scale = state_dict["scale"]
        if self._scale is not None:
            self._scale.fill_(state_dict["scale"])
        self._growth_factor = state_dict["growth_factor"]
        self._backoff_factor = state_dict["backoff_factor"]
        self._growth_interval = state_dict["growth_interval"]
        self._init_growth_tracker = state_dict["_growth_tracker"]
        if self._growth_tracker is not None:
            self._growth_tracker.fill_(state_dict["_growth_tracker"])

    def __getstate__(self):
        state = self.__dict__.copy()
        if self._enabled:
            if len(self._per_optimizer_states) != 0:
                raise AssertionError("A GradScaler instance may only be pickled at the beginning "
                                     "of an iteration, or at the end after scaler.update().")
            state["_init_scale"] = self.get_scale()
            state["_init_growth_tracker"] = self._get_growth_tracker()
            state["_scale"] = None
            state["_growth_tracker"] = None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
