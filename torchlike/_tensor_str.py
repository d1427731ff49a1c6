"""PyTorch-compatible ``repr(tensor)`` formatting as a pure function on numpy arrays.

Mirrors the algorithm of ``torch/_tensor_str.py`` (PyTorch 2.13) for dense strided
tensors: fixed / scientific / int-mode float formatting, complex numbers, line
wrapping at ``linewidth``, summarization with ``...`` above ``threshold`` and the
suffix list (``device=``, ``size=``, ``dtype=``, caller-supplied ones such as
``grad_fn=``).  Depends only on numpy and the standard library.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from typing import Any, Iterable

import numpy as np

__all__ = [
    "PrintOptions", "PRINT_OPTS", "DEFAULT_DTYPE_NAME", "set_printoptions",
    "get_printoptions", "printoptions", "tensor_str",
]


@dataclasses.dataclass
class PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = PrintOptions()

# torch.get_default_dtype() without the "torch." prefix; the caller may reassign it.
DEFAULT_DTYPE_NAME = "float32"

_PROFILES = {
    "default": (4, 1000, 3, 80),
    "short": (2, 1000, 2, 80),
    "full": (4, math.inf, 3, 80),
}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """Same semantics as ``torch.set_printoptions`` (note: ``sci_mode`` is always reset)."""
    if profile in _PROFILES:
        (PRINT_OPTS.precision, PRINT_OPTS.threshold,
         PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth) = _PROFILES[profile]
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """Current options as a dict that can be passed back to ``set_printoptions``."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs):
    """Context manager temporarily changing the print options."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


_NP_DTYPES = {
    "float16": np.float16, "bfloat16": np.float32, "float32": np.float32,
    "float64": np.float64, "int8": np.int8, "int16": np.int16, "int32": np.int32,
    "int64": np.int64, "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32,
    "uint64": np.uint64, "bool": np.bool_, "complex64": np.complex64,
    "complex128": np.complex128,
}


def _round_bfloat16(x: np.ndarray) -> np.ndarray:
    """Round float32 values to the nearest bfloat16 (ties to even), kept as float32."""
    x = np.array(x, dtype=np.float32)  # C-contiguous copy, keeps 0-d shape
    b = x.view(np.uint32).astype(np.uint64)
    r = ((b + 0x7FFF + ((b >> 16) & 1)) & 0xFFFF0000).astype(np.uint32).view(np.float32)
    return np.where(np.isnan(x), x, r)


def _as_array(arr, name: str) -> np.ndarray:
    a = np.asarray(arr)
    npdt = _NP_DTYPES.get(name)
    if npdt is not None and a.dtype != npdt:
        a = a.astype(npdt)
    if name == "bfloat16":
        a = _round_bfloat16(a)
    return a


class _Formatter:
    """Decides width and notation from the (summarized) values, like torch's."""

    def __init__(self, vals: np.ndarray, floating: bool):
        self.floating = floating
        self.int_mode, self.sci_mode, self.max_width = True, False, 1
        vals = vals.ravel()
        if not floating:
            if vals.size:  # the longest str() is at one of the extremes
                self.max_width = max(len(str(vals.max().item())), len(str(vals.min().item())))
            return
        v = vals[np.isfinite(vals) & (vals != 0)]
        if v.size == 0:
            return
        a = np.abs(v).astype(np.float64)
        lo, hi = a.min(), a.max()
        self.int_mode = bool(np.all(v == np.ceil(v)))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = bool(hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4)
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        p = PRINT_OPTS.precision
        if self.sci_mode:
            fmt, extra = f"{{:.{p}e}}", 0
        elif self.int_mode:
            fmt, extra = "{:.0f}", 1  # room for the trailing "."
        else:
            fmt, extra = f"{{:.{p}f}}", 0
        # formatted length is monotone in |value| per sign: only extremes matter
        cands = [x.item() for s in (v[v > 0], v[v < 0]) if s.size for x in (s.min(), s.max())]
        self.max_width = max(len(fmt.format(x)) + extra for x in cands)

    def format(self, value) -> str:
        if self.floating:
            p = PRINT_OPTS.precision
            if self.sci_mode:
                ret = f"{value:{self.max_width}.{p}e}"
            elif self.int_mode:
                ret = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    ret += "."
            else:
                ret = f"{value:.{p}f}"
        else:
            ret = f"{value}"
        return (self.max_width - len(ret)) * " " + ret


def _format_value(val, f1: _Formatter, f2: _Formatter | None) -> str:
    if f2 is None:
        return f1.format(val)
    real = f1.format(val.real)
    imag = (f2.format(val.imag) + "j").lstrip()
    return real + imag if imag[0] in "+-" else real + "+" + imag


