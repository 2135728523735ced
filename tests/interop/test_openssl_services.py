"""The test PKI's services as an independent client sees them: OpenSSL's ocsp, ts,
verify -crl_check and x509 -text."""

from __future__ import annotations

import subprocess
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from vnsign.testing import Profile, TestIdentity, TestPKI, Variant

pytestmark = pytest.mark.interop
_PEM = Encoding.PEM


@pytest.fixture
def openssl(tool: Callable[[str], str], tmp_path: Path) -> Callable[..., str]:
    exe = tool("openssl")

    def run(*args: str, ok: bool = True) -> str:
        proc = subprocess.run(
            [exe, *args], cwd=tmp_path, capture_output=True, text=True, timeout=30
        )
        if ok:
            assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout + proc.stderr

    return run


def write(folder: Path, name: str, data: bytes) -> str:
    (folder / name).write_bytes(data)
    return name


@pytest.fixture
def revoked(vn_pki: TestPKI) -> TestIdentity:
    return vn_pki.variant(Variant.REVOKED)


def test_openssl_ocsp_verifies_signed_good_and_revoked_answers(
    vn_pki: TestPKI, revoked: TestIdentity, openssl: Callable[..., str], tmp_path: Path
) -> None:
    issuer = write(tmp_path, "issuer.pem", vn_pki.public_ca.certificate.public_bytes(_PEM))
    roots = write(tmp_path, "roots.pem", b"".join(c.public_bytes(_PEM) for c in vn_pki.roots))
    good = write(tmp_path, "good.pem", vn_pki.person.cert_pem)
    bad = write(tmp_path, "revoked.pem", revoked.cert_pem)
    out = openssl(
        "ocsp",
        "-issuer",
        issuer,
        "-cert",
        good,
        "-cert",
        bad,
        "-url",
        vn_pki.services.ocsp_url,
        "-CAfile",
        roots,
        "-verify_other",
        issuer,
    )
    assert "Response verify OK" in out
    assert "good.pem: good" in out
    assert "revoked.pem: revoked" in out
    assert "Reason: keyCompromise" in out


def test_openssl_ocsp_for_the_government_branch(
    vn_pki: TestPKI, openssl: Callable[..., str], tmp_path: Path
) -> None:
    issuer = write(tmp_path, "gov-ca.pem", vn_pki.gov_ca.certificate.public_bytes(_PEM))
    roots = write(tmp_path, "roots.pem", vn_pki.gov_root.certificate.public_bytes(_PEM))
    leaf = write(tmp_path, "agency.pem", vn_pki.gov_agency.cert_pem)
    out = openssl(
        "ocsp",
        "-issuer",
        issuer,
        "-cert",
        leaf,
        "-url",
        vn_pki.services.ocsp_url,
        "-CAfile",
        roots,
        "-verify_other",
        issuer,
    )
    assert "Response verify OK" in out and "agency.pem: good" in out


def test_openssl_sees_the_revocation_in_the_downloaded_crl(
    vn_pki: TestPKI, revoked: TestIdentity, openssl: Callable[..., str], tmp_path: Path
) -> None:
    with urllib.request.urlopen(vn_pki.services.crl_url("public-ca"), timeout=5) as response:
        write(tmp_path, "public-ca.crl", response.read())
    with urllib.request.urlopen(vn_pki.services.crl_url("national-root"), timeout=5) as response:
        write(tmp_path, "root.crl", response.read())
    openssl("crl", "-inform", "DER", "-in", "public-ca.crl", "-out", "crls.pem")
    openssl("crl", "-inform", "DER", "-in", "root.crl", "-out", "root-crl.pem")
    crls = (tmp_path / "crls.pem").read_bytes() + (tmp_path / "root-crl.pem").read_bytes()
    write(tmp_path, "all-crls.pem", crls)
    write(tmp_path, "root.pem", vn_pki.national_root.certificate.public_bytes(_PEM))
    write(tmp_path, "ca.pem", vn_pki.public_ca.certificate.public_bytes(_PEM))
    write(tmp_path, "good.pem", vn_pki.person.cert_pem)
    write(tmp_path, "revoked.pem", revoked.cert_pem)
    common = [
        "-CAfile",
        "root.pem",
        "-untrusted",
        "ca.pem",
        "-crl_check_all",
        "-CRLfile",
        "all-crls.pem",
    ]
    assert "good.pem: OK" in openssl("verify", *common, "good.pem")
    out = openssl("verify", *common, "revoked.pem", ok=False)
    assert "certificate revoked" in out


def test_openssl_ts_verifies_a_token_from_the_tsa(
    vn_pki: TestPKI, openssl: Callable[..., str], tmp_path: Path
) -> None:
    write(tmp_path, "document.pdf", b"%PDF-1.7 test document for time-stamping")
    write(tmp_path, "roots.pem", vn_pki.national_root.certificate.public_bytes(_PEM))
    openssl("ts", "-query", "-data", "document.pdf", "-sha256", "-cert", "-out", "query.tsq")
    request = urllib.request.Request(
        vn_pki.services.tsa_url,
        data=(tmp_path / "query.tsq").read_bytes(),
        headers={"Content-Type": "application/timestamp-query"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.headers["Content-Type"] == "application/timestamp-reply"
        write(tmp_path, "reply.tsr", response.read())
    out = openssl(
        "ts", "-verify", "-in", "reply.tsr", "-queryfile", "query.tsq", "-CAfile", "roots.pem"
    )
    assert "Verification: OK" in out
    out = openssl(
        "ts", "-verify", "-in", "reply.tsr", "-data", "document.pdf", "-CAfile", "roots.pem"
    )
    assert "Verification: OK" in out
    write(tmp_path, "other.pdf", b"%PDF-1.7 a different document")
    out = openssl(
        "ts", "-verify", "-in", "reply.tsr", "-data", "other.pdf", "-CAfile", "roots.pem", ok=False
    )
    assert "Verification: FAILED" in out


def test_openssl_reads_a_tsa_rejection(
    vn_pki: TestPKI, openssl: Callable[..., str], tmp_path: Path
) -> None:
    write(tmp_path, "doc.txt", b"x")
    openssl("ts", "-query", "-data", "doc.txt", "-sha1", "-tspolicy", "1.2.3.4", "-out", "q.tsq")
    request = urllib.request.Request(
        vn_pki.services.tsa_url,
        data=(tmp_path / "q.tsq").read_bytes(),
        headers={"Content-Type": "application/timestamp-query"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        write(tmp_path, "r.tsr", response.read())
    out = openssl("ts", "-reply", "-in", "r.tsr", "-text")
    assert "Status: Rejected" in out
    assert "the requested TSA policy is not supported by the TSA" in out


@pytest.mark.parametrize("profile", list(Profile))
def test_vietnamese_subjects_survive_openssl_x509_text(
    vn_pki: TestPKI, profile: Profile, openssl: Callable[..., str], tmp_path: Path
) -> None:
    ident = vn_pki.issue(profile)
    write(tmp_path, "cert.pem", ident.cert_pem)
    out = openssl(
        "x509", "-in", "cert.pem", "-noout", "-subject", "-nameopt", "utf8,sep_multiline,sname"
    )
    expected = {attr.rfc4514_attribute_name: attr.value for attr in ident.certificate.subject}
    lines = {line.strip() for line in out.splitlines()}
    for attr in ident.certificate.subject:
        label = {"2.5.4.12": "title", "1.2.840.113549.1.9.1": "emailAddress"}.get(
            attr.rfc4514_attribute_name, attr.rfc4514_attribute_name
        )
        assert f"{label}={attr.value}" in lines, (label, expected, out)
