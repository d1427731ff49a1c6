"""Minimal `nn.parallel` / `nn.DataParallel` stand-ins: on one process they run the module."""
from __future__ import annotations

from .modules.module import Module


class DataParallel(Module):
    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module
        self.device_ids = device_ids or []
        self.output_device = output_device
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


class DistributedDataParallel(DataParallel):
    def __init__(self, module, device_ids=None, output_device=None, dim=0, **kwargs):
        super().__init__(module, device_ids, output_device, dim)
