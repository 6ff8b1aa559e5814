"""Operators against independent references: numpy.fft, scipy.linalg.hadamard, PyWavelets,
np.roll differences and dense matrices; one adjoint test for every operator and composition."""

import concurrent.futures
import pickle
import re
import warnings

import numpy as np
import pytest
import pywt
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import hadamard

import fastsparse
from fastsparse import _fftw
from fastsparse.operators import (
    Gradient,
    Haar,
    Matrix,
    SubsampledFourier,
    SubsampledWalsh,
    _power_norm,
)
from fastsparse.testing import assert_adjoint, random_array

DTYPES = [np.float32, np.float64, np.complex64, np.complex128]


def tol(dtype, n):
    """50 eps sqrt(n) in the precision of ``dtype``."""
    eps = np.finfo(np.dtype(dtype).type(0).real.dtype).eps
    return 50 * eps * np.sqrt(n)


def fourier_ref(x, mask):
    return np.fft.fftshift(np.fft.fft2(np.asarray(x, np.complex128), norm="ortho"))[mask]


def dense_of(fn, shape, dtype=np.complex128):
    """The matrix of a linear map on arrays of ``shape``: apply it to every unit vector."""
    n = int(np.prod(shape))
    cols = []
    for p in range(n):
        e = np.zeros(n, dtype)
        e[p] = 1
        cols.append(np.asarray(fn(e.reshape(shape))).ravel())
    return np.stack(cols, axis=1)


def sequency_hadamard(n):
    """Hadamard rows sorted by their number of sign changes (built without bit tricks)."""
    h = hadamard(n)
    changes = np.count_nonzero(np.diff(h, axis=1) != 0, axis=1)
    return h[np.argsort(changes, kind="stable")]


def walsh_matrix(n, order):
    h = hadamard(n)
    if order == "natural":
        return h
    if order == "sequency":
        return sequency_hadamard(n)
    # dyadic (Paley): sequency order with the Gray code undone, built by sorting too:
    # the Paley index of a row is the bit-reversed natural index
    bits = n.bit_length() - 1
    rev = [int(format(k, f"0{bits}b")[::-1], 2) if bits else 0 for k in range(n)]
    return h[rev]


def random_mask(shape, rng, p=0.3):
    m = rng.random(shape) < p
    m.flat[0] = True
    return m


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    """Keep the wisdom files of the tests out of the user's cache directory."""
    monkeypatch.setenv("FASTSPARSE_CACHE_DIR", str(tmp_path / "cache"))


# --------------------------------------------------------------------- SubsampledFourier
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(8, 8), (6, 10), (5, 7), (1, 4)])
def test_fourier_matches_numpy(dtype, shape, rng):
    mask = random_mask(shape, rng)
    A = SubsampledFourier(mask, planner="FFTW_ESTIMATE")
    x = random_array(shape, dtype, rng)
    y = A.forward(x)
    assert y.shape == (mask.sum(),)
    single = np.dtype(dtype) in (np.dtype(np.float32), np.dtype(np.complex64))
    assert y.dtype == (np.complex64 if single else np.complex128)
    ref = fourier_ref(x, mask)
    assert np.max(np.abs(y - ref)) <= tol(dtype, x.size) * np.max(np.abs(ref))


@settings(max_examples=12, deadline=None)
@given(
    n1=st.integers(1, 12),
    n2=st.integers(1, 12),
    seed=st.integers(0, 2**32 - 1),
    p=st.floats(0.05, 1.0),
)
def test_fourier_any_shape_and_mask(n1, n2, seed, p):
    rng = np.random.default_rng(seed)
    mask = random_mask((n1, n2), rng, p)
    A = SubsampledFourier(mask, planner="estimate")
    x = random_array((n1, n2), np.complex128, rng)
    np.testing.assert_allclose(A.forward(x), fourier_ref(x, mask), rtol=0, atol=1e-13)
    assert assert_adjoint(A, np.complex128, seed=seed % 1000) < 1e-12


def test_fourier_read_only_and_strided_inputs(rng):
    mask = random_mask((8, 12), rng)
    A = SubsampledFourier(mask, planner="estimate")
    x = random_array((8, 12), np.complex128, rng)
    ref = fourier_ref(x, mask)
    ro = x.copy()
    ro.flags.writeable = False
    np.testing.assert_allclose(A.forward(ro), ref, atol=1e-13)
    big = np.zeros((16, 24), np.complex128)
    big[::2, ::2] = x
    np.testing.assert_allclose(A.forward(big[::2, ::2]), ref, atol=1e-13)
    np.testing.assert_allclose(A.forward(np.asfortranarray(x)), ref, atol=1e-13)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_fourier_adjoint_equals_dense_adjoint(dtype, rng):
    shape = (6, 8)
    mask = random_mask(shape, rng, 0.5)
    M = dense_of(lambda e: fourier_ref(e, mask), shape)
    A = SubsampledFourier(mask, planner="estimate")
    y = random_array(A.out_shape, dtype, rng)
    got = A.adjoint(y)
    assert got.dtype == dtype and got.shape == shape
    ref = (M.conj().T @ y.astype(np.complex128)).reshape(shape)
    assert np.max(np.abs(got - ref)) <= tol(dtype, M.size) * np.max(np.abs(ref))
    # and the forward is that same matrix
    x = random_array(shape, dtype, rng)
    fwd = M @ x.ravel().astype(np.complex128)
    assert np.max(np.abs(A.forward(x) - fwd)) <= tol(dtype, M.size) * np.max(np.abs(fwd))


