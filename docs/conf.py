"""Sphinx configuration: Markdown pages (MyST) plus API reference from docstrings."""

from vnsign import __version__

project = "vnsign"
author = "vnsign developers"
release = version = __version__
extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon"]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build"]
myst_heading_anchors = 3
autodoc_member_order = "bysource"
autodoc_typehints = "description"
html_theme = "alabaster"
suppress_warnings = ["myst.xref_missing"]
nitpicky = False
