"""`torchlike.nn.functional`: thin wrappers that check arguments like PyTorch and call the op
table (`torchlike/_ops/nn.py` and the core ops)."""
from __future__ import annotations

import builtins
import math
import warnings

import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .. import _creation as _C
from .. import _checks
from .. import _functions as _F
from .._autograd_core import GRAD, no_grad
from .._ops import nn as _nn_ops  # noqa: F401  (registers the nn ops)
from .._ops.registry import TABLE as T
from .._ops.registry import call, check_inplace, commit
from .._tensor import Tensor, _is_tracer, _new

_int = builtins.int
_float = builtins.float
_bool = builtins.bool


def _tuple(x, n):
    if isinstance(x, (tuple, list)):
        if len(x) == 1 and n > 1:
            return tuple(x) * n
        return tuple(_int(v) for v in x)
    return (_int(x),) * n


def _inplace_result(input, r):
    check_inplace(input)
    return commit(input, r)


def _key():
    from .._random import default_generator
    return default_generator.next_key()


class _Reduction:
    @staticmethod
    def legacy_get_string(size_average, reduce, emit_warning=True):
        warning = ("size_average and reduce args will be deprecated, please use reduction='{}' "
                   "instead.")
        if size_average is None:
            size_average = True
        if reduce is None:
            reduce = True
        if size_average and reduce:
            ret = "mean"
        elif reduce:
            ret = "sum"
        else:
            ret = "none"
        if emit_warning:
            warnings.warn(warning.format(ret), stacklevel=3)
        return ret


def _reduction(size_average, reduce, reduction):
    if size_average is not None or reduce is not None:
        return _Reduction.legacy_get_string(size_average, reduce)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _apply_reduction(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


# ------------------------------------------------------------------------------- linear


def _fp32_under_autocast(fn):
    """PyTorch's autocast runs this function in float32 (torchlike/amp)."""
    from ..amp.autocast_mode import fp32_under_autocast
    return fp32_under_autocast(fn)


def _autocast_on():
    """Inside torch.autocast, ops cast mixed inputs themselves (torchlike/amp)."""
    from ..amp.autocast_mode import STATE
    return STATE.on


def linear(input, weight, bias=None):
    if input.dim() == 0 or weight.dim() == 0:
        raise RuntimeError("both arguments to linear need to be at least 1D, but they are "
                           f"{input.dim()}D and {weight.dim()}D")
    if input.dtype is not weight.dtype and not _autocast_on():
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {D.scalar_name(input.dtype)}"
                           f" and {D.scalar_name(weight.dtype)}")
    in_f = input.shape[-1]
    if weight.dim() == 2 and in_f != weight.shape[1]:
        rows = math.prod(input.shape[:-1]) if input.dim() > 1 else 1
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{in_f} and "
                           f"{weight.shape[1]}x{weight.shape[0]})")
    wt = _F.t(weight) if weight.dim() == 2 else weight
    if input.dim() == 2 and bias is not None:
        return call(T["addmm"], (bias, input, wt), (1, 1))
    if input.dim() == 3 and bias is not None and input.is_contiguous():
        n0, n1 = input.shape[0], input.shape[1]
        r = call(T["addmm"], (bias, input.view(n0 * n1, in_f), wt), (1, 1))
        return r.view(n0, n1, r.shape[-1])
    if input.dim() == 1 and bias is not None:
        r = call(T["addmm"], (bias, input.view(1, in_f), wt), (1, 1))
        return r.view(r.shape[-1]) if weight.dim() == 2 else r.view(())
    out = _F.matmul(input, wt)
    if bias is not None:
        out = out + bias
    return out


def bilinear(input1, input2, weight, bias=None):
    y = _F.einsum("...i,oij,...j->...o", input1, weight, input2)
    if bias is not None:
        y = y + bias
    return y


# ---------------------------------------------------------------------------- convolution


def _conv_dims_check(input, weight, nd, name, groups, transposed):
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(input.shape)}")
    if weight.dim() != nd + 2:
        raise RuntimeError(f"weight should have at least three dimensions" if nd == 1 else
                           f"Expected {nd + 2}-dimensional weight for {nd + 2}-dimensional "
                           f"input, but got {weight.dim()}-dimensional weight of size "
                           f"{list(weight.shape)} instead")
    c = input.shape[-nd - 1]
    shape = list(input.shape) if input.dim() == nd + 2 else [1] + list(input.shape)
    if not transposed:
        if c != weight.shape[1] * groups:
            raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, "
                               f"expected input{shape} to have {weight.shape[1] * groups} "
                               f"channels, but got {c} channels instead")
    elif c != weight.shape[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"input{shape} to have {weight.shape[0]} channels, but got {c} "
                           "channels instead")


def _same_padding(input, weight, nd, stride, dilation):
    if any(s != 1 for s in stride):
        raise ValueError("padding='same' is not supported for strided convolutions")
    pads = []
    for d, k in zip(dilation, weight.shape[2:]):
        total = d * (k - 1)
        lo = total // 2
        pads.append((lo, total - lo))
    return tuple(pads)