def test_fourier_is_coisometry(rng):
    mask = random_mask((8, 12), rng)
    A = SubsampledFourier(mask, planner="estimate")
    y = random_array(A.out_shape, np.complex128, rng)
    np.testing.assert_allclose(A.forward(A.adjoint(y)), y, atol=1e-13)
    assert A.norm() == 1.0 and A.H.norm() == 1.0


@pytest.mark.parametrize("planner", ["estimate", "measure"])
def test_fourier_adjoint_buffer_stays_zero(planner, rng):
    """The inverse FFT must preserve its zero-filled input between adjoint calls."""
    mask = random_mask((16, 12), rng)
    A = SubsampledFourier(mask, threads=1, planner=planner)
    y1, y2 = (random_array(A.out_shape, np.complex128, rng) for _ in range(2))
    first = A.adjoint(y2)
    A.adjoint(y1)
    A.forward(first)
    np.testing.assert_array_equal(A.adjoint(y2), first)
    full = np.zeros((16, 12), np.complex128)
    full[mask] = y2
    ref = np.fft.ifft2(np.fft.ifftshift(full), norm="ortho")
    np.testing.assert_allclose(first, ref, rtol=0, atol=1e-14)


def test_fourier_threads_agree(rng):
    mask = random_mask((32, 16), rng)
    x = random_array((32, 16), np.complex128, rng)
    y = random_array((int(mask.sum()),), np.complex128, rng)
    one = SubsampledFourier(mask, threads=1, planner="estimate")
    two = SubsampledFourier(mask, threads=2, planner="estimate")
    np.testing.assert_allclose(one.forward(x), two.forward(x), rtol=0, atol=1e-13)
    np.testing.assert_allclose(one.adjoint(y), two.adjoint(y), rtol=0, atol=1e-13)
    np.testing.assert_allclose(one.forward(x), fourier_ref(x, mask), rtol=0, atol=1e-13)


def test_fourier_plans_built_once_per_precision_and_threads(rng):
    mask = random_mask((16, 16), rng)
    A = SubsampledFourier(mask, threads=1, planner="estimate")
    x = random_array((16, 16), np.complex128, rng)
    A.forward(x)
    assert A._plans_built == 1
    A.forward(x)
    A.adjoint(A.forward(x))
    A.forward(x.real)  # real double input runs the double plans
    assert A._plans_built == 1
    A.forward(x.astype(np.complex64))
    assert A._plans_built == 2
    A.adjoint(A.forward(x.astype(np.complex64)))
    assert A._plans_built == 2


def test_fourier_threads_none_follows_setting(rng):
    if fastsparse._threads._max_threads() < 2:
        pytest.skip("needs two Numba threads")
    mask = random_mask((16, 16), rng)
    A = SubsampledFourier(mask, planner="estimate")
    x = random_array((16, 16), np.complex128, rng)
    old = fastsparse._threads._num_threads
    try:
        fastsparse.set_num_threads(1)
        a = A.forward(x)
        fastsparse.set_num_threads(2)
        b = A.forward(x)
        assert A._plans_built == 2
        fastsparse.set_num_threads(1)
        A.forward(x)
        assert A._plans_built == 2
    finally:
        fastsparse._threads._num_threads = old
        fastsparse.get_num_threads()
    np.testing.assert_allclose(a, b, atol=1e-13)


def test_fourier_unaligned_and_aligned_inputs(rng):
    """FFTW runs directly on aligned arrays and copies others: same answers either way."""
    import pyfftw

    shape = (16, 32)
    mask = random_mask(shape, rng)
    A = SubsampledFourier(mask, planner="estimate")
    x = random_array(shape, np.complex128, rng)
    aligned = pyfftw.empty_aligned(shape, np.complex128)
    aligned[...] = x
    # an 8-byte offset view: valid complex128 data no SIMD plan can run on
    raw = np.empty(x.size * 16 + 8, np.uint8)
    shifted = raw[8 : 8 + x.size * 16].view(np.complex128).reshape(shape)
    shifted[...] = x
    ref = fourier_ref(x, mask)
    for arr in (x, aligned, shifted):
        np.testing.assert_allclose(A.forward(arr), ref, atol=1e-13)
    y = random_array(A.out_shape, np.complex128, rng)
    ref_adj = A.adjoint(y)
    out = pyfftw.empty_aligned(shape, np.complex128)
    A.adjoint(y, out=out)
    np.testing.assert_allclose(out, ref_adj, atol=1e-13)
    raw2 = np.empty(x.size * 16 + 8, np.uint8)
    out2 = raw2[8 : 8 + x.size * 16].view(np.complex128).reshape(shape)
    A.adjoint(y, out=out2)
    np.testing.assert_allclose(out2, ref_adj, atol=1e-13)


def test_fourier_concurrent_threads(rng):
    """One operator used from several Python threads at once gives the right answers."""
    shape = (32, 32)
    mask = random_mask(shape, rng)
    A = SubsampledFourier(mask, planner="estimate")
    xs = [random_array(shape, np.complex128, rng) for _ in range(8)]

    def work(x):
        out = None
        for _ in range(20):
            out = A.adjoint(A.forward(x))
        return out

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(work, xs))
    assert A._plans_built in (1, 2, 3, 4)  # at most one plan pair per simultaneous call
    for x, r in zip(xs, results, strict=True):
        ref = np.fft.ifft2(
            np.fft.ifftshift(np.where(mask, np.fft.fftshift(np.fft.fft2(x)), 0)),
        )
        np.testing.assert_allclose(r, ref, atol=1e-12)


