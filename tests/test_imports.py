"""The core modules import each other without cycles (module-level imports only; an import
inside a function is resolved at call time): `_tensor.py` holds the Tensor box and the layers
above it (functions, methods, autograd, linalg) build on it, never the other way round."""
from __future__ import annotations

import ast
import os
import re

import torchlike

PKG = os.path.dirname(torchlike.__file__)


def _modules():
    mods = {}
    for dirpath, _, files in os.walk(PKG):
        for f in files:
            if f.endswith(".py"):
                path = os.path.join(dirpath, f)
                name = "torchlike." + os.path.relpath(path, PKG)[:-3].replace(os.sep, ".")
                mods[name.removesuffix(".__init__")] = path
    return mods


def _is_core(name):
    rest = name.split(".", 1)[1] if "." in name else ""
    return rest.startswith("_") or rest.startswith("autograd") or rest == "linalg"


def _graph(mods):
    graph = {}
    for name, path in mods.items():
        pkg = name if path.endswith("__init__.py") else name.rsplit(".", 1)[0]
        deps = set()
        for node in ast.parse(open(path).read()).body:
            if isinstance(node, ast.ImportFrom):
                base = pkg
                for _ in range(max(node.level - 1, 0)):
                    base = base.rsplit(".", 1)[0]
                mod = node.module if not node.level else \
                    (base + "." + node.module if node.module else base)
                for a in node.names:
                    deps.add(mod + "." + a.name if mod + "." + a.name in mods else mod)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names)
        graph[name] = {d for d in deps if d in mods and d != name}
    return graph


def _cycles(graph):
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles_among_core_modules():
    mods = _modules()
    graph = _graph(mods)
    core = {n: {d for d in deps if _is_core(d)} for n, deps in graph.items() if _is_core(n)}
    assert _cycles(core) == []


def test_tensor_module_imports_nothing_above_it():
    graph = _graph(_modules())
    above = {"torchlike._functions", "torchlike._methods", "torchlike._creation",
             "torchlike.autograd", "torchlike.autograd.engine", "torchlike.nn",
             "torchlike.linalg", "torchlike._compile", "torchlike._trace",
             "torchlike._ops.registry"}
    assert not graph["torchlike._tensor"] & above


def test_one_tape_writer():
    """Only the dispatch file instantiates tape nodes: custom Functions and create_graph
    backward programs are recorded through `registry.record` like table ops."""
    writers = []
    for name, path in _modules().items():
        src = open(path).read()
        if re.search(r"node_class\([^()]*\)\(|_backward_cls\(", src):
            writers.append(name)
    assert writers == ["torchlike._ops.registry"]
