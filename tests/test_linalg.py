"""torchlike.linalg and torch.* linear algebra against real PyTorch: values (float32, float64,
complex where PyTorch supports it), gradients (float64), errors (types and messages)."""
from __future__ import annotations

import numpy as np
import pytest

import torchlike

torch = pytest.importorskip("torch")


def _arr(*shape, seed=0, kind="f"):
    rng = np.random.default_rng(seed + 13 * len(shape) + sum(shape))
    a = rng.uniform(-1, 1, shape)
    if kind == "c":
        a = a + 1j * rng.uniform(-1, 1, shape)
    return a


def _spd(*shape, seed=0):
    a = _arr(*shape, seed=seed)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def _sym(*shape, seed=0):
    a = _arr(*shape, seed=seed)
    return a + np.swapaxes(a, -1, -2)


def _tri(*shape, upper=False, seed=0):
    a = _arr(*shape, seed=seed) + 3 * np.eye(shape[-1])
    return np.triu(a) if upper else np.tril(a)


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [x for o in out for x in _flat(o)]
    return [out]


_DT = {"f32": (np.float32, "float32"), "f64": (np.float64, "float64"),
       "c128": (np.complex128, "complex128")}


def _run(mod, fn, arrays, dt, grad):
    npdt, name = _DT[dt]
    ins = []
    for a in arrays:
        if isinstance(a, np.ndarray) and a.dtype.kind in "fc":
            t = mod.tensor(a.astype(npdt) if dt != "c128" or a.dtype.kind == "c"
                           else a.astype(np.float64), dtype=getattr(mod, name)
                           if a.dtype.kind == "c" or dt != "c128" else mod.float64)
            ins.append(t.requires_grad_(grad))
        elif isinstance(a, np.ndarray):
            ins.append(mod.tensor(a))
        else:
            ins.append(a)
    outs = _flat(fn(mod, *ins))
    grads = None
    if grad:
        loss = 0
        for o in outs:
            if o.dtype.is_floating_point and o.requires_grad and o.numel():
                w = np.linspace(0.5, 1.5, max(o.numel(), 1)).reshape(tuple(o.shape))
                loss = loss + (o * mod.tensor(w, dtype=o.dtype)).sum()
        if isinstance(loss, int):
            return outs, None
        loss.backward()
        grads = [t.grad for t in ins if isinstance(t, mod.Tensor) and t.requires_grad]
    return outs, grads


def _np(t):
    return None if t is None else t.detach().cpu().numpy() if hasattr(t, "cpu") else t.numpy()


def check(fn, *arrays, dtypes=("f32", "f64"), grad=True, rtol=None, atol=None):
    """fn(mod, *tensors) on torchlike and torch: same dtypes, shapes, values, gradients."""
    for dt in dtypes:
        g = grad and dt == "f64"
        ours, our_g = _run(torchlike, fn, arrays, dt, g)
        theirs, their_g = _run(torch, fn, arrays, dt, g)
        assert len(ours) == len(theirs)
        tol = dict(rtol=rtol or (1e-4 if dt == "f32" else 1e-9),
                   atol=atol or (1e-5 if dt == "f32" else 1e-10))
        for a, b in zip(ours, theirs):
            assert str(a.dtype) == str(b.dtype), (dt, a.dtype, b.dtype)
            assert tuple(a.shape) == tuple(b.shape), (dt, a.shape, b.shape)
            np.testing.assert_allclose(_np(a), _np(b), **tol)
        if g and (our_g or their_g):
            for a, b in zip(our_g, their_g):
                assert (a is None) == (b is None)
                if a is not None:
                    np.testing.assert_allclose(_np(a), _np(b), rtol=1e-6, atol=1e-8)


# ------------------------------------------------------------------- silent-wrong fixes


@pytest.mark.parametrize("n", [-2, 0, 1, 5])
def test_matrix_power(n):
    a = _arr(2, 3, 3) + 2 * np.eye(3)
    check(lambda m, x: [m.linalg.matrix_power(x, n), m.matrix_power(x[0], n)], a,
          dtypes=("f64",), grad=n != 0)


