"""Typed constructors for the pyHanko PDF objects vnsign writes.

pyHanko's ``generic`` classes have untyped constructors; going through these
keeps the rest of the package under ``mypy --strict`` without scattering
ignores.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pyhanko.pdf_utils import generic

__all__ = ["array", "dictionary", "name", "number", "real", "stream"]


def name(value: str) -> generic.NameObject:
    """``/Value`` (the leading slash is added when missing)."""
    return generic.NameObject(value if value.startswith("/") else "/" + value)


def number(value: int) -> generic.NumberObject:
    """An integer."""
    return generic.NumberObject(value)  # type: ignore[no-untyped-call]


def real(value: float) -> generic.FloatObject:
    """A real number."""
    return generic.FloatObject(value)  # type: ignore[no-untyped-call]


def array(values: Iterable[generic.PdfObject]) -> generic.ArrayObject:
    """An array."""
    return generic.ArrayObject(values)


def dictionary(
    entries: Mapping[str, generic.PdfObject] | None = None,
) -> generic.DictionaryObject:
    """A dictionary; keys are names given as ``"/Key"``."""
    result = generic.DictionaryObject()  # type: ignore[no-untyped-call]
    for key, value in (entries or {}).items():
        result[name(key)] = value
    return result


def stream(
    entries: Mapping[str, generic.PdfObject] | None = None,
    *,
    data: bytes | None = None,
    encoded: bytes | None = None,
    compress: bool = False,
) -> generic.StreamObject:
    """A stream: plain ``data`` (deflated when ``compress``) or already
    ``encoded`` data whose ``/Filter`` is in ``entries``."""
    result = generic.StreamObject(stream_data=data, encoded_data=encoded)
    for key, value in (entries or {}).items():
        result[name(key)] = value
    if compress:
        result.compress()  # type: ignore[no-untyped-call]
    return result
