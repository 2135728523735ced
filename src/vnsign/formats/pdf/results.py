"""What signing and extending PDFs report back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from vnsign.errors import VnsignError
from vnsign.formats.pdf.geometry import Rect
from vnsign.formats.pdf.options import PadesLevel, Role

if TYPE_CHECKING:
    from vnsign.formats.pdf.signing import SignJob

__all__ = ["BatchItem", "ExtendedPdf", "SignedPdf"]


@dataclass(frozen=True)
class SignedPdf:
    """A signature vnsign added to a PDF."""

    path: Path
    """The signed file."""
    field_name: str
    role: Role
    level: PadesLevel
    signing_time: datetime
    """The claimed signing time (``/M``, and ``signingTime`` for PKCS#7), in UTC+7."""
    shown_text: tuple[str, ...]
    """The text the appearance shows, line by line."""
    page: int | None
    """1-based page of the widget; ``None`` for an invisible signature."""
    rect: Rect | None
    """The widget rectangle in PDF user space (points)."""
    reserved_bytes: int
    """Room reserved for the signature container (hexadecimal characters)."""
    signature_bytes: int
    """Size of the signature container (DER bytes)."""


@dataclass(frozen=True)
class ExtendedPdf:
    """The result of raising a signed PDF to a higher PAdES level."""

    path: Path
    level: PadesLevel
    """The level every signature of the document now has."""
    added_timestamp: bool
    """Whether a document time stamp was added."""
    added_validation_data: bool
    """Whether certificates, OCSP responses or CRLs were added to the DSS."""


@dataclass(frozen=True)
class BatchItem:
    """One document of :func:`~vnsign.formats.pdf.sign_many`."""

    job: SignJob
    result: SignedPdf | None
    error: VnsignError | None

    @property
    def ok(self) -> bool:
        """Whether this document was signed."""
        return self.error is None
