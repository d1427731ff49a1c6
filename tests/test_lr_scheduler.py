"""lr_scheduler: every scheduler's lr sequence equals PyTorch's; warnings; state dicts."""
from __future__ import annotations

import math
import warnings

import pytest

import torchlike

EPOCHS = 30


def _opt(mod, lr=0.1, groups=1):
    ps = [mod.zeros(2, requires_grad=True) for _ in range(groups)]
    if groups == 1:
        return mod.optim.SGD(ps, lr=lr, momentum=0.9)
    return mod.optim.SGD([{"params": [p], "lr": lr * (i + 1)} for i, p in enumerate(ps)],
                         lr=lr, momentum=0.9)


def _lambda(e):
    return 0.95 ** e


def _mult(e):
    return 0.9


def _flat(rows):
    return [x for r in rows for x in r]

FACTORIES = {
    "StepLR": lambda m, o: m.optim.lr_scheduler.StepLR(o, step_size=7, gamma=0.5),
    "MultiStepLR": lambda m, o: m.optim.lr_scheduler.MultiStepLR(o, milestones=[3, 8, 8, 20],
                                                                gamma=0.3),
    "ExponentialLR": lambda m, o: m.optim.lr_scheduler.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda m, o: m.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10,
                                                                            eta_min=0.001),
    "CosineAnnealingWarmRestarts": lambda m, o: m.optim.lr_scheduler.CosineAnnealingWarmRestarts(
        o, T_0=4, T_mult=2, eta_min=0.01),
    "LambdaLR": lambda m, o: m.optim.lr_scheduler.LambdaLR(o, lr_lambda=_lambda),
    "MultiplicativeLR": lambda m, o: m.optim.lr_scheduler.MultiplicativeLR(o, lr_lambda=_mult),
    "LinearLR": lambda m, o: m.optim.lr_scheduler.LinearLR(o, start_factor=0.25, total_iters=8),
    "ConstantLR": lambda m, o: m.optim.lr_scheduler.ConstantLR(o, factor=0.5, total_iters=5),
    "OneCycleLR": lambda m, o: m.optim.lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=31),
    "OneCycleLR-linear-3phase": lambda m, o: m.optim.lr_scheduler.OneCycleLR(
        o, max_lr=0.5, epochs=4, steps_per_epoch=8, anneal_strategy="linear",
        three_phase=True),
    "CyclicLR": lambda m, o: m.optim.lr_scheduler.CyclicLR(o, base_lr=0.01, max_lr=0.1,
                                                          step_size_up=4),
    "CyclicLR-triangular2": lambda m, o: m.optim.lr_scheduler.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=5, mode="triangular2"),
    "CyclicLR-exp_range": lambda m, o: m.optim.lr_scheduler.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=3, mode="exp_range", gamma=0.9),
    "PolynomialLR": lambda m, o: m.optim.lr_scheduler.PolynomialLR(o, total_iters=12, power=2.0),
    "SequentialLR": lambda m, o: m.optim.lr_scheduler.SequentialLR(
        o, schedulers=[m.optim.lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=5),
                       m.optim.lr_scheduler.ExponentialLR(o, gamma=0.9)], milestones=[5]),
    "ChainedScheduler": lambda m, o: m.optim.lr_scheduler.ChainedScheduler(
        [m.optim.lr_scheduler.ConstantLR(o, factor=0.5, total_iters=4),
         m.optim.lr_scheduler.ExponentialLR(o, gamma=0.9)]),
}


def _sequence(mod, name, groups=1):
    opt = _opt(mod, groups=groups)
    sched = FACTORIES[name](mod, opt)
    lrs, moms = [sched.get_last_lr()], []
    for _ in range(EPOCHS):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr())
        moms.append([g["momentum"] for g in opt.param_groups])
    return lrs, moms


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_sequence_matches_torch(torch, name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = _sequence(torchlike, name, groups=2)
        theirs = _sequence(torch, name, groups=2)
    assert len(ours[0]) == EPOCHS + 1
    for a, b in zip(ours[0], theirs[0]):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-15)
    for a, b in zip(ours[1], theirs[1]):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-15)


