"""The barrier table (SPEC section 7): FIRENET against SPEC's corrected values, LISTA above them."""

import math

import numpy as np
import pytest

from fastsparse.barriers import barrier_problem, impossibility_table, train_lista


def test_problem_matches_spec():
    p = barrier_problem(1, 10)
    assert p.A1.shape == (21, 22) and p.A2.shape == (21, 22)
    # ||A1 - A2|| <= 2^-n; y = D e1; D orthonormal
    assert np.linalg.norm(p.A1 - p.A2, 2) <= 2.0**-10
    np.testing.assert_allclose(p.D @ p.D.T, np.eye(21), atol=1e-14)
    np.testing.assert_allclose(p.D.T @ p.y, np.eye(21)[0], atol=1e-14)
    # x* = c e1 solves A1 x = y; c e2 solves A2 x = y
    np.testing.assert_allclose(p.A1 @ p.x_star, p.y, atol=1e-13)
    x2 = np.zeros(22)
    x2[1] = p.c
    np.testing.assert_allclose(p.A2 @ x2, p.y, atol=1e-13)
    assert abs(p.c - 2.12e-1) < 0.01


def test_firenet_column_matches_corrected_values():
    rows = impossibility_table(lista=False)
    assert len(rows) == 9
    for r in rows:
        target = 1.5 * 10.0 ** (-r.K)
        assert abs(r.firenet - target) <= 0.2 * target, r
        assert abs(r.corrected - r.training_minimiser / 2) < 1e-15
    # the buggy published column differs from the corrected one for K = 1, 3
    assert all(abs(r.firenet - r.published_firenet) > 0.3 * r.firenet for r in rows if r.K < 6)


@pytest.mark.slow
@pytest.mark.parametrize("K", [3, 6])
def test_lista_does_not_reach_firenet(K):
    prob = barrier_problem(K, 30)
    res = train_lista(prob, epochs=25)  # reduced budget (reference: 4000 epochs)
    d = float(np.linalg.norm(res(prob.y) - prob.x_star))
    corrected = prob.c / math.sqrt(2)
    assert d > 1.5 * corrected
    # and it sits at its training minimiser c e2 (distance c sqrt(2))
    assert abs(d - prob.c * math.sqrt(2)) < 0.05 * prob.c * math.sqrt(2)


def test_cli_barriers_firenet_only(capsys):
    from fastsparse.cli import main

    assert main(["barriers", "--no-lista", "--K", "3", "--n", "20"]) == 0
    out = capsys.readouterr().out
    row = next(ln.split() for ln in out.splitlines() if ln.split()[:2] == ["3", "20"])
    # K n FIRENET corrected published LISTA c*sqrt(2) published
    firenet, corrected, published = (float(v) for v in row[2:5])
    assert abs(firenet - corrected) <= 0.2 * corrected and published == 0.0025980
    assert row[5] == "-" and "midpoint" in out
