"""FFTW plans made ahead of time: ``fastsparse.transforms.plan``, ``fastsparse plan``, and
operators that take their plans from the most rigorous wisdom present.

Tiny sizes and ESTIMATE/MEASURE efforts (PATIENT where the test is about it: at 16x16 it
takes milliseconds); no timing assertions.
"""

import subprocess
import sys

import numpy as np
import pytest

from fastsparse import _fftw
from fastsparse.cli import main
from fastsparse.operators import SubsampledFourier
from fastsparse.transforms import PlanRecord, plan


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty wisdom cache and a process that knows no wisdom yet."""
    import pyfftw

    directory = tmp_path / "wisdom"
    monkeypatch.setenv("FASTSPARSE_CACHE_DIR", str(directory))
    monkeypatch.setattr(_fftw, "_loaded", False)
    monkeypatch.setattr(_fftw, "_on_disk", {})
    pyfftw.forget_wisdom()
    return directory


def _mask(shape, seed=0):
    mask = np.random.default_rng(seed).random(shape) < 0.3
    mask[0, 0] = True
    return mask


def _from_wisdom_only(shape, dtype, threads, effort):
    """True when FFTW has wisdom of ``effort`` or more for both plans of the operators."""
    import pyfftw

    a, b = (pyfftw.empty_aligned(shape, dtype) for _ in range(2))
    flags = ("FFTW_" + effort.upper(), "FFTW_WISDOM_ONLY")
    try:
        pyfftw.FFTW(a, b, axes=(0, 1), direction="FFTW_FORWARD", flags=flags, threads=threads)
        pyfftw.FFTW(b, a, axes=(0, 1), direction="FFTW_BACKWARD", flags=flags, threads=threads)
    except RuntimeError:
        return False
    return True


# ------------------------------------------------------------------- best wisdom present
def test_best_wisdom_is_used_and_reported(cache):
    """FFTW's rule (wisdom of equal or greater rigour serves a request) and our probe."""
    import pyfftw

    a, b = (pyfftw.empty_aligned((8, 12), complex) for _ in range(2))

    def best(planner):
        fft, effort, from_wisdom = _fftw.plan_with_best_wisdom(a, b, "FFTW_FORWARD", 1, planner)
        assert isinstance(fft, pyfftw.FFTW)
        return effort, from_wisdom

    assert best("FFTW_ESTIMATE") == ("estimate", False)  # no wisdom: a heuristic plan
    assert best("FFTW_MEASURE") == ("measure", False)
    assert best("FFTW_ESTIMATE") == ("measure", True)  # ESTIMATE takes any wisdom
    assert best("FFTW_MEASURE") == ("measure", True)
    assert best("FFTW_PATIENT") == ("patient", False)  # MEASURE wisdom is not enough
    assert best("FFTW_MEASURE") == ("patient", True)  # ... and PATIENT serves MEASURE
    assert best("FFTW_ESTIMATE") == ("patient", True)
    # Another direction, precision or thread count is another problem for FFTW.
    fft, effort, from_wisdom = _fftw.plan_with_best_wisdom(a, b, "FFTW_BACKWARD", 1, "FFTW_MEASURE")
    assert (effort, from_wisdom) == ("measure", False)
    fft, effort, from_wisdom = _fftw.plan_with_best_wisdom(a, b, "FFTW_FORWARD", 2, "FFTW_MEASURE")
    assert (effort, from_wisdom) == ("measure", False)


def test_two_plans_effort_is_the_lesser_of_both(cache):
    import pyfftw

    shape = (16, 8)
    a, b = (pyfftw.empty_aligned(shape, complex) for _ in range(2))
    _fftw.plan_with_best_wisdom(a, b, "FFTW_FORWARD", 1, "FFTW_PATIENT")  # forward only
    plans = _fftw.TwoPlans(shape, np.complex128, 1, "FFTW_MEASURE")
    assert plans.effort == "measure" and not plans.from_wisdom
    again = _fftw.TwoPlans(shape, np.complex128, 1, "FFTW_MEASURE")
    assert again.effort == "measure" and again.from_wisdom
    assert _fftw.TwoPlans(shape, np.complex128, 1, "FFTW_PATIENT").effort == "patient"
    assert _fftw.TwoPlans(shape, np.complex128, 1, "FFTW_ESTIMATE").effort == "patient"