def _plateau(mod, **kw):
    opt = _opt(mod)
    sched = mod.optim.lr_scheduler.ReduceLROnPlateau(opt, **kw)
    metrics = [1.0, 0.9, 0.9, 0.95, 0.91, 0.9, 0.89, 0.9, 0.9, 0.9, 0.9, 0.5, 0.5, 0.6, 0.7,
               0.8, 0.9, 1.0, 1.0, 1.0, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4]
    out = []
    for m in metrics:
        opt.step()
        sched.step(m)
        out.append(sched.get_last_lr())
    return out


@pytest.mark.parametrize("kw", [{}, dict(patience=2, factor=0.5),
                                dict(mode="max", patience=1, threshold_mode="abs",
                                     threshold=0.01, cooldown=2),
                                dict(patience=0, min_lr=0.02, factor=0.3)])
def test_reduce_on_plateau_matches_torch(torch, kw):
    assert _flat(_plateau(torchlike, **kw)) == pytest.approx(_flat(_plateau(torch, **kw)))


def test_warning_when_scheduler_steps_first(torch):
    def warn_texts(mod):
        opt = _opt(mod)
        sched = mod.optim.lr_scheduler.StepLR(opt, step_size=2)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            sched.step()
        return [str(x.message) for x in w]

    ours, theirs = warn_texts(torchlike), warn_texts(torch)
    assert ours == theirs
    assert any("Detected call of `lr_scheduler.step()` before `optimizer.step()`" in t
               for t in ours)


def test_no_warning_in_the_right_order():
    opt = _opt(torchlike)
    sched = torchlike.optim.lr_scheduler.StepLR(opt, step_size=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        sched.step()


def test_get_lr_outside_step_warns(torch):
    def texts(mod):
        sched = mod.optim.lr_scheduler.StepLR(_opt(mod), step_size=2)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            sched.get_lr()
        return [str(x.message) for x in w]

    assert texts(torchlike) == texts(torch)


def test_state_dict_round_trip():
    opt = _opt(torchlike)
    sched = torchlike.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)
    for _ in range(4):
        opt.step()
        sched.step()
    sd = sched.state_dict()
    assert sd["last_epoch"] == 4 and "optimizer" not in sd
    expected = []
    for _ in range(5):
        opt.step()
        sched.step()
        expected.append(sched.get_last_lr())

    opt2 = _opt(torchlike)
    sched2 = torchlike.optim.lr_scheduler.CosineAnnealingLR(opt2, T_max=10)
    sched2.load_state_dict(sd)
    opt2.param_groups[0]["lr"] = sd["_last_lr"][0]
    got = []
    for _ in range(5):
        opt2.step()
        sched2.step()
        got.append(sched2.get_last_lr())
    assert _flat(got) == pytest.approx(_flat(expected))


def test_state_dict_keys_match_torch(torch):
    for name in ("StepLR", "OneCycleLR", "SequentialLR", "CyclicLR"):
        ours = FACTORIES[name](torchlike, _opt(torchlike)).state_dict()
        theirs = FACTORIES[name](torch, _opt(torch)).state_dict()
        assert sorted(ours) == sorted(theirs), name


def test_tensor_lr_is_updated_in_place():
    lr = torchlike.tensor(0.1)
    opt = torchlike.optim.SGD([torchlike.zeros(2, requires_grad=True)], lr=lr)
    sched = torchlike.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] is lr
    assert math.isclose(lr.item(), 0.05, rel_tol=1e-6)


def test_errors(torch):
    opt = _opt(torchlike)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        torchlike.optim.lr_scheduler.StepLR(object(), step_size=1)
    with pytest.raises(ValueError):
        torchlike.optim.lr_scheduler.LinearLR(opt, start_factor=2.0)
    with pytest.raises(KeyError, match="initial_lr"):
        torchlike.optim.lr_scheduler.StepLR(_opt(torchlike), step_size=1, last_epoch=3)


# ---- every path compared with torch: explicit epochs, composition, momentum, errors, state ----

def _opt2(mod, kind="SGD", lr=0.1):
    """Two param groups (lr and 2 * lr) of an SGD with momentum, an Adam or an Adagrad."""
    ps = [mod.zeros(2, requires_grad=True) for _ in range(2)]
    groups = [{"params": [p], "lr": lr * (i + 1)} for i, p in enumerate(ps)]
    if kind == "Adam":
        return mod.optim.Adam(groups, lr=lr, betas=(0.9, 0.99))
    if kind == "Adagrad":
        return mod.optim.Adagrad(groups, lr=lr)
    return mod.optim.SGD(groups, lr=lr, momentum=0.9)


