"""torchlike.sparse COO tensors against real PyTorch."""
import warnings

import numpy as np
import pytest

import torchlike as tl
from conftest import assert_close

IND = [[0, 1, 1], [2, 0, 2]]
VAL = [3.0, 4.0, 5.0]


@pytest.fixture
def pair(torch):
    warnings.filterwarnings("ignore", message="Sparse invariant checks")
    s = tl.sparse_coo_tensor(tl.tensor(IND), tl.tensor(VAL), (2, 3))
    t = torch.sparse_coo_tensor(torch.tensor(IND), torch.tensor(VAL), (2, 3))
    return s, t


def test_repr_layout_and_queries(pair, torch):
    s, t = pair
    assert repr(s) == repr(t)
    assert str(s.layout) == str(t.layout) == "torch.sparse_coo"
    assert s.is_sparse and isinstance(s, tl.Tensor)
    assert s._nnz() == t._nnz() == 3
    assert str(s.shape) == str(t.shape)
    assert (s.sparse_dim(), s.dense_dim()) == (t.sparse_dim(), t.dense_dim())
    assert s.is_coalesced() == t.is_coalesced()
    assert repr(s.coalesce()) == repr(t.coalesce())
    assert repr(s.to(tl.float64)) == repr(t.to(torch.float64))


def test_repr_variants(torch):
    warnings.filterwarnings("ignore", message="Sparse invariant checks")
    cases = [
        (lambda m: m.sparse_coo_tensor(m.tensor([[0, 1]]), m.tensor([[1., 2.], [3., 4.]]),
                                       (3, 2))),
        (lambda m: m.sparse_coo_tensor(size=(2, 3))),
        (lambda m: m.sparse_coo_tensor(m.tensor(IND), m.tensor([1, 2, 3]), (2, 3))),
        (lambda m: m.sparse_coo_tensor(m.tensor(IND), m.tensor(VAL), (2, 3),
                                       requires_grad=True)),
        (lambda m: m.sparse_coo_tensor(m.tensor([[1, 0, 1], [0, 2, 0]]), m.tensor(VAL))),
    ]
    for c in cases:
        assert repr(c(tl)) == repr(c(torch))


def test_dense_add_mm_coalesce(pair, torch):
    s, t = pair
    assert s.to_dense().tolist() == t.to_dense().tolist()
    assert repr(s.to_dense()) == repr(t.to_dense())
    assert (s + s).to_dense().tolist() == (t + t).to_dense().tolist()
    assert repr((s + s).coalesce()) == repr((t + t).coalesce())
    dense = np.arange(6, dtype=np.float32).reshape(3, 2)
    assert_close(tl.sparse.mm(s, tl.tensor(dense)), torch.sparse.mm(t, torch.tensor(dense)))
    s2 = tl.sparse_coo_tensor(tl.tensor([[1, 0, 1], [0, 2, 0]]), tl.tensor([1., 2., 3.]), (2, 3))
    t2 = torch.sparse_coo_tensor(torch.tensor([[1, 0, 1], [0, 2, 0]]),
                                 torch.tensor([1., 2., 3.]), (2, 3))
    assert repr(s2.coalesce()) == repr(t2.coalesce())
    assert s2.coalesce().indices().tolist() == t2.coalesce().indices().tolist()
    assert (s + s2).to_dense().tolist() == (t + t2).to_dense().tolist()
    assert repr(s.coalesce() + s2.coalesce()) == repr(t.coalesce() + t2.coalesce())
    assert repr(tl.ones(2, 3) + s) == repr(torch.ones(2, 3) + t)
    assert repr(s * 2) == repr(t * 2)
    assert repr(s.t()) == repr(t.t())
    assert repr(tl.sparse.sum(s)) == repr(torch.sparse.sum(t))
    assert repr(s.to_dense().to_sparse()) == repr(t.to_dense().to_sparse())


def test_errors(pair):
    s, _ = pair
    with pytest.raises(RuntimeError, match="uncoalesced"):
        s.indices()
    with pytest.raises(RuntimeError, match=r"add\(sparse, dense\) is not supported"):
        s + tl.ones(2, 3)
    with pytest.raises(RuntimeError, match="size is inconsistent with indices"):
        tl.sparse_coo_tensor(tl.tensor(IND), tl.tensor(VAL), (2, 2))
    with pytest.raises(RuntimeError, match="same nnz"):
        tl.sparse_coo_tensor(tl.tensor(IND), tl.tensor([1., 2.]), (2, 3))


def test_gradients(torch):
    warnings.filterwarnings("ignore", message="Sparse invariant checks")
    dense = np.arange(6, dtype=np.float32).reshape(3, 2)
    w = tl.tensor(dense, requires_grad=True)
    v = tl.tensor(VAL, requires_grad=True)
    s = tl.sparse_coo_tensor(tl.tensor(IND), v, (2, 3))
    (tl.sparse.mm(s, w) ** 2).sum().backward()
    tw = torch.tensor(dense, requires_grad=True)
    tv = torch.tensor(VAL, requires_grad=True)
    ts = torch.sparse_coo_tensor(torch.tensor(IND), tv, (2, 3))
    (torch.sparse.mm(ts, tw) ** 2).sum().backward()
    assert_close(w.grad, tw.grad)
    assert_close(v.grad, tv.grad)
    v2 = tl.tensor(VAL, requires_grad=True)
    tl.sparse_coo_tensor(tl.tensor(IND), v2, (2, 3)).to_dense().mul(tl.arange(6.0).reshape(
        2, 3)).sum().backward()
    assert v2.grad.tolist() == [2.0, 3.0, 5.0]
