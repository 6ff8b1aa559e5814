"""Reconstructor (reuse, threads, pickling) and reconstruct_batch on threads, executors, Dask."""

import concurrent.futures
import multiprocessing
import os
import pickle
import signal
import sys
import threading

import numpy as np
import pytest

import fastsparse
from fastsparse import Reconstructor, reconstruct
from fastsparse.parallel import BatchResult, local_cluster, reconstruct_batch
from fastsparse.problems import fourier_haar

SETTINGS = {"method": "firenet", "restarts": 3, "inner": 5}


@pytest.fixture(scope="module")
def stack():
    """16 slices of 32x32 Fourier data (scaled copies of one phantom's noisy samples)."""
    p = fourier_haar(32, seed=0)
    ys = np.stack([p.y * (0.5 + 0.1 * k) for k in range(16)])
    return p.mask, ys


@pytest.fixture(scope="module")
def serial(stack):
    """The slices reconstructed one after the other on one thread."""
    mask, ys = stack
    old = fastsparse.get_num_threads()
    fastsparse.set_num_threads(1)
    try:
        return [reconstruct(y, mask, **SETTINGS) for y in ys]
    finally:
        fastsparse.set_num_threads(old)


def assert_same(out: BatchResult, serial, skip=()):
    assert sorted(out.images) == [i for i in range(len(serial)) if i not in skip]
    for i, image in out.images.items():
        assert np.array_equal(image, serial[i]), i
    assert sorted(out.results) == sorted(out.images)


# -- Reconstructor
@pytest.mark.parametrize(
    "settings",
    [
        {},  # adaptive, weights estimated from each y
        SETTINGS,
        {"sparsity": "phantom", "method": "pdhg", "iterations": 20},
        {"weights": None, "method": "firenet", "restarts": 2, "inner": 3, "dtype": np.complex64},
    ],
)
def test_reconstructor_equals_reconstruct(settings):
    p = fourier_haar(32, seed=1)
    rec = Reconstructor(p.mask, **settings)
    for y in (p.y, 2 * p.y):  # the second call reuses everything built
        image, result = rec(y, return_result=True)
        ref, ref_result = reconstruct(y, p.mask, return_result=True, **settings)
        assert np.array_equal(image, ref)
        assert result.iterations == ref_result.iterations
    assert rec.fixed_weights == (settings.get("sparsity") is not None or "weights" in settings)


def test_reconstructor_walsh():
    from fastsparse.problems import walsh_haar

    p = walsh_haar(32, seed=2)
    rec = Reconstructor(p.mask, transform="walsh", **SETTINGS)
    assert np.array_equal(rec(p.y), reconstruct(p.y, p.mask, transform="walsh", **SETTINGS))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"transform": "radon"}, ValueError, "transform must be"),
        ({"method": "newton"}, ValueError, "method must be one of"),
        ({"method": "pdhg", "restarts": 3}, ValueError, "restarts does not apply"),
        ({"lam": -1.0}, ValueError, "lam"),
        ({"sparsity": "guess"}, ValueError, "sparsity must be"),
        ({"weights": "flat"}, ValueError, "weights must be"),
        ({"levels": 9}, ValueError, "levels"),
        ({"dtype": np.float16}, TypeError, "dtype"),
    ],
)
def test_reconstructor_checks_like_reconstruct(kwargs, error, match):
    p = fourier_haar(32, seed=0)
    with pytest.raises(error, match=match) as ours:
        Reconstructor(p.mask, **kwargs)
    with pytest.raises(error) as theirs:
        reconstruct(p.y, p.mask, **kwargs)
    assert str(ours.value) == str(theirs.value)


def test_reconstructor_pickles_small_and_rebuilds(stack, serial):
    mask, ys = stack
    rec = Reconstructor(mask, **SETTINGS)
    rec(ys[0])  # plans exist now; they must not travel
    blob = pickle.dumps(rec)
    assert len(blob) < mask.nbytes + 2048
    copy = pickle.loads(blob)
    assert copy._built is None  # rebuilt lazily, on the first call
    assert np.array_equal(copy(ys[3]), serial[3])
    assert copy._built is not None and not copy.mask.flags.writeable


def test_reconstructor_threads_at_once(stack, serial):
    """8 threads call one reconstructor at the same moment: the serial results."""
    mask, ys = stack
    rec = Reconstructor(mask, **SETTINGS)
    start = threading.Barrier(8)
    old = fastsparse.get_num_threads()
    fastsparse.set_num_threads(1)

    def work(k):
        start.wait()
        return [rec(ys[i]) for i in range(k, 16, 8)]

    try:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            parts = list(pool.map(work, range(8)))
    finally:
        fastsparse.set_num_threads(old)
    for k, images in enumerate(parts):
        for i, image in zip(range(k, 16, 8), images, strict=True):
            assert np.array_equal(image, serial[i])