class _Scale:
    """A callable object (its __dict__ goes into state dicts, unlike a function's)."""

    def __init__(self, rate):
        self.rate = rate

    def __call__(self, x):
        return self.rate ** x


def _half_life(x):
    return 1.0 / (1.0 + 0.1 * x)


def _norm(v):
    """Values of lrs, momenta and state dicts as plain Python (floats, lists, dicts)."""
    if isinstance(v, dict):
        return {k: _norm(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_norm(x) for x in v]
    if hasattr(v, "item") and not isinstance(v, (int, float)):
        return v.item()
    return v


def _same(a, b):
    a, b = _norm(a), _norm(b)
    if isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), (list(a), list(b))
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), (a, b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-15) or (math.isnan(a) and math.isnan(b))
    else:
        assert a == b, (a, b)


def _drive(mod, build, actions, kind="SGD"):
    """Run `actions` ("s": step(), a number: step(epoch=that), ("m", x): step(x)); record the
    lrs, momenta/betas, warnings after each, and the error that stops the run, if any."""
    log = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            opt = _opt2(mod, kind)
            sched = build(mod.optim.lr_scheduler, opt)
            log.append(("init", sched.get_last_lr()))
            for a in actions:
                opt.step()
                if a == "s":
                    sched.step()
                elif isinstance(a, tuple):
                    sched.step(a[1])
                else:
                    sched.step(epoch=a)
                log.append((sched.get_last_lr(), [g["lr"] for g in opt.param_groups],
                            [g.get("momentum", g.get("betas")) for g in opt.param_groups],
                            getattr(sched, "last_epoch", None)))
        except Exception as e:  # noqa: BLE001 - compared with torch's
            log.append((type(e).__name__, str(e)))
        log.append([str(w.message) for w in caught])
    return log


def _compare(torch, build, actions, kind="SGD"):
    ours = _drive(torchlike, build, actions, kind)
    theirs = _drive(torch, build, actions, kind)
    _same(ours, theirs)
    return ours


EPOCH_RUN = ["s", "s", 5, "s", 3, 3, 12, "s", "s", 0, "s", 7, 20, "s", 1, "s", "s"]
CLOSED_FORM = {  # (each takes last_epoch=... through **k)
    "StepLR": lambda s, o, **k: s.StepLR(o, step_size=3, gamma=0.5, **k),
    "MultiStepLR": lambda s, o, **k: s.MultiStepLR(o, milestones=[2, 6, 6, 13], gamma=0.3, **k),
    "ConstantLR": lambda s, o, **k: s.ConstantLR(o, factor=0.25, total_iters=4, **k),
    "LinearLR": lambda s, o, **k: s.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=6,
                                             **k),
    "ExponentialLR": lambda s, o, **k: s.ExponentialLR(o, gamma=0.8, **k),
    "PolynomialLR": lambda s, o, **k: s.PolynomialLR(o, total_iters=9, power=1.5, **k),
    "CosineAnnealingLR": lambda s, o, **k: s.CosineAnnealingLR(o, T_max=6, eta_min=0.01, **k),
    "LambdaLR": lambda s, o, **k: s.LambdaLR(o, [_half_life, lambda e: 0.9 ** e], **k),
    "MultiplicativeLR": lambda s, o, **k: s.MultiplicativeLR(o, lambda e: 0.95, **k),
    "CyclicLR": lambda s, o, **k: s.CyclicLR(o, 0.01, [0.1, 0.2], step_size_up=3,
                                             step_size_down=2, **k),
    "OneCycleLR": lambda s, o, **k: s.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=25, **k),
    "CosineAnnealingWarmRestarts": lambda s, o, **k: s.CosineAnnealingWarmRestarts(
        o, 3, T_mult=2, **k),
}


@pytest.mark.parametrize("name", sorted(CLOSED_FORM))
def test_step_with_epoch_matches_torch(torch, name):
    """step(epoch) uses the closed form where there is one, the chainable get_lr elsewhere;
    with the deprecation warning (not for CosineAnnealingWarmRestarts) and ordering warnings."""
    log = _compare(torch, CLOSED_FORM[name], EPOCH_RUN)
    assert len(log) == len(EPOCH_RUN) + 2


