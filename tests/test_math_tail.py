"""The torch.* helpers of issue 15's long tail, one record per call against real torch:
values, shapes, dtypes, gradients (float64 inputs listed in `grad`) and errors."""
from __future__ import annotations

import numpy as np
import pytest

import torchlike
from parity import Case, rng, run_case, run_error

R = rng(0)
A = R.standard_normal((3, 4))
V = R.standard_normal(6)
S = np.sort(R.standard_normal(5))
TIES = np.array([[1., 3, 3, 2, 3, 1], [2, 2, 1, 1, 5, 5]])
NANS = np.array([[1., np.nan, 3, 2, 7], [np.nan, 4, np.nan, 0.5, 1]])
I = np.array([[0, 1, 0, 2], [2, 2, 1, 0]])
C = R.standard_normal((3, 2))

CASES = [
    # searching and counting
    Case("searchsorted", lambda m, s, x: m.searchsorted(s, x), S, V),
    Case("searchsorted_right_i32", lambda m, s, x: m.searchsorted(s, x, right=True,
                                                                   out_int32=True), S, S),
    Case("searchsorted_nd_side", lambda m, s, x: m.searchsorted(s, x, side="right"),
         np.sort(A, 1), A[:, :2]),
    Case("searchsorted_sorter", lambda m, s, x: m.searchsorted(s, x, sorter=s.argsort()),
         V, A),
    Case("searchsorted_scalar", lambda m, s: m.searchsorted(s, 0.1), S),
    Case("bucketize", lambda m, x, b: m.bucketize(x, b), A, S),
    Case("bucketize_right", lambda m, x, b: m.bucketize(x, b, right=True), S, S),
    Case("histc", lambda m, x: m.histc(x, bins=4), A),
    Case("histc_range", lambda m, x: m.histc(x, bins=3, min=-1, max=1), V),
    Case("histc_const", lambda m, x: m.histc(x, bins=2), np.ones(3, np.float32)),
    Case("histogram", lambda m, x: m.histogram(x, 5), V),
    Case("histogram_range_w", lambda m, x, w: m.histogram(x, 3, range=(-1., 1.), weight=w,
                                                          density=True), V, np.abs(V)),
    Case("histogram_edges", lambda m, x, e: m.histogram(x, e), V, S),
    # differences and combinations
    Case("diff", lambda m, x: m.diff(x), A, grad=(0,)),
    Case("diff_n2_dim0", lambda m, x, p: m.diff(x, n=2, dim=0, prepend=p), A, A[:1],
         grad=(0, 1)),
    Case("diff_bool", lambda m, x: m.diff(x > 0), V),
    Case("diff_int_append", lambda m, x: x.diff(append=x[:2]), I[0]),
    Case("tril_indices", lambda m: m.tril_indices(3, 4, 1)),
    Case("triu_indices", lambda m: m.triu_indices(4, 3, -1, dtype=m.int32)),
    Case("cartesian_prod", lambda m, a, b: m.cartesian_prod(a, b), V[:2], V[2:5], grad=(0, 1)),
    Case("cartesian_prod_1", lambda m, a: m.cartesian_prod(a), V[:3]),
    Case("combinations", lambda m, a: m.combinations(a), V[:4], grad=(0,)),
    Case("combinations_repl", lambda m, a: m.combinations(a, 3, with_replacement=True), I[0]),
    Case("unique_consecutive", lambda m, a: m.unique_consecutive(a, return_inverse=True,
                                                                 return_counts=True),
         np.array([1, 1, 2, 2, 3, 1, 1, 2])),
    Case("unique_consecutive_dim", lambda m, a: a.unique_consecutive(dim=0),
         np.array([[1, 1], [1, 1], [2, 3]])),
    # scans and selections
    Case("mode", lambda m, x: m.mode(x, 1), TIES, grad=(0,)),
    Case("mode_keepdim_int", lambda m, x: x.mode(0, keepdim=True), I),
    Case("cummax", lambda m, x: m.cummax(x, 1), TIES, grad=(0,)),
    Case("cummin", lambda m, x: x.cummin(0), A, grad=(0,)),
    Case("cummax_nan", lambda m, x: m.cummax(x, 0),
         np.array([1., 3, 3, 2, np.nan, 5, np.nan, 1])),
    Case("cummin_int", lambda m, x: m.cummin(x, 1), I),
    Case("logcumsumexp", lambda m, x: m.logcumsumexp(x, 1), A, grad=(0,)),
    Case("nanmedian", lambda m, x: m.nanmedian(x), NANS, grad=(0,)),
    Case("nanmedian_dim", lambda m, x: x.nanmedian(1), NANS[:, 1:], grad=(0,)),
    Case("nanmedian_int", lambda m, x: m.nanmedian(x, 0, keepdim=True), I),
    # shapes and stacking
    Case("rot90", lambda m, x: m.rot90(x), A, grad=(0,)),
    Case("rot90_k", lambda m, x: [x.rot90(k, [1, 0]) for k in (-1, 2, 3, 4)], A, grad=(0,)),
    Case("diag_embed", lambda m, x: m.diag_embed(x), A, grad=(0,)),
    Case("diag_embed_off", lambda m, x: m.diag_embed(x, -1, 0, 2), A, grad=(0,)),
    Case("hsplit", lambda m, x: m.hsplit(x, 2), A, grad=(0,)),
    Case("hsplit_idx_1d", lambda m, x: m.hsplit(x, [1, 4]), V),
    Case("vsplit", lambda m, x: x.vsplit([1]), A),
    Case("dsplit", lambda m, x: m.dsplit(x, 2), A.reshape(1, 3, 4)),
    Case("dstack", lambda m, a, b: m.dstack([a, b]), V[:3], V[3:], grad=(0, 1)),
    Case("column_stack", lambda m, a, b: m.column_stack([a, b]), V[:3], A[:, :2]),
    Case("row_stack", lambda m, a, b: m.row_stack((a, b)), A[0], A),
    Case("atleast", lambda m, a, b, c: [m.atleast_1d(a), m.atleast_2d(a, b), m.atleast_3d(
        [a, b, c])], np.array(1.5), V, A),
    Case("block_diag", lambda m, a, b: m.block_diag(a, b), A[:2, :2], V[:3], grad=(0, 1)),
    # scatter, put, strided views
    *[Case(f"scatter_reduce_{r}_{s}", lambda m, x, i, y, r=r, s=s: m.scatter_reduce(
        x, 1, i, y, r, include_self=s), np.round(A * 2) / 2, I, np.round(A[:2] * 2) / 2,
        grad=(0, 2))
      for r in ("sum", "prod", "mean", "amax", "amin") for s in (True, False)],
    Case("scatter_reduce_ties", lambda m, x, i, y: x.scatter_reduce(0, i, y, "amax"),
         np.array([1., 2, 2]), np.array([0, 0, 1]), np.array([1., 0.5, 2]), grad=(0, 2)),
    Case("scatter_reduce_int_mean", lambda m, x, i, y: m.scatter_reduce(x, 0, i, y, "mean"),
         np.array([5, 3, 1]), np.array([0, 0]), np.array([2, 2])),
    Case("masked_scatter", lambda m, x, k, s: x.masked_scatter(k > 0, s), A, V[:4],
         R.standard_normal(12), grad=(0, 2)),
    Case("put", lambda m, x, i, s: m.put(x, i, s), A, np.array([0, -1, 5]), V[:3],
         grad=(0, 2)),
    Case("put_accumulate", lambda m, x, i, s: x.put(i, s, accumulate=True), A,
         np.array([1, 1, 2]), V[:3], grad=(0, 2)),
    Case("put_", lambda m, x, i, s: x.clone().put_(i, s), A, np.array([1, 2]), V[:2]),
    Case("as_strided", lambda m, x: m.as_strided(x, (2, 2), (1, 2), 1), V, grad=(0,)),
    Case("as_strided_method", lambda m, x: (x * 1).as_strided((3, 2), (2, 1)), V, grad=(0,)),
    # complex helpers
    Case("angle_real", lambda m, x: m.angle(x), np.array([-1., 0, 2, np.nan])),
    Case("angle_int", lambda m, x: x.angle(), np.array([-1, 0, 3])),
    Case("angle_complex", lambda m, x: m.angle(m.view_as_complex(x)), C, grad=(0,)),
    Case("view_as_real", lambda m, x: m.view_as_real(m.view_as_complex(x) * 2), C, grad=(0,)),
    Case("polar", lambda m, a, t: m.polar(a, t), np.abs(V), V, grad=(0, 1)),
    Case("complex", lambda m, a, b: m.complex(a, b), V, V[::-1].copy(), grad=(0, 1)),
    Case("complex_f32", lambda m, a, b: m.complex(a, b), V.astype(np.float32),
         V.astype(np.float32)),
    # statistics
    Case("cov", lambda m, x: m.cov(x), A, grad=(0,)),
    Case("cov_weights", lambda m, x, f, a: m.cov(x, correction=0, fweights=f, aweights=a),
         A, np.array([1, 2, 1, 3]), np.abs(V[:4]), grad=(0,)),
    Case("cov_1d_int", lambda m, x: m.cov(x), np.array([1, 2, 4])),
    Case("corrcoef", lambda m, x: m.corrcoef(x), A, grad=(0,)),
    Case("renorm", lambda m, x: m.renorm(x, 2, 0, 1.0), A * 2, grad=(0,)),
    Case("renorm_p1", lambda m, x: x.renorm(1, 1, 0.5), A, grad=(0,)),
    # special functions at the top level
    Case("i0", lambda m, x: m.i0(x), A, grad=(0,)),
    Case("xlogy", lambda m, x, y: m.xlogy(x, y), np.array([0., 1, 2, 0]),
         np.array([2., 3, 0.5, np.nan]), grad=(0, 1)),
    Case("xlogy_scalar", lambda m, y: m.xlogy(2, y), np.abs(V) + 0.1),
    Case("mvlgamma", lambda m, x: x.mvlgamma(2), np.abs(A) + 1, grad=(0,)),
    Case("igamma", lambda m, a, x: [m.igamma(a, x), a.igammac(x)], np.abs(A) + 0.5,
         np.abs(A[::-1].copy()) + 0.1, grad=(1,)),
    # the verified helpers that existed before
    Case("kron", lambda m, a, b: m.kron(a, b), A[:2, :2], A[:2, :3], grad=(0, 1)),
    Case("cdist", lambda m, a, b: m.cdist(a, b), A, A[:2] + 1, grad=(0, 1)),
    Case("tensordot", lambda m, a, b: m.tensordot(a, b, dims=([1], [1])), A, A, grad=(0, 1)),
    Case("inner", lambda m, a, b: m.inner(a, b), A, A[:2], grad=(0, 1)),
    Case("vander", lambda m, x: m.vander(x, 3, increasing=True), V[:4]),
    Case("trapezoid", lambda m, y, x: m.trapezoid(y, x), A, np.sort(V[:4]), grad=(0, 1)),
    Case("take_along_dim", lambda m, x, i: m.take_along_dim(x, i, 1), A, I.T[:3].copy(), grad=(0,)),
    Case("baddbmm", lambda m, a, b, c: m.baddbmm(a, b, c, beta=0.5, alpha=2),
         A.reshape(1, 3, 4), A.reshape(1, 3, 4), A.reshape(1, 4, 3)[:, :, :1].repeat(4, 2)
         .reshape(1, 4, 4), grad=(0, 1, 2)),
    Case("addmv", lambda m, a, b, c: m.addmv(a, b, c), V[:3], A, V[:4], grad=(0, 1, 2)),
    Case("addr", lambda m, a, b, c: m.addr(a, b, c), A, V[:3], V[:4], grad=(0, 1, 2)),
    Case("linalg", lambda m, a: [m.linalg.svdvals(a), m.linalg.slogdet(a[:3, :3]),
                                 m.linalg.matrix_exp(a[:3, :3]),
                                 m.linalg.multi_dot([a, a.T, a]),
                                 m.linalg.solve_triangular(m.triu(a[:3, :3]) + 3 * m.eye(
                                     3, dtype=a.dtype), a, upper=True)], A, grad=(0,)),
    Case("lstsq", lambda m, a, b: m.linalg.lstsq(a, b).solution, A.T.copy(), V[:4, None],
         grad=(0, 1)),
    Case("qr", lambda m, a: m.linalg.qr(a.T), A, grad=(0,)),
    # decompositions with gauge freedom: invariants only (singular values, U S Vh, sorted
    # eigenvalues of a matrix with real spectrum, A V = V diag(w))
    Case("svd", lambda m, a: [m.linalg.svd(a, full_matrices=False).S,
                              (lambda u, s, vh: (u * s) @ vh)(*m.linalg.svd(a, False)),
                              m.svd(a).S, m.linalg.svd(a).U.shape[0]], A, grad=(0,)),
    Case("eig", lambda m, a: [m.sort(m.linalg.eigvals(a @ a.T).real).values,
                              (lambda w, v: (a @ a.T).to(v.dtype) @ v - v * w)(
                                  *m.linalg.eig(a @ a.T)).abs().max() < 1e-9],
         A, rtol=1e-6, atol=1e-9),
]


