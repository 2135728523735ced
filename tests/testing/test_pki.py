"""The test PKI factory: hierarchy, Vietnamese subjects, variants, CRLs, export, speed."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import (
    AuthorityInformationAccessOID,
    ExtendedKeyUsageOID,
    NameOID,
)

from vnsign.pki.identity import CertificateInfo, IdentifierScheme, Regime, SubjectKind
from vnsign.testing import KeyType, Profile, TestPKI, Variant


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def test_hierarchy_matches_the_vietnamese_shape(vn_pki: TestPKI) -> None:
    national, public, gov_root, gov_ca = (
        vn_pki.national_root,
        vn_pki.public_ca,
        vn_pki.gov_root,
        vn_pki.gov_ca,
    )
    assert issued_by(national.certificate, national.certificate)
    assert issued_by(public.certificate, national.certificate)
    assert issued_by(gov_root.certificate, gov_root.certificate)
    assert issued_by(gov_ca.certificate, gov_root.certificate)
    assert not issued_by(gov_ca.certificate, national.certificate)
    for ca in vn_pki.cas:
        name = ca.certificate.subject.rfc4514_string()
        assert "TEST" in name, f"CA names must say TEST: {name}"
        constraints = ca.certificate.extensions.get_extension_for_class(x509.BasicConstraints)
        assert constraints.critical and constraints.value.ca
    assert "Ban Cơ yếu Chính phủ" in gov_root.certificate.subject.rfc4514_string()
    assert vn_pki.roots == (national.certificate, gov_root.certificate)


@pytest.mark.parametrize(
    ("label", "issuer_slug", "kind", "schemes"),
    [
        ("person", "public-ca", SubjectKind.PERSON, [IdentifierScheme.CCCD]),
        (
            "person_in_org",
            "public-ca",
            SubjectKind.PERSON,
            [IdentifierScheme.MST, IdentifierScheme.CCCD],
        ),
        ("organization", "public-ca", SubjectKind.ORGANIZATION, [IdentifierScheme.MST]),
        ("gov_official", "gov-ca", SubjectKind.GOVERNMENT_OFFICIAL, []),
        ("gov_agency", "gov-ca", SubjectKind.GOVERNMENT_AGENCY, [IdentifierScheme.MNS]),
    ],
)
def test_end_entities_follow_the_subject_conventions(
    vn_pki: TestPKI,
    label: str,
    issuer_slug: str,
    kind: SubjectKind,
    schemes: list[IdentifierScheme],
) -> None:
    ident = getattr(vn_pki, label)
    ca = vn_pki.ca(issuer_slug)
    assert issued_by(ident.certificate, ca.certificate)
    assert ident.chain == ca.chain
    regime = Regime.OFFICIAL_DUTY if issuer_slug == "gov-ca" else Regime.PUBLIC
    info = CertificateInfo.from_certificate(ident.certificate, regime=regime)
    assert info.kind is kind
    assert [i.scheme for i in info.identifiers] == schemes
    assert all(i.well_formed for i in info.identifiers)
    assert info.country == "VN"
    assert {"digital_signature", "non_repudiation"} <= info.key_usage


def test_vietnamese_names_are_utf8_strings(vn_pki: TestPKI) -> None:
    cert = asn1_x509.Certificate.load(vn_pki.person_in_org.cert_der)
    types = {
        attr["type"].native: type(attr["value"].chosen).__name__
        for rdn in cert.subject.chosen
        for attr in rdn
    }
    assert types["common_name"] == "UTF8String"
    assert types["user_id"] == "UTF8String"
    assert types["organization_name"] == "UTF8String"
    assert types["country_name"] == "PrintableString"
    info = CertificateInfo.from_certificate(vn_pki.person_in_org.certificate)
    assert info.common_name == "Trần Thị Bình"
    assert info.organization == "CÔNG TY CỔ PHẦN THỬ NGHIỆM VNSIGN"
    assert info.title == "Giám đốc"


def test_person_in_org_carries_repeated_uid_in_certificate_order(vn_pki: TestPKI) -> None:
    uids = [
        a.value
        for a in vn_pki.person_in_org.certificate.subject.get_attributes_for_oid(NameOID.USER_ID)
    ]
    assert uids == ["MST:0123456789", "CCCD:001181000002"]


def test_every_issued_certificate_points_at_the_live_services(vn_pki: TestPKI) -> None:
    cert = vn_pki.person.certificate
    aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    urls = {d.access_method: d.access_location.value for d in aia}
    assert urls[AuthorityInformationAccessOID.OCSP] == vn_pki.services.ocsp_url
    assert urls[AuthorityInformationAccessOID.CA_ISSUERS] == vn_pki.services.ca_issuers_url(
        "public-ca"
    )
    cdp = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert cdp[0].full_name[0].value == vn_pki.services.crl_url("public-ca")
    # intermediates point at their root's services
    inter = vn_pki.gov_ca.certificate.extensions.get_extension_for_class(x509.CRLDistributionPoints)
    assert inter.value[0].full_name[0].value == vn_pki.services.crl_url("gov-root")


def test_tsa_and_ocsp_certificates_have_their_purposes(vn_pki: TestPKI) -> None:
    eku = vn_pki.tsa.certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical
    assert list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    for ca in vn_pki.cas:
        responder = ca.ocsp_responder
        assert responder is not None
        assert issued_by(responder.certificate, ca.certificate)
        ext = responder.certificate.extensions
        assert list(ext.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
            ExtendedKeyUsageOID.OCSP_SIGNING
        ]
        ext.get_extension_for_class(x509.OCSPNoCheck)


def test_variant_expired_and_not_yet_valid(vn_pki: TestPKI) -> None:
    expired = vn_pki.variant(Variant.EXPIRED).certificate
    future = vn_pki.variant(Variant.NOT_YET_VALID).certificate
    assert expired.not_valid_after_utc < vn_pki.now
    assert future.not_valid_before_utc > vn_pki.now
    assert issued_by(expired, vn_pki.public_ca.certificate)


def test_variant_revoked_appears_in_the_crl_with_reason_and_date(vn_pki: TestPKI) -> None:
    at = vn_pki.now - timedelta(days=3)
    revoked = vn_pki.variant(
        Variant.REVOKED, revoked_at=at, reason=x509.ReasonFlags.cessation_of_operation
    )
    crl = vn_pki.public_ca.crl()
    entry = crl.get_revoked_certificate_by_serial_number(revoked.certificate.serial_number)
    assert entry is not None
    assert entry.revocation_date_utc == at
    reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    assert reason is x509.ReasonFlags.cessation_of_operation
    assert crl.is_signature_valid(vn_pki.public_ca.private_key.public_key())
    assert (
        crl.get_revoked_certificate_by_serial_number(vn_pki.person.certificate.serial_number)
        is None
    )


def test_revocation_in_the_future_is_not_yet_listed(vn_pki: TestPKI) -> None:
    ident = vn_pki.issue()
    vn_pki.revoke(ident, at=vn_pki.now + timedelta(days=30))
    serial = ident.certificate.serial_number
    assert vn_pki.public_ca.crl().get_revoked_certificate_by_serial_number(serial) is None
    later = vn_pki.public_ca.crl(now=vn_pki.now + timedelta(days=31))
    assert later.get_revoked_certificate_by_serial_number(serial) is not None


def test_variant_weak_and_legacy_algorithms(vn_pki: TestPKI) -> None:
    weak = vn_pki.variant(Variant.RSA1024).certificate.public_key()
    assert isinstance(weak, rsa.RSAPublicKey) and weak.key_size == 1024
    sha1 = vn_pki.variant(Variant.SHA1).certificate
    assert sha1.signature_hash_algorithm is not None
    assert sha1.signature_hash_algorithm.name == "sha1"
    # the SHA-1 signature is real: it verifies under the issuer key with SHA-1
    assert CertificateInfo.from_certificate(sha1).signature_algorithm == "sha1_rsa"
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    issuer_key = vn_pki.public_ca.certificate.public_key()
    assert isinstance(issuer_key, rsa.RSAPublicKey)
    issuer_key.verify(sha1.signature, sha1.tbs_certificate_bytes, padding.PKCS1v15(), hashes.SHA1())
    ec_key = vn_pki.variant(Variant.ECDSA_P256).certificate.public_key()
    assert isinstance(ec_key, ec.EllipticCurvePublicKey) and ec_key.curve.name == "secp256r1"


def test_variant_wrong_key_usage(vn_pki: TestPKI) -> None:
    info = CertificateInfo.from_certificate(vn_pki.variant(Variant.WRONG_KEY_USAGE).certificate)
    assert "digital_signature" not in info.key_usage
    assert "non_repudiation" not in info.key_usage
    assert "server_auth" in info.extended_key_usage


def test_variant_self_signed_is_outside_the_hierarchy(vn_pki: TestPKI) -> None:
    ident = vn_pki.variant(Variant.SELF_SIGNED)
    cert = ident.certificate
    assert cert.issuer == cert.subject
    assert issued_by(cert, cert)
    assert ident.chain == ()
    assert all(not issued_by(cert, ca.certificate) for ca in vn_pki.cas)


def test_each_certificate_gets_its_own_key_and_person(vn_pki: TestPKI) -> None:
    a, b = vn_pki.issue(), vn_pki.issue()
    assert a.certificate.public_key() != b.certificate.public_key()
    assert a.certificate.subject != b.certificate.subject


def test_two_pkis_share_no_keys(vn_pki: TestPKI, vn_new_pki) -> None:  # type: ignore[no-untyped-def]
    other = vn_new_pki()
    assert other.national_root.certificate.subject == vn_pki.national_root.certificate.subject
    assert (
        other.national_root.certificate.public_key()
        != vn_pki.national_root.certificate.public_key()
    )
    assert not issued_by(other.person.certificate, vn_pki.public_ca.certificate)


def test_unknown_variant_and_duplicate_label_are_refused(vn_pki: TestPKI) -> None:
    with pytest.raises(ValueError, match="not a valid Variant"):
        vn_pki.variant("no-such-variant")
    with pytest.raises(ValueError, match="already used"):
        vn_pki.issue(label="person")


def test_revoking_a_foreign_certificate_is_refused(vn_pki: TestPKI, vn_new_pki) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="not issued by this test PKI"):
        vn_pki.revoke(vn_new_pki().person)


def test_pkcs12_modern_and_legacy_round_trip(vn_pki: TestPKI) -> None:
    for legacy in (False, True):
        data = vn_pki.person.pkcs12(b"secret", legacy=legacy)
        key, cert, extra = pkcs12.load_key_and_certificates(data, b"secret")
        assert cert == vn_pki.person.certificate
        assert key is not None and key.public_key() == vn_pki.person.certificate.public_key()
        assert extra == list(vn_pki.person.chain)
    with pytest.raises(ValueError, match="Invalid password"):
        pkcs12.load_key_and_certificates(vn_pki.person.pkcs12(b"secret"), b"wrong")


def test_export_writes_everything_the_manifest_lists(vn_pki: TestPKI, tmp_path: Path) -> None:
    import json

    manifest = json.loads(vn_pki.export(tmp_path).read_text(encoding="utf-8"))
    for ca in manifest["cas"].values():
        assert (tmp_path / ca["certificate"]).is_file()
        x509.load_der_x509_crl((tmp_path / ca["crl"]).read_bytes())
    for ident in manifest["identities"].values():
        for name in ident["files"]:
            assert (tmp_path / name).stat().st_size > 0
    assert (tmp_path / "person.key.pem").stat().st_mode & 0o077 == 0
    assert manifest["services"]["tsa"] == vn_pki.services.tsa_url
    assert len(x509.load_pem_x509_certificates((tmp_path / "roots.pem").read_bytes())) == 2


def test_whole_pki_with_services_builds_in_under_five_seconds() -> None:
    # Holds even with an empty key cache (about 0.6 s here); warm it is ~15 ms.
    started = time.perf_counter()
    with TestPKI() as pki:
        assert pki.services.running
        elapsed = time.perf_counter() - started
    assert elapsed < 5, f"building the test PKI took {elapsed:.2f} s"


def test_key_types_generate_what_they_say() -> None:
    assert KeyType.RSA3072.generate().key_size == 3072  # type: ignore[union-attr]
    assert isinstance(KeyType.ECDSA_P384.generate(), ec.EllipticCurvePrivateKey)


def test_gov_profiles_are_issued_by_the_government_ca(vn_pki: TestPKI) -> None:
    assert vn_pki.issuer_for(Profile.GOV_AGENCY) is vn_pki.gov_ca
    assert vn_pki.issuer_for(Profile.ORGANIZATION) is vn_pki.public_ca
    ident = vn_pki.variant(Variant.EXPIRED, Profile.GOV_OFFICIAL)
    assert issued_by(ident.certificate, vn_pki.gov_ca.certificate)
