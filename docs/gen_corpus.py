"""Generate docs/corpus.md: the PyTorch names a body of public code uses, and which torchlike has.

    python docs/gen_corpus.py /work/.mirror/pytorch+examples/repo /work/.mirror/x+y/repo ...
    python docs/gen_corpus.py --where Tensor.new GITDIR...   # the files using one name

Each argument is a git directory (a bare clone such as the search tool's ``fetch`` makes, or a
work tree's ``.git``); the script reads the ``.py`` files and the code cells of ``.ipynb``
notebooks at ``HEAD`` (``git ls-tree`` / ``git cat-file``, no checkout), parses them with ``ast``
and counts, per name, the occurrences and the files and repositories using it:

- ``torch.*``, ``nn.*``, ``F.*``, ``torchvision.*``: attribute chains rooted at a name bound by an
  import (``import torch.nn as nn``, ``from torch.nn import functional as F``,
  ``from torchvision import transforms``...), resolved to the full dotted path; names imported
  with ``from torch.x import y`` count as ``torch.x.y``;
- ``Tensor.*``: ``.name(`` calls on a value that is not a module alias, where ``name`` is a
  method of ``torch.Tensor``, and reads of ``torch.Tensor`` properties (``.shape``, ``.grad``...).
  This is a heuristic: ``s.split(",")`` on a string counts as ``Tensor.split``.

Each name is then resolved in torchlike (``torch`` -> ``torchlike``, ``torchvision`` ->
``torchlike.vision``) and in real PyTorch when it is installed, and classified: provided,
missing, out of scope (with the reason), in progress (another helper's list), or not a PyTorch
2.13 name. Uses the standard library only (plus torchlike and torch to resolve names).
"""
from __future__ import annotations

import ast
import collections
import importlib
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "corpus.md")

ROOTS = ("torch", "torchvision")

# Tensor attributes that are also common on other objects and mean nothing tensor-like there
# (dict.items, str.format...): not in torch.Tensor, listed only to document the choice.
# Names in torch.Tensor that are shared with str/list/dict are still counted (see docstring).


# ------------------------------------------------------------------ reading the repositories
def _git(gitdir, *args, data=None):
    return subprocess.run(["git", "--git-dir", gitdir, *args], input=data,
                          capture_output=True, check=True).stdout


def repo_files(gitdir):
    """Yield (path, source text) of the Python files and notebooks at HEAD."""
    listing = _git(gitdir, "ls-tree", "-r", "HEAD").decode("utf-8", "replace").splitlines()
    entries = []
    for line in listing:
        meta, path = line.split("\t", 1)
        _mode, kind, sha = meta.split()
        if kind == "blob" and (path.endswith(".py") or path.endswith(".ipynb")):
            entries.append((path, sha))
    if not entries:
        return
    out = _git(gitdir, "cat-file", "--batch", data="".join(s + "\n" for _, s in entries).encode())
    pos = 0
    for path, sha in entries:
        nl = out.index(b"\n", pos)
        header = out[pos:nl].split()
        if len(header) < 3 or header[1] != b"blob":
            pos = nl + 1
            continue
        size = int(header[2])
        body = out[nl + 1:nl + 1 + size]
        pos = nl + 1 + size + 1
        text = body.decode("utf-8", "replace")
        if path.endswith(".ipynb"):
            text = _notebook_code(text)
            if text is None:
                continue
        yield path, text


def _notebook_code(text):
    try:
        nb = json.loads(text)
    except ValueError:
        return None
    cells = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else src
        # IPython magics and shell escapes are not Python
        lines = [("# " + ln) if ln.lstrip().startswith(("%", "!", "?")) else ln
                 for ln in src.splitlines()]
        cells.append("\n".join(lines))
    return "\n\n".join(cells)


