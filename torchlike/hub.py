"""torchlike.hub: not available (PyTorch Hub loads torch code and weights from GitHub)."""
from __future__ import annotations

_MSG = ("torchlike.hub.{} is not available: PyTorch Hub downloads and runs PyTorch code from "
        "GitHub, which torchlike cannot execute. Build the model with torchlike.nn and load a "
        "state_dict saved by PyTorch with torchlike.load instead.")


def _stub(name):
    def f(*args, **kwargs):
        raise NotImplementedError(_MSG.format(name))
    f.__name__ = name
    return f


load = _stub("load")
list = _stub("list")  # noqa: A001
help = _stub("help")  # noqa: A001
load_state_dict_from_url = _stub("load_state_dict_from_url")
download_url_to_file = _stub("download_url_to_file")


def get_dir():
    import os
    return os.path.join(os.path.expanduser("~"), ".cache", "torchlike", "hub")


def set_dir(d):
    raise NotImplementedError(_MSG.format("set_dir"))
