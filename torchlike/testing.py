"""torchlike.testing: ``assert_close`` (and the deprecated ``assert_allclose``) with PyTorch's
default tolerances per dtype, its comparison of dtypes and shapes, its sequence and mapping
recursion and its failure messages."""
from __future__ import annotations

import collections.abc
import math
import warnings

import numpy as np

__all__ = ["assert_close", "assert_allclose", "make_tensor"]

# dtype name -> (rtol, atol), PyTorch's defaults
_TOLS = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
         "float64": (1e-7, 1e-7), "complex32": (1e-3, 1e-5), "complex64": (1.3e-6, 1e-5),
         "complex128": (1e-7, 1e-7)}


class _Fail(Exception):
    def __init__(self, exc_type, msg):
        super().__init__(msg)
        self.exc_type, self.msg = exc_type, msg


def _is_tensor(x):
    from ._tensor import Tensor
    return isinstance(x, Tensor)


def _dname(t):
    return str(t.dtype).replace("torch.", "").replace("torchlike.", "")


def _np(t):
    t = t.detach()
    if _dname(t) == "bfloat16":
        t = t.float()
    return np.asarray(t.cpu().numpy())


def _tols(dtypes, rtol, atol):
    if (rtol is None) != (atol is None):
        raise ValueError("Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {'rtol' if rtol is None else 'atol'}.")
    if rtol is not None:
        return rtol, atol
    r, a = 0.0, 0.0
    for d in dtypes:
        dr, da = _TOLS.get(d, (0.0, 0.0))
        r, a = max(r, dr), max(a, da)
    return r, a


def _fmt(x):
    return repr(float(x)) if isinstance(x, (float, np.floating)) else repr(x)


def _compare_tensors(actual, expected, rtol, atol, equal_nan, check_dtype, msg):
    from ._tensor import Size
    if check_dtype and actual.dtype != expected.dtype:
        raise _Fail(AssertionError, msg or "The values for attribute 'dtype' do not match: "
                    f"{actual.dtype} != {expected.dtype}.")
    if tuple(actual.shape) != tuple(expected.shape):
        raise _Fail(AssertionError, msg or "The values for attribute 'shape' do not match: "
                    f"{Size(actual.shape)!r} != {Size(expected.shape)!r}.")
    rtol, atol = _tols({_dname(actual), _dname(expected)}, rtol, atol)
    a, e = _np(actual), _np(expected)
    if a.ndim == 0:
        _compare_scalars(a.item(), e.item(), rtol, atol, equal_nan, msg)
        return
    if a.dtype != e.dtype:
        common = np.promote_types(a.dtype, e.dtype)
        a, e = a.astype(common), e.astype(common)
    if a.dtype == np.bool_:
        a, e = a.astype(np.int64), e.astype(np.int64)
    close = _close(a, e, rtol, atol, equal_nan)
    if close.all():
        return
    if msg:
        raise _Fail(AssertionError, msg)
    n_bad, n = int((~close).sum()), close.size
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = np.abs(a - e)
        if np.issubdtype(a.dtype, np.integer):
            rel = diff.astype(np.float32) / np.abs(e).astype(np.float32)
        else:
            rel = diff / np.abs(e)
    diff = np.where(close, 0, diff)
    rel = np.where(close, 0, rel)
    equal = rtol == 0 and atol == 0
    lines = [f"Tensor-likes are not {'equal' if equal else 'close'}!", "",
             f"Mismatched elements: {n_bad} / {n} ({100.0 * n_bad / n:.1f}%)"]
    for what, arr, tol in (("absolute", diff, atol), ("relative", rel, rtol)):
        flat = arr.reshape(-1)
        nans = np.nonzero(np.isnan(flat))[0]
        i = int(nans[0]) if nans.size else int(np.argmax(flat))
        idx = tuple(int(k) for k in np.unravel_index(i, arr.shape))
        v = flat[i]
        v = int(v) if np.issubdtype(arr.dtype, np.integer) else float(v)
        line = f"Greatest {what} difference: {v} at index {idx}"
        if not equal:
            line += f" (up to {tol} allowed)"
        lines.append(line)
    raise _Fail(AssertionError, "\n".join(lines))


def _close(a, e, rtol, atol, equal_nan):
    with np.errstate(invalid="ignore", over="ignore"):
        ok = np.abs(a - e) <= atol + rtol * np.abs(e)
        ok |= (a == e)
    if equal_nan:
        ok |= np.isnan(a) & np.isnan(e)
    return ok


def _compare_scalars(actual, expected, rtol, atol, equal_nan, msg):
    if rtol is None:
        rtol, atol = _tols({"float64" if isinstance(expected, float) else "int64"}, None, None)
    if isinstance(actual, complex) or isinstance(expected, complex):
        d = abs(actual - expected)
    else:
        d = abs(actual - expected) if not (math.isnan(actual) or math.isnan(expected)) \
            else float("nan")
    ok = actual == expected or d <= atol + rtol * abs(expected) or (
        equal_nan and isinstance(actual, float) and math.isnan(actual)
        and isinstance(expected, float) and math.isnan(expected))
    if ok:
        return
    if msg:
        raise _Fail(AssertionError, msg)
    rel = d / abs(expected) if expected != 0 else float("inf")
    equal = rtol == 0 and atol == 0
    lines = [f"Scalars are not {'equal' if equal else 'close'}!", "",
             f"Expected {expected} but got {actual}.",
             f"Absolute difference: {d}" + ("" if equal else f" (up to {atol} allowed)"),
             f"Relative difference: {rel}" + ("" if equal else f" (up to {rtol} allowed)")]
    raise _Fail(AssertionError, "\n".join(lines))