# ------------------------------------------------------------------ collecting names
class Collector(ast.NodeVisitor):
    def __init__(self, tensor_methods, tensor_props):
        self.alias = {}              # local name -> dotted torch/torchvision path
        self.names = collections.Counter()
        self.tensor_methods = tensor_methods
        self.tensor_props = tensor_props

    # imports bind names (the whole file is one scope: good enough for counting)
    def visit_Import(self, node):
        for a in node.names:
            top = a.name.split(".")[0]
            if top not in ROOTS:
                continue
            if a.asname:
                self.alias[a.asname] = a.name
            else:
                self.alias[top] = top
            if "." in a.name:
                self.names[a.name] += 1

    def visit_ImportFrom(self, node):
        mod = node.module or ""
        if node.level or mod.split(".")[0] not in ROOTS:
            return
        for a in node.names:
            if a.name == "*":
                continue
            full = f"{mod}.{a.name}"
            self.alias[a.asname or a.name] = full
            self.names[full] += 1

    def _chain(self, node):
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name) and node.id in self.alias:
            return ".".join([self.alias[node.id]] + parts[::-1])
        return None

    def visit_Attribute(self, node):
        full = self._chain(node)
        if full is not None:
            self.names[full] += 1
            return                   # the inner prefixes are modules, not uses
        if node.attr in self.tensor_props and not isinstance(node.ctx, ast.Store):
            self.names["Tensor." + node.attr] += 1
        self.generic_visit(node)

    def visit_Call(self, node):
        f = node.func
        if (isinstance(f, ast.Attribute) and f.attr in self.tensor_methods
                and self._chain(f) is None
                and not (isinstance(f.value, ast.Constant) and isinstance(f.value.value, str))
                and not isinstance(f.value, ast.JoinedStr)):
            self.names["Tensor." + f.attr] += 1
            self.visit(f.value)
            for a in node.args:
                self.visit(a)
            for k in node.keywords:
                self.visit(k.value)
            return
        self.generic_visit(node)

    def visit_Name(self, node):
        # a bare imported name used (from torch.nn import Linear; Linear(...)): the import
        # already counted the file; count the further uses as occurrences
        if node.id in self.alias and "." in self.alias[node.id]:
            self.names[self.alias[node.id]] += 1


def collect(gitdirs, tensor_methods, tensor_props, where=None):
    occ = collections.Counter()
    files = collections.Counter()
    repos = collections.defaultdict(set)
    meta = []
    for gitdir in gitdirs:
        gitdir = os.path.abspath(gitdir)
        name = _repo_name(gitdir)
        commit = _git(gitdir, "rev-parse", "HEAD").decode().strip()
        nfiles = nparsed = 0
        for path, text in repo_files(gitdir):
            nfiles += 1
            try:
                tree = ast.parse(text)
            except (SyntaxError, ValueError):
                continue                  # Python 2 files, templates
            nparsed += 1
            c = Collector(tensor_methods, tensor_props)
            # imports first, so uses above a late import still resolve
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    c.visit_Import(node)
                elif isinstance(node, ast.ImportFrom):
                    c.visit_ImportFrom(node)
            if not c.alias:
                continue
            c.names.clear()
            c.visit(tree)
            for n, k in c.names.items():
                if n == where:
                    print(f"{name}:{path}: {k}")
                occ[n] += k
                files[n] += 1
                repos[n].add(name)
        meta.append((name, commit, nfiles, nparsed))
    return occ, files, repos, meta


def _repo_name(gitdir):
    base = os.path.basename(gitdir.rstrip("/"))
    if base in ("repo", ".git"):
        base = os.path.basename(os.path.dirname(gitdir.rstrip("/")))
    return base.replace("+", "/")


# ------------------------------------------------------------------ classifying names
# another helper's list in this session (issue 15): reported as "in progress" while missing
IN_PROGRESS_MATH = set("""
searchsorted bucketize histc diff kron cdist tril_indices triu_indices cartesian_prod
unique_consecutive mode cummax cummin logcumsumexp nanmedian tensordot inner histogram rot90
diag_embed vander trapezoid trapz cumulative_trapezoid hsplit vsplit dsplit dstack hstack
vstack column_stack row_stack atleast_1d atleast_2d atleast_3d scatter_reduce scatter_reduce_
masked_scatter masked_scatter_ put_ put as_strided angle view_as_real view_as_complex polar
CTCLoss ctc_loss MaxUnpool1d MaxUnpool2d MaxUnpool3d max_unpool1d max_unpool2d max_unpool3d
MultiLabelMarginLoss multilabel_margin_loss TripletMarginWithDistanceLoss
triplet_margin_with_distance_loss
""".split())
IN_PROGRESS_MATH_PREFIX = ("torch.fft", "torch.special", "torch.distributions", "torch.linalg",
                           "torch.nn.utils.parametrizations", "torch.nn.utils.parametrize")
IN_PROGRESS_OTHER = {
    "torch.nn.utils.rnn.PackedSequence": "PackedSequence",
    "torch.nn.utils.rnn.pack_padded_sequence": "PackedSequence",
    "torch.nn.utils.rnn.pad_packed_sequence": "PackedSequence",
    "torch.nn.utils.rnn.pack_sequence": "PackedSequence",
    "torch.autocast": "autocast", "torch.amp": "autocast", "torch.cuda.amp": "autocast",
    "torch.cpu.amp": "autocast", "torch.profiler": "profiler",
    "torch.autograd.profiler": "profiler",
}

