"""torchlike.vision: torchvision's datasets, transforms, models, io and utils on torchlike
tensors."""
from . import datasets, io, models, ops, transforms, utils  # noqa: F401

__version__ = "0.28.0+torchlike"


def get_image_backend():
    return "PIL"


def set_image_backend(backend):
    if backend != "PIL":
        raise ValueError(f"Invalid backend '{backend}'. Options are 'PIL'")
