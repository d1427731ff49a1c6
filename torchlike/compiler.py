"""torchlike.compiler: the ``torch.compiler`` helpers programs call around ``torch.compile``.

``is_compiling()`` is True while ``torchlike.compile`` (or any JAX transformation) traces the
function, so code can take a trace-friendly path, as under TorchDynamo. The decorators that
steer Dynamo's graph breaks return the function unchanged: torchlike traces every Python line.
"""
from __future__ import annotations

__all__ = ["compile", "reset", "allow_in_graph", "assume_constant_result", "disable",
           "is_compiling", "is_dynamo_compiling", "is_exporting", "list_backends",
           "cudagraph_mark_step_begin", "set_stance", "substitute_in_graph"]


def compile(*args, **kwargs):
    from ._compile import compile as _compile
    return _compile(*args, **kwargs)


def is_compiling() -> bool:
    try:
        from jax._src import core
        return bool(core.unsafe_am_i_under_a_jit())
    except (ImportError, AttributeError):   # pragma: no cover - a jax without the helper
        return False


def is_dynamo_compiling() -> bool:
    return is_compiling()


def is_exporting() -> bool:
    return False


def reset():
    """Forget compiled functions (torchlike keeps its caches per compiled object: nothing to
    do globally)."""


def allow_in_graph(fn):
    return fn


def assume_constant_result(fn):
    return fn


def substitute_in_graph(original_fn, *, can_constant_fold_through=False,
                        skip_signature_check=False):
    return lambda fn: fn


def disable(fn=None, recursive=True, *, reason=None):
    if fn is None:
        return lambda f: f
    return fn


def list_backends(exclude_tags=("debug", "experimental")):
    return ["inductor"]


def cudagraph_mark_step_begin():
    pass


class set_stance:
    """``torch.compiler.set_stance``: accepted (as a decorator or context manager) and ignored."""

    def __init__(self, stance="default", *, skip_guard_eval_unsafe=False, force_backend=None):
        self.stance = stance

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __call__(self, fn):
        return fn
