"""verify() on documents other tools signed with the test PKI's keys: one table.

Each producer signs a small Vietnamese document with its own code (plain pyHanko,
endesive, xmlsec1, signxml, ``openssl cms``). Whatever made it, the verdict must be
``valid`` when the test PKI's roots are trusted, ``invalid`` once a signed byte
changed, and ``indeterminate`` when only the real Vietnamese roots are trusted
(the chain then leads nowhere).
"""

from __future__ import annotations

import importlib
import io
import os
import subprocess
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from _pdfs import blank_pdf
from _xmlsec import INCLUSIVE_C14N, RSA_SHA256, TEMPLATE, xmlsec1_sign
from vnsign.pki.status import SubIndication
from vnsign.testing import TestIdentity, TestPKI
from vnsign.verify import Verdict, Verifier

TEXT = "Cong van so 01/UBND-VP"
XML = """<?xml version="1.0" encoding="UTF-8"?>
<HoSo xmlns="urn:vnsign:test"><VanBan Id="vb1">Công văn số 01/UBND-VP về việc thử nghiệm</VanBan></HoSo>
"""


@dataclass(frozen=True)
class Signed:
    """What a producer made: the file to verify and how to change a signed byte."""

    path: Path
    tamper: Callable[[], None]


def _replace_in(path: Path, old: bytes, new: bytes) -> Callable[[], None]:
    def tamper() -> None:
        data = path.read_bytes()
        assert old in data
        path.write_bytes(data.replace(old, new, 1))

    return tamper


def _pem_files(identity: TestIdentity, folder: Path) -> tuple[Path, Path, Path]:
    """The key, the certificate and its issuers as PEM files in ``folder``."""
    key, cert, chain = folder / "key.pem", folder / "cert.pem", folder / "chain.pem"
    key.write_bytes(identity.key_pem)
    cert.write_bytes(identity.cert_pem)
    chain.write_bytes(b"".join(c.public_bytes(Encoding.PEM) for c in identity.chain))
    return key, cert, chain


def _pyhanko(identity: TestIdentity, folder: Path, tool: Callable[[str], str]) -> Signed:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    key, cert, chain = _pem_files(identity, folder)
    signer = signers.SimpleSigner.load(str(key), str(cert), ca_chain_files=(str(chain),))
    assert signer is not None
    path = folder / "pyhanko.pdf"
    with path.open("wb") as out:
        signers.sign_pdf(
            IncrementalPdfFileWriter(io.BytesIO(blank_pdf(TEXT))),
            signers.PdfSignatureMetadata(
                field_name="Signature1", subfilter=fields.SigSeedSubFilter.PADES
            ),
            signer=signer,
            output=out,
        )
    return Signed(path, _replace_in(path, b"01/UBND", b"02/UBND"))


def _endesive(identity: TestIdentity, folder: Path, tool: Callable[[str], str]) -> Signed:
    cms = _endesive_cms()
    data = _classic_xref_pdf(TEXT)
    now = datetime.now(UTC).strftime("D:%Y%m%d%H%M%S+00'00'")
    udct = {
        "sigflags": 3,
        "sigfield": "Signature1",
        "auto_sigfield": True,
        "contact": "van-thu@ubnd.test",
        "location": "Ha Noi",
        "signingdate": now,
        "reason": "Ky cong van",
    }
    appended = cms.sign(
        data, udct, identity.private_key, identity.certificate, list(identity.chain), "sha256"
    )
    path = folder / "endesive.pdf"
    path.write_bytes(data + appended)
    return Signed(path, _replace_in(path, b"01/UBND", b"02/UBND"))


def _classic_xref_pdf(text: str) -> bytes:
    # endesive appends its update in the style of the file's last cross-reference
    # section; its cross-reference-stream path does not run on current pypdf.
    from pyhanko.pdf_utils import generic, writer

    w = writer.PdfFileWriter(stream_xrefs=False)
    content = w.add_object(
        generic.StreamObject(stream_data=f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode())
    )
    box = generic.ArrayObject(map(generic.NumberObject, [0, 0, 595, 842]))
    w.insert_page(writer.PageObject(contents=content, media_box=box))
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def _no_endesive() -> None:
    # as the `tool` fixture does: skip locally, fail where interop is required
    if os.environ.get("VNSIGN_REQUIRE_INTEROP") == "1":
        pytest.fail("endesive is required when VNSIGN_REQUIRE_INTEROP=1", pytrace=False)
    pytest.skip("interop: endesive is not installed (pip install -e '.[dev]')")