Q = np.array([0.1, 0.5, 0.75])
CASES += [
    Case("logaddexp", lambda m, a, b: [m.logaddexp(a, b), a.logaddexp2(b)], A, A[::-1].copy(),
         grad=(0, 1)),
    Case("heaviside", lambda m, a, v: m.heaviside(a, v), np.array([-1., 0, 2]),
         np.array([0.5])),
    Case("gcd_lcm", lambda m, a, b: [m.gcd(a, b), a.lcm(b)], np.array([4, -6, 0, 9]),
         np.array([6, 4, 5, 12])),
    Case("nextafter_frexp_ldexp", lambda m, a, e: [m.nextafter(a, a * 2), m.frexp(a),
                                                   m.ldexp(a, e)], V, np.array([2, -1] * 3)),
    Case("isin", lambda m, a, b: [m.isin(a, b), m.isin(a, 2, invert=True)], I, I[0, :2]),
    *[Case(f"quantile_{k}", lambda m, x, q, k=k: [
        m.quantile(x, q, dim=1, interpolation=k), m.quantile(x, 0.3, interpolation=k),
        x.quantile(q, dim=0, keepdim=True, interpolation=k)], A, Q, grad=(0,))
      for k in ("linear", "lower", "higher", "midpoint", "nearest")],
    Case("quantile_keepdim_all", lambda m, x: m.quantile(x, 0.5, keepdim=True), A, grad=(0,)),
    Case("nanquantile", lambda m, x, q: [m.nanquantile(x, q, dim=1), m.nanquantile(x, 0.5),
                                         m.quantile(x, 0.5, dim=1)], NANS, Q),
    Case("vdot_isreal_positive", lambda m, a, b: [m.vdot(a, b), m.isreal(a), m.positive(a)],
         V, V[::-1].copy(), grad=(0, 1)),
    Case("diagflat", lambda m, a: [m.diagflat(a), a.diagflat(-1)], A[:2, :2].copy(),
         grad=(0,)),
    Case("pdist", lambda m, a: [m.pdist(a), m.pdist(a, p=1)], A, grad=(0,)),
    Case("unravel_index", lambda m, i: m.unravel_index(i, (3, 4)), np.array([5, 7, 11])),
    Case("windows", lambda m: [m.hann_window(5), m.hann_window(6, periodic=False),
                               m.hamming_window(5), m.blackman_window(7, dtype=m.float64),
                               m.bartlett_window(5), m.kaiser_window(6),
                               m.kaiser_window(5, False, 5.0), m.hann_window(1),
                               m.hann_window(0)], rtol=1e-5, atol=1e-6),
]

