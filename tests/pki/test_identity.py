"""Vietnamese certificate identity: UID prefixes, person vs organisation, real CA certificates."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from vnsign.errors import MalformedInputError
from vnsign.pki.certificates import fingerprint_sha256, load_certificate, load_certificates
from vnsign.pki.identity import (
    CertificateInfo,
    Identifier,
    IdentifierScheme,
    Regime,
    SubjectKind,
    fold,
    identifiers_from_text,
)
from vnsign.testing import KeyType, TestPKI
from vnsign.testing._keys import take_key


@pytest.mark.parametrize(
    ("raw", "scheme", "value", "well_formed"),
    [
        ("MST:0106869738-012", IdentifierScheme.MST, "0106869738-012", True),
        ("MST:0104359717", IdentifierScheme.MST, "0104359717", True),
        ("mst: 0104359717", IdentifierScheme.MST, "0104359717", True),
        ("CCCD:001089012345", IdentifierScheme.CCCD, "001089012345", True),
        ("CCCD:12345", IdentifierScheme.CCCD, "12345", False),
        ("CMND:123456789", IdentifierScheme.CMND, "123456789", True),
        ("MNS:1047665", IdentifierScheme.MNS, "1047665", True),
        ("HC:B1234567", IdentifierScheme.HC, "B1234567", True),
        ("BHXH:0123456789", None, "BHXH:0123456789", True),
        ("0104359717", None, "0104359717", True),
    ],
)
def test_identifier_parse(
    raw: str, scheme: IdentifierScheme | None, value: str, well_formed: bool
) -> None:
    ident = Identifier.parse(raw)
    assert (ident.scheme, ident.value, ident.well_formed, ident.raw) == (
        scheme,
        value,
        well_formed,
        raw,
    )


def test_identifiers_from_text_reads_both_spellings() -> None:
    # vn-rules EINV-KEYINFO: .NET writes OID.0.9.2342.19200300.100.1.1=, Java writes UID=
    dotnet = "CN=CÔNG TY A, OID.0.9.2342.19200300.100.1.1=MST:0106869738-012, O=CÔNG TY A, C=VN"
    java = 'C=VN,ST=Ha Noi,O=MobiFone IT,UID=MST:0100686209-199,UID="CCCD:001089012345",CN=X'
    assert [str(i) for i in identifiers_from_text(dotnet)] == ["MST:0106869738-012"]
    assert [str(i) for i in identifiers_from_text(java)] == [
        "MST:0100686209-199",
        "CCCD:001089012345",
    ]
    assert identifiers_from_text("CN=Nobody, O=Nothing") == ()


def test_fold_drops_diacritics_and_case() -> None:
    assert fold("ỦY BAN NHÂN DÂN Tỉnh Đồng Tháp") == "uy ban nhan dan tinh dong thap"


def _cert(subject: list[tuple[x509.ObjectIdentifier, str]]) -> x509.Certificate:
    key = take_key(KeyType.ECDSA_P256)
    name = x509.Name([x509.NameAttribute(oid, value) for oid, value in subject])
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )


@pytest.mark.parametrize(
    ("subject", "regime", "kind"),
    [
        (
            [(NameOID.COMMON_NAME, "Nguyễn Văn An"), (NameOID.USER_ID, "CMND:123456789")],
            Regime.PUBLIC,
            SubjectKind.PERSON,
        ),
        (
            [
                (NameOID.ORGANIZATION_NAME, "CÔNG TY A"),
                (NameOID.COMMON_NAME, "CÔNG TY A"),
                (NameOID.USER_ID, "MST:0101010101"),
            ],
            Regime.PUBLIC,
            SubjectKind.ORGANIZATION,
        ),
        (
            [
                (NameOID.ORGANIZATION_NAME, "Sở Y tế"),
                (NameOID.COMMON_NAME, "Sở Y tế"),
                (NameOID.USER_ID, "MST:0400260612"),
                (NameOID.USER_ID, "MNS:1047665"),
            ],
            Regime.PUBLIC,
            SubjectKind.ORGANIZATION,
        ),
        (
            [
                (NameOID.ORGANIZATION_NAME, "ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI"),
                (NameOID.ORGANIZATIONAL_UNIT_NAME, "Sở Nội vụ"),
                (NameOID.COMMON_NAME, "Phạm Văn Tư"),
            ],
            Regime.OFFICIAL_DUTY,
            SubjectKind.GOVERNMENT_OFFICIAL,
        ),
        (
            [
                (NameOID.ORGANIZATION_NAME, "ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI"),
                (NameOID.COMMON_NAME, "Văn phòng Ủy ban nhân dân tỉnh"),
            ],
            Regime.OFFICIAL_DUTY,
            SubjectKind.GOVERNMENT_AGENCY,
        ),
        # no regime known yet: an official e-mail address suggests the Government CA
        (
            [
                (NameOID.COMMON_NAME, "Phạm Văn Tư"),
                (NameOID.EMAIL_ADDRESS, "pvtu@quangngai.gov.vn"),
            ],
            Regime.UNKNOWN,
            SubjectKind.GOVERNMENT_OFFICIAL,
        ),
        ([(NameOID.COMMON_NAME, "example.com")], Regime.UNKNOWN, SubjectKind.UNKNOWN),
    ],
)
def test_subject_kind(
    subject: list[tuple[x509.ObjectIdentifier, str]], regime: Regime, kind: SubjectKind
) -> None:
    assert CertificateInfo.from_certificate(_cert(subject), regime=regime).kind is kind


def test_info_of_test_pki_certificates(vn_pki: TestPKI) -> None:
    info = CertificateInfo.from_certificate(vn_pki.person_in_org.certificate, regime=Regime.PUBLIC)
    assert info.mst == "0123456789"
    assert info.cccd == "001181000002"
    assert info.cmnd is None
    assert info.ids(IdentifierScheme.MST) == ("0123456789",)
    assert info.issuer_common_name == "VNSIGN-CA TEST SHA-256"
    assert (info.key_algorithm, info.key_size, info.signature_algorithm) == (
        "RSA",
        2048,
        "sha256_rsa",
    )
    assert info.sha256_fingerprint == fingerprint_sha256(vn_pki.person_in_org.certificate)
    assert not info.is_ca
    assert "microsoft_document_signing" in info.extended_key_usage
    assert CertificateInfo.from_certificate(vn_pki.public_ca.certificate).is_ca


def test_load_certificates_accepts_pem_der_and_bundles(vn_pki: TestPKI, tmp_path: Path) -> None:
    assert load_certificate(vn_pki.person.cert_der) == vn_pki.person.certificate
    assert load_certificates(vn_pki.person.chain_pem) == [
        vn_pki.person.certificate,
        *vn_pki.person.chain,
    ]
    path = tmp_path / "c.pem"
    path.write_bytes(vn_pki.person.cert_pem)
    assert load_certificate(path) == vn_pki.person.certificate
    with pytest.raises(MalformedInputError):
        load_certificates(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    with pytest.raises(MalformedInputError):
        load_certificate(vn_pki.person.cert_der[:100])


def test_every_real_vietnamese_ca_certificate_reads(shared_trust: Path) -> None:
    manifest = json.loads((shared_trust / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest) > 60
    for entry in manifest:
        info = CertificateInfo.from_certificate(load_certificate(shared_trust / entry["file"]))
        assert info.sha256_fingerprint == entry["sha256"].upper(), entry["file"]
        assert info.common_name == entry["cn"], entry["file"]
        assert info.country == "VN"
    g2 = CertificateInfo.from_certificate(
        load_certificate(shared_trust / "root-vgca-rootca-chuyen-dung-chinh-phu-g2-2018-2048.pem")
    )
    assert g2.common_name == "RootCA chuyên dùng Chính phủ G2"
    assert g2.organization == "Ban Cơ yếu Chính phủ"
    assert g2.is_ca
    assert g2.kind is SubjectKind.CERTIFICATION_AUTHORITY


def _with_duplicate_key_usage(cert: x509.Certificate) -> bytes:
    """``cert`` carrying its key usage twice (the signature no longer matches;
    reading identity must not care)."""
    parsed = asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))
    tbs = parsed["tbs_certificate"].copy()
    extensions = list(tbs["extensions"])
    key_usage = next(e for e in extensions if e["extn_id"].native == "key_usage")
    tbs["extensions"] = [*extensions, key_usage.copy()]
    rebuilt = asn1_x509.Certificate(
        {
            "tbs_certificate": tbs,
            "signature_algorithm": parsed["signature_algorithm"],
            "signature_value": parsed["signature_value"],
        }
    )
    der: bytes = rebuilt.dump()
    return der


def _with_unknown_key_algorithm(cert: x509.Certificate) -> bytes:
    """``cert`` with its key algorithm OID swapped for an unassigned one of the
    same length (a stand-in for GOST or SM2 keys ``cryptography`` cannot load)."""
    der = cert.public_bytes(Encoding.DER)
    spki = asn1_x509.Certificate.load(der)["tbs_certificate"]["subject_public_key_info"]
    oid = spki["algorithm"]["algorithm"].dump()
    unknown = oid[:-1] + bytes([0x7F])
    assert der.count(oid) == 1
    return der.replace(oid, unknown)


def test_duplicate_extension_is_unreadable_not_a_crash(vn_pki: TestPKI) -> None:
    cert = x509.load_der_x509_certificate(_with_duplicate_key_usage(vn_pki.person.certificate))
    with pytest.raises(MalformedInputError, match="unreadable certificate"):
        CertificateInfo.from_certificate(cert)


def test_unknown_key_algorithm_still_reads_the_identity(vn_pki: TestPKI) -> None:
    cert = x509.load_der_x509_certificate(_with_unknown_key_algorithm(vn_pki.person.certificate))
    info = CertificateInfo.from_certificate(cert)
    assert (info.key_algorithm, info.key_size) == ("unknown", 0)
    original = CertificateInfo.from_certificate(vn_pki.person.certificate)
    assert original.key_algorithm != "unknown"
    assert (info.common_name, info.identifiers) == (original.common_name, original.identifiers)
