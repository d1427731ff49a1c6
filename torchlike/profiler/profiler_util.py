"""FunctionEvent, FunctionEventAvg and EventList with PyTorch's table layout
(torch.autograd.profiler_util)."""
from __future__ import annotations

import json
import os
from collections import defaultdict

__all__ = ["FunctionEvent", "FunctionEventAvg", "EventList"]


def _format_time(time_us):
    if time_us >= 1e6:
        return f"{time_us / 1e6:.3f}s"
    if time_us >= 1e3:
        return f"{time_us / 1e3:.3f}ms"
    return f"{time_us:.3f}us"


def _format_time_share(time_us, total_time_us):
    if total_time_us == 0:
        return "NaN"
    return f"{time_us * 100.0 / total_time_us:.2f}%"


def _format_memory(nbytes):
    KB = 1024
    MB = 1024 * KB
    GB = 1024 * MB
    if abs(nbytes) >= GB:
        return f"{nbytes * 1.0 / GB:.2f} GB"
    if abs(nbytes) >= MB:
        return f"{nbytes * 1.0 / MB:.2f} MB"
    if abs(nbytes) >= KB:
        return f"{nbytes * 1.0 / KB:.2f} KB"
    return str(nbytes) + " B"


class _TimeStrs:
    @property
    def cpu_time_str(self):
        return _format_time(self.cpu_time)

    @property
    def cpu_time_total_str(self):
        return _format_time(self.cpu_time_total)

    @property
    def self_cpu_time_total_str(self):
        return _format_time(self.self_cpu_time_total)

    @property
    def device_time_total_str(self):
        return _format_time(0)

    # PyTorch's CUDA-named aliases (no device timeline here: always 0)
    device_time_total = self_device_time_total = device_time = 0.0
    cuda_time_total = self_cuda_time_total = cuda_time = 0.0
    device_memory_usage = self_device_memory_usage = 0
    cuda_memory_usage = self_cuda_memory_usage = 0
    is_async = False
    is_legacy = False
    is_user_annotation = False
    node_id = -1
    overload_name = ""
    flops = 0
    use_device = None


class FunctionEvent(_TimeStrs):
    """One profiled op or range: times in microseconds."""

    def __init__(self, id, name, thread, start_us, end_us, input_shapes=None, stack=None,
                 cpu_memory_usage=0, is_user_annotation=False):
        self.id = id
        self.name = name
        self.thread = thread
        self.time_range = (start_us, end_us)
        self.input_shapes = input_shapes
        self.stack = stack or []
        self.cpu_children = []
        self.cpu_parent = None
        self.cpu_memory_usage = cpu_memory_usage
        self.is_user_annotation = is_user_annotation
        self.count = 1
        self.device_type = "CPU"

    @property
    def key(self):
        return self.name

    @property
    def cpu_time_total(self):
        return self.time_range[1] - self.time_range[0]

    @property
    def self_cpu_time_total(self):
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    @property
    def cpu_time(self):
        return self.cpu_time_total

    @property
    def self_cpu_memory_usage(self):
        return self.cpu_memory_usage - sum(c.cpu_memory_usage for c in self.cpu_children)

    def __repr__(self):
        return (f"<FunctionEvent id={self.id} name={self.name} thread={self.thread} "
                f"cpu_time={self.cpu_time_str} start_us={self.time_range[0]:.0f} "
                f"end_us={self.time_range[1]:.0f} cpu_children={[c.id for c in self.cpu_children]} "
                f"input_shapes={self.input_shapes} cpu_memory_usage={self.cpu_memory_usage}>")


class FunctionEventAvg(_TimeStrs):
    """Events of one key (name, and input shapes when grouped by them), summed."""

    def __init__(self):
        self.key = None
        self.count = 0
        self.node_id = -1
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0
        self.cpu_memory_usage = 0
        self.self_cpu_memory_usage = 0
        self.input_shapes = None
        self.stack = None
        self.cpu_parent = None
        self.device_type = "CPU"

    def add(self, other):
        if self.key is None:
            self.key = other.key
            self.input_shapes = other.input_shapes
            self.stack = other.stack
            self.cpu_parent = other.cpu_parent
            self.is_user_annotation = other.is_user_annotation
        self.count += other.count
        self.cpu_time_total += other.cpu_time_total
        self.self_cpu_time_total += other.self_cpu_time_total
        self.cpu_memory_usage += other.cpu_memory_usage
        self.self_cpu_memory_usage += other.self_cpu_memory_usage
        return self

    def __iadd__(self, other):
        return self.add(other)

    @property
    def cpu_time(self):
        return 0.0 if self.count == 0 else self.cpu_time_total / self.count

    def __repr__(self):
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total_str} "
                f"cpu_time={self.cpu_time_str} input_shapes={self.input_shapes} "
                f"cpu_memory_usage={self.cpu_memory_usage}>")


