"""The solvers' fused kernels (``fastsparse.kernels.pd``, ``adaptive``, ``warpd``), bitwise.

Each ``*_range`` kernel is compared with ``np.array_equal`` (every entry of every array,
inside and outside the range) and ``==`` (its float64 sums) against a reference written
here with NumPy: the same operations in the same precision (the kernels' mixed-precision
steps spelled out with ``astype``) and the sums accumulated left to right in Python floats.
Sub-ranges (``lo > 0``, ``hi < n``, empty), ``ws = 0`` and ``ws = 1``, float32/float64 and
complex data (generic kernels) or its interleaved real view (``*_c`` kernels and the
componentwise ones). Entries with ``z = 0`` and zero weights reach the kernels' corner
cases (``t / 0``, ``0 / 0``). The parallel ``*_step`` kernels must give the serial arrays,
also with more chunks than entries (empty chunks).
"""

from __future__ import annotations

import numpy as np
import pytest
from fastsparse.kernels import adaptive as ka
from fastsparse.kernels import pd
from fastsparse.kernels import warpd as kw

N = 37
RANGES = [(0, N), (5, N - 4), (11, 12), (N, N)]
REAL = [np.float32, np.float64]
ALL = [np.float32, np.float64, np.complex64, np.complex128]
F64 = np.float64


def _rdt(dtype):
    return np.dtype(dtype).type(0).real.dtype.type


def _wide(dtype):
    return np.complex128 if np.dtype(dtype).kind == "c" else np.float64


def _rand(rng, k, dtype, zeros=True):
    """Standard normal entries of ``dtype``; every 7th entry 0 (``zeros``)."""
    a = rng.standard_normal(k).astype(_rdt(dtype))
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.standard_normal(k).astype(_rdt(dtype))
    a = np.ascontiguousarray(a, dtype=dtype)
    if zeros:
        a[::7] = 0
    return a


def _weights(rng, k, ws, rdt, zeros=True):
    """Per-entry weights in [0, 2) with some zeros (``ws = 1``), or one weight (``ws = 0``)."""
    if not ws:
        return np.array([0.75], dtype=rdt)
    w = rng.uniform(0.0, 2.0, k).astype(rdt)
    if zeros:
        w[3::10] = 0
    return w


def _w(w, ws, lo, hi):
    return w[lo:hi] if ws else w[0]


def _f64(a):
    return np.asarray(a).astype(F64)


def _sq(u):
    """float64 ``re^2 + im^2`` (the kernels' ``_sq``; a real ``u`` has ``imag = 0``)."""
    u = np.asarray(u)
    return _f64(u.real) * _f64(u.real) + _f64(u.imag) * _f64(u.imag)


def _sum(terms) -> float:
    """Left-to-right float64 sum: the kernels' reduction order."""
    s = 0.0
    for t in np.asarray(terms, dtype=F64).tolist():
        s += t
    return s


def _max(values) -> float:
    """The kernels' running maximum from 0 (``if r > m: m = r``)."""
    m = 0.0
    for r in np.asarray(values, dtype=F64).tolist():
        if r > m:
            m = r
    return m


def _same(got, want):
    """Bitwise equality of lists of arrays (NaN where NaN) and of the returned sums."""
    for g, w in zip(got, want, strict=True):
        if isinstance(g, np.ndarray):
            assert g.dtype == w.dtype
            assert np.array_equal(g, w, equal_nan=True), np.flatnonzero(
                ~((g == w) | (np.isnan(g) & np.isnan(w)))
            )
        else:
            assert g == w or (np.isnan(g) and np.isnan(w)), (g, w)


def _shrink(z, t):
    """The fused kernels' branch-free factor ``max(0, 1 - t/|z|)``: ``1 - ...`` is float64
    (Numba promotes the integer literal), ``t - t`` the zero of the other branch."""
    with np.errstate(divide="ignore", invalid="ignore"):
        f = 1 - _f64(t / np.sqrt(z.real * z.real + z.imag * z.imag))
        zero = _f64(t - t) * np.ones_like(f)
    return np.where(f > 0, f, zero)


