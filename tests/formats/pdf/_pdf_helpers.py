"""Independent checks for the PDF tests: poppler's reports, pyHanko's validator,
pixels of rendered pages. Imported by the tests and by ``conftest.py``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from PIL import Image
from pyhanko_certvalidator import ValidationContext

from vnsign.pki.credentials import KeyCredential
from vnsign.testing import TestIdentity


def credential_of(identity: TestIdentity) -> KeyCredential:
    return KeyCredential(identity.private_key, identity.certificate, identity.chain)


@dataclass(frozen=True)
class PdfsigEntry:
    text: str

    @property
    def valid(self) -> bool:
        return "Signature Validation: Signature is Valid." in self.text

    @property
    def total(self) -> bool:
        return "- Total document signed" in self.text

    @property
    def field(self) -> str:
        match = re.search(r"Signature Field Name: (.*)", self.text)
        return match.group(1).strip() if match else ""


def asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))


def pyhanko_context(roots: tuple[x509.Certificate, ...], **options: object) -> ValidationContext:
    return ValidationContext(trust_roots=[asn1(c) for c in roots], **options)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Rendering:
    image: Image.Image
    dpi: int
    page_height_pt: float

    def box(self, rect: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
        """PDF user-space rectangle -> pixel box (left, upper, right, lower)."""
        k = self.dpi / 72
        x1, y1, x2, y2 = rect
        return (
            round(x1 * k),
            round((self.page_height_pt - y2) * k),
            round(x2 * k),
            round((self.page_height_pt - y1) * k),
        )

    def pixels(self, rect: tuple[float, float, float, float]) -> list[tuple[int, int, int]]:
        raw = self.image.crop(self.box(rect)).convert("RGB").tobytes()
        return [(raw[i], raw[i + 1], raw[i + 2]) for i in range(0, len(raw), 3)]


def is_red(p: tuple[int, int, int]) -> bool:
    r, g, b = p
    return r > 150 and g < 110 and b < 110


def is_blue(p: tuple[int, int, int]) -> bool:
    r, _, b = p
    return b > 120 and r < 110 and b - r > 60


def is_dark(p: tuple[int, int, int]) -> bool:
    return max(p) < 110


def word_boxes(xhtml: str) -> list[tuple[str, float, float, float, float]]:
    """``(word, xMin, yMin, xMax, yMax)`` from ``pdftotext -bbox`` (y from the top)."""
    pattern = re.compile(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
    )
    return [(w, float(a), float(b), float(c), float(d)) for a, b, c, d, w in pattern.findall(xhtml)]
