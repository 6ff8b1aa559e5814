"""Array and image I/O: round trips, atomic writes, errors."""

import os
import sys
from pathlib import Path

import h5py
import matplotlib.image as mimage
import numpy as np
import pytest

from fastsparse import io
from fastsparse.testing import random_array

DTYPES = [np.float32, np.float64, np.complex64, np.complex128]


def arrays(rng):
    return {
        "x": random_array((5, 7), np.complex128, rng),
        "y": random_array((3,), np.float32, rng),
        "mask": rng.random((4, 4)) > 0.5,
        "levels": np.arange(6, dtype=np.int64).reshape(2, 3),
    }


@pytest.mark.parametrize("suffix", [".npz", ".h5", ".hdf5", ".NPZ"])
def test_round_trip_named(tmp_path, rng, suffix):
    data = arrays(rng)
    path = io.save(tmp_path / f"f{suffix}", **data)
    assert path == tmp_path / f"f{suffix}"
    back = io.load(str(path))
    assert sorted(back) == sorted(data)
    for key, value in data.items():
        assert back[key].dtype == value.dtype
        np.testing.assert_array_equal(back[key], value)


@pytest.mark.parametrize("dtype", DTYPES)
def test_round_trip_npy(tmp_path, rng, dtype):
    x = random_array((8, 3), dtype, rng)
    io.save(tmp_path / "a.npy", image=x)
    back = io.load(tmp_path / "a.npy")
    assert back.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(back, x)


@pytest.mark.parametrize("suffix", [".npz", ".h5"])
def test_any_array_name(tmp_path, suffix):
    names = {"file": np.zeros(2), "allow_pickle": np.ones(3), "x.npy": np.arange(2)}
    back = io.load(io.save(tmp_path / f"a{suffix}", **names))
    assert sorted(back) == sorted(names)
    for key, value in names.items():
        np.testing.assert_array_equal(back[key], value)
    with pytest.raises(ValueError, match="names"):
        io.save(tmp_path / f"b{suffix}", **{"a/b": np.zeros(2)})


def test_npz_readable_by_numpy(tmp_path, rng):
    x = random_array((3, 5), np.complex64, rng)
    with np.load(io.save(tmp_path / "a.npz", x=x, m=x.real > 0)) as z:
        assert sorted(z.files) == ["m", "x"]
        np.testing.assert_array_equal(z["x"], x)


def test_h5_readable_by_h5py(tmp_path, rng):
    x = random_array((4, 4), np.complex64, rng)
    io.save(tmp_path / "a.h5", kspace=x)
    with h5py.File(tmp_path / "a.h5", "r") as fh:
        np.testing.assert_array_equal(fh["kspace"][()], x)


def test_save_replaces_existing_file(tmp_path):
    p = tmp_path / "a.npz"
    io.save(p, a=np.zeros(3))
    io.save(p, b=np.ones(2))
    assert list(io.load(p)) == ["b"]
    assert [f.name for f in tmp_path.iterdir()] == ["a.npz"]


def test_new_file_mode_follows_umask(tmp_path):
    old = os.umask(0o027)
    try:
        p = io.save(tmp_path / "a.npy", a=np.zeros(2))
    finally:
        os.umask(old)
    # the mode was computed at import, under the test process's umask
    assert p.stat().st_mode & 0o777 == io._MODE


@pytest.mark.parametrize("suffix", [".npz", ".npy", ".h5"])
def test_failed_write_leaves_old_file_intact(tmp_path, monkeypatch, suffix):
    p = tmp_path / f"a{suffix}"
    io.save(p, a=np.arange(4.0))
    before = p.read_bytes()

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    if suffix == ".npz":
        monkeypatch.setattr(np.lib.format, "write_array", boom)
    elif suffix == ".npy":
        monkeypatch.setattr(np, "save", boom)
    else:
        monkeypatch.setattr(h5py.File, "create_dataset", boom)
    with pytest.raises(RuntimeError, match="disk on fire"):
        io.save(p, a=np.zeros(1000))
    assert p.read_bytes() == before
    assert [f.name for f in tmp_path.iterdir()] == [p.name]  # no temporary left behind


