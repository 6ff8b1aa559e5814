"""Sampling masks: exact counts, reproducibility, DAS block counts, level weights."""

import itertools
import math

import numpy as np
import pytest
import pywt
from hypothesis import given, settings
from hypothesis import strategies as st

import fastsparse
from fastsparse import sampling

TF_S = [4, 12, 48, 50, 100, 100, 100]  # SPEC: TF runs, N = 256, J = 6

# ----------------------------------------------------------------- independent helpers


def spec_levels_1d(n, r, kind):
    """1-D levels B_1..B_r of SPEC section 3, as sets of array indices."""
    j0 = int(math.log2(n)) - r
    out = []
    for k in range(1, r + 1):
        if kind == "walsh":
            lo = 0 if k == 1 else 2 ** (j0 + k - 1)
            out.append(set(range(lo, 2 ** (j0 + k))))
        else:
            if k == 1:
                freqs = range(-(2**j0), 2**j0)
            else:
                freqs = list(range(2 ** (j0 + k - 2), 2 ** (j0 + k - 1)))
                freqs += list(range(-(2 ** (j0 + k - 1)), -(2 ** (j0 + k - 2))))
            out.append({w + n // 2 for w in freqs})
    return out


def spec_density(s, kind, v=1):
    """D of SPEC section 3 with 1-based indices, written from the formulas."""
    qtab = [0, 0.339, 0.636, 0.913, 1.177, 1.432, 1.682, 1.927, 2.168, 2.406]
    q = qtab[v - 1]
    r = len(s)
    cc = [None] + [2.0] + [1.0] * (r - 1)
    D = np.zeros((r, r))
    for k1 in range(1, r + 1):
        for k2 in range(1, r + 1):
            if kind == "walsh":
                val = sum(s[l - 1] * 2.0 ** (-abs(l - k1) - abs(l - k2)) for l in range(1, r + 1))  # noqa: E741
            else:
                a, b = min(k1, k2), max(k1, k2)
                val = 0.0
                for l in range(1, r + 1):  # noqa: E741
                    if l <= a:
                        val += s[l - 1] * 2.0 ** (-(2 * q + 1) * (a + b - 2 * l))
                    elif l <= b:
                        val += s[l - 1] * 2.0 ** (-(l - a) - (2 * q + 1) * (b - l))
                    else:
                        val += s[l - 1] * 2.0 ** (-(l - a) - (2 * v + 1) * (l - b))
            D[k1 - 1, k2 - 1] = cc[k1] * cc[k2] * val
    return D / D.sum()


def spec_counts(D, sizes, m):
    """Bisection on [m/32, 32m], then the corrected residual fix (plain loops)."""
    r = D.shape[0]

    def counts(c):
        return [
            [min(math.floor(c * D[i, j] + 0.5), sizes[i][j]) for j in range(r)] for i in range(r)
        ]

    lo, hi = m / 32, 32 * m
    c = hi
    for _ in range(150):
        c = (lo + hi) / 2
        tot = sum(map(sum, counts(c)))
        if tot == m:
            break
        lo, hi = (c, hi) if tot < m else (lo, c)
    n = counts(c)
    diff = m - sum(map(sum, n))
    while diff != 0:
        cells = [(i, j) for i in range(r) for j in range(r)]
        if diff > 0:
            cells = [ij for ij in cells if n[ij[0]][ij[1]] < sizes[ij[0]][ij[1]]]
            cells.sort(key=lambda ij: -(c * D[ij] - n[ij[0]][ij[1]]))
            for i, j in cells[:diff]:
                n[i][j] += 1
                diff -= 1
        else:
            cells = [ij for ij in cells if n[ij[0]][ij[1]] > 0]
            cells.sort(key=lambda ij: c * D[ij] - n[ij[0]][ij[1]])
            for i, j in cells[:-diff]:
                n[i][j] -= 1
                diff += 1
    return np.array(n)


def block_counts(mask, rows, cols):
    return np.array([[mask[np.ix_(sorted(a), sorted(b))].sum() for b in cols] for a in rows])


# ----------------------------------------------------------------- DAS


@pytest.mark.parametrize("kind", ["fourier", "walsh"])
@pytest.mark.parametrize(("n", "s", "fraction"), [(256, TF_S, 0.25), (128, TF_S[:6], 0.15)])
def test_das_block_counts_match_spec(kind, n, s, fraction):
    m = round(fraction * n * n)
    rows = spec_levels_1d(n, len(s), kind)
    sizes = [[len(a) * len(b) for b in rows] for a in rows]
    expected = spec_counts(spec_density(s, kind), sizes, m)
    mask = sampling.das((n, n), fraction, kind, seed=7, sparsity=s)
    assert mask.dtype == np.bool_ and mask.shape == (n, n)
    assert mask.sum() == m
    np.testing.assert_array_equal(block_counts(mask, rows, rows), expected)
    counts, sz = sampling.das_counts((n, n), fraction, kind, sparsity=s)
    np.testing.assert_array_equal(counts, expected)
    np.testing.assert_array_equal(sz, np.array(sizes))
    assert np.all(counts <= sz)


def test_das_residual_fix_is_exercised():
    """SPEC: N = 256, 25%, TF sparsities leaves a residual after bisection."""
    rows = spec_levels_1d(256, 7, "fourier")
    sizes = np.array([[len(a) * len(b) for b in rows] for a in rows])
    D = spec_density(TF_S, "fourier")
    m = 16384
    totals = set()
    lo, hi = m / 32, 32 * m
    for _ in range(150):
        c = (lo + hi) / 2
        tot = int(np.minimum(np.floor(c * D + 0.5), sizes).sum())
        totals.add(tot)
        if tot == m:
            break
        lo, hi = (c, hi) if tot < m else (lo, c)
    assert m not in totals  # the integer map jumps over m: the fix is needed
    counts, _ = sampling.das_counts((256, 256), 0.25, sparsity=TF_S)
    assert counts.sum() == m


@pytest.mark.parametrize("kind", ["fourier", "walsh"])
def test_das_block_geometry(kind):
    n = 64
    s = [4, 12, 48, 50, 100]  # r = 5, j0 = 1: |B_1| = 4
    counts, sizes = sampling.das_counts((n, n), 0.2, kind, sparsity=s)
    assert counts[0, 0] == sizes[0, 0] == 16
    mask = sampling.das((n, n), 0.2, kind, seed=1, sparsity=s)
    lo = 0 if kind == "walsh" else n // 2 - 2
    assert mask[lo : lo + 4, lo : lo + 4].all()
    assert mask[(n // 2, n // 2) if kind == "fourier" else (0, 0)]
    # the other layout's first block is not fully sampled
    other = n // 2 - 2 if kind == "walsh" else 0
    assert not mask[other : other + 4, other : other + 4].all()
    # Fourier B_2 is the two strips next to B_1: frequencies [-4, -2) and [2, 4)
    rows = spec_levels_1d(n, 5, kind)
    if kind == "fourier":
        assert rows[1] == set(range(n // 2 - 4, n // 2 - 2)) | set(range(n // 2 + 2, n // 2 + 4))
    else:
        assert rows[1] == set(range(4, 8))


@pytest.mark.parametrize("kind", ["fourier", "walsh"])
@pytest.mark.parametrize("n", [64, 128, 256, 512])
@pytest.mark.parametrize("fraction", [0.1, 0.15, 0.25, 0.4])
def test_das_default_fully_samples_lowest_block(kind, n, fraction):
    counts, sizes = sampling.das_counts((n, n), fraction, kind)
    assert counts[0, 0] == sizes[0, 0]
    assert counts.sum() == round(fraction * n * n)


def test_das_default_uses_phantom_sparsity():
    s = sampling.phantom_sparsity(64)
    a = sampling.das((64, 64), 0.25, seed=3)
    b = sampling.das((64, 64), 0.25, seed=3, sparsity=s)
    np.testing.assert_array_equal(a, b)
    c = sampling.das((64, 64), 0.25, seed=3, sparsity=[1, 1, 1, 1, 100])
    assert not np.array_equal(a, c)


def test_das_zero_sparsity_levels_and_full_sampling():
    mask = sampling.das((32, 32), 0.5, "walsh", seed=0, sparsity=[0, 0, 5, 0])
    assert mask.sum() == 512
    mask = sampling.das((32, 32), 1.0, "fourier", seed=0, sparsity=[100, 0, 0, 0, 0])
    assert mask.all()


def test_das_non_square():
    s = [3, 5, 9]
    mask = sampling.das((16, 64), 0.3, "fourier", seed=2, sparsity=s)
    assert mask.shape == (16, 64) and mask.sum() == round(0.3 * 16 * 64)
    rows, cols = spec_levels_1d(16, 3, "fourier"), spec_levels_1d(64, 3, "fourier")
    got = block_counts(mask, rows, cols)
    counts, _ = sampling.das_counts((16, 64), 0.3, "fourier", sparsity=s)
    np.testing.assert_array_equal(got, counts)


def test_vanishing_moments_change_fourier_density():
    a, _ = sampling.das_counts((128, 128), 0.2, sparsity=TF_S[:6], vanishing_moments=1)
    b, _ = sampling.das_counts((128, 128), 0.2, sparsity=TF_S[:6], vanishing_moments=4)
    assert not np.array_equal(a, b)
    rows = spec_levels_1d(128, 6, "fourier")
    sizes = [[len(x) * len(y) for y in rows] for x in rows]
    np.testing.assert_array_equal(
        b, spec_counts(spec_density(TF_S[:6], "fourier", 4), sizes, round(0.2 * 128 * 128))
    )


# ----------------------------------------------------------------- all patterns

PATTERNS = {
    "uniform": lambda shape, f, seed: sampling.uniform(shape, f, seed=seed),
    "two_level": lambda shape, f, seed: sampling.two_level(shape, f, seed=seed),
    "power_law": lambda shape, f, seed: sampling.power_law(shape, f, seed=seed),
    "das_fourier": lambda shape, f, seed: sampling.das(shape, f, "fourier", seed, sparsity=[2, 3]),
    "das_walsh": lambda shape, f, seed: sampling.das(shape, f, "walsh", seed, sparsity=[2, 3]),
}


@settings(max_examples=60, deadline=None)
@given(
    n1=st.integers(1, 40),
    n2=st.integers(1, 40),
    fraction=st.floats(0.0, 1.0, exclude_min=True),
    seed=st.integers(0, 2**32),
)
def test_exact_counts_any_shape(n1, n2, fraction, seed):
    m = round(fraction * n1 * n2)
    for name in ("uniform", "two_level", "power_law"):
        if m == 0:
            with pytest.raises(ValueError, match="fraction"):
                PATTERNS[name]((n1, n2), fraction, seed)
            continue
        mask = PATTERNS[name]((n1, n2), fraction, seed)
        assert mask.shape == (n1, n2) and mask.dtype == np.bool_
        assert mask.sum() == m, name


@settings(max_examples=40, deadline=None)
@given(
    e1=st.integers(2, 7),
    e2=st.integers(2, 7),
    fraction=st.floats(0.0, 1.0, exclude_min=True),
    s=st.lists(st.integers(0, 50), min_size=1, max_size=2).filter(lambda v: sum(v) > 0),
    kind=st.sampled_from(["fourier", "walsh"]),
)
def test_das_exact_counts_property(e1, e2, fraction, s, kind):
    shape = (2**e1, 2**e2)
    m = round(fraction * shape[0] * shape[1])
    if m == 0:
        with pytest.raises(ValueError, match="fraction"):
            sampling.das(shape, fraction, kind, 0, sparsity=s)
        return
    mask = sampling.das(shape, fraction, kind, 0, sparsity=s)
    assert mask.sum() == m
    counts, sizes = sampling.das_counts(shape, fraction, kind, sparsity=s)
    assert counts.sum() == m and np.all(counts <= sizes) and np.all(counts >= 0)


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_reproducible_and_seed_dependent(name):
    fn = PATTERNS[name]
    a = fn((32, 32), 0.3, 5)
    np.testing.assert_array_equal(a, fn((32, 32), 0.3, 5))
    np.testing.assert_array_equal(a, fn((32, 32), 0.3, np.random.default_rng(5)))
    assert not np.array_equal(a, fn((32, 32), 0.3, 6))
    # a shared Generator advances: two calls give different masks
    g = np.random.default_rng(1)
    assert not np.array_equal(fn((32, 32), 0.3, g), fn((32, 32), 0.3, g))


# ----------------------------------------------------------------- power law


def test_power_law_includes_dc():
    for seed in range(30):
        assert sampling.power_law((33, 64), 0.01, seed=seed)[16, 32]
    assert sampling.power_law((16, 16), 1 / 256, seed=0).sum() == 1
    assert sampling.power_law((16, 16), 1 / 256, seed=0)[8, 8]
    assert sampling.power_law((16, 16), 0.1, seed=0, kind="walsh")[0, 0]


def test_power_law_density_decreases_with_frequency():
    n, trials = 64, 200
    freq = np.hypot(*np.meshgrid(np.arange(n) - n // 2, np.arange(n) - n // 2, indexing="ij"))
    acc = np.zeros((n, n))
    for seed in range(trials):
        acc += sampling.power_law((n, n), 0.1, seed=seed)
    rings = [(1, 3), (3, 6), (6, 10), (10, 16), (16, 24), (24, 32)]
    p = [acc[(freq >= a) & (freq < b)].mean() / trials for a, b in rings]
    assert all(p[i] > p[i + 1] for i in range(len(p) - 1)), p
    assert p[0] > 0.9 and p[-1] < 0.05


def exact_inclusion(weights, k):
    """Inclusion probabilities of k successive weighted draws without replacement."""
    incl = np.zeros(weights.size)
    for seq in itertools.permutations(range(weights.size), k):
        prob, left = 1.0, weights.sum()
        for i in seq:
            prob *= weights[i] / left
            left -= weights[i]
        incl[list(seq)] += prob
    return incl


def test_power_law_is_successive_weighted_sampling():
    """Inclusion frequencies equal the exact ones of successive draws (DC forced)."""
    n, m, decay, trials = 4, 4, 2.0, 3000
    w = np.arange(n) - n // 2
    weight = ((1.0 + w[:, None] ** 2 + w[None, :] ** 2) ** (-decay)).ravel()
    dc = (n // 2) * n + n // 2
    rest = np.delete(np.arange(n * n), dc)
    exact = np.ones(n * n)
    exact[rest] = exact_inclusion(weight[rest], m - 1)
    ours = np.zeros(n * n)
    for t in range(trials):
        ours += sampling.power_law((n, n), m / (n * n), decay, seed=t).ravel()
    # binomial std <= 0.5 / sqrt(3000) = 0.009; decay 1.6 or 2.5 would miss by > 0.04
    np.testing.assert_allclose(ours / trials, exact, atol=0.03)
    # numpy's Generator.choice(replace=False, p=...) is successive sampling as well
    rng = np.random.default_rng(0)
    p = weight[rest] / weight[rest].sum()
    ref = np.zeros(rest.size)
    for _ in range(trials):
        ref[rng.choice(rest.size, m - 1, replace=False, p=p)] += 1
    np.testing.assert_allclose(ref / trials, exact[rest], atol=0.03)


def test_power_law_decay_zero_is_uniform_plus_dc():
    acc = np.zeros((8, 8))
    for seed in range(600):
        acc += sampling.power_law((8, 8), 0.25, decay=0.0, seed=seed)
    acc[4, 4] = np.nan
    inclusion = acc / 600
    assert np.nanmax(np.abs(inclusion - 15 / 63)) < 0.08
    assert sampling.power_law((64, 64), 0.2, decay=50.0, seed=0).sum() == 819


# ----------------------------------------------------------------- two-level, uniform


@pytest.mark.parametrize(
    ("shape", "fraction"), [((64, 64), 0.1), ((64, 64), 0.25), ((32, 64), 0.5), ((17, 9), 0.3)]
)
def test_two_level_square_fully_sampled(shape, fraction):
    m = round(fraction * shape[0] * shape[1])
    a = 0
    while 4 ** (a + 1) <= m / 2 and 2 ** (a + 1) <= min(shape):
        a += 1
    side = 2**a
    mask = sampling.two_level(shape, fraction, seed=0)
    r0, c0 = shape[0] // 2 - side // 2, shape[1] // 2 - side // 2
    assert mask[r0 : r0 + side, c0 : c0 + side].all()
    assert 4 * side * side > m / 2 or 2 * side > min(shape)  # largest such square
    assert mask.sum() == m
    wmask = sampling.two_level(shape, fraction, seed=0, kind="walsh")
    assert wmask[:side, :side].all() and wmask.sum() == m


def test_two_level_outside_is_uniform():
    acc = np.zeros((16, 16))
    for seed in range(400):
        acc += sampling.two_level((16, 16), 0.25, seed=seed)  # m = 64, side 4
    inside = np.zeros((16, 16), bool)
    inside[6:10, 6:10] = True
    assert np.all(acc[inside] == 400)
    expected = (64 - 16) / (256 - 16)
    assert np.abs(acc[~inside] / 400 - expected).max() < 0.1


def test_uniform_is_uniform():
    acc = np.zeros((8, 8))
    for seed in range(500):
        acc += sampling.uniform((8, 8), 0.25, seed=seed)
    assert np.abs(acc / 500 - 0.25).max() < 0.1


# ----------------------------------------------------------------- bad inputs


@pytest.mark.parametrize("fraction", [0, -0.1, 1.5, float("nan"), float("inf")])
@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_bad_fraction(name, fraction):
    with pytest.raises(ValueError, match="fraction"):
        PATTERNS[name]((16, 16), fraction, 0)


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_fraction_rounding_to_zero(name):
    with pytest.raises(ValueError, match="fraction"):
        PATTERNS[name]((16, 16), 1e-3, 0)
    with pytest.raises(TypeError, match="fraction"):
        PATTERNS[name]((16, 16), "0.5", 0)


@pytest.mark.parametrize("name", sorted(PATTERNS))
@pytest.mark.parametrize(
    ("shape", "error"),
    [((4,), ValueError), ((4, 4, 4), ValueError), ((0, 4), ValueError), ((4.0, 4), TypeError)],
)
def test_bad_shape(name, shape, error):
    with pytest.raises(error, match="shape"):
        PATTERNS[name](shape, 0.5, 0)


def test_das_bad_arguments():
    with pytest.raises(ValueError, match="shape"):
        sampling.das((48, 48), 0.2)
    with pytest.raises(ValueError, match="shape"):
        sampling.das((32, 64), 0.2)  # default sparsity needs a square
    with pytest.raises(ValueError, match="kind"):
        sampling.das((32, 32), 0.2, "dct", sparsity=[1, 2])
    with pytest.raises(ValueError, match="sparsity"):
        sampling.das((32, 32), 0.2, sparsity=[])
    with pytest.raises(ValueError, match="sparsity"):
        sampling.das((32, 32), 0.2, sparsity=[1, -2])
    with pytest.raises(ValueError, match="sparsity"):
        sampling.das((32, 32), 0.2, sparsity=[0, 0])
    with pytest.raises(ValueError, match="sparsity"):
        sampling.das((32, 32), 0.2, sparsity=[1] * 6)
    with pytest.raises(TypeError, match="sparsity"):
        sampling.das((32, 32), 0.2, sparsity=[1.5, 2])
    with pytest.raises(ValueError, match="vanishing_moments"):
        sampling.das((32, 32), 0.2, sparsity=[1, 2], vanishing_moments=11)
    with pytest.raises(TypeError, match="seed"):
        sampling.das((32, 32), 0.2, seed="abc", sparsity=[1, 2])
    with pytest.raises(ValueError, match="seed"):
        sampling.uniform((32, 32), 0.2, seed=-1)
    with pytest.raises(ValueError, match="decay"):
        sampling.power_law((32, 32), 0.2, decay=-1.0)
    with pytest.raises(ValueError, match="kind"):
        sampling.power_law((32, 32), 0.2, kind="dct")


# ----------------------------------------------------------------- levels and weights


def spec_levels_2d(n, r):
    lab = np.full((n, n), r - 1)
    for lvl in range(r - 2, -1, -1):
        side = n // 2 ** (r - 1 - lvl)
        lab[:side, :side] = lvl
    return lab


@pytest.mark.parametrize(("n", "levels", "r"), [(64, None, None), (256, None, None), (64, 5, 6)])
def test_phantom_sparsity_against_pywavelets(n, levels, r):
    J = int(math.log2(n)) - 1 if levels is None else levels
    rr = J if r is None else r
    img = fastsparse.data.phantom(n)
    img = (img - img.min()) / (img.max() - img.min())
    c = pywt.coeffs_to_array(pywt.wavedec2(img, "haar", mode="periodization", level=J))[0]
    lab = spec_levels_2d(n, rr)
    # ties |c| = 0.5 are exact in exact arithmetic; not counted (> 0.5 strictly)
    expected = [int(np.sum(np.abs(c[lab == lvl]) > 0.5 + 1e-9)) for lvl in range(rr)]
    got = sampling.phantom_sparsity(n, levels, r)
    assert got.dtype == np.int64
    assert got.tolist() == expected
    assert sum(expected) > 0


def test_phantom_sparsity_bad_arguments():
    with pytest.raises(ValueError, match="n"):
        sampling.phantom_sparsity(48)
    with pytest.raises(ValueError, match="levels"):
        sampling.phantom_sparsity(64, levels=7)
    with pytest.raises(ValueError, match="r"):
        sampling.phantom_sparsity(64, levels=3, r=5)


def test_level_weights_against_formula():
    rng = np.random.default_rng(0)
    s = np.array([3.0, 10.0, 40.0, 7.0])
    levels = rng.integers(0, 4, size=(8, 16))
    w = sampling.level_weights(levels, s)
    expected = np.empty(levels.shape)
    for i in range(levels.shape[0]):
        for j in range(levels.shape[1]):
            expected[i, j] = math.sqrt(s.sum() / s[levels[i, j]])
    assert w.dtype == np.float64 and w.shape == levels.shape
    np.testing.assert_allclose(w, expected, rtol=1e-15)
    assert fastsparse.level_weights is sampling.level_weights
    lev = fastsparse.haar_levels((16, 16), levels=3, r=3)
    w2 = fastsparse.level_weights(lev, [1, 4, 16])
    assert w2[0, 0] == pytest.approx(math.sqrt(21)) and w2[-1, -1] == pytest.approx(
        math.sqrt(21 / 16)
    )


def test_level_weights_bad_input():
    lev = np.array([0, 1, 2])
    with pytest.raises(ValueError, match="s must"):
        sampling.level_weights(lev, [1, 0, 2])
    with pytest.raises(ValueError, match="s must"):
        sampling.level_weights(lev, [1, float("nan"), 2])
    with pytest.raises(ValueError, match="s must"):
        sampling.level_weights(lev, [])
    with pytest.raises(ValueError, match="levels"):
        sampling.level_weights(lev, [1, 2])
    with pytest.raises(ValueError, match="levels"):
        sampling.level_weights(np.array([-1, 0]), [1, 2])
    with pytest.raises(TypeError, match="levels"):
        sampling.level_weights(np.array([0.0, 1.0]), [1, 2])


# ----------------------------------------------------------------- estimate_sparsity


def sparse_image(shape, levels, rng, density=0.05):
    """Image synthesised with PyWavelets from a random sparse Haar coefficient array."""
    c0 = pywt.coeffs_to_array(
        pywt.wavedec2(np.zeros(shape), "haar", mode="periodization", level=levels)
    )
    arr, slices = c0
    support = rng.random(arr.shape) < density
    arr = np.where(support, rng.uniform(-3.0, 3.0, arr.shape), 0.0)
    arr[: shape[0] >> levels, : shape[1] >> levels] = rng.uniform(2.0, 6.0)  # a bright mean
    coeffs = pywt.array_to_coeffs(arr, slices, output_format="wavedec2")
    return pywt.waverec2(coeffs, "haar", mode="periodization")


def rule_counts(x, levels, r):
    """The estimator's rule on the true image: ``|c| > 0.5 * q999(|x|)`` per level (PyWavelets)."""
    c = pywt.coeffs_to_array(pywt.wavedec2(x, "haar", mode="periodization", level=levels))[0]
    lab = fastsparse.haar_levels(x.shape, levels=levels, r=r)
    t = 0.5 * np.quantile(np.abs(x), 0.999)
    return np.array([max(1, int(np.sum(np.abs(c[lab == lvl]) > t))) for lvl in range(r)])


def full_samples(x, kind):
    if kind == "fourier":
        return np.fft.fftshift(np.fft.fft2(x, norm="ortho")).ravel()
    return fastsparse.fwht(x, order="sequency").ravel()


@pytest.mark.parametrize(
    ("kind", "shape", "levels", "r"),
    [
        ("fourier", (64, 64), 5, 5),
        ("fourier", (48, 80), 4, 5),  # non-square, not powers of two
        ("fourier", (32, 64), 3, 2),
        ("walsh", (64, 64), 5, 6),
        ("walsh", (32, 128), 4, 4),
    ],
)
def test_estimate_sparsity_fully_sampled_equals_rule(kind, shape, levels, r):
    rng = np.random.default_rng(7)
    x = sparse_image(shape, levels, rng)
    mask = np.ones(shape, dtype=bool)
    s = sampling.estimate_sparsity(full_samples(x, kind), mask, transform=kind, levels=levels, r=r)
    assert s.dtype == np.float64 and s.shape == (r,)
    np.testing.assert_array_equal(s, rule_counts(x, levels, r))


def test_estimate_sparsity_phantom_fully_sampled_is_phantom_rule():
    x = fastsparse.data.phantom(128)
    mask = np.ones((128, 128), dtype=bool)
    s = sampling.estimate_sparsity(full_samples(x, "fourier"), mask)  # levels = r = 6
    np.testing.assert_array_equal(s, np.maximum(sampling.phantom_sparsity(128), 1))


def das_data(kind, n=64, name="texture", seed=0):
    mask = sampling.das((n, n), 0.25, kind=kind, seed=seed)
    y = full_samples(fastsparse.data.load(name, n), kind)[mask.ravel()]
    return y, mask


@pytest.mark.parametrize("kind", ["fourier", "walsh"])
def test_estimate_sparsity_scale_invariant(kind):
    y, mask = das_data(kind)
    s = sampling.estimate_sparsity(y, mask, transform=kind)
    for a in (1e-300, 1e-6, 1e6, 1e300, -3.0):
        np.testing.assert_allclose(
            sampling.estimate_sparsity(y * a, mask, transform=kind), s, rtol=1e-9
        )
    assert s.min() >= 1 and s.max() > 1


@pytest.mark.parametrize("kind", ["fourier", "walsh"])
def test_estimate_sparsity_global_phase_invariant(kind):
    y, mask = das_data(kind)
    y = y * np.exp(0.3j)  # complex data (also for Walsh)
    s = sampling.estimate_sparsity(y, mask, transform=kind)
    np.testing.assert_allclose(
        sampling.estimate_sparsity(y * np.exp(2.1j), mask, transform=kind), s, rtol=1e-9
    )


def test_estimate_sparsity_close_to_truth_when_subsampled():
    # 25% DAS at 128 (the texture, not the phantom): every level within a factor 2 of the
    # rule on the true image. A heuristic's sanity bound, not a precision claim.
    x = fastsparse.data.texture(128)
    mask = sampling.das((128, 128), 0.25, seed=1)
    y = full_samples(x, "fourier")[mask.ravel()]
    ratio = sampling.estimate_sparsity(y, mask) / rule_counts(x, 6, 6)
    assert np.all((ratio > 0.5) & (ratio < 2.0)), ratio


@pytest.mark.parametrize(
    ("kind", "dtype", "ref"),
    [("fourier", np.complex64, np.complex128), ("walsh", np.float32, np.float64)],
)
def test_estimate_sparsity_dtypes(kind, dtype, ref):
    y, mask = das_data(kind)
    s = sampling.estimate_sparsity(y.astype(dtype), mask, transform=kind)
    s64 = sampling.estimate_sparsity(y.astype(ref), mask, transform=kind)
    assert s.dtype == np.float64
    # single-precision rounding can move a coefficient across the threshold
    np.testing.assert_allclose(s, s64, rtol=0.02, atol=2)


def test_estimate_sparsity_zero_data_gives_ones():
    mask = sampling.das((32, 32), 0.25, seed=0)
    s = sampling.estimate_sparsity(np.zeros(int(mask.sum())), mask)
    np.testing.assert_array_equal(s, np.ones(4))


def test_estimate_sparsity_bad_input():
    y, mask = das_data("fourier", n=32)
    est = sampling.estimate_sparsity
    with pytest.raises(ValueError, match="y must have mask.sum"):
        est(y[:-1], mask)
    with pytest.raises(ValueError, match="y must be 1-D"):
        est(y.reshape(1, -1), mask)
    bad = y.copy()
    bad[3] = np.nan
    with pytest.raises(ValueError, match="y contains NaN"):
        est(bad, mask)
    with pytest.raises(TypeError, match="y"):
        est(None, mask)
    with pytest.raises(ValueError, match="mask is empty"):
        est(np.zeros(0), np.zeros((32, 32), bool))
    with pytest.raises(TypeError, match="mask"):
        est(y, mask.astype(int))
    with pytest.raises(ValueError, match="mask must be 2-D"):
        est(y, mask.ravel())
    with pytest.raises(ValueError, match="transform"):
        est(y, mask, transform="haar")
    with pytest.raises(ValueError, match="levels"):
        est(y, mask, levels=0)
    with pytest.raises(ValueError, match="levels"):
        est(y, mask, levels=6)  # 32 = 2**5
    with pytest.raises(TypeError, match="levels"):
        est(y, mask, levels=2.0)
    with pytest.raises(ValueError, match="r must"):
        est(y, mask, levels=3, r=5)
    with pytest.raises(ValueError, match="r must"):
        est(y, mask, r=0)
    with pytest.raises(ValueError, match="power-of-two"):
        est(np.ones(24 * 24), np.ones((24, 24), bool), transform="walsh")
    with pytest.raises(ValueError, match="even"):
        est(np.ones(9), np.ones((3, 3), bool))


def test_estimate_sparsity_keeps_unidentifiable_levels():
    """Uniform random Fourier masks sample the steep low-frequency spectrum with a few
    samples: the noise model then explains every detection of a coarse level, and the
    corrected count (found - false) / (1 - false / size) is 0 / 0. Such levels keep their raw
    count: at 512x512 the phantom's second and third levels were estimated as 1 (weights
    ~110) and the reconstruction error rose from 0.48 (phantom rule) to 0.62."""
    from fastsparse.data import phantom
    from fastsparse.operators import SubsampledFourier
    from fastsparse.sampling import estimate_sparsity, phantom_sparsity, uniform

    n = 512
    mask = uniform((n, n), 0.25, seed=1)
    s = estimate_sparsity(SubsampledFourier(mask).forward(phantom(n)), mask)
    ref = phantom_sparsity(n, 8, 8)
    assert np.all(s[:4] >= 0.9 * ref[:4]), (s, ref)


@pytest.mark.parametrize(("n", "levels"), [(8, 2), (64, 5), (64, 3), (256, 7)])
def test_walsh_atom_spectra_closed_form_match_the_transform(n, levels):
    """The closed-form Walsh spectra of the Haar atoms equal |fwht(atom)|^2 (fwht is checked
    against scipy.linalg.hadamard in test_transforms)."""
    from fastsparse.sampling import _atom_spectra
    from fastsparse.transforms import fwht, haar_levels, ihaar

    spectra, band = _atom_spectra(n, levels, "walsh")
    np.testing.assert_array_equal(band, haar_levels(n, levels=levels))
    for k in range(levels + 1):
        e = np.zeros(n)
        e[np.flatnonzero(band == k)[0]] = 1.0
        ref = np.abs(np.asarray(fwht(np.asarray(ihaar(e, levels=levels)), order="sequency"))) ** 2
        np.testing.assert_allclose(spectra[k], ref, rtol=0, atol=1e-15)


def test_walsh_backprojection_is_haar_of_fwht():
    """c = Psi W^H P^T (y inv) by the Walsh-Haar operator equals haar(fwht(zero-filled)):
    the compensation weights inv are read back from y = 1 (W^H = W^-1 = fwht, orthonormal)."""
    from fastsparse.sampling import _compensated_coefficients
    from fastsparse.transforms import fwht, haar, ihaar

    n, levels = 64, 5
    mask = sampling.das((n, n), 0.25, "walsh", seed=3)
    y = np.random.default_rng(4).standard_normal(int(mask.sum()))
    c, _ = _compensated_coefficients(y, mask, "walsh", levels)
    c1, _ = _compensated_coefficients(np.ones_like(y), mask, "walsh", levels)
    inv = np.asarray(fwht(np.asarray(ihaar(c1, levels=levels)), order="sequency"))[mask]
    assert inv.min() > 1.0 - 1e-12  # 1 / (the sampled fraction of each block)
    z = np.zeros((n, n))
    z[mask] = y * inv
    ref = np.asarray(haar(np.asarray(fwht(z, order="sequency")), levels=levels))
    np.testing.assert_allclose(c, ref, rtol=0, atol=1e-12 * np.abs(ref).max())
