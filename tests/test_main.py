"""python -m torchlike: aliases for torch/torchvision, argv, --version/--help."""
import os
import subprocess
import sys

import torchlike

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(args, cwd, timeout=120):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
               JAX_PLATFORMS="cpu")
    return subprocess.run([sys.executable, "-m", "torchlike", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_version_and_help(tmp_path):
    r = _run(["--version"], tmp_path)
    assert r.returncode == 0 and r.stdout.strip() == f"torchlike {torchlike.__version__}"
    r = _run(["--help"], tmp_path)
    assert r.returncode == 0 and "usage: python -m torchlike" in r.stdout


def test_runs_unmodified_script(tmp_path):
    script = tmp_path / "prog.py"
    script.write_text(
        "import sys\n"
        "import torch\n"
        "import torch.utils.data\n"
        "from torch.utils.data import DataLoader, TensorDataset\n"
        "import torchvision\n"
        "import torchvision.transforms as transforms\n"
        "from torchvision import datasets\n"
        "print(torch.__name__, torchvision.__name__, transforms.__name__)\n"
        "print(sys.argv[1:], __name__)\n"
        "x = torch.arange(4)\n"
        "dl = DataLoader(TensorDataset(x), batch_size=2)\n"
        "print([b[0].tolist() for b in dl])\n"
        "torch.save({'x': x}, 'x.pth')\n"
        "print(torch.load('x.pth')['x'].tolist())\n"
        "import torch.nonexistent_module\n")
    r = _run([str(script), "--flag", "1"], tmp_path)
    out = r.stdout.splitlines()
    assert out[0] == "torchlike torchlike.vision torchlike.vision.transforms"
    assert out[1] == "['--flag', '1'] __main__"
    assert out[2] == "[[0, 1], [2, 3]]" and out[3] == "[0, 1, 2, 3]"
    assert r.returncode == 1 and "No module named 'torch.nonexistent_module'" in r.stderr


def test_dash_c(tmp_path):
    r = _run(["-c", "import torch.nn.functional as F; import torch; print(torch.tensor([1]))"],
             tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "tensor([1])"


HOGWILD_TRAIN = '''
import os
import sys
import torch
import torch.nn.functional as F


def train(rank, model, data, target, q):
    torch.manual_seed(rank)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(data, target),
                                         batch_size=8)
    for x, y in loader:
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    q.put((rank, torch.__name__, type(model.weight).__module__))


def crash(rank, what):
    if what == "raise" and rank == 1:
        raise ValueError(f"child {rank} fails")
    if what == "exit":
        os._exit(3)
    import time
    time.sleep(60)           # the survivor: terminated by the parent when its sibling fails
'''

HOGWILD_MAIN = '''
import subprocess
import sys
import torch
import torch.nn as nn
import torch.multiprocessing as mp
import torchvision  # noqa: F401  (spawned children re-import this module as __mp_main__)
from hogtrain import train, crash

if __name__ == "__main__":
    mp.set_start_method("spawn", force=True)
    torch.manual_seed(0)
    model = nn.Linear(3, 2)
    model.share_memory()
    data, target = torch.randn(16, 3), torch.randint(0, 2, (16,))
    before = model.weight.detach().clone()
    q = mp.Queue()
    procs = [mp.Process(target=train, args=(r, model, data, target, q)) for r in range(2)]
    for p in procs:
        p.start()
    got = sorted(q.get(timeout=240) for _ in procs)
    for p in procs:
        p.join()
    print("children", got, [p.exitcode for p in procs])
    print("shared weights changed", bool((model.weight != before).any()))
    for what, n in (("raise", 2), ("exit", 1)):
        try:
            mp.spawn(crash, args=(what,), nprocs=n)
        except mp.ProcessException as e:
            print(what, type(e).__name__, e.error_index, repr(str(e).splitlines()[-1]))
    r = subprocess.run([sys.executable, "-c", "import torch; print(torch.__name__)"],
                       capture_output=True, text=True)
    print("subprocess", r.stdout.strip())
'''


def test_spawned_children_get_the_aliases(tmp_path):
    """A Hogwild-style program under ``python -m torchlike``: spawned children re-import the
    program's modules (``import torch``, ``import torchvision``) and train a shared model; a
    child that fails makes ``mp.spawn`` raise PyTorch's exceptions (never a hang); a
    ``sys.executable`` subprocess gets the aliases too."""
    (tmp_path / "hogtrain.py").write_text(HOGWILD_TRAIN)
    (tmp_path / "hog.py").write_text(HOGWILD_MAIN)
    r = _run([str(tmp_path / "hog.py")], tmp_path, timeout=400)
    out = r.stdout.splitlines()
    assert r.returncode == 0, r.stderr[-3000:]
    assert out[0] == ("children [(0, 'torchlike', 'torchlike.nn.parameter'), "
                      "(1, 'torchlike', 'torchlike.nn.parameter')] [0, 0]")
    assert out[1] == "shared weights changed True"
    assert out[2] == "raise ProcessRaisedException 1 'ValueError: child 1 fails'"
    assert out[3] == "exit ProcessExitedException 0 'process 0 terminated with exit code 3'"
    assert out[4] == "subprocess torchlike"