SIG = R.standard_normal((2, 20))
CASES += [
    Case("stft", lambda m, x, w: m.stft(x, 8, hop_length=3, win_length=6, window=w,
                                        return_complex=True), SIG, np.hanning(6),
         grad=(0, 1)),
    Case("stft_real_1d", lambda m, x: m.stft(x, 8, window=m.ones(8, dtype=x.dtype),
                                             return_complex=False), SIG[0], grad=(0,)),
    Case("stft_two_sided_norm", lambda m, x: m.stft(
        x, 8, center=False, onesided=False, normalized=True, window=m.hann_window(
            8, dtype=x.dtype), return_complex=True), SIG, grad=(0,)),
    Case("stft_constant_pad", lambda m, x: m.stft(x, 6, 2, pad_mode="constant",
                                                  window=m.hann_window(6, dtype=x.dtype),
                                                  return_complex=True), SIG, grad=(0,)),
    Case("istft", lambda m, x, w: m.istft(m.stft(x, 8, hop_length=3, win_length=6, window=w,
                                                 return_complex=True),
                                          8, hop_length=3, win_length=6, window=w, length=20),
         SIG, np.hanning(6) + 0.1, grad=(0,)),
    Case("istft_1d_normalized", lambda m, x: m.istft(
        m.stft(x, 8, window=m.hann_window(8, dtype=x.dtype), normalized=True,
               return_complex=True), 8, window=m.hann_window(8, dtype=x.dtype),
        normalized=True), SIG[0], grad=(0,)),
]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_against_torch(torch, case):
    run_case(torch, case)


