"""torchlike.onnx: not available (export a jax function with jax.export / jax2tf instead)."""
from __future__ import annotations

_MSG = ("torchlike.onnx.{} is not available: torchlike programs are JAX programs. Export them "
        "with jax.export (StableHLO), or through jax2tf and tf2onnx, instead of torch.onnx.")


def export(*args, **kwargs):
    raise NotImplementedError(_MSG.format("export"))


def dynamo_export(*args, **kwargs):
    raise NotImplementedError(_MSG.format("dynamo_export"))


def is_in_onnx_export():
    return False
