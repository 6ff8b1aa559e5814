"""``fastsparse reconstruct``: reconstruct an image, or a stack of slices, from a file.

Single images: ``y`` (samples in C order of the mask) and ``mask``, or a 2-D zero-filled
``kspace`` with its mask, in ``.npz``/``.npy``/HDF5; written atomically as ``.npy``,
``.npz`` or ``.h5`` (key ``image``, settings recorded) or ``.png``. Stacks (3-D ``kspace``
or 2-D ``y``): read slice by slice, run by ``fastsparse.parallel.reconstruct_batch``,
written slice by slice to HDF5 (``reconstruction``), resumable (``--resume``).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["add_arguments", "run"]

_PROG = "fastsparse reconstruct"
_SINGLE_SUFFIXES = (".npy", ".npz", ".h5", ".hdf5", ".png")
_STACK_SUFFIXES = (".h5", ".hdf5")
_PATTERNS = ("das", "power_law", "two_level", "uniform")
#: ``--method``'s choices: ``fastsparse.solvers.METHODS`` (a test keeps them equal; the
#: registry is not imported here, to keep ``--help`` fast)
_METHODS = ("adaptive", "firenet", "pdhg", "hpr")
#: CLI flags that are options of a method (reconstruct's keyword -> flag).
_METHOD_FLAGS = {
    "tol": "--tol",
    "max_iterations": "--max-iterations",
    "restarts": "--restarts",
    "inner": "--inner",
    "iterations": "--iterations",
}
#: Exit statuses (documented in docs/guide/stacks.rst).
EXIT_FAILED_SLICES = 1
EXIT_USAGE = 2
EXIT_NOT_CONVERGED = 3


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``fastsparse reconstruct``."""
    p.add_argument("input", help="file with 'y' and 'mask', or 'kspace' (.npz, .npy, .h5, .hdf5)")
    p.add_argument("output", help="image (.npy, .npz, .h5, .png) or stack (.h5, .hdf5) to write")
    d = p.add_argument_group("input data")
    d.add_argument("--y-key", help="dataset of the samples, e.g. group/y (default y)")
    d.add_argument("--mask-key", help="dataset of the mask (default mask)")
    d.add_argument(
        "--kspace-key",
        help="dataset of k-space (centred; 2-D zero-filled or 3-D slices): y = kspace[mask]",
    )
    d.add_argument("--mask", metavar="FILE", dest="mask_file", help="read the mask from FILE")
    d.add_argument(
        "--pattern", choices=_PATTERNS, help="undersample k-space retrospectively with this mask"
    )
    d.add_argument("--fraction", type=float, help="--pattern: sampling fraction")
    d.add_argument("--seed", type=int, help="--pattern: seed of the mask (0)")
    d.add_argument("--slices", help="stacks: the slices to reconstruct, START:STOP[:STEP] or I")
    s = p.add_argument_group("solver")
    s.add_argument("--transform", choices=("fourier", "walsh"), default="fourier")
    s.add_argument("--lam", type=float, default=2.5e-4, help="regularisation weight (2.5e-4)")
    s.add_argument(
        "--method",
        choices=_METHODS,
        help="the solver (adaptive; hpr: restarted Halpern Peaceman-Rachford)",
    )
    s.add_argument(
        "--schedule", choices=("adaptive", "fixed"), help="alias: fixed = --method firenet"
    )
    s.add_argument(
        "--sparsity",
        choices=("estimate", "phantom"),
        default="estimate",
        help="sparsity in levels for the weights (estimate: from the data)",
    )
    s.add_argument("--tol", type=float, help="adaptive, hpr: certified relative gap")
    s.add_argument("--max-iterations", type=int, help="adaptive, hpr, firenet: cap on iterations")
    s.add_argument("--restarts", type=int, help="firenet: restarts (5)")
    s.add_argument("--inner", type=int, help="firenet: inner iterations (5)")
    s.add_argument("--iterations", type=int, help="pdhg: iterations")
    s.add_argument("--levels", type=int, help="Haar levels (log2 N - 1)")
    s.add_argument(
        "--no-weights", action="store_true", help="unit weights instead of weights in levels"
    )
    s.add_argument(
        "--dtype",
        choices=("complex64", "complex128", "float32", "float64"),
        help="working precision (default: the data's)",
    )
    r = p.add_argument_group("running")
    r.add_argument("--scheduler", help="stacks: 'local' (Dask LocalCluster) or a scheduler address")
    r.add_argument("--workers", type=int, help="stacks: number of workers")
    r.add_argument("--threads", type=int, help="threads per worker (single image: in total)")
    r.add_argument("--resume", action="store_true", help="stacks: continue an interrupted run")
    r.add_argument("--force", action="store_true", help="replace an existing output")
    r.add_argument(
        "--strict", action="store_true", help=f"exit {EXIT_NOT_CONVERGED} when --tol is not met"
    )
    r.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress on stderr (default: when stderr is a terminal)",
    )
    r.add_argument("--quiet", action="store_true", help="print nothing on stdout")