# -- reconstruct_batch in this process
def test_batch_threads_equal_serial(stack, serial):
    mask, ys = stack
    old = fastsparse.get_num_threads()
    out = reconstruct_batch(ys, mask, workers=2, threads=1, **SETTINGS)
    assert_same(out, serial)
    assert not out.errors and out.elapsed > 0
    assert out.stack().shape == (16, 32, 32)
    assert out.results[0].iterations == 15 and out.results[0].stop_reason == "schedule"
    assert fastsparse.get_num_threads() == old  # the caller's setting is restored


def test_batch_nan_slice_reported(stack, serial):
    mask, ys = stack
    bad = ys.copy()
    bad[5, 3] = np.nan
    out = reconstruct_batch(bad, mask, workers=2, **SETTINGS)
    assert out.errors == {5: "ValueError: y contains NaN or inf"}
    assert_same(out, serial, skip=(5,))


def test_batch_wrong_shape_slice_reported(stack, serial):
    mask, ys = stack
    slices = list(ys)
    slices[7] = ys[7][:-1]
    out = reconstruct_batch(slices, mask, workers=2, **SETTINGS)
    assert list(out.errors) == [7]
    assert out.errors[7].startswith("ValueError: y must have shape")
    assert_same(out, serial, skip=(7,))


def test_batch_executor_on_slice_indices(stack, serial):
    """A caller's ThreadPoolExecutor; on_slice runs in the calling thread; a subset."""
    mask, ys = stack
    rec = Reconstructor(mask, **SETTINGS)
    seen = []
    caller = threading.get_ident()

    def write(i, image, result):
        assert threading.get_ident() == caller
        seen.append(i)
        assert np.array_equal(image, serial[i]) and result.iterations == 15

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        out = rec.batch(ys, scheduler=pool, indices=[9, 2, 4], on_slice=write)
    assert sorted(seen) == [2, 4, 9]
    assert out.images == {} and sorted(out.results) == [2, 4, 9]


def test_batch_dask_array_threads(stack, serial):
    """A dask array is computed block by block in the worker threads, not up front."""
    da = pytest.importorskip("dask.array")
    dask = pytest.importorskip("dask")
    mask, ys = stack
    caller = threading.get_ident()
    computed = []

    def load(a, b):
        assert threading.get_ident() != caller
        computed.append(a)
        return ys[a:b]

    blocks = [
        da.from_delayed(dask.delayed(load)(a, a + 4), (4, ys.shape[1]), ys.dtype)
        for a in range(0, 16, 4)
    ]
    lazy = da.concatenate(blocks)
    assert computed == []
    out = reconstruct_batch(lazy, mask, workers=2, **SETTINGS)
    assert sorted(computed) == [0, 4, 8, 12]
    assert_same(out, serial)


def test_batch_progress_bar(stack, capsys):
    pytest.importorskip("tqdm")
    mask, ys = stack
    out = reconstruct_batch(ys, mask, indices=range(4), progress=True, workers=1, **SETTINGS)
    assert len(out.images) == 4
    assert "4/4" in capsys.readouterr().err


@pytest.mark.slow
def test_batch_spawn_process_pool(stack, serial):
    """A caller's ProcessPoolExecutor that spawns: each process builds its copy once."""
    mask, ys = stack
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=ctx) as pool:
        out = reconstruct_batch(ys, mask, scheduler=pool, indices=range(6), **SETTINGS)
    assert out.errors == {}
    for i in range(6):
        assert np.array_equal(out.images[i], serial[i])


def test_batch_fork_pool_refused(stack):
    mask, ys = stack
    pool = concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
    try:
        with pytest.raises(ValueError, match="forks"):
            reconstruct_batch(ys, mask, scheduler=pool, **SETTINGS)
    finally:
        pool.shutdown()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"scheduler": "cluster"}, ValueError, "scheduler must be"),
        ({"scheduler": 3}, TypeError, "scheduler must be"),
        ({"workers": 0}, ValueError, "workers must be >= 1"),
        ({"threads": 0}, ValueError, "threads must be >= 1"),
        ({"workers": 1.5}, TypeError, "workers must be a positive integer"),
        ({"workers": 64, "threads": 64}, ValueError, "workers \\* threads must not exceed"),
        ({"indices": [0, 99]}, ValueError, "indices must lie"),
        ({"indices": [1, 1]}, ValueError, "indices must not repeat"),
        ({"on_slice": 3}, TypeError, "on_slice must be callable"),
        ({"reconstructor": "rec"}, ValueError, "not both"),
        ({"lam": -1.0}, ValueError, "lam"),
    ],
)
def test_batch_bad_arguments(stack, kwargs, error, match):
    mask, ys = stack
    with pytest.raises(error, match=match):
        reconstruct_batch(ys, mask, **kwargs)