# -- pd: FIRENET / PDHG / WARPd primal and dual passes ----------------------------------------


def _ref_primal(x, g, tau, tl, w, ws, xbar, acc, do_acc, lo, hi):
    s = slice(lo, hi)
    xi = x[s].copy()
    z = xi - tau * g[s]
    xn = z.astype(_wide(x.dtype)) * _shrink(z, tl * _w(w, ws, lo, hi))
    xbar[s] = ((xn + xn) - xi).astype(x.dtype)
    x[s] = xn.astype(x.dtype)
    if do_acc:
        acc[s] = (acc[s] + xn).astype(x.dtype)


def _ref_primal_c(x, g, tau, tl, w, ws, xbar, acc, do_acc, lo, hi):
    re, im = slice(2 * lo, 2 * hi, 2), slice(2 * lo + 1, 2 * hi, 2)
    xr, xi = x[re].copy(), x[im].copy()
    zr = xr - tau * g[re]
    zi = xi - tau * g[im]
    f = _shrink(_Pair(zr, zi), tl * _w(w, ws, lo, hi))
    zr = zr * f
    zi = zi * f
    xbar[re] = ((zr + zr) - xr).astype(x.dtype)
    xbar[im] = ((zi + zi) - xi).astype(x.dtype)
    x[re] = zr.astype(x.dtype)
    x[im] = zi.astype(x.dtype)
    if do_acc:
        acc[re] = (acc[re] + zr).astype(x.dtype)
        acc[im] = (acc[im] + zi).astype(x.dtype)


class _Pair:
    """Real and imaginary parts held apart (``_shrink`` of interleaved data)."""

    def __init__(self, re, im):
        self.real, self.imag = re, im


def _primal_inputs(rng, dtype, ws, n, do_acc):
    rdt = _rdt(dtype)
    x, g, xbar, acc = (_rand(rng, n, dtype) for _ in range(4))
    g[::7] = 0  # z = 0 where x = 0: |z| = 0 (t/0 = inf, 0/0 = NaN) goes to 0
    w = _weights(rng, n, ws, rdt)
    return [x, g, rdt(0.7), rdt(0.4), w, ws, xbar, acc, do_acc]


@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("ws", [0, 1])
@pytest.mark.parametrize("do_acc", [True, False])
@pytest.mark.parametrize(("lo", "hi"), RANGES)
def test_primal_range(rng, dtype, ws, do_acc, lo, hi):
    args = _primal_inputs(rng, dtype, ws, N, do_acc)
    want = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    pd.primal_range(*args, lo, hi)
    _ref_primal(*want, lo, hi)
    _same([args[i] for i in (0, 1, 4, 6, 7)], [want[i] for i in (0, 1, 4, 6, 7)])


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("ws", [0, 1])
@pytest.mark.parametrize("do_acc", [True, False])
@pytest.mark.parametrize(("lo", "hi"), RANGES)
def test_primal_range_c(rng, dtype, ws, do_acc, lo, hi):
    args = _primal_inputs(rng, dtype, ws, N, do_acc)
    for i in (0, 1, 6, 7):
        args[i] = args[i].view(_rdt(dtype))
    want = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    pd.primal_range_c(*args, lo, hi)
    _ref_primal_c(*want, lo, hi)
    _same([args[i] for i in (0, 1, 4, 6, 7)], [want[i] for i in (0, 1, 4, 6, 7)])


def _ref_dual(v, axbar, ax, axacc, y, sigma, half, track, lo, hi):
    s = slice(lo, hi)
    a, yi = axbar[s], y[s]
    u = v[s] + sigma * (a - yi)
    v[s] = u
    us, rs = _sum(_sq(u)), 0.0
    if track:
        an = half * (a + ax[s])
        ax[s] = an
        axacc[s] = axacc[s] + an
        rs = _sum(_sq(an - yi))
    return us, rs


