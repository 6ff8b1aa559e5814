"""FIRENET's per-layer outputs (run_layers) and the convergence figure."""

import numpy as np
import pytest

from fastsparse import FIRENET, data, figures
from fastsparse.cli import main
from fastsparse.operators import Haar, SubsampledFourier
from fastsparse.sampling import das
from fastsparse.stability import Arithmetic


@pytest.fixture(scope="module")
def problem():
    n = 16
    F = SubsampledFourier(das((n, n), 0.3, seed=1), planner="FFTW_ESTIMATE", threads=1)
    A = F @ Haar((n, n)).H
    x = np.random.default_rng(0).random((n, n))
    return A, F.forward(x)


@pytest.mark.parametrize("arithmetic", [None, Arithmetic(bits=30)])
def test_run_layers_ends_each_restart_at_its_output(problem, arithmetic):
    A, y = problem
    outs = []
    net = FIRENET(
        A, lam=1e-3, restarts=4, inner=3, arithmetic=arithmetic,
        callback=lambda k, x, info: outs.append(x.copy()),
    )  # fmt: skip
    seen = []
    res = net.run_layers(y, lambda j, k, c: seen.append((j, k, c.copy())))
    assert [(j, k) for j, k, _ in seen] == [(j, (j - 1) // 3) for j in range(1, 13)]
    for k in range(4):  # the running mean after a restart's last layer is its output
        np.testing.assert_array_equal(seen[3 * k + 2][2], outs[k])
    np.testing.assert_array_equal(seen[-1][2], res.x)
    if arithmetic is None:
        np.testing.assert_array_equal(res.x, net(y))
    # the first layer's mean is the first iterate: it differs from the restart's output
    assert not np.array_equal(seen[0][2], outs[0])


def test_run_layers_in_the_callers_units(problem):
    """Data rescaled by a power of two inside the network: the layers see the caller's units."""
    A, y = problem
    big = []
    net = FIRENET(A, lam=1e-3, restarts=2, inner=2, delta=0.0)  # 1-homogeneous in y
    net.run_layers(y * 2.0**120, lambda j, k, c: big.append(c.copy()))
    small = []
    net.run_layers(y, lambda j, k, c: small.append(c.copy()))
    for a, b in zip(big, small, strict=True):
        np.testing.assert_array_equal(a, b * 2.0**120)


def test_run_layers_refuses_the_adaptive_schedule_and_bad_fn(problem):
    A, y = problem
    with pytest.raises(ValueError, match="fixed schedule"):
        FIRENET(A, lam=1e-3, schedule="adaptive").run_layers(y, lambda *a: None)
    with pytest.raises(TypeError, match="fn"):
        FIRENET(A, lam=1e-3).run_layers(y, 3)


def test_convergence_data():
    out = figures.convergence(32, restarts=6, inner=5)
    rows = out["firenet"]
    assert len(rows) == 30 and [r[0] for r in rows] == list(range(1, 31))
    err = np.array([r[2] for r in rows])
    dist = np.array([r[3] for r in rows])
    gap = np.array([r[4] for r in rows])
    s = out["setup"]
    assert s["reference_gap"] <= 1e-10
    assert err[-1] < err[0] and dist[-1] < dist[0]
    # the fixed schedule at the paper's p = 5 stalls above the minimiser (its steps shrink by
    # e per restart); the parameter-free solver gets closer in as many iterations
    assert out["adaptive"][-1][3] < dist[-1]
    # F(c) >= min F >= F* (1 - certified gap)
    assert np.all(gap >= -s["reference_gap"] * s["F*"] / np.linalg.norm(data.phantom(32)))
    # the error can not fall below the minimiser's by more than the distance to it allows
    assert np.all(err >= out["floor"] - dist * 2)
    assert out["adaptive"] and out["adaptive"][-1][0] <= 30


def test_convergence_bad_arguments():
    with pytest.raises(ValueError, match="power of two"):
        figures.convergence(24)
    with pytest.raises(ValueError, match="transform"):
        figures.convergence(16, transform="dct")


def test_figure_command(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    png = tmp_path / "c.png"
    args = ["figure", "convergence", "--n", "32", "--restarts", "4"]
    assert main([*args, "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert "square-root LASSO floor" in out and "plot written" in out
    assert png.is_file() and png.stat().st_size > 10000
    assert main([*args, "--plot", str(tmp_path / "c.txt")]) == 2
    assert "--plot must name a .png" in capsys.readouterr().err
    assert main(["figure", "convergence", "--n", "48"]) == 2
    assert "power of two" in capsys.readouterr().err