class EventList(list):
    """A list of events with PyTorch's `table`, `key_averages`, `export_chrome_trace`."""

    def __init__(self, *args, **kwargs):
        self._profile_memory = kwargs.pop("profile_memory", False)
        kwargs.pop("use_device", None)
        kwargs.pop("with_flops", None)
        super().__init__(*args, **kwargs)

    def __str__(self):
        return self.table()

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75,
              max_name_column_width=55, max_shapes_column_width=80, header=None,
              top_level_events_only=False, time_unit=None):
        return _build_table(self, sort_by=sort_by, header=header, row_limit=row_limit,
                            max_name_column_width=max_name_column_width,
                            max_shapes_column_width=max_shapes_column_width,
                            profile_memory=self._profile_memory,
                            top_level_events_only=top_level_events_only, time_unit=time_unit)

    def key_averages(self, group_by_input_shapes=False, group_by_stack_n=0,
                     group_by_overload_name=False):
        stats = defaultdict(FunctionEventAvg)
        for evt in self:
            key = (evt.key, str(evt.input_shapes)) if group_by_input_shapes else evt.key
            stats[key].add(evt)
        return EventList(stats.values(), profile_memory=self._profile_memory)

    @property
    def self_cpu_time_total(self):
        return sum(e.self_cpu_time_total for e in self)

    def total_average(self):
        t = FunctionEventAvg()
        for e in self:
            t.add(e)
        t.key = "Total"
        return t

    def export_chrome_trace(self, path):
        """Write the events in Chrome's trace-event JSON (chrome://tracing, Perfetto,
        TensorBoard's profile plugin)."""
        pid = os.getpid()
        evs = []
        for e in self:
            d = {"ph": "X", "cat": "user_annotation" if e.is_user_annotation else "cpu_op",
                 "name": e.name, "pid": pid, "tid": e.thread, "ts": e.time_range[0],
                 "dur": e.cpu_time_total, "args": {}}
            if e.input_shapes is not None:
                d["args"]["Input Dims"] = e.input_shapes
            evs.append(d)
        data = {"schemaVersion": 1, "deviceProperties": [], "traceEvents": evs,
                "traceName": path, "displayTimeUnit": "ms"}
        if path.endswith(".gz"):
            import gzip
            with gzip.open(path, "wt") as f:
                json.dump(data, f)
        else:
            with open(path, "w") as f:
                json.dump(data, f)


def _build_table(events, sort_by=None, header=None, row_limit=100, max_name_column_width=55,
                 max_shapes_column_width=80, profile_memory=False, top_level_events_only=False,
                 time_unit=None):
    """PyTorch's `_build_table` (torch/autograd/profiler_util.py) for CPU events."""
    if len(events) == 0:
        return ""
    has_input_shapes = any(e.input_shapes is not None and len(e.input_shapes) > 0
                           for e in events)
    if sort_by is not None:
        attr = sort_by.replace("cuda", "device").replace("xpu", "device")
        events = sorted(events, key=lambda e: getattr(e, attr), reverse=True)
    name_column_width = max(len(e.key) for e in events) + 4
    if max_name_column_width is not None:
        name_column_width = min(name_column_width, max_name_column_width)
    shapes_column_width = max(len(str(e.input_shapes)) for e in events) + 4
    if max_shapes_column_width is not None:
        shapes_column_width = min(shapes_column_width, max_shapes_column_width)
    W = 12
    headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"]
    if profile_memory:
        headers += ["CPU Mem", "Self CPU Mem"]
    headers.append("# of Calls")
    SPACING = 2
    fmt, sep, length = "", "", -SPACING

    def col(pad, direction=">"):
        nonlocal fmt, sep, length
        fmt += "{: " + direction + str(pad) + "}" + " " * SPACING
        sep += "-" * pad + " " * SPACING
        length += pad + SPACING

    col(name_column_width)
    for _ in headers[1:]:
        col(W)
    if has_input_shapes:
        headers.append("Input Shapes")
        col(shapes_column_width)

    def unit(t_us, default):
        if time_unit == "s":
            return f"{t_us / 1e6:.3f}s"
        if time_unit == "ms":
            return f"{t_us / 1e3:.3f}ms"
        if time_unit == "us":
            return f"{t_us:.3f}us"
        return default

    total = sum(e.self_cpu_time_total for e in events)
    out = []

    def append(s):
        out.append(s)
        out.append("\n")

    if header is not None:
        append("=" * length)
        append(header)
    if top_level_events_only:
        append("=" * length)
        append("This report only display top-level ops statistics")
    append(sep)
    append(fmt.format(*headers))
    append(sep)
    n = 0
    for e in events:
        if n == row_limit:
            break
        if top_level_events_only and e.cpu_parent is not None:
            continue
        n += 1
        name = e.key
        if max_name_column_width is not None and len(name) >= max_name_column_width - 3:
            name = name[:max_name_column_width - 3] + "..."
        row = [name, _format_time_share(e.self_cpu_time_total, total),
               unit(e.self_cpu_time_total, e.self_cpu_time_total_str),
               _format_time_share(e.cpu_time_total, total),
               unit(e.cpu_time_total, e.cpu_time_total_str),
               unit(e.cpu_time, e.cpu_time_str)]
        if profile_memory:
            row += [_format_memory(e.cpu_memory_usage), _format_memory(e.self_cpu_memory_usage)]
        row.append(e.count)
        if has_input_shapes:
            row.append(str(e.input_shapes)[:shapes_column_width])
        append(fmt.format(*row))
    append(sep)
    append(f"Self CPU time total: {unit(total, _format_time(total))}")
    return "".join(out)
