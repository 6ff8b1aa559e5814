"""Command line: `fastsparse demo` and `fastsparse reconstruct` round trips."""

import os

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
    assert lines[0].split()[:2] == ["case", "ours_ms"]
    assert len(lines) == 2 and lines[1].startswith("iteration 16x16 c128")


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
    assert "--steps applies to --demo only" in capsys.readouterr().err
    assert main(["stability", "--n", "16", "--plot", str(tmp_path / "s.txt")]) == 2
    assert "--plot must name a .png" in capsys.readouterr().err
    assert main(["demo", "--size", "16", "--out", str(tmp_path), "--tol", "1e-3"]) == 2
    assert "--tol applies to --schedule adaptive only" in capsys.readouterr().err
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
