"""Helpers of ``test_cli_credentials.py`` (imported, not collected).

* :class:`Signer`: a credential as command-line arguments, with the certificate
  the signature must carry;
* one :class:`Command` per ``vnsign sign`` command: writes an input, says where
  the output goes, checks it with vnsign's verifier and with an independent tool
  (pdfsig, xmlsec1, openssl), as the format's own tests do;
* ``SoftHSM`` and ``USER_PIN``: the SoftHSM2 token builder of the PKCS#11 tests.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from _pdfs import trust_of
from vnsign.formats.cades import verify_cades
from vnsign.formats.einvoice import verify_invoice
from vnsign.formats.einvoice.samples import sample_invoice
from vnsign.formats.pdf.samples import administrative_document, handwritten_signature_png
from vnsign.formats.xml import verify_xml
from vnsign.formats.xml.namespaces import DS
from vnsign.pki.identity import CertificateInfo
from vnsign.pki.pkcs11 import SOFTHSM2_MODULES
from vnsign.pki.status import Indication
from vnsign.testing import TestPKI
from vnsign.testing.remote import GatewayUser
from vnsign.verify import Verdict, Verifier

Tool = Callable[[str], str]


def _tests_module(name: str, path: Path) -> ModuleType:
    # The PKCS#11 tests' token builder lives beside them; one copy serves both.
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


_softhsm = _tests_module("_softhsm", Path(__file__).resolve().parents[1] / "pki" / "_softhsm.py")
SoftHSM = _softhsm.SoftHSM
USER_PIN: str = _softhsm.USER_PIN


def softhsm_module() -> str:
    """libsofthsm2.so, where SoftHSM2 installs it."""
    found = next((p for p in SOFTHSM2_MODULES if p.is_file()), None)
    if found is None:
        raise AssertionError("softhsm2-util is installed but libsofthsm2.so is nowhere known")
    return str(found)


@dataclass(frozen=True)
class Signer:
    """A credential as ``vnsign sign`` arguments."""

    kind: str  #: p12, pem, token or remote
    arguments: list[str]
    certificate: x509.Certificate
    user: GatewayUser | None = field(default=None, compare=False)  #: for remote signers


def pem_files(pki: TestPKI, folder: Path) -> Path:
    """The test roots (for openssl) and, one per file, roots and issuing CAs (for xmlsec1)."""
    for name, cert in (
        ("national-root", pki.national_root.certificate),
        ("gov-root", pki.gov_root.certificate),
        ("public-ca", pki.public_ca.certificate),
        ("gov-ca", pki.gov_ca.certificate),
    ):
        (folder / f"{name}.pem").write_bytes(cert.public_bytes(Encoding.PEM))
    roots = folder / "roots.pem"
    roots.write_bytes(b"".join(root.public_bytes(Encoding.PEM) for root in pki.roots))
    return folder


def _xmlsec_trust(folder: Path) -> list[str]:
    # xmlsec1 reads one certificate per file
    return [
        *("--trusted-pem", str(folder / "national-root.pem")),
        *("--trusted-pem", str(folder / "gov-root.pem")),
        *("--untrusted-pem", str(folder / "public-ca.pem")),
        *("--untrusted-pem", str(folder / "gov-ca.pem")),
    ]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)


class Command:
    """One ``vnsign sign`` command as the tests drive it."""

    name = ""
    dialect = ""  #: the remote-signing dialect its remote case uses

    def make_input(self, folder: Path, certificate: x509.Certificate) -> Path:
        """Write a document ``certificate``'s holder may sign."""
        raise NotImplementedError

    def arguments(self, folder: Path, signer: Signer) -> list[str]:
        """Command arguments beyond FILE and the credential."""
        return []

    def output_of(self, source: Path) -> Path:
        """Where the command writes by default."""
        raise NotImplementedError

    def check(
        self, source: Path, output: Path, certificate: x509.Certificate, pki: TestPKI
    ) -> None:
        """vnsign's verifier: one valid signature, made with ``certificate``."""
        raise NotImplementedError

    def interop(self, tool: Tool, source: Path, output: Path, pems: Path) -> None:
        """An independent tool accepts the signature."""
        raise NotImplementedError


