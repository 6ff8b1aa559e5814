"""Command line: `fastsparse demo` and `fastsparse reconstruct` round trips."""

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
    assert "--restarts applies to --schedule fixed only" in capsys.readouterr().err
    assert not (tmp_path / "y.npy").exists()
