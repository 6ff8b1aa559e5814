"""Command line: `fastsparse demo` and `fastsparse reconstruct` round trips."""

import os
import re

import numpy as np
import pytest

from fastsparse import io
from fastsparse.bench import threads
from fastsparse.cli import main


@pytest.fixture(autouse=True)
def _one_thread():
    with threads(1):
        yield


def test_demo_small(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--size", "64", "--out", str(out), "--seed", "3"]) == 0
    text = capsys.readouterr().out
    lines = [ln for ln in text.splitlines() if ln.startswith(("fourier", "walsh"))]
    assert len(lines) == 2
    for ln in lines:
        err, psnr = float(ln.split()[2]), float(ln.split()[3])
        assert 0 < err < 0.8 and psnr > 12  # 25 layers at 64x64: 0.47 and 0.57 measured
    names = {p.stem for p in out.iterdir()}
    assert {"truth", "fourier_reconstruction", "walsh_reconstruction"} <= names
    suffixes = {p.suffix for p in out.iterdir()}
    try:
        import matplotlib  # noqa: F401

        assert suffixes == {".png"}
    except ImportError:  # pragma: no cover - depends on the environment
        assert suffixes == {".npy"}
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_demo_adaptive_prints_psnr_against_accuracy(tmp_path, capsys):
    out = tmp_path / "demo"
    args = ["demo", "--size", "32", "--out", str(out), "--schedule", "adaptive", "--tol", "1e-4"]
    assert main(args) == 0
    text = capsys.readouterr().out.splitlines()
    i = next(k for k, ln in enumerate(text) if ln.startswith("PSNR dB"))
    assert text[i + 1].split() == ["gap", "fourier", "walsh"]
    rows = [ln.split() for ln in text[i + 2 : i + 6]]
    assert [r[0] for r in rows] == ["1e-01", "1e-02", "1e-03", "1e-04"]
    final = {
        ln.split()[0]: float(ln.split()[3]) for ln in text if ln.startswith(("fourier", "walsh"))
    }
    # the last decade's PSNR is the final image's, or close to it (a later check may be better)
    last = [float(v) for v in re.findall(r"\d+\.\d+", text[i + 5])]  # the two PSNRs
    assert abs(last[0] - final["fourier"]) < 0.5
    assert abs(last[1] - final["walsh"]) < 0.5


def test_demo_says_when_tol_is_not_reached(tmp_path, capsys):
    """A run stopped by --max-iterations says so with its certified gap; one that reached
    --tol adds no such line."""
    out = tmp_path / "demo"
    base = ["demo", "--size", "32", "--out", str(out), "--schedule", "adaptive"]
    assert main([*base, "--tol", "1e-12", "--max-iterations", "40"]) == 0
    text = capsys.readouterr().out
    iters = {ln.split()[0]: int(ln.split()[4]) for ln in text.splitlines()
             if ln.startswith(("fourier ", "walsh "))}  # fmt: skip
    assert iters == {"fourier": 40, "walsh": 40}
    for kind in ("fourier", "walsh"):
        line = next(ln for ln in text.splitlines() if ln.startswith(f"{kind}: --tol 1e-12"))
        gap = float(re.search(r"gap (\S+) after 40 iterations", line).group(1))
        assert 1e-12 < gap < 1.0
        assert "--max-iterations raises it" in line
    assert main([*base, "--tol", "1e-2"]) == 0
    assert "not reached" not in capsys.readouterr().out


def test_demo_images_png_or_npy(tmp_path, monkeypatch):
    """PNG when matplotlib is importable, else .npy; written atomically (no leftovers)."""
    import sys

    from fastsparse._demo import _write

    img = np.linspace(0, 1, 64).reshape(8, 8)
    if "matplotlib" in sys.modules or _has_matplotlib():
        p = _write(tmp_path, "a", img)
        assert p.suffix == ".png" and p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib fails
    monkeypatch.setitem(sys.modules, "matplotlib.image", None)
    p = _write(tmp_path, "b", img)
    assert p.suffix == ".npy"
    np.testing.assert_array_equal(np.load(p), img)
    assert sorted(q.name for q in tmp_path.iterdir()) == sorted(
        ["b.npy"] + (["a.png"] if (tmp_path / "a.png").exists() else [])
    )


def _has_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the environment
        return False
    return True


def test_demo_rejects_bad_size(tmp_path, capsys):
    assert main(["demo", "--size", "100", "--out", str(tmp_path)]) == 2
    assert "--size" in capsys.readouterr().err


def _write_input(path, n=32, kind="fourier"):
    from fastsparse.operators import SubsampledFourier, SubsampledWalsh
    from fastsparse.sampling import das

    mask = das((n, n), 0.5, kind=kind, seed=0)
    x = np.zeros((n, n))
    x[8:24, 8:24] = 1.0
    U = SubsampledFourier(mask) if kind == "fourier" else SubsampledWalsh(mask)
    io.save(path, y=U.forward(x), mask=mask)
    return x


@pytest.mark.parametrize("suffix", [".npy", ".npz"])
def test_reconstruct_round_trip(tmp_path, capsys, suffix):
    x = _write_input(tmp_path / "in.npz")
    out = tmp_path / f"img{suffix}"
    args = ["reconstruct", str(tmp_path / "in.npz"), str(out), "--schedule", "fixed",
            "--restarts", "15", "--inner", "20", "--lam", "1e-3", "--no-weights"]  # fmt: skip
    assert main(args) == 0
    img = io.load(out)
    img = img["image"] if suffix == ".npz" else img
    assert img.shape == (32, 32)
    assert np.linalg.norm(img - x) < 1e-6 * np.linalg.norm(x)
    assert "iterations" in capsys.readouterr().out


def test_reconstruct_walsh_png(tmp_path):
    pytest.importorskip("matplotlib")
    _write_input(tmp_path / "in.npz", kind="walsh")
    out = tmp_path / "img.png"
    args = ["reconstruct", str(tmp_path / "in.npz"), str(out), "--transform", "walsh",
            "--schedule", "fixed", "--quiet"]  # fmt: skip
    assert main(args) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_reconstruct_errors(tmp_path, capsys):
    _write_input(tmp_path / "in.npz")
    assert main(["reconstruct", str(tmp_path / "in.npz"), str(tmp_path / "x.txt")]) == 2
    assert "output" in capsys.readouterr().err
    io.save(tmp_path / "bad.npz", z=np.ones(3))
    assert main(["reconstruct", str(tmp_path / "bad.npz"), str(tmp_path / "x.npy")]) == 2
    assert "'y'" in capsys.readouterr().err
    args = ["reconstruct", str(tmp_path / "in.npz"), str(tmp_path / "x.npy"), "--schedule",
            "fixed", "--tol", "1e-3"]  # fmt: skip
    assert main(args) == 2
    assert not (tmp_path / "x.npy").exists()


def test_bench_help_and_errors(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["bench", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "kernels" in out and "solvers" in out and "--repeats" in out
    assert main(["bench", "solvers", "--threads", "0"]) == 2
    assert "--threads" in capsys.readouterr().err
    assert main(["bench", "solvers", "--repeats", "0"]) == 2
    assert "--repeats" in capsys.readouterr().err


def test_bench_solvers_rows_small(capsys):
    """The solver rows at a toy size (timings are not checked, only the table)."""
    assert main(["bench", "solvers", "--size", "16", "--threads", "1", "--repeats", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "all rows: thr=1"  # a column constant over the rows, hoisted
    assert lines[1].split()[:2] == ["case", "ours_ms"]
    assert lines[1].split()[-2:] == ["target", "met"]
    # a long case name may wrap onto a continuation line; its row still ends with the verdict
    [end] = [i for i, line in enumerate(lines) if line.startswith(("MISSED", "all 2 measured"))]
    for case in ("iteration 16 fourier", "iteration 16 walsh"):
        [row] = [line for line in lines[:end] if line.startswith(case)]
        assert row.split()[-1] in ("yes", "NO")
    assert max(len(line) for line in lines) <= 100


def test_bench_operator_rows_small():
    from fastsparse.bench import operators

    rows = operators.rows(sizes=[16], thread_counts=[1], repeats=1)
    assert [r["case"] for r in rows] == ["SubsampledFourier fwd+adj", "SubsampledWalsh fwd+adj"]
    assert all(r["ours_ms"] > 0 and r["yardstick_ms"] > 0 for r in rows)


def test_reconstruct_default_adaptive_and_fixed_only_flags(tmp_path, capsys):
    x = _write_input(tmp_path / "in.npz")
    out = tmp_path / "img.npy"
    args = ["reconstruct", str(tmp_path / "in.npz"), str(out), "--lam", "1e-3", "--tol", "1e-6"]
    assert main(args) == 0
    assert np.linalg.norm(io.load(out) - x) < 0.05 * np.linalg.norm(x)
    assert "(tol)" in capsys.readouterr().out
    bad = ["reconstruct", str(tmp_path / "in.npz"), str(tmp_path / "y.npy"), "--restarts", "3"]
    assert main(bad) == 2
    assert (
        "--restarts does not apply to --method adaptive (it takes --tol, --max-iterations)"
        in capsys.readouterr().err
    )
    assert not (tmp_path / "y.npy").exists()


def test_reconstruct_method_choices_are_the_registry_and_hpr_runs(tmp_path, capsys):
    """--method offers every registered method; --method hpr solves a Walsh file to --tol."""
    from fastsparse._cli_reconstruct import _METHODS
    from fastsparse.solvers import METHODS

    assert sorted(_METHODS) == sorted(METHODS)
    x = _write_input(tmp_path / "in.npz", kind="walsh")
    out = tmp_path / "img.npy"
    args = ["reconstruct", str(tmp_path / "in.npz"), str(out), "--transform", "walsh",
            "--method", "hpr", "--lam", "1e-3", "--tol", "1e-6", "--no-progress"]  # fmt: skip
    assert main(args) == 0
    line = capsys.readouterr().out
    assert "(tol)" in line
    assert float(re.search(r"relative gap (\S+),", line).group(1)) <= 1e-6
    assert np.linalg.norm(io.load(out) - x) < 0.05 * np.linalg.norm(x)
    bad = ["reconstruct", str(tmp_path / "in.npz"), str(tmp_path / "z.npy"), "--transform",
           "walsh", "--method", "hpr", "--inner", "3"]  # fmt: skip
    assert main(bad) == 2
    assert "--inner does not apply to --method hpr" in capsys.readouterr().err


# ----------------------------------------------------------------- trustworthy files (task A)


def _rec(tmp_path, *extra, inp="in.npz", out="img.npy"):
    """``fastsparse reconstruct`` with a quick solver (firenet 4x4) on files in tmp_path."""
    args = ["reconstruct", str(tmp_path / inp), str(tmp_path / out), "--method", "firenet",
            "--restarts", "4", "--inner", "4", "--lam", "1e-3", "--no-progress",
            *extra]  # fmt: skip
    return main(args)


def _no_solve(monkeypatch):
    """Make any solve fail loudly: the checks under test must come first."""
    import fastsparse.solvers

    def boom(*a, **k):  # pragma: no cover - reached only when the test fails
        raise AssertionError("solved before checking")

    monkeypatch.setattr(fastsparse.solvers, "reconstruct", boom)


def test_reconstruct_refuses_to_overwrite_its_input(tmp_path, capsys):
    _write_input(tmp_path / "in.npz")
    before = (tmp_path / "in.npz").read_bytes()
    (tmp_path / "link.npz").symlink_to(tmp_path / "in.npz")
    os.link(tmp_path / "in.npz", tmp_path / "hard.npz")
    for out in ("in.npz", "link.npz", "hard.npz"):
        assert _rec(tmp_path, "--force", out=out) == 2
        err = capsys.readouterr().err
        assert "is the input" in err and err.count("\n") == 1
    assert (tmp_path / "in.npz").read_bytes() == before


def test_reconstruct_refuses_existing_output_unless_force(tmp_path, capsys):
    _write_input(tmp_path / "in.npz")
    io.save(tmp_path / "img.npy", a=np.zeros(2))
    assert _rec(tmp_path) == 2
    assert "exists; add --force" in capsys.readouterr().err
    np.testing.assert_array_equal(io.load(tmp_path / "img.npy"), np.zeros(2))
    assert _rec(tmp_path, "--force") == 0
    assert io.load(tmp_path / "img.npy").shape == (32, 32)


def test_output_checked_before_solving(tmp_path, capsys, monkeypatch):
    import sys

    import fastsparse._cli_reconstruct as clirec

    _write_input(tmp_path / "in.npz")
    _no_solve(monkeypatch)
    assert _rec(tmp_path, out="missing/img.npy") == 2
    err = capsys.readouterr().err
    assert "missing/img.npy" in err and "is missing" in err and ".tmp" not in err
    monkeypatch.setattr(clirec.os, "access", lambda *a: False)  # root can write anywhere
    assert _rec(tmp_path) == 2
    assert "img.npy" in (err := capsys.readouterr().err) and "not writable" in err
    monkeypatch.undo()
    _no_solve(monkeypatch)
    monkeypatch.setitem(sys.modules, "matplotlib.image", None)
    assert _rec(tmp_path, out="img.png") == 2
    assert "img.png' needs matplotlib" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.npz"]


def test_corrupt_input_is_one_line(tmp_path, capsys):
    p = _write_input(tmp_path / "in.npz") is None or tmp_path / "in.npz"
    p.write_bytes(p.read_bytes()[:500])
    assert _rec(tmp_path) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "in.npz' is not a readable .npz file" in err
    (tmp_path / "t.npz").write_text("not numpy\n")
    assert _rec(tmp_path, inp="t.npz") == 2
    assert "pickle" not in (err := capsys.readouterr().err) and "not a zip archive" in err
    assert _rec(tmp_path, inp="nothere.h5") == 2
    assert "no such file" in capsys.readouterr().err


def _fourier_data(n=32, seed=0):
    from fastsparse.data import phantom
    from fastsparse.sampling import das

    mask = das((n, n), 0.5, kind="fourier", seed=seed)
    kspace = np.fft.fftshift(np.fft.fft2(phantom(n), norm="ortho"))
    return kspace, mask


def test_hdf5_groups_and_matlab_masks(tmp_path, capsys):
    import h5py

    kspace, mask = _fourier_data()
    with h5py.File(tmp_path / "in.h5", "w") as fh:
        fh["scan/y"] = kspace[mask]
        fh["scan/m"] = mask.astype(np.float64)  # MATLAB writes doubles
        fh["scan/bad"] = np.where(mask, 0.5, 0.0)
    assert _rec(tmp_path, "--y-key", "scan/y", "--mask-key", "scan/m", inp="in.h5") == 0
    ref = io.load(tmp_path / "img.npy")
    assert _rec(tmp_path, "--y-key", "scan/y", "--mask-key", "scan/bad", inp="in.h5") == 2
    assert "must hold only 0 and 1" in capsys.readouterr().err
    assert _rec(tmp_path, "--y-key", "scan/q", inp="in.h5", out="b.npy") == 2
    assert "no dataset 'scan/q' (datasets: scan/bad, scan/m, scan/y)" in capsys.readouterr().err
    # the same data as a zero-filled 2-D k-space with its integer mask
    io.save(tmp_path / "k.npz", kspace=np.where(mask, kspace, 0), mask=mask.astype(np.int32))
    assert _rec(tmp_path, "--kspace-key", "kspace", inp="k.npz", out="k.npy") == 0
    np.testing.assert_array_equal(io.load(tmp_path / "k.npy"), ref)


def test_big_endian_input_is_reconstructed(tmp_path, capsys):
    kspace, mask = _fourier_data()
    io.save(tmp_path / "in.npz", y=kspace[mask], mask=mask)
    io.save(tmp_path / "be.npz", y=kspace[mask].astype(">c16"), mask=mask)
    assert _rec(tmp_path) == 0
    assert _rec(tmp_path, inp="be.npz", out="be.npy") == 0, capsys.readouterr().err
    np.testing.assert_array_equal(io.load(tmp_path / "be.npy"), io.load(tmp_path / "img.npy"))


def test_h5_output_records_settings_and_transform_warning(tmp_path, capsys):
    import fastsparse

    kspace, mask = _fourier_data()
    io.save(tmp_path / "in.npz", y=kspace[mask], mask=mask, settings={"transform": "walsh"})
    assert _rec(tmp_path, out="img.h5") == 0
    err = capsys.readouterr().err
    assert "warning: " in err and "records transform 'walsh'" in err and err.count("\n") == 1
    s = io.load_settings(tmp_path / "img.h5")
    assert s["transform"] == "fourier" and s["method"] == "firenet" and s["lam"] == 1e-3
    assert s["fastsparse_version"] == fastsparse.__version__ and s["levels"] == 4
    assert s["sparsity"] == "estimate" and s["dtype"] == "complex128"
    assert io.load(tmp_path / "img.h5")["image"].shape == (32, 32)


def test_messages_speak_cli(tmp_path, capsys, monkeypatch):
    _write_input(tmp_path / "in.npz")
    _no_solve(monkeypatch)
    args = ["reconstruct", str(tmp_path / "in.npz"), str(tmp_path / "o.npy")]
    assert main([*args, "--method", "pdhg", "--max-iterations", "9"]) == 2
    err = capsys.readouterr().err
    assert "--max-iterations does not apply to --method pdhg (it takes --iterations)" in err
    assert main([*args, "--tol", "-1"]) == 2
    assert "--tol" in (err := capsys.readouterr().err) and "tol " not in err.replace("--tol", "")
    assert main([*args, "--levels", "9"]) == 2
    assert "--levels must be <= " in capsys.readouterr().err
    assert main([*args, "--schedule", "fixed", "--method", "pdhg"]) == 2
    assert "disagree" in capsys.readouterr().err
    # a mask the model cannot take: the flag that fixes it
    kspace, _ = _fourier_data()
    mask = np.zeros((24, 32), bool)
    mask[::2] = True
    io.save(tmp_path / "r.npz", y=np.ones(int(mask.sum())), mask=mask)
    args = ["reconstruct", str(tmp_path / "r.npz"), str(tmp_path / "o.npy")]
    assert main([*args, "--transform", "walsh"]) == 2
    assert "use --transform fourier" in capsys.readouterr().err
    assert main([*args, "--sparsity", "phantom"]) == 2
    assert "use --sparsity estimate" in capsys.readouterr().err


def test_options_are_not_silently_ignored(tmp_path, capsys):
    out = str(tmp_path / "s.png")
    assert main(["stability", "--demo", "--plot", out]) == 2
    assert "--plot does not apply to --demo" in capsys.readouterr().err
    assert main(["stability", "--demo", "--mask", "uniform", "--restarts", "2"]) == 2
    assert "--mask, --restarts do not apply to --demo" in capsys.readouterr().err
    assert main(["stability", "--steps", "3", "--n", "16"]) == 2
    assert "--steps applies to --demo and --network only" in capsys.readouterr().err
    assert main(["stability", "--noise", "0.1", "--n", "16"]) == 2
    assert "--noise apply to --network only" in capsys.readouterr().err
    assert main(["stability", "--network", "unet", "--demo"]) == 2
    assert "--network and --demo" in capsys.readouterr().err
    assert main(["stability", "--network", "unet", "--mask", "uniform"]) == 2
    assert "--mask do(es) not apply to --network" in capsys.readouterr().err
    assert main(["stability", "--n", "16", "--plot", str(tmp_path / "s.txt")]) == 2
    assert "--plot must name a .png" in capsys.readouterr().err
    assert main(["demo", "--size", "16", "--out", str(tmp_path), "--tol", "1e-3"]) == 2
    assert "--tol applies to --schedule adaptive only" in capsys.readouterr().err
    assert main(["demo", "--size", "16", "--out", str(tmp_path), "--max-iterations", "9"]) == 2
    assert "--max-iterations applies to --schedule adaptive only" in capsys.readouterr().err
    bad = ["demo", "--size", "16", "--out", str(tmp_path), "--schedule", "adaptive"]
    assert main([*bad, "--max-iterations", "0"]) == 2
    assert "--max-iterations must be >= 1" in capsys.readouterr().err
    assert main([*bad, "--tol", "2"]) == 2  # checked before anything is written
    assert "--tol must be < 1.0" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_not_converged_line_and_strict(tmp_path, capsys):
    _write_input(tmp_path / "in.npz")
    base = ["reconstruct", str(tmp_path / "in.npz"), str(tmp_path / "o.npy"), "--no-progress",
            "--tol", "1e-14", "--max-iterations", "5", "--force"]  # fmt: skip
    assert main(base) == 0
    err = capsys.readouterr().err
    assert "not converged (max iterations reached; certified relative gap " in err
    assert main([*base, "--strict"]) == 3
    assert "not converged" in capsys.readouterr().err


@pytest.mark.parametrize("signal_exc", ["int", "term"])
def test_interrupt_is_one_line(tmp_path, capsys, monkeypatch, signal_exc):
    import fastsparse.solvers

    def stop(*a, **k):
        raise KeyboardInterrupt if signal_exc == "int" else io.Terminated()

    _write_input(tmp_path / "in.npz")
    monkeypatch.setattr(fastsparse.solvers, "reconstruct", stop)
    assert _rec(tmp_path) == (130 if signal_exc == "int" else 143)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and ("interrupted" in err or "SIGTERM" in err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.npz"]


def test_version(capsys):
    import fastsparse

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"fastsparse {fastsparse.__version__}"


# ----------------------------------------------------------------- stacks (task B)
# These run fastsparse.parallel.reconstruct_batch: skipped where it is not installed.


@pytest.fixture
def stack_file(tmp_path):
    """A fully sampled, centred k-space stack (4 slices, 32x32) in stack.h5."""
    import h5py

    pytest.importorskip("fastsparse.parallel")
    kspace, _ = _fourier_data()
    ks = np.stack([kspace * (1 + 0.25 * i) for i in range(4)])
    with h5py.File(tmp_path / "stack.h5", "w") as fh:
        fh["kspace"] = ks
    return tmp_path / "stack.h5", ks


_STACK = ["--pattern", "das", "--fraction", "0.5", "--seed", "1", "--method", "firenet",
          "--restarts", "4", "--inner", "4", "--lam", "1e-3", "--no-progress"]  # fmt: skip


def _reference(ks, **kw):
    from fastsparse import reconstruct
    from fastsparse.sampling import das

    mask = das(ks.shape[1:], 0.5, kind="fourier", seed=1)
    opts = dict(method="firenet", restarts=4, inner=4, lam=1e-3, **kw)
    return np.stack([reconstruct(np.ascontiguousarray(k[mask]), mask, **opts) for k in ks])


def _read_stack(path):
    import h5py

    with h5py.File(path, "r") as fh:
        return fh["reconstruction"][()], dict(fh.attrs)


def test_stack_round_trip_equals_slice_by_slice(stack_file, capsys):
    path, ks = stack_file
    out = path.with_name("rec.h5")
    assert main(["reconstruct", str(path), str(out), *_STACK, "--progress"]) == 0
    rec, attrs = _read_stack(out)
    np.testing.assert_array_equal(rec, _reference(ks))
    assert attrs["failed"].tolist() == [] and attrs["transform"] == "fourier"
    settings = io.load_settings(out)
    assert settings["pattern"] == "das" and settings["slices"] == [0, 4, 1]
    err = capsys.readouterr().err
    # slices finish in any order on the threads backend: one line each, the last counts 4/4
    assert all(f"slice {i} [" in err for i in range(4))
    assert "[4/4]: 16 iterations (schedule)" in err
    assert sorted(p.name for p in path.parent.iterdir()) == ["rec.h5", "stack.h5"]


def test_stack_of_samples_and_slices(stack_file):
    import h5py

    path, ks = stack_file
    from fastsparse.sampling import das

    mask = das(ks.shape[1:], 0.5, kind="fourier", seed=1)
    with h5py.File(path.with_name("y.h5"), "w") as fh:
        fh["g/y"] = ks[:, mask]
        fh["g/mask"] = mask.astype(np.uint8)
    out = path.with_name("rec.h5")
    args = ["reconstruct", str(path.with_name("y.h5")), str(out), "--y-key", "g/y",
            "--mask-key", "g/mask", "--slices", "1:4:2", *_STACK[6:]]  # fmt: skip
    assert main(args) == 0
    rec, _ = _read_stack(out)
    np.testing.assert_array_equal(rec, _reference(ks)[[1, 3]])
    assert io.load_settings(out)["slices"] == [1, 4, 2]


def test_stack_nan_slice_reported_by_index(stack_file, capsys):
    import h5py

    path, ks = stack_file
    with h5py.File(path, "r+") as fh:
        fh["kspace"][2, 16, 16] = np.nan  # the centre is always sampled
    out = path.with_name("rec.h5")
    assert main(["reconstruct", str(path), str(out), *_STACK]) == 1
    captured = capsys.readouterr()
    assert "slice 2 failed: ValueError: y contains NaN or inf" in captured.err
    assert "(3 reconstructed, 0 resumed, 1 failed)" in captured.out
    rec, attrs = _read_stack(out)
    assert attrs["failed"].tolist() == [2] and np.isnan(rec[2]).all()
    np.testing.assert_array_equal(rec[[0, 1, 3]], _reference(ks)[[0, 1, 3]])


def test_stack_refusals(stack_file, capsys):
    path, _ = stack_file
    base = ["reconstruct", str(path)]
    assert main([*base, str(path.with_name("r.npz")), *_STACK]) == 2
    assert "a stack is written to .h5, .hdf5" in capsys.readouterr().err
    assert main([*base, str(path.with_name("r.h5")), *_STACK, "--slices", "7:9"]) == 2
    assert "selects no slice of the 4" in capsys.readouterr().err
    assert main([*base, str(path.with_name("r.h5")), "--fraction", "0.5"]) == 2
    assert "--fraction and --seed apply to --pattern only" in capsys.readouterr().err
    assert main([*base, str(path.with_name("r.h5"))]) == 2
    assert "k-space input needs a mask" in capsys.readouterr().err
    # a partial file from another run: --resume or --force, and its settings must match
    w = io.StackWriter(path.with_name("r.h5"), (4, 32, 32), np.complex128, {"lam": 1.0})
    w.close()
    assert main([*base, str(path.with_name("r.h5")), *_STACK]) == 2
    assert "add --resume to continue it, or --force" in capsys.readouterr().err
    assert main([*base, str(path.with_name("r.h5")), *_STACK, "--resume"]) == 2
    assert "lam: 1.0 (partial) vs 0.001 (now)" in capsys.readouterr().err
    assert main([*base, str(path.with_name("r.h5")), *_STACK, "--force"]) == 0


_INTERRUPTIBLE = """
import signal, sys, time
# a shell runs background jobs with SIGINT ignored, and Python keeps an inherited SIG_IGN:
# restore Ctrl-C's default, as in a terminal, so the test holds wherever pytest runs
signal.signal(signal.SIGINT, signal.default_int_handler)
from fastsparse import io
from fastsparse.cli import main
real = io.StackWriter.write
def write(self, k, image):
    real(self, k, image)
    print("wrote", k, flush=True)
    time.sleep(60)  # the parent's signal arrives here, after one slice is on disk
io.StackWriter.write = write
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_stack_interrupted_then_resumed_equals_clean_run(stack_file, sig):
    import signal
    import subprocess
    import sys

    path, _ = stack_file
    out = path.with_name("rec.h5")
    cmd = [sys.executable, "-c", _INTERRUPTIBLE, "reconstruct", str(path), str(out), *_STACK]
    env = {**os.environ, "FASTSPARSE_NUM_THREADS": "1"}
    with subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline().startswith("wrote")
        proc.send_signal(getattr(signal, sig))
        assert proc.wait(timeout=120) == (130 if sig == "SIGINT" else 143)
        err = proc.stderr.read()
    assert err.count("\n") == 1 and "1 of 4 slices kept" in err and "--resume" in err
    assert "Traceback" not in err
    assert not out.exists() and io.partial_path(out).exists()
    assert main(["reconstruct", str(path), str(out), *_STACK, "--resume"]) == 0
    clean = path.with_name("clean.h5")
    assert main(["reconstruct", str(path), str(clean), *_STACK]) == 0
    rec, attrs = _read_stack(out)
    ref, ref_attrs = _read_stack(clean)
    assert rec.tobytes() == ref.tobytes()  # bitwise
    assert attrs["settings"] == ref_attrs["settings"]
    assert sorted(p.name for p in path.parent.iterdir()) == ["clean.h5", "rec.h5", "stack.h5"]


def test_stack_not_converged_and_strict(stack_file, capsys):
    path, _ = stack_file
    args = ["reconstruct", str(path), str(path.with_name("r.h5")), *_STACK[:6], "--tol", "1e-14",
            "--max-iterations", "5", "--slices", "0:2", "--no-progress", "--force"]  # fmt: skip
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "not converged (max iterations reached; certified relative gap up to " in err
    assert err.rstrip().endswith("in slices 0, 1")
    assert main([*args, "--strict"]) == 3
    _, attrs = _read_stack(path.with_name("r.h5"))
    assert attrs["not_converged"].tolist() == [0, 1]


def test_stack_on_a_local_cluster_equals_slice_by_slice(stack_file):
    """``--scheduler local --workers 2``: a Dask LocalCluster of two spawned workers gives the
    same stack, bitwise, as reconstructing slice by slice in this process."""
    pytest.importorskip("distributed")
    path, ks = stack_file
    out = path.with_name("rec.h5")
    args = ["reconstruct", str(path), str(out), *_STACK, "--scheduler", "local", "--workers", "2"]
    assert main(args) == 0
    rec, attrs = _read_stack(out)
    np.testing.assert_array_equal(rec, _reference(ks))
    assert attrs["failed"].tolist() == []