# ------------------------------------------------------------------------------ plan()
def test_plan_fills_the_cache(cache):
    records = plan(
        [16, (8, 12)], dtypes=["complex128", np.complex64], threads=[1, 2], effort="measure"
    )
    assert [(r.shape, r.dtype, r.threads) for r in records] == [
        ((16, 16), "complex128", 1),
        ((16, 16), "complex128", 2),
        ((16, 16), "complex64", 1),
        ((16, 16), "complex64", 2),
        ((8, 12), "complex128", 1),
        ((8, 12), "complex128", 2),
        ((8, 12), "complex64", 1),
        ((8, 12), "complex64", 2),
    ]
    assert all(isinstance(r, PlanRecord) for r in records)
    assert all(r.effort == "measure" and r.planned and r.seconds >= 0 for r in records)
    double, single = cache / "fftw-wisdom-double.dat", cache / "fftw-wisdom-single.dat"
    assert {r.path for r in records} == {double, single}
    assert double.stat().st_size > 0 and single.stat().st_size > 0
    assert not list(cache.glob(".*"))  # no temporary or probe files left
    line = str(records[1])
    assert line.startswith("16x16 complex128 2 threads: measure, planned in ")
    assert line.endswith(f"wisdom {double}")

    again = plan([16], dtypes=["complex64"], threads=[2], effort="measure")
    assert [(r.effort, r.planned) for r in again] == [("measure", False)]
    assert "read from wisdom" in str(again[0])

    # What another process does: load the files, then plan from them alone.
    import pyfftw

    pyfftw.forget_wisdom()
    assert not _from_wisdom_only((8, 12), np.complex64, 2, "measure")
    _fftw.load_wisdom(force=True)
    for dt in (np.complex128, np.complex64):
        for k in (1, 2):
            assert _from_wisdom_only((8, 12), dt, k, "measure")
            assert _from_wisdom_only((16, 16), dt, k, "measure")
            assert not _from_wisdom_only((16, 16), dt, k, "patient")


def test_plan_patient_serves_measure_operators(cache, rng):
    plan(16, threads=1, effort="measure")
    [rec] = plan(16, threads=1, effort="patient")  # MEASURE wisdom does not satisfy PATIENT
    assert (rec.effort, rec.planned) == ("patient", True)
    A = SubsampledFourier(_mask((16, 16)), threads=1)  # planner: MEASURE
    assert repr(A) == "SubsampledFourier(shape=(16, 16), samples=68, planner=measure)"
    x = rng.standard_normal((16, 16)) + 1j * rng.standard_normal((16, 16))
    y = A.forward(x)
    np.testing.assert_allclose(
        y, np.fft.fftshift(np.fft.fft2(x, norm="ortho"))[A.mask], rtol=0, atol=1e-13
    )
    assert repr(A) == (
        "SubsampledFourier(shape=(16, 16), samples=68, planner=measure, plans=patient)"
    )
    # A complex64 call builds single-precision plans: no wisdom for them yet.
    A.forward(x.astype(np.complex64))
    assert repr(A).endswith("plans=patient (complex128, 1 thread); measure (complex64, 1 thread))")
    # ESTIMATE planning never touches the cache, even with wisdom: reads it only.
    B = SubsampledFourier(_mask((16, 16)), threads=1, planner="estimate")
    B.forward(x)
    assert repr(B).endswith("planner=estimate, plans=patient)")


def test_plan_estimate_saves_nothing(cache):
    [rec] = plan((8, 8), dtypes="complex64", threads=1, effort="FFTW_ESTIMATE")
    assert (rec.effort, rec.planned, rec.path) == ("estimate", True, None)
    assert str(rec).endswith("not saved")
    assert not list(cache.glob("*.dat"))


_OTHER_PROCESS = """
import time
import numpy as np
from fastsparse.operators import SubsampledFourier

mask = np.zeros((16, 16), bool)
mask[::3, ::2] = True
A = SubsampledFourier(mask, threads=1)
t0 = time.perf_counter()
A.forward(np.ones((16, 16), complex))
print(repr(A))
print(f"first forward {time.perf_counter() - t0:.4f} s")
"""


def test_later_process_reads_the_patient_plans(cache):
    """A fresh interpreter with the same cache builds its operator from the wisdom."""
    plan(16, threads=1, effort="patient")
    res = subprocess.run(
        [sys.executable, "-c", _OTHER_PROCESS], capture_output=True, text=True, check=True
    )
    lines = res.stdout.splitlines()
    assert lines[0] == (
        "SubsampledFourier(shape=(16, 16), samples=48, planner=measure, plans=patient)"
    )
    assert lines[1].startswith("first forward ")


_SAVE_PATIENT = """
from fastsparse.transforms import plan
print(plan([(12, 20)], threads=1, effort="patient")[0].effort)
"""


def test_wisdom_of_other_processes_survives_our_save(cache):
    """Saving merges the files on disk first: another process's wisdom is not lost."""
    import pyfftw

    plan(8, threads=1, effort="measure")  # this process has read and written the files
    res = subprocess.run(
        [sys.executable, "-c", _SAVE_PATIENT], capture_output=True, text=True, check=True
    )
    assert res.stdout.split() == ["patient"]
    plan(24, threads=1, effort="measure")  # a new plan here: saves again
    pyfftw.forget_wisdom()
    _fftw.load_wisdom(force=True)
    assert _from_wisdom_only((12, 20), complex, 1, "patient")  # the other process's
    assert _from_wisdom_only((8, 8), complex, 1, "measure")  # ours
    assert _from_wisdom_only((24, 24), complex, 1, "measure")


