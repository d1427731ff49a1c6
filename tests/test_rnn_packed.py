"""nn.utils.rnn packing helpers and RNN/LSTM/GRU over PackedSequence, and LSTM(proj_size=...),
against real torch with the same weights: values, lengths, indices and gradients."""
import numpy as np
import pytest

import torchlike as tl

TR = tl.nn.utils.rnn


def _np(t):
    return np.asarray(t.detach().numpy())


def _copy(tm, lm):
    # .copy(): torch trains its modules in place afterwards, and the arrays must not be shared
    lm.load_state_dict({k: tl.tensor(v.detach().numpy().copy())
                        for k, v in tm.state_dict().items()})


def _x(*shape, seed=0):
    return np.random.RandomState(seed).randn(*shape)


# ------------------------------------------------------------------------- the helpers


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lens,enforce", [([4, 3, 3, 1], True), ([2, 4, 1, 3], False),
                                          ([3, 3, 3, 3], False)])
def test_pack_pad_roundtrip(torch, batch_first, lens, enforce):
    R = torch.nn.utils.rnn
    x = _x(4, 4, 2) if not batch_first else _x(4, 4, 2).transpose(1, 0, 2).copy()
    pt = R.pack_padded_sequence(torch.tensor(x), torch.tensor(lens), batch_first=batch_first,
                                enforce_sorted=enforce)
    pl = TR.pack_padded_sequence(tl.tensor(x), tl.tensor(lens), batch_first=batch_first,
                                 enforce_sorted=enforce)
    np.testing.assert_array_equal(_np(pl.data), pt.data.numpy())
    assert pl.batch_sizes.tolist() == pt.batch_sizes.tolist()
    assert pl.batch_sizes.dtype is tl.int64
    for a, b in ((pl.sorted_indices, pt.sorted_indices),
                 (pl.unsorted_indices, pt.unsorted_indices)):
        assert (a is None) == (b is None)
        if a is not None:
            assert a.tolist() == b.tolist()
    for total in (None, 6):
        padt, lt = R.pad_packed_sequence(pt, batch_first=batch_first, padding_value=-1.5,
                                         total_length=total)
        padl, ll = TR.pad_packed_sequence(pl, batch_first=batch_first, padding_value=-1.5,
                                          total_length=total)
        np.testing.assert_array_equal(_np(padl), padt.numpy())
        assert ll.tolist() == lt.tolist() and ll.dtype is tl.int64


def test_pack_sequence_unpack_and_pad_sequence(torch):
    R = torch.nn.utils.rnn
    seqs = [_x(n, 2, seed=n) for n in (2, 5, 3)]
    for side in ("right", "left"):
        for bf in (False, True):
            a = R.pad_sequence([torch.tensor(s) for s in seqs], batch_first=bf,
                               padding_value=7.0, padding_side=side)
            b = TR.pad_sequence([tl.tensor(s) for s in seqs], batch_first=bf,
                                padding_value=7.0, padding_side=side)
            np.testing.assert_array_equal(_np(b), a.numpy())
    pt = R.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    pl = TR.pack_sequence([tl.tensor(s) for s in seqs], enforce_sorted=False)
    np.testing.assert_array_equal(_np(pl.data), pt.data.numpy())
    back = TR.unpack_sequence(pl)
    assert [tuple(t.shape) for t in back] == [s.shape for s in seqs]
    for t, s in zip(back, seqs):
        np.testing.assert_array_equal(_np(t), s)
    padded = TR.pad_sequence([tl.tensor(s) for s in seqs])
    un = TR.unpad_sequence(padded, tl.tensor([2, 5, 3]))
    for t, s in zip(un, seqs):
        np.testing.assert_array_equal(_np(t), s)
    # the documented example's printed form
    p = TR.pack_sequence([tl.tensor([1, 2, 3]), tl.tensor([4, 5]), tl.tensor([6])])
    assert repr(p) == repr(R.pack_sequence([torch.tensor([1, 2, 3]), torch.tensor([4, 5]),
                                            torch.tensor([6])]))


def test_helper_errors(torch):
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        TR.pack_padded_sequence(tl.zeros(3, 2), [2, 3])
    with pytest.raises(RuntimeError, match="has to be greater than 0"):
        TR.pack_padded_sequence(tl.zeros(3, 2), [3, 0])
    with pytest.raises(RuntimeError, match="received an empty list of sequences"):
        TR.pad_sequence([])
    p = TR.pack_sequence([tl.ones(3), tl.ones(2)])
    with pytest.raises(ValueError, match="Expected total_length to be at least"):
        TR.pad_packed_sequence(p, total_length=2)