def _convnd(input, weight, bias, stride, padding, dilation, groups, nd, name):
    _conv_dims_check(input, weight, nd, name, groups, False)
    stride, dilation = _tuple(stride, nd), _tuple(dilation, nd)
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0),) * nd
        elif padding == "same":
            pads = _same_padding(input, weight, nd, stride, dilation)
        else:
            raise ValueError(f"Invalid padding string '{padding}', should be one of "
                             "{'valid', 'same'}")
    else:
        pads = tuple((p, p) for p in _tuple(padding, nd))
    unbatched = input.dim() == nd + 1
    x = input.unsqueeze(0) if unbatched else input
    for n, k, (lo, hi), d in zip(x.shape[2:], weight.shape[2:], pads, dilation):
        if n + lo + hi < d * (k - 1) + 1:
            raise RuntimeError(f"Calculated padded input size per channel: "
                               f"({' x '.join(str(a + b + c) for a, (b, c) in zip(x.shape[2:], pads))}). "
                               f"Kernel size: ({' x '.join(str(d_ * (k_ - 1) + 1) for d_, k_ in zip(dilation, weight.shape[2:]))}). "
                               "Kernel size can't be greater than actual input size")
    y = call(T["convolution"], (x, weight, bias),
             (stride, pads, dilation, _int(groups), False, (0,) * nd))
    return y.squeeze(0) if unbatched else y


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


def _conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups, dilation,
                       nd, name):
    _conv_dims_check(input, weight, nd, name, groups, True)
    stride, dilation = _tuple(stride, nd), _tuple(dilation, nd)
    pads = tuple((p, p) for p in _tuple(padding, nd))
    op = _tuple(output_padding, nd)
    unbatched = input.dim() == nd + 1
    x = input.unsqueeze(0) if unbatched else input
    y = call(T["convolution"], (x, weight, bias), (stride, pads, dilation, _int(groups), True, op))
    return y.squeeze(0) if unbatched else y


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    return _conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups,
                              dilation, 1, "conv_transpose1d")


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    return _conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups,
                              dilation, 2, "conv_transpose2d")


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    return _conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups,
                              dilation, 3, "conv_transpose3d")


# -------------------------------------------------------------------------------- pooling


def _pool_check(input, nd, name):
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}: Expected {nd + 1}D or {nd + 2}D (batch mode) tensor for "
                           f"input, but got: {input.dim()}D" if nd > 1 else
                           f"{name}() Expected 2D or 3D input tensor, but got "
                           f"{list(input.shape)}")


def _max_poolnd(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, nd,
                name):
    _pool_check(input, nd, name)
    k = _tuple(kernel_size, nd)
    s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else \
        _tuple(stride, nd)
    p, d = _tuple(padding, nd), _tuple(dilation, nd)
    for kk, pp in zip(k, p):
        if pp > kk // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={pp}, kernel_size={kk} and dilation={d[0]}")
    v, i = call(T["max_pool"], (input,), (k, s, p, d, _bool(ceil_mode)))
    return (v, i) if return_indices else v


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    _pool_check(input, 1, "max_pool1d")
    k, p, d = _tuple(kernel_size, 1), _tuple(padding, 1), _tuple(dilation, 1)
    s = k if stride is None or stride == () else _tuple(stride, 1)
    x = input.unsqueeze(-2)
    v, i = _max_poolnd(x, (1,) + k, None if stride is None else (1,) + s, (0,) + p, (1,) + d,
                       ceil_mode, True, 2, "max_pool1d")
    v = v.squeeze(-2)
    return (v, i.squeeze(-2)) if return_indices else v


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    return _max_poolnd(input, kernel_size, stride, padding, dilation, ceil_mode,
                       return_indices, 2, "max_pool2d")


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    return _max_poolnd(input, kernel_size, stride, padding, dilation, ceil_mode,
                       return_indices, 3, "max_pool3d")


max_pool1d_with_indices = lambda *a, **k: max_pool1d(*a, **{**k, "return_indices": True})  # noqa
max_pool2d_with_indices = lambda *a, **k: max_pool2d(*a, **{**k, "return_indices": True})  # noqa
max_pool3d_with_indices = lambda *a, **k: max_pool3d(*a, **{**k, "return_indices": True})  # noqa


def _avg_poolnd(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                divisor_override, nd, name):
    _pool_check(input, nd, name)
    k = _tuple(kernel_size, nd)
    s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else \
        _tuple(stride, nd)
    p = _tuple(padding, nd)
    for kk, pp in zip(k, p):
        if pp > kk // 2:
            raise RuntimeError("pad should be at most half of effective kernel size, but got "
                               f"pad={pp}, kernel_size={kk} and dilation=1" if nd != 2 else
                               "pad should be smaller than or equal to half of kernel size, "
                               f"but got padW = {p[-1]}, padH = {p[0]}, kW = {k[-1]}, "
                               f"kH = {k[0]}")
    return call(T["avg_pool"], (input,), (k, s, p, _bool(ceil_mode), _bool(count_include_pad),
                                         divisor_override))


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    k, p = _tuple(kernel_size, 1), _tuple(padding, 1)
    s = k if stride is None or stride == () else _tuple(stride, 1)
    _pool_check(input, 1, "avg_pool1d")
    y = _avg_poolnd(input.unsqueeze(-2), (1,) + k, (1,) + s, (0,) + p, ceil_mode,
                    count_include_pad, None, 2, "avg_pool1d")
    return y.squeeze(-2)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    return _avg_poolnd(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override, 2, "avg_pool2d")


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    return _avg_poolnd(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override, 3, "avg_pool3d")


