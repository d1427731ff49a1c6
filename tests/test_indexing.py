"""Indexing against real PyTorch: get and set over a generated set of index expressions mixing
ints, slices, ranges, lists, nested tuples, tensors, bool masks, Python bools, None and
Ellipsis; result shapes and values, and errors by type and message (torchlike/_indexing.py)."""
from __future__ import annotations

import random
import warnings

import numpy as np
import pytest

import torchlike as tl

SHAPE = (2, 3, 4)
# ("t", data): a long tensor, ("m", data): a bool tensor, ("f", data): a float tensor
ITEMS = [0, -1, 2, 5, -5, slice(None), slice(1, 3), slice(None, None, 2), slice(-2, None),
         slice(5, 9), None, Ellipsis, range(2), range(0, 3, 2), range(3, 5), [0, 1], [1, -1],
         [[0], [1]], [0, 4], [], ("t", [0, 1]), ("t", [[1, 0]]), ("t", 1), ("t", [3]),
         ("m", [True, False]), ("m", [True, False, True]),
         ("m", [[True, False, True], [False, True, True]]), [True, False], True, False,
         ("t", []), (1, 0), ("f", [0., 1.]), ("mt", True), np.int64(1), [0.7, 1.2],
         slice(None, None, -1), slice(None, None, 0), 1.5, "a"]


def _conv(lib, it):
    if isinstance(it, tuple) and len(it) == 2 and isinstance(it[0], str):
        kind, v = it
        dtype = {"t": lib.long, "m": lib.bool, "f": lib.float32, "mt": lib.bool}[kind]
        return lib.tensor(v, dtype=dtype)
    return it


def _index(lib, idx):
    if isinstance(idx, tuple) and not isinstance(idx[0], str):
        return tuple(_conv(lib, it) for it in idx)
    return _conv(lib, idx)


def _cases(n, seed):
    rng = random.Random(seed)
    out = [(it,) for it in ITEMS] + list(ITEMS)
    for _ in range(n):
        out.append(tuple(rng.choice(ITEMS) for _ in range(rng.randint(2, 4))))
    return out


def _outcome(lib, x, fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = fn(x)
        return ("ok", tuple(r.shape), np.asarray(r.tolist()))
    except Exception as e:  # noqa: BLE001 - compared by type and message
        return ("err", type(e).__name__, str(e).split("\n")[0])


def _same(a, b):
    assert a[:2] == b[:2], (a, b)
    if a[0] == "ok":
        np.testing.assert_array_equal(a[2], b[2])
    else:
        assert a[2] == b[2]


GET = _cases(90, 0)
SET = _cases(60, 1)


@pytest.mark.parametrize("chunk", range(0, len(GET), 45))
def test_getitem_matches_torch(torch, chunk):
    for idx in GET[chunk:chunk + 45]:
        def fn(lib):
            return lambda x: x[_index(lib, idx)]
        a = _outcome(torch, torch.arange(24).reshape(SHAPE), fn(torch))
        b = _outcome(tl, tl.arange(24).reshape(SHAPE), fn(tl))
        _same(a, b)


def _set_scalar(lib, idx):
    def f(x):
        x[_index(lib, idx)] = -7
        return x
    return f


@pytest.mark.parametrize("chunk", range(0, len(SET), 50))
def test_setitem_scalar_matches_torch(torch, chunk):
    for idx in SET[chunk:chunk + 50]:
        a = _outcome(torch, torch.arange(24).reshape(SHAPE), _set_scalar(torch, idx))
        b = _outcome(tl, tl.arange(24).reshape(SHAPE), _set_scalar(tl, idx))
        _same(a, b)


@pytest.mark.parametrize("idx", [
    (0, slice(None), [1, 2]), ([0, 1], slice(None), [1, 2]), (range(2), [0, 2]),
    ("m2",), (Ellipsis, [3, 0]), (None, [1], slice(1, 3)), (True, 1, [0, 2]),
    ([[0], [1]], [[0, 1]]), (slice(None), [2, 0, 1], slice(None, None, 3)),
])
@pytest.mark.parametrize("value", ["full", "row", "bad"])
def test_setitem_tensor_values(torch, idx, value):
    """Values of the indexing result's shape, broadcast rows, and mismatches (RuntimeError)."""
    def mk(lib):
        i = tuple(lib.tensor([[True, False, True], [False, True, True]]) if it == "m2" else it
                  for it in idx)
        shape = tuple(torch.arange(24).reshape(SHAPE)[_index(torch, tuple(
            torch.tensor([[True, False, True], [False, True, True]]) if it == "m2" else it
            for it in idx))].shape)
        if value == "full":
            v = lib.arange(int(np.prod(shape))).reshape(shape) * 10
        elif value == "row":
            v = lib.arange(shape[-1]) * 10
        else:
            v = lib.zeros((3,) + shape, dtype=lib.long)

        def f(x):
            x[i] = v
            return x
        return f
    a = _outcome(torch, torch.arange(24).reshape(SHAPE), mk(torch))
    b = _outcome(tl, tl.arange(24).reshape(SHAPE), mk(tl))
    _same(a, b)


def test_sequence_read_as_tuple_warns(torch):
    x = tl.arange(24).reshape(SHAPE)
    with pytest.warns(UserWarning, match="non-tuple sequence for multidimensional indexing"):
        r = x[[[0], [1]]]
    assert tuple(r.shape) == tuple(torch.arange(24).reshape(SHAPE)[[0], [1]].shape)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tuple(x[[0, 1]].shape) == (2, 3, 4)       # a flat list is a tensor index


def test_range_index_and_gradient(torch):
    """x[range(n), y]: the nn tutorial's log-likelihood pick, values and gradient."""
    xv = np.linspace(-1, 1, 12).reshape(3, 4).astype(np.float32)
    y = [3, 0, 2]
    xt, xl = torch.tensor(xv, requires_grad=True), tl.tensor(xv, requires_grad=True)
    (xt[range(3), y] * torch.tensor([1., 2., 3.])).sum().backward()
    (xl[range(3), y] * tl.tensor([1., 2., 3.])).sum().backward()
    np.testing.assert_allclose(xl.grad.numpy(), xt.grad.numpy())
    # set with a range and a mask under autograd
    at, al = torch.zeros(3, 4), tl.zeros(3, 4)
    at[range(1, 3), [0, 1]] = 5.0
    al[range(1, 3), [0, 1]] = 5.0
    np.testing.assert_array_equal(al.numpy(), at.numpy())


def test_basic_index_is_a_view():
    x = tl.arange(24).reshape(SHAPE)
    v = x[..., 1:3]
    v[0, 0, 0] = 100
    assert x[0, 0, 1].item() == 100
    w = x[[0, 1]]                 # advanced: a copy
    w[0, 0, 0] = -1
    assert x[0, 0, 0].item() == 0


def test_masked_set_under_compile():
    def f(x):
        x = x.clone()
        x[x > 0] = 0.0
        return x
    g = tl.compile(f)
    x = tl.tensor([[-1.0, 2.0], [3.0, -4.0]])
    np.testing.assert_array_equal(g(x).numpy(), f(x).numpy())
