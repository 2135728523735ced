"""Format-neutral facts about signed documents.

A format adapter (PDF, XML, e-invoice, edXML, detached CMS) reads a document and
states what it found: what was signed and whether the bytes still match, the
algorithms, the certificates, the claimed time, the time stamps, the visible
appearance, what changed after signing. Adapters judge nothing; the rules do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from cryptography import x509

from vnsign.formats.detect import DocumentFormat

__all__ = [
    "Appearance",
    "Coverage",
    "DocumentFacts",
    "DocumentFormat",
    "ImageFacts",
    "Modification",
    "ModificationKind",
    "SignatureFacts",
    "SignatureKind",
    "TimestampFacts",
]


class SignatureKind(StrEnum):
    """What a signature is for."""

    SIGNATURE = "signature"  #: an ordinary (approval) signature
    CERTIFICATION = "certification"  #: a PDF certification signature (DocMDP)
    DOCUMENT_TIMESTAMP = "document-timestamp"  #: a PDF /DocTimeStamp (PAdES-LTA)


class Coverage(StrEnum):
    """How much of the document a signature covers."""

    ENTIRE_FILE = "entire-file"  #: every byte but the signature value
    ENTIRE_REVISION = "entire-revision"  #: all of its revision; later revisions follow
    PARTIAL = "partial"  #: a gap: bytes of its own revision are not signed
    UNKNOWN = "unknown"


class ModificationKind(StrEnum):
    """Changes made after a signature, from harmless to fatal."""

    NONE = "none"
    VALIDATION_DATA = "validation-data"  #: DSS, document time stamps (PAdES-LT/LTA)
    SIGNING = "signing"  #: later signatures: new signature fields, their widgets and appearances
    FORM_FILLING = "form-filling"  #: field values, allowed by DocMDP P >= 2
    ANNOTATIONS = "annotations"  #: comments, allowed by DocMDP P = 3
    OTHER = "other"  #: anything else: content changed after signing


@dataclass(frozen=True)
class Modification:
    """What changed after a signature, and whether its certification allows it."""

    kind: ModificationKind
    description: str
    permitted: bool  #: allowed by the document's DocMDP/FieldMDP permissions
    revisions_after: int = 0


@dataclass(frozen=True)
class TimestampFacts:
    """An RFC 3161 time stamp over a signature (or a document, for /DocTimeStamp)."""

    gen_time: datetime | None  #: None when the token cannot be read
    tsa_certificate: x509.Certificate | None
    certificates: tuple[x509.Certificate, ...]
    intact: bool  #: the token covers the signature value (or the document bytes)
    signature_valid: bool  #: the TSA's signature over the token verifies
    hash_algorithm: str
    problem: str = ""


@dataclass(frozen=True)
class Appearance:
    """The visible part of a PDF signature, as far as it can be read mechanically."""

    page: int  #: 1-based
    rect: tuple[float, float, float, float]  #: x1, y1, x2, y2 in points
    page_size: tuple[float, float]  #: width, height in points
    texts: tuple[str, ...] = ()  #: text drawn in the appearance stream
    fonts: tuple[str, ...] = ()  #: base font names used
    font_sizes: tuple[float, ...] = ()
    text_colours: tuple[tuple[float, float, float], ...] = ()  #: fill colours of text, RGB 0..1
    images: tuple[ImageFacts, ...] = ()


@dataclass(frozen=True)
class ImageFacts:
    """An image in a signature appearance."""

    width: int
    height: int
    has_alpha: bool  #: a soft mask (transparency)
    dominant_hue: str  #: ``red``, ``blue``, ``black``, ``other``
    rect: tuple[float, float, float, float]  #: where it is drawn on the page, points


@dataclass(frozen=True)
class SignatureFacts:
    """Everything an adapter found about one signature."""

    index: int
    kind: SignatureKind
    name: str  #: PDF field name, XML Signature Id, file name
    format_problem: str = ""  #: set when the signature cannot even be parsed (FORMAT_FAILURE)
    intact: bool | None = None  #: the digest of the signed data matches
    signature_valid: bool | None = None  #: the signature value verifies with the signer key
    integrity_problem: str = ""
    coverage: Coverage = Coverage.UNKNOWN
    modifications: tuple[Modification, ...] = ()
    digest_algorithm: str = ""
    signature_algorithm: str = ""
    signer_certificate: x509.Certificate | None = None
    certificates: tuple[x509.Certificate, ...] = ()
    claimed_time: datetime | None = None
    claimed_time_source: str = ""
    timestamps: tuple[TimestampFacts, ...] = ()
    embedded_crls: tuple[bytes, ...] = ()
    embedded_ocsp: tuple[bytes, ...] = ()
    level: str = ""  #: e.g. ``PAdES-B-LT``, ``XAdES-B-T``, ``PKCS#7``
    appearance: Appearance | None = None
    details: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class DocumentFacts:
    """What an adapter found in one document."""

    format: DocumentFormat
    signatures: tuple[SignatureFacts, ...]
    size: int
    problems: tuple[str, ...] = ()  #: document-level findings (not fatal by themselves)
    details: Mapping[str, object] = field(default_factory=dict)
    attachments: tuple[tuple[str, bytes], ...] = ()  #: files carried inside (edXML)
