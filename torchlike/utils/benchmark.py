"""``torch.utils.benchmark.Timer`` (timeit-based; results are blocked on before timing ends)."""
from __future__ import annotations

import statistics
import timeit

__all__ = ["Timer", "Measurement"]


def _fmt(t):
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if t >= scale:
            return f"{t / scale:.2f} {unit}"
    return f"{t * 1e9:.2f} ns"


class Measurement:
    def __init__(self, number_per_run, raw_times, task_spec):
        self.number_per_run = number_per_run
        self.raw_times = list(raw_times)
        self.task_spec = task_spec

    @property
    def times(self):
        return [t / self.number_per_run for t in self.raw_times]

    @property
    def mean(self):
        return statistics.mean(self.times)

    @property
    def median(self):
        return statistics.median(self.times)

    @property
    def iqr(self):
        ts = sorted(self.times)
        if len(ts) < 2:
            return 0.0
        q = statistics.quantiles(ts, n=4)
        return q[2] - q[0]

    @property
    def title(self):
        return self.task_spec["label"] or self.task_spec["stmt"]

    def __repr__(self):
        s = self.task_spec
        lines = [f"<torch.utils.benchmark.utils.common.Measurement object at {hex(id(self))}>"]
        lines.append(s["label"] if s["label"] else s["stmt"])
        if s["label"]:
            lines.append(s["stmt"])
        if s["setup"] and s["setup"] != "pass":
            lines.append(f"setup: {s['setup']}")
        n = len(self.raw_times)
        if n > 1:
            lines.append(f"  Median: {_fmt(self.median)}")
            lines.append(f"  IQR:    {_fmt(self.iqr)}")
        else:
            lines.append(f"  {_fmt(self.median)}")
        lines.append(f"  {n} measurement{'s' if n != 1 else ''}, {self.number_per_run} runs "
                     f"per measurement, {s['num_threads']} thread")
        return "\n".join(lines)


class Timer:
    def __init__(self, stmt="pass", setup="pass", global_setup="", timer=timeit.default_timer,
                 globals=None, label=None, sub_label=None, description=None, env=None,
                 num_threads=1, language="python"):
        self._spec = {"stmt": stmt, "setup": setup, "label": label, "sub_label": sub_label,
                      "description": description, "num_threads": num_threads}
        g = dict(globals or {})
        import torchlike
        g.setdefault("torch", torchlike)
        sync = "\n_tl_sync()"
        g["_tl_sync"] = _sync
        self._timer = timeit.Timer(stmt=stmt + sync, setup=setup, timer=timer, globals=g)

    def timeit(self, number=1000000):
        self._timer.timeit(number=max(1, number // 100))  # warm up (compiles kernels)
        return Measurement(number, [self._timer.timeit(number=number)], self._spec)

    def repeat(self, repeat=-1, number=-1):
        raise NotImplementedError("Timer.repeat is not supported; use timeit or "
                                  "blocked_autorange")

    def autorange(self, callback=None):
        return self._timer.autorange(callback)

    def blocked_autorange(self, callback=None, min_run_time=0.2):
        number, _ = self._timer.autorange()
        number = max(1, number // 10)
        times, total = [], 0.0
        while total < min_run_time or not times:
            t = self._timer.timeit(number=number)
            if callback:
                callback(number, t)
            times.append(t)
            total += t
        return Measurement(number, times, self._spec)

    def adaptive_autorange(self, threshold=0.1, *, min_run_time=0.01, max_run_time=10.0,
                           callback=None):
        return self.blocked_autorange(callback=callback, min_run_time=max(min_run_time, 0.2))


def _sync():
    import jax
    jax.effects_barrier()