@pytest.mark.parametrize("name", sorted(CLOSED_FORM))
def test_resume_with_last_epoch_matches_torch(torch, name):
    """last_epoch >= 0 (the groups already hold initial_lr from an earlier scheduler)."""
    def build(s, o):
        CLOSED_FORM[name](s, o)
        return CLOSED_FORM[name](s, o, last_epoch=4)

    _compare(torch, build, ["s"] * 6)


@pytest.mark.parametrize("T_mult", [1, 3])
def test_warm_restarts_fractional_epochs(torch, T_mult):
    build = lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=T_mult, eta_min=0.005)
    _compare(torch, build, [0.5, 1.7, 2.0, "s", 4.2, 13.9, "s", "s", 40.25, 1, "s", -1])


COMPOSED = {
    "three-phases": lambda s, o: s.SequentialLR(o, [
        s.ConstantLR(o, factor=0.5, total_iters=2), s.CosineAnnealingLR(o, T_max=5),
        s.StepLR(o, step_size=2, gamma=0.5)], milestones=[3, 9]),
    "lambda-then-restarts": lambda s, o: s.SequentialLR(o, [
        s.LambdaLR(o, _half_life), s.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2)],
        milestones=[4]),
    "milestone-at-0": lambda s, o: s.SequentialLR(o, [
        s.ExponentialLR(o, gamma=0.5), s.LinearLR(o, start_factor=0.5, total_iters=3)],
        milestones=[0]),
    "chained-three": lambda s, o: s.ChainedScheduler([
        s.LinearLR(o, start_factor=0.1, total_iters=4), s.MultiStepLR(o, [5, 9], gamma=0.5),
        s.ExponentialLR(o, gamma=0.95)]),
    "chained-with-sequential": lambda s, o: s.ChainedScheduler([
        s.SequentialLR(o, [s.ConstantLR(o, factor=0.2, total_iters=2),
                           s.ExponentialLR(o, gamma=0.9)], milestones=[3]),
        s.StepLR(o, step_size=4, gamma=0.5)], optimizer=o),
    "sequential-of-chained": lambda s, o: s.SequentialLR(o, [
        s.ChainedScheduler([s.ConstantLR(o, factor=0.5, total_iters=3),
                            s.ExponentialLR(o, gamma=0.9)]),
        s.PolynomialLR(o, total_iters=4)], milestones=[5]),
}


@pytest.mark.parametrize("name", sorted(COMPOSED))
def test_composition_matches_torch(torch, name):
    _compare(torch, COMPOSED[name], ["s"] * 14)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = [COMPOSED[name](m.optim.lr_scheduler, _opt2(m)) for m in (torchlike, torch)]
    _same(ours.state_dict(), theirs.state_dict())


@pytest.mark.parametrize("kw", [
    dict(mode="max", threshold_mode="rel", threshold=0.1, patience=1),
    dict(mode="min", threshold_mode="abs", threshold=0.05, patience=1, cooldown=3),
    dict(patience=0, min_lr=[0.05, 0.01], factor=0.5),
    dict(patience=0, factor=0.9, eps=0.02),
])
def test_reduce_on_plateau_modes_match_torch(torch, kw):
    metrics = [1.0, 0.99, 0.98, 1.1, 0.5, 0.52, 0.51, 0.6, 0.7, 0.3, 0.3, 0.31, 0.2, 0.2, 0.2]
    run = [("m", x) for x in metrics] + [("m", 0.1)]
    build = lambda s, o: s.ReduceLROnPlateau(o, **kw)
    _compare(torch, build, run)
    states = []
    for m in (torchlike, torch):
        sched = build(m.optim.lr_scheduler, _opt2(m))
        for x in metrics[:7]:
            sched.step(x)
        states.append(sched.state_dict())
    _same(*states)


def test_reduce_on_plateau_epoch_and_tensor_metric(torch):
    def build(s, o):
        sched = s.ReduceLROnPlateau(o, patience=0)
        mod = torchlike if s is torchlike.optim.lr_scheduler else torch
        sched.step(mod.tensor(2.0))  # a 0-d tensor metric
        sched.step(3.0, epoch=7)
        return sched
    _compare(torch, build, [("m", 4.0), ("m", 1.0)])


