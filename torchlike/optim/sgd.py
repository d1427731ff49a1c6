"""SGD with momentum, dampening, Nesterov, weight decay and maximize (PyTorch's update)."""
from __future__ import annotations

from .optimizer import (Optimizer, cast, check_fused, hp, is_concrete, is_nonzero, kernel,
                        write)

__all__ = ["SGD"]


@kernel
def _sgd(static, params, grads, states, h):
    maximize, wd_on, mom_on, nesterov, has_buf = static
    lr, momentum, dampening, wd = h
    out_p, out_s = [], []
    for i, (p, g, s) in enumerate(zip(params, grads, states)):
        dt = p.dtype
        if maximize:
            g = -g
        if wd_on:
            g = g + cast(wd, dt) * p
        ns = {}
        if mom_on:
            if has_buf[i]:
                buf = s["momentum_buffer"] * cast(momentum, dt) + cast(1 - dampening, dt) * g
            else:
                buf = g
            ns["momentum_buffer"] = buf
            g = g + cast(momentum, dt) * buf if nesterov else buf
        out_p.append(p + cast(-lr, dt) * g)
        out_s.append(ns)
    return out_p, out_s


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum (PyTorch's ``torch.optim.SGD``)."""

    _kernel = _sgd

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False, foreach=None, differentiable=False, fused=None):
        if hasattr(lr, "numel") and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        check_fused(fused, foreach, differentiable)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("differentiable", False)
            group.setdefault("fused", False)

    def step(self, closure=None):
        return self._default_step(closure)

    def _momentum_on(self, group):
        m = group["momentum"]
        if is_concrete(m):
            return m != 0
        # a traced momentum (torchlike.compile): the state created eagerly tells
        return any(self.state.get(p, {}).get("momentum_buffer") is not None
                   for p in group["params"])

    def _step_group(self, group):
        if not self._momentum_on(group):
            # no state at all, as in PyTorch
            params = [p for p in group["params"] if p._grad is not None]
            if not params:
                return
            static = (bool(group["maximize"]), is_nonzero(group["weight_decay"]), False,
                      bool(group["nesterov"]), ())
            new_p, _ = self._kernel(static, [p._v for p in params],
                                    [p._grad._v for p in params], [{} for _ in params],
                                    self._hyper(group))
            for p, v in zip(params, new_p):
                write(p, v)
            return
        super()._step_group(group)

    def _init_state(self, group, p, state):
        pass  # the momentum buffer is created by the first step (it starts as the gradient)

    def _static(self, group, params, states):
        return (bool(group["maximize"]), is_nonzero(group["weight_decay"]), True,
                bool(group["nesterov"]),
                tuple(s.get("momentum_buffer") is not None for s in states))

    def _hyper(self, group):
        return (hp(group["lr"]), hp(group["momentum"]), hp(group["dampening"]),
                hp(group["weight_decay"]))
