"""Sphinx configuration of the gmmvc documentation.

Build it (warnings are errors, as in the tests)::

    python -m pip install -e ".[docs]"
    python -m sphinx -W --keep-going -b html docs docs/_build/html

Sphinx with numpydoc, because gmmvc's docstrings are numpydoc written in
reStructuredText (``.. math::``, ``:func:`` cross-references, ``.. [1]``
citations), which Sphinx renders natively; the narrative pages are Markdown
(MyST), like the pages other parts of the project contribute.
"""

import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parent / "src"))

import gmmvc  # noqa: E402

project = "gmmvc"
author = "gmmvc developers"
copyright = "gmmvc developers"  # noqa: A001 (Sphinx's name)
release = version = gmmvc.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "gmmvc_docs",
]

root_doc = "index"
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "_ext"]
nitpicky = False  # numpydoc type strings ("array_like, shape (T, D)") are prose, not targets

# API reference: types and shapes are in the numpydoc sections, so signatures stay short.
autodoc_member_order = "bysource"
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_xref_param_type = False

# Markdown pages: $...$ and $$...$$ maths, anchors for sections down to level 3.
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

html_theme = "alabaster"
html_title = f"gmmvc {release}"
html_theme_options = {
    "description": "Joint-density GMM voice conversion (Toda, Black and Tokuda 2007)",
    "fixed_sidebar": True,
    "page_width": "1100px",
    "sidebar_width": "240px",
}
html_sidebars = {"**": ["about.html", "navigation.html", "searchbox.html"]}