@pytest.mark.parametrize("kw,kind", [
    (dict(mode="exp_range", gamma=0.95, step_size_up=2), "SGD"),
    (dict(scale_fn=_half_life, scale_mode="iterations", step_size_up=3), "SGD"),
    (dict(scale_fn=_Scale(0.8), step_size_up=2, step_size_down=4), "Adam"),
    (dict(mode="triangular2", step_size_up=2, base_momentum=[0.7, 0.8],
          max_momentum=0.95), "SGD"),
    (dict(step_size_up=2, cycle_momentum=False), "Adagrad"),
])
def test_cyclic_modes_match_torch(torch, kw, kind):
    build = lambda s, o: s.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=0.1, **kw)
    _compare(torch, build, ["s"] * 20, kind)


@pytest.mark.parametrize("kw,kind", [
    (dict(three_phase=True), "SGD"),
    (dict(anneal_strategy="linear", pct_start=0.4), "Adam"),
    (dict(epochs=3, steps_per_epoch=5, three_phase=True, anneal_strategy="linear",
          div_factor=10.0, final_div_factor=100.0, base_momentum=[0.8, 0.85]), "Adam"),
    (dict(cycle_momentum=False), "Adagrad"),
])
def test_one_cycle_variants_match_torch(torch, kw, kind):
    kw = {"total_steps": 15, **kw} if "epochs" not in kw else kw
    build = lambda s, o: s.OneCycleLR(o, max_lr=[0.5, 1.0], **kw)
    _compare(torch, build, ["s"] * 16, kind)  # the 16th step is past the end: ValueError


ALL = {**CLOSED_FORM, **COMPOSED,
       "ReduceLROnPlateau": lambda s, o: s.ReduceLROnPlateau(o, patience=1),
       "CyclicLR-scale_obj": lambda s, o: s.CyclicLR(o, 0.01, 0.1, scale_fn=_Scale(0.9)),
       "LambdaLR-obj": lambda s, o: s.LambdaLR(o, _Scale(0.9))}


@pytest.mark.parametrize("name", sorted(ALL))
def test_state_dict_round_trip_matches_torch(torch, name):
    """The state dict mid-run equals torch's (keys in order, values); loading it into a fresh
    scheduler continues the same sequence."""
    plateau = name == "ReduceLROnPlateau"

    def go(mod):
        s = mod.optim.lr_scheduler
        opt = _opt2(mod)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sched = ALL[name](s, opt)
            for _ in range(5):
                opt.step()
                sched.step(*[1.0] * plateau)
            sd = sched.state_dict()
            opt2 = _opt2(mod)
            sched2 = ALL[name](s, opt2)
            for g2, g in zip(opt2.param_groups, opt.param_groups):
                g2.update({k: v for k, v in g.items() if k != "params"})
            sched2.load_state_dict(sd)
            after = []
            for _ in range(5):
                opt2.step()
                sched2.step(*[1.0] * plateau)
                after.append(sched2.get_last_lr())
        return sd, sched2.state_dict(), after

    _same(go(torchlike), go(torch))


def test_callable_state_is_saved_and_restored():
    s = torchlike.optim.lr_scheduler
    sched = s.LambdaLR(_opt2(torchlike), [_Scale(0.5), _half_life])
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [{"rate": 0.5}, None] and list(sd)[-1] == "lr_lambdas"
    sd["lr_lambdas"][0]["rate"] = 0.25
    other = s.LambdaLR(_opt2(torchlike), [_Scale(0.5), _half_life])
    other.load_state_dict(sd)
    assert other.lr_lambdas[0].rate == 0.25 and "lr_lambdas" in sd
    cyc = s.CyclicLR(_opt2(torchlike), 0.01, 0.1, scale_fn=_Scale(0.7))
    csd = cyc.state_dict()
    assert csd["_scale_fn_custom"] == {"rate": 0.7} and "_scale_fn_ref" not in csd
    assert "_scale_fn_ref" not in s.CyclicLR(_opt2(torchlike), 0.01, 0.1).state_dict()


