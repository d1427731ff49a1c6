"""torch.autograd.profiler: the legacy profiler (`profile(use_cuda=False)`, `print(prof)`) and
`record_function`, on the same recorder as torchlike.profiler."""
from __future__ import annotations

import warnings

from ..profiler import _KinetoLike, record_function  # noqa: F401
from ..profiler.profiler_util import EventList, FunctionEvent, FunctionEventAvg  # noqa: F401

__all__ = ["profile", "record_function", "EventList", "FunctionEvent", "FunctionEventAvg",
           "emit_nvtx"]


class profile(_KinetoLike):
    """`torch.autograd.profiler.profile`: records the ops run inside it; `print(prof)` shows
    every event in order, `prof.key_averages().table(...)` the summary."""

    def __init__(self, enabled=True, *, use_cuda=False, use_device=None, record_shapes=False,
                 with_flops=False, profile_memory=False, with_stack=False, with_modules=False,
                 use_kineto=False, use_cpu=True, experimental_config=None, acc_events=False,
                 custom_trace_id_callback=None, post_processing_timeout_s=None,
                 activity_filters=None):
        self.enabled = enabled
        if not enabled:
            self._function_events = None
            self._rec = None
            return
        if use_cuda:
            warnings.warn("The attribute `use_cuda` will be deprecated soon, please use "
                          "``use_device = 'cuda'`` instead.", FutureWarning, stacklevel=2)
        self.use_device = "cuda" if use_cuda else use_device
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.with_flops = with_flops
        self._rec = None
        self._function_events = None
        self.entered = False

    def __enter__(self):
        if not self.enabled:
            return self
        if self.entered:
            raise RuntimeError("Profiler context manager is not reentrant")
        self.entered = True
        self._start_recording()
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        if not self.enabled:
            return None
        self._stop_recording()
        return False

    def _check_finish(self):
        if self._function_events is None:
            raise RuntimeError("Profiler didn't finish running")

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0,
                     group_by_overload_name=False):
        self._check_finish()
        return super().key_averages(group_by_input_shape, group_by_stack_n)

    def table(self, *args, **kwargs):
        self._check_finish()
        return super().table(*args, **kwargs)

    def export_chrome_trace(self, path):
        self._check_finish()
        return super().export_chrome_trace(path)

    def __repr__(self):
        if self._function_events is None:
            return "<unfinished torch.autograd.profile>"
        return repr(self._function_events)

    def __str__(self):
        if self._function_events is None:
            return "<unfinished torch.autograd.profile>"
        return str(self._function_events)


class emit_nvtx:
    """Accepted for compatibility: there are no NVTX ranges on JAX's runtime."""

    def __init__(self, enabled=True, record_shapes=False):
        self.enabled = enabled

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