def test_fourier_plans_shared_by_threads_in_turn(rng):
    """Threads that call one after the other reuse the same plans."""
    import threading

    mask = random_mask((16, 16), rng)
    A = SubsampledFourier(mask, threads=1, planner="estimate")
    x = random_array((16, 16), np.complex128, rng)
    results = []
    for _ in range(3):
        t = threading.Thread(target=lambda: results.append(A.adjoint(A.forward(x))))
        t.start()
        t.join()
    assert A._plans_built == 1
    for r in results:
        np.testing.assert_array_equal(r, results[0])


def test_fourier_pickles(rng):
    mask = random_mask((8, 8), rng)
    A = SubsampledFourier(mask, planner="estimate")
    x = random_array((8, 8), np.complex128, rng)
    y = A.forward(x)
    B = pickle.loads(pickle.dumps(A))
    np.testing.assert_array_equal(B.forward(x), y)


def test_fourier_planner_effort_names():
    mask = np.ones((4, 4), bool)
    assert SubsampledFourier(mask, planner="patient").planner == "FFTW_PATIENT"
    assert SubsampledFourier(mask, planner="FFTW_ESTIMATE").planner == "FFTW_ESTIMATE"
    assert SubsampledFourier(mask).planner == "FFTW_MEASURE"
    with pytest.raises(ValueError, match="planner"):
        SubsampledFourier(mask, planner="fast")
    with pytest.raises(ValueError, match="planner"):
        SubsampledFourier(mask, planner=3)


# ------------------------------------------------------------------------------ wisdom
def _fresh_wisdom_state(monkeypatch):
    monkeypatch.setattr(_fftw, "_loaded", False)
    monkeypatch.setattr(_fftw, "_on_disk", {})


def test_wisdom_written_and_reloaded(tmp_path, monkeypatch, rng):
    import pyfftw

    cache = tmp_path / "wisdom"
    monkeypatch.setenv("FASTSPARSE_CACHE_DIR", str(cache))
    _fresh_wisdom_state(monkeypatch)
    shape = (24, 40)
    A = SubsampledFourier(random_mask(shape, rng), threads=1, planner="measure")
    A.forward(random_array(shape, np.complex64, rng))
    path = cache / "fftw-wisdom-single.dat"
    assert path.is_file() and path.stat().st_size > 0
    assert not list(cache.glob("*.tmp"))  # the temporary file was renamed, not left
    assert not (cache / "fftw-wisdom-longdouble.dat").exists()

    def plan_from_wisdom_only():
        a = pyfftw.empty_aligned(shape, np.complex64)
        b = pyfftw.empty_aligned(shape, np.complex64)
        flags = ("FFTW_MEASURE", "FFTW_WISDOM_ONLY")
        pyfftw.FFTW(a, b, axes=(0, 1), flags=flags, threads=1)

    pyfftw.forget_wisdom()
    with pytest.raises(RuntimeError):  # a new process without the file would have to plan
        plan_from_wisdom_only()
    _fresh_wisdom_state(monkeypatch)
    assert _fftw.load_wisdom() is True  # what a second process does before its first plan
    plan_from_wisdom_only()


_OTHER_PROCESS = """
import numpy as np
import pyfftw
from fastsparse import _fftw

def plan():
    a = pyfftw.empty_aligned((20, 36), np.complex128)
    b = pyfftw.empty_aligned((20, 36), np.complex128)
    pyfftw.FFTW(a, b, axes=(0, 1), flags=("FFTW_MEASURE", "FFTW_WISDOM_ONLY"), threads=1)

try:
    plan()
except RuntimeError:
    print("no wisdom before loading")
print("loaded", _fftw.load_wisdom())
plan()
print("planned from the file")
"""


def test_wisdom_reused_by_another_process(tmp_path, monkeypatch, rng):
    """A second interpreter plans from the saved file alone (FFTW_WISDOM_ONLY)."""
    import subprocess
    import sys

    cache = tmp_path / "shared"
    monkeypatch.setenv("FASTSPARSE_CACHE_DIR", str(cache))
    _fresh_wisdom_state(monkeypatch)
    A = SubsampledFourier(random_mask((20, 36), rng), threads=1, planner="measure")
    A.forward(random_array((20, 36), np.complex128, rng))
    assert (cache / "fftw-wisdom-double.dat").is_file()
    res = subprocess.run(
        [sys.executable, "-c", _OTHER_PROCESS], capture_output=True, text=True, check=True
    )
    assert res.stdout.split("\n")[:3] == [
        "no wisdom before loading",
        "loaded True",
        "planned from the file",
    ]


@pytest.mark.parametrize("kind", ["under_file", "readonly_dir"])
def test_wisdom_unwritable_directory_is_skipped(kind, tmp_path, monkeypatch, rng):
    if kind == "under_file":
        blocker = tmp_path / "a_file"
        blocker.write_text("not a directory")
        cache = blocker / "sub"
    else:
        cache = tmp_path / "ro"
        cache.mkdir()
        cache.chmod(0o500)
        probe = cache / "probe"
        try:
            probe.write_text("x")
        except OSError:
            pass
        else:
            probe.unlink()
            pytest.skip("running with privileges that ignore directory permissions")
    monkeypatch.setenv("FASTSPARSE_CACHE_DIR", str(cache))
    _fresh_wisdom_state(monkeypatch)
    shape = (12, 20)
    mask = random_mask(shape, rng)
    x = random_array(shape, np.complex128, rng)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        A = SubsampledFourier(mask, threads=1, planner="measure")
        y = A.forward(x)
        assert _fftw.save_wisdom() is False or not list(cache.parent.glob("**/*.dat"))
    np.testing.assert_allclose(y, fourier_ref(x, mask), atol=1e-13)


