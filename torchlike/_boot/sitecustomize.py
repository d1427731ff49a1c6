"""Installs the torch -> torchlike aliases at start-up of a process started by a
``python -m torchlike`` program (see ``torchlike/_boot/__init__.py``), then hands over to the
``sitecustomize`` module this one shadows, if there is one. Imports no torchlike module: the
alias finder loads torchlike when the program first imports ``torch``."""
import os
import sys


def _boot():
    import importlib.machinery
    import importlib.util
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    if (os.environ.get("TORCHLIKE_MAIN_ALIASES") == "1"
            and "torchlike._main_alias" not in sys.modules):
        path = os.path.join(os.path.dirname(here), "_main_alias.py")
        spec = importlib.util.spec_from_file_location("torchlike._main_alias", path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = mod
        spec.loader.exec_module(mod)
        mod.install_aliases()
    # the sitecustomize this one shadows runs next, and takes its place in sys.modules
    nxt = importlib.machinery.PathFinder.find_spec("sitecustomize", sys.path)
    if nxt is not None and nxt.loader is not None:
        mod = importlib.util.module_from_spec(nxt)
        sys.modules["sitecustomize"] = mod
        nxt.loader.exec_module(mod)


_boot()
