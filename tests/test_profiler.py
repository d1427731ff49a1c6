"""torch.profiler / torch.autograd.profiler: events per op and range, PyTorch's table layout,
schedules, chrome traces, tensorboard_trace_handler."""
import json
import os
import re

import pytest

import torchlike as tl
from torchlike.profiler import _hooks

wired = pytest.mark.skipif(_hooks._dispatch_hooks() is None,
                           reason="dispatch has no HOOKS point for the profiler")

_HEADER = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg",
           "# of Calls"]


def _rows(table):
    lines = table.splitlines()
    assert set(lines[0].replace(" ", "")) == {"-"} and lines[0] == lines[2]
    return lines


@wired
def test_autograd_tutorial_profile_prints_table(torch):
    x = tl.randn(5, 5, requires_grad=True)
    with tl.autograd.profiler.profile(use_cuda=False) as prof:
        y = x ** 2
        y.sum().backward()
    text = str(prof)
    lines = _rows(text)
    assert re.split(r"\s{2,}", lines[1].strip()) == _HEADER
    names = [re.split(r"\s{2,}", ln.strip())[0] for ln in lines[3:-2]]
    assert names[:2] == ["aten::pow", "aten::sum"]
    assert lines[-1].startswith("Self CPU time total: ")
    # the same layout as PyTorch's: column widths from the longest name, 12 for the numbers
    t = torch.randn(5, 5, requires_grad=True)
    with torch.autograd.profiler.profile(use_cuda=False) as tprof:
        (t ** 2).sum().backward()
    tl_sep = [len(c) for c in lines[0].split()]
    t_sep = [len(c) for c in str(tprof).splitlines()[0].split()]
    assert tl_sep[1:] == t_sep[1:] == [12] * 6
    assert str(tprof).splitlines()[1].split() == lines[1].split()


@wired
def test_key_averages_counts_self_and_sorting():
    a = tl.randn(8, 8)
    with tl.profiler.profile(activities=[tl.profiler.ProfilerActivity.CPU],
                             record_shapes=True) as p:
        with tl.profiler.record_function("model_inference"):
            for _ in range(3):
                b = tl.mm(a, a)
            b.relu()
    avg = {e.key: e for e in p.key_averages()}
    assert avg["aten::mm"].count == 3 and avg["aten::relu"].count == 1
    rng = avg["model_inference"]
    kids = avg["aten::mm"].cpu_time_total + avg["aten::relu"].cpu_time_total
    assert rng.cpu_time_total >= kids
    assert abs(rng.self_cpu_time_total - (rng.cpu_time_total - kids)) < 1e-6
    assert abs(avg["aten::mm"].cpu_time - avg["aten::mm"].cpu_time_total / 3) < 1e-6
    table = p.key_averages().table(sort_by="self_cpu_time_total", row_limit=2)
    lines = _rows(table)
    assert len(lines) == 3 + 2 + 2
    selfs = sorted((e.self_cpu_time_total for e in p.key_averages()), reverse=True)
    first = re.split(r"\s{2,}", lines[3].strip())[0]
    assert avg[first].self_cpu_time_total == selfs[0]
    by_shape = p.key_averages(group_by_input_shape=True).table(sort_by="cpu_time_total")
    assert "Input Shapes" in by_shape and "[[8, 8], [8, 8]]" in by_shape
    assert p.events()[0].name == "model_inference"


@wired
def test_profile_memory_and_chrome_trace(tmp_path):
    with tl.profiler.profile(profile_memory=True) as p:
        tl.ones(4, 4) + 1
    t = p.key_averages().table()
    assert "CPU Mem" in t and "Self CPU Mem" in t and "64 B" in t
    path = str(tmp_path / "trace.json")
    p.export_chrome_trace(path)
    with open(path) as f:
        data = json.load(f)
    ev = [e for e in data["traceEvents"] if e["name"] == "aten::add"]
    assert ev and ev[0]["ph"] == "X" and ev[0]["dur"] >= 0