# (prefix, reason): names under these are out of scope; the first match wins
OUT_OF_SCOPE = [
    ("torch._C", "private C++ bindings"),
    ("torch._dynamo", "TorchDynamo internals (torchlike.compile traces instead)"),
    ("torch._inductor", "TorchInductor internals (XLA compiles instead)"),
    ("torch._utils", "private helpers"),
    ("torch._six", "removed private module (Python 2 shims)"),
    ("torch.cuda.Stream", "CUDA-only: streams"), ("torch.cuda.Event", "CUDA-only: events"),
    ("torch.cuda.stream", "CUDA-only: streams"),
    ("torch.cuda.current_stream", "CUDA-only: streams"),
    ("torch.cuda.LongTensor", "CUDA-only legacy tensor type"),
    ("torch.cuda.FloatTensor", "CUDA-only legacy tensor type"),
    ("torch.cuda.ByteTensor", "CUDA-only legacy tensor type"),
    ("torch.cuda.HalfTensor", "CUDA-only legacy tensor type"),
    ("torch.cuda.nvtx", "CUDA-only: NVTX ranges"),
    ("torch.cuda.memory", "CUDA-only: caching allocator"),
    ("torch.cuda.max_memory", "CUDA-only: caching allocator statistics"),
    ("torch.cuda.memory_", "CUDA-only: caching allocator statistics"),
    ("torch.cuda.reset_peak", "CUDA-only: caching allocator statistics"),
    ("torch.cuda.get_device_properties", "CUDA-only: device properties"),
    ("torch.cuda.get_device_capability", "CUDA-only: device properties"),
    ("torch.cuda.set_device", "CUDA-only"), ("torch.cuda.comm", "CUDA-only: NCCL comm"),
    ("torch.cuda.graph", "CUDA-only: CUDA graphs"), ("torch.cuda.CUDAGraph", "CUDA-only: graphs"),
    ("torch.backends.cudnn", "CUDA-only: cuDNN flags"),
    ("torch.backends.cuda", "CUDA-only: cuBLAS/SDPA kernel flags"),
    ("torch.backends.mps", "MPS-only"), ("torch.mps", "MPS-only"),
    ("torch.jit.trace_module", "TorchScript IR"),
    ("torch.jit.ScriptModule", "TorchScript IR"), ("torch.jit.Final", "TorchScript IR"),
    ("torch.jit.annotate", "TorchScript IR"), ("torch.jit.unused", "TorchScript IR"),
    ("torch.jit.ignore", "TorchScript IR"), ("torch.jit.export", "TorchScript IR"),
    ("torch.jit.is_scripting", "TorchScript IR"), ("torch.jit.is_tracing", "TorchScript IR"),
    ("torch.jit.fork", "TorchScript IR: async"), ("torch.jit.wait", "TorchScript IR: async"),
    ("torch.jit._", "TorchScript IR internals"),
    ("torch.quantization", "quantization"), ("torch.ao", "quantization"),
    ("torch.nn.quantized", "quantization"), ("torch.quantize_per", "quantization"),
    ("torch.nn.intrinsic", "quantization"),
    ("torch.Tensor.q_", "quantization"), ("Tensor.q_", "quantization"),
    ("Tensor.int_repr", "quantization"), ("Tensor.dequantize", "quantization"),
    ("torch.sparse_coo", "sparse internals"), ("Tensor._indices", "sparse internals"),
    ("Tensor._values", "sparse internals"),
    ("torch.fx", "FX graph IR (torchlike traces to jaxprs)"),
    ("torch.onnx", "ONNX export"),
    ("torch.distributed.elastic", "torchrun's elastic agent internals"),
    ("torch.distributed.fsdp", "FSDP (sharding by XLA instead)"),
    ("torch.distributed.pipeline", "pipeline parallelism"),
    ("torch.distributed.rpc", "RPC framework"),
    ("torch.distributed.autograd", "RPC framework: distributed autograd"),
    ("torch.distributed.optim", "RPC framework: DistributedOptimizer"),
    ("torch.futures", "RPC framework: futures"),
    ("torch.distributed.checkpoint", "distributed checkpoint (DCP) of sharded state"),
    ("torch.nested", "nested (ragged) tensors"), ("torch.jagged", "nested (ragged) tensors"),
    ("torch.ops", "the ATen operator registry (torchlike's ops are jax functions)"),
    ("torch.utils._pytree", "private module"),
    ("torch.optim.optimizer.Optimizer._", "private optimizer helpers"),
    ("torch.optim.optimizer._", "private optimizer helpers"),
    ("torch.ByteStorage", "legacy typed storages"),
    ("torch.jit.annotations", "TorchScript IR"),
    ("torch.testing._internal", "PyTorch's own test-suite internals"),
    ("Tensor.sparse_mask", "sparse internals"),
    ("torchvision.datasets.CocoDetection", "COCO needs pycocotools and detection targets"),
    ("torchvision.ops._", "torchvision-internal"),
    ("torchvision.models._utils", "torchvision-internal"),
    ("torch.distributed.algorithms._", "private distributed internals"),
    ("torch.distributed.nn.RemoteModule", "RPC framework"),
    ("torch.distributed.tensor", "DTensor"),
    ("torch.distributed._", "private distributed internals"),
    ("torch.utils.cpp_extension", "C++/CUDA extension building"),
    ("torch.utils.dlpack", "DLPack interop"),
    ("torch.utils.mobile_optimizer", "mobile"),
    ("torch.hub.load", "downloads code from GitHub (offline machine)"),
    ("torch.hub.list", "downloads code from GitHub (offline machine)"),
    ("torchvision.ops.misc", "torchvision-internal helper modules"),
    ("torchvision.datasets.utils", "torchvision-internal download helpers"),
    ("torchvision._internally_replaced_utils", "torchvision-internal"),
    ("torchvision.models.detection", "detection models (RPN, ROI heads, anchors) out of scope"),
    ("torchvision.models.segmentation", "segmentation models out of scope"),
    ("torchvision.models.quantization", "quantization"),
    ("torchvision.models.video", "video models out of scope"),
    ("torchvision.models.optical_flow", "optical-flow models out of scope"),
    ("torchvision.models.feature_extraction", "FX graph IR (torchlike traces to jaxprs)"),
    ("torchvision.io.video", "video decoding (ffmpeg/pyav)"),
    ("torchvision.io.read_video", "video decoding (ffmpeg/pyav)"),
    ("torchvision.io.VideoReader", "video decoding (ffmpeg/pyav)"),
    ("torchvision.extension", "torchvision's C++ ops loader"),
    ("torchvision.utils._log_api_usage_once", "torchvision-internal telemetry"),
    ("torchvision.tv_tensors", "transforms v2 TVTensors out of scope"),
    ("torchvision.transforms.v2", "transforms v2 out of scope"),
    ("torchvision.prototype", "torchvision prototypes"),
    ("torchvision.datapoints", "transforms v2 out of scope"),
]