def test_module_surface_matches_torch(torch):
    ours, theirs = torchlike.optim.lr_scheduler, torch.optim.lr_scheduler
    assert ours.__all__ == theirs.__all__
    assert ours._LRScheduler.__name__ == "_LRScheduler"
    assert issubclass(ours._LRScheduler, ours.LRScheduler)
    assert ours.EPOCH_DEPRECATION_WARNING == theirs.EPOCH_DEPRECATION_WARNING
    import inspect
    for name in ours.__all__:
        a, b = getattr(ours, name), getattr(theirs, name)
        assert inspect.signature(a).parameters.keys() == inspect.signature(b).parameters.keys()
        for p, q in zip(inspect.signature(a).parameters.values(),
                        inspect.signature(b).parameters.values()):
            assert p.default == q.default, (name, p.name)
        for meth in ("step", "get_lr", "state_dict", "load_state_dict", "get_last_lr"):
            assert (inspect.signature(getattr(a, meth)).parameters.keys()
                    == inspect.signature(getattr(b, meth)).parameters.keys()), (name, meth)
        assert hasattr(a, "_get_closed_form_lr") == hasattr(b, "_get_closed_form_lr"), name


def test_overridden_optimizer_step_warns_as_torch(torch):
    def build(s, o):
        sched = s.StepLR(o, step_size=2)
        o.step = lambda *a, **k: None  # replaced after the scheduler wrapped it
        return sched
    log = _compare(torch, build, ["s", "s"])
    assert any("has been overridden" in t for t in log[-1])


def test_optimizer_step_wrapped_once():
    opt = _opt2(torchlike)
    torchlike.optim.lr_scheduler.StepLR(opt, step_size=2)
    wrapped = opt.step
    torchlike.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    assert opt.step is wrapped and wrapped._wrapped_by_lr_sched
    assert not getattr(opt, "_opt_called", False)
    opt.step()
    assert opt._opt_called is True


def test_get_lr_outside_step_warns_for_every_scheduler(torch):
    for name in sorted(CLOSED_FORM):
        texts = []
        for m in (torchlike, torch):
            sched = CLOSED_FORM[name](m.optim.lr_scheduler, _opt2(m))
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                sched.get_lr()
            texts.append([str(x.message) for x in w])
        assert texts[0] == texts[1] and len(texts[0]) == 1, name


def _other_opt(mod):
    return mod.optim.SGD([mod.zeros(1, requires_grad=True)], lr=0.5, momentum=0.9)


class _NoOpt:
    pass