@pytest.mark.parametrize(
    ("kwargs", "exc", "name"),
    [
        ({"sizes": "512"}, TypeError, "sizes"),
        ({"sizes": 0}, ValueError, "sizes"),
        ({"sizes": []}, ValueError, "sizes"),
        ({"sizes": [(4, 4, 4)]}, TypeError, "sizes"),
        ({"sizes": [(4, 0)]}, ValueError, "sizes"),
        ({"sizes": [True]}, TypeError, "sizes"),
        ({"sizes": [4.0]}, TypeError, "sizes"),
        ({"dtypes": "float16"}, TypeError, "dtypes"),
        ({"dtypes": ["complex128", "not a dtype"]}, TypeError, "dtypes"),
        ({"dtypes": []}, ValueError, "dtypes"),
        ({"threads": 0}, ValueError, "threads"),
        ({"threads": "2"}, TypeError, "threads"),
        ({"threads": [1, 2.5]}, TypeError, "threads"),
        ({"threads": []}, ValueError, "threads"),
        ({"effort": "fast"}, ValueError, "effort"),
        ({"effort": 2}, ValueError, "effort"),
        ({"progress": "yes"}, TypeError, "progress"),
        ({"callback": 3}, TypeError, "callback"),
    ],
)
def test_plan_rejects_bad_arguments(cache, kwargs, exc, name):
    args = {"sizes": 8, "threads": 1, "effort": "estimate"} | kwargs
    with pytest.raises(exc, match=name):
        plan(**args)
    assert not cache.exists()  # checked before anything is planned or written


def test_plan_unwritable_cache_is_an_error_before_planning(tmp_path, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("FASTSPARSE_CACHE_DIR", str(blocker / "sub"))
    seen = []
    with pytest.raises(OSError, match="cannot write FFTW wisdom to .*a_file"):
        plan(8, threads=1, effort="measure", callback=seen.append)
    assert seen == []


def test_plan_defaults_follow_the_thread_setting(cache):
    from fastsparse.bench import threads

    with threads(1):
        [rec] = plan(8, effort="measure")
    assert (rec.shape, rec.dtype, rec.threads) == ((8, 8), "complex128", 1)


# ---------------------------------------------------------------------------- the CLI
def test_cli_plan(cache, capsys):
    argv = ["plan", "--size", "16", "8x12", "--dtype", "complex128", "complex64"]
    argv += ["--threads", "1", "2", "--effort", "measure"]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"fastsparse plan: measure FFTW plans, wisdom in {cache}"
    assert lines[1].split() == [
        "size",
        "dtype",
        "threads",
        "effort",
        "done",
        "seconds",
        "wisdom",
        "file",
    ]
    assert len(lines) == 2 + 8 + 1
    rows = [line.split() for line in lines[2:10]]
    assert [r[:4] for r in rows] == [
        [size, dtype, k, "measure"]
        for size in ("16x16", "8x12")
        for dtype in ("complex128", "complex64")
        for k in ("1", "2")
    ]
    assert all(r[4] == "planned" and float(r[5]) >= 0 for r in rows)
    assert [r[6] for r in rows] == 2 * (
        2 * ["fftw-wisdom-double.dat"] + 2 * ["fftw-wisdom-single.dat"]
    )
    assert lines[-1].startswith("8 of 8 planned, ")
    assert (cache / "fftw-wisdom-double.dat").is_file()
    assert main(["plan", "--size", "16", "--threads", "1", "--effort", "estimate"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[2].split()[:6] == ["16x16", "complex128", "1", "measure", "read", "from"]
    assert out[-1].startswith("0 of 1 planned, ")


def test_cli_plan_help_and_errors(tmp_path, monkeypatch, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["plan", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert all(opt in out for opt in ("--size", "--dtype", "--threads", "--effort"))
    for bad in (["--size", "0"], ["--size", "8x"], ["--size", "8", "--threads", "0"], []):
        with pytest.raises(SystemExit) as exc:
            main(["plan", *bad])
        assert exc.value.code == 2
        capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["plan", "--size", "8", "--effort", "fast"])
    capsys.readouterr()
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    monkeypatch.setenv("FASTSPARSE_CACHE_DIR", str(blocker / "sub"))
    assert main(["plan", "--size", "8", "--threads", "1"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("fastsparse plan: error: cannot write FFTW")


def test_bench_reports_the_plans_effort(cache, monkeypatch):
    import pyfftw

    from fastsparse.bench import operators

    plan(16, threads=1, effort="patient")
    pyfftw.forget_wisdom()  # as in a new process: the wisdom is on disk only
    monkeypatch.setattr(_fftw, "_loaded", False)
    [fourier, walsh] = operators.rows(sizes=[16], thread_counts=[1], repeats=1)
    assert fourier["plans"] == "patient"
    assert "plans" not in walsh


def test_plan_progress_bar(cache, capsys):
    pytest.importorskip("tqdm")
    seen = []
    records = plan([8, 12], threads=1, effort="measure", progress=True, callback=seen.append)
    assert seen == records
    assert "FFTW plans" in capsys.readouterr().err
