"""Credentials from PKCS#12 and PEM: loading, refusals, signing, the pyHanko adapter."""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from vnsign.errors import (
    CertificateNotUsableError,
    CredentialError,
    CredentialLockedError,
    CredentialNotFoundError,
    InputError,
    SigningError,
)
from vnsign.pki.credentials import (
    Credential,
    HashAlgorithm,
    KeyCredential,
    KeyKind,
    SignatureScheme,
    load_credential,
)
from vnsign.pki.signer import CredentialSigner
from vnsign.testing import TestIdentity, TestPKI, Variant

DIGEST = hashlib.sha256(b"Quyet dinh so 01/QD-UBND").digest()


def credential_of(ident: TestIdentity, **options: bool) -> KeyCredential:
    return KeyCredential(ident.private_key, ident.certificate, ident.chain, **options)


def test_pkcs12_modern_and_legacy(vn_pki: TestPKI, tmp_path: Path) -> None:
    for legacy in (False, True):
        path = tmp_path / f"signer-{legacy}.pfx"
        path.write_bytes(vn_pki.person_in_org.pkcs12(b"mat-khau", legacy=legacy))
        cred = load_credential(path, "mat-khau")
        assert isinstance(cred, Credential)
        assert cred.certificate == vn_pki.person_in_org.certificate
        assert cred.chain == vn_pki.person_in_org.chain
        assert (cred.key_kind, cred.key_size) == (KeyKind.RSA, 2048)


def test_pem_key_with_certificates_in_any_order(vn_pki: TestPKI, tmp_path: Path) -> None:
    ident = vn_pki.organization
    key = tmp_path / "org.key"
    key.write_bytes(
        ident.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"pw"),
        )
    )
    certs = tmp_path / "certs.pem"
    pem = serialization.Encoding.PEM
    # root first, leaf in the middle, an unrelated certificate too
    certs.write_bytes(
        ident.chain[1].public_bytes(pem)
        + vn_pki.person.cert_pem
        + ident.cert_pem
        + ident.chain[0].public_bytes(pem)
    )
    cred = load_credential(key, "pw", certificates=certs)
    assert cred.certificate == ident.certificate
    assert cred.chain == ident.chain


def test_one_line_errors_for_wrong_password_missing_file_and_garbage(
    vn_pki: TestPKI, tmp_path: Path
) -> None:
    path = tmp_path / "a.p12"
    path.write_bytes(vn_pki.person.pkcs12(b"right"))
    with pytest.raises(CredentialLockedError, match="wrong password"):
        load_credential(path, "wrong")
    with pytest.raises(CredentialNotFoundError, match="no such credential file"):
        load_credential(tmp_path / "missing.p12", "x")
    junk = tmp_path / "junk.p12"
    junk.write_bytes(b"\x30\x03junk")
    with pytest.raises(InputError, match="PKCS#12"):
        load_credential(junk, "x")
    for exc in (CredentialLockedError, CredentialNotFoundError):
        assert "\n" not in str(exc("x"))


def test_key_must_match_certificate(vn_pki: TestPKI) -> None:
    with pytest.raises(CredentialError, match="does not belong"):
        KeyCredential(vn_pki.person.private_key, vn_pki.organization.certificate)
    key_only = vn_pki.person.key_pem
    with pytest.raises(CredentialNotFoundError, match="matches the private key"):
        KeyCredential.from_pem(key_only, vn_pki.organization.cert_pem)


@pytest.mark.parametrize(
    ("variant", "message"),
    [
        (Variant.EXPIRED, "expired on"),
        (Variant.NOT_YET_VALID, "not valid until"),
        (Variant.WRONG_KEY_USAGE, "not for signing"),
    ],
)
def test_unusable_certificates_are_refused_unless_overridden(
    vn_pki: TestPKI, variant: Variant, message: str
) -> None:
    ident = vn_pki.variant(variant)
    with pytest.raises(CertificateNotUsableError, match=message):
        credential_of(ident).sign_digest(DIGEST, "sha256")
    signature = credential_of(ident, allow_unusable=True).sign_digest(DIGEST, "sha256")
    public = ident.certificate.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(signature, DIGEST, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))