def _compare(actual, expected, path, kw):
    try:
        if _is_tensor(actual) and _is_tensor(expected):
            _compare_tensors(actual, expected, kw["rtol"], kw["atol"], kw["equal_nan"],
                             kw["check_dtype"], kw["msg"])
        elif isinstance(actual, np.ndarray) and isinstance(expected, np.ndarray):
            from ._creation import as_tensor
            _compare_tensors(as_tensor(actual), as_tensor(expected), kw["rtol"], kw["atol"],
                             kw["equal_nan"], kw["check_dtype"], kw["msg"])
        elif isinstance(actual, (bool, int, float, complex)) and \
                isinstance(expected, (bool, int, float, complex)) and \
                not _is_tensor(actual) and not _is_tensor(expected):
            if kw["check_dtype"] and type(actual) is not type(expected):
                raise _Fail(AssertionError, kw["msg"] or "The values for attribute 'dtype' do "
                            f"not match: {type(actual)} != {type(expected)}.")
            _compare_scalars(actual, expected, kw["rtol"], kw["atol"], kw["equal_nan"],
                             kw["msg"])
        elif isinstance(actual, collections.abc.Mapping) and \
                isinstance(expected, collections.abc.Mapping):
            if set(actual) != set(expected):
                raise _Fail(AssertionError, "The keys of the mappings do not match:\n"
                            f"Missing keys in the actual mapping: "
                            f"{sorted(set(expected) - set(actual))}\n"
                            f"Additional keys in the actual mapping: "
                            f"{sorted(set(actual) - set(expected))}")
            for k in expected:
                _compare(actual[k], expected[k], path + [repr(k)], kw)
        elif isinstance(actual, collections.abc.Sequence) and \
                isinstance(expected, collections.abc.Sequence) and \
                not isinstance(actual, str) and not isinstance(expected, str):
            if len(actual) != len(expected):
                raise _Fail(AssertionError, "The length of the sequences mismatch: "
                            f"{len(actual)} != {len(expected)}")
            for i, (a, e) in enumerate(zip(actual, expected)):
                _compare(a, e, path + [str(i)], kw)
        else:
            raise _Fail(TypeError, "No comparison pair was able to handle inputs of type "
                        f"{_typename(actual)} and {_typename(expected)}.")
    except _Fail as f:
        if path and not getattr(f, "located", False) and f.exc_type is AssertionError:
            f.msg += "\n\nThe failure occurred for item " + "".join(f"[{p}]" for p in path)
            f.located = True
        raise


def _typename(x):
    if _is_tensor(x):
        return "<class 'torch.Tensor'>"
    return repr(type(x))


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
                 equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
                 check_stride=False, msg=None):
    """Raise AssertionError when ``actual`` and ``expected`` are not close (PyTorch's rules)."""
    if (rtol is None) != (atol is None):
        _tols((), rtol, atol)
    kw = dict(rtol=rtol, atol=atol, equal_nan=equal_nan, check_dtype=check_dtype,
              msg=msg if isinstance(msg, str) else None)
    try:
        _compare(actual, expected, [], kw)
    except _Fail as f:
        if callable(msg) and f.exc_type is AssertionError:
            raise AssertionError(msg(f.msg)) from None
        raise f.exc_type(f.msg) from None


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg=""):
    warnings.warn("`torch.testing.assert_allclose()` is deprecated since 1.12 and will be "
                  "removed in a future release. Please use `torch.testing.assert_close()` "
                  "instead. You can find detailed upgrade instructions in "
                  "https://github.com/pytorch/pytorch/issues/61844.", FutureWarning,
                  stacklevel=2)
    from ._creation import as_tensor
    if not _is_tensor(actual):
        actual = as_tensor(actual)
    if not _is_tensor(expected):
        expected = as_tensor(expected, dtype=actual.dtype)
    if rtol is None and atol is None:
        rtol, atol = _tols({_dname(actual), _dname(expected)}, None, None)
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan,
                 check_device=True, check_dtype=False, check_stride=False, msg=msg or None)


def make_tensor(*shape, dtype, device=None, low=None, high=None, requires_grad=False,
                noncontiguous=False, exclude_zero=False, memory_format=None):
    """A tensor of the given shape and dtype filled with values uniformly drawn from
    ``[low, high)`` (PyTorch's defaults: [-9, 9] for floats, [-9, 10) for ints)."""
    import torchlike as tl
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if dtype is tl.bool:
        t = tl.randint(0, 2, shape).to(tl.bool)
    elif dtype.is_floating_point or dtype.is_complex:
        lo = -9.0 if low is None else low
        hi = 9.0 if high is None else high
        t = (tl.rand(shape) * (hi - lo) + lo).to(dtype)
    else:
        lo = -9 if low is None else int(low)
        hi = 10 if high is None else int(high)
        if dtype is tl.uint8:
            lo = max(lo, 0)
        t = tl.randint(lo, hi, shape).to(dtype)
    if exclude_zero:
        t = tl.where(t == 0, tl.ones_like(t), t)
    if requires_grad:
        t.requires_grad_(True)
    return t