@pytest.mark.parametrize("dtype", REAL)
@pytest.mark.parametrize("track", [True, False])
@pytest.mark.parametrize(("lo", "hi"), RANGES)
def test_dual_range(rng, dtype, track, lo, hi):
    args = [*(_rand(rng, N, dtype) for _ in range(5)), dtype(0.6), dtype(0.5), track]
    want = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    got = pd.dual_range(*args, lo, hi)
    ref = _ref_dual(*want, lo, hi)
    _same([*args[:5], *got], [*want[:5], *ref])


@pytest.mark.parametrize("dtype", REAL)
@pytest.mark.parametrize(("lo", "hi"), RANGES)
def test_scale_and_add_range(rng, dtype, lo, hi):
    v, acc, x = (_rand(rng, N, dtype) for _ in range(3))
    want_v, want_acc = v.copy(), acc.copy()
    want_v[lo:hi] = dtype(0.3) * want_v[lo:hi]
    want_acc[lo:hi] = want_acc[lo:hi] + x[lo:hi]
    pd.scale_range(v, dtype(0.3), lo, hi)
    pd.add_range(acc, x, lo, hi)
    _same([v, acc], [want_v, want_acc])


def _ref_mean(acc, x, invp, w, ws, lo, hi):
    s = slice(lo, hi)
    xi = invp * acc[s]
    x[s] = xi
    acc[s] = acc[s] - acc[s]
    return _sum(_f64(_w(w, ws, lo, hi)) * np.sqrt(_sq(xi)))


def _ref_mean_c(acc, x, invp, w, ws, lo, hi):
    re, im = slice(2 * lo, 2 * hi, 2), slice(2 * lo + 1, 2 * hi, 2)
    a, b = invp * acc[re], invp * acc[im]
    x[re], x[im] = a, b
    acc[re] = acc[re] - acc[re]
    acc[im] = acc[im] - acc[im]
    return _sum(_f64(_w(w, ws, lo, hi)) * np.sqrt(_f64(a) * _f64(a) + _f64(b) * _f64(b)))


@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("ws", [0, 1])
@pytest.mark.parametrize(("lo", "hi"), RANGES)
def test_mean_range(rng, dtype, ws, lo, hi):
    rdt = _rdt(dtype)
    args = [_rand(rng, N, dtype), _rand(rng, N, dtype), rdt(1 / 3), _weights(rng, N, ws, rdt)]
    want = [a.copy() for a in args[:2]] + args[2:]
    got = pd.mean_range(*args, ws, lo, hi)
    ref = _ref_mean(*want, ws, lo, hi)
    _same([*args[:2], got], [*want[:2], ref])
    if np.dtype(dtype).kind == "c":  # the same on interleaved real views
        args[:2] = [a.view(rdt) for a in want[:2]]
        want[:2] = [a.copy() for a in args[:2]]
        got = pd.mean_range_c(*args, ws, lo, hi)
        ref = _ref_mean_c(*want, ws, lo, hi)
        _same([*args[:2], got], [*want[:2], ref])


@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("ws", [0, 1])
def test_weighted_l1_and_dual_feasibility(rng, dtype, ws):
    rdt = _rdt(dtype)
    x = _rand(rng, N, dtype)
    w = _weights(rng, N, ws, rdt)
    wf = _f64(_w(w, ws, 0, N)) * np.ones(N)
    assert pd.weighted_l1(x, w, ws) == _sum(wf * np.sqrt(_sq(x)))
    a, t = np.sqrt(_sq(x)), 0.3 * wf
    with np.errstate(divide="ignore"):
        ratio = np.where(a > 0, np.where(t > 0, a / t, np.inf), 0.0)
    assert pd.dual_feasibility(x, w, ws, 0.3) == _max(ratio)
    empty = np.zeros(0, dtype)
    assert pd.weighted_l1(empty, w[:0] if ws else w, ws) == 0.0
    assert pd.dual_feasibility(empty, w[:0] if ws else w, ws, 0.3) == 0.0


def _step_cases(n):
    return [1, 3, n + 3]  # n + 3: more chunks than entries, some chunks empty


