"""Faster drop-in replacements for hot spots under pyHanko.

* pyHanko reads hex strings one character at a time in Python; a signature's
  ``/Contents`` is a hex string of 16,000 characters or more, so reading it was
  about 70% of verifying a one-page signed PDF. The replacement reads in chunks
  and gives the same result, and raises the same errors, as the original.
* asn1crypto compares X.509 names through LDAP string preparation even when the
  two encodings are byte-identical (the usual case); a byte comparison first
  answers those without changing any other answer.

``tests/test_pyhanko_speedups.py`` checks both against the originals. Importing
this module installs them; the modules that drive pyHanko import it, so plain
``import vnsign`` stays light.
"""

from __future__ import annotations

import binascii
from typing import IO

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PDF_WHITESPACE, PdfStreamError

__all__ = ["install", "name_equals", "read_hex_string", "uninstall"]

_ORIGINAL = generic.read_hex_string_from_stream
_ORIGINAL_NAME_EQ = asn1_x509.Name.__eq__
_HEX_DIGITS = b"0123456789abcdefABCDEF"
_CHUNK = 1 << 16


def read_hex_string(stream: IO[bytes]) -> generic.ByteStringObject | generic.TextStringObject:
    """Read ``<hex digits>`` from ``stream`` (positioned at ``<``) into a PDF string."""
    start = stream.tell()
    stream.read(1)
    parts = []
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            raise PdfStreamError("Stream ended prematurely")
        end = chunk.find(b">")
        if b"%" in (chunk if end < 0 else chunk[:end]):
            # pyHanko skips "comments" inside hex strings; keep its exact behaviour
            stream.seek(start)
            return _ORIGINAL(stream)
        if end >= 0:
            parts.append(chunk[:end])
            stream.seek(end + 1 - len(chunk), 1)  # leave the stream just after '>'
            break
        parts.append(chunk)
    digits = b"".join(parts).translate(None, PDF_WHITESPACE)
    unexpected = digits.translate(None, _HEX_DIGITS)
    if unexpected:
        raise PdfStreamError("Unexpected token in hex string: " + repr(unexpected[:1]))
    if len(digits) % 2:
        digits += b"0"
    return generic.pdf_string(binascii.unhexlify(digits))


def name_equals(self: asn1_x509.Name, other: object) -> bool:
    """``Name.__eq__``, answering byte-identical names without string preparation."""
    # compare the RDN sequences' contents: a name nested under an explicit tag (as in
    # ESSCertIDv2's GeneralName) dumps with that tag, but its contents are the same
    if isinstance(other, asn1_x509.Name) and self.chosen.contents == other.chosen.contents:
        return True
    return bool(_ORIGINAL_NAME_EQ(self, other))


def install() -> None:
    """Use the fast paths (idempotent)."""
    generic.read_hex_string_from_stream = read_hex_string
    asn1_x509.Name.__eq__ = name_equals


def uninstall() -> None:
    """Restore the originals (for tests)."""
    generic.read_hex_string_from_stream = _ORIGINAL
    asn1_x509.Name.__eq__ = _ORIGINAL_NAME_EQ


install()