ERRORS = [
    ("searchsorted_side", lambda m, s: m.searchsorted(s, s, side="left", right=True), [S],
     RuntimeError, "side and right can't be set to opposites"),
    ("bucketize_2d", lambda m, s: m.bucketize(s, s.reshape(1, 5)), [S], RuntimeError,
     "boundaries tensor must be 1 dimension"),
    ("histc_int", lambda m, x: m.histc(x), [I], NotImplementedError,
     '"histogram_cpu" not implemented for \'Long\''),
    ("histogram_int", lambda m, x: m.histogram(x, 3), [I], NotImplementedError,
     "not implemented for 'Long'"),
    ("diff_0d", lambda m, x: m.diff(x[0, 0]), [A], RuntimeError,
     "diff expects input to be at least one-dimensional"),
    ("cartesian_2d", lambda m, x: m.cartesian_prod(x, x), [A], RuntimeError,
     "Expect a 1D vector"),
    ("logcumsumexp_int", lambda m, x: m.logcumsumexp(x, 0), [I], NotImplementedError,
     "\"logcumsumexp_out_cpu\" not implemented for 'Long'"),
    ("rot90_same", lambda m, x: m.rot90(x, 1, [0, 0]), [A], RuntimeError,
     "expected rotation dims to be different, but got dim0 = 0 and dim1 = 0"),
    ("rot90_3dims", lambda m, x: m.rot90(x, 1, [0, 1, 2]), [A], RuntimeError,
     "expected total rotation dims == 2, but got dims = 3"),
    ("rot90_1d", lambda m, x: m.rot90(x, 1, [0, 1]), [V], RuntimeError,
     "expected total dims >= 2, but got total dims = 1"),
    ("hsplit_div", lambda m, x: m.hsplit(x, 3), [A], RuntimeError,
     "torch.hsplit attempted to split along dimension 1, but the size of the dimension 4 is "
     "not divisible by the split_size 3!"),
    ("vsplit_1d", lambda m, x: m.vsplit(x, 2), [V], RuntimeError,
     "torch.vsplit requires a tensor with at least 2 dimension, but got a tensor with 1 "
     "dimensions!"),
    ("scatter_reduce_op", lambda m, x, i: m.scatter_reduce(x, 1, i, x, "foo"), [A, I],
     RuntimeError, "reduce argument must be either sum, prod, mean, amax or amin, got foo"),
    ("scatter_reduce_oob", lambda m, x, i: m.scatter_reduce(x, 1, i + 3, x, "sum"), [A, I],
     RuntimeError, "index 4 is out of bounds for dimension 1 with size 4"),
    ("masked_scatter_long", lambda m, x, i: x.masked_scatter(i, x), [A[:2], I], RuntimeError,
     "masked_scatter_ only supports boolean masks, but got mask with dtype Long"),
    ("masked_scatter_few", lambda m, x: x.masked_scatter(x == x, x[0]), [A], RuntimeError,
     "Number of elements of source < number of ones in mask"),
    ("put_oob", lambda m, x: x.put_(m.tensor([12]), x[0, :1].clone()), [A], IndexError,
     "out of range: tried to access index 12 on a tensor of 12 elements."),
    ("view_as_real_float", lambda m, x: m.view_as_real(x), [A], RuntimeError,
     "view_as_real is only supported for complex tensors"),
    ("view_as_complex_shape", lambda m, x: m.view_as_complex(x), [A], RuntimeError,
     "Tensor must have a last dimension of size 2"),
    ("view_as_complex_long", lambda m, x: m.view_as_complex(x[:, :2]), [I], RuntimeError,
     "view_as_complex is only supported for half, float and double tensors, but got a tensor "
     "of scalar type: Long"),
    ("complex_mixed", lambda m, x: m.complex(x, x.float()), [A], RuntimeError,
     "Expected object of scalar type Double but got scalar type Float for second argument"),
    ("logaddexp_int", lambda m, x: m.logaddexp(x, x), [I], NotImplementedError,
     "\"logaddexp_cpu\" not implemented for 'Long'"),
    ("quantile_q", lambda m, x: m.quantile(x, 1.5), [A], RuntimeError,
     "quantile() q must be in the range [0, 1] but got 1.5"),
    ("quantile_int", lambda m, x: m.quantile(x, 0.5), [I], RuntimeError,
     "quantile() input tensor must be either float or double dtype"),
    ("vdot_2d", lambda m, x: m.vdot(x, x), [A], RuntimeError,
     "1D tensors expected, but got 2D and 2D tensors"),
    ("heaviside_dtypes", lambda m, x: m.heaviside(x, x.float()), [A], RuntimeError,
     "heaviside is not yet implemented for tensors with different dtypes."),
    ("stft_return_complex", lambda m, x: m.stft(x, 4, window=m.ones(4, dtype=x.dtype)),
     [A], RuntimeError, "stft requires the return_complex parameter be given for real inputs"),
    ("cov_3d", lambda m, x: m.cov(x.reshape(1, 3, 4)), [A], RuntimeError,
     "cov(): expected input to have two or fewer dimensions"),
]