# Tensor names the heuristic counts mostly from other objects' methods (checked with --where)
NOISE = {
    "Tensor.values": "counted from dict.values(); Tensor.values is sparse-only",
    "Tensor.name": "counted from other objects' .name; named tensors are out of scope",
    "Tensor.index": "counted from list.index()",
    "Tensor.resize": "counted from PIL Image.resize()",
    "Tensor.names": "named tensors",
}


def _resolve(path):
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ModuleNotFoundError as e:
            if e.name and not ".".join(parts[:i]).startswith(e.name):
                raise             # the module exists but needs a package that is missing
            continue
        except Exception:        # noqa: BLE001 - a module failing at import
            continue
        for p in parts[i:]:
            obj = getattr(obj, p)
        return obj
    raise ImportError(path)


def _has(path):
    try:
        _resolve(path)
        return True
    except Exception:            # noqa: BLE001
        return False


def _torchlike_path(name):
    if name.startswith("Tensor."):
        return "torchlike.Tensor." + name[len("Tensor."):]
    if name.startswith("torchvision"):
        return "torchlike.vision" + name[len("torchvision"):]
    return "torchlike" + name[len("torch"):]


def _in_real_torch(name, have_torch):
    """True / False, or None when it cannot be told (torchvision not installed)."""
    if name.startswith("Tensor."):
        name = "torch." + name
    if name.startswith("torchvision"):
        try:
            import torchvision  # noqa: F401
        except ImportError:
            return None
    elif not have_torch:
        return None
    try:
        _resolve(name)
        return True
    except ModuleNotFoundError as e:
        # a PyTorch module needing a package that is not installed (tensorboard, expecttest)
        return None if not (e.name or "").startswith(("torch", "torchvision")) else False
    except Exception:            # noqa: BLE001
        return False