@pytest.mark.parametrize("dtype", [np.float32, np.complex128])
@pytest.mark.parametrize("ws", [0, 1])
def test_pd_step_kernels_match_range(rng, dtype, ws):
    """The parallel passes run the serial ones on chunks: same arrays, sums up to order."""
    rdt = _rdt(dtype)
    n = 2 * N
    for nch in _step_cases(n):
        args = _primal_inputs(rng, dtype, ws, n, True)
        ser = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        if np.dtype(dtype).kind == "c":
            for a in (args, ser):
                for i in (0, 1, 6, 7):
                    a[i] = a[i].view(rdt)
            pd.primal_step_c(*args, nch)
            pd.primal_range_c(*ser, 0, n)
        else:
            pd.primal_step(*args, nch)
            pd.primal_range(*ser, 0, n)
        _same([args[i] for i in (0, 6, 7)], [ser[i] for i in (0, 6, 7)])
        m = 2 * n
        d = [*(_rand(rng, m, rdt) for _ in range(5)), rdt(0.6), rdt(0.5), True]
        dser = [a.copy() if isinstance(a, np.ndarray) else a for a in d]
        got = pd.dual_step(*d, nch)
        want = pd.dual_range(*dser, 0, m)
        _same(d[:5], dser[:5])
        np.testing.assert_allclose(got, want, rtol=1e-13)
        pd.scale_step(d[0], rdt(0.3), nch)
        pd.scale_range(dser[0], rdt(0.3), 0, m)
        _same(d[:1], dser[:1])
        w = _weights(rng, n, ws, rdt)
        acc = _rand(rng, n, dtype)
        x = np.empty_like(acc)
        acc2, x2 = acc.copy(), x.copy()
        if np.dtype(dtype).kind == "c":
            got = pd.mean_step_c(acc.view(rdt), x.view(rdt), rdt(0.5), w, ws, nch)
            want = pd.mean_range_c(acc2.view(rdt), x2.view(rdt), rdt(0.5), w, ws, 0, n)
        else:
            got = pd.mean_step(acc, x, rdt(0.5), w, ws, nch)
            want = pd.mean_range(acc2, x2, rdt(0.5), w, ws, 0, n)
        _same([acc, x], [acc2, x2])
        assert got == pytest.approx(want, rel=1e-13)


# -- adaptive: certificate reductions and the Halpern passes (real data) ----------------------


@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("ws", [0, 1])
def test_primal_and_dual_stats(rng, dtype, ws):
    rdt = _rdt(dtype)
    x, g = _rand(rng, N, dtype), _rand(rng, N, dtype)
    w = _weights(rng, N, ws, rdt)
    wf = _f64(_w(w, ws, 0, N)) * np.ones(N)
    a = np.sqrt(_sq(g))
    with np.errstate(divide="ignore"):
        ratio = np.where(a > 0, np.where(wf > 0, a / wf, np.inf), 0.0)
    assert ka.primal_stats(x, g, w, ws) == (_sum(wf * np.sqrt(_sq(x))), _max(ratio))
    empty = np.zeros(0, dtype)
    assert ka.primal_stats(empty, empty, w[:0] if ws else w, ws) == (0.0, 0.0)
    ax, y, v = (_rand(rng, N, dtype) for _ in range(3))
    c = rdt(0.25)
    yv = _f64(y.real) * _f64(v.real) + _f64(y.imag) * _f64(v.imag)
    want = (_sum(_sq(c * ax - y)), _sum(_sq(v)), _sum(yv))
    assert ka.dual_stats(ax, c, y, v) == want


def _ref_halpern_primal(x, g, tau, tl, w, ws, xp, lo, hi):
    s = slice(lo, hi)
    xi = x[s]
    z = xi - tau * g[s]
    t = tl * _w(w, ws, lo, hi) * np.ones_like(z)
    zn = np.where(z > t, z - t, np.where(z < -t, z + t, z - z))
    xp[s] = zn
    d = _f64(xi) - _f64(zn)
    return _sum(d * d)


