"""The names at the top of the package: present, typed, and light to import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import vnsign
from vnsign.testing import TestPKI


def test_every_public_name_resolves() -> None:
    for name in vnsign.__all__:
        assert getattr(vnsign, name) is not None
    with pytest.raises(AttributeError, match="no_such_name"):
        vnsign.no_such_name  # noqa: B018


def test_import_vnsign_loads_no_signing_stack() -> None:
    code = (
        "import sys, vnsign; "
        "heavy = [m for m in ('pyhanko', 'lxml', 'aiohttp', 'pdfminer', 'PIL') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_sign_and_verify_from_the_top_level(vn_pki: TestPKI, tmp_path: Path) -> None:
    from vnsign.formats.pdf import INVISIBLE
    from vnsign.formats.pdf.samples import administrative_document

    p12 = tmp_path / "signer.p12"
    p12.write_bytes(vn_pki.gov_official.pkcs12(b"secret"))
    source, signed = tmp_path / "qd.pdf", tmp_path / "qd.signed.pdf"
    source.write_bytes(administrative_document())
    credential = vnsign.load_credential(p12, b"secret")
    vnsign.sign_pdf(source, signed, credential, appearance=INVISIBLE)
    verifier = vnsign.Verifier(trust=vn_pki.trust_store())
    report = verifier.verify(signed)
    assert report.verdict is vnsign.Verdict.VALID, report.summary.en
    tampered = bytearray(signed.read_bytes())
    tampered[len(tampered) // 3] ^= 0x01
    assert verifier.verify(bytes(tampered)).verdict is not vnsign.Verdict.VALID
