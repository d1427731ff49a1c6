"""Dynamic-graph workloads, torchlike eager vs PyTorch eager, each cell in a fresh process.

D1  LSTMCell(8, 32), batch 4, over a random length in [5, 40] per step, Adam, 40 steps
D2  LSTMCell(1, 51), batch 97, unrolled 1000 steps, one forward + backward (peak RSS)
D3  CRF-style forward algorithm over sentences of random length in [3, 12], 5 tags, SGD,
    .item() per sentence, 40 sentences
D4  autoregressive sampling from a small GPT (2 blocks, 4 heads, width 64, vocabulary 65),
    3 samples x 200 new tokens with the context growing to 64 (quick: 2 x 40), no grad
D5  fixed two-layer net (64x100 -> 64 -> 10), SGD, 50 steps: the static path

Reported per cell: total seconds (every compile included), first step, steady-state step
(median of the second half), peak RSS (ru_maxrss of the cell's process) and, for torchlike,
the backward engine's counters. PyTorch columns are skipped where torch is absent.

    python benchmarks/dynamic.py [--quick] [--only D1,D3] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def _lstm_steps(m, steps, rng, lo=5, hi=40):
    cell, head = m.nn.LSTMCell(8, 32), m.nn.Linear(32, 1)
    opt = m.optim.Adam(list(cell.parameters()) + list(head.parameters()), lr=1e-2)
    lens = rng.integers(lo, hi + 1, steps)
    xs = rng.standard_normal((hi, 4, 8)).astype(np.float32)
    ys = rng.standard_normal((4, 1)).astype(np.float32)

    def step(i):
        x, y = m.tensor(xs[:lens[i]]), m.tensor(ys)
        h = c = m.zeros(4, 32)
        for t in range(int(lens[i])):
            h, c = cell(x[t], (h, c))
        loss = ((head(h) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()
    return [lambda i=i: step(i) for i in range(steps)]


def d1(m, quick):
    return _lstm_steps(m, 10 if quick else 40, np.random.default_rng(1))


def d2(m, quick):
    n = 100 if quick else 1000
    rng = np.random.default_rng(2)
    cell = m.nn.LSTMCell(1, 51)
    xs = m.tensor(rng.standard_normal((n, 97, 1)).astype(np.float32))

    def step():
        h = c = m.zeros(97, 51)
        outs = []
        for t in range(n):
            h, c = cell(xs[t], (h, c))
            outs.append(h)
        loss = m.stack(outs).pow(2).mean()
        loss.backward()
        return loss.item()
    return [step]


def d3(m, quick):
    rng = np.random.default_rng(3)
    k, n = 5, 12 if quick else 40
    emb = m.nn.Linear(6, k)
    trans = m.nn.Parameter(m.tensor(rng.standard_normal((k, k)).astype(np.float32) * 0.1))
    opt = m.optim.SGD(list(emb.parameters()) + [trans], lr=0.05)
    sents = []
    for _ in range(n):
        L = int(rng.integers(3, 13))
        sents.append((rng.standard_normal((L, 6)).astype(np.float32),
                      rng.integers(0, k, L).astype(np.int64)))

    def step(i):
        feats, tags = m.tensor(sents[i][0]), m.tensor(sents[i][1])
        emit = emb(feats)
        alpha = emit[0]
        for t in range(1, emit.shape[0]):
            alpha = m.logsumexp(alpha.unsqueeze(1) + trans + emit[t].unsqueeze(0), dim=0)
        log_z = m.logsumexp(alpha, dim=0)
        gold = emit[m.arange(len(tags)), tags].sum() + trans[tags[:-1], tags[1:]].sum()
        loss = log_z - gold
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()
    return [lambda i=i: step(i) for i in range(n)]


def _gpt(m, vocab=65, width=64, heads=4, blocks=2, ctx=64):
    """A minGPT-style model: hand-written causal self-attention, as tutorials write it."""
    nn, F = m.nn, m.nn.functional

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.qkv, self.proj = nn.Linear(width, 3 * width), nn.Linear(width, width)
            self.register_buffer("mask", m.tril(m.ones(ctx, ctx)).view(1, 1, ctx, ctx))

        def forward(self, x):
            B, T, C = x.size()
            q, k, v = self.qkv(x).split(width, dim=2)
            q, k, v = (t.view(B, T, heads, C // heads).transpose(1, 2) for t in (q, k, v))
            att = (q @ k.transpose(-2, -1)) * (1.0 / (C // heads) ** 0.5)
            att = att.masked_fill(self.mask[:, :, :T, :T] == 0, float("-inf"))
            y = F.softmax(att, dim=-1) @ v
            return self.proj(y.transpose(1, 2).contiguous().view(B, T, C))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(width), nn.LayerNorm(width)
            self.attn = Attention()
            self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(),
                                     nn.Linear(4 * width, width))

        def forward(self, x):
            x = x + self.attn(self.ln1(x))
            return x + self.mlp(self.ln2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok, self.pos = nn.Embedding(vocab, width), nn.Embedding(ctx, width)
            self.blocks = nn.Sequential(*[Block() for _ in range(blocks)])
            self.ln, self.head = nn.LayerNorm(width), nn.Linear(width, vocab, bias=False)

        def forward(self, idx):
            T = idx.size(1)
            x = self.tok(idx) + self.pos(m.arange(T))
            return self.head(self.ln(self.blocks(x)))

    return GPT().eval(), ctx


def d4(m, quick):
    model, ctx = _gpt(m)
    samples, new = (2, 40) if quick else (3, 200)

    def sample(i):
        gen = m.Generator().manual_seed(i)
        idx = m.zeros(1, 1, dtype=m.long)
        with m.no_grad():
            for _ in range(new):
                logits = model(idx[:, -ctx:])[:, -1, :] / 0.8
                nxt = m.multinomial(F_softmax(m, logits), 1, generator=gen)
                idx = m.cat((idx, nxt), dim=1)
        return int(idx[0, -1].item())
    return [lambda i=i: sample(i) for i in range(samples)]


def F_softmax(m, logits):
    return m.nn.functional.softmax(logits, dim=-1)


def d5(m, quick):
    rng = np.random.default_rng(5)
    net = m.nn.Sequential(m.nn.Linear(100, 64), m.nn.ReLU(), m.nn.Linear(64, 10))
    opt = m.optim.SGD(net.parameters(), lr=1e-2)
    x = m.tensor(rng.standard_normal((64, 100)).astype(np.float32))
    y = m.tensor(rng.standard_normal((64, 10)).astype(np.float32))

    def step():
        loss = ((net(x) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()
    return [step] * (15 if quick else 50)


WORKLOADS = {"D1": d1, "D2": d2, "D3": d3, "D4": d4, "D5": d5}


def cell(framework, workload, quick):
    """Run one workload in this process; returns its measurements."""
    t_start = time.perf_counter()
    if framework == "torch":
        import torch as m
    else:
        import torchlike as m
    m.manual_seed(0)
    bwd = [0.0]
    orig = m.Tensor.backward

    def timed_backward(self, *a, **k):   # time spent in backward, for both frameworks
        t = time.perf_counter()
        try:
            return orig(self, *a, **k)
        finally:
            bwd[0] += time.perf_counter() - t
    m.Tensor.backward = timed_backward
    steps = WORKLOADS[workload](m, quick)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    times = []
    t0 = time.perf_counter()
    for s in steps:
        a = time.perf_counter()
        s()
        times.append(time.perf_counter() - a)
    total = time.perf_counter() - t0
    half = times[len(times) // 2:]
    out = {"total_s": total, "first_s": times[0],
           "steady_s": statistics.median(half) if len(times) > 1 else None,
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "setup_rss_mb": rss0, "import_setup_s": t0 - t_start, "backward_s": bwd[0],
           "load_avg": os.getloadavg()[0]}
    if framework == "torchlike":
        out["stats"] = m.autograd.stats()
    return out


def run_cell(framework, workload, quick):
    r = subprocess.run([sys.executable, os.path.abspath(__file__), "--cell", framework,
                        workload] + (["--quick"] if quick else []),
                       capture_output=True, text=True, cwd=ROOT)
    if r.returncode:
        return {"error": r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "failed"}
    return json.loads(r.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="few steps, for a smoke run")
    ap.add_argument("--only", default="D1,D2,D3,D4,D5")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--cell", nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.cell:
        print(json.dumps(cell(a.cell[0], a.cell[1], a.quick)))
        return
    try:
        import importlib.util
        have_torch = importlib.util.find_spec("torch") is not None
    except ImportError:
        have_torch = False
    res = {}
    for w in a.only.split(","):
        res[w] = {"torchlike": run_cell("torchlike", w, a.quick)}
        if have_torch:
            res[w]["torch"] = run_cell("torch", w, a.quick)
    if a.json:
        print(json.dumps(res, indent=1))
        return
    print("| workload | torchlike total s | of which backward s | first s | steady ms | peak MB |"
          " PyTorch total s | of which backward s | first s | steady ms | peak MB | total ratio |"
          " memory ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")

    def f(c, k, scale=1, fmt="{:.2f}"):
        v = c.get(k) if c else None
        return "-" if v is None else fmt.format(v * scale)
    for w, r in res.items():
        tl, tc = r["torchlike"], r.get("torch")
        if "error" in tl or (tc and "error" in tc):
            print(f"| {w} | error: {tl.get('error') or tc.get('error')} |")
            continue
        ratio = f"{tl['total_s'] / tc['total_s']:.2f}" if tc else "-"
        mem = f"{tl['peak_rss_mb'] / tc['peak_rss_mb']:.2f}" if tc else "-"
        print(f"| {w} | {f(tl, 'total_s')} | {f(tl, 'backward_s')} | {f(tl, 'first_s')} | {f(tl, 'steady_s', 1e3, '{:.1f}')}"
              f" | {f(tl, 'peak_rss_mb', 1, '{:.0f}')} | {f(tc, 'total_s')} | {f(tc, 'backward_s')} |"
              f" {f(tc, 'first_s')} |"
              f" {f(tc, 'steady_s', 1e3, '{:.1f}')} | {f(tc, 'peak_rss_mb', 1, '{:.0f}')} |"
              f" {ratio} | {mem} |")
    for w, r in res.items():
        if "stats" in r["torchlike"]:
            print(f"{w} torchlike backward: {r['torchlike']['stats']}, load average "
                  f"{r['torchlike']['load_avg']:.1f}")


if __name__ == "__main__":
    main()