@pytest.mark.parametrize("dtype", REAL)
@pytest.mark.parametrize("ws", [0, 1])
@pytest.mark.parametrize(("lo", "hi"), RANGES)
def test_halpern_passes(rng, dtype, ws, lo, hi):
    x, g, xp = (_rand(rng, N, dtype) for _ in range(3))
    w = _weights(rng, N, ws, dtype)
    args = [x, g, dtype(0.7), dtype(0.4), w, ws, xp]
    want = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    got = ka.halpern_primal_range(*args, lo, hi)
    _same([x, g, xp, got], [want[0], want[1], want[6], _ref_halpern_primal(*want, lo, hi)])

    s = slice(lo, hi)
    v, ax, axp, y, vp = (_rand(rng, N, dtype) for _ in range(5))
    sigma = dtype(1.3)
    want_vp = vp.copy()
    u = v[s] + sigma * ((axp[s] + axp[s]) - ax[s] - y[s])
    want_vp[s] = u
    got = ka.halpern_dual_range(v, ax, axp, y, sigma, vp, lo, hi)
    _same([vp, got], [want_vp, _sum(_f64(u) * _f64(u))])

    dv = _f64(v[s]) - _f64(vp[s])
    want = (_sum(dv * dv), _sum(dv * (_f64(ax[s]) - _f64(axp[s]))))
    assert ka.halpern_residual_range(v, vp, ax, axp, lo, hi) == want

    z, zp, z0 = (_rand(rng, N, dtype) for _ in range(3))
    c, c0 = dtype(0.75), dtype(0.25)
    want_z = z.copy()
    want_z[s] = c * ((zp[s] + zp[s]) - z[s]) + c0 * z0[s]
    ka.halpern_mix_range(z, zp, z0, c, c0, lo, hi)
    _same([z], [want_z])


@pytest.mark.parametrize("ws", [0, 1])
def test_halpern_step_kernels_match_range(rng, ws):
    dtype = np.float64
    n = 2 * N
    for nch in _step_cases(n):
        x, g = _rand(rng, n, dtype), _rand(rng, n, dtype)
        w = _weights(rng, n, ws, dtype)
        xp, xp2 = np.empty_like(x), np.empty_like(x)
        got = ka.halpern_primal_step(x, g, 0.7, 0.4, w, ws, xp, nch)
        want = ka.halpern_primal_range(x, g, 0.7, 0.4, w, ws, xp2, 0, n)
        _same([xp], [xp2])
        assert got == pytest.approx(want, rel=1e-13)
        v, ax, axp, y = (_rand(rng, n, dtype) for _ in range(4))
        vp, vp2 = np.empty_like(v), np.empty_like(v)
        got = ka.halpern_dual_step(v, ax, axp, y, 1.3, vp, nch)
        want = ka.halpern_dual_range(v, ax, axp, y, 1.3, vp2, 0, n)
        _same([vp], [vp2])
        assert got == pytest.approx(want, rel=1e-13)
        got = ka.halpern_residual_step(v, vp, ax, axp, nch)
        want = ka.halpern_residual_range(v, vp, ax, axp, 0, n)
        np.testing.assert_allclose(got, want, rtol=1e-12)
        z, z2 = x.copy(), x.copy()
        ka.halpern_mix_step(z, xp, g, 0.75, 0.25, nch)
        ka.halpern_mix_range(z2, xp, g, 0.75, 0.25, 0, n)
        _same([z], [z2])


# -- warpd: WARPd's free primal pass and grouped dual clipping, FISTA's prox pass -------------


