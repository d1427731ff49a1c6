"""Helpers for the nn parity tests: copy weights between torchlike and torch modules and
compare forward outputs and gradients."""
from __future__ import annotations

import numpy as np

import torchlike as tl


def np_of(t):
    return np.array(t.detach().numpy()) if hasattr(t, "detach") else np.asarray(t)


def sync(tl_mod, t_mod):
    """Copy torch module's state into the torchlike module (same key names required)."""
    sd = {k: tl.from_numpy(np.array(v.detach().numpy())) for k, v in t_mod.state_dict().items()}
    r = tl_mod.load_state_dict(sd)
    assert repr(r) == "<All keys matched successfully>"


def check_module(torch, tl_mod, t_mod, *inputs, rtol=1e-5, atol=1e-5, grad=True, seed=0,
                 out_index=None):
    """Forward both modules on the same inputs; compare outputs and all gradients."""
    sync(tl_mod, t_mod)
    rng = np.random.default_rng(seed)
    tl_in, t_in = [], []
    for a in inputs:
        a = np.asarray(a)
        fl = a.dtype.kind == "f"
        x = tl.from_numpy(a.copy())
        y = torch.from_numpy(a.copy())
        if fl and grad:
            x.requires_grad_(True)
            y.requires_grad_(True)
        tl_in.append(x)
        t_in.append(y)
    out_a = tl_mod(*tl_in)
    out_b = t_mod(*t_in)
    if out_index is not None:
        out_a, out_b = out_a[out_index], out_b[out_index]
    if isinstance(out_a, tuple):
        out_a, out_b = out_a[0], out_b[0]
    np.testing.assert_allclose(np_of(out_a), np_of(out_b), rtol=rtol, atol=atol)
    if not grad:
        return out_a, out_b
    w = rng.standard_normal(tuple(out_b.shape)).astype(np.float32)
    (out_a * tl.from_numpy(w.astype(np_of(out_a).dtype))).sum().backward()
    (out_b * torch.from_numpy(w.astype(np_of(out_b).dtype))).sum().backward()
    for x, y in zip(tl_in, t_in):
        if y.grad is not None:
            np.testing.assert_allclose(np_of(x.grad), y.grad.numpy(), rtol=rtol, atol=atol)
    tp = dict(t_mod.named_parameters())
    for n, p in tl_mod.named_parameters():
        q = tp[n]
        if q.grad is None:
            assert p.grad is None or np.allclose(np_of(p.grad), 0), n
            continue
        np.testing.assert_allclose(np_of(p.grad), q.grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=n)
    return out_a, out_b


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