def test_failure_midway_leaves_no_file(tmp_path, monkeypatch):
    """A write that has already put bytes in the temporary file, then fails."""
    real_save = np.save

    def half(fh, arr, **kwargs):
        real_save(fh, arr, **kwargs)
        raise OSError("no space left")

    monkeypatch.setattr(np, "save", half)
    with pytest.raises(OSError, match="no space"):
        io.save(tmp_path / "new.npy", a=np.zeros(10000))
    assert list(tmp_path.iterdir()) == []


def test_failed_replace_leaves_no_temporary(tmp_path, monkeypatch):
    def fail(src, dst):
        raise PermissionError("denied")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(PermissionError):
        io.save(tmp_path / "a.npz", a=np.zeros(3))
    assert list(tmp_path.iterdir()) == []


def test_h5py_missing_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(ImportError, match=r"pip install fastsparse\[io\]"):
        io.save(tmp_path / "a.h5", a=np.zeros(3))
    with pytest.raises(ImportError, match=r"fastsparse\[io\]"):
        io.load(tmp_path / "a.hdf5")
    assert list(tmp_path.iterdir()) == []
    io.save(tmp_path / "a.npz", a=np.zeros(3))  # other formats unaffected


def test_bad_paths_and_arrays(tmp_path):
    with pytest.raises(ValueError, match="path"):
        io.save(tmp_path / "a.txt", a=np.zeros(3))
    with pytest.raises(ValueError, match="path"):
        io.load(tmp_path / "a.mat")
    with pytest.raises(ValueError, match="path"):
        io.save(tmp_path / "noext", a=np.zeros(3))
    with pytest.raises(TypeError, match="path"):
        io.save(3, a=np.zeros(3))
    with pytest.raises(TypeError, match="path"):
        io.load(b"a.npz")
    with pytest.raises(ValueError, match="one array"):
        io.save(tmp_path / "a.npy", a=np.zeros(3), b=np.zeros(3))
    with pytest.raises(ValueError, match="at least one"):
        io.save(tmp_path / "a.npz")
    with pytest.raises(TypeError, match="obj"):
        io.save(tmp_path / "a.npz", obj=np.array([None, 1], dtype=object))
    with pytest.raises(FileNotFoundError):
        io.load(tmp_path / "missing.npz")
    with pytest.raises(FileNotFoundError):
        io.load(tmp_path / "missing.h5")
    with pytest.raises(FileNotFoundError):
        io.save(tmp_path / "no" / "dir.npz", a=np.zeros(3))
    assert sorted(os.listdir(tmp_path)) == []


# ----------------------------------------------------------------- PNG


def test_png_written_and_readable(tmp_path):
    img = np.linspace(0.0, 1.0, 64 * 32).reshape(64, 32)
    p = io.save_image(tmp_path / "a.png", img)
    assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    back = mimage.imread(p)
    assert back.shape[:2] == (64, 32)
    grey = back[..., 0]
    np.testing.assert_array_equal(grey, back[..., 1])  # grey scale
    np.testing.assert_allclose(grey, img, atol=0.5 / 255 + 1e-7)
    assert list(tmp_path.iterdir()) == [p]


def test_png_complex_magnitude_and_range(tmp_path):
    img = np.array([[0.0, 3j], [-4.0, 2 + 0j]])
    back = mimage.imread(io.save_image(tmp_path / "c.png", img))[..., 0]
    np.testing.assert_allclose(back, np.abs(img) / 4.0, atol=0.5 / 255 + 1e-7)
    back = mimage.imread(io.save_image(tmp_path / "d.png", img, vmin=0.0, vmax=2.0))[..., 0]
    np.testing.assert_allclose(back, np.clip(np.abs(img) / 2.0, 0, 1), atol=0.5 / 255 + 1e-7)


def test_png_errors(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="path"):
        io.save_image(tmp_path / "a.jpg", np.zeros((4, 4)))
    with pytest.raises(ValueError, match="image"):
        io.save_image(tmp_path / "a.png", np.zeros(4))
    with pytest.raises(ValueError, match="image"):
        io.save_image(tmp_path / "a.png", np.full((4, 4), np.nan))
    with pytest.raises(TypeError, match="path"):
        io.save_image(None, np.zeros((4, 4)))
    monkeypatch.setitem(sys.modules, "matplotlib.image", None)
    with pytest.raises(ImportError, match=r"fastsparse\[plot\]"):
        io.save_image(tmp_path / "a.png", np.zeros((4, 4)))
    assert list(Path(tmp_path).iterdir()) == []


