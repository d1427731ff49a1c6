"""python -m torchlike: aliases for torch/torchvision, argv, --version/--help."""
import os
import subprocess
import sys

import torchlike

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(args, cwd):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
               JAX_PLATFORMS="cpu")
    return subprocess.run([sys.executable, "-m", "torchlike", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


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