def test_cache_dir_resolution(monkeypatch, tmp_path):
    monkeypatch.setenv("FASTSPARSE_CACHE_DIR", str(tmp_path / "x"))
    assert _fftw.cache_dir() == tmp_path / "x"
    monkeypatch.delenv("FASTSPARSE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert _fftw.cache_dir() == tmp_path / "xdg" / "fastsparse"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert _fftw.cache_dir() == tmp_path / "home" / ".cache" / "fastsparse"


def test_corrupt_wisdom_file_is_ignored(tmp_path, monkeypatch, rng):
    cache = tmp_path / "bad"
    cache.mkdir()
    (cache / "fftw-wisdom-double.dat").write_bytes(b"this is not wisdom")
    monkeypatch.setenv("FASTSPARSE_CACHE_DIR", str(cache))
    _fresh_wisdom_state(monkeypatch)
    mask = random_mask((8, 8), rng)
    x = random_array((8, 8), np.complex128, rng)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = SubsampledFourier(mask, planner="estimate").forward(x)
    np.testing.assert_allclose(y, fourier_ref(x, mask), atol=1e-13)


# -------------------------------------------------------------------------- SubsampledWalsh
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("order", ["sequency", "natural", "dyadic"])
@pytest.mark.parametrize("shape", [(8, 8), (4, 16), (1, 8)])
def test_walsh_matches_dense_hadamard(dtype, order, shape, rng):
    mask = random_mask(shape, rng, 0.4)
    A = SubsampledWalsh(mask, order=order)
    x = random_array(shape, dtype, rng)
    h1 = walsh_matrix(shape[0], order) / np.sqrt(shape[0])
    h2 = walsh_matrix(shape[1], order) / np.sqrt(shape[1])
    full = h1 @ x.astype(np.complex128) @ h2.T
    ref = full[mask]
    y = A.forward(x)
    assert y.dtype == dtype  # real stays real
    assert np.max(np.abs(y - ref)) <= tol(dtype, x.size) * max(1, np.max(np.abs(ref)))
    # adjoint against the dense matrix (M^T, real) applied to y
    M = np.kron(h1, h2)[mask.ravel()]
    v = random_array(A.out_shape, dtype, rng)
    ref_adj = (M.T @ v.astype(np.complex128)).reshape(shape)
    got = A.adjoint(v)
    assert got.dtype == dtype
    assert np.max(np.abs(got - ref_adj)) <= tol(dtype, M.size) * max(1, np.max(np.abs(ref_adj)))


def test_walsh_equals_transforms_fwht(rng):
    from fastsparse.transforms import fwht

    mask = random_mask((16, 32), rng)
    x = random_array((16, 32), np.float64, rng)
    for order in ("sequency", "natural", "dyadic"):
        A = SubsampledWalsh(mask, order=order)
        np.testing.assert_allclose(A.forward(x), fwht(x, order=order)[mask], atol=1e-13)


def test_walsh_adjoint_keeps_buffer_clean(rng):
    """The adjoint's zero-filled buffer is reused: repeated calls must not leak values."""
    mask = random_mask((16, 16), rng)
    A = SubsampledWalsh(mask)
    y1 = random_array(A.out_shape, np.float64, rng)
    y2 = random_array(A.out_shape, np.float64, rng)
    first = A.adjoint(y2)
    A.adjoint(y1)
    np.testing.assert_array_equal(A.adjoint(y2), first)


def _haar_synthesis_matrix(shape, levels):
    """Dense inverse Haar (PyWavelets, periodization) on coefficient arrays of ``shape``."""
    _, slices = pywt.coeffs_to_array(
        pywt.wavedec2(np.zeros(shape), "haar", "periodization", levels)
    )

    def synth(c):
        coeffs = pywt.array_to_coeffs(c, slices, output_format="wavedec2")
        return pywt.waverec2(coeffs, "haar", mode="periodization")

    return dense_of(synth, shape, np.float64)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("shape", "levels"),
    [
        ((16, 16), 3),
        ((16, 16), 4),
        ((16, 16), 0),
        ((8, 32), 2),
        ((32, 8), 3),
        ((2, 2), 1),
        ((4, 16), 2),
        ((1, 8), 0),
        ((8, 1), 0),
    ],
)
def test_walsh_haar_is_one_blockwise_operator_and_matches_dense(dtype, shape, levels, rng):
    """Sequency Walsh samples of a Haar synthesis run as one blockwise transform
    (``_WalshHaar``); checked against scipy's Hadamard matrix and PyWavelets' Haar."""
    from fastsparse.operators import _WalshHaar

    mask = random_mask(shape, rng, 0.4)
    A = SubsampledWalsh(mask) @ Haar(shape, levels).H
    assert type(A) is _WalshHaar
    h1 = sequency_hadamard(shape[0]) / np.sqrt(shape[0])
    h2 = sequency_hadamard(shape[1]) / np.sqrt(shape[1])
    M = (np.kron(h1, h2) @ _haar_synthesis_matrix(shape, levels))[mask.ravel()]
    x = random_array(shape, dtype, rng)
    y = A.forward(x)
    ref = M @ x.astype(np.complex128).ravel()
    assert y.dtype == dtype  # real stays real, precision kept
    assert np.max(np.abs(y - ref)) <= tol(dtype, x.size) * max(1, np.max(np.abs(ref)))
    v = random_array(A.out_shape, dtype, rng)
    got = A.adjoint(v)
    ref_adj = (M.T @ v.astype(np.complex128)).reshape(shape)
    assert got.dtype == dtype
    assert np.max(np.abs(got - ref_adj)) <= tol(dtype, M.size) * max(1, np.max(np.abs(ref_adj)))


