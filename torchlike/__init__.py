"""torchlike: PyTorch's API on JAX's engine.

Importing torchlike turns on JAX's 64-bit mode (``jax_enable_x64``) because PyTorch's integer
tensors default to int64; torchlike keeps float32 as its floating default explicitly. With x64
on, a user's own ``jnp.array([1.5])`` becomes float64 where it was float32 (see docs/porting.md).
"""
from __future__ import annotations

import math as _math

import jax as _jax

_jax.config.update("jax_enable_x64", True)

__version__ = "0.1.0"

from . import _dtype  # noqa: E402
from ._dtype import (bfloat16, bool_ as bool, complex64, complex128, dtype,  # noqa: E402,F401
                     float16, float32, float64, get_default_dtype, int8, int16, int32, int64,
                     uint8, uint16, uint32, uint64)
from ._tensor import Size, Tensor, device, from_jax  # noqa: E402,F401
from ._tensor_str import get_printoptions, printoptions  # noqa: E402,F401
from ._info import finfo, iinfo  # noqa: E402,F401
from ._autograd_core import (enable_grad, inference_mode, is_grad_enabled,  # noqa: E402,F401
                             is_inference_mode_enabled, no_grad, set_grad_enabled)
from ._functions import *  # noqa: E402,F401,F403
from ._math_tail import *  # noqa: E402,F401,F403
from ._functions import (abs, all, any, max, min, pow, round, sum)  # noqa: E402,F401
from . import _methods  # noqa: E402,F401
from . import _misc_methods  # noqa: E402,F401
from ._foreach import *  # noqa: E402,F401,F403
from ._creation import (arange, as_tensor, asarray, bernoulli, empty, empty_like,  # noqa: E402,F401
                        eye, from_numpy, full, full_like, linspace, logspace, multinomial,
                        normal, ones, ones_like, rand, rand_like, randint, randint_like, randn,
                        randn_like, randperm, tensor, zeros, zeros_like)
from ._creation import range_ as range  # noqa: E402,F401
from ._random import (Generator, default_generator, get_rng_state, initial_seed,  # noqa: E402,F401
                      manual_seed, seed, set_rng_state)
from . import autograd  # noqa: E402,F401
from . import linalg, cuda, accelerator, random, backends  # noqa: E402,F401
from . import fft, special  # noqa: E402,F401
from . import func  # noqa: E402,F401
from . import sparse, distributions, jit, distributed, multiprocessing, hub, onnx  # noqa: E402,F401,E501
from .sparse import sparse_coo_tensor, sparse_coo  # noqa: E402,F401
from . import nn  # noqa: E402,F401
from . import optim  # noqa: E402,F401
from . import serialization, utils  # noqa: E402,F401
from .serialization import load, save  # noqa: E402,F401
from . import export  # noqa: E402,F401
from . import testing, compiler, version  # noqa: E402,F401
from .func import vmap  # noqa: E402,F401
from . import functional  # noqa: E402,F401
from . import amp  # noqa: E402,F401
from . import profiler  # noqa: E402,F401
from .autograd import profiler as _autograd_profiler  # noqa: E402,F401
from .amp import autocast  # noqa: E402,F401
from .amp.autocast_mode import (is_autocast_enabled, set_autocast_enabled,  # noqa: E402,F401
                                get_autocast_dtype, set_autocast_dtype, is_autocast_cpu_enabled,
                                get_autocast_cpu_dtype, get_autocast_gpu_dtype,
                                clear_autocast_cache, is_autocast_cache_enabled,
                                set_autocast_cache_enabled, autocast_increment_nesting,
                                autocast_decrement_nesting)

_methods._generate_inplace()  # in-place forms of the methods the modules above added

float = float32  # noqa: A001
double = float64
half = float16
long = int64
int = int32  # noqa: A001
short = int16
cfloat = complex64
cdouble = complex128
strided = "torch.strided"
contiguous_format = preserve_format = channels_last = "torch.contiguous_format"
inf, nan, pi, e = _math.inf, _math.nan, _math.pi, _math.e
newaxis = None


def set_default_dtype(d):
    from . import _tensor_str
    _dtype.set_default_dtype(d)
    _tensor_str.DEFAULT_DTYPE_NAME = d.name


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    from . import _tensor_str
    _tensor_str.set_printoptions(precision, threshold, edgeitems, linewidth, profile, sci_mode)


def set_default_device(dev):
    from ._tensor import _DEFAULT_DEVICE
    _DEFAULT_DEVICE[0] = None if dev is None else device(dev)


def get_default_device():
    from ._tensor import _DEFAULT_DEVICE, _torch_device
    return _DEFAULT_DEVICE[0] or _torch_device(_jax.local_devices()[0])


def _legacy_type(dt):
    class _Legacy(Tensor):
        def __new__(cls, *args, device=None):
            from ._creation import _legacy_new
            return _legacy_new(dt, args, device)

        def __instancecheck__(self, obj):
            return isinstance(obj, Tensor) and obj.dtype is dt

    _Legacy.__name__ = dt.legacy
    return _Legacy


FloatTensor = _legacy_type(float32)
DoubleTensor = _legacy_type(float64)
HalfTensor = _legacy_type(float16)
LongTensor = _legacy_type(int64)
IntTensor = _legacy_type(int32)
ShortTensor = _legacy_type(int16)
ByteTensor = _legacy_type(uint8)
CharTensor = _legacy_type(int8)
BoolTensor = _legacy_type(bool)
BFloat16Tensor = _legacy_type(bfloat16)


def use_deterministic_algorithms(mode, *, warn_only=False):
    """XLA's CPU and GPU kernels used here are deterministic; accepted for compatibility."""


def set_num_threads(n):
    """Accepted for compatibility: XLA manages its own thread pool."""


def get_num_threads():
    import os
    return os.cpu_count() or 1


def compile(model=None, **kwargs):
    from ._compile import compile as _compile
    return _compile(model, **kwargs)