def test_pack_gradient(torch):
    R = torch.nn.utils.rnn
    x = _x(4, 3, 2)
    xt = torch.tensor(x, requires_grad=True)
    xl = tl.tensor(x, requires_grad=True)
    w = _x(9, 2, seed=3)
    pt = R.pack_padded_sequence(xt, [2, 4, 3], enforce_sorted=False)
    pl = TR.pack_padded_sequence(xl, [2, 4, 3], enforce_sorted=False)
    (pt.data * torch.tensor(w)).sum().backward()
    (pl.data * tl.tensor(w)).sum().backward()
    np.testing.assert_allclose(_np(xl.grad), xt.grad.numpy())


# ------------------------------------------------------------------------- RNNs on packed input

_CASES = [
    ("GRU", dict(num_layers=2, bidirectional=True)),
    ("RNN", dict(nonlinearity="relu", batch_first=True)),
    ("LSTM", dict(proj_size=2, bidirectional=True, num_layers=2)),
]


@pytest.mark.parametrize("cls,kw", _CASES, ids=[f"{c}-{'-'.join(k)}" for c, k in _CASES])
def test_rnn_packed_matches_torch(torch, cls, kw):
    R = torch.nn.utils.rnn
    torch.manual_seed(0)
    tm = getattr(torch.nn, cls)(3, 4, **kw).double()
    lm = getattr(tl.nn, cls)(3, 4, **kw).double()
    _copy(tm, lm)
    lens = [2, 4, 1, 3]
    bf = kw.get("batch_first", False)
    x = _x(4, 4, 3)
    xt, xl = torch.tensor(x, requires_grad=True), tl.tensor(x, requires_grad=True)
    pt = R.pack_padded_sequence(xt, lens, batch_first=bf, enforce_sorted=False)
    pl = TR.pack_padded_sequence(xl, lens, batch_first=bf, enforce_sorted=False)
    nd = 2 if kw.get("bidirectional") else 1
    nl = kw.get("num_layers", 1)
    h = _x(nl * nd, 4, kw.get("proj_size") or 4, seed=5)
    hx_t, hx_l = torch.tensor(h), tl.tensor(h)
    if cls == "LSTM":
        c = _x(nl * nd, 4, 4, seed=6)
        hx_t, hx_l = (hx_t, torch.tensor(c)), (hx_l, tl.tensor(c))
    ot, ht = tm(pt, hx_t)
    ol, hl = lm(pl, hx_l)
    assert isinstance(ol, TR.PackedSequence)
    np.testing.assert_allclose(_np(ol.data), ot.data.detach().numpy(), atol=1e-12)
    assert ol.batch_sizes.tolist() == ot.batch_sizes.tolist()
    assert ol.sorted_indices.tolist() == ot.sorted_indices.tolist()
    hts = ht if isinstance(ht, tuple) else (ht,)
    hls = hl if isinstance(hl, tuple) else (hl,)
    for a, b in zip(hls, hts):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(_np(a), b.detach().numpy(), atol=1e-12)
    padt, _ = R.pad_packed_sequence(ot, batch_first=bf)
    padl, _ = TR.pad_packed_sequence(ol, batch_first=bf)
    wt = _x(*padt.shape, seed=9)
    ((padt * torch.tensor(wt)).sum() + hts[0].pow(2).sum()).backward()
    ((padl * tl.tensor(wt)).sum() + hls[0].pow(2).sum()).backward()
    np.testing.assert_allclose(_np(xl.grad), xt.grad.numpy(), atol=1e-12)
    for (n, p), (n2, p2) in zip(tm.named_parameters(), lm.named_parameters()):
        assert n == n2
        np.testing.assert_allclose(_np(p2.grad), p.grad.numpy(), atol=1e-11, err_msg=n)


def test_rnn_packed_sorted_and_no_hx(torch):
    R = torch.nn.utils.rnn
    torch.manual_seed(1)
    tm, lm = torch.nn.LSTM(2, 3), tl.nn.LSTM(2, 3)
    _copy(tm, lm)
    seqs = [_x(n, 2, seed=n).astype(np.float32) for n in (4, 2, 1)]
    ot, (ht, ct) = tm(R.pack_sequence([torch.tensor(s) for s in seqs]))
    ol, (hl, cl) = lm(TR.pack_sequence([tl.tensor(s) for s in seqs]))
    assert ol.sorted_indices is None and ot.sorted_indices is None
    np.testing.assert_allclose(_np(ol.data), ot.data.detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(_np(hl), ht.detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(_np(cl), ct.detach().numpy(), atol=1e-6)


def test_rnn_packed_errors(torch):
    lm = tl.nn.GRU(3, 4)
    p = TR.pack_sequence([tl.ones(2, 5), tl.ones(1, 5)])
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. "
                                           "Expected 3, got 5"):
        lm(p)
    p = TR.pack_sequence([tl.ones(2, 3), tl.ones(1, 3)])
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 2, 4\), got \[1, 3, 4\]"):
        lm(p, tl.zeros(1, 3, 4))
    with pytest.raises(ValueError, match="RNN input dtype \\(torch.float64\\) does not match "
                                         "weight dtype \\(torch.float32\\)"):
        lm(p.double())


