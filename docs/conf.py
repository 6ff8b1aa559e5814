"""Sphinx configuration of the fastsparse documentation.

Build (warnings are errors): ``sphinx-build -W --keep-going -b html docs docs/_build/html``.
Everything is local: no intersphinx, nothing downloaded; the gallery runs its examples.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")  # before anything imports matplotlib.pyplot

import matplotlib  # noqa: E402

matplotlib.use("Agg")

from docutils import nodes  # noqa: E402
from docutils.statemachine import StringList  # noqa: E402
from sphinx.util.docutils import SphinxDirective  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import fastsparse  # noqa: E402

project = "fastsparse"
author = "fastsparse developers"
copyright = "fastsparse developers"  # noqa: A001
release = fastsparse.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

# examples/ holds the gallery's sources; sphinx-gallery renders them into auto_examples/
exclude_patterns = ["_build", "examples", "Thumbs.db", ".DS_Store"]
templates_path: list[str] = []
html_static_path = ["_static"]
html_theme = "alabaster"
html_theme_options = {
    "description": "Stable, accurate and fast sparse image reconstruction",
    "fixed_sidebar": True,
}
html_title = f"fastsparse {release}"

# autodoc: members come from each module's __all__, so new public names appear by themselves.
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types
autosummary_generate = False

# numpydoc: no per-class member tables (autodoc already lists them), no type cross-references
# (intersphinx is off, so NumPy's types could not resolve).
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

intersphinx_mapping: dict = {}

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("fastsparse",),
    "download_all_examples": False,
    "remove_config_comments": True,
    "min_reported_time": 0,
    "image_scrapers": ("matplotlib",),
}


class PublicSummary(SphinxDirective):
    """``.. public-summary:: module``: an autosummary table of ``module.__all__``.

    Reads ``__all__`` at build time, so a new public name appears without editing the page.
    Names the top-level package re-exports link to the module that documents them.
    """

    required_arguments = 1

    def run(self):
        name = self.arguments[0]
        mod = importlib.import_module(name)
        lazy = getattr(mod, "_LAZY", {})
        lines = [".. autosummary::", ""]
        for attr in mod.__all__:
            if attr.startswith("__"):
                continue
            obj = getattr(mod, attr)
            if inspect.ismodule(obj):
                continue
            home = lazy.get(attr, name)
            rel = home[len(name) + 1 :] if home.startswith(name + ".") else home
            lines.append(f"   {attr}" if home == name else f"   ~{rel}.{attr}")
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source=f"<public-summary {name}>"), 0, container)
        return container.children


def setup(app):
    app.add_directive("public-summary", PublicSummary)