def _adaptive_size(input, output_size, nd):
    out = _tuple(output_size, nd) if not isinstance(output_size, (tuple, list)) else tuple(
        output_size)
    if len(out) == 1 and nd > 1:
        out = out * nd
    spatial = input.shape[-nd:]
    return tuple(_int(s if o is None else o) for o, s in zip(out, spatial))


def adaptive_avg_pool1d(input, output_size):
    if input.dim() not in (2, 3):
        raise RuntimeError(f"adaptive_avg_pool1d(): Expected 2D or 3D tensor, but got "
                           f"{list(input.shape)}")
    o = _adaptive_size(input, output_size, 1)
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1,) + o).squeeze(-2)


def adaptive_avg_pool2d(input, output_size):
    if input.dim() not in (3, 4):
        raise RuntimeError("adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got "
                           f"{list(input.shape)}")
    o = _adaptive_size(input, output_size, 2)
    if o == (1, 1):
        return input.mean((-2, -1), keepdim=True)
    return call(T["adaptive_avg_pool"], (input,), (o,))


def adaptive_avg_pool3d(input, output_size):
    o = _adaptive_size(input, output_size, 3)
    if o == (1, 1, 1):
        return input.mean((-3, -2, -1), keepdim=True)
    return call(T["adaptive_avg_pool"], (input,), (o,))


def adaptive_max_pool1d(input, output_size, return_indices=False):
    o = _adaptive_size(input, output_size, 1)
    v, i = call(T["adaptive_max_pool"], (input.unsqueeze(-2),), ((1,) + o,))
    v, i = v.squeeze(-2), i.squeeze(-2)
    return (v, i) if return_indices else v


def adaptive_max_pool2d(input, output_size, return_indices=False):
    o = _adaptive_size(input, output_size, 2)
    v, i = call(T["adaptive_max_pool"], (input,), (o,))
    return (v, i) if return_indices else v


def adaptive_max_pool3d(input, output_size, return_indices=False):
    o = _adaptive_size(input, output_size, 3)
    v, i = call(T["adaptive_max_pool"], (input,), (o,))
    return (v, i) if return_indices else v


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    kw, kh = _tuple(kernel_size, 2)
    out = avg_pool2d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (out.sign() * relu(out.abs())).mul(kw * kh).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    out = avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (out.sign() * relu(out.abs())).mul(kernel_size).pow(1.0 / norm_type)


# ---------------------------------------------------------------------------- normalization


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    if training:
        size = input.shape
        n = math.prod(size) // size[1] if len(size) > 1 else 1
        if n == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {size}")
    c = input.shape[1] if input.dim() > 1 else input.shape[0]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")
    use_batch = _bool(training) or running_mean is None
    # in training the running stats are only updated (after the op), never read by it
    y = call(T["batch_norm"], (input, weight, bias, None if use_batch else running_mean,
                               None if use_batch else running_var), (use_batch, _float(eps)))
    if training and running_mean is not None and running_var is not None:
        m = momentum
        with no_grad():
            x = input.detach()
            nm, nv = call(T["batch_norm_stats_update"], (x, running_mean, running_var, m), ())
            commit(running_mean, nm)
            commit(running_var, nv)
    return y


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    ns = (normalized_shape,) if isinstance(normalized_shape, _int) else tuple(normalized_shape)
    if tuple(input.shape[input.dim() - len(ns):]) != ns or input.dim() < len(ns):
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape "
                           f"[*, {', '.join(str(s) for s in ns)}], but got input of size"
                           f"{input.shape}")
    return call(T["layer_norm"], (input, weight, bias), (ns, _float(eps)))