@pytest.mark.parametrize("fn,inputs,exc,match", [e[1:] for e in ERRORS],
                         ids=[e[0] for e in ERRORS])
def test_errors_as_torch(torch, fn, inputs, exc, match):
    run_error(torch, fn, inputs, exc, match)


def test_as_strided_is_a_view_of_the_storage(torch):
    res = []
    for m in (torchlike, torch):
        x = m.arange(6.0)
        v = x.as_strided((2, 2), (1, 2), 1)
        v[0, 1] = -1.0
        y = x[2:].as_strided((2,), (2,))        # a view's storage is its base's
        res.append((x.numpy().copy(), y.numpy().copy(), v.stride()))
    np.testing.assert_array_equal(res[0][0], res[1][0])
    np.testing.assert_array_equal(res[0][1], res[1][1])
    assert res[0][2] == res[1][2]


def test_helpers_compile():
    """The new kernels trace under torchlike.compile like any table op."""
    @torchlike.compile
    def f(x, s):
        return (torchlike.cummax(x, 1).values.sum() + torchlike.logcumsumexp(x, 0).sum()
                + torchlike.searchsorted(s, x).sum() + torchlike.diag_embed(x).sum())
    x = torchlike.tensor(A, dtype=torchlike.float32)
    s = torchlike.tensor(S, dtype=torchlike.float32)
    eager = (torchlike.cummax(x, 1).values.sum() + torchlike.logcumsumexp(x, 0).sum()
             + torchlike.searchsorted(s, x).sum() + torchlike.diag_embed(x).sum())
    np.testing.assert_allclose(f(x, s).item(), eager.item(), rtol=1e-5)


