"""`torchlike.nn`: PyTorch's torch.nn on torchlike's op table."""
from __future__ import annotations

from .parameter import Buffer, Parameter, UninitializedParameter  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules import Module  # noqa: F401
from .modules.module import (register_module_forward_hook,  # noqa: F401
                             register_module_forward_pre_hook,
                             register_module_full_backward_hook)
from . import functional  # noqa: F401
from . import init  # noqa: F401
from . import utils  # noqa: F401
from . import parallel  # noqa: F401
from . import attention  # noqa: F401
from .parallel import DataParallel  # noqa: F401


def factory_kwargs(kwargs):
    return {k: kwargs[k] for k in ("device", "dtype") if k in (kwargs or {})}
