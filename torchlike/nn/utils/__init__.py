"""`torchlike.nn.utils`."""
from __future__ import annotations

from . import parametrize, prune, rnn  # noqa: F401
from . import parametrizations  # noqa: F401
from .clip_grad import clip_grad_norm, clip_grad_norm_, clip_grad_value_, get_total_norm  # noqa
from .convert_parameters import parameters_to_vector, vector_to_parameters  # noqa: F401


def weight_norm(module, name="weight", dim=0):
    from .parametrize import _weight_norm
    return _weight_norm(module, name, dim)


def spectral_norm(*args, **kwargs):
    raise NotImplementedError("torchlike does not implement spectral_norm yet")
