"""Activation checkpointing API (``torch.utils.checkpoint``).

torchlike's backward replays the recorded graph as one jitted program (``jax.vjp`` of the
replayed forward), and XLA already decides which intermediates to keep; so ``checkpoint`` runs
the function and gives exactly the gradients of running it directly. It does not (yet) lower
peak memory in eager mode. Inside ``torchlike.compile`` the same applies: XLA's rematerialisation
handles it.
"""
from __future__ import annotations

__all__ = ["checkpoint", "checkpoint_sequential"]


def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check="default",
               debug=False, preserve_rng_state=True, **kwargs):
    if use_reentrant is None:
        use_reentrant = True
    if use_reentrant and kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    return function(*args, **kwargs)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    if hasattr(functions, "children") and not isinstance(functions, (list, tuple)):
        functions = list(functions.children())
    for f in functions:
        input = f(input)
    return input