class PdfCommand(Command):
    name, dialect = "pdf", "smartca"

    def make_input(self, folder: Path, certificate: x509.Certificate) -> Path:
        name = CertificateInfo.from_certificate(certificate).display_name
        path = folder / "quyet-dinh.pdf"
        path.write_bytes(administrative_document(signer_name=name))
        return path

    def arguments(self, folder: Path, signer: Signer) -> list[str]:
        if signer.kind == "remote":
            return []  # remote PDFs are signed invisibly
        image = folder / "chu-ky.png"
        image.write_bytes(handwritten_signature_png())
        return ["--image", str(image)]

    def output_of(self, source: Path) -> Path:
        return source.with_name(source.stem + ".signed.pdf")

    def check(
        self, source: Path, output: Path, certificate: x509.Certificate, pki: TestPKI
    ) -> None:
        report = Verifier(trust=trust_of(pki), timeout=2).verify(output)
        assert report.verdict is Verdict.VALID, report.summary.en
        (signature,) = report.signatures
        assert signature.indication is Indication.TOTAL_PASSED
        assert signature.signer is not None
        fingerprint = hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest()
        assert signature.signer.certificate_sha256.lower() == fingerprint

    def interop(self, tool: Tool, source: Path, output: Path, pems: Path) -> None:
        report = _run(tool("pdfsig"), "-nocert", str(output)).stdout
        assert "Signature Validation: Signature is Valid." in report, report
        assert "Total document signed" in report, report


SAMPLE_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<HoSo xmlns="urn:vnsign:test"><VanBan Id="vb1"><TrichYeu>Quyết định về việc thử nghiệm'
    "</TrichYeu></VanBan></HoSo>\n"
).encode()


class XmlCommand(Command):
    name, dialect = "xml", "csc"
    file_name, content = "ho-so.xml", SAMPLE_XML

    def make_input(self, folder: Path, certificate: x509.Certificate) -> Path:
        path = folder / self.file_name
        path.write_bytes(self.content)
        return path

    def output_of(self, source: Path) -> Path:
        return source.with_name(source.stem + ".signed.xml")

    def check(
        self, source: Path, output: Path, certificate: x509.Certificate, pki: TestPKI
    ) -> None:
        result = verify_xml(output.read_bytes())
        assert result.valid
        assert [s.signer_certificate for s in result.signatures] == [certificate]

    def interop(self, tool: Tool, source: Path, output: Path, pems: Path) -> None:
        done = _run(tool("xmlsec1"), "--verify", *_xmlsec_trust(pems), str(output))
        assert done.returncode == 0, done.stderr


class InvoiceCommand(XmlCommand):
    name, dialect = "einvoice", "mss"
    file_name, content = "hoa-don.xml", sample_invoice(lines=3)  # seller: the PKI's company

    def check(
        self, source: Path, output: Path, certificate: x509.Certificate, pki: TestPKI
    ) -> None:
        report = verify_invoice(output.read_bytes())
        assert report.valid
        assert [s.signature.signer_certificate for s in report.signatures] == [certificate]

    def interop(self, tool: Tool, source: Path, output: Path, pems: Path) -> None:
        done = _run(
            tool("xmlsec1"),
            "--verify",
            *_xmlsec_trust(pems),
            *("--id-attr:Id", "DLHDon", "--id-attr:Id", f"{DS}:Object"),
            *("--node-xpath", "//*[local-name()='NBan']/*[local-name()='Signature']"),
            str(output),
        )
        assert done.returncode == 0, done.stderr


class CadesCommand(Command):
    name, dialect = "cades", "csc-v2"

    def make_input(self, folder: Path, certificate: x509.Certificate) -> Path:
        path = folder / "Phụ lục.xlsx"
        path.write_bytes(os.urandom(20_000))
        return path

    def output_of(self, source: Path) -> Path:
        return source.with_name(source.name + ".p7s")

    def check(
        self, source: Path, output: Path, certificate: x509.Certificate, pki: TestPKI
    ) -> None:
        result = verify_cades(source, output)
        assert result.valid
        assert [s.signer_certificate for s in result.signers] == [certificate]

    def interop(self, tool: Tool, source: Path, output: Path, pems: Path) -> None:
        done = _run(
            tool("openssl"), "cms", "-verify", "-binary", "-inform", "DER",
            "-in", str(output), "-content", str(source),
            "-CAfile", str(pems / "roots.pem"), "-out", os.devnull,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr


COMMANDS = (PdfCommand(), XmlCommand(), InvoiceCommand(), CadesCommand())
