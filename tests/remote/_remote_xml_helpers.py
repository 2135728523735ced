"""Helpers of the deferred-XML and mixed-batch tests: documents and jobs, input
fingerprints, and the independent checks (pyHanko for PDFs, xmlsec1 for XML)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from _remote_helpers import Remote, simple_pdf
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext

from vnsign.formats.einvoice.samples import sample_invoice
from vnsign.formats.xml import XadesLevel, XadesOptions, XmlSignOptions
from vnsign.formats.xml.deferred import XmlJob
from vnsign.formats.xml.namespaces import DS, XADES
from vnsign.pki.remote.deferred_pdf import PdfJob
from vnsign.pki.timestamps import TimestampClient
from vnsign.testing import TestPKI
from vnsign.testing.remote import GatewayUser, PhoneAction

# The XML signature tests' helpers (SAMPLE, TrustFiles) live beside them; one copy serves both.
sys.path.append(str(Path(__file__).resolve().parents[1] / "formats" / "xml"))
from xmlsig_helpers import SAMPLE, TrustFiles

#: ``--id-attr`` arguments naming the IDs of SAMPLE, XAdES and e-invoices for xmlsec1.
ID_ATTRS = (
    *("--id-attr:Id", "urn:vnsign:test:VanBan"),
    *("--id-attr:Id", f"{XADES}:SignedProperties"),
    *("--id-attr:Id", "DLHDon"),
    *("--id-attr:Id", f"{DS}:Object"),
)


def company_user(remote: Remote) -> GatewayUser:
    """The test company at the gateway (it is the seller of the sample invoice);
    its phone approves every prompt at once."""
    user = remote.gateway.add_user(identity=remote.gateway.pki.organization)
    remote.gateway.phone.script(user, PhoneAction.APPROVE, delay=0.02)
    return user


def fingerprints(jobs: Iterable[Any]) -> dict[Path, str]:
    """SHA-256 of each job's source, to show inputs are never changed."""
    return {job.source: hashlib.sha256(job.source.read_bytes()).hexdigest() for job in jobs}


def resume_elsewhere(remote: Remote, tx_id: str) -> subprocess.CompletedProcess[str]:
    """``vnsign remote resume TX_ID`` in a new process (the SmartCA password from
    the environment, as in production)."""
    env = {**os.environ, "VNSIGN_SMARTCA_SP_PASSWORD": remote.gateway.sp_password}
    command = [sys.executable, "-m", "vnsign", "remote", "resume", tx_id]
    command += ["--store", str(remote.store_dir), "--poll-interval", "0.05"]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=False)


def xml_jobs(folder: Path, tsa_url: str) -> list[XmlJob]:
    """XMLDSig, XAdES-B-B, XAdES-B-T and a seller e-invoice signature."""
    folder.mkdir(parents=True, exist_ok=True)
    document, invoice = folder / "ho-so.xml", folder / "hoa-don.xml"
    document.write_bytes(SAMPLE)
    invoice.write_bytes(sample_invoice())
    b_t = XadesOptions(level=XadesLevel.B_T, tsa=TimestampClient(tsa_url))
    return [
        XmlJob(document, folder / "ho-so.dsig.xml", "Hồ sơ 1/HS"),
        XmlJob(
            document,
            folder / "ho-so.b-b.xml",
            "Hồ sơ 1/HS (XAdES)",
            options=XmlSignOptions(references=("#vb1",), xades=XadesOptions()),
        ),
        XmlJob(
            document,
            folder / "ho-so.b-t.xml",
            "Hồ sơ 1/HS (B-T)",
            options=XmlSignOptions(xades=b_t),
        ),
        XmlJob(invoice, folder / "hoa-don.signed.xml", "Hóa đơn 0000001", kind="einvoice"),
    ]


def pdf_jobs(folder: Path, count: int) -> list[PdfJob]:
    """``count`` one-page PDFs to sign."""
    folder.mkdir(parents=True, exist_ok=True)
    jobs = []
    for n in range(1, count + 1):
        source = folder / f"cv-{n}.pdf"
        source.write_bytes(simple_pdf(f"Cong van {n}"))
        jobs.append(PdfJob(source, folder / f"cv-{n}.signed.pdf", f"Công văn {n}/UBND-VP"))
    return jobs


def pdf_status(path: Path, pki: TestPKI) -> PdfSignatureStatus:
    """pyHanko's validation of the one signature of ``path``, trusting the test roots."""
    context = ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in pki.roots]
    )
    with path.open("rb") as handle:
        (embedded,) = PdfFileReader(handle).embedded_signatures
        return validate_pdf_signature(embedded, context)


def trust_files(pki: TestPKI, folder: Path) -> TrustFiles:
    """The test roots (trusted) and issuing CAs (untrusted), one PEM file each."""
    files = []
    for name, ca in (
        ("national-root", pki.national_root),
        ("gov-root", pki.gov_root),
        ("public-ca", pki.public_ca),
        ("gov-ca", pki.gov_ca),
    ):
        files.append(folder / f"{name}.pem")
        files[-1].write_bytes(ca.certificate.public_bytes(Encoding.PEM))
    return TrustFiles(tuple(files[:2]), tuple(files[2:]))


def xmlsec1_verify(
    xmlsec1: str, path: Path, trust: TrustFiles, node: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``xmlsec1 --verify`` of ``path`` (the Signature inside element ``node``, if given)."""
    where = ["--node-xpath", f"//*[local-name()='{node}']/*[local-name()='Signature']"]
    return subprocess.run(
        [xmlsec1, "--verify", *trust.arguments(), *ID_ATTRS, *(where if node else []), str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
