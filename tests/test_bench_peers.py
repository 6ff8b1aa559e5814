"""fastsparse.bench.peers: peers skip cleanly, wrong peers are caught, the NumPy loop agrees.

No timing is checked: only that the comparison's logic is right on small problems.
"""

import sys

import numpy as np
import pytest

from fastsparse.bench import WIDTH, format_rows, met, peers

pytest.importorskip("pywt")


@pytest.fixture(scope="module")
def small():
    """A 64x64 case with fixed steps (ratio r0 = ||y||^2, as the tuning grid starts)."""
    c = peers.case(64)
    tau, sigma = peers._steps(float(np.linalg.norm(c.y)) ** 2, 1.0)
    ref = peers.pdhg_iterates(c, tau, sigma, peers.CHECKED + 1)
    return c, tau, sigma, ref


class _NoExtrapolation(peers.NumpyLoop):
    """A plausible mistake: the dual step at x+ instead of the extrapolated 2 x+ - x."""

    name = "wrong loop"

    def run(self, iterations, callback=None):
        c, tau, sigma = self.case, self.tau, self.sigma
        x = np.zeros((c.n, c.n), complex)
        v = np.zeros(c.y.shape, complex)
        for k in range(1, iterations + 1):
            z = x - tau * self.AH(v)
            a = np.abs(z)
            x = np.maximum(a - tau * c.lam, 0) / np.where(a > 0, a, 1) * z
            w = v + sigma * (self.A(x) - c.y)
            v = w / max(1.0, float(np.linalg.norm(w)))
            if callback is not None and callback(k, x):
                return


def test_steps_are_float32_values_within_the_bound():
    tau, sigma = peers._steps(123.456, 1.0)
    assert float(np.float32(tau)) == tau and float(np.float32(sigma)) == sigma
    assert tau * sigma <= (1 - 1e-4) ** 2 and tau / sigma == pytest.approx(123.456, rel=1e-6)


def test_numpy_loop_computes_pdhg_iterates(small):
    c, tau, sigma, ref = small
    loop = peers.NumpyLoop(c, tau, sigma)
    ok, worst, _ = peers.check_iterates(loop, ref)
    assert ok and worst <= peers.RTOL
    # its operators are fastsparse's A and A^H
    x = np.random.default_rng(0).standard_normal((64, 64)) + 0j
    np.testing.assert_allclose(loop.A(x), c.A.forward(x), rtol=0, atol=1e-12)
    np.testing.assert_allclose(loop.AH(c.y), c.A.adjoint(c.y), rtol=0, atol=1e-12)


def test_check_rejects_a_wrong_peer(small):
    c, tau, sigma, ref = small
    ok, worst, at = peers.check_iterates(_NoExtrapolation(c, tau, sigma), ref)
    assert not ok and worst > 1e-3 and at >= 2
    # shifted iterates (a wrong offset) are caught too
    shifted = peers.NumpyLoop(c, tau, sigma)
    shifted.offset = 1
    assert not peers.check_iterates(shifted, ref)[0]


def test_peer_that_stops_early_fails_the_check(small):
    c, tau, sigma, ref = small

    class Short(peers.NumpyLoop):
        def run(self, iterations, callback=None):
            super().run(min(iterations, 3), callback)

    ok, worst, at = peers.check_iterates(Short(c, tau, sigma), ref)
    assert not ok and np.isnan(worst) and at == 3


@pytest.mark.parametrize("cls", [peers.PyProximalPyLops, peers.SigPy])
def test_installed_library_peers_compute_pdhg_iterates(small, cls):
    for module in cls.modules:
        pytest.importorskip(module)
    c, tau, sigma, ref = small
    ok, worst, _ = peers.check_iterates(cls(c, tau, sigma), ref)
    assert ok, worst


def test_missing_names_the_module(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "sigpy", None)  # as if not installed
    assert peers.missing(peers.SigPy).startswith("sigpy not installed")
    (tmp_path / "fastsparse_broken_peer.py").write_text("raise RuntimeError('built for numpy 1')")
    monkeypatch.syspath_prepend(str(tmp_path))

    class Broken(peers.Peer):
        modules = ("numpy", "fastsparse_broken_peer")

    why = peers.missing(Broken)
    assert why == "import fastsparse_broken_peer failed: RuntimeError: built for numpy 1"
    assert peers.missing(peers.NumpyLoop) is None


def test_rows_skip_absent_peers_and_do_not_time_wrong_ones(monkeypatch):
    monkeypatch.setitem(sys.modules, "sigpy", None)
    monkeypatch.setitem(sys.modules, "pyproximal", None)
    notes = []
    chosen = (peers.PyProximalPyLops, peers.SigPy, _NoExtrapolation, peers.NumpyLoop)
    rows = peers.rows(sizes=[16], repeats=1, peers=chosen, notes=notes)
    by = {r["case"]: r for r in rows}
    assert list(by) == [
        "fastsparse pdhg",
        "sqrt_lasso (tol)",
        "PyProximal+PyLops",
        "SigPy",
        "wrong loop",
        "NumPy loop",
        "sqrt_lasso vs NumPy loop",
    ]
    assert by["SigPy"]["check"] == "skipped" and "ms_it" not in by["SigPy"]
    assert by["PyProximal+PyLops"]["check"] == "skipped" and met(by["PyProximal+PyLops"]) is None
    assert by["wrong loop"]["check"] == "DIFFERS" and "ms_it" not in by["wrong loop"]
    assert any(s.startswith("SigPy: skipped, sigpy not installed") for s in notes)
    assert any(s.startswith("wrong loop: iterates differ") and "not timed" in s for s in notes)
    loop = by["NumPy loop"]
    assert float(loop["check"]) <= peers.RTOL
    assert loop["it_1e-4"] <= loop["it_1e-6"] == by["fastsparse pdhg"]["it_1e-6"]
    assert loop["x_it"] == pytest.approx(loop["ms_it"] / by["fastsparse pdhg"]["ms_it"])
    last = by["sqrt_lasso vs NumPy loop"]
    assert last["x_1e-6"] == pytest.approx(loop["s_1e-6"] / by["sqrt_lasso (tol)"]["s_1e-6"])
    assert met(last) is (last["x_1e-6"] >= 5) and met(loop) is (loop["x_it"] >= 3)
    lines = format_rows(rows)
    assert max(len(s) for s in lines) <= WIDTH
    assert "not measured: PyProximal+PyLops (n=16) (target x_it >= 6)" in " ".join(lines)


def test_bench_peers_flag_only_for_solvers(capsys):
    from fastsparse.cli import main

    assert main(["bench", "kernels", "--peers"]) == 2
    assert "--peers applies to the solvers suite" in capsys.readouterr().err