def test_schedule_matches_torch(torch):
    kw = dict(wait=1, warmup=1, active=2, repeat=2, skip_first=1)
    ours = tl.profiler.schedule(**kw)
    theirs = torch.profiler.schedule(**kw)
    assert [ours(i).name for i in range(12)] == [theirs(i).name for i in range(12)]
    with pytest.raises(AssertionError, match="Invalid profiler schedule arguments"):
        tl.profiler.schedule(wait=0, warmup=0, active=0)
    with pytest.warns(UserWarning, match="Profiler won't be using warmup"):
        tl.profiler.schedule(wait=0, warmup=0, active=1)


@wired
def test_schedule_steps_and_tensorboard_handler(tmp_path):
    m = tl.nn.Linear(4, 2)
    x = tl.ones(3, 4)
    ready = []
    handler = tl.profiler.tensorboard_trace_handler(str(tmp_path / "tb"))

    def on_ready(prof):
        ready.append(prof.step_num)
        handler(prof)
    with tl.profiler.profile(schedule=tl.profiler.schedule(wait=1, warmup=1, active=2,
                                                           repeat=1),
                             on_trace_ready=on_ready) as p:
        for _ in range(6):
            m(x).sum()
            p.step()
    assert ready == [4]
    files = os.listdir(tmp_path / "tb")
    assert len(files) == 1 and files[0].endswith(".pt.trace.json")
    with open(tmp_path / "tb" / files[0]) as f:
        names = [e["name"] for e in json.load(f)["traceEvents"]]
    assert [n for n in names if n.startswith("ProfilerStep")] == ["ProfilerStep#2",
                                                                  "ProfilerStep#3"]
    assert names.count("aten::addmm") == 2


@wired
def test_record_function_decorator_and_hooks_removed():
    @tl.profiler.record_function("my_fn")
    def f(a):
        return a * 2

    assert f(tl.ones(2)).tolist() == [2.0, 2.0]          # no profiler: a plain call
    with tl.autograd.profiler.profile() as p:
        f(tl.ones(2))
        with tl.autograd.profiler.record_function("outer"):
            f(tl.ones(2))
    ev = p.function_events
    outer = next(e for e in ev if e.name == "outer")
    assert [c.name for c in outer.cpu_children] == ["my_fn"]
    assert [c.name for c in outer.cpu_children[0].cpu_children] == ["aten::mul"]
    h = _hooks._dispatch_hooks()
    assert _hooks.on_op_start not in h.pre and _hooks.on_op_end not in h.post


def test_unfinished_and_disabled_profiles():
    p = tl.autograd.profiler.profile()
    with pytest.raises(RuntimeError, match="Profiler didn't finish running"):
        p.key_averages()
    with tl.autograd.profiler.profile(enabled=False) as q:
        tl.ones(2) + 1
    assert q.function_events is None
    assert tl.profiler.ProfilerActivity.CPU in tl.profiler.supported_activities()


@wired
def test_an_op_that_raises_does_not_swallow_later_events():
    with tl.profiler.profile() as p:
        try:
            tl.mm(tl.ones(2, 3), tl.ones(2, 3))
        except RuntimeError:
            pass
        try:
            tl.ones(2, 3) + tl.ones(4, 5)
        except RuntimeError:
            pass
        tl.ones(2) * 2
        with tl.profiler.record_function("r"):
            tl.ones(2) * 3
    roots = [e.name for e in p.events() if e.cpu_parent is None]
    assert roots[-2:] == ["aten::mul", "r"]
    r = next(e for e in p.events() if e.name == "r")
    assert [c.name for c in r.cpu_children] == ["aten::mul"]


@wired
def test_profiling_under_autocast_records_the_casts():
    a = tl.ones(4, 4)
    with tl.profiler.profile() as p, tl.autocast("cpu"):
        tl.mm(a, a)
    names = [e.name for e in p.events()]
    assert names == ["aten::to", "aten::to", "aten::mm"]
    assert all(e.cpu_parent is None for e in p.events())
