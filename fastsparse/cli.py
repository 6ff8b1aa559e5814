"""The ``fastsparse`` command line: demo, reconstruct, stability, barriers, bench, plan, compile,
figure.

Each subcommand lives in the module that owns the feature; that module provides
``add_arguments(parser)`` and ``run(args) -> int``. Modules are imported only when needed.
"""

from __future__ import annotations

import argparse
import importlib
import sys

__all__ = ["main"]

_COMMANDS = {
    "demo": (
        "fastsparse._demo",
        "reconstruct the built-in phantom from subsampled Fourier and Walsh data",
    ),
    "reconstruct": (
        "fastsparse._cli_reconstruct",
        "reconstruct an image from k-space data in a file",
    ),
    "stability": (
        "fastsparse.stability._cli",
        "stability report: precision, per-layer error, perturbations",
    ),
    "barriers": ("fastsparse.barriers", "reproduce the LISTA-vs-FIRENET barrier table"),
    "bench": ("fastsparse.bench", "same-run speed comparisons against the yardsticks"),
    "plan": ("fastsparse._cli_plan", "make FFTW plans ahead of time and keep their wisdom"),
    "compile": ("fastsparse._compile", "compile and cache the Numba kernels ahead of the runs"),
    "figure": ("fastsparse.figures", "the papers' figures: FIRENET's error against layers"),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-parser per command."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="fastsparse", description="Stable, accurate and fast sparse image reconstruction."
    )
    parser.add_argument("--version", action="version", version=f"fastsparse {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, (module, help_text) in _COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(_module=module)
        importlib.import_module(module).add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``fastsparse`` script; returns the exit status.

    Errors in the input (files, options) are one line on stderr and status 2; Ctrl-C is
    one line and status 130, SIGTERM (a batch system's time limit) one line and 143.
    """
    from .io import Terminated, sigterm_raises

    argv = sys.argv[1:] if argv is None else argv
    # Build only the sub-parser that is asked for, so `fastsparse demo` imports only the demo.
    if argv and argv[0] in _COMMANDS:
        module = importlib.import_module(_COMMANDS[argv[0]][0])
        p = argparse.ArgumentParser(prog=f"fastsparse {argv[0]}", description=_COMMANDS[argv[0]][1])
        module.add_arguments(p)
        args = p.parse_args(argv[1:])
    else:
        args = build_parser().parse_args(argv)
        module = importlib.import_module(args._module)
    prog = f"fastsparse {argv[0] if argv else ''}".rstrip()
    try:
        with sigterm_raises():
            return int(module.run(args) or 0)
    except (ValueError, TypeError, OSError, ImportError) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        print(f"{prog}: {str(exc) or 'interrupted'}", file=sys.stderr)
        return 130
    except Terminated as exc:
        print(f"{prog}: {exc.message}", file=sys.stderr)
        return int(exc.code)  # type: ignore[arg-type]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
