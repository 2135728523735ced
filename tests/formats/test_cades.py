"""Detached CAdES signatures for any file: vnsign signs, openssl verifies, and back."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import subprocess
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import cms
from cryptography.hazmat.primitives import serialization

from vnsign.cli import EXIT_ERROR, EXIT_USAGE, main
from vnsign.errors import (
    CertificateNotUsableError,
    HostileInputError,
    InputError,
    MalformedInputError,
    UnsupportedFormatError,
)
from vnsign.formats.cades import (
    MAX_SIGNATURE_SIZE,
    CadesLevel,
    Content,
    sign_cades,
    sign_cades_file,
    verify_cades,
)
from vnsign.pki.credentials import KeyCredential, SignatureScheme
from vnsign.pki.timestamps import TimestampClient
from vnsign.testing import TestIdentity, TestPKI

PEM = serialization.Encoding.PEM


def credential(ident: TestIdentity) -> KeyCredential:
    return KeyCredential(ident.private_key, ident.certificate, ident.chain)


@pytest.fixture
def attachment(tmp_path: Path) -> Path:
    """A binary attachment, like the .docx that travels beside a signed PDF."""
    path = tmp_path / "Phụ lục 01 - báo cáo.docx"
    path.write_bytes(b"PK\x03\x04" + os.urandom(200_000))
    return path


@pytest.fixture
def roots(vn_pki: TestPKI, tmp_path: Path) -> Path:
    path = tmp_path / "roots.pem"
    path.write_bytes(b"".join(root.public_bytes(PEM) for root in vn_pki.roots))
    return path


def openssl_verify(
    openssl: str, p7s: Path, content: Path, roots: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            openssl,
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            str(p7s),
            "-content",
            str(content),
            "-CAfile",
            str(roots),
            "-out",
            os.devnull,
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def signed_attributes(p7s: bytes) -> dict[str, object]:
    signer = cms.ContentInfo.load(p7s)["content"]["signer_infos"][0]
    return {attr["type"].native: attr["values"][0].native for attr in signer["signed_attrs"]}


@pytest.mark.interop
@pytest.mark.parametrize(
    ("profile", "scheme", "algorithm"),
    [
        ("person", SignatureScheme.PKCS1V15, "sha256_rsa"),
        ("person-in-org", SignatureScheme.PSS, "rsassa_pss"),
        ("ecdsa", SignatureScheme.PKCS1V15, "sha256_ecdsa"),
    ],
)
def test_openssl_accepts_what_vnsign_signs(
    vn_pki: TestPKI,
    attachment: Path,
    roots: Path,
    tool: Callable[[str], str],
    profile: str,
    scheme: SignatureScheme,
    algorithm: str,
) -> None:
    ident = vn_pki.variant("ecdsa-p256") if profile == "ecdsa" else vn_pki.issue(profile)
    before = datetime.now(UTC).replace(microsecond=0)
    p7s = sign_cades_file(attachment, credential(ident), scheme=scheme)
    assert p7s == attachment.with_name(attachment.name + ".p7s")
    done = openssl_verify(tool("openssl"), p7s, attachment, roots)
    assert done.returncode == 0, done.stderr
    assert "Verification successful" in done.stderr

    # CAdES-B-B signed attributes
    attrs = signed_attributes(p7s.read_bytes())
    assert attrs["content_type"] == "data"
    assert attrs["message_digest"] == hashlib.sha256(attachment.read_bytes()).digest()
    assert "signing_certificate_v2" in attrs
    assert isinstance(attrs["signing_time"], datetime)
    assert before <= attrs["signing_time"] <= datetime.now(UTC) + timedelta(seconds=1)

    result = verify_cades(attachment, p7s)
    assert result.valid
    (signer,) = result.signers
    assert (signer.level, signer.signature_algorithm) == (CadesLevel.B_B, algorithm)
    assert signer.signer_certificate == ident.certificate
    assert set(result.certificates) == {ident.certificate, *ident.chain}
    assert (signer.weak_algorithms, signer.problems, signer.timestamps) == ((), (), ())


@pytest.mark.interop
@pytest.mark.parametrize("hash_algorithm", ["sha384", "sha512"])
def test_other_digest_algorithms(
    vn_pki: TestPKI, attachment: Path, roots: Path, tool: Callable[[str], str], hash_algorithm: str
) -> None:
    p7s = sign_cades_file(
        attachment, credential(vn_pki.organization), hash_algorithm=hash_algorithm
    )
    assert openssl_verify(tool("openssl"), p7s, attachment, roots).returncode == 0
    (signer,) = verify_cades(attachment, p7s).signers
    assert signer.valid and signer.digest_algorithm == hash_algorithm


@pytest.mark.interop
def test_cades_b_t_time_stamp_covers_the_signature(
    vn_pki: TestPKI, attachment: Path, roots: Path, tool: Callable[[str], str]
) -> None:
    tsa = TimestampClient(vn_pki.services.tsa_url)
    p7s = sign_cades_file(attachment, credential(vn_pki.person), tsa=tsa)
    assert openssl_verify(tool("openssl"), p7s, attachment, roots).returncode == 0
    (signer,) = verify_cades(attachment, p7s).signers
    assert signer.valid and signer.level is CadesLevel.B_T
    (stamp,) = signer.timestamps
    assert stamp.covers_signature and stamp.token_signature_valid
    assert stamp.token.tsa_certificate == vn_pki.tsa.certificate
    info = cms.ContentInfo.load(p7s.read_bytes())["content"]["signer_infos"][0]
    assert stamp.token.message_imprint == hashlib.sha256(info["signature"].native).digest()
    assert abs(stamp.token.gen_time - datetime.now(UTC)) < timedelta(minutes=1)

    # A time-stamp moved from another signature does not cover this one.
    other = cms.ContentInfo.load(sign_cades(b"another file", credential(vn_pki.person), tsa=tsa))
    moved = cms.ContentInfo.load(p7s.read_bytes())
    moved_info = moved["content"]["signer_infos"][0]
    moved_info["unsigned_attrs"] = other["content"]["signer_infos"][0]["unsigned_attrs"]
    (signer,) = verify_cades(attachment, moved.dump()).signers
    assert signer.content_intact and signer.signature_valid
    assert not signer.timestamps[0].covers_signature
    assert not signer.valid
    assert "covers other data" in " ".join(signer.problems)


@pytest.mark.interop
def test_vnsign_accepts_what_openssl_signs(
    vn_pki: TestPKI, attachment: Path, tmp_path: Path, tool: Callable[[str], str]
) -> None:
    openssl = tool("openssl")
    ident = vn_pki.person_in_org
    key, cert, chain = tmp_path / "key.pem", tmp_path / "cert.pem", tmp_path / "chain.pem"
    key.write_bytes(ident.key_pem)
    cert.write_bytes(ident.cert_pem)
    chain.write_bytes(b"".join(c.public_bytes(PEM) for c in ident.chain))
    cases = {
        "plain": ([], CadesLevel.CMS, ()),
        "cades": (["-cades"], CadesLevel.B_B, ()),
        "sha1": (["-md", "sha1"], CadesLevel.CMS, ("sha1",)),  # OBS-SHA1-LEGACY
        "pem": (["-outform", "PEM"], CadesLevel.CMS, ()),
    }
    for name, (options, level, weak) in cases.items():
        p7s = tmp_path / f"{name}.p7s"
        subprocess.run(
            [
                openssl,
                "cms",
                "-sign",
                "-binary",
                "-outform",
                "DER",
                "-in",
                str(attachment),
                "-signer",
                str(cert),
                "-inkey",
                str(key),
                "-certfile",
                str(chain),
                "-out",
                str(p7s),
                *options,
            ],
            check=True,
            capture_output=True,
        )
        result = verify_cades(attachment, p7s)
        assert result.valid, (name, result)
        (signer,) = result.signers
        assert (signer.level, signer.weak_algorithms) == (level, weak), name
        assert signer.signer_certificate == ident.certificate
        assert ident.chain[0] in result.certificates

    # a second signer added by openssl: both are checked
    other = tmp_path / "other-key.pem"
    other.write_bytes(vn_pki.organization.key_pem)
    (tmp_path / "other.pem").write_bytes(vn_pki.organization.cert_pem)
    both = tmp_path / "both.p7s"
    subprocess.run(
        [
            openssl,
            "cms",
            "-resign",
            "-binary",
            "-inform",
            "DER",
            "-outform",
            "DER",
            "-in",
            str(tmp_path / "plain.p7s"),
            "-content",
            str(attachment),
            "-signer",
            str(tmp_path / "other.pem"),
            "-inkey",
            str(other),
            "-out",
            str(both),
        ],
        check=True,
        capture_output=True,
    )
    result = verify_cades(attachment, both)
    assert result.valid
    assert {s.signer_certificate for s in result.signers} == {
        ident.certificate,
        vn_pki.organization.certificate,
    }


def test_changed_content_or_signature_byte_fails(vn_pki: TestPKI, attachment: Path) -> None:
    p7s = sign_cades(attachment, credential(vn_pki.person))
    data = bytearray(attachment.read_bytes())
    data[100_000] ^= 0x01
    (signer,) = verify_cades(bytes(data), p7s).signers
    assert not signer.content_intact and signer.signature_valid and not signer.valid
    assert signer.problems == (
        "the content does not match the signed digest (changed after signing)",
    )

    value = cms.ContentInfo.load(p7s)["content"]["signer_infos"][0]["signature"].native
    flipped = bytearray(p7s)
    at = bytes(flipped).index(value) + len(value) // 2
    flipped[at] ^= 0x80
    result = verify_cades(attachment, bytes(flipped))
    (signer,) = result.signers
    assert signer.content_intact and not signer.signature_valid and not result.valid
    assert "does not verify with the signer's certificate" in signer.problems[0]

    # a signature by someone else's key under this certificate fails the same way
    forged = cms.ContentInfo.load(sign_cades(attachment, credential(vn_pki.organization)))
    forged_info = forged["content"]["signer_infos"][0]
    forged_info["signature"] = cms.ContentInfo.load(p7s)["content"]["signer_infos"][0]["signature"]
    assert not verify_cades(attachment, forged.dump()).valid


def test_content_and_signature_in_every_form(
    vn_pki: TestPKI, attachment: Path, tmp_path: Path
) -> None:
    p7s_path = sign_cades_file(attachment, credential(vn_pki.person), output=tmp_path / "s.p7s")
    der = p7s_path.read_bytes()
    pem = tmp_path / "s.pem"
    pem.write_bytes(b"-----BEGIN CMS-----\n" + _base64_lines(der) + b"-----END CMS-----\n")
    content = attachment.read_bytes()
    forms: list[Callable[[], Content]] = [
        lambda: content,
        lambda: attachment,
        lambda: str(attachment),
        lambda: io.BytesIO(content),
    ]
    for data in forms:
        for signature in (der, p7s_path, str(p7s_path), pem):
            assert verify_cades(data(), signature).valid, (data(), signature)


def _base64_lines(der: bytes) -> bytes:
    text = base64.b64encode(der)
    return b"".join(text[i : i + 64] + b"\n" for i in range(0, len(text), 64))


def test_malformed_or_hostile_signatures_raise_one_line_input_errors(
    vn_pki: TestPKI, attachment: Path, tmp_path: Path
) -> None:
    good = sign_cades(attachment, credential(vn_pki.person))
    certs_only = cms.ContentInfo.load(good)
    certs_only["content"]["signer_infos"] = []
    attached = cms.ContentInfo.load(good)
    attached["content"]["encap_content_info"] = {"content_type": "data", "content": b"inside"}
    nested = b"\x30\x80" * 20_000 + b"\x00\x00" * 20_000  # deep indefinite-length nesting
    cases: dict[str, tuple[bytes, type[InputError]]] = {
        "garbage": (b"not a signature at all", MalformedInputError),
        "empty": (b"", MalformedInputError),
        "truncated": (good[: len(good) // 2], MalformedInputError),
        "trailing": (good + b"\x00", MalformedInputError),
        "certificate": (vn_pki.person.cert_der, MalformedInputError),
        "certs-only": (certs_only.dump(force=True), MalformedInputError),
        "nested": (nested, InputError),
        "bad-pem": (b"-----BEGIN CMS-----\n!!!\n-----END CMS-----\n", MalformedInputError),
        "attached": (attached.dump(force=True), UnsupportedFormatError),
    }
    for name, (data, error) in cases.items():
        with pytest.raises(error) as caught:
            verify_cades(attachment, data)
        assert "\n" not in str(caught.value), name
    huge = tmp_path / "huge.p7s"
    with huge.open("wb") as stream:
        stream.truncate(MAX_SIGNATURE_SIZE + 1)  # sparse: costs no disk
    with pytest.raises(HostileInputError, match="at most"):
        verify_cades(attachment, huge)
    with pytest.raises(InputError, match="cannot read"):
        verify_cades(attachment, tmp_path / "missing.p7s")
    with pytest.raises(InputError, match="cannot read"):
        verify_cades(tmp_path / "missing.docx", good)


def test_large_file_is_hashed_in_chunks_and_left_untouched(vn_pki: TestPKI, tmp_path: Path) -> None:
    big = tmp_path / "ho-so.zip"
    size = 8 << 20
    with big.open("wb") as stream:
        for _ in range(8):
            stream.write(os.urandom(1 << 20))
    before = (hashlib.sha256(big.read_bytes()).digest(), big.stat().st_mtime_ns)
    cred = credential(vn_pki.person)
    tracemalloc.start()
    try:
        p7s = sign_cades_file(big, cred)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3 << 20, f"peak {peak} bytes for a {size}-byte file"
    assert (hashlib.sha256(big.read_bytes()).digest(), big.stat().st_mtime_ns) == before
    tracemalloc.start()
    try:
        assert verify_cades(big, p7s).valid
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3 << 20


def test_output_is_written_atomically_with_normal_permissions(
    vn_pki: TestPKI, attachment: Path, tmp_path: Path
) -> None:
    out = tmp_path / "chu-ky.p7s"
    out.write_bytes(b"old signature")
    old_umask = os.umask(0o022)
    try:
        written = sign_cades_file(attachment, credential(vn_pki.person), output=out)
    finally:
        os.umask(old_umask)
    assert written == out
    assert out.stat().st_mode & 0o777 == 0o644  # not mkstemp's 0600
    assert verify_cades(attachment, out).valid
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([attachment.name, out.name])
    with pytest.raises(InputError, match="overwrite the file it signs"):
        sign_cades_file(attachment, credential(vn_pki.person), output=attachment)
    with pytest.raises(InputError, match="cannot write"):
        sign_cades_file(attachment, credential(vn_pki.person), output=tmp_path / "no" / "x.p7s")
    with pytest.raises(InputError, match="no such file"):
        sign_cades_file(tmp_path / "missing.docx", credential(vn_pki.person))
    assert not list(tmp_path.glob(".*.tmp"))


def test_expired_certificate_is_refused(
    vn_make_cert: Callable[..., TestIdentity], attachment: Path
) -> None:
    with pytest.raises(CertificateNotUsableError, match="expired"):
        sign_cades_file(attachment, credential(vn_make_cert("expired")))
    assert not attachment.with_name(attachment.name + ".p7s").exists()


@pytest.mark.interop
def test_sign_cades_command(
    vn_pki: TestPKI,
    attachment: Path,
    roots: Path,
    tmp_path: Path,
    tool: Callable[[str], str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    p12 = tmp_path / "nguyen-van-an.p12"
    p12.write_bytes(vn_pki.person.pkcs12(b"mat-khau"))
    monkeypatch.setenv("P12_PASSWORD", "mat-khau")
    args = ["sign", "cades", str(attachment), "--p12", str(p12), "--password-env", "P12_PASSWORD"]
    assert main([*args, "--tsa", vn_pki.services.tsa_url]) == 0
    out = capsys.readouterr().out
    p7s = attachment.with_name(attachment.name + ".p7s")
    assert f"→ {p7s}" in out
    assert "CAdES-B-T · sha256 · RSA 2048 · Nguyễn Văn An · CCCD:" in out
    assert openssl_verify(tool("openssl"), p7s, attachment, roots).returncode == 0
    assert verify_cades(attachment, p7s).signers[0].level is CadesLevel.B_T

    key, cert = tmp_path / "org.key", tmp_path / "org.pem"
    key.write_bytes(vn_pki.organization.key_pem)
    cert.write_bytes(vn_pki.organization.chain_pem)
    out_path = tmp_path / "org.p7s"
    assert main(
        ["sign", "cades", str(attachment), "--key", str(key), "--cert", str(cert),
         "--out", str(out_path), "--pss", "--hash", "sha384"]
    ) == 0  # fmt: skip
    assert "RSA-PSS 2048" in capsys.readouterr().out
    (signer,) = verify_cades(attachment, out_path).signers
    assert signer.valid and signer.signature_algorithm == "rsassa_pss"
    assert signer.digest_algorithm == "sha384"
    assert signer.signer_certificate == vn_pki.organization.certificate

    monkeypatch.setenv("P12_PASSWORD", "sai-mat-khau")
    assert main(args) == EXIT_ERROR
    err = capsys.readouterr().err
    assert err == "vnsign: wrong password for the PKCS#12 file\n"
    assert main(["sign", "cades", str(attachment)]) == EXIT_USAGE
    assert "give one key" in capsys.readouterr().err
    assert main(["sign", "cades", str(attachment), "--key", str(key)]) == EXIT_USAGE
    assert main(["sign", "cades", str(tmp_path / "missing.docx"), "--p12", str(p12)]) == EXIT_USAGE