def rms_norm(input, normalized_shape, weight=None, eps=None):
    ns = (normalized_shape,) if isinstance(normalized_shape, _int) else tuple(normalized_shape)
    return call(T["rms_norm"], (input, weight), (ns, eps))


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.dim()}")
    if input.shape[1] % num_groups != 0:
        raise RuntimeError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {input.shape} and num_groups="
                           f"{num_groups}")
    return call(T["group_norm"], (input, weight, bias), (_int(num_groups), _float(eps)))


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    n, c = input.shape[0], input.shape[1]
    spatial = tuple(input.shape[2:])
    if use_input_stats and math.prod(spatial) == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"{input.shape}")
    x = input.reshape(1, n * c, *spatial)
    w = weight.repeat(n) if weight is not None else None
    b = bias.repeat(n) if bias is not None else None
    rm = running_mean.repeat(n) if running_mean is not None else None
    rv = running_var.repeat(n) if running_var is not None else None
    y = call(T["batch_norm"], (x, w, b, rm, rv), (_bool(use_input_stats) or rm is None,
                                                  _float(eps)))
    if use_input_stats and running_mean is not None:
        with no_grad():
            nm, nv = call(T["batch_norm_stats_update"], (x.detach(), rm, rv, momentum), ())
            commit(running_mean, nm.view(n, c).mean(0))
            commit(running_var, nv.view(n, c).mean(0))
    return y.view(input.shape)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    dim = input.dim()
    div = input.mul(input)
    if dim == 3:
        div = pad(div.unsqueeze(1), (0, 0, size // 2, (size - 1) // 2)).squeeze(1)
        div = avg_pool2d(div.unsqueeze(1), (size, 1), stride=1).squeeze(1)
    else:
        sizes = input.shape
        div = div.view(sizes[0], 1, sizes[1], sizes[2], -1)
        div = pad(div, (0, 0, 0, 0, size // 2, (size - 1) // 2))
        div = avg_pool3d(div, (size, 1, 1), stride=1).squeeze(1)
        div = div.view(sizes)
    div = div.mul(alpha).add(k).pow(beta)
    return input / div


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    return input / denom


# ----------------------------------------------------------------------------- dropout


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout_impl(input, p, training, inplace, mask_dims):
    _check_p(p)
    if not training or p == 0:
        return input
    r = call(T["dropout"], (input, _key()), (_float(p), mask_dims))
    return _inplace_result(input, r) if inplace else r


def dropout(input, p=0.5, training=True, inplace=False):
    return _dropout_impl(input, p, training, inplace, None)


def dropout1d(input, p=0.5, training=True, inplace=False):
    if input.dim() not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D "
                           "input. Note that dropout1d exists to provide channel-wise dropout "
                           "on inputs with 1 spatial dimension, a channel dimension, and an "
                           "optional batch dimension (i.e. 2D or 3D inputs).")
    return _dropout_impl(input, p, training, inplace, input.dim() - 1)


def dropout2d(input, p=0.5, training=True, inplace=False):
    nd = 2 if input.dim() == 4 else (1 if input.dim() == 3 else input.dim())
    return _dropout_impl(input, p, training, inplace, nd)


def dropout3d(input, p=0.5, training=True, inplace=False):
    nd = 2 if input.dim() == 5 else 1
    return _dropout_impl(input, p, training, inplace, nd)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    _check_p(p)
    if not training or p == 0:
        return input
    r = call(T["alpha_dropout"], (input, _key()), (_float(p), False))
    return _inplace_result(input, r) if inplace else r


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    _check_p(p)
    if not training or p == 0:
        return input
    r = call(T["alpha_dropout"], (input, _key()), (_float(p), True))
    return _inplace_result(input, r) if inplace else r


# ---------------------------------------------------------------------------- embedding


def _check_index_range(idx, n, what="index"):
    lo = -n if what == "index" else 0
    _checks.first_bad(idx._v, _checks.outside(lo, n),
                      lambda _: IndexError("index out of range in self"))


def _check_bag_range(idx, n):
    _checks.first_bad(idx._v, _checks.outside(0, n), _checks.at(lambda i, bad: RuntimeError(
        f"Index {i} of input takes value {bad} which is not in the valid range [0, {n})")))


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    if input.dtype.category != 1:
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the "
                           "following scalar types: Long, Int; but got "
                           f"torch.{input.dtype.legacy} instead (while checking arguments for "
                           "embedding)")
    n = weight.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < n, "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -n, "Padding_idx must be within num_embeddings"
            padding_idx = n + padding_idx
    _check_index_range(input, n, what="embedding")
    if max_norm is not None:
        _embedding_renorm_(weight, input, max_norm, norm_type)
    if scale_grad_by_freq:
        return call(T["embedding"], (weight, input), (padding_idx, True))
    return call(T["embedding"], (weight, input), (padding_idx,))


def _embedding_renorm_(weight, input, max_norm, norm_type):
    with no_grad():
        rows = np.unique(np.asarray(input._v).reshape(-1))
        idx = _new(jnp.asarray(rows))
        sel = weight[idx]
        norms = sel.norm(norm_type, dim=1, keepdim=True)
        scale = _F.where(norms > max_norm, max_norm / (norms + 1e-7), _C.ones_like(norms))
        weight[idx] = sel * scale


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False,
                  mode="mean", sparse=False, per_sample_weights=None, include_last_offset=False,
                  padding_idx=None):
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated "
                             "is a mini-batch of fixed length sequences. However, found offsets"
                             f" of type {type(offsets)}")
        b, L = input.shape
        offsets = _new(jnp.arange(0, b * L, L, dtype=jnp.int64))
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{input.dim()}")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. "
                                  "per_sample_weights is only supported for mode='sum' (got "
                                  f"mode='{mode}'). Please open a feature request on GitHub.")
    if padding_idx is not None and padding_idx < 0:
        padding_idx = weight.shape[0] + padding_idx
    _check_bag_range(input, weight.shape[0])
    if max_norm is not None:
        _embedding_renorm_(weight, input, max_norm, norm_type)
    return call(T["embedding_bag"], (weight, input, offsets, per_sample_weights),
                (mode, padding_idx, _bool(include_last_offset)))


def one_hot(tensor, num_classes=-1):
    if tensor.dtype is not D.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        num_classes = _int(tensor.max().item()) + 1 if tensor.numel() else 0
    a = np.asarray(tensor._v) if not _is_tracer(tensor._v) else None
    if a is not None and a.size and (a.min() < 0 or a.max() >= num_classes):
        raise RuntimeError("Class values must be smaller than num_classes." if a.min() >= 0
                           else "Class values must be non-negative.")
    return _new((tensor._v[..., None] == jnp.arange(num_classes)).astype(jnp.int64))