def test_batch_mask_or_reconstructor(stack):
    mask, ys = stack
    with pytest.raises(ValueError, match="give mask .* or reconstructor"):
        reconstruct_batch(ys)
    with pytest.raises(TypeError, match="reconstructor must be"):
        reconstruct_batch(ys, reconstructor=mask)
    with pytest.raises(ValueError, match="apply with mask only"):
        reconstruct_batch(ys, reconstructor=Reconstructor(mask), lam=1.0)
    with pytest.raises(TypeError, match="ys must support len"):
        reconstruct_batch(3, mask)


# -- Dask distributed
@pytest.fixture(scope="module")
def client():
    """``local_cluster``: 2 spawned worker processes, 1 thread each; closed after."""
    distributed = pytest.importorskip("distributed")
    cluster = local_cluster(2, 1)
    c = distributed.Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


def test_batch_local_cluster_equals_serial(stack, serial):
    pytest.importorskip("distributed")
    mask, ys = stack
    out = reconstruct_batch(ys, mask, scheduler="local", workers=2, threads=1, **SETTINGS)
    assert_same(out, serial)
    assert not out.errors


def test_local_cluster_workers_mirror_blas_threads(client):
    """Dask sets OMP_NUM_THREADS=1 in workers; local_cluster passes this process's values
    (NumPy's BLAS sums in another order with another thread count)."""
    ours = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    for theirs in client.run(lambda: {k: os.environ.get(k) for k in ours}).values():
        assert theirs == ours


def test_batch_client_nan_slice(client, stack, serial):
    mask, ys = stack
    bad = ys.copy()
    bad[11, 0] = np.inf
    out = reconstruct_batch(bad, mask, scheduler=client, **SETTINGS)
    assert out.errors == {11: "ValueError: y contains NaN or inf"}
    assert_same(out, serial, skip=(11,))


def _load_block(data, client_pid):
    if os.getpid() == client_pid:
        raise RuntimeError("block computed in the client")
    return data


def test_batch_dask_array_on_cluster(client, stack, serial):
    """Blocks of a dask array are computed on the workers (a block computed in the
    client process would fail its slices)."""
    import cloudpickle
    import dask
    import dask.array as da

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    mask, ys = stack
    blocks = [
        da.from_delayed(
            dask.delayed(_load_block)(ys[a : a + 8], os.getpid()), (8, ys.shape[1]), ys.dtype
        )
        for a in (0, 8)
    ]
    out = reconstruct_batch(da.concatenate(blocks), mask, scheduler=client, **SETTINGS)
    assert out.errors == {}
    assert_same(out, serial)


@pytest.mark.slow
def test_batch_survives_a_killed_worker(stack):
    """A worker process killed mid-batch: its slices run again elsewhere, same images."""
    distributed = pytest.importorskip("distributed")
    p = fourier_haar(64, seed=3)
    ys = np.stack([p.y * (0.5 + 0.1 * k) for k in range(12)])
    settings = {"method": "firenet", "restarts": 20, "inner": 10}
    old = fastsparse.get_num_threads()
    fastsparse.set_num_threads(1)
    try:
        ref = [reconstruct(y, p.mask, **settings) for y in ys]
    finally:
        fastsparse.set_num_threads(old)
    cluster = local_cluster(2, 1)
    c = distributed.Client(cluster)
    try:
        victim = min(c.run(os.getpid).values())  # a worker process's id
        got = {}

        def kill(i, image, result):
            if not got:  # the first finished slice: kill a worker with slices in flight
                os.kill(victim, signal.SIGKILL)
            got[i] = image

        out = reconstruct_batch(ys, p.mask, scheduler=c, on_slice=kill, **settings)
        assert out.errors == {} and sorted(got) == list(range(12))
        assert victim not in c.run(os.getpid).values()  # it died (its nanny started another)
        for i in range(12):
            assert np.array_equal(got[i], ref[i])
    finally:
        c.close()
        cluster.close()


def _plugins(dask_worker):
    return sorted(dask_worker.plugins)


def test_batch_client_compiles_on_workers_once(client, stack, serial):
    """The Dask backend registers a worker plugin that compiles the batch's kernels on
    every worker at start-up (fastsparse.compile_kernels), once per setting."""
    mask, ys = stack
    out = reconstruct_batch(ys[:4], mask, scheduler=client, **SETTINGS)
    assert_same(out, serial[:4])
    name = "fastsparse-compile-complex128-firenet-fourier-1"
    for plugins in client.run(_plugins).values():
        assert name in plugins
    # idempotent: a second batch of the same setting adds nothing
    reconstruct_batch(ys[:2], mask, scheduler=client, **SETTINGS)
    for plugins in client.run(_plugins).values():
        assert sum(p.startswith("fastsparse-compile-") for p in plugins) == 1
