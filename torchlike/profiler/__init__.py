"""torch.profiler: wall-clock events per table op and per `record_function` range, with
PyTorch's `key_averages().table()`, `export_chrome_trace`, `schedule` and
`tensorboard_trace_handler`. See docs/profiler.md.

Every table op dispatched while a profiler records becomes an event named like PyTorch's
(`aten::mm`, `aten::relu`...); its time runs until its result is ready. Ranges from
`record_function` and `profile.step()` (`ProfilerStep#N`) nest ops as children, so "Self CPU"
is a range's time minus its children's, as in PyTorch. `loss.backward()` is one event
(torchlike runs the tape as one vjp program or node kernels, not as dispatched ops). For
XLA-level detail (fusions, HLO op times) use `jax.profiler.trace(log_dir)`: its trace opens in
TensorBoard's or Perfetto's viewer next to the ones written here.
"""
from __future__ import annotations

import enum
import os
import threading
import warnings
from functools import wraps

from . import _hooks
from .profiler_util import EventList, FunctionEvent, FunctionEventAvg  # noqa: F401

__all__ = ["profile", "record_function", "ProfilerActivity", "ProfilerAction", "schedule",
           "tensorboard_trace_handler", "supported_activities", "kineto_available"]


class ProfilerActivity(enum.Enum):
    CPU = 0
    XPU = 1
    MTIA = 2
    CUDA = 3
    HPU = 4
    PrivateUse1 = 5

    def __repr__(self):
        return f"<ProfilerActivity.{self.name}: {self.value}>"

    def __str__(self):
        return f"ProfilerActivity.{self.name}"


class ProfilerAction(enum.Enum):
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3
    DEVICE_STOPPED = 4


def supported_activities():
    from .. import cuda
    acts = {ProfilerActivity.CPU}
    if cuda.is_available():
        acts.add(ProfilerActivity.CUDA)
    return acts


def kineto_available():
    return False


def schedule(*, wait, warmup, active, repeat=0, skip_first=0, skip_first_wait=0):
    """PyTorch's profiler schedule: which action each step takes."""
    def schedule_fn(step):
        if step < 0:
            raise AssertionError(f"Step must be non-negative. Got {step}.")
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait != 0:
            step += wait
        num_steps = wait + warmup + active
        if repeat > 0 and step / num_steps >= repeat:
            return ProfilerAction.NONE
        mod_step = step % num_steps
        if mod_step < wait:
            return ProfilerAction.NONE
        if mod_step < wait + warmup:
            return ProfilerAction.WARMUP
        return (ProfilerAction.RECORD if mod_step < num_steps - 1
                else ProfilerAction.RECORD_AND_SAVE)

    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError(
            f"Invalid profiler schedule arguments. Got wait={wait} (need >= 0), warmup={warmup} "
            f"(need >= 0), active={active} (need > 0), repeat={repeat} (need >= 0), "
            f"skip_first={skip_first} (need >= 0).")
    if warmup == 0:
        warnings.warn("Profiler won't be using warmup, this can skew profiler results",
                      stacklevel=2)
    return schedule_fn


def _default_schedule_fn(_):
    return ProfilerAction.RECORD


def tensorboard_trace_handler(dir_name, worker_name=None, use_gzip=False):
    """An `on_trace_ready` callback writing `{worker}.{time_ns}.pt.trace.json` into
    `dir_name`, the files TensorBoard's profiler plugin reads."""
    import socket
    import time

    def handler_fn(prof):
        nonlocal worker_name
        if not os.path.isdir(dir_name):
            try:
                os.makedirs(dir_name, exist_ok=True)
            except Exception as e:
                raise RuntimeError("Can't create directory: " + dir_name) from e
        if not worker_name:
            worker_name = f"{socket.gethostname()}_{os.getpid()}"
        file_name = f"{worker_name}.{time.time_ns()}.pt.trace.json"
        if use_gzip:
            file_name += ".gz"
        prof.export_chrome_trace(os.path.join(dir_name, file_name))
    return handler_fn


# ------------------------------------------------------------------------- recording


class _Recorder:
    """Collects the root events of one recording window."""

    def __init__(self, record_shapes):
        self.record_shapes = record_shapes
        self.roots = []

    def events(self, profile_memory=False):
        out, n = [], [0]

        def walk(ev, parent):
            fe = FunctionEvent(n[0], ev.name, ev.tid, ev.start,
                               ev.end if ev.end is not None else ev.start, ev.shapes,
                               cpu_memory_usage=ev.mem if profile_memory else 0,
                               is_user_annotation=ev.kind == "range")
            n[0] += 1
            fe.cpu_parent = parent
            if parent is not None:
                parent.cpu_children.append(fe)
            out.append(fe)
            for c in ev.children:
                if c.kind != "traced":
                    walk(c, fe)
        for r in self.roots:
            if r.kind != "traced":
                walk(r, None)
        if profile_memory:
            for fe in reversed(out):       # a range's memory is its children's
                if fe.is_user_annotation:
                    fe.cpu_memory_usage = sum(c.cpu_memory_usage for c in fe.cpu_children)
        out.sort(key=lambda e: e.time_range[0])
        return EventList(out, profile_memory=profile_memory)


