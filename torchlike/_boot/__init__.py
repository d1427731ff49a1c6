"""Start-up hook for the processes a ``python -m torchlike`` program starts.

``python -m torchlike`` puts this folder first on ``PYTHONPATH`` and sets
``TORCHLIKE_MAIN_ALIASES=1``; every Python process started from the program (multiprocessing's
spawn and forkserver children, DataLoader workers, ``subprocess`` runs of ``sys.executable``)
then imports ``sitecustomize`` from here at start-up, which installs the ``torch`` /
``torchvision`` aliases before any of the program's code runs (see ``torchlike/_main_alias.py``).
"""
