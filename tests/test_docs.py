"""Every docstring example in the package runs (numpydoc Examples are doctests)."""

import doctest
import importlib
import pkgutil

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
