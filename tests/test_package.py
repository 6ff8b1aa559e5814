"""Packaging, threads, validation helpers and the operator base class."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fastsparse
from fastsparse import _validation as v
from fastsparse.operators import Matrix
from fastsparse.testing import assert_adjoint

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_non_editable_install_imports_kernels(tmp_path):
    """`pip install .` places kernels/ at fastsparse/kernels and nothing named kernels on top."""
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(ROOT),
        ],
        check=True,
        cwd=tmp_path,
    )
    assert (target / "fastsparse" / "kernels" / "__init__.py").is_file()
    assert not (target / "kernels").exists()
    code = (
        "import fastsparse.kernels as k, fastsparse; print(k.__file__); print(fastsparse.__file__)"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    ).stdout.split()
    assert out[0].startswith(str(target)) and out[1].startswith(str(target))


def test_set_num_threads_round_trip():
    old = fastsparse.get_num_threads()
    fastsparse.set_num_threads(1)
    assert fastsparse.get_num_threads() == 1
    fastsparse.set_num_threads(old)
    assert fastsparse.get_num_threads() == old
    with pytest.raises(ValueError, match="k must be between"):
        fastsparse.set_num_threads(0)
    with pytest.raises(TypeError, match="k must be an integer"):
        fastsparse.set_num_threads(1.5)


def test_env_threads_is_read():
    code = "import fastsparse; print(fastsparse.get_num_threads())"
    env = {**os.environ, "FASTSPARSE_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "1"
    env["FASTSPARSE_NUM_THREADS"] = "zero"
    bad = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert bad.returncode != 0 and "FASTSPARSE_NUM_THREADS" in bad.stderr


def test_parallel_policy_chunks():
    """One policy: serial below the measured minimum or on one thread, else all threads."""
    from fastsparse import _threads as t

    # measured values, moved from the kernels and solvers unchanged
    assert (t.SAMPLES_MIN, t.HAAR_MIN, t.SOLVER_MIN) == (1 << 17, 1 << 14, 1 << 15)
    for minimum in (t.SAMPLES_MIN, t.HAAR_MIN, t.SOLVER_MIN):
        assert t.chunks(minimum - 1, minimum=minimum, threads=4) == 1
        assert t.chunks(minimum, minimum=minimum, threads=4) == 4
        assert t.chunks(minimum, minimum=minimum, threads=1) == 1
    old = t.get_num_threads()
    try:
        t.set_num_threads(1)
        assert t.chunks(1 << 30, minimum=t.SAMPLES_MIN) == 1
        t.set_num_threads(t._max_threads())
        assert t.chunks(1 << 30, minimum=t.SAMPLES_MIN) == t._max_threads()
    finally:
        t.set_num_threads(old)


def test_haar_stage_chunks_follow_the_stage_size():
    """A 2-D Haar stage (4 levels) is parallel when its input has >= HAAR_MIN elements."""
    from fastsparse._threads import HAAR_MIN
    from fastsparse.transforms import _haar_stage_chunks

    assert _haar_stage_chunks(512, 512, 9, 3, HAAR_MIN).tolist() == [3, 1, 1]  # 2^18, 2^10, 2^2
    assert _haar_stage_chunks(128, 128, 7, 3, HAAR_MIN).tolist() == [3, 1]  # 2^14, 2^6
    assert _haar_stage_chunks(128, 64, 6, 3, HAAR_MIN).tolist() == [1, 1]  # 2^13
    assert _haar_stage_chunks(512, 512, 9, 1, HAAR_MIN).tolist() == [1, 1, 1]
    # the minimum is part of the cache key: compile_kernels lowers it to reach the
    # parallel stages on 16x16 (a cached serial answer made it miss them)
    assert _haar_stage_chunks(16, 16, 4, 2, HAAR_MIN).tolist() == [1]
    assert _haar_stage_chunks(16, 16, 4, 2, 1).tolist() == [2]


def test_import_fastsparse_loads_no_kernel_module():
    code = "import sys, fastsparse; print(sorted(m for m in sys.modules if 'kernels' in m))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_openmp_waits_passively_unless_the_user_chose():
    code = "import os, fastsparse; print(os.environ['OMP_WAIT_POLICY'])"
    env = {k: val for k, val in os.environ.items() if k != "OMP_WAIT_POLICY"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "PASSIVE"
    env["OMP_WAIT_POLICY"] = "ACTIVE"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "ACTIVE"


@pytest.mark.parametrize(
    ("dtype", "expected"),
    [
        (np.float32, np.float32),
        (np.float64, np.float64),
        (np.complex64, np.complex64),
        (np.complex128, np.complex128),
        (np.int32, np.float64),
        (np.bool_, np.float64),
    ],
)
def test_result_dtype_table(dtype, expected):
    assert v.result_dtype(dtype) == np.dtype(expected)


@pytest.mark.parametrize("dtype", [np.float16, np.longdouble, object, "U3"])
def test_unsupported_dtype_named(dtype):
    with pytest.raises(TypeError, match="x"):
        v.as_array(np.zeros(3, dtype=dtype), "x")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nonfinite_rejected(bad):
    a = np.zeros(10, np.complex64)
    a[7] = bad
    with pytest.raises(ValueError, match="image contains NaN or inf"):
        v.as_array(a, "image")


def test_as_array_does_not_copy_or_modify():
    a = np.arange(6.0).reshape(2, 3)
    b = v.as_array(a, "a")
    assert b is a or np.shares_memory(a, b)
    assert np.array_equal(a, np.arange(6.0).reshape(2, 3))


def test_mask_checks():
    with pytest.raises(TypeError, match="mask must be a boolean"):
        v.check_mask(np.ones((4, 4)))
    with pytest.raises(ValueError, match="mask is empty"):
        v.check_mask(np.zeros((4, 4), bool))
    with pytest.raises(ValueError, match="mask must be 2-D"):
        v.check_mask(np.ones(4, bool))


def test_out_array_checks():
    with pytest.raises(ValueError, match="out must have shape"):
        v.out_array(np.empty(3), (4,), np.float64)
    with pytest.raises(TypeError, match="out must have dtype"):
        v.out_array(np.empty(4, np.float32), (4,), np.float64)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
def test_matrix_operator_against_numpy(dtype, rng):
    M = rng.standard_normal((5, 7)) + 1j * rng.standard_normal((5, 7))
    A = Matrix(M)
    x = rng.standard_normal(7).astype(dtype)
    y = A.forward(x)
    cdt = np.complex64 if np.dtype(dtype) in (np.float32, np.complex64) else np.complex128
    assert y.dtype == cdt
    rtol = 50 * np.finfo(cdt).eps
    np.testing.assert_allclose(y, M @ x, rtol=rtol * 10, atol=rtol * 10 * np.abs(M).sum())
    for op in (A, A.H, A.H @ A, A @ A.H):
        assert_adjoint(op, dtype)


def test_composition_shape_mismatch_and_norms(rng):
    A = Matrix(rng.standard_normal((3, 4)))
    with pytest.raises(ValueError, match="cannot compose"):
        _ = A @ A
    sv = np.linalg.svd(A.M, compute_uv=False)
    assert A.norm() == pytest.approx(sv[0], rel=1e-12)
    assert (A.H @ A).norm() == pytest.approx(sv[0] ** 2, rel=1e-6)
    lin = A.as_linear_operator()
    x = rng.standard_normal(4)
    np.testing.assert_allclose(lin.matvec(x), A.M @ x, rtol=1e-13)
    np.testing.assert_allclose(lin.rmatvec(np.ones(3)), A.M.T @ np.ones(3), rtol=1e-13)


def test_operator_rejects_bad_input(rng):
    A = Matrix(rng.standard_normal((3, 4)))
    with pytest.raises(ValueError, match="x must have shape"):
        A.forward(np.ones(5))
    with pytest.raises(ValueError, match="x contains NaN"):
        A.forward(np.array([1.0, np.nan, 0, 0]))
    with pytest.raises(ValueError, match="y must have shape"):
        A.adjoint(np.ones(4))
    x = np.ones(4)
    out = np.empty(3)
    assert A.forward(x, out=out) is out
    assert np.array_equal(x, np.ones(4))


@pytest.mark.parametrize("name", ["fwht", "haar", "ihaar"])
def test_zero_dimensional_input_rejected(name):
    fn = getattr(fastsparse, name)
    with pytest.raises(ValueError, match="at least one dimension"):
        fn(np.float64(2.0))


def test_reconstruct_odd_mask_named():
    mask = np.ones((63, 63), bool)
    with pytest.raises(ValueError, match="mask sides must be even"):
        fastsparse.reconstruct(np.ones(mask.sum(), complex), mask)


def test_subpackages_are_installed_and_hold_no_studies():
    """Every folder of fastsparse/ with an __init__.py is listed in pyproject's packages (so
    `pip install .` ships it), and the package holds no research modules (they live in
    asv_benchmarks/studies)."""
    pkg = ROOT / "fastsparse"
    text = (ROOT / "pyproject.toml").read_text()
    for init in pkg.rglob("__init__.py"):
        name = ".".join(init.parent.relative_to(ROOT).parts)
        assert f'"{name}"' in text, name
    assert not sorted(p.name for p in pkg.rglob("_bench*.py"))
    from fastsparse import bench, problems

    assert {"median_time", "threads", "ratio_row"} <= set(bench.__all__)
    assert {"StandardProblem", "fourier_haar", "walsh_haar", "gaussian", "add_noise"} <= set(
        problems.__all__
    )