def test_walsh_haar_other_orders_and_shapes_stay_compositions(rng):
    from fastsparse.operators import _WalshHaar

    mask = random_mask((8, 16), rng)
    H = Haar((8, 16), 2)
    for order in ("natural", "dyadic"):
        assert type(SubsampledWalsh(mask, order=order) @ H.H) is not _WalshHaar
    assert type(SubsampledWalsh(mask) @ H) is not _WalshHaar  # analysis, not synthesis


@pytest.mark.parametrize("dtype", [np.float64, np.complex64])
def test_walsh_haar_512_equals_composition_and_threads_agree(dtype, rng):
    """At 512x512 (the default levels of ``reconstruct``) the blockwise operator equals
    ``fwht(ihaar(c))[mask]`` and its adjoint ``haar(fwht(scatter(y)))``; 1 and 2 threads
    give identical bits."""
    from fastsparse import set_num_threads
    from fastsparse._threads import get_num_threads
    from fastsparse.transforms import fwht, haar, ihaar

    n = 512
    mask = random_mask((n, n), rng, 0.25)
    A = SubsampledWalsh(mask) @ Haar((n, n), 8).H
    c = random_array((n, n), dtype, rng)
    ref = fwht(ihaar(c, levels=8))[mask]
    z = np.zeros((n, n), dtype)
    z[mask] = random_array(A.out_shape, dtype, rng)
    ref_adj = haar(fwht(z), levels=8)
    eps = np.finfo(np.dtype(dtype).type(0).real.dtype).eps
    saved = get_num_threads()
    try:
        results = []
        for k in (1, 2):
            set_num_threads(k)
            results.append((A.forward(c), A.adjoint(z[mask])))
    finally:
        set_num_threads(saved)
    for y, back in results:
        assert np.max(np.abs(y - ref)) <= 50 * eps * np.max(np.abs(ref))
        assert np.max(np.abs(back - ref_adj)) <= 50 * eps * np.max(np.abs(ref_adj))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_walsh_haar_many_samples_use_the_parallel_sample_kernels(rng):
    from fastsparse._threads import SAMPLES_MIN
    from fastsparse.transforms import fwht, haar, ihaar

    mask = np.ones((1024, 256), bool)  # 262144 samples > SAMPLES_MIN
    assert mask.sum() > SAMPLES_MIN
    A = SubsampledWalsh(mask) @ Haar((1024, 256), 7).H
    c = random_array(mask.shape, np.float64, rng)
    np.testing.assert_allclose(A.forward(c), fwht(ihaar(c, levels=7)).ravel(), rtol=0, atol=1e-13)
    y = random_array(A.out_shape, np.float64, rng)
    ref = haar(fwht(y.reshape(mask.shape)), levels=7)
    np.testing.assert_allclose(A.adjoint(y), ref, rtol=0, atol=1e-13)


def test_walsh_haar_adjoint_keeps_buffer_clean_and_nan_found_anywhere(rng):
    mask = random_mask((16, 16), rng)
    A = SubsampledWalsh(mask) @ Haar((16, 16)).H
    y1 = random_array(A.out_shape, np.float64, rng)
    y2 = random_array(A.out_shape, np.float64, rng)
    first = A.adjoint(y2)
    A.adjoint(y1)
    np.testing.assert_array_equal(A.adjoint(y2), first)
    for pos in [(0, 0), (15, 15), (0, 9), (9, 0), (5, 6)]:
        for val in (np.nan, np.inf, -np.inf):
            x = np.zeros((16, 16))
            x[pos] = val
            with pytest.raises(ValueError, match="x contains NaN or inf"):
                A.forward(x)


def test_compositions_pickle(rng):
    mask = random_mask((16, 16), rng)
    for A in (
        SubsampledWalsh(mask) @ Haar((16, 16)).H,
        SubsampledWalsh(mask, order="dyadic") @ Haar((16, 16)).H,
        SubsampledFourier(mask, planner="estimate") @ Haar((16, 16)).H,
    ):
        x = random_array((16, 16), np.complex128, rng)
        y = A.forward(x)  # buffers and plans exist before pickling
        B = pickle.loads(pickle.dumps(A))
        assert type(B) is type(A)
        np.testing.assert_array_equal(B.forward(x), y)
        np.testing.assert_array_equal(B.adjoint(y), A.adjoint(y))