def test_solve_left_and_vector_cases():
    a, ab = _arr(3, 3) + 2 * np.eye(3), _arr(2, 3, 3) + 2 * np.eye(3)
    check(lambda m, x, y: m.linalg.solve(x, y, left=False), a, _arr(2, 3))
    check(lambda m, x, y: [m.linalg.solve(x, y), m.linalg.solve(x, y[0]),
                           m.linalg.solve_ex(x, y.mT)], ab, _arr(2, 3), dtypes=("f64",),
          grad=False)
    check(lambda m, x, y: m.linalg.solve(x, y, left=False), a, _arr(2, 4, 3), dtypes=("f64",),
          grad=False)


_NAN = np.full((2, 2), np.nan)


@pytest.mark.parametrize("name,args", [
    ("addmm", (_NAN, _arr(2, 3), _arr(3, 2))),
    ("addmv", (_NAN[0], _arr(2, 3), _arr(3))),
    ("addr", (_NAN, _arr(2), _arr(2, seed=1))),
    ("baddbmm", (np.full((2, 2, 2), np.inf), _arr(2, 2, 3), _arr(2, 3, 2))),
    ("addbmm", (_NAN, _arr(3, 2, 3), _arr(3, 3, 2))),
])
def test_beta_zero_ignores_input(name, args):
    check(lambda m, *xs: getattr(m, name)(*xs, beta=0, alpha=1.5), *args, dtypes=("f64",))
    finite = (np.ones_like(args[0]),) + args[1:]
    check(lambda m, *xs: getattr(m, name)(*xs, beta=0.5, alpha=2), *finite, dtypes=("f64",),
          grad=False)


_SING = np.array([[1.0, 2.0], [2.0, 4.0]])
_NPD = np.array([[1.0, 2.0], [2.0, 1.0]])


@pytest.mark.parametrize("fn,a", [
    (lambda m, x: m.linalg.inv(x), _SING),
    (lambda m, x: m.linalg.inv(x), np.stack([np.eye(2), _SING])),
    (lambda m, x: m.inverse(x), _SING),
    (lambda m, x: m.linalg.solve(x, m.ones(2, dtype=x.dtype)), _SING),
    (lambda m, x: m.linalg.solve(x, m.ones(2, 2, dtype=x.dtype)), np.stack([np.eye(2), _SING])),
    (lambda m, x: m.linalg.cholesky(x), _NPD),
    (lambda m, x: m.linalg.cholesky(x), np.stack([np.eye(2), -np.eye(2)])),
    (lambda m, x: m.cholesky(x), _NPD),
    (lambda m, x: m.linalg.matrix_power(x, -1), _SING),
    (lambda m, x: m.linalg.tensorinv(x, 1), _SING),
    (lambda m, x: m.linalg.inv_ex(x, check_errors=True), _SING),
    (lambda m, x: m.linalg.cholesky_ex(x, check_errors=True), _NPD),
])
def test_linalg_error(fn, a):
    with pytest.raises(torch.linalg.LinAlgError) as want:
        fn(torch, torch.tensor(a))
    with pytest.raises(torchlike.linalg.LinAlgError) as got:
        fn(torchlike, torchlike.tensor(a))
    assert isinstance(got.value, RuntimeError)
    assert str(got.value) == str(want.value)


def test_ex_variants_info():
    sing = np.stack([np.eye(2), _SING])
    npd = np.stack([np.eye(2), _NPD, -np.eye(2)])
    for m_fn, a in [(lambda m, x: m.linalg.inv_ex(x).info, sing),
                    (lambda m, x: m.linalg.solve_ex(x, m.ones(2, 2, dtype=x.dtype)).info, sing),
                    (lambda m, x: m.linalg.cholesky_ex(x).info, npd),
                    (lambda m, x: m.linalg.cholesky_ex(x, upper=True).info, npd),
                    (lambda m, x: m.linalg.lu_factor_ex(x).info, np.zeros((2, 3, 3)))]:
        got, want = m_fn(torchlike, torchlike.tensor(a)), m_fn(torch, torch.tensor(a))
        assert str(got.dtype) == str(want.dtype)
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    r = torchlike.linalg.cholesky_ex(torchlike.tensor(_spd(3, 3)))
    assert r.info.item() == 0 and r._fields == ("L", "info")