# ------------------------------------------------------------------ messages


_NAMES = "max_iterations|restarts|inner|iterations|tol|levels|lam|sparsity|method|transform|dtype"


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def cli_message(msg: str) -> str:
    """A library message in the CLI's words: ``max_iterations=3`` -> ``--max-iterations 3``."""
    msg = re.sub(rf"\b({_NAMES})=['\"]?(\w+)['\"]?", lambda m: f"{_flag(m[1])} {m[2]}", msg)
    return re.sub(rf"^({_NAMES})\b", lambda m: _flag(m[1]), msg)


def _warn(text: str) -> None:
    print(f"{_PROG}: {text}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ settings


def _method(args) -> str:
    """``--method`` or its alias ``--schedule`` (``reconstruct``'s rule, in CLI words)."""
    from .solvers._reconstruct import _method_name

    try:
        return _method_name(args.method, args.schedule)
    except ValueError:
        raise ValueError(
            f"--method {args.method} and --schedule {args.schedule} disagree; give --method"
        ) from None


def _method_options(args, method: str) -> dict[str, Any]:
    """The method options given on the command line, checked against the method."""
    from .solvers._methods import METHODS

    given = {k: getattr(args, k) for k in _METHOD_FLAGS if getattr(args, k) is not None}
    takes = METHODS[method].options
    used = f"--schedule {args.schedule}" if args.schedule else f"--method {method}"
    for key in given:
        if key not in takes:
            flags = [f for k, f in _METHOD_FLAGS.items() if k in takes]
            raise ValueError(
                f"{_METHOD_FLAGS[key]} does not apply to {used} "
                f"(it takes {', '.join(flags) or 'none of the solver flags'})"
            )
    try:
        METHODS[method].check(dict(given))
    except (TypeError, ValueError) as exc:
        raise type(exc)(cli_message(str(exc))) from None
    return given


def _slices(text: str | None, n: int) -> list[int]:
    if text is None:
        return list(range(n))
    parts = text.split(":")
    try:
        if len(parts) == 1:
            i = int(parts[0])
            if not -n <= i < n:
                raise ValueError(f"--slices {text}: the stack has {n} slices")
            return [i % n]
        if len(parts) > 3:
            raise ValueError
        bounds = [int(x) if x.strip() else None for x in parts]
    except ValueError as exc:
        if str(exc):
            raise
        raise ValueError(f"--slices must be START:STOP[:STEP] or an index, got {text!r}") from None
    if len(bounds) == 3 and bounds[2] == 0:
        raise ValueError("--slices: STEP must not be 0")
    chosen = list(range(n))[slice(*bounds)]
    if not chosen:
        raise ValueError(f"--slices {text} selects no slice of the {n} in the stack")
    return chosen


# ------------------------------------------------------------------ inputs


def as_mask(arr: np.ndarray, where: str) -> np.ndarray:
    """A boolean mask from boolean or 0/1 numbers (MATLAB writes doubles); else ValueError."""
    arr = np.asarray(arr)
    if arr.ndim != 2:
        raise ValueError(f"the mask {where} must be 2-D, got shape {arr.shape}")
    if arr.dtype == np.bool_:
        return arr
    if arr.dtype.kind not in "iuf":
        raise ValueError(f"the mask {where} must be boolean or 0/1 numbers, got dtype {arr.dtype}")
    values = np.unique(arr)
    bad = values[(values != 0) & (values != 1)]
    if bad.size:
        raise ValueError(
            f"the mask {where} must hold only 0 and 1 (or be boolean), found {bad[0]!r}"
        )
    return arr == 1


class _Sampled:
    """Slices of a k-space stack, subsampled: ``ys[i] = kspace[i][mask]`` (read lazily)."""

    def __init__(self, kspace, mask: np.ndarray) -> None:
        self.kspace = kspace
        self.mask = mask

    def __len__(self) -> int:
        return len(self.kspace)

    def __getitem__(self, i) -> np.ndarray:
        return np.ascontiguousarray(self.kspace[i][self.mask])


def _open_data(args) -> tuple[Any, str]:
    """The reader of the samples or of k-space, and which ("y" or "kspace")."""
    from . import io

    if args.kspace_key and args.y_key:
        raise ValueError("give --y-key or --kspace-key, not both")
    if args.kspace_key:
        return io.open_array(args.input, args.kspace_key), "kspace"
    if args.y_key:
        return io.open_array(args.input, args.y_key), "y"
    if Path(args.input).suffix.lower() == ".npy":
        raise ValueError(
            f"input {args.input!r} is a .npy file (one array): use .npz or HDF5 holding 'y' "
            "and 'mask', or 'kspace'"
        )
    for key, kind in (("y", "y"), ("kspace", "kspace")):
        try:
            return io.open_array(args.input, key), kind
        except ValueError as exc:
            if "has no" not in str(exc):
                raise
            listing = str(exc)[str(exc).rfind("(") :]
    raise ValueError(
        f"input {args.input!r} must hold 'y' and 'mask', or 'kspace' {listing}; name them "
        "with --y-key, --mask-key or --kspace-key"
    )


def _mask(args, kind: str, image_shape: tuple[int, ...] | None) -> tuple[np.ndarray, dict]:
    """The mask and how it was obtained (recorded in the settings)."""
    from . import io, sampling

    if args.pattern is None and (args.fraction is not None or args.seed is not None):
        raise ValueError("--fraction and --seed apply to --pattern only")
    sources = [args.mask_file is not None, args.pattern is not None]
    if sum(sources) > 1:
        raise ValueError("give --mask FILE or --pattern, not both")
    if args.pattern is not None:
        if kind != "kspace" or image_shape is None:
            raise ValueError("--pattern undersamples k-space: the input must hold 'kspace'")
        if args.mask_key is not None:
            raise ValueError("--mask-key and --pattern: give one of them")
        if args.fraction is None:
            raise ValueError("--pattern needs --fraction")
        seed = 0 if args.seed is None else args.seed
        make = getattr(sampling, args.pattern)
        shape = tuple(image_shape)
        kw = {"kind": args.transform} if args.pattern == "das" else {}
        mask = make(shape, args.fraction, seed=seed, **kw)
        return mask, {"pattern": args.pattern, "fraction": args.fraction, "seed": seed}
    key = args.mask_key or "mask"
    source = args.mask_file if args.mask_file is not None else args.input
    try:
        with io.open_array(source, key) as r:
            arr = r.read()
    except ValueError as exc:
        if kind == "kspace" and args.mask_file is None and "has no" in str(exc):
            raise ValueError(
                f"k-space input needs a mask: --mask-key (in {args.input!r}), --mask FILE or "
                "--pattern das --fraction F"
            ) from None
        raise
    where = f"{source}:{key}" if not str(source).endswith(".npy") else str(source)
    return as_mask(arr, f"({where})"), {"mask": str(Path(source).resolve()), "mask_key": key}


def _check_layout(mask: np.ndarray, args) -> int:
    """Haar levels of the mask, with the flag that fixes a mask the model cannot take."""
    from ._validation import is_power_of_two
    from .sampling import haar_layout

    n1, n2 = mask.shape
    if args.transform == "walsh" and not (is_power_of_two(n1) and is_power_of_two(n2)):
        raise ValueError(
            f"the mask is {n1}x{n2}: --transform walsh needs power-of-two sides; use "
            "--transform fourier, or crop/pad the data to a power of two"
        )
    if n1 % 2 or n2 % 2:
        raise ValueError(
            f"the mask is {n1}x{n2}: the Haar model needs even sides (divisible by 2**levels); "
            "crop or pad the data"
        )
    if args.sparsity == "phantom" and not args.no_weights:
        if n1 != n2 or not is_power_of_two(n1) or n1 < 8:
            raise ValueError(
                f"the mask is {n1}x{n2}: --sparsity phantom needs a square power-of-two image; "
                "use --sparsity estimate (the default) or --no-weights"
            )
    if not mask.any():
        raise ValueError("the mask selects no sample")
    try:
        return haar_layout(mask, args.transform, args.levels)[1]
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{cli_message(str(exc))} (the mask is {n1}x{n2})") from None


# ------------------------------------------------------------------ output


def _check_output(out: Path, inputs: list[str], *, stack: bool, force: bool) -> str:
    """Refuse, before any solving, an output that cannot or must not be written."""
    from . import io

    suffix = out.suffix.lower()
    allowed = _STACK_SUFFIXES if stack else _SINGLE_SUFFIXES
    if suffix not in allowed:
        what = "a stack is written to" if stack else "output must end in"
        raise ValueError(f"{what} {', '.join(allowed)}, got {str(out)!r}")
    for inp in inputs:
        if out.exists() and Path(inp).exists() and os.path.samefile(out, inp):
            raise ValueError(f"output {str(out)!r} is the input {inp!r}; choose another output")
    if out.exists() and not force:
        raise FileExistsError(f"output {str(out)!r} exists; add --force to replace it")
    if out.is_dir():
        raise IsADirectoryError(f"output {str(out)!r} is a directory")
    directory = Path(os.path.realpath(out)).parent
    if not directory.is_dir():
        raise FileNotFoundError(
            f"cannot write {str(out)!r}: directory {str(directory)!r} is missing"
        )
    if not os.access(directory, os.W_OK | os.X_OK):
        raise PermissionError(
            f"cannot write {str(out)!r}: directory {str(directory)!r} is not writable"
        )
    if suffix == ".png":
        try:
            import matplotlib.image  # noqa: F401
        except ImportError:
            raise ImportError(
                f"writing {str(out)!r} needs matplotlib (pip install fastsparse[plot]); "
                "write .npy, .npz or .h5 instead"
            ) from None
    if suffix in _STACK_SUFFIXES:
        io._import_h5py()
    return suffix


def _image_dtype(ydtype: np.dtype, transform: str, dtype: str | None) -> np.dtype:
    """The dtype ``reconstruct`` returns for these data (to create the stack up front)."""
    from ._validation import complex_dtype, result_dtype

    base = np.dtype(dtype) if dtype else result_dtype(ydtype, "y")
    if transform == "fourier" or base.kind == "c" or np.dtype(ydtype).kind == "c":
        return complex_dtype(base)
    return base


def _get(result, name: str, default=None):
    """A field of a per-slice result (an object or a dict)."""
    if isinstance(result, dict):
        return result.get(name, default)
    return getattr(result, name, default)


def _describe(result) -> str:
    cert = _get(result, "certificate", {}) or {}
    gap = cert.get("relative_gap")
    text = f"{_get(result, 'iterations', '?')} iterations ({_get(result, 'stop_reason', '?')})"
    return text + (f", relative gap {gap:.3g}" if gap is not None else "")


# ------------------------------------------------------------------ run


def run(args: argparse.Namespace) -> int:
    """Check everything, then reconstruct and write; one summary line on stdout."""
    from ._compile import printed

    try:
        if args.quiet:
            return _run(args)
        with printed():  # "compiling kernels ..." on stderr when this run compiles
            return _run(args)
    except ValueError as exc:
        raise ValueError(cli_message(str(exc))) from None


def _run(args: argparse.Namespace) -> int:
    from . import __version__, io

    method = _method(args)
    opts = _method_options(args, method)
    if args.lam is not None and not (np.isfinite(args.lam) and args.lam > 0):
        raise ValueError(f"--lam must be > 0, got {args.lam}")
    for flag in ("workers", "threads"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            raise ValueError(f"--{flag} must be >= 1, got {value}")
    progress = args.progress
    if progress is None:
        progress = not args.quiet and sys.stderr.isatty()
        if progress:
            try:
                import tqdm  # noqa: F401
            except ImportError:
                progress = False

    reader, kind = _open_data(args)
    with reader:
        if reader.dtype.kind not in "biufc":
            raise TypeError(f"{reader.name} has dtype {reader.dtype}; expected numbers")
        single_ndim = 1 if kind == "y" else 2
        if reader.ndim not in (single_ndim, single_ndim + 1):
            want = "(m,) or (slices, m)" if kind == "y" else "(n1, n2) or (slices, n1, n2)"
            raise ValueError(f"{reader.name} must have shape {want}, got {reader.shape}")
        stack = reader.ndim == single_ndim + 1
        image_shape = reader.shape[-2:] if kind == "kspace" else None
        mask, mask_source = _mask(args, kind, image_shape)
        if kind == "kspace" and reader.shape[-2:] != mask.shape:
            raise ValueError(
                f"{reader.name} has slices of shape {reader.shape[-2:]} but the mask is "
                f"{mask.shape}"
            )
        if kind == "y" and reader.shape[-1] != int(mask.sum()):
            raise ValueError(
                f"{reader.name} has {reader.shape[-1]} samples per slice but the mask selects "
                f"{int(mask.sum())}"
            )
        levels = _check_layout(mask, args)
        if not stack:
            for flag in ("scheduler", "workers", "slices"):
                if getattr(args, flag) is not None:
                    raise ValueError(f"--{flag} applies to stacks (3-D k-space or 2-D y) only")
            if args.resume:
                raise ValueError("--resume applies to stacks (3-D k-space or 2-D y) only")
        out = Path(args.output)
        inputs = [args.input] + ([args.mask_file] if args.mask_file else [])
        suffix = _check_output(out, inputs, stack=stack, force=args.force or args.resume)
        if stack and args.resume and out.exists() and not args.force:
            raise FileExistsError(
                f"output {str(out)!r} exists: that run finished; add --force to replace it"
            )
        recorded = io.load_settings(args.input).get("transform")
        if isinstance(recorded, str) and recorded != args.transform:
            _warn(
                f"warning: {args.input} records transform {recorded!r}; reconstructing with "
                f"--transform {args.transform}"
            )
        img_dtype = _image_dtype(reader.dtype, args.transform, args.dtype)
        solver = {
            "transform": args.transform,
            "lam": args.lam,
            "levels": levels,
            "sparsity": args.sparsity,
            "weights": None if args.no_weights else "levels",
            "method": method,
            "dtype": args.dtype,
            **opts,
        }
        settings = {
            **{k: v for k, v in solver.items() if v is not None},
            "weights": "none" if args.no_weights else "levels",
            "dtype": str(img_dtype),
            "fastsparse_version": __version__,
        }
        from ._compile import compile_ahead_for
        from ._threads import SOLVER_MIN, get_num_threads

        if (not stack or args.scheduler is None) and mask.size >= SOLVER_MIN:
            # this process solves an image large enough for the parallel kernels: on a cold
            # cache, compile its setting's kernels in worker processes first
            compile_ahead_for(img_dtype, args.transform, method, args.threads or get_num_threads())
        if not stack:
            return _single(args, reader, kind, mask, solver, settings, out, suffix, progress)
        settings.update(
            input=str(Path(args.input).resolve()),
            data=f"{kind}:{reader.key}",
            mask_sha256=hashlib.sha256(np.packbits(mask).tobytes()).hexdigest()[:16],
            **{k: v for k, v in mask_source.items() if k in ("pattern", "fraction", "seed")},
        )
        return _stack(args, reader, kind, mask, solver, settings, out, img_dtype, progress)


def _single(args, reader, kind, mask, solver, settings, out: Path, suffix, progress) -> int:
    from . import io, set_num_threads
    from .solvers import reconstruct

    y = reader.read()
    y = y[mask] if kind == "kspace" else y
    if args.threads is not None:
        set_num_threads(args.threads)
    t0 = time.perf_counter()
    image, res = reconstruct(y, mask, progress=progress, return_result=True, **solver)
    elapsed = time.perf_counter() - t0
    if suffix == ".png":
        io.save_image(out, image)
    elif suffix == ".npy":
        io.save(out, image=image)
    else:
        io.save(out, image=image, settings=settings)
    if not args.quiet:
        cert = res.certificate
        print(
            f"{out}: {image.shape[0]}x{image.shape[1]} {image.dtype}, {res.iterations} "
            f"iterations ({res.stop_reason}), objective {cert.get('objective', float('nan')):.6g}, "
            f"relative gap {cert.get('relative_gap', float('nan')):.3g}, {elapsed:.2f} s"
        )
    if res.stop_reason == "max_iterations":
        gap = res.certificate.get("relative_gap", float("nan"))
        _warn(f"not converged (max iterations reached; certified relative gap {gap:.3g})")
        return EXIT_NOT_CONVERGED if args.strict else 0
    return 0


def _stack(args, reader, kind, mask, solver, settings, out: Path, img_dtype, progress) -> int:
    from . import io
    from .parallel import reconstruct_batch

    chosen = _slices(args.slices, len(reader))
    step = chosen[1] - chosen[0] if len(chosen) > 1 else 1
    settings["slices"] = [chosen[0], chosen[-1] + 1, step]
    position = {i: k for k, i in enumerate(chosen)}
    n1, n2 = mask.shape
    partial = io.partial_path(out)
    if partial.exists() and not args.resume:
        if not args.force:
            raise FileExistsError(
                f"{str(partial)!r} holds an interrupted run for {str(out)!r}: add --resume to "
                "continue it, or --force to start over"
            )
        partial.unlink()
    ys = _Sampled(reader, mask) if kind == "kspace" else reader
    writer = io.StackWriter(out, (len(chosen), n1, n2), img_dtype, settings, resume=args.resume)
    t0 = time.perf_counter()
    with writer:
        done = writer.done
        todo = [i for i in chosen if not done[position[i]]]
        resumed = len(chosen) - len(todo)
        finished: dict[int, Any] = {}

        def on_slice(i, image, result) -> None:
            writer.write(position[i], image)
            finished[i] = result
            if progress:
                _warn(f"slice {i} [{resumed + len(finished)}/{len(chosen)}]: {_describe(result)}")

        try:
            if todo:
                batch = reconstruct_batch(
                    ys,
                    mask,
                    indices=todo,
                    scheduler=args.scheduler,
                    workers=args.workers,
                    threads=args.threads,
                    progress=False,
                    on_slice=on_slice,
                    **solver,
                )
                errors = dict(batch.errors)
                for i in todo:  # a slice the batch finished without calling on_slice
                    if i not in finished and i not in errors:
                        image = batch.images[i] if i in batch.images else None
                        if image is None:
                            errors[i] = "no result returned"
                        else:
                            on_slice(i, image, batch.results.get(i))
            else:
                errors = {}
        except KeyboardInterrupt:
            raise KeyboardInterrupt("interrupted: " + _kept(writer, partial)) from None
        except io.Terminated:
            raise io.Terminated("terminated (SIGTERM): " + _kept(writer, partial)) from None
        for i, msg in sorted(errors.items()):
            _warn(f"slice {i} failed: {msg}")
        capped = sorted(
            i for i, r in finished.items() if _get(r, "stop_reason") == "max_iterations"
        )
        writer.finish(
            {position[i]: msg for i, msg in errors.items()},
            labels=chosen,
            attrs={"not_converged": np.asarray(capped, dtype=np.int64)},
        )
    elapsed = time.perf_counter() - t0
    if not args.quiet:
        print(
            f"{out}: {len(chosen)} slices {n1}x{n2} {img_dtype} ({len(finished)} reconstructed, "
            f"{resumed} resumed, {len(errors)} failed), {elapsed:.2f} s"
        )
    if capped:
        gaps = [(_get(finished[i], "certificate", {}) or {}).get("relative_gap") for i in capped]
        worst = max((g for g in gaps if g is not None), default=float("nan"))
        _warn(
            f"not converged (max iterations reached; certified relative gap up to {worst:.3g}) "
            f"in slices {', '.join(map(str, capped))}"
        )
    if errors:
        return EXIT_FAILED_SLICES
    return EXIT_NOT_CONVERGED if capped and args.strict else 0


def _kept(writer, partial: Path) -> str:
    try:
        n = int(writer.done.sum())
    except Exception:  # noqa: BLE001 - the message must not fail
        n = -1
    total = writer.shape[0]
    count = f"{n} of {total} slices" if n >= 0 else "the slices done"
    return f"{count} kept in {str(partial)!r}; rerun with --resume to continue"