def test_weighted_gather_scatter_kernels_parallel_path(rng):
    """The Walsh + Haar sample kernels run a parallel loop when given chunks."""
    from fastsparse.kernels import walsh as k

    from fastsparse._threads import SAMPLES_MIN

    n = SAMPLES_MIN + 5
    buf = random_array((2 * n,), np.complex128, rng)
    idx = rng.permutation(2 * n)[:n].astype(np.int64)
    w = rng.random(n)
    for m, nchunks in ((10, 1), (n, 2)):  # serial and parallel loops
        out = np.empty(m, np.complex128)
        assert k.gather_weighted(buf, idx[:m], w[:m], out, nchunks) is True
        np.testing.assert_array_equal(out, w[:m] * buf[idx[:m]])
        z = np.zeros(2 * n, np.complex128)
        assert k.scatter_weighted(out, idx[:m], w[:m], z, nchunks) is True
        ref = np.zeros(2 * n, np.complex128)
        ref[idx[:m]] = w[:m] * out
        np.testing.assert_array_equal(z, ref)
        b = buf.copy()
        b[idx[m // 2]] = np.nan
        assert k.gather_weighted(b, idx[:m], w[:m], out, nchunks) is False
        out[m - 1] = np.inf
        assert k.scatter_weighted(out, idx[:m], w[:m], z, nchunks) is False


# ----------------------------------------------------------------------------------- Haar
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("shape", "levels"), [((16, 16), None), ((16, 32), 2), ((8, 24), 3)])
def test_haar_matches_pywavelets(dtype, shape, levels, rng):
    W = Haar(shape, levels)
    L = W.levels
    assert L == (levels if levels is not None else pywt.dwtn_max_level(shape, "haar") or L)
    x = random_array(shape, dtype, rng)

    def ref_fn(v):
        c = pywt.wavedec2(v, "haar", mode="periodization", level=L)
        return pywt.coeffs_to_array(c)[0]

    ref = ref_fn(x.real.astype(np.float64))
    if np.dtype(dtype).kind == "c":
        ref = ref + 1j * ref_fn(x.imag.astype(np.float64))
    c = W.forward(x)
    assert c.dtype == dtype and c.shape == shape
    assert np.max(np.abs(c - ref)) <= tol(dtype, x.size) * np.max(np.abs(ref))
    back = W.adjoint(c)
    assert np.max(np.abs(back - x)) <= tol(dtype, x.size) * np.max(np.abs(x))


def test_haar_levels_default_is_maximum():
    assert Haar((64, 64)).levels == 6
    assert Haar((16, 48)).levels == 4
    assert Haar((6, 10)).levels == 1
    assert Haar((32,)).levels == 5


# ------------------------------------------------------------------------------ Gradient
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(5, 7), (8, 8), (1, 6)])
def test_gradient_matches_roll(dtype, shape, rng):
    D = Gradient(shape)
    x = random_array(shape, dtype, rng)
    g = D.forward(x)
    assert g.shape == (2, *shape) and g.dtype == dtype
    np.testing.assert_array_equal(g[0], np.roll(x, -1, axis=0) - x)
    np.testing.assert_array_equal(g[1], np.roll(x, -1, axis=1) - x)
    p = random_array((2, *shape), dtype, rng)
    div = (p[0] - np.roll(p[0], 1, axis=0)) + (p[1] - np.roll(p[1], 1, axis=1))
    np.testing.assert_allclose(D.adjoint(p), -div, rtol=0, atol=tol(dtype, 4))


@pytest.mark.parametrize("shape", [(3, 4), (4, 4), (5, 6), (1, 5), (7, 3), (2, 2)])
def test_gradient_norm_is_largest_singular_value(shape):
    D = Gradient(shape)
    M = dense_of(D.forward, shape, np.float64)
    assert D.norm() == pytest.approx(np.linalg.norm(M, 2), rel=1e-12, abs=1e-12)


# --------------------------------------------------------------------- adjoint, every operator
def _operators():
    rng = np.random.default_rng(7)
    m16 = random_mask((16, 16), rng)
    m_rect = random_mask((8, 16), rng)
    F = SubsampledFourier(m16, planner="estimate")
    W = SubsampledWalsh(m16)
    H = Haar((16, 16))
    Mat = Matrix(random_array((20, 256), np.complex128, rng))
    return {
        "fourier": F,
        "fourier_rect": SubsampledFourier(m_rect, planner="estimate"),
        "walsh": W,
        "walsh_dyadic": SubsampledWalsh(m_rect, order="dyadic"),
        "haar": H,
        "haar_1d": Haar((32,), 3),
        "gradient": Gradient((12, 10)),
        "fourier@haar.H": F @ H.H,
        "walsh@haar.H": W @ H.H,
        "matrix@haar.H": Matrix(random_array((30, 256), np.float64, rng)) @ Matrix(np.eye(256)),
        "gradient.H@gradient": Gradient((6, 9)).H @ Gradient((6, 9)),
        "AhA": (F @ H.H).H @ (F @ H.H),
        "matrix_complex": Mat,
    }


OPS = _operators()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("adjointed", [False, True], ids=["op", "op.H"])
@pytest.mark.parametrize("name", sorted(OPS))
def test_adjoint_every_operator(name, adjointed, dtype):
    op = OPS[name].H if adjointed else OPS[name]
    gap = assert_adjoint(op, dtype, seed=3)
    if dtype == np.complex128:
        assert gap < 1e-12
    elif dtype == np.complex64:
        assert gap < 1e-5


@pytest.mark.parametrize("name", ["fourier@haar.H", "walsh@haar.H"])
def test_cs_matrix_norm_is_one(name):
    op = OPS[name]
    assert op.norm() == 1.0
    assert _power_norm(op, 500, 1e-14, 0) == pytest.approx(1.0, abs=1e-10)


# --------------------------------------------------------------- API behaviour, every operator
def _api_cases():
    rng = np.random.default_rng(11)
    m = random_mask((8, 8), rng)
    return [
        SubsampledFourier(m, planner="estimate"),
        SubsampledWalsh(m),
        Haar((8, 8)),
        Gradient((8, 8)),
        SubsampledFourier(m, planner="estimate") @ Haar((8, 8)).H,
        SubsampledWalsh(m) @ Haar((8, 8)).H,
        Matrix(random_array((10, 64), np.complex128, rng)),
        Gradient((8, 8)).H,
    ]


