"""vnsign: sign Vietnamese e-documents and verify them before they are exchanged."""

from vnsign import _pyhanko_speedups
from vnsign._version import __version__
from vnsign.errors import VnsignError

_pyhanko_speedups.install()  # same answers, faster (see the module's docstring)

__all__ = ["VnsignError", "__version__"]
