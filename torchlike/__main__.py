"""``python -m torchlike script.py [args]``: run an unmodified PyTorch script on torchlike.

``torch``, ``torch.*``, ``torchvision`` and ``torchvision.*`` are mapped to ``torchlike``,
``torchlike.*``, ``torchlike.vision`` and ``torchlike.vision.*`` (a meta path finder, so the
aliases are the very same module objects), then the script runs as ``__main__`` with
``sys.argv = [script, *args]``, like ``python script.py args``.
Also: ``python -m torchlike -m module [args]`` and ``python -m torchlike -c "code"``.
"""
from __future__ import annotations

import os
import runpy
import sys

USAGE = """\
usage: python -m torchlike [--version] [-h] (script.py | -m module | -c code) [args ...]

Run an unmodified PyTorch program on torchlike: `import torch`, `torch.nn`, `torch.utils.data`,
`torchvision`, `torchvision.transforms` ... resolve to torchlike's modules.

positional arguments:
  script.py     the program to run; the arguments after it are passed on in sys.argv

options:
  -h, --help    show this help message and exit
  --version     show torchlike's version and exit
  -m module     run a library module as a script (like python -m)
  -c code       run the code string
"""


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0 if argv else 2
    if argv[0] == "--version":
        import torchlike
        print(f"torchlike {torchlike.__version__}")
        return 0
    from ._main_alias import install_aliases
    install_aliases()
    if argv[0] == "-c":
        if len(argv) < 2:
            sys.stderr.write("Argument expected for the -c option\n")
            return 2
        sys.argv = ["-c"] + argv[2:]
        sys.path.insert(0, "")
        code = compile(argv[1], "<string>", "exec")
        glb = {"__name__": "__main__", "__builtins__": __builtins__}
        main_mod = type(sys)("__main__")
        main_mod.__dict__.update(glb)
        sys.modules["__main__"] = main_mod
        exec(code, main_mod.__dict__)
        return 0
    if argv[0] == "-m":
        if len(argv) < 2:
            sys.stderr.write("Argument expected for the -m option\n")
            return 2
        sys.argv = [argv[1]] + argv[2:]
        sys.path.insert(0, os.getcwd())
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return 0
    if argv[0].startswith("-"):
        sys.stderr.write(f"unknown option {argv[0]}\n" + USAGE)
        return 2
    script = argv[0]
    if not os.path.exists(script):
        sys.stderr.write(f"{sys.executable}: can't open file {os.path.abspath(script)!r}: "
                         "[Errno 2] No such file or directory\n")
        return 2
    sys.argv = argv
    sys.path[0:0] = [os.path.dirname(os.path.abspath(script))]
    runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