@pytest.mark.parametrize("fn", [
    lambda m: m.linalg.inv(m.ones(2, 3)),
    lambda m: m.inverse(m.ones(3)),
    lambda m: m.linalg.inv(m.ones(2, 2, dtype=m.int64)),
    lambda m: m.linalg.det(m.ones(2, 3)),
    lambda m: m.linalg.cholesky(m.ones(2, 3)),
    lambda m: m.linalg.eigh(m.ones(2, 3)),
    lambda m: m.linalg.eig(m.ones(2, 3)),
    lambda m: m.linalg.solve(m.ones(3, 3), m.ones(2)),
    lambda m: m.linalg.solve_triangular(m.eye(2), m.ones(2, 1), upper=True, left=False),
    lambda m: m.linalg.matrix_power(m.ones(2, 3), 2),
    lambda m: m.linalg.matrix_norm(m.ones(3), ord=2),
    lambda m: m.linalg.norm(m.ones(2, 3, 4), ord=2),
    lambda m: m.linalg.multi_dot([m.ones(3)]),
    lambda m: m.linalg.householder_product(m.ones(3, 2), m.ones(3)),
    lambda m: m.einsum("ij,jk->ik", m.ones(2, 3), m.ones(4, 5)),
    lambda m: m.einsum("ij,jk->ik", m.ones(2, 3)),
    lambda m: m.einsum("ij,jk", m.ones(2, 3, 4), m.ones(3, 4)),
    lambda m: m.trace(m.ones(2, 2, 2)),
    lambda m: m.cdist(m.ones(2, 3), m.ones(2, 4)),
    lambda m: m.cdist(m.ones(2, 3), m.ones(2, 3), p=-1),
    lambda m: m.tensordot(m.ones(2, 3), m.ones(4, 3), ([1], [0])),
    lambda m: m.addmm(m.ones(3), m.ones(2, 3), m.ones(3, 2), beta=0),
    lambda m: m.addmm(m.ones(2, 2), m.ones(2, 3), m.ones(4, 2)),
    lambda m: m.baddbmm(m.ones(3, 2, 2), m.ones(2, 2, 3), m.ones(2, 3, 2)),
    lambda m: m.addr(m.ones(3), m.ones(2), m.ones(2)),
    lambda m: m.linalg.svd(m.ones(2, 3), driver="gesvd"),
])
def test_errors_match_torch(fn):
    with pytest.raises(Exception) as want:
        fn(torch)
    with pytest.raises(Exception) as got:
        fn(torchlike)
    assert type(want.value).__name__ in (type(got.value).__name__, "_LinAlgError")
    assert isinstance(got.value, type(want.value)) or type(want.value) is RuntimeError
    assert str(got.value) == str(want.value)


@pytest.mark.parametrize("fn,shapes", [
    (lambda m, a, b: m.einsum(a, [0, 1], b, [1, 2], [0, 2]), [(2, 3), (3, 4)]),
    (lambda m, a, b: m.einsum(a, [0, 1], b, [1, 2]), [(2, 3), (3, 4)]),
    (lambda m, a, b: m.einsum(a, [Ellipsis, 1], b, [1, 2], [Ellipsis, 2]), [(2, 2, 3), (3, 4)]),
    (lambda m, a, b: m.einsum("bij,bjk->bik", [a, b]), [(2, 2, 3), (2, 3, 4)]),
    (lambda m, a, b: m.einsum("ij,jk->ik", (a, b)), [(2, 1), (3, 4)]),
    (lambda m, a, b: m.einsum("i j , j k -> k i", a, b), [(2, 3), (3, 4)]),
    (lambda m, a: m.einsum("ii->i", a), [(3, 3)]),
    (lambda m, a: m.einsum("...ij->...ji", a), [(2, 3, 4)]),
])
def test_einsum_forms(fn, shapes):
    check(fn, *[_arr(*s, seed=i) for i, s in enumerate(shapes)], dtypes=("f64",), grad=False)


# ------------------------------------------------------------------------ the long tail


_SQ, _SQB = _arr(3, 3) + np.eye(3), _arr(2, 3, 3) + np.eye(3)