# -------------------------------------------------------------------------- activations


def _unary(opname, input, static, inplace=False):
    r = call(T[opname], (input,), static)
    return _inplace_result(input, r) if inplace else r


def relu(input, inplace=False):
    return _unary("relu", input, (), inplace)


def relu_(input):
    return relu(input, True)


def relu6(input, inplace=False):
    return _unary("hardtanh_pt", input, (0.0, 6.0), inplace)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    return _unary("hardtanh_pt", input, (_float(min_val), _float(max_val)), inplace)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, True)


def elu(input, alpha=1.0, inplace=False):
    return _unary("elu", input, (_float(alpha), 1.0, 1.0), inplace)


def elu_(input, alpha=1.0):
    return elu(input, alpha, True)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    return _unary("elu", input, (_SELU_ALPHA, _SELU_SCALE, 1.0), inplace)


def celu(input, alpha=1.0, inplace=False):
    return _unary("celu", input, (_float(alpha),), inplace)


def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh.")
    return call(T["gelu"], (input,), (approximate,))


def silu(input, inplace=False):
    return _unary("silu", input, (), inplace)


def mish(input, inplace=False):
    return _unary("mish", input, (), inplace)


def hardswish(input, inplace=False):
    return _unary("hardswish", input, (), inplace)


def hardsigmoid(input, inplace=False):
    return _unary("hardsigmoid", input, (), inplace)


def sigmoid(input):
    return _F.sigmoid(input)


def tanh(input):
    return _F.tanh(input)


def logsigmoid(input):
    return call(T["log_sigmoid"], (input,), ())


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _unary("leaky_relu", input, (negative_slope,), inplace)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, True)


def prelu(input, weight):
    if weight.numel() != 1 and (input.dim() < 2 or input.shape[1] != weight.numel()):
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                           f"parameter numbers = {weight.numel()} and channel size = "
                           f"{input.shape[1] if input.dim() >= 2 else 1}.")
    return call(T["prelu"], (input, weight), ())


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    if training:
        from .._creation import rand
        a = rand(input.shape, dtype=input.dtype) * (upper - lower) + lower
        r = _F.where(input >= 0, input, input * a)
    else:
        r = call(T["rrelu_eval"], (input,), (_float(lower), _float(upper)))
    return _inplace_result(input, r) if inplace else r


def threshold(input, threshold, value, inplace=False):
    return _unary("threshold", input, (threshold, value), inplace)


def threshold_(input, threshold, value):
    return _unary("threshold", input, (threshold, value), True)


def softplus(input, beta=1.0, threshold=20.0):
    return call(T["softplus"], (input,), (beta, threshold))


def softshrink(input, lambd=0.5):
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return call(T["softshrink"], (input,), (lambd,))


def hardshrink(input, lambd=0.5):
    return call(T["hardshrink"], (input,), (lambd,))


def softsign(input):
    return input / (input.abs() + 1)


def tanhshrink(input):
    return input - input.tanh()


def glu(input, dim=-1):
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = dim % input.dim()
    if input.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size "
                           f"{input.shape[d]}")
    return call(T["glu"], (input,), (d,))