@pytest.mark.parametrize("dtype", REAL)
@pytest.mark.parametrize(("lo", "hi"), RANGES)
def test_warpd_componentwise_passes(rng, dtype, lo, hi):
    s = slice(lo, hi)
    x, ga, gb, xbar, xsum = (_rand(rng, N, dtype) for _ in range(5))
    t1 = dtype(0.3)
    want_x, want_xbar, want_xsum = x.copy(), xbar.copy(), xsum.copy()
    xn = x[s] - t1 * (ga[s] + gb[s])
    want_xbar[s] = (xn + xn) - x[s]
    want_x[s] = xn
    want_xsum[s] = xsum[s] + xn
    kw.primal_free_range(x, ga, gb, t1, xbar, xsum, lo, hi)
    _same([x, xbar, xsum], [want_x, want_xbar, want_xsum])

    u, usum = _rand(rng, N, dtype), _rand(rng, N, dtype)
    want_u, want_usum = u.copy(), usum.copy()
    want_u[s] = dtype(0.8) * u[s]
    want_usum[s] = usum[s] + want_u[s]
    kw.scale_accumulate_range(u, dtype(0.8), usum, lo, hi)
    _same([u, usum], [want_u, want_usum])

    xn, xo, z = (_rand(rng, N, dtype) for _ in range(3))
    want_z = z.copy()
    want_z[s] = xn[s] + dtype(0.4) * (xn[s] - xo[s])
    kw.extrapolate_range(xn, xo, dtype(0.4), z, lo, hi)
    _same([z], [want_z])


def _ref_dual_group(u, bxbar, tau3, w, usum, ngroup, lo, hi):
    npoint = w.size
    u2, b2, s2 = (a.reshape(ngroup, npoint) for a in (u, bxbar, usum))
    for p in range(lo, hi):
        v = u2[:, p] + tau3 * b2[:, p]
        u2[:, p] = v
        nrm = np.sqrt(_sum(_sq(v)))
        if nrm > w[p]:
            vc = u2[:, p] * (w[p] / nrm)
            u2[:, p] = vc
            s2[:, p] = s2[:, p] + vc
        else:
            s2[:, p] = s2[:, p] + u2[:, p]


@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("ngroup", [1, 2, 3])
@pytest.mark.parametrize(("lo", "hi"), RANGES)
def test_dual_group_range(rng, dtype, ngroup, lo, hi):
    rdt = _rdt(dtype)
    u, bxbar, usum = (_rand(rng, ngroup * N, dtype) for _ in range(3))
    w = rng.uniform(0.0, 3.0, N).astype(rdt)  # about half of the groups are clipped
    args = [u, bxbar, rdt(0.9), w, usum, ngroup]
    want = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    kw.dual_group_range(*args, lo, hi)
    _ref_dual_group(*want, lo, hi)
    _same([u, bxbar, usum], [want[0], want[1], want[4]])


@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize(("lo", "hi"), RANGES)
def test_residual_stats_range(rng, dtype, lo, hi):
    s = slice(lo, hi)
    ax, b, r = (_rand(rng, N, dtype) for _ in range(3))
    want_r = r.copy()
    v = ax[s] - b[s]
    want_r[s] = v
    d = _f64(v.real) * _f64(b[s].real) + _f64(v.imag) * _f64(b[s].imag)
    got = kw.residual_stats_range(ax, b, r, lo, hi)
    _same([r, *got], [want_r, _sum(_sq(v)), _sum(d)])


def _ref_fista(z, g, w, step2, thresh, xn, x, lo, hi):
    s = slice(lo, hi)
    zi, wi, gi = z[s], w[s], g[s]
    v = zi - step2 * gi
    a = np.sqrt(v.real * v.real + v.imag * v.imag)
    t = thresh * wi
    with np.errstate(divide="ignore", invalid="ignore"):
        xi = np.where(a > t, v - (t / a) * v, v - v)
    xn[s] = xi
    wd = _f64(wi)
    l1 = _sum(wd * np.sqrt(_sq(zi)))
    gmax2 = _max(_sq(gi) / (wd * wd))
    d1, d2 = zi - xi, xi - x[s]
    ip = _sum(_f64(d1.real) * _f64(d2.real) + _f64(d1.imag) * _f64(d2.imag))
    return l1, gmax2, ip


def _ref_fista_c(z, g, w, step2, thresh, xn, x, lo, hi):
    re, im = slice(2 * lo, 2 * hi, 2), slice(2 * lo + 1, 2 * hi, 2)
    zr, zi, wi = z[re], z[im], w[lo:hi]
    vr = zr - step2 * g[re]
    vi = zi - step2 * g[im]
    f = _shrink(_Pair(vr, vi), thresh * wi)
    xr, xi = vr * f, vi * f
    xn[re], xn[im] = xr, xi
    wd = _f64(wi)
    l1 = _sum(wd * np.sqrt(_f64(zr) * _f64(zr) + _f64(zi) * _f64(zi)))
    gr, gi = _f64(g[re]), _f64(g[im])
    gmax2 = _max((gr * gr + gi * gi) / (wd * wd))
    ip = _sum(_f64(zr - xr) * _f64(xr - x[re]) + _f64(zi - xi) * _f64(xi - x[im]))
    return l1, gmax2, ip


