"""``torch`` / ``torchvision`` module aliases for ``python -m torchlike script.py``."""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys

# alias prefix -> torchlike module it maps to
ALIASES = {"torch": "torchlike", "torchvision": "torchlike.vision"}


def _target(name):
    for alias, real in ALIASES.items():
        if name == alias:
            return real
        if name.startswith(alias + "."):
            return real + name[len(alias):]
    return None


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, real):
        self.real = real

    def create_module(self, spec):
        return importlib.import_module(self.real)

    def exec_module(self, module):
        pass


class AliasFinder(importlib.abc.MetaPathFinder):
    """Resolves ``torch.X`` to the module ``torchlike.X`` (the same module object)."""

    def find_spec(self, fullname, path=None, target=None):
        real = _target(fullname)
        if real is None:
            return None
        try:
            found = importlib.util.find_spec(real)
        except (ImportError, ValueError):
            found = None
        if found is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(real),
                                              is_package=found.submodule_search_locations
                                              is not None)


_FINDER = AliasFinder()


def install_aliases(propagate=True):
    """Make ``import torch``, ``torch.nn``, ``torchvision.transforms``... import torchlike's.

    With ``propagate`` (what ``python -m torchlike`` does), every Python process started from
    this one gets the aliases too: ``TORCHLIKE_MAIN_ALIASES=1`` and ``torchlike/_boot`` first on
    ``PYTHONPATH`` make its start-up ``sitecustomize`` install them before the child runs any of
    the program's code (multiprocessing's spawn and forkserver children re-import the program's
    modules, which ``import torch``).
    """
    if _FINDER not in sys.meta_path:
        for name in [n for n in sys.modules if _target(n) is not None]:
            mod = sys.modules[name]
            if not getattr(mod, "__name__", "").startswith("torchlike"):
                del sys.modules[name]     # a real torch imported earlier would shadow ours
        sys.meta_path.insert(0, _FINDER)
    if propagate:
        boot = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_boot")
        paths = os.environ.get("PYTHONPATH", "")
        if boot not in paths.split(os.pathsep):
            os.environ["PYTHONPATH"] = boot + (os.pathsep + paths if paths else "")
        os.environ["TORCHLIKE_MAIN_ALIASES"] = "1"


def aliases_installed():
    return _FINDER in sys.meta_path