def _summarized(a: np.ndarray) -> np.ndarray:
    """Flat values that remain visible after summarization (torch's get_summarized_data)."""
    e = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a.ravel()
    if a.ndim == 1:  # note: a[-0:] is the whole array, exactly as in torch
        return np.concatenate((a[:e], a[-e:])) if a.shape[0] > 2 * e else a
    if not e:
        return a.ravel()[:0]
    n = a.shape[0]
    rows = list(range(e)) + list(range(n - e, n)) if n > 2 * e else range(n)
    return np.concatenate([_summarized(a[i]).ravel() for i in rows])


def _vector_str(a, indent, summarize, f1, f2) -> str:
    elem_len = f1.max_width + 2 + (f2.max_width + 1 if f2 is not None else 0)
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / elem_len))
    e = PRINT_OPTS.edgeitems

    def fmt(values):
        return [_format_value(v, f1, f2) for v in values.tolist()]

    if summarize and not e:
        data = ["..."]
    elif summarize and a.shape[0] > 2 * e:
        data = fmt(a[:e]) + [" ..."] + fmt(a[-e:])
    else:
        data = fmt(a)
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _body_str(a, indent, summarize, f1, f2) -> str:
    if a.ndim == 0:
        return _format_value(a.item(), f1, f2)
    if a.ndim == 1:
        return _vector_str(a, indent, summarize, f1, f2)
    e, n = PRINT_OPTS.edgeitems, a.shape[0]
    if summarize and n > 2 * e:
        rows = list(range(e)) + [None] + list(range(n - e, n))
    else:
        rows = list(range(n))
    slices = ["..." if i is None else _body_str(a[i], indent + 1, summarize, f1, f2)
              for i in rows]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _contents_str(a: np.ndarray, indent: int, kind: str) -> str:
    summarize = a.size > PRINT_OPTS.threshold
    if kind == "complex":
        f1 = _Formatter(_summarized(a.real) if summarize else a.real, True)
        f2 = _Formatter(_summarized(a.imag) if summarize else a.imag, True)
    else:
        f1, f2 = _Formatter(_summarized(a) if summarize else a, kind == "float"), None
    return _body_str(a, indent, summarize, f1, f2)


def _add_suffixes(s: str, suffixes: Iterable[str], indent: int) -> str:
    out = [s]
    last_len = len(s) - s.rfind("\n") + 1  # (sic) same arithmetic as torch
    for suffix in suffixes:
        if last_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            out.append(",\n" + " " * indent + suffix)
            last_len = indent + len(suffix)
        else:
            out.append(", " + suffix)
            last_len += len(suffix) + 2
    out.append(")")
    return "".join(out)


def tensor_str(arr, dtype_name: str, *, suffixes: Iterable[str] = (),
               is_default_dtype: bool | None = None, prefix: str = "tensor(",
               device: str | None = None) -> str:
    """Return what ``repr(torch_tensor)`` prints for a dense tensor holding ``arr``.

    ``dtype_name`` is torch's dtype name without "torch." (e.g. "float32", "bfloat16").
    ``suffixes`` are appended after torch's own device/size/dtype suffixes (e.g.
    ``["grad_fn=<AddBackward0>"]``).  ``is_default_dtype`` overrides whether the
    ``dtype=`` suffix is omitted.  ``device`` other than None/"cpu" adds
    ``device='...'`` as the first suffix, as torch does.
    """
    name = dtype_name.replace("torch.", "")
    a = _as_array(arr, name)
    if name.startswith(("complex", "cfloat", "cdouble")):
        kind = "complex"
    elif name.startswith(("float", "bfloat", "half", "double")) or a.dtype.kind == "f":
        kind = "float"
    else:
        kind = "int"
    indent = len(prefix)
    default = DEFAULT_DTYPE_NAME.replace("torch.", "")
    out = []
    if device is not None and str(device) != "cpu":
        out.append(f"device='{device}'")
    if a.size == 0:
        if a.ndim != 1:
            out.append(f"size={tuple(int(d) for d in a.shape)}")
        show_dtype = name != default if is_default_dtype is None else not is_default_dtype
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            out.append(f"size={tuple(int(d) for d in a.shape)}")
        if is_default_dtype is None:
            complex_default = "complex128" if default == "float64" else "complex64"
            show_dtype = name not in (default, complex_default, "int64", "bool")
        else:
            show_dtype = not is_default_dtype
        body = _contents_str(a, indent, kind)
    if show_dtype:
        out.append(f"dtype=torch.{name}")
    out.extend(suffixes)
    return _add_suffixes(prefix + body, out, indent)
