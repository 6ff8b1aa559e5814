"""Every docstring example in the package runs (numpydoc Examples are doctests)."""

import doctest
import importlib
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import fastsparse

_MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(fastsparse.__path__, "fastsparse.")
    if not m.name.startswith("fastsparse.kernels")
)


def test_modules_found():
    assert {"fastsparse.transforms", "fastsparse.operators", "fastsparse.solvers"} <= set(_MODULES)


@pytest.mark.parametrize("name", _MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} doctest failure(s) in {name}"


def test_public_modules_define_all():
    for name in _MODULES:
        if name.rsplit(".", 1)[-1].startswith("_"):
            continue
        module = importlib.import_module(name)
        assert hasattr(module, "__all__"), f"{name} has no __all__"
        for attr in module.__all__:
            assert hasattr(module, attr), f"{name}.__all__ names missing {attr}"


@pytest.mark.slow
def test_sphinx_build(tmp_path):
    """The Sphinx site (guide, API reference, gallery) builds with warnings as errors."""
    for module in ("sphinx", "numpydoc", "sphinx_gallery", "matplotlib"):
        pytest.importorskip(module, reason=f"{module} is not installed: pip install -e '.[docs]'")
    docs = Path(__file__).resolve().parent.parent / "docs"
    if not (docs / "conf.py").is_file():
        pytest.skip(f"no Sphinx configuration at {docs}")
    # build a copy: sphinx-gallery writes its generated pages into the source directory
    src = tmp_path / "docs"
    shutil.copytree(
        docs, src, ignore=shutil.ignore_patterns("_build", "auto_examples", "gen_modules")
    )
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html"]
    cmd += ["-d", str(tmp_path / "doctrees"), str(src), str(tmp_path / "html")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, (
        f"sphinx-build failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    )
    assert (tmp_path / "html" / "index.html").is_file()
    assert (tmp_path / "html" / "auto_examples" / "plot_reconstruction.html").is_file()
