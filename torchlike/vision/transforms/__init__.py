from .transforms import *  # noqa: F401,F403
from .transforms import InterpolationMode  # noqa: F401
from . import functional  # noqa: F401