BAD = {
    "not-an-optimizer": lambda m, s, o: s.StepLR(object(), 1),
    "lambda-count": lambda m, s, o: s.LambdaLR(o, [_half_life]),
    "lambda-not-callable": lambda m, s, o: s.MultiplicativeLR(o, 0.5),
    "constant-factor": lambda m, s, o: s.ConstantLR(o, factor=1.5),
    "linear-start": lambda m, s, o: s.LinearLR(o, start_factor=0),
    "linear-end": lambda m, s, o: s.LinearLR(o, end_factor=-0.1),
    "resume-no-initial": lambda m, s, o: s.ExponentialLR(o, 0.5, last_epoch=2),
    "seq-empty": lambda m, s, o: s.SequentialLR(o, [], []),
    "seq-milestones": lambda m, s, o: s.SequentialLR(o, [s.StepLR(o, 1)], [3]),
    "seq-plateau": lambda m, s, o: s.SequentialLR(o, [s.StepLR(o, 1), s.ReduceLROnPlateau(o)],
                                                  [2]),
    "seq-no-optimizer": lambda m, s, o: s.SequentialLR(o, [_NoOpt()], []),
    "seq-other-opt": lambda m, s, o: s.SequentialLR(o, [s.StepLR(_other_opt(m), 1)], []),
    "chain-empty": lambda m, s, o: s.ChainedScheduler([]),
    "chain-no-optimizer": lambda m, s, o: s.ChainedScheduler([s.StepLR(o, 1), _NoOpt()]),
    "plateau-factor": lambda m, s, o: s.ReduceLROnPlateau(o, factor=1.0),
    "plateau-mode": lambda m, s, o: s.ReduceLROnPlateau(o, mode="avg"),
    "plateau-threshold-mode": lambda m, s, o: s.ReduceLROnPlateau(o, threshold_mode="pct"),
    "plateau-min-lrs": lambda m, s, o: s.ReduceLROnPlateau(o, min_lr=[0.1]),
    "cyclic-mode": lambda m, s, o: s.CyclicLR(o, 0.01, 0.1, mode="saw"),
    "cyclic-base-len": lambda m, s, o: s.CyclicLR(o, [0.01], 0.1),
    "cyclic-momentum-len": lambda m, s, o: s.CyclicLR(o, 0.01, 0.1, base_momentum=[0.1],
                                                      max_momentum=[0.1]),
    "cyclic-no-momentum": lambda m, s, o: s.CyclicLR(
        m.optim.Adagrad([m.zeros(1, requires_grad=True)]), 0.01, 0.1),
    "restarts-T_0": lambda m, s, o: s.CosineAnnealingWarmRestarts(o, T_0=0),
    "restarts-T_0-float": lambda m, s, o: s.CosineAnnealingWarmRestarts(o, T_0=2.5),
    "restarts-T_0-str": lambda m, s, o: s.CosineAnnealingWarmRestarts(o, T_0="3"),
    "restarts-T_mult": lambda m, s, o: s.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0),
    "restarts-T_mult-str": lambda m, s, o: s.CosineAnnealingWarmRestarts(o, T_0=2, T_mult="2"),
    "restarts-eta_min": lambda m, s, o: s.CosineAnnealingWarmRestarts(o, 2, eta_min="0"),
    "onecycle-no-steps": lambda m, s, o: s.OneCycleLR(o, 1.0, epochs=3),
    "onecycle-total": lambda m, s, o: s.OneCycleLR(o, 1.0, total_steps=-2),
    "onecycle-total-str": lambda m, s, o: s.OneCycleLR(o, 1.0, total_steps="9"),
    "onecycle-epochs": lambda m, s, o: s.OneCycleLR(o, 1.0, epochs=0, steps_per_epoch=3),
    "onecycle-epochs-str": lambda m, s, o: s.OneCycleLR(o, 1.0, epochs="2", steps_per_epoch=3),
    "onecycle-spe": lambda m, s, o: s.OneCycleLR(o, 1.0, epochs=2, steps_per_epoch=1.5),
    "onecycle-pct": lambda m, s, o: s.OneCycleLR(o, 1.0, total_steps=10, pct_start=1.5),
    "onecycle-pct-int": lambda m, s, o: s.OneCycleLR(o, 1.0, total_steps=10, pct_start=1),
    "onecycle-anneal": lambda m, s, o: s.OneCycleLR(o, 1.0, total_steps=10,
                                                    anneal_strategy="exp"),
    "onecycle-max-len": lambda m, s, o: s.OneCycleLR(o, [1.0], total_steps=10),
    "onecycle-momentum-len": lambda m, s, o: s.OneCycleLR(o, 1.0, total_steps=10,
                                                          base_momentum=[0.1, 0.2, 0.3],
                                                          max_momentum=[0.9]),
    "verbose-gone": lambda m, s, o: s.StepLR(o, 1, verbose=True),
    "base-get_lr": lambda m, s, o: s.LRScheduler(o),
    "plateau-get_lr": lambda m, s, o: s.ReduceLROnPlateau(o).get_lr(),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_errors_match_torch(torch, name):
    def err(m):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(Exception) as info:
                BAD[name](m, m.optim.lr_scheduler, _opt2(m))
        return type(info.value).__name__, str(info.value)

    assert err(torchlike) == err(torch)


def test_tensor_lr_sequences_equal_float_ones():
    def run(lr, name):
        opt = torchlike.optim.SGD([torchlike.zeros(2, requires_grad=True)], lr=lr, momentum=0.9)
        sched = CLOSED_FORM[name](torchlike.optim.lr_scheduler, opt)
        out = [float(x) for x in sched.get_last_lr()]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for a in ["s", "s", 4, "s"]:
                opt.step()
                sched.step() if a == "s" else sched.step(a)
                out += [float(x) for x in sched.get_last_lr()]
        assert isinstance(opt.param_groups[0]["lr"], type(lr))
        return out

    for name in ("StepLR", "CosineAnnealingLR", "LinearLR", "PolynomialLR"):
        expected = run(0.1, name)
        assert run(torchlike.tensor(0.1), name) == pytest.approx(expected, rel=1e-6), name
