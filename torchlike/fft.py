"""torch.fft on jax.numpy.fft: every public name, with PyTorch's dtypes (real inputs give
complex64/complex128, integer and bool inputs are promoted to the default float first),
argument conventions (`n`/`s`, `dim`, `norm`) and errors. The transforms are table ops
(`torchlike/_ops/special.py`), so they record for autograd and trace under compile."""
from __future__ import annotations

import builtins

from . import _dtype as D
from ._ops import special as _special_ops  # noqa: F401  (registers the kernels)
from ._ops.registry import TABLE, call, write_out
from ._tensor import Tensor, _wrap_dim

__all__ = ["fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2",
           "rfftn", "irfftn", "hfft", "ihfft", "hfft2", "ihfft2", "hfftn", "ihfftn", "fftfreq",
           "rfftfreq", "fftshift", "ifftshift"]

_SWAP = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


def _norm(norm):
    if norm is None:
        return "backward"
    if norm not in ("backward", "forward", "ortho"):
        raise RuntimeError(f'Invalid normalization mode: "{norm}"')
    return norm


def _check_dtype(x, name, real_only=False):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")
    if x.dtype in (D.float16, D.bfloat16):
        raise RuntimeError(f"Unsupported dtype {'Half' if x.dtype is D.float16 else 'BFloat16'}")
    if real_only and x.dtype.is_complex:
        raise RuntimeError(f"{name} expects a real input tensor, but got "
                           f"{'ComplexFloat' if x.dtype is D.complex64 else 'ComplexDouble'}")


def _check_n(n):
    if n is not None and n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")


def _dims_1d(x, n, dim):
    _check_n(n)
    d = _wrap_dim(dim, x.dim()) if x.dim() else _scalar_dim(dim)
    return (None if n is None else (n,)), (d,)


def _scalar_dim(dim):
    raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")


def _dims_nd(x, s, dim, c2r=False):
    """(s, dim) resolved as PyTorch does: dim None -> the last len(s) dims (all without s);
    an entry -1 of s keeps that dim's size (for c2r's last dim: 2 * (size - 1))."""
    nd = x.dim()
    if dim is not None:
        dim = [dim] if isinstance(dim, builtins.int) else list(dim)
        dim = [_wrap_dim(d, nd) if nd else _scalar_dim(d) for d in dim]
        if len(set(dim)) != len(dim):
            raise RuntimeError("FFT dims must be unique")
        if s is not None and len(s) != len(dim):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
    elif s is not None:
        if len(s) > nd:
            raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has "
                               f"{nd} dimensions.")
        dim = list(range(nd - len(s), nd))
    else:
        dim = list(range(nd))
    if s is not None:
        s = list(s)
        for i, (n, d) in enumerate(zip(s, dim)):
            if n == -1:
                s[i] = 2 * (x.shape[d] - 1) if c2r and i == len(s) - 1 else x.shape[d]
            _check_n(s[i])
        s = tuple(s)
    return s, tuple(dim)


def _out(r, out):
    return r if out is None else write_out(out, r)


def _c2c(name, forward, nd):
    def f(input, s=None, dim=(-2, -1) if nd == 2 else None, norm=None, *, out=None):
        _check_dtype(input, name)
        ss, dd = _dims_1d(input, s, dim) if nd == 1 else _dims_nd(input, s, dim)
        return _out(call(TABLE["fft_c2c"], (input,), (ss, dd, _norm(norm), forward)), out)
    return _fix(f, name, nd)


def _r2c(name, forward, nd):
    """rfft* (forward, one-sided) and ihfft* (conjugate of the one-sided forward transform
    with the inverse normalization)."""
    def f(input, s=None, dim=(-2, -1) if nd == 2 else None, norm=None, *, out=None):
        _check_dtype(input, name, real_only=True)
        ss, dd = _dims_1d(input, s, dim) if nd == 1 else _dims_nd(input, s, dim)
        nm = _norm(norm) if forward else _SWAP[_norm(norm)]
        return _out(call(TABLE["fft_r2c"], (input,), (ss, dd, nm, True, forward)), out)
    return _fix(f, name, nd)


def _c2r(name, hermitian, nd):
    """irfft* (inverse) and hfft* (forward transform of a Hermitian signal: the inverse
    transform of its conjugate with the forward normalization)."""
    def f(input, s=None, dim=(-2, -1) if nd == 2 else None, norm=None, *, out=None):
        _check_dtype(input, name)
        if nd == 1:
            ss, dd = _dims_1d(input, s, dim)
            if ss is None:
                ss = (2 * (input.shape[dd[0]] - 1),)
                _check_n(ss[0])
        else:
            ss, dd = _dims_nd(input, s, dim, c2r=True)
            if ss is None:
                ss = tuple(input.shape[d] for d in dd[:-1]) + (2 * (input.shape[dd[-1]] - 1),)
                _check_n(ss[-1])
        nm = _SWAP[_norm(norm)] if hermitian else _norm(norm)
        return _out(call(TABLE["fft_c2r"], (input,), (ss, dd, nm, hermitian)), out)
    return _fix(f, name, nd)


def _fix(f, name, nd):
    """PyTorch's parameter names: `n`/`dim` for the 1-d transforms, `s`/`dim` otherwise."""
    if nd == 1:
        g = f

        def f(input, n=None, dim=-1, norm=None, *, out=None):
            return g(input, n, dim, norm, out=out)
    f.__name__ = f.__qualname__ = name
    f.__module__ = __name__
    return f


fft = _c2c("fft", True, 1)
ifft = _c2c("ifft", False, 1)
fft2 = _c2c("fft2", True, 2)
ifft2 = _c2c("ifft2", False, 2)
fftn = _c2c("fftn", True, 3)
ifftn = _c2c("ifftn", False, 3)
rfft = _r2c("rfft", True, 1)
rfft2 = _r2c("rfft2", True, 2)
rfftn = _r2c("rfftn", True, 3)
ihfft = _r2c("ihfft", False, 1)
ihfft2 = _r2c("ihfft2", False, 2)
ihfftn = _r2c("ihfftn", False, 3)
irfft = _c2r("irfft", False, 1)
irfft2 = _c2r("irfft2", False, 2)
irfftn = _c2r("irfftn", False, 3)
hfft = _c2r("hfft", True, 1)
hfft2 = _c2r("hfft2", True, 2)
hfftn = _c2r("hfftn", True, 3)


def _freq(n, d, dtype, device, requires_grad, onesided):
    from ._creation import arange
    dtype = dtype or D.get_default_dtype()
    if onesided:
        r = arange(n // 2 + 1, dtype=dtype, device=device)
    else:
        k = arange(n, dtype=D.int64, device=device)
        r = (k - (k >= (n + 1) // 2).long() * n).to(dtype)
    r = r / (n * d)
    return r.requires_grad_() if requires_grad else r


def fftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    return _out(_freq(n, d, dtype, device, requires_grad, False), out)


def rfftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    return _out(_freq(n, d, dtype, device, requires_grad, True), out)


def _shift(inverse):
    def f(input, dim=None):
        nd = input.dim()
        if dim is None:
            dd = tuple(range(nd))
        else:
            dd = (dim,) if isinstance(dim, builtins.int) else tuple(dim)
            dd = tuple(_wrap_dim(d, nd) for d in dd)
        return call(TABLE["fftshift"], (input,), (dd, inverse))
    f.__name__ = "ifftshift" if inverse else "fftshift"
    return f


fftshift = _shift(False)
ifftshift = _shift(True)
