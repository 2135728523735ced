"""Fixtures for the PDF signing tests: the test PKI's signers, the sample
administrative document, signature images, and the independent checkers
(poppler's ``pdfsig``, ``pdftoppm``, ``pdftotext``; pyHanko's validator)."""

from __future__ import annotations

import io
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from _pdf_helpers import PdfsigEntry, Rendering, credential_of, pyhanko_context
from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus

from vnsign.formats.pdf import Nd30Appearance, SignatureImage
from vnsign.formats.pdf.samples import (
    administrative_document,
    handwritten_signature_png,
    seal_png,
)
from vnsign.pki.credentials import KeyCredential
from vnsign.testing import TestPKI


@pytest.fixture(scope="session")
def official(vn_pki: TestPKI) -> KeyCredential:
    """The competent person (Government CA): Lê Hoàng Cường, Sở Tư pháp."""
    return credential_of(vn_pki.gov_official)


@pytest.fixture(scope="session")
def agency(vn_pki: TestPKI) -> KeyCredential:
    """The agency (Government CA): Sở Tư pháp tỉnh Quảng Ngãi."""
    return credential_of(vn_pki.gov_agency)


@pytest.fixture(scope="session")
def citizen(vn_pki: TestPKI) -> KeyCredential:
    """A person under the licensed public CA."""
    return credential_of(vn_pki.person)


@pytest.fixture(scope="session")
def document_bytes() -> bytes:
    return administrative_document()


@pytest.fixture
def document(tmp_path: Path, document_bytes: bytes) -> Path:
    """A fresh copy of the sample Decree 30 administrative document."""
    path = tmp_path / "quyet-dinh.pdf"
    path.write_bytes(document_bytes)
    return path


@pytest.fixture(scope="session")
def signature_image() -> SignatureImage:
    return SignatureImage(handwritten_signature_png())


@pytest.fixture(scope="session")
def seal_image() -> SignatureImage:
    return SignatureImage(seal_png())


@pytest.fixture(scope="session")
def person_look(signature_image: SignatureImage) -> Nd30Appearance:
    return Nd30Appearance(image=signature_image)


@pytest.fixture(scope="session")
def seal_look(seal_image: SignatureImage) -> Nd30Appearance:
    return Nd30Appearance(image=seal_image)


@pytest.fixture
def pdfsig(tool: Callable[[str], str]) -> Callable[[Path], list[PdfsigEntry]]:
    """Run poppler's pdfsig (signatures checked, certificates not: the test
    roots are not in an NSS database) and split its report per signature."""
    binary = tool("pdfsig")

    def run(path: Path) -> list[PdfsigEntry]:
        done = subprocess.run(
            [binary, "-nocert", str(path)], capture_output=True, text=True, timeout=60
        )
        parts = re.split(r"^Signature #\d+:$", done.stdout, flags=re.MULTILINE)[1:]
        assert parts, f"pdfsig found no signature: {done.stdout} {done.stderr}"
        return [PdfsigEntry(p) for p in parts]

    return run


@pytest.fixture
def validate(vn_pki: TestPKI) -> Callable[[Path], list[PdfSignatureStatus]]:
    """pyHanko's verdict on every signature (not document time stamps) of a PDF,
    trusting the test roots and fetching revocation data online."""

    def run(path: Path) -> list[PdfSignatureStatus]:
        with path.open("rb") as handle:
            reader = PdfFileReader(handle)
            return [
                validate_pdf_signature(sig, pyhanko_context(vn_pki.roots, allow_fetching=True))
                for sig in reader.embedded_regular_signatures
            ]

    return run


@pytest.fixture
def render(tool: Callable[[str], str]) -> Callable[..., Rendering]:
    """Render a page with poppler's pdftoppm."""
    binary = tool("pdftoppm")

    def run(path: Path, page: int = 1, dpi: int = 100, height_pt: float = 841.89) -> Rendering:
        done = subprocess.run(
            [binary, "-r", str(dpi), "-f", str(page), "-l", str(page), "-png", str(path)],
            capture_output=True,
            timeout=60,
            check=True,
        )
        return Rendering(Image.open(io.BytesIO(done.stdout)), dpi, height_pt)

    return run


@pytest.fixture
def pdftotext(tool: Callable[[str], str]) -> Callable[..., str]:
    """Extract text with poppler's pdftotext (``bbox=True``: word boxes as XHTML)."""
    binary = tool("pdftotext")

    def run(path: Path, *, bbox: bool = False, first: int = 1, last: int = 1) -> str:
        args = [binary, "-f", str(first), "-l", str(last)]
        if bbox:
            args.append("-bbox")
        done = subprocess.run(
            [*args, str(path), "-"], capture_output=True, text=True, timeout=60, check=True
        )
        return done.stdout

    return run