# =============================================================================== nn tail

_LP = rng(3).standard_normal((6, 2, 5))


def _linear(m, w, b):
    lin = m.nn.Linear(w.shape[1], w.shape[0]).double()
    with m.no_grad():
        lin.weight.copy_(m.tensor(w))
        lin.bias.copy_(m.tensor(b))
    return lin


def _param_grads(lin):
    return [p.grad for _, p in sorted(lin.named_parameters())]


NN = [
    Case("ctc_mean", lambda m, x: m.nn.CTCLoss()(x.log_softmax(2), m.tensor([[1, 2], [3, 3]]),
                                                 m.tensor([6, 4]), m.tensor([2, 2])),
         _LP, grad=(0,)),
    Case("ctc_sum_blank_concat", lambda m, x: m.nn.functional.ctc_loss(
        x.log_softmax(2), m.tensor([1, 2, 2, 4, 3, 3]), (6, 5), (3, 3), blank=0,
        reduction="sum"), _LP, grad=(0,)),
    Case("ctc_none_blank4", lambda m, x: m.nn.functional.ctc_loss(
        x.log_softmax(2), m.tensor([[1, 0, 2], [3, 3, 0]]), m.tensor([6, 6]),
        m.tensor([3, 1]), blank=4, reduction="none"), _LP, grad=(0,)),
    Case("ctc_unbatched", lambda m, x: m.nn.functional.ctc_loss(
        x[:, 0].log_softmax(1), m.tensor([1, 2]), m.tensor(6), m.tensor(2)), _LP, grad=(0,)),
    Case("ctc_leaf_logprobs", lambda m, x: m.nn.functional.ctc_loss(
        x, m.tensor([[1, 2], [3, 1]]), (6, 6), (2, 2)), _LP, grad=(0,)),
    Case("ctc_impossible", lambda m, x: [m.nn.functional.ctc_loss(
        x.log_softmax(2), m.tensor([[1, 1, 1, 1]] * 2), (6, 4), (4, 4), reduction="none"),
        m.nn.functional.ctc_loss(x.log_softmax(2), m.tensor([[1, 1, 1, 1]] * 2), (6, 4),
                                 (4, 4), zero_infinity=True)], _LP),
    Case("max_unpool2d", lambda m, x: m.nn.MaxUnpool2d(2)(*m.nn.functional.max_pool2d(
        x, 2, return_indices=True)), R.standard_normal((1, 2, 4, 4)), grad=(0,)),
    Case("max_unpool2d_size", lambda m, x: m.nn.functional.max_unpool2d(
        *m.nn.functional.max_pool2d(x, 2, return_indices=True), 2, output_size=(5, 5)),
         R.standard_normal((2, 5, 5)), grad=(0,)),
    Case("max_unpool1d", lambda m, x: m.nn.MaxUnpool1d(3, 2, 1)(*m.nn.functional.max_pool1d(
        x, 3, 2, 1, return_indices=True)), R.standard_normal((2, 3, 7)), grad=(0,)),
    Case("max_unpool3d", lambda m, x: m.nn.MaxUnpool3d(2)(*m.nn.functional.max_pool3d(
        x, 2, return_indices=True)), R.standard_normal((1, 1, 4, 4, 2)), grad=(0,)),
    Case("multilabel_margin", lambda m, x, t: [m.nn.MultiLabelMarginLoss()(x, t),
                                               m.nn.functional.multilabel_margin_loss(
                                                   x, t, reduction="none")],
         A, np.array([[3, 0, -1, 1], [1, 2, 3, 0], [-1, 1, 2, 0]]), grad=(0,)),
    Case("multilabel_margin_1d", lambda m, x, t: m.nn.functional.multilabel_margin_loss(
        x, t), V[:4], np.array([2, -1, 0, 0]), grad=(0,)),
    Case("triplet_distance", lambda m, a, p, n: [
        m.nn.TripletMarginWithDistanceLoss()(a, p, n),
        m.nn.TripletMarginWithDistanceLoss(distance_function=lambda x, y: 1 - m.nn.functional
                                           .cosine_similarity(x, y), margin=0.5, swap=True,
                                           reduction="none")(a, p, n)],
         A, A[::-1].copy(), A * 0.5, grad=(0, 1, 2)),
    Case("weight_norm", lambda m, w, b, x: [
        (lin := m.nn.utils.parametrizations.weight_norm(_linear(m, w, b)))(x),
        sorted(lin.state_dict()), lin.parametrizations.weight.original0],
         A, V[:3], A[:2], grad=(2,)),
    Case("weight_norm_dim1_none", lambda m, w, b, x: [
        m.nn.utils.parametrizations.weight_norm(_linear(m, w, b), dim=1)(x),
        m.nn.utils.parametrizations.weight_norm(_linear(m, w, b), dim=None)(x)],
         A, V[:3], A[:2], grad=(2,)),
    Case("orthogonal_square", lambda m, w, b, x: [
        (lin := m.nn.utils.parametrizations.orthogonal(_linear(m, w, b)))(x),
        sorted(lin.state_dict()), lin.weight.T @ lin.weight],
         A[:3, :3].copy(), V[:3], A[:2, :3], grad=(2,)),
    Case("orthogonal_cayley", lambda m, w, b, x: m.nn.utils.parametrizations.orthogonal(
        _linear(m, w, b), orthogonal_map="cayley")(x), A[:3, :3].copy(), V[:3], A[:2, :3], grad=(2,)),
]


