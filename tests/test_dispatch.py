"""The dispatch hook point (`registry.HOOKS`): pre-hooks may replace an op's arguments,
post-hooks see its result; anomaly mode is a post-hook present only while it is on."""
from __future__ import annotations

import numpy as np
import pytest

import torchlike as torch
from torchlike._ops.registry import HOOKS


def test_pre_hook_replaces_args_and_post_hook_sees_output():
    seen = []
    ten = torch.tensor(10.0)

    def pre(op, args, static):
        if op.name == "mul":
            return (args[0], ten)

    def post(op, args, static, out):
        seen.append((op.name, float(np.asarray(out._v).sum())))   # no ops inside a hook

    HOOKS.add("pre", pre)
    HOOKS.add("post", post)
    try:
        y = torch.tensor([1.0, 2.0]) * 3.0
    finally:
        HOOKS.remove("pre", pre)
        HOOKS.remove("post", post)
    np.testing.assert_allclose(y.numpy(), [10.0, 20.0])
    assert ("mul", 30.0) in seen
    assert pre not in HOOKS.pre and post not in HOOKS.post
    np.testing.assert_allclose((torch.tensor([1.0]) * 3.0).numpy(), [3.0])


def test_anomaly_mode_is_a_hook_only_while_on():
    n = len(HOOKS.post)
    with torch.autograd.detect_anomaly():
        assert len(HOOKS.post) == n + 1
        with pytest.raises(RuntimeError, match="returned nan values"):
            torch.log(torch.tensor([-1.0]))
    assert len(HOOKS.post) == n
    torch.log(torch.tensor([-1.0]))        # no error outside the mode