# ----------------------------------------------------------------- hostile files


def test_truncated_npz_one_line_error(tmp_path):
    p = io.save(tmp_path / "a.npz", y=np.arange(5000.0), mask=np.ones(8, bool))
    p.write_bytes(p.read_bytes()[:1000])
    with pytest.raises(ValueError, match=r"a\.npz' is not a readable \.npz file") as exc:
        io.load(p)
    assert "\n" not in str(exc.value)


def test_not_a_zip_npz_is_not_called_pickled(tmp_path):
    p = tmp_path / "b.npz"
    p.write_bytes(b"hello, this is text\n" * 10)
    with pytest.raises(ValueError, match="not a zip archive") as exc:
        io.load(p)
    assert "pickle" not in str(exc.value)
    (tmp_path / "c.npy").write_bytes(b"text")
    with pytest.raises(ValueError, match=r"c\.npy' is not a readable \.npy file"):
        io.load(tmp_path / "c.npy")


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_corrupt_h5_one_line_error(tmp_path, damage):
    p = io.save(tmp_path / "a.h5", y=np.arange(50000.0))
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 3] if damage == "truncate" else b"\0" * 4096)
    with pytest.raises(ValueError, match=r"a\.h5' is not a readable HDF5 file") as exc:
        io.load(p)
    assert "\n" not in str(exc.value)
    with pytest.raises(ValueError, match="not a readable HDF5"):
        io.open_array(p, "y")


def test_big_endian_read_in_native_order(tmp_path):
    x = (np.arange(6) + 1j).astype(">c16")
    with h5py.File(tmp_path / "be.h5", "w") as fh:
        fh["y"] = x
    np.save(tmp_path / "be.npy", x)
    for back in (io.load(tmp_path / "be.h5")["y"], io.load(tmp_path / "be.npy")):
        assert back.dtype == np.complex128 and back.dtype.isnative
        np.testing.assert_array_equal(back, x)
    with io.open_array(tmp_path / "be.h5", "y") as r:
        assert r.dtype == np.complex128 and r[2].dtype.isnative


# ----------------------------------------------------------------- what a write preserves


def test_save_keeps_permissions_of_existing_file(tmp_path):
    p = io.save(tmp_path / "a.npz", a=np.zeros(3))
    os.chmod(p, 0o600)
    io.save(p, a=np.ones(3))
    assert p.stat().st_mode & 0o777 == 0o600


def test_save_writes_through_symlink(tmp_path):
    real = io.save(tmp_path / "real.npy", a=np.zeros(3))
    link = tmp_path / "link.npy"
    link.symlink_to(real)
    io.save(link, a=np.ones(3))
    assert link.is_symlink()
    np.testing.assert_array_equal(io.load(real), np.ones(3))


def test_unwritable_directory_names_the_users_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"cannot write .*no/dir\.npz") as exc:
        io.save(tmp_path / "no" / "dir.npz", a=np.zeros(3))
    assert ".tmp" not in str(exc.value)


_SLOW_SAVE = """
import sys, time
import numpy as np
from fastsparse import io
real = np.lib.format.write_array
def slow(fh, arr, **kw):
    for i in range(0, arr.size, 1000):
        fh.write(arr.ravel()[i:i + 1000].tobytes())
        time.sleep(0.01)
np.lib.format.write_array = slow
print("start", flush=True)
io.save(sys.argv[1], a=np.zeros(10**6))
"""


def test_sigterm_during_save_leaves_no_temporary(tmp_path):
    """Slurm's SIGTERM mid-write: the temporary file goes, as with Ctrl-C."""
    import signal
    import subprocess
    import time

    target = tmp_path / "big.npz"
    cmd = [sys.executable, "-c", _SLOW_SAVE, str(target)]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "start"
        deadline = time.monotonic() + 60
        while not any(p.name.endswith(".tmp") for p in tmp_path.iterdir()):  # writing began
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.01)
        time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 128 + signal.SIGTERM
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------- settings and groups