@pytest.mark.parametrize("case", NN, ids=repr)
def test_nn_against_torch(torch, case):
    run_case(torch, case)


def test_parametrization_gradients_reach_the_originals(torch):
    """A training step through weight_norm / orthogonal / spectral_norm moves the same
    parameters by the same gradients as PyTorch (spectral_norm's random u, v copied over)."""
    res = []
    for m in (torchlike, torch):
        P = m.nn.utils.parametrizations
        outs = []
        for make in (P.weight_norm, P.orthogonal, P.spectral_norm):
            lin = make(_linear(m, A[:3, :3].copy(), V[:3]))
            if make is P.spectral_norm:
                sn = lin.parametrizations.weight[0]
                with m.no_grad():
                    sn._u.copy_(m.tensor([0.6, 0.0, 0.8], dtype=m.float64))
                    sn._v.copy_(m.tensor([0.0, 1.0, 0.0], dtype=m.float64))
            y = lin(m.tensor(A[:2, :3]))
            (y ** 2).sum().backward()
            lin.eval()
            outs.append([y] + _param_grads(lin) + [lin(m.tensor(A[:2, :3])),
                                                   sorted(lin.state_dict())])
        res.append(outs)
    from parity import compare
    compare(res[0], res[1], 1e-5, 1e-7)