def _endesive_cms() -> types.ModuleType:
    """endesive's PDF signer. Its package also imports endesive's verifier, which
    needs the unmaintained ``certvalidator``/``oscrypto`` pair; oscrypto cannot
    read OpenSSL 3's version, so that import is stood in for (vnsign uses
    pyhanko-certvalidator, never ``certvalidator``; only the signer runs here)."""
    try:
        importlib.import_module("certvalidator")
    except ImportError:
        _no_endesive()
    except Exception:  # oscrypto: LibraryNotFoundError on OpenSSL 3
        sys.modules["certvalidator"] = types.ModuleType("certvalidator")
    try:
        return importlib.import_module("endesive.pdf.cms")
    except ImportError:
        _no_endesive()
        raise


def _xmlsec1(identity: TestIdentity, folder: Path, tool: Callable[[str], str]) -> Signed:
    template = TEMPLATE.format(c14n=INCLUSIVE_C14N, method=RSA_SHA256, uri="")
    path = xmlsec1_sign(tool("xmlsec1"), identity, template, folder)
    return Signed(path, _replace_in(path, b"01/UBND", b"02/UBND"))


def _signxml(identity: TestIdentity, folder: Path, tool: Callable[[str], str]) -> Signed:
    from signxml import XMLSigner

    chain = [c.public_bytes(Encoding.PEM).decode() for c in (identity.certificate, *identity.chain)]
    root = XMLSigner().sign(etree.fromstring(XML.encode()), key=identity.private_key, cert=chain)
    path = folder / "signxml.xml"
    path.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    return Signed(path, _replace_in(path, b"01/UBND", b"02/UBND"))


def _openssl_cms(identity: TestIdentity, folder: Path, tool: Callable[[str], str]) -> Signed:
    openssl = tool("openssl")
    key, cert, chain = _pem_files(identity, folder)
    attachment = folder / "phu-luc.docx"
    attachment.write_bytes(b"PK\x03\x04 phu luc 01/UBND-VP kem theo cong van" * 50)
    path = folder / "phu-luc.docx.p7s"
    command = [openssl, "cms", "-sign", "-binary", "-outform", "DER", "-md", "sha256"]
    command += ["-in", str(attachment), "-out", str(path)]
    command += ["-signer", str(cert), "-inkey", str(key), "-certfile", str(chain)]
    subprocess.run(command, check=True, capture_output=True, timeout=60)
    return Signed(path, _replace_in(attachment, b"01/UBND", b"02/UBND"))


PRODUCERS = {
    "pyhanko": (_pyhanko, "pdf"),
    "endesive": (_endesive, "pdf"),
    "xmlsec1": (_xmlsec1, "xml"),
    "signxml": (_signxml, "xml"),
    "openssl-cms": (_openssl_cms, "cms"),
}
# case -> (verdict, sub-indication on the signature, or None)
CASES = {
    "intact, test roots trusted": (Verdict.VALID, None),
    "a signed byte changed": (Verdict.INVALID, SubIndication.HASH_FAILURE),
    "only the real Vietnamese roots trusted": (
        Verdict.INDETERMINATE,
        SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("producer", list(PRODUCERS))
def test_verdict_whatever_tool_signed(
    producer: str,
    case: str,
    vn_pki: TestPKI,
    tmp_path: Path,
    tool: Callable[[str], str],
) -> None:
    make, kind = PRODUCERS[producer]
    signed = make(vn_pki.organization, tmp_path, tool)
    if case == "a signed byte changed":
        signed.tamper()
    trust = vn_pki.trust_store() if case != "only the real Vietnamese roots trusted" else None
    verifier = Verifier(trust=trust, timeout=2) if trust is not None else Verifier(timeout=2)
    report = verifier.verify(signed.path)
    verdict, sub = CASES[case]
    assert report.format == kind
    assert report.verdict is verdict, (report.summary.en, report.signatures)
    [signature] = report.signatures
    assert signature.sub_indication is sub
    if verdict is not Verdict.INVALID:
        assert signature.signer is not None
        assert signature.signer.identifiers  # the organisation's MST, read from the certificate