def classify(name, have_torch):
    if _has(_torchlike_path(name)):
        return "provided", ""
    if name in NOISE:
        return "out of scope", "heuristic: " + NOISE[name]
    for prefix, reason in OUT_OF_SCOPE:
        if name.startswith(prefix):
            return "out of scope", reason
    real = _in_real_torch(name, have_torch)
    if real is False:
        return "not in PyTorch 2.13", "removed or renamed upstream, or a local name"
    leaf = name.rsplit(".", 1)[-1]
    if leaf in IN_PROGRESS_MATH or name.startswith(IN_PROGRESS_MATH_PREFIX):
        return "in progress (math)", ""
    for prefix, what in IN_PROGRESS_OTHER.items():
        if name == prefix or name.startswith(prefix + "."):
            return "in progress", what
    return "missing", ""


def kind(name):
    if name.startswith("Tensor."):
        return "Tensor"
    if name.startswith("torch.nn.functional."):
        return "F"
    if name.startswith("torch.nn."):
        return "nn"
    if name.startswith("torchvision"):
        return "torchvision"
    return "torch"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    where = None
    if argv[0] == "--where":          # --where NAME GITDIR...: list the files using NAME
        where, argv = argv[1], argv[2:]
    sys.path.insert(0, ROOT)
    try:
        import torch
        have_torch = True
        tensor_cls = torch.Tensor
    except ImportError:
        have_torch = False
        import torchlike
        tensor_cls = torchlike.Tensor
    tensor_methods, tensor_props = set(), set()
    for n in dir(tensor_cls):
        if n.startswith("__"):
            continue
        attr = getattr(tensor_cls, n, None)
        if isinstance(attr, property) or type(attr).__name__ in ("getset_descriptor",
                                                                 "member_descriptor"):
            tensor_props.add(n)
        elif callable(attr):
            tensor_methods.add(n)
    occ, files, repos, meta = collect(argv, tensor_methods, tensor_props, where)
    if where is not None:
        return 0
    import torchlike  # noqa: F401

    rows = []
    for name in occ:
        status, reason = classify(name, have_torch)
        rows.append((name, kind(name), len(repos[name]), files[name], occ[name], status, reason))
    rows.sort(key=lambda r: (-r[3], -r[4], r[0]))
    write(rows, meta)
    return 0


def write(rows, meta):
    tally = collections.Counter(r[5] for r in rows)
    twice = [r for r in rows if r[4] >= 2]
    tally2 = collections.Counter(r[5] for r in twice)
    lines = [
        "# The corpus: what public PyTorch programs call",
        "",
        "Generated by `python docs/gen_corpus.py GITDIR...` (see its docstring for what is "
        "counted and how). `files`/`repos`: how many files and repositories use the name; "
        "`uses`: occurrences. Tensor methods are found by a heuristic (a `.name(` call whose "
        "name is a `torch.Tensor` method), so string `.split(` and module `.to(` calls count "
        "too. `provided`: the dotted path resolves in torchlike (`torch` -> `torchlike`, "
        "`torchvision` -> `torchlike.vision`); a provided name can still differ in details.",
        "",
        "## Sources",
        "",
        "| repository | commit | .py/.ipynb files | parsed |",
        "|---|---|---|---|",
    ]
    for name, commit, nfiles, nparsed in meta:
        lines.append(f"| {name} | `{commit[:12]}` | {nfiles} | {nparsed} |")
    lines += [
        "",
        "pytorch/tutorials and pytorch/vision were too large to fetch here (5.3 GB and 1.4 GB "
        "snapshots); the corpus has no tutorial sources beyond the examples repository.",
        "",
        "## Summary",
        "",
        "| status | names | used twice or more | used in two files or more |",
        "|---|---|---|---|",
    ]
    tally3 = collections.Counter(r[5] for r in rows if r[3] >= 2)
    for st in sorted(tally, key=lambda s: -tally[s]):
        lines.append(f"| {st} | {tally[st]} | {tally2.get(st, 0)} | {tally3.get(st, 0)} |")
    lines += ["", "## Names used twice or more that are not provided", ""]
    for r in twice:
        if r[5] != "provided":
            lines.append(f"- `{r[0]}` ({r[4]} uses, {r[3]} files): {r[5]}"
                         + (f" — {r[6]}" if r[6] else ""))
    lines += ["", "## All names, by number of files using them", "",
              "| name | kind | repos | files | uses | status | reason |",
              "|---|---|---|---|---|---|---|"]
    for name, k, nr, nf, no, st, reason in rows:
        lines.append(f"| `{name}` | {k} | {nr} | {nf} | {no} | {st} | {reason} |")
    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {OUT}: {len(rows)} names; " + ", ".join(f"{k} {v}" for k, v in tally.items()))


if __name__ == "__main__":
    sys.exit(main())