class _KinetoLike:
    """What `torch.profiler.profile` and `torch.autograd.profiler.profile` share."""

    def _start_recording(self):
        self._rec = _Recorder(self.record_shapes)
        _hooks._install(self._rec)

    def _stop_recording(self):
        rec = self._rec
        if rec is None:
            return
        _hooks._uninstall(rec)
        self._rec = None
        self._function_events = rec.events(self.profile_memory)

    def events(self):
        if self._function_events is None:
            raise AssertionError("Profiler didn't finish running")
        return self._function_events

    @property
    def function_events(self):
        return self._function_events

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0,
                     group_by_overload_name=False):
        return self.events().key_averages(group_by_input_shape, group_by_stack_n)

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75,
              max_name_column_width=55, max_shapes_column_width=80, header=None,
              top_level_events_only=False, time_unit=None):
        return self.events().table(sort_by=sort_by, row_limit=row_limit,
                                   max_name_column_width=max_name_column_width,
                                   max_shapes_column_width=max_shapes_column_width,
                                   header=header, top_level_events_only=top_level_events_only,
                                   time_unit=time_unit)

    def export_chrome_trace(self, path):
        return self.events().export_chrome_trace(path)

    @property
    def self_cpu_time_total(self):
        return self.events().self_cpu_time_total

    def total_average(self):
        return self.events().total_average()


class profile(_KinetoLike):
    """`torch.profiler.profile`: a context manager recording the ops run inside it."""

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None,
                 record_shapes=False, profile_memory=False, with_stack=False, with_flops=False,
                 with_modules=False, experimental_config=None, execution_trace_observer=None,
                 acc_events=False, use_cuda=None, custom_trace_id_callback=None,
                 post_processing_timeout_s=None):
        if activities is None:
            activities = supported_activities()
        self.activities = set(activities)
        if use_cuda is not None:
            warnings.warn("`use_cuda` is deprecated, use `activities` argument instead",
                          FutureWarning, stacklevel=2)
            if use_cuda:
                self.activities.add(ProfilerActivity.CUDA)
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.with_flops = with_flops
        self.with_modules = with_modules
        self.schedule = schedule if schedule is not None else _default_schedule_fn
        self._explicit_schedule = schedule is not None
        self.on_trace_ready = on_trace_ready
        self.step_num = 0
        self.current_action = self.schedule(self.step_num)
        self._rec = None
        self._function_events = None
        self._step_ev = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.stop()

    def _recording(self, action):
        return action in (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)

    def start(self):
        if self._recording(self.current_action) or self.current_action is \
                ProfilerAction.WARMUP:
            self._start_recording()
        self._open_step()

    def _open_step(self):
        if self._explicit_schedule and self._rec is not None:
            self._step_ev = _hooks.push_range(f"ProfilerStep#{self.step_num}")

    def _close_step(self):
        if self._step_ev is not None:
            _hooks.pop_range(self._step_ev)
            self._step_ev = None

    def stop(self):
        self._close_step()
        if self._rec is not None:
            self._stop_recording()
            if self.on_trace_ready is not None and (self._recording(self.current_action)):
                self.on_trace_ready(self)
        self.current_action = ProfilerAction.NONE

    def step(self):
        """Signal the end of a training step to the schedule."""
        self._close_step()
        prev = self.current_action
        self.step_num += 1
        self.current_action = self.schedule(self.step_num)
        cur = self.current_action
        if prev is ProfilerAction.RECORD_AND_SAVE or (
                self._recording(prev) and not self._recording(cur)):
            self._stop_recording()
            if self.on_trace_ready is not None:
                self.on_trace_ready(self)
        if prev is ProfilerAction.WARMUP and not self._recording(cur):
            self._stop_recording()
        if cur is not ProfilerAction.NONE and self._rec is None:
            self._start_recording()
        if prev is ProfilerAction.WARMUP and self._recording(cur) and self._rec is not None:
            # events of warm-up steps are not reported
            self._rec.roots.clear()
        self._open_step()


class record_function:
    """A labelled range: a context manager or decorator. Its event holds the ops run inside
    it as children."""

    def __init__(self, name, args=None):
        self.name = name
        self.args = args
        self._ev = None

    def __enter__(self):
        self._ev = _hooks.push_range(self.name)
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        _hooks.pop_range(self._ev)
        self._ev = None
        return False

    def __call__(self, fn):
        @wraps(fn)
        def wrapped(*args, **kwargs):
            with record_function(self.name, self.args):
                return fn(*args, **kwargs)
        return wrapped


_local = threading.local()