@pytest.mark.parametrize("suffix", [".npz", ".h5"])
def test_settings_round_trip(tmp_path, suffix):
    settings = {"transform": "walsh", "lam": 1e-3, "levels": 4, "version": "0.1.0"}
    p = io.save(tmp_path / f"a{suffix}", image=np.eye(3), settings=settings)
    assert io.load_settings(p) == settings
    assert sorted(io.load(p)) == ["image"]
    if suffix == ".h5":
        with h5py.File(p, "r") as fh:
            assert fh.attrs["transform"] == "walsh" and fh.attrs["lam"] == 1e-3
    with pytest.raises(ValueError, match="settings"):
        io.save(tmp_path / "a.npy", image=np.eye(3), settings=settings)
    assert io.load_settings(io.save(tmp_path / "b.npz", a=np.eye(2))) == {}


def test_open_array_inside_group_reads_slices(tmp_path, rng):
    x = random_array((4, 6), np.complex64, rng)
    with h5py.File(tmp_path / "g.h5", "w") as fh:
        fh.create_group("scan/raw").create_dataset("y", data=x)
    r = io.open_array(tmp_path / "g.h5", "scan/raw/y")
    assert len(r) == 4 and r.shape == (4, 6) and r.ndim == 2
    np.testing.assert_array_equal(r[2], x[2])
    np.testing.assert_array_equal(r.read(), x)
    import pickle

    r2 = pickle.loads(pickle.dumps(r))
    np.testing.assert_array_equal(r2[1], x[1])
    r.close()
    r2.close()
    with pytest.raises(ValueError, match=r"no dataset 'scan/y' \(datasets: scan/raw/y\)"):
        io.open_array(tmp_path / "g.h5", "scan/y")
    with pytest.raises(ValueError, match=r"no array 'q' \(arrays: a\)"):
        io.open_array(io.save(tmp_path / "a.npz", a=x), "q")


# ----------------------------------------------------------------- stacks


def _settings(**kw):
    return {"transform": "fourier", "lam": 1e-3, **kw}


def test_stack_writer_round_trip_and_failed_slices(tmp_path, rng):
    out = tmp_path / "rec.h5"
    imgs = random_array((3, 4, 4), np.complex128, rng)
    w = io.StackWriter(out, imgs.shape, np.complex128, _settings())
    w.write(0, imgs[0])
    w.write(2, imgs[2])
    assert not out.exists() and io.partial_path(out).exists()
    assert w.done.tolist() == [True, False, True]
    w.finish({1: "y contains NaN or inf"}, labels=[10, 11, 12])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec.h5"]
    with h5py.File(out, "r") as fh:
        rec = fh["reconstruction"][()]
        assert fh.attrs["failed"].tolist() == [11]
        assert "done" not in fh
    np.testing.assert_array_equal(rec[[0, 2]], imgs[[0, 2]])
    assert np.isnan(rec[1]).all()
    assert io.load_settings(out) == _settings()


def test_stack_writer_resume_and_refusals(tmp_path, rng):
    out = tmp_path / "rec.h5"
    imgs = random_array((2, 4, 4), np.complex64, rng)
    w = io.StackWriter(out, imgs.shape, np.complex64, _settings())
    w.write(1, imgs[1])
    w.close()
    with pytest.raises(ValueError, match=r"lam: 0\.001 \(partial\) vs 0\.002 \(now\)"):
        io.StackWriter(out, imgs.shape, np.complex64, _settings(lam=2e-3), resume=True)
    with pytest.raises(ValueError, match="--force to start over"):
        io.StackWriter(out, imgs.shape, np.complex128, _settings(), resume=True)
    w = io.StackWriter(out, imgs.shape, np.complex64, _settings(), resume=True)
    assert w.done.tolist() == [False, True]
    w.write(0, imgs[0])
    w.finish()
    with h5py.File(out, "r") as fh:
        np.testing.assert_array_equal(fh["reconstruction"][()], imgs)
        assert fh.attrs["failed"].tolist() == []
    # without resume, a new partial file starts from scratch
    w = io.StackWriter(out.with_name("b.h5"), imgs.shape, np.complex64, _settings())
    w.close()
    w = io.StackWriter(out.with_name("b.h5"), imgs.shape, np.complex64, _settings(lam=1.0))
    assert w.done.tolist() == [False, False]
    w.close()