def _get_softmax_dim(name, ndim, stacklevel=3):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _get_softmax_dim("softmax", input.dim(), _stacklevel)
    return _F.softmax(input, dim, dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _get_softmax_dim("softmin", input.dim(), _stacklevel)
    return _F.softmax(-input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _get_softmax_dim("log_softmax", input.dim(), _stacklevel)
    return _F.log_softmax(input, dim, dtype)


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    from .._creation import rand
    u = rand(logits.shape, dtype=logits.dtype)
    gumbels = -(-(u.clamp_min(1e-20)).log()).log()
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if hard:
        index = y_soft.argmax(dim, keepdim=True)
        y_hard = _C.zeros_like(logits).scatter(dim, index, 1.0)
        return y_hard - y_soft.detach() + y_soft
    return y_soft


# --------------------------------------------------------------------------------- losses


def _check_same_size_warn(input, target, stacklevel=3):
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({target.size()}) that is different to the input size "
                      f"({input.size()}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", stacklevel=stacklevel)


def _bcast(input, target):
    shape = _F.broadcast_shapes(input.shape, target.shape)
    if tuple(input.shape) != tuple(shape):
        input = input.expand(shape)
    if tuple(target.shape) != tuple(shape):
        target = target.expand(shape)
    return input, target


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    _check_same_size_warn(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    input, target = _bcast(input, target)
    if weight is not None:
        return _apply_reduction(weight * (input - target) ** 2, reduction)
    return call(T["mse_loss"], (input, target), (reduction,))


@_fp32_under_autocast
def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    _check_same_size_warn(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    d = (input - target).abs()
    if weight is not None:
        d = d * weight
    return _apply_reduction(d, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    _check_same_size_warn(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    input, target = _bcast(input, target)
    return call(T["smooth_l1_loss"], (input, target), (reduction, _float(beta)))


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    _check_same_size_warn(input, target)
    input, target = _bcast(input, target)
    return call(T["huber_loss"], (input, target), (reduction, _float(delta)))


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    if input.dim() < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.dim()})")
    if input.dim() > 1 and input.shape[0] != target.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({target.shape[0]}).")
    if input.dim() > 2 and tuple(input.shape[2:]) != tuple(target.shape[1:]):
        raise RuntimeError(f"Expected target size {[input.shape[0]] + list(input.shape[2:])}, "
                           f"got {list(target.shape)}")
    if target.dtype.category != 1:
        raise RuntimeError(f"expected scalar type Long but found {D.scalar_name(target.dtype)}")
    c = input.shape[1] if input.dim() > 1 else input.shape[0]
    if weight is not None and weight.numel() != c:
        raise RuntimeError(f"weight tensor should be defined either for all {c} classes or no "
                           f"classes but got weight tensor of shape: {list(weight.shape)}")
    _checks.first_bad(target._v, lambda a: (a != ignore_index) & ((a < 0) | (a >= c)),
                      lambda bad: IndexError(f"Target {bad} is out of bounds."))
    return call(T["nll_loss"], (input, target, weight), (reduction, _int(ignore_index),
                                                        input.dim()))


@_fp32_under_autocast
def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    reduction = _reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 0 if input.dim() == 1 else 1
    n_classes = input.shape[class_dim]
    logp = _F.log_softmax(input, class_dim)
    if target.dtype.is_floating_point:
        if tuple(target.shape) != tuple(input.shape):
            raise RuntimeError(f"Expected target size {input.shape} to match input size "
                               f"{target.shape}" if False else
                               "Expected floating point type for target with class "
                               "probabilities, got Long")
        t = target
        if label_smoothing > 0:
            t = t * (1 - label_smoothing) + (label_smoothing / n_classes)
        prod = logp * t
        if weight is not None:
            wshape = [1] * input.dim()
            wshape[class_dim] = n_classes
            prod = prod * weight.view(wshape)
        if reduction == "mean":
            return -prod.sum() / (input.numel() / n_classes)
        if reduction == "sum":
            return -prod.sum()
        return -prod.sum(class_dim)
    nll = nll_loss(logp, target, weight, None, ignore_index, None, reduction)
    if label_smoothing <= 0:
        return nll
    ignore_mask = target == ignore_index
    if weight is not None:
        wshape = [1] * input.dim()
        wshape[class_dim] = n_classes
        smooth = -(logp * weight.view(wshape)).sum(class_dim)
    else:
        smooth = -logp.sum(class_dim)
    smooth = smooth.masked_fill(ignore_mask, 0.0)
    if reduction == "mean":
        if weight is not None:
            safe = target.masked_fill(ignore_mask, 0)
            wsum = weight[safe].masked_fill(ignore_mask, 0.0).sum()
            ret = smooth.sum() / wsum
        else:
            ret = smooth.sum() / (~ignore_mask).sum()
    elif reduction == "sum":
        ret = smooth.sum()
    else:
        ret = smooth
    return (1 - label_smoothing) * nll + ret * (label_smoothing / n_classes)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.size()}) that is different to the input "
                         f"size ({input.size()}) is deprecated. Please ensure they have the "
                         "same size.")
    if weight is not None:
        weight = weight.expand(input.shape) if tuple(weight.shape) != tuple(input.shape) else \
            weight
    if target.dtype is not input.dtype:
        target = target.to(input.dtype)
    for name, t in (("input", input), ("target", target)):  # NaN is outside [0, 1] too
        _checks.first_bad(t._v, lambda a: ~((a >= 0) & (a <= 1)),
                          lambda _, name=name: RuntimeError(
                              f"all elements of {name} should be between 0 and 1"))
    return call(T["binary_cross_entropy"], (input, target, weight), (reduction,))


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.size()}) must be the same as input size "
                         f"({input.size()})")
    if target.dtype is not input.dtype:
        target = target.to(input.dtype)
    return call(T["binary_cross_entropy_with_logits"], (input, target, weight, pos_weight),
                (reduction,))


