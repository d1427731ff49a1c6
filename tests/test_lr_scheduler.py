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