CASES = [
    ("det", lambda m, a: m.linalg.det(a), [_SQB]),
    ("slogdet", lambda m, a: m.linalg.slogdet(a), [_SQB]),
    ("torch.slogdet", lambda m, a: m.slogdet(a), [_SQ]),
    ("logdet", lambda m, a: m.logdet(a), [np.stack([_spd(3, 3), -_spd(3, 3)])]),
    ("inv", lambda m, a: m.linalg.inv(a), [_SQB]),
    ("inv_ex", lambda m, a: m.linalg.inv_ex(a), [_SQB]),
    ("cholesky", lambda m, a: m.linalg.cholesky(a), [_spd(2, 3, 3)]),
    ("cholesky_upper", lambda m, a: m.linalg.cholesky(a, upper=True), [_spd(3, 3)]),
    ("torch.cholesky", lambda m, a: m.cholesky(a, upper=True), [_spd(3, 3)]),
    ("cholesky_ex", lambda m, a: m.linalg.cholesky_ex(a), [_spd(3, 3)]),
    ("cholesky_solve", lambda m, b, l: m.cholesky_solve(b, l), [_arr(3, 2), _tri(2, 3, 3)]),
    ("cholesky_solve_u", lambda m, b, u: m.cholesky_solve(b, u, upper=True),
     [_arr(3, 2), _tri(3, 3, upper=True)]),
    ("cholesky_inverse", lambda m, l: m.cholesky_inverse(l), [_tri(3, 3)]),
    ("cholesky_inverse_u", lambda m, u: m.cholesky_inverse(u, True), [_tri(3, 3, upper=True)]),
    ("solve_triangular", lambda m, a, b: m.linalg.solve_triangular(a, b, upper=False),
     [_tri(2, 3, 3), _arr(3, 2)]),
    ("solve_triangular_right", lambda m, a, b: m.linalg.solve_triangular(
        a, b, upper=True, left=False, unitriangular=True), [_tri(3, 3, upper=True), _arr(2, 3)]),
    ("triangular_solve", lambda m, b, a: m.triangular_solve(b, a), [_arr(3, 2),
                                                                    _tri(3, 3, upper=True)]),
    ("triangular_solve_t", lambda m, b, a: m.triangular_solve(b, a, False, True, True),
     [_arr(3, 2), _tri(3, 3)]),
    ("lu_factor", lambda m, a: m.linalg.lu_factor(a), [_SQB]),
    ("lu_factor_ex", lambda m, a: m.linalg.lu_factor_ex(a), [_SQ]),
    ("lu", lambda m, a: m.linalg.lu(a), [_SQB]),
    ("lu_wide", lambda m, a: m.linalg.lu(a), [_arr(3, 4)]),
    ("lu_tall", lambda m, a: m.linalg.lu(a), [_arr(4, 2)]),
    ("lu_solve", lambda m, a, b: m.linalg.lu_solve(*m.linalg.lu_factor(a), b), [_SQB, _arr(3, 2)]),
    ("lu_solve_adj", lambda m, a, b: m.linalg.lu_solve(*m.linalg.lu_factor(a), b, adjoint=True),
     [_SQ, _arr(3, 2)]),
    ("lu_solve_right", lambda m, a, b: m.linalg.lu_solve(*m.linalg.lu_factor(a), b, left=False),
     [_SQ, _arr(2, 3)]),
    ("torch.lu", lambda m, a: m.lu(a, get_infos=True), [_SQ]),
    ("torch.lu_unpack", lambda m, a: m.lu_unpack(*m.linalg.lu_factor(a)), [_SQB]),
    ("torch.lu_solve", lambda m, a, b: m.lu_solve(b, *m.linalg.lu_factor(a)), [_SQ, _arr(3, 2)]),
    ("matrix_exp", lambda m, a: m.linalg.matrix_exp(a), [_SQB]),
    ("torch.matrix_exp", lambda m, a: m.matrix_exp(a), [_SQ]),
    ("multi_dot", lambda m, a, b, c: m.linalg.multi_dot([a, b, c]), [_arr(3), _arr(3, 4),
                                                                     _arr(4, 2)]),
    ("chain_matmul", lambda m, a, b, c: m.chain_matmul(a, b, c), [_arr(2, 3), _arr(3, 4),
                                                                  _arr(4, 2)]),
    ("matrix_norm", lambda m, a: [m.linalg.matrix_norm(a, o) for o in
                                  ("fro", "nuc", 1, -1, 2, -2, float("inf"), -float("inf"))],
     [_arr(2, 3, 4)]),
    ("matrix_norm_dims", lambda m, a: m.linalg.matrix_norm(a, 1, dim=(0, 2), keepdim=True),
     [_arr(2, 3, 4)]),
    ("vector_norm", lambda m, a: [m.linalg.vector_norm(a, o, dim=(0, 2)) for o in
                                  (1, 2, 3.5, float("inf"), -float("inf"))], [_arr(2, 3, 4)]),
    ("norm", lambda m, a: [m.linalg.norm(a), m.linalg.norm(a, "fro"), m.linalg.norm(a, 2),
                           m.linalg.norm(a, dim=1), m.linalg.norm(a, 3, dim=0),
                           m.linalg.norm(a, "nuc", dim=(0, 1))], [_arr(3, 4)]),
    ("cond", lambda m, a: [m.linalg.cond(a, p) for p in (None, -2, "fro")], [_SQB]),
    ("cond_rect", lambda m, a: m.linalg.cond(a), [_arr(4, 2)]),
    ("matrix_rank", lambda m, a, b: [m.linalg.matrix_rank(a), m.linalg.matrix_rank(b),
                                     m.linalg.matrix_rank(b, atol=1.0, rtol=0.0),
                                     m.linalg.matrix_rank(b @ b.mT, hermitian=True)],
     [_arr(3, 2) @ _arr(2, 4), _arr(2, 3, 4)]),
    ("pinv", lambda m, a: m.linalg.pinv(a), [_arr(2, 4, 3)]),
    ("pinv_tol", lambda m, a: m.linalg.pinv(a, atol=0.5), [_arr(3, 4)]),
    ("pinverse", lambda m, a: m.pinverse(a), [_arr(3, 2)]),
    ("cross", lambda m, a, b: m.linalg.cross(a, b), [_arr(2, 3), _arr(1, 3)]),
    ("torch.cross", lambda m, a, b: m.cross(a, b), [_arr(3, 4), _arr(3, 4)]),
    ("vecdot", lambda m, a, b: m.linalg.vecdot(a, b, dim=0), [_arr(3, 2), _arr(3, 2)]),
    ("householder_product", lambda m, a, t: m.linalg.householder_product(a, t),
     [_arr(2, 4, 3), _arr(2, 2)]),
    ("tensorinv", lambda m, a: m.linalg.tensorinv(a, ind=1), [_arr(4, 2, 2) +
                                                              np.eye(4).reshape(4, 2, 2)]),
    ("tensorsolve", lambda m, a, b: m.linalg.tensorsolve(a, b), [_arr(2, 3, 6) +
                                                               np.eye(6).reshape(2, 3, 6),
                                                               _arr(2, 3)]),
    ("tensorsolve_dims", lambda m, a, b: m.linalg.tensorsolve(a, b, dims=(0,)),
     [_arr(6, 2, 3) + np.eye(6).reshape(6, 2, 3), _arr(2, 3)]),
    ("linalg.vander", lambda m, x: m.linalg.vander(x), [np.array([0.0, 0.5, -2.0])]),
    ("vander", lambda m, x: [m.vander(x), m.vander(x, 2, True)], [np.array([0.0, 0.5, -2.0])]),
    ("diagonal", lambda m, a: m.linalg.diagonal(a, offset=1), [_arr(2, 3, 4)]),
    ("tensordot", lambda m, a, b: [m.tensordot(a, b, 1), m.tensordot(a, b.mT, ([0, 1], [0, 1])),
                                   m.tensordot(a, b, dims=m.tensor([[1], [0]]))],
     [_arr(2, 3), _arr(3, 2)]),
    ("kron", lambda m, a, b: m.kron(a, b), [_arr(2, 2), _arr(2, 1, 3)]),
    ("inner", lambda m, a, b: [m.inner(a, b), m.inner(a[0], b[1])], [_arr(2, 3), _arr(4, 3)]),
    ("ger", lambda m, a, b: m.ger(a, b), [_arr(2), _arr(3)]),
    ("trace", lambda m, a: m.trace(a), [_arr(3, 4)]),
    ("trapezoid", lambda m, y, x: [m.trapezoid(y), m.trapezoid(y, dx=0.5, dim=0),
                                   m.trapezoid(y, x[0]), m.trapezoid(y, x),
                                   m.trapz(y, x[0]), m.trapz(y, dx=2.0)],
     [_arr(3, 4), np.cumsum(np.abs(_arr(3, 4)), 1)]),
    ("cumulative_trapezoid", lambda m, y, x: [m.cumulative_trapezoid(y),
                                              m.cumulative_trapezoid(y, x[0]),
                                              m.cumulative_trapezoid(y, dx=0.5, dim=0)],
     [_arr(3, 4), np.cumsum(np.abs(_arr(3, 4)), 1)]),
    ("cdist", lambda m, a, b: [m.cdist(a, b, p) for p in (0, 1, 1.5, 2, 3, float("inf"))],
     [_arr(2, 3, 4), _arr(2, 5, 4)]),
    ("cdist_mm", lambda m, a, b: [m.cdist(a, b), m.cdist(a[:3], b[:3], compute_mode=
                                                          "use_mm_for_euclid_dist")],
     [_arr(30, 3), _arr(4, 3)]),
    ("qr", lambda m, a: m.linalg.qr(a), [_arr(2, 4, 3)]),
    ("qr_r", lambda m, a: m.linalg.qr(a, "r"), [_arr(2, 4, 3)]),
    ("qr_complete", lambda m, a: m.linalg.qr(a, "complete"), [_arr(3, 3)]),
    ("torch.qr", lambda m, a: m.qr(a), [_arr(4, 3)]),
    ("svdvals", lambda m, a: m.linalg.svdvals(a), [_arr(2, 3, 4)]),
    ("svd", lambda m, a: (lambda r: [r.S, r.U.abs(), r.Vh.abs(), (r.U * r.S.unsqueeze(-2)) @ r.Vh])(
        m.linalg.svd(a, full_matrices=False)), [_arr(2, 4, 3)]),
    ("torch.svd", lambda m, a: (lambda r: [r.S, r.U.abs(), r.V.abs()])(m.svd(a)), [_arr(4, 3)]),
    ("torch.svd_no_uv", lambda m, a: m.svd(a, compute_uv=False), [_arr(4, 3)]),
    ("eigh", lambda m, a: (lambda r: [r.eigenvalues, r.eigenvectors.abs()])(m.linalg.eigh(a)),
     [_sym(2, 3, 3)]),
    ("eigh_U", lambda m, a: m.linalg.eigvalsh(a, "U"), [_arr(3, 3)]),
    ("eigvalsh", lambda m, a: m.linalg.eigvalsh(a), [_arr(2, 3, 3)]),
    ("lstsq", lambda m, a, b: m.linalg.lstsq(a, b), [_arr(5, 3), _arr(5, 2)]),
    ("lstsq_batched_vec", lambda m, a, b: m.linalg.lstsq(a, b), [_arr(2, 5, 3), _arr(2, 5)]),
    ("lstsq_wide", lambda m, a, b: m.linalg.lstsq(a, b), [_arr(2, 4), _arr(2, 2)]),
    ("lstsq_gelsd", lambda m, a, b: m.linalg.lstsq(a, b, driver="gelsd"),
     [_arr(5, 3), _arr(5, 2)]),
    ("lstsq_gels", lambda m, a, b: m.linalg.lstsq(a, b, driver="gels"),
     [_arr(5, 3), _arr(5, 2)]),
]