@_fp32_under_autocast
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    if size_average is not None or reduce is not None:
        reduction = _Reduction.legacy_get_string(size_average, reduce)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", stacklevel=2)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = _F.xlogy(target, target) - target * input if hasattr(_F, "xlogy") else \
            _F.where(target > 0, target * target.clamp_min(1e-45).log(), 0.0) - target * input
    if reduction == "batchmean":
        if input.dim() == 0:
            return loss.sum()
        return loss.sum() / input.shape[0]
    return _apply_reduction(loss, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        st = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + st.masked_fill(target <= 1, 0)
    return _apply_reduction(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    if var.dim() == input.dim() - 1 and var.shape == input.shape[:-1]:
        var = var.unsqueeze(-1)
    var = var.clamp(min=eps) if not var.requires_grad else var + (
        var.clamp(min=eps) - var).detach()
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _apply_reduction(loss, reduction)


@_fp32_under_autocast
def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                          reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    eps = 1e-12
    dim = input1.dim() - 1
    prod_sum = (input1 * input2).sum(dim)
    mag1 = (input1 * input1).sum(dim) + eps
    mag2 = (input2 * input2).sum(dim) + eps
    cos = prod_sum / (mag1 * mag2).sqrt()
    zeros = _C.zeros_like(cos)
    pos = 1 - cos
    neg = (cos - margin).clamp_min(0)
    out = _F.where(target == 1, pos, zeros) + _F.where(target == -1, neg, zeros)
    return _apply_reduction(out, reduction)


@_fp32_under_autocast
def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                        reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    if not (input1.dim() == input2.dim() == target.dim()):
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension "
                           f"but got sizes: input1: {input1.size()}, input2: {input2.size()}, "
                           f"target: {target.size()} ")
    out = (-target * (input1 - input2) + margin).clamp_min(0)
    return _apply_reduction(out, reduction)


@_fp32_under_autocast
def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    zeros = _C.zeros_like(input)
    margin_clamp = (margin - input).clamp_min(0)
    out_margin = _F.where(target != 1, margin_clamp, zeros)
    out_self = _F.where(target != -1, input, zeros)
    return _apply_reduction(out_margin + out_self, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    return call(T["soft_margin_loss"], (input, target.to(input.dtype)), (reduction,))


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(dim=input.dim() - 1) / input.shape[-1]
    return _apply_reduction(loss, reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    return call(T["multi_margin_loss"], (input, target, weight), (p, _float(margin), reduction))


@_fp32_under_autocast
def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_s = pairwise_distance(positive, negative, p, eps)
        d_neg = _F.minimum(d_neg, d_s)
    return _apply_reduction((margin + d_pos - d_neg).clamp_min(0), reduction)


# ------------------------------------------------------------------ distances, similarity


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    return (x1 - x2 + eps).norm(p, dim=-1, keepdim=keepdim)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    n1 = x1.norm(2, dim=dim, keepdim=True)
    n2 = x2.norm(2, dim=dim, keepdim=True)
    with no_grad():
        c1 = n1.clamp_min(eps) - n1
        c2 = n2.clamp_min(eps) - n2
    n1 = n1 + c1
    n2 = n2 + c2
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pdist(input, p=2):
    n = input.shape[0]
    i, j = np.triu_indices(n, 1)
    a = input[_new(jnp.asarray(i))]
    b = input[_new(jnp.asarray(j))]
    return (a - b).norm(p, dim=-1)


# --------------------------------------------------------------------- padding, resampling


def pad(input, pad, mode="constant", value=None):
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    n = len(pad) // 2
    if n > input.dim():
        raise RuntimeError("Padding length should be less than or equal to two times the input "
                           "dimension but got padding length "
                           f"{len(pad)} and input of dimension {input.dim()}")
    pads = tuple((_int(pad[2 * i]), _int(pad[2 * i + 1])) for i in range(n))[::-1]
    if mode == "constant":
        return call(T["pad_nd"], (input,), (pads, "constant", 0 if value is None else value))
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if mode == "reflect":
        for (lo, hi), s in zip(pads, input.shape[input.dim() - n:]):
            if lo >= s or hi >= s:
                raise RuntimeError(f"Argument #4: Padding size should be less than the "
                                   f"corresponding input dimension, but got: padding ({lo}, "
                                   f"{hi}) at dimension {input.dim() - 1} of input "
                                   f"{list(input.shape)}")
    return call(T["pad_nd"], (input,), (pads, mode, 0))


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    nd = input.dim() - 2
    if mode in ("nearest", "area", "nearest-exact") and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if align_corners is None:
        align_corners = False
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        out = _tuple(size, nd) if not isinstance(size, (list, tuple)) else tuple(size)
        if len(out) != nd:
            raise ValueError(f"Input and output must have the same number of spatial dimensions,"
                             f" but got input with spatial dimensions of {list(input.shape[2:])}"
                             f" and output size of {list(out)}. Please provide input tensor in "
                             "(N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) "
                             "format.")
        scales = (None,) * nd
    elif scale_factor is not None:
        sf = tuple(scale_factor) if isinstance(scale_factor, (list, tuple)) else \
            (_float(scale_factor),) * nd
        out = tuple(_int(math.floor(_float(n) * s)) for n, s in zip(input.shape[2:], sf))
        scales = (None,) * nd if recompute_scale_factor else tuple(_float(s) for s in sf)
    else:
        raise ValueError("either size or scale_factor should be defined")
    dims_mode = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
    if mode in dims_mode:
        if dims_mode[mode] != nd:
            raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs "
                                      f"{dims_mode[mode] + 2}D input")
        return call(T["upsample_linear"], (input,), (out, mode, _bool(align_corners), scales))
    if mode in ("nearest", "nearest-exact"):
        return call(T["upsample_nearest"], (input,), (out, scales, mode == "nearest-exact"))
    if mode == "area":
        return adaptive_avg_pool2d(input, out) if nd == 2 else (
            adaptive_avg_pool1d(input, out) if nd == 1 else adaptive_avg_pool3d(input, out))
    raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got "
                              f"{input.dim()}D) for the modes: nearest | linear | bilinear | "
                              f"bicubic | trilinear | area | nearest-exact (got {mode})")


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def pixel_shuffle(input, upscale_factor):
    c = input.shape[-3]
    r = _int(upscale_factor)
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    return call(T["pixel_shuffle"], (input,), (r,))


def pixel_unshuffle(input, downscale_factor):
    return call(T["pixel_unshuffle"], (input,), (_int(downscale_factor),))


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    if input.dim() != 4:
        raise NotImplementedError(f"Input Error: Only 4D input Tensors are supported (got "
                                  f"{input.dim()}D)")
    return call(T["im2col"], (input,), (_tuple(kernel_size, 2), _tuple(dilation, 2),
                                        _tuple(padding, 2), _tuple(stride, 2)))


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    unbatched = input.dim() == 2
    x = input.unsqueeze(0) if unbatched else input
    y = call(T["col2im"], (x,), (_tuple(output_size, 2), _tuple(kernel_size, 2),
                                 _tuple(dilation, 2), _tuple(padding, 2), _tuple(stride, 2)))
    return y.squeeze(0) if unbatched else y


def affine_grid(theta, size, align_corners=None):
    if align_corners is None:
        align_corners = False
    size = tuple(_int(s) for s in size)
    if len(size) == 4:
        if theta.dim() != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                             f"{size}. Got {theta.shape}.")
    elif len(size) == 5:
        if theta.dim() != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                             f"{size}. Got {theta.shape}.")
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    return call(T["affine_grid"], (theta,), (size, _bool(align_corners)))


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    if mode not in ("bilinear", "nearest"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        align_corners = False
    if input.dim() != 4:
        raise NotImplementedError("torchlike's grid_sample supports 4-D input only")
    return call(T["grid_sample2d"], (input, grid), (mode, padding_mode, _bool(align_corners)))


# ------------------------------------------------------------------------------ attention


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    k = _key() if dropout_p > 0 else None
    return call(T["sdpa"], (query, key, value, attn_mask, k),
                (_float(dropout_p), _bool(is_causal), None if scale is None else _float(scale),
                 _bool(enable_gqa)))


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    if mask is None:
        return None
    if mask.dtype is D.bool_:
        return _C.zeros_like(mask, dtype=target_type).masked_fill(mask, float("-inf"))
    if not mask.dtype.is_floating_point:
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    return mask


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    is_batched = query.dim() == 3
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", None, "attn_mask",
                                       query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "key_padding_mask",
                                    query.dtype)
        if key_padding_mask is not None:
            is_causal = False
    if not use_separate_proj_weight:
        if query is key and key is value:
            q, k, v = linear(query, in_proj_weight, in_proj_bias).chunk(3, dim=-1)
        else:
            w_q, w_k, w_v = in_proj_weight.chunk(3)
            b_q, b_k, b_v = in_proj_bias.chunk(3) if in_proj_bias is not None else (None,) * 3
            q, k, v = linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)
    else:
        b_q, b_k, b_v = in_proj_bias.chunk(3) if in_proj_bias is not None else (None,) * 3
        q = linear(query, q_proj_weight, b_q)
        k = linear(key, k_proj_weight, b_k)
        v = linear(value, v_proj_weight, b_v)
    if attn_mask is not None and attn_mask.dim() == 2:
        if tuple(attn_mask.shape) != (tgt_len, src_len):
            raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should "
                               f"be {(tgt_len, src_len)}.")
        attn_mask = attn_mask.unsqueeze(0)
    if bias_k is not None and bias_v is not None:
        k = _F.cat([k, bias_k.repeat(1, bsz, 1)])
        v = _F.cat([v, bias_v.repeat(1, bsz, 1)])
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    v = v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    if add_zero_attn:
        zshape = (bsz * num_heads, 1, head_dim)
        k = _F.cat([k, _C.zeros(zshape, dtype=k.dtype)], dim=1)
        v = _F.cat([v, _C.zeros(zshape, dtype=v.dtype)], dim=1)
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))
    src_len = k.shape[1]
    if key_padding_mask is not None:
        kpm = key_padding_mask.view(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1).reshape(
            bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0
    if need_weights:
        q_scaled = q * math.sqrt(1.0 / _float(head_dim))
        if attn_mask is not None:
            w = _F.baddbmm(attn_mask, q_scaled, k.transpose(-2, -1)) if hasattr(
                _F, "baddbmm") else attn_mask + _F.bmm(q_scaled, k.transpose(-2, -1))
        else:
            w = _F.bmm(q_scaled, k.transpose(-2, -1))
        w = softmax(w, dim=-1)
        if dropout_p > 0.0:
            w = dropout(w, p=dropout_p)
        out = _F.bmm(w, v)
        out = out.transpose(0, 1).contiguous().view(tgt_len * bsz, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias)
        out = out.view(tgt_len, bsz, out.shape[1])
        w = w.view(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            w = w.mean(dim=1)
        if not is_batched:
            out = out.squeeze(1)
            w = w.squeeze(0)
        return out, w
    if attn_mask is not None:
        if attn_mask.shape[0] == 1 and attn_mask.dim() == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.view(bsz, num_heads, -1, src_len)
    q = q.view(bsz, num_heads, tgt_len, head_dim)
    k = k.view(bsz, num_heads, src_len, head_dim)
    v = v.view(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).contiguous().view(bsz * tgt_len, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias)
    out = out.view(tgt_len, bsz, out.shape[1])
    if not is_batched:
        out = out.squeeze(1)
    return out, None


# helpers exported for parity with torch.nn.functional
from .._functions import tanh as _tanh  # noqa: E402,F401
from ._functional_tail import *  # noqa: E402,F401,F403  (ctc_loss, max_unpool*, ...)
