"""vnsign: sign Vietnamese e-documents and verify them before they are exchanged."""

from vnsign._version import __version__
from vnsign.errors import VnsignError

__all__ = ["VnsignError", "__version__"]
