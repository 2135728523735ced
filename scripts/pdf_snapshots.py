"""Regenerate the PNG snapshots of each Decree 30 signature form used in docs/pdf.md.

    .venv/bin/python scripts/pdf_snapshots.py

Signs the sample administrative document with the test PKI (a fixed signing time,
so the pictures do not change from run to run) and renders pages with poppler's
``pdftoppm``: a whole first page per role, and a close-up of the signer block.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from vnsign.formats.pdf import (
    CopyForm,
    Nd30Appearance,
    Role,
    SignatureImage,
    SignOptions,
    sign_pdf,
)
from vnsign.formats.pdf.samples import administrative_document, handwritten_signature_png, seal_png
from vnsign.pki.credentials import KeyCredential
from vnsign.testing import TestIdentity, TestPKI

HERE = Path(__file__).resolve().parent.parent / "docs" / "img"
AT = datetime(2026, 3, 5, 7, 30, 15, tzinfo=UTC)  # shown as 2026-03-05T14:30:15+07:00
FULL_DPI = 60
CLOSE_DPI = 130
# Close-up of the signer block (points from the top-left corner of the page).
SIGNER_BLOCK = (300, 410, 270, 170)
TOP_RIGHT = (330, 0, 265, 70)
WIDE_BLOCK = (230, 410, 365, 170)


def main() -> None:
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise SystemExit("pdftoppm (Debian package poppler-utils) is needed")
    options = SignOptions(signing_time=AT)
    person_look = Nd30Appearance(image=SignatureImage(handwritten_signature_png()))
    seal_look = Nd30Appearance(image=SignatureImage(seal_png()))
    with TestPKI() as pki, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        official, agency = _credential(pki.gov_official), _credential(pki.gov_agency)
        source = folder / "quyet-dinh.pdf"
        source.write_bytes(administrative_document())
        person = folder / "person.pdf"
        sign_pdf(source, person, official, appearance=person_look, options=options)
        sealed = folder / "organization.pdf"
        sign_pdf(
            person, sealed, agency, role=Role.ORGANIZATION, appearance=seal_look, options=options
        )
        block = folder / "text-block.pdf"
        sign_pdf(
            source,
            block,
            official,
            appearance=Nd30Appearance(image=person_look.image, text_block=True),
            options=options,
        )
        attachment = folder / "attachment.pdf"
        sign_pdf(
            source,
            attachment,
            agency,
            role=Role.ATTACHMENT,
            appearance=Nd30Appearance(document_number="123/QĐ-STP"),
            options=options,
        )
        copy = folder / "copy.pdf"
        sign_pdf(
            source,
            copy,
            agency,
            role=Role.COPY,
            appearance=Nd30Appearance(copy_form=CopyForm.SAO_Y),
            options=options,
        )
        shots = {
            "pdf-person": (person, SIGNER_BLOCK),
            "pdf-organization": (sealed, SIGNER_BLOCK),
            "pdf-text-block": (block, WIDE_BLOCK),
            "pdf-attachment": (attachment, TOP_RIGHT),
            "pdf-copy": (copy, TOP_RIGHT),
        }
        for name, (pdf, area) in shots.items():
            _render(pdftoppm, pdf, HERE / f"{name}-page", FULL_DPI, None)
            _render(pdftoppm, pdf, HERE / name, CLOSE_DPI, area)
            print(f"wrote {name}.png and {name}-page.png")


def _credential(identity: TestIdentity) -> KeyCredential:
    return KeyCredential(identity.private_key, identity.certificate, identity.chain)


def _render(
    pdftoppm: str,
    pdf: Path,
    stem: Path,
    dpi: int,
    area: tuple[float, float, float, float] | None,
) -> None:
    args = [pdftoppm, "-png", "-singlefile", "-r", str(dpi), "-f", "1", "-l", "1"]
    if area is not None:
        k = dpi / 72
        x, y, w, h = (round(v * k) for v in area)
        args += ["-x", str(x), "-y", str(y), "-W", str(w), "-H", str(h)]
    subprocess.run([*args, str(pdf), str(stem)], check=True)  # noqa: S603 - our own arguments


if __name__ == "__main__":
    main()
