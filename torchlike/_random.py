"""Random number generators whose state is a Tensor (so compile can lift it)."""
from __future__ import annotations

import threading
import time

import jax
import jax.numpy as jnp
import numpy as np

from . import _dtype as D
from ._tensor import Tensor, _new


class Generator:
    """PyTorch's Generator on a jax PRNG key held in a uint32 Tensor (`_key`)."""

    def __init__(self, device="cpu"):
        self.device = device
        self._seed = 67280421310721
        self._key = _new(jax.random.key_data(jax.random.PRNGKey(self._seed)))

    def manual_seed(self, seed):
        seed = int(seed)
        self._seed = seed
        self._key._data = jax.random.key_data(jax.random.PRNGKey(seed & 0xFFFFFFFFFFFFFFFF))
        return self

    def seed(self):
        s = int(time.time_ns()) & 0xFFFFFFFFFFFF
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        return _new(jnp.asarray(np.asarray(self._key._v).view(np.uint8)))

    def set_state(self, state):
        if not isinstance(state, Tensor) or state.dtype is not D.uint8:
            raise TypeError("expected a torch.ByteTensor as the RNG state")
        self._key._data = jnp.asarray(np.asarray(state._v).view(np.uint32))

    def next_key(self):
        """Split the key: advance this generator's state and return a fresh subkey (one
        thread at a time, so concurrent draws never reuse a key)."""
        with _LOCK:
            new, sub = _split(self._key._v)
            self._key._data = new
        return sub


_LOCK = threading.Lock()


@jax.jit
def _split(k):
    k1, k2 = jax.random.split(jax.random.wrap_key_data(k))
    return jax.random.key_data(k1), k2


default_generator = Generator()


def gen(generator):
    return default_generator if generator is None else generator


def manual_seed(seed):
    default_generator.manual_seed(seed)
    return default_generator


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state):
    default_generator.set_state(state)