# float32 too where the dtype path differs (LAPACK single precision); gradients (float64) where
# the convention could differ from jax's (triangular/Hermitian inputs, gauges, rank cut-offs),
# the rest is gradchecked by tests/test_ops.py (tests/samples_linalg.py)
_F32 = {"inv", "cholesky", "qr", "svdvals", "eigvalsh", "lstsq"}
_GRAD = {"slogdet", "logdet", "cholesky", "cholesky_solve", "cholesky_inverse_u",
         "solve_triangular", "householder_product", "pinv_tol", "svd", "eigh", "lstsq_gelsd",
         "qr", "cdist", "linalg.vander", "matrix_norm"}


@pytest.mark.parametrize("name,fn,arrays", CASES, ids=[c[0] for c in CASES])
def test_vs_torch(name, fn, arrays):
    check(fn, *arrays, dtypes=("f32", "f64") if name in _F32 else ("f64",),
          grad=name in _GRAD)


def test_eig():
    a = _arr(2, 3, 3)
    check(lambda m, x: [m.linalg.eig(x), m.linalg.eigvals(x)], a, grad=False)
    check(lambda m, x: (lambda r: [r.eigenvalues.abs(), r.eigenvectors.abs()])(m.linalg.eig(x)),
          a, dtypes=("f64",))