def test_signatures_verify_for_each_scheme(vn_pki: TestPKI) -> None:
    rsa_cred = credential_of(vn_pki.person)
    public = vn_pki.person.certificate.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    public.verify(
        rsa_cred.sign_digest(DIGEST, HashAlgorithm.SHA256, scheme=SignatureScheme.PSS),
        DIGEST,
        pss,
        utils.Prehashed(hashes.SHA256()),
    )
    ec_ident = vn_pki.variant(Variant.ECDSA_P256)
    ec_cred = credential_of(ec_ident)
    assert (ec_cred.key_kind, ec_cred.key_size) == (KeyKind.ECDSA, 256)
    ec_public = ec_ident.certificate.public_key()
    assert isinstance(ec_public, ec.EllipticCurvePublicKey)
    sig = ec_cred.sign_digest(DIGEST, "SHA-256")
    ec_public.verify(sig, DIGEST, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
    with pytest.raises(InvalidSignature):
        ec_public.verify(
            sig, hashlib.sha256(b"other").digest(), ec.ECDSA(utils.Prehashed(hashes.SHA256()))
        )


def test_bad_digests_and_sha1_are_refused(vn_pki: TestPKI) -> None:
    cred = credential_of(vn_pki.person)
    with pytest.raises(SigningError, match="SHA-1 is not allowed"):
        cred.sign_digest(hashlib.sha1(b"x").digest(), "sha1")
    with pytest.raises(InputError, match="32 bytes"):
        cred.sign_digest(b"short", "sha256")
    with pytest.raises(InputError, match="unsupported hash"):
        cred.sign_digest(DIGEST, "md5")


@pytest.mark.interop
@pytest.mark.parametrize("scheme", list(SignatureScheme))
@pytest.mark.parametrize("variant", [None, Variant.ECDSA_P256])
def test_pyhanko_adapter_makes_cms_that_openssl_verifies(
    vn_pki: TestPKI,
    tool: Callable[[str], str],
    tmp_path: Path,
    scheme: SignatureScheme,
    variant: Variant | None,
) -> None:
    ident = vn_pki.variant(variant) if variant else vn_pki.issue()
    signer = CredentialSigner(credential_of(ident), scheme=scheme)
    content = "Công văn số 123/UBND-VP".encode()
    signed = asyncio.run(signer.async_sign_general_data(content, "sha256", detached=True))
    (tmp_path / "doc.txt").write_bytes(content)
    (tmp_path / "doc.p7s").write_bytes(signed.dump())
    (tmp_path / "roots.pem").write_bytes(
        b"".join(c.public_bytes(serialization.Encoding.PEM) for c in vn_pki.roots)
    )
    proc = subprocess.run(
        [
            tool("openssl"),
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            "doc.p7s",
            "-content",
            "doc.txt",
            "-CAfile",
            "roots.pem",
            "-purpose",
            "any",
            "-out",
            "/dev/null",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Verification successful" in proc.stderr


def test_pyhanko_dry_run_does_not_sign(vn_pki: TestPKI) -> None:
    calls = []

    class Counting(KeyCredential):
        def sign_digest(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            calls.append(args)
            return super().sign_digest(*args, **kwargs)

    ident = vn_pki.person
    signer = CredentialSigner(Counting(ident.private_key, ident.certificate, ident.chain))
    dummy = asyncio.run(signer.async_sign_raw(b"data", "sha256", dry_run=True))
    assert dummy == bytes(256) and calls == []
    real = asyncio.run(signer.async_sign_raw(b"data", "sha256"))
    assert len(real) == 256 and len(calls) == 1
    ec_ident = vn_pki.variant(Variant.ECDSA_P256)
    ec_signer = CredentialSigner(credential_of(ec_ident))
    for _ in range(20):  # DER ECDSA signatures vary in length; the estimate must cover all
        assert (
            len(asyncio.run(ec_signer.async_sign_raw(b"x", "sha256")))
            <= ec_signer.max_signature_size
        )