# ------------------------------------------------------------------------- LSTM(proj_size)


def test_lstm_proj_size_parameters_and_values(torch):
    torch.manual_seed(2)
    tm = torch.nn.LSTM(3, 5, num_layers=2, proj_size=2, bidirectional=True, bias=False)
    lm = tl.nn.LSTM(3, 5, num_layers=2, proj_size=2, bidirectional=True, bias=False)
    assert [(n, tuple(p.shape)) for n, p in lm.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in tm.named_parameters()]
    assert lm._flat_weights_names == tm._flat_weights_names
    assert repr(lm) == repr(tm)
    _copy(tm, lm)
    x = _x(3, 2, 3).astype(np.float32)
    ot, (ht, ct) = tm(torch.tensor(x))
    ol, (hl, cl) = lm(tl.tensor(x))
    assert tuple(ol.shape) == (3, 2, 4) and tuple(hl.shape) == (4, 2, 2) \
        and tuple(cl.shape) == (4, 2, 5)
    for a, b in ((ol, ot), (hl, ht), (cl, ct)):
        np.testing.assert_allclose(_np(a), b.detach().numpy(), atol=1e-5)
    # unbatched input
    ot1, (ht1, _) = tm(torch.tensor(x[:, 0]))
    ol1, (hl1, _) = lm(tl.tensor(x[:, 0]))
    np.testing.assert_allclose(_np(ol1), ot1.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(_np(hl1), ht1.detach().numpy(), atol=1e-5)


def test_lstm_proj_size_errors(torch):
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        tl.nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="proj_size should be a positive integer or zero"):
        tl.nn.LSTM(3, 4, proj_size=-1)
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        tl.nn.GRU(3, 4, proj_size=2)
    lm = tl.nn.LSTM(3, 4, proj_size=2)
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(1, 2, 2\), got "
                                           r"\[1, 2, 4\]"):
        lm(tl.zeros(5, 2, 3), (tl.zeros(1, 2, 4), tl.zeros(1, 2, 4)))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[1\] size \(1, 2, 4\), got "
                                           r"\[1, 2, 2\]"):
        lm(tl.zeros(5, 2, 3), (tl.zeros(1, 2, 2), tl.zeros(1, 2, 2)))


def test_traced_lengths_under_compile_say_what_to_do():
    gru = tl.nn.GRU(2, 3)

    def f(x, lengths):
        out, h = gru(TR.pack_padded_sequence(x, lengths, enforce_sorted=False))
        return h.sum()

    cf = tl.compile(f)
    x, lengths = tl.ones(3, 2, 2), tl.tensor([3, 1])
    cf(x, lengths)                               # first sight runs eagerly
    with pytest.raises(RuntimeError, match="Pass the lengths as a Python list"):
        cf(x, lengths)


def test_gru_classifier_over_packed_batch_trains_like_torch(torch):
    """The issue-15 row: a GRU text classifier over a packed, unsorted batch; three SGD steps
    give PyTorch's losses."""
    def run(m):
        m.manual_seed(0)
        emb, gru, lin = m.nn.Embedding(7, 3), m.nn.GRU(3, 4, batch_first=True), m.nn.Linear(4, 2)
        return emb, gru, lin
    te, tg, tlin = run(torch)
    le, lg, llin = run(tl)
    for tm_, lm_ in ((te, le), (tg, lg), (tlin, llin)):
        _copy(tm_, lm_)
    tok = np.array([[1, 2, 3, 0], [4, 5, 0, 0], [6, 1, 2, 3]])
    lengths, y = [3, 2, 4], np.array([0, 1, 1])
    losses = []
    for m, (emb, gru, lin) in ((torch, (te, tg, tlin)), (tl, (le, lg, llin))):
        R = m.nn.utils.rnn
        opt = m.optim.SGD([*emb.parameters(), *gru.parameters(), *lin.parameters()], lr=0.5)
        ls = []
        for _ in range(3):
            opt.zero_grad()
            packed = R.pack_padded_sequence(emb(m.tensor(tok)), m.tensor(lengths),
                                            batch_first=True, enforce_sorted=False)
            _, h = gru(packed)
            loss = m.nn.functional.cross_entropy(lin(h[-1]), m.tensor(y))
            loss.backward()
            opt.step()
            ls.append(float(loss.detach()))
        losses.append(ls)
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-5)