@pytest.mark.parametrize("op", _api_cases(), ids=repr)
def test_inputs_untouched_and_out_used(op, rng):
    x = random_array(op.in_shape, np.complex128, rng)
    y = random_array(op.out_shape, np.complex128, rng)
    x0, y0 = x.copy(), y.copy()
    fx = op.forward(x)
    ay = op.adjoint(y)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(y, y0)
    out = np.empty(op.out_shape, np.complex128)
    assert op.forward(x, out=out) is out
    np.testing.assert_array_equal(out, fx)
    out2 = np.empty(op.in_shape, np.complex128)
    assert op.adjoint(y, out=out2) is out2
    np.testing.assert_array_equal(out2, ay)
    np.testing.assert_array_equal(op(x), fx)


@pytest.mark.parametrize("op", _api_cases(), ids=repr)
def test_as_linear_operator(op, rng):
    L = op.as_linear_operator()
    x = random_array(op.in_shape, np.complex128, rng)
    y = random_array(op.out_shape, np.complex128, rng)
    np.testing.assert_allclose(L.matvec(x.ravel()), op.forward(x).ravel(), atol=1e-14)
    np.testing.assert_allclose(L.rmatvec(y.ravel()), op.adjoint(y).ravel(), atol=1e-14)


@pytest.mark.parametrize("op", _api_cases(), ids=repr)
def test_bad_arrays_rejected(op):
    x = np.zeros(op.in_shape)
    bad = x.copy()
    bad.flat[3] = np.nan
    with pytest.raises(ValueError, match="x contains NaN"):
        op.forward(bad)
    bad.flat[3] = np.inf
    with pytest.raises(ValueError, match="x contains NaN"):
        op.forward(bad)
    with pytest.raises(ValueError, match="x must have shape"):
        op.forward(np.zeros((3, 3)))
    with pytest.raises(TypeError, match="x has unsupported dtype"):
        op.forward(x.astype(np.float16))
    with pytest.raises(ValueError, match="y must have shape"):
        op.adjoint(np.zeros(7))
    yb = np.zeros(op.out_shape)
    yb.flat[0] = np.nan
    with pytest.raises(ValueError, match="y contains NaN"):
        op.adjoint(yb)
    with pytest.raises(TypeError, match="out must have dtype"):
        op.forward(x, out=np.empty(op.out_shape, np.float16))


def test_constructor_errors():
    good = np.ones((8, 8), bool)
    with pytest.raises(TypeError, match="mask"):
        SubsampledFourier(good.astype(int))
    with pytest.raises(ValueError, match="mask"):
        SubsampledFourier(np.ones((2, 2, 2), bool))
    with pytest.raises(ValueError, match="mask"):
        SubsampledFourier(np.zeros((4, 4), bool))
    with pytest.raises(ValueError, match="threads"):
        SubsampledFourier(good, threads=0)
    with pytest.raises(TypeError, match="dtype"):
        SubsampledFourier(good, dtype=np.float16)
    with pytest.raises(TypeError, match="mask"):
        SubsampledWalsh(good.astype(float))
    with pytest.raises(ValueError, match="mask"):
        SubsampledWalsh(np.ones(8, bool))
    with pytest.raises(ValueError, match="mask"):
        SubsampledWalsh(np.zeros((8, 8), bool))
    with pytest.raises(ValueError, match="powers of two"):
        SubsampledWalsh(np.ones((8, 12), bool))
    with pytest.raises(ValueError, match="order"):
        SubsampledWalsh(good, order="gray")
    with pytest.raises(ValueError, match="levels"):
        Haar((8, 8), levels=4)
    with pytest.raises(ValueError, match="levels"):
        Haar((8, 8), levels=-1)
    with pytest.raises(ValueError, match="levels"):
        Haar((12, 8), levels=3)
    with pytest.raises(ValueError, match="shape"):
        Haar((8, 8, 8))
    with pytest.raises(ValueError, match="shape"):
        Haar((0, 8))
    with pytest.raises(TypeError, match="shape"):
        Haar(8)
    with pytest.raises(ValueError, match="shape"):
        Gradient((4,))
    with pytest.raises(ValueError, match="shape"):
        Gradient((4, 0))
    with pytest.raises(ValueError, match="compose"):
        SubsampledFourier(good) @ Haar((4, 4))


def test_mask_is_copied(rng):
    mask = random_mask((8, 8), rng)
    A = SubsampledFourier(mask, planner="estimate")
    W = SubsampledWalsh(mask)
    x = random_array((8, 8), np.float64, rng)
    before_f, before_w = A.forward(x), W.forward(x)
    mask[...] = True
    np.testing.assert_array_equal(A.forward(x), before_f)
    np.testing.assert_array_equal(W.forward(x), before_w)