@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize(("lo", "hi"), RANGES)
def test_fista_prox_range(rng, dtype, lo, hi):
    rdt = _rdt(dtype)
    z, g, xn, x = (_rand(rng, N, dtype) for _ in range(4))
    g[::7] = 0  # v = 0 where z = 0
    w = rng.uniform(0.1, 2.0, N).astype(rdt)  # the FISTA weights are positive
    args = [z, g, w, rdt(0.6), rdt(0.5), xn, x]
    want = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    got = kw.fista_prox_range(*args, lo, hi)
    _same([xn, *got], [want[5], *_ref_fista(*want, lo, hi)])
    if np.dtype(dtype).kind == "c":
        for i in (0, 1, 5, 6):
            args[i] = want[i].view(rdt)
        want = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        got = kw.fista_prox_range_c(*args, lo, hi)
        _same([args[5], *got], [want[5], *_ref_fista_c(*want, lo, hi)])


def test_warpd_step_kernels_match_range(rng):
    dtype = np.complex128
    n = 2 * N
    for nch in _step_cases(n):
        a = [_rand(rng, n, np.float64) for _ in range(5)]
        b = [x.copy() for x in a]
        kw.primal_free_step(a[0], a[1], a[2], 0.3, a[3], a[4], nch)
        kw.primal_free_range(b[0], b[1], b[2], 0.3, b[3], b[4], 0, n)
        _same(a, b)
        kw.scale_accumulate_step(a[0], 0.8, a[1], nch)
        kw.scale_accumulate_range(b[0], 0.8, b[1], 0, n)
        _same(a, b)
        kw.extrapolate_step(a[0], a[1], 0.4, a[2], nch)
        kw.extrapolate_range(b[0], b[1], 0.4, b[2], 0, n)
        _same(a, b)
        u, bx, us = (_rand(rng, 2 * n, dtype) for _ in range(3))
        w = rng.uniform(0.0, 3.0, n)
        u2, us2 = u.copy(), us.copy()
        kw.dual_group_step(u, bx, 0.9, w, us, 2, nch)
        kw.dual_group_range(u2, bx, 0.9, w, us2, 2, 0, n)
        _same([u, us], [u2, us2])
        z, g, xn, x = (_rand(rng, n, dtype) for _ in range(4))
        w = rng.uniform(0.1, 2.0, n)
        xn2 = xn.copy()
        got = kw.fista_prox_step(z, g, w, 0.6, 0.5, xn, x, nch)
        l1, gmax2, ip = kw.fista_prox_range(z, g, w, 0.6, 0.5, xn2, x, 0, n)
        _same([xn], [xn2])
        np.testing.assert_allclose(got, (l1, np.sqrt(gmax2), ip), rtol=1e-13)
        xn3 = xn.copy()
        r = np.float64
        got = kw.fista_prox_step_c(z.view(r), g.view(r), w, 0.6, 0.5, xn.view(r), x.view(r), nch)
        l1, gmax2, ip = kw.fista_prox_range_c(
            z.view(r), g.view(r), w, 0.6, 0.5, xn3.view(r), x.view(r), 0, n
        )
        _same([xn], [xn3])
        np.testing.assert_allclose(got, (l1, np.sqrt(gmax2), ip), rtol=1e-13)
        ax, bb, rr = (_rand(rng, n, dtype) for _ in range(3))
        rr2 = rr.copy()
        got = kw.residual_stats_step(ax, bb, rr, nch)
        want = kw.residual_stats_range(ax, bb, rr2, 0, n)
        _same([rr], [rr2])
        np.testing.assert_allclose(got, want, rtol=1e-13)
