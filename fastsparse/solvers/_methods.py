"""The algorithms ``reconstruct(method=...)`` can run: one line each.

A new algorithm is one module defining ``METHOD = Method(...)`` (see ``_registry.Method``)
plus one line here.
"""

from __future__ import annotations

from . import _adaptive, _firenet, _hpr, _pdhg
from ._registry import Method

__all__ = ["METHODS"]

#: Registered algorithms by name; the first is ``reconstruct``'s default.
METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        _adaptive.METHOD,
        _firenet.METHOD,
        _pdhg.METHOD,
        _hpr.METHOD,
    )
}