def test_parametrization_errors(torch):
    for m in (torchlike, torch):
        P = m.nn.utils.parametrizations
        with pytest.raises(ValueError, match="Expected a matrix or batch of matrices"):
            P.orthogonal(m.nn.Linear(2, 2), "bias")
        with pytest.raises(ValueError, match="orthogonal_map has to be one of"):
            P.orthogonal(m.nn.Linear(2, 2), orthogonal_map="foo")
        with pytest.raises(ValueError, match="has no parameter or buffer with name 'w'"):
            P.spectral_norm(m.nn.Linear(2, 2), "w")


def test_module_reprs(torch):
    for ctor in (lambda m: m.nn.MaxUnpool2d(2), lambda m: m.nn.MaxUnpool1d(3, 1, 1),
                 lambda m: m.nn.MaxUnpool3d((2, 1, 2)), lambda m: m.nn.CTCLoss(blank=3),
                 lambda m: m.nn.MultiLabelMarginLoss(),
                 lambda m: m.nn.TripletMarginWithDistanceLoss(margin=2.0)):
        assert repr(ctor(torchlike)) == repr(ctor(torch))


def test_post_accumulate_grad_hook(torch):
    logs = []
    for m in (torchlike, torch):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        seen = []
        h = x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
        (x * 3).sum().backward()
        (x * x).sum().backward()
        m.autograd.grad((x * 5).sum(), x)       # accumulates nothing: no call
        h.remove()
        (x * 3).sum().backward()
        with pytest.raises(RuntimeError, match="post accumulate grad hooks cannot be "
                                               "registered on non-leaf tensors"):
            (x * 2).register_post_accumulate_grad_hook(lambda t: None)
        logs.append(seen)
    assert logs[0] == logs[1] == [[3.0, 3.0], [5.0, 7.0]]
