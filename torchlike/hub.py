"""torchlike.hub: downloading checkpoints (``load_state_dict_from_url``, ``download_url_to_file``).

``hub.load`` / ``list`` / ``help`` are not available: PyTorch Hub imports and runs a repository's
``hubconf.py`` from GitHub, which is PyTorch code. Differs from PyTorch:
``load_state_dict_from_url`` loads with ``weights_only=True`` by default (PyTorch's default there
is ``False``), so a downloaded file can never run code; and the cache is ``$TORCH_HOME/hub`` only
when ``TORCH_HOME`` is set, else ``~/.cache/torchlike/hub``.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import tempfile
import urllib.parse
import urllib.request

_MSG = ("torchlike.hub.{} is not available: PyTorch Hub downloads and runs PyTorch code from "
        "GitHub, which torchlike cannot execute. Build the model with torchlike.nn and load a "
        "state_dict saved by PyTorch with torchlike.load (or hub.load_state_dict_from_url) "
        "instead.")
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")
_HUB_DIR = [None]


def _stub(name):
    def f(*args, **kwargs):
        raise NotImplementedError(_MSG.format(name))
    f.__name__ = name
    return f


load = _stub("load")
list = _stub("list")  # noqa: A001
help = _stub("help")  # noqa: A001


def get_dir():
    if _HUB_DIR[0] is not None:
        return _HUB_DIR[0]
    home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.join("~", ".cache")), "torch")
    return os.path.join(os.path.expanduser(home), "hub")   # PyTorch's cache, shared with it


def _get_torch_home():
    """PyTorch's private helper, which programs call: $TORCH_HOME, else ~/.cache/torch."""
    return os.path.expanduser(os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.join("~", ".cache")), "torch"))


urlparse = urllib.parse.urlparse   # torch.hub re-exports it, and programs import it from there


def set_dir(d):
    _HUB_DIR[0] = os.path.expanduser(os.fspath(d))


def download_url_to_file(url, dst, hash_prefix=None, progress=True):
    """Download ``url`` to ``dst`` (through a temporary file, renamed when complete), checking
    that its SHA-256 starts with ``hash_prefix`` when given. ``progress`` is accepted and
    ignored."""
    req = urllib.request.Request(url, headers={"User-Agent": "torch.hub"})
    dst = os.path.expanduser(os.fspath(dst))
    folder = os.path.dirname(os.path.abspath(dst))
    sha = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(dst) + ".",
                               suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(req) as resp:
            while True:
                chunk = resp.read(1 << 16)
                if not chunk:
                    break
                out.write(chunk)
                sha.update(chunk)
        if hash_prefix is not None:
            digest = sha.hexdigest()
            if digest[: len(hash_prefix)] != hash_prefix:
                raise RuntimeError(f'invalid hash value (expected "{hash_prefix}", got '
                                   f'"{digest}")')
        shutil.move(tmp, dst)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True,
                             check_hash=False, file_name=None, weights_only=True):
    """Download a checkpoint into ``model_dir`` (default ``get_dir()/checkpoints``) unless it is
    there already, and load it with ``torchlike.load`` (``weights_only=True`` by default, unlike
    PyTorch). With ``check_hash`` the file name must hold the SHA-256 prefix
    (``name-<sha256 prefix>.ext``, PyTorch's convention)."""
    from .serialization import load as _load
    model_dir = model_dir if model_dir is not None else os.path.join(get_dir(), "checkpoints")
    os.makedirs(model_dir, exist_ok=True)
    filename = file_name or os.path.basename(urllib.parse.urlparse(url).path)
    cached = os.path.join(model_dir, filename)
    if not os.path.exists(cached):
        hash_prefix = None
        if check_hash:
            m = HASH_REGEX.search(filename)
            hash_prefix = m.group(1) if m else None
        if progress:
            sys.stderr.write(f'Downloading: "{url}" to {cached}\n')
        download_url_to_file(url, cached, hash_prefix, progress=progress)
    return _load(cached, map_location=map_location, weights_only=weights_only)