def test_fourier_gather_scatter_kernels_parallel_path(rng):
    """The kernels run a parallel loop when given chunks; both loops agree."""
    from fastsparse.kernels import fourier as k

    from fastsparse._threads import SAMPLES_MIN

    n = SAMPLES_MIN + 5
    buf = random_array((2 * n,), np.complex128, rng)
    idx = rng.permutation(2 * n)[:n].astype(np.intp)
    for nchunks in (1, 2):
        out = np.empty(n, np.complex128)
        assert k.gather(buf, idx, np.float64(0.5), out, nchunks) is True
        np.testing.assert_array_equal(out, 0.5 * buf[idx])
        z = np.zeros(2 * n, np.complex128)
        assert k.scatter(out, idx, np.float64(2.0), z, nchunks) is True
        ref = np.zeros(2 * n, np.complex128)
        ref[idx] = 2.0 * out
        np.testing.assert_array_equal(z, ref)
    for m, nchunks in ((n, 2), (10, 1)):  # parallel and serial loops report NaN/inf
        for val in (np.nan, np.inf, 1j * np.inf):
            b = buf.copy()
            b[idx[m // 2]] = val
            assert k.gather(b, idx[:m], np.float64(1.0), out[:m], nchunks) is False
            o = out[:m].copy()
            o[m - 1] = val
            assert k.scatter(o, idx[:m], np.float64(1.0), z, nchunks) is False
        b = buf.copy()
        b[np.setdiff1d(np.arange(2 * n), idx[:m])[0]] = np.nan  # not gathered: not seen
        assert k.gather(b, idx[:m], np.float64(1.0), out[:m], nchunks) is True


@pytest.mark.parametrize("dtype", [np.complex64, np.float64])
def test_fourier_non_finite_anywhere_is_caught_with_one_sample(dtype):
    """The forward detects NaN/inf from the samples: any bad entry reaches every bin."""
    mask = np.zeros((8, 16), bool)
    mask[5, 3] = True
    A = SubsampledFourier(mask, planner="estimate")
    for pos in [(0, 0), (7, 15), (3, 9), (4, 8)]:
        for val in (np.nan, np.inf, -np.inf) + ((1j * np.inf,) if dtype != np.float64 else ()):
            x = np.zeros((8, 16), dtype)
            x[pos] = val
            with pytest.raises(ValueError, match="x contains NaN or inf"):
                A.forward(x)
    y = np.array([np.nan], np.complex128)
    with pytest.raises(ValueError, match="y contains NaN or inf"):
        A.adjoint(y)
    # finite input whose spectrum overflows is not mistaken for NaN/inf input
    big = np.full((8, 16), np.finfo(np.float64).max)
    with pytest.raises(ValueError, match="x: the result overflowed complex128"):
        SubsampledFourier(np.ones((8, 16), bool), planner="estimate").forward(big)


# ----------------------------------------------------------------------------- overflow
def _overflow_cases():
    """Every operator kind, with a mask dense enough (and holding the DC sample) that a
    constant input near the dtype's maximum overflows in both directions."""
    rng = np.random.default_rng(5)
    m = rng.random((16, 16)) < 0.5
    m[0, 0] = m[8, 8] = True  # Walsh and centred Fourier DC
    ones = np.ones((5, 7))
    return [
        SubsampledFourier(m, planner="estimate"),
        SubsampledWalsh(m),
        SubsampledWalsh(m, order="dyadic"),
        Haar((16, 16)),
        Haar((16,)),
        Matrix(ones),
        Gradient((16, 16)),
        SubsampledFourier(m, planner="estimate") @ Haar((16, 16)).H,
        SubsampledWalsh(m) @ Haar((16, 16)).H,  # the blockwise operator
        SubsampledWalsh(m, order="dyadic") @ Haar((16, 16)).H,
        Matrix(ones) @ Matrix(np.ones((7, 3))),
        SubsampledFourier(m, planner="estimate").H,
        Gradient((16, 16)).H,
    ]


def _huge(shape, dtype, checker):
    """Finite entries at 0.9 of the dtype's maximum (both parts, for complex): constant,
    or with signs alternating along the last two axes (``checker``: a constant has zero
    periodic differences, a checkerboard the largest)."""
    big = 0.9 * np.finfo(np.dtype(dtype).type(0).real.dtype).max
    sign = np.ones(shape)
    if checker:
        i, j = np.indices(shape[-2:])
        sign = np.broadcast_to((-1.0) ** (i + j), shape)
    x = (big * sign).astype(dtype)
    if np.dtype(dtype).kind == "c":
        x += 1j * x
    assert np.isfinite(x).all()
    return x


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", _overflow_cases(), ids=repr)
def test_overflow_is_an_error_naming_the_argument(op, dtype):
    """A finite input whose result overflows raises, in both directions; an input 1e4
    times smaller does not, and NaN input is still reported as NaN."""
    checker = isinstance(getattr(op, "op", op), Gradient)
    res_dt = op.result_dtype(np.dtype(dtype))
    for name, apply, shape in (("x", op.forward, op.in_shape), ("y", op.adjoint, op.out_shape)):
        arr = _huge(shape, dtype, checker)
        with pytest.raises(ValueError, match=rf"^{name}: the result overflowed {res_dt} \(entries"):
            apply(arr)
        assert np.isfinite(apply(arr / 1e4)).all()
        arr.flat[1] = np.nan
        with pytest.raises(ValueError, match=f"^{name} contains NaN or inf"):
            apply(arr)


@pytest.mark.parametrize("dtype", [np.float32, np.complex128])
def test_overflow_message_gives_the_entry_size(dtype):
    A = Matrix(np.ones((2, 3)))
    x = np.full(3, 0.9 * np.finfo(np.dtype(dtype).type(0).real.dtype).max, dtype)
    msg = f"x: the result overflowed {dtype.__name__} (entries up to {float(x.real[0]):.1e}); "
    with pytest.raises(ValueError, match="^" + re.escape(msg + "rescale the input") + "$"):
        A.forward(x)