def test_eigh_gradient_symmetric_and_reads_one_triangle():
    a = _sym(3, 3)
    check(lambda m, x: m.linalg.eigvalsh(x), a, dtypes=("f64",))
    # values only read the lower (or upper) triangle, as LAPACK does
    b = np.tril(a) + np.triu(np.full((3, 3), 9.0), 1)
    np.testing.assert_allclose(torchlike.linalg.eigvalsh(torchlike.tensor(b)).numpy(),
                               np.linalg.eigvalsh(a), rtol=1e-10)


@pytest.mark.parametrize("fn,arrays", [
    (lambda m, a: m.linalg.inv(a), [_arr(2, 3, 3, kind="c") + 2 * np.eye(3)]),
    (lambda m, a, b: m.linalg.solve(a, b), [_arr(3, 3, kind="c") + 2 * np.eye(3),
                                            _arr(3, 2, kind="c")]),
    (lambda m, a: m.linalg.det(a), [_arr(3, 3, kind="c")]),
    (lambda m, a: m.linalg.slogdet(a), [_arr(3, 3, kind="c")]),
    (lambda m, a: m.linalg.cholesky(a @ a.mH + 3 * m.eye(3)), [_arr(3, 3, kind="c")]),
    (lambda m, a: m.linalg.eigvalsh(a + a.mH), [_arr(3, 3, kind="c")]),
    (lambda m, a: m.linalg.svdvals(a), [_arr(3, 2, kind="c")]),
    (lambda m, a: m.linalg.matrix_norm(a, "nuc"), [_arr(3, 2, kind="c")]),
    (lambda m, a: m.linalg.pinv(a), [_arr(3, 2, kind="c")]),
    (lambda m, a, b: m.linalg.solve_triangular(a.triu() + 2 * m.eye(3), b, upper=True),
     [_arr(3, 3, kind="c"), _arr(3, 2, kind="c")]),
    (lambda m, a, b: m.linalg.lu_solve(*m.linalg.lu_factor(a), b, adjoint=True),
     [_arr(3, 3, kind="c") + 2 * np.eye(3), _arr(3, 2, kind="c")]),
    (lambda m, a, b: m.cholesky_solve(b, a.tril() + 2 * m.eye(3)),
     [_arr(3, 3, kind="c"), _arr(3, 2, kind="c")]),
    (lambda m, a, b: m.linalg.vecdot(a, b), [_arr(2, 3, kind="c"), _arr(2, 3, kind="c")]),
    (lambda m, a: m.linalg.matrix_power(a, -2), [_arr(3, 3, kind="c") + 2 * np.eye(3)]),
    (lambda m, a: m.linalg.matrix_exp(a), [_arr(3, 3, kind="c")]),
    (lambda m, a, t: m.linalg.householder_product(a, t), [_arr(3, 2, kind="c"),
                                                        _arr(2, kind="c")]),
])
def test_complex_values(fn, arrays):
    check(fn, *arrays, dtypes=("c128",), grad=False)


def test_pinv_hermitian_gradient_differs_from_torch():
    """Known difference: torch differentiates pinv(hermitian=True) with the general formula
    (a non-symmetric gradient); torchlike's gradient is the symmetrised one. Values agree."""
    check(lambda m, a: m.linalg.pinv(a, hermitian=True), _spd(3, 3), dtypes=("f64",),
          grad=False)


def test_grad_fn_names_and_methods_exist():
    x = torchlike.tensor(_spd(3, 3), requires_grad=True)
    assert type(torchlike.linalg.inv(x).grad_fn).__name__ == "LinalgInvExBackward0"
    assert type(torchlike.linalg.cholesky(x).grad_fn).__name__ == "LinalgCholeskyExBackward0"
    assert isinstance(torchlike.linalg.LinAlgError("x"), RuntimeError)


def test_singular_check_skipped_under_compile():
    """Inside compile the info check cannot run: inv_ex gives info to test instead."""
    f = torchlike.compile(lambda a: torchlike.linalg.inv_ex(a).info)
    assert f(torchlike.tensor(_SING)).item() == 2
