"""XAdES baseline B-B, B-T (live test TSA) and B-LT (live OCSP/CRL)."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from lxml import etree
from xmlsig_helpers import SAMPLE

from vnsign.errors import NetworkError, SigningError
from vnsign.formats.xml import (
    DigestMethod,
    RevocationValues,
    SignaturePolicy,
    SignatureStatus,
    XadesLevel,
    XadesOptions,
    XmlSignOptions,
    fetch_revocation_values,
    parse_xml,
    sign_enveloped,
    verify_xml,
)
from vnsign.formats.xml.namespaces import DS, XADES
from vnsign.pki.credentials import KeyCredential
from vnsign.pki.timestamps import TimestampClient
from vnsign.testing import Fault, TestPKI, TestServices

NS = {"ds": DS, "xades": XADES}


def _xades(credential: KeyCredential, **options: object) -> bytes:
    return sign_enveloped(SAMPLE, credential, XmlSignOptions(xades=XadesOptions(**options)))  # type: ignore[arg-type]


def test_baseline_b_properties(org_credential: KeyCredential) -> None:
    at = datetime(2025, 5, 1, 8, 30, tzinfo=UTC)
    policy = SignaturePolicy(
        identifier="urn:oid:2.16.704.1.1.1",
        digest=hashlib.sha256(b"chinh sach ky").digest(),
        description="Chính sách chữ ký thử nghiệm",
        uri="https://example.vn/policy.pdf",
    )
    signed = _xades(org_credential, signing_time=at, policy=policy)
    [signature] = verify_xml(signed).signatures
    assert signature.valid
    xades = signature.xades
    assert xades is not None
    assert xades.level == "B-B"
    assert xades.signed_properties_signed
    assert xades.signing_time is not None and xades.signing_time.value == at
    assert signature.signing_time == xades.signing_time
    assert xades.signing_time.text == "2025-05-01T08:30:00Z"
    check = xades.signing_certificate
    assert check is not None
    assert (check.version, check.digest_matches, check.issuer_serial_matches, check.listed) == (
        2,
        True,
        True,
        1,
    )
    assert check.digest_method == DigestMethod.SHA256
    assert xades.policy is not None
    assert xades.policy.identifier == policy.identifier
    assert xades.policy.digest == policy.digest
    assert xades.policy.uri == policy.uri
    [data_format] = xades.data_object_formats
    assert data_format.mime_type == "text/xml"
    data_reference = signature.references[0]
    assert data_format.object_reference == f"#{data_reference.id}"
    properties_reference = signature.references[1]
    assert properties_reference.type == "http://uri.etsi.org/01903#SignedProperties"
    assert properties_reference.element_tag == f"{{{XADES}}}SignedProperties"
    assert xades.timestamps == ()


def test_changing_a_signed_property_breaks_the_signature(org_credential: KeyCredential) -> None:
    signed = _xades(org_credential, signing_time=datetime(2025, 5, 1, tzinfo=UTC))
    tampered = signed.replace(b"2025-05-01T00:00:00Z", b"2024-05-01T00:00:00Z")
    [signature] = verify_xml(tampered).signatures
    assert signature.status is SignatureStatus.INVALID
    assert not signature.xades.signed_properties_signed  # type: ignore[union-attr]
    assert signature.xades.level == "none"  # type: ignore[union-attr]
    assert signature.signing_time.signed is False  # type: ignore[union-attr]


def test_signing_certificate_of_another_signer_is_caught(
    vn_pki: TestPKI, org_credential: KeyCredential
) -> None:
    # A correctly signed XAdES whose SigningCertificateV2 names somebody else's
    # certificate: every digest holds, the identity claim does not.
    from vnsign.formats.xml.signing import ReferenceSpec, sign_in_tree
    from vnsign.formats.xml.xades import build_qualifying_properties

    other = vn_pki.person.certificate
    tree = parse_xml(SAMPLE)

    def add(signature: etree._Element) -> None:
        build_qualifying_properties(
            signature,
            signature_id=signature.get("Id"),
            signed_properties_id="props",
            certificate=other,
            digest_method=DigestMethod.SHA256,
            options=XadesOptions(),
            data_reference_ids=(),
        )

    def place(signature: etree._Element) -> etree._ElementTree:
        tree.getroot().append(signature)
        return tree

    sign_in_tree(
        org_credential,
        XmlSignOptions(),
        references=[
            ReferenceSpec(""),
            ReferenceSpec("#props", (), type="http://uri.etsi.org/01903#SignedProperties"),
        ],
        place=place,
        add_objects=add,
    )
    [signature] = verify_xml(etree.tostring(tree)).signatures
    assert signature.signature_value_valid and all(r.digest_ok for r in signature.references)
    assert signature.xades.signing_certificate.digest_matches is False  # type: ignore[union-attr]
    assert signature.status is SignatureStatus.INVALID
    assert any("SigningCertificate" in p for p in signature.problems)


def test_baseline_t_with_the_test_tsa(
    org_credential: KeyCredential, vn_pki: TestPKI, vn_services: TestServices
) -> None:
    before = vn_services.requests.get("tsa", 0)
    signed = _xades(org_credential, level=XadesLevel.B_T, tsa=TimestampClient(vn_services.tsa_url))
    assert vn_services.requests["tsa"] == before + 1
    [signature] = verify_xml(signed).signatures
    assert signature.valid
    assert signature.xades.level == "B-T"  # type: ignore[union-attr]
    [stamp] = signature.timestamps
    assert stamp.covers_signature_value and stamp.token_signature_valid
    assert stamp.token is not None and stamp.token.tsa_certificate == vn_pki.tsa.certificate
    assert abs((stamp.gen_time - datetime.now(UTC)).total_seconds()) < 300  # type: ignore[operator]
    # a token over something else is reported as not covering this signature
    other = TimestampClient(vn_services.tsa_url).timestamp(hashlib.sha256(b"khac").digest())
    tree = parse_xml(signed)
    tree.find(".//xades:EncapsulatedTimeStamp", NS).text = base64.b64encode(other.der).decode()
    [swapped] = verify_xml(etree.tostring(tree)).signatures
    assert swapped.valid  # unsigned properties are outside the signature
    assert [t.covers_signature_value for t in swapped.timestamps] == [False]
    assert swapped.xades.level == "B-B"  # type: ignore[union-attr]


def test_an_unreachable_tsa_fails_signing_without_output(
    org_credential: KeyCredential, vn_services: TestServices
) -> None:
    vn_services.faults["tsa"] = Fault.HTTP_500
    with pytest.raises(NetworkError, match="HTTP 500"):
        _xades(org_credential, level=XadesLevel.B_T, tsa=TimestampClient(vn_services.tsa_url))


def test_b_t_needs_a_tsa() -> None:
    with pytest.raises(SigningError, match="time-stamping authority"):
        XadesOptions(level=XadesLevel.B_T)


def test_baseline_lt_embeds_chain_and_live_revocation_data(
    org_credential: KeyCredential, vn_pki: TestPKI, vn_services: TestServices
) -> None:
    signed = _xades(org_credential, level=XadesLevel.B_LT, tsa=TimestampClient(vn_services.tsa_url))
    [signature] = verify_xml(signed).signatures
    assert signature.valid
    xades = signature.xades
    assert xades is not None and xades.level == "B-LT"
    assert set(org_credential.chain) <= set(xades.certificate_values)
    assert vn_pki.tsa.certificate in xades.certificate_values
    assert set(xades.certificate_values) <= set(signature.certificates)
    statuses = {}
    for der in xades.ocsp_values:
        response = ocsp.load_der_ocsp_response(der)
        statuses[response.serial_number] = response.certificate_status
    assert statuses[org_credential.certificate.serial_number] is ocsp.OCSPCertStatus.GOOD


def test_revocation_falls_back_to_crls_and_accepts_supplied_values(
    org_credential: KeyCredential, vn_services: TestServices
) -> None:
    path = [org_credential.certificate, *org_credential.chain]
    vn_services.faults["ocsp"] = Fault.HTTP_500
    values = fetch_revocation_values(path, timeout=5)
    assert values.crls and not values.ocsp_responses
    vn_services.faults.clear()
    supplied = RevocationValues(crls=values.crls)
    signed = _xades(
        org_credential,
        level=XadesLevel.B_LT,
        tsa=TimestampClient(vn_services.tsa_url),
        revocation=supplied,
    )
    [signature] = verify_xml(signed).signatures
    assert signature.xades.crl_values == values.crls  # type: ignore[union-attr]
    assert signature.xades.ocsp_values == ()  # type: ignore[union-attr]


def test_revocation_fetch_failure_is_a_network_error(
    org_credential: KeyCredential, vn_services: TestServices
) -> None:
    vn_services.faults["ocsp"] = Fault.HTTP_500
    vn_services.faults["repository"] = Fault.HTTP_500
    with pytest.raises(NetworkError, match="no revocation data"):
        fetch_revocation_values([org_credential.certificate, *org_credential.chain], timeout=5)


def test_issuer_serial_v2_is_the_rfc5035_structure(org_credential: KeyCredential) -> None:
    from asn1crypto import tsp
    from asn1crypto import x509 as asn1_x509

    signed = _xades(org_credential)
    value = parse_xml(signed).find(".//xades:IssuerSerialV2", NS).text
    parsed = tsp.IssuerSerial.load(base64.b64decode(value))
    cert = asn1_x509.Certificate.load(org_credential.certificate.public_bytes(Encoding.DER))
    assert parsed["serial_number"].native == org_credential.certificate.serial_number
    assert parsed["issuer"][0].chosen == cert.issuer


def test_xades_enveloping_and_detached(org_credential: KeyCredential) -> None:
    from vnsign.formats.xml import sign_detached, sign_enveloping

    options = XmlSignOptions(xades=XadesOptions(data_mime_type="application/pdf"))
    pdf = b"%PDF-1.7 noi dung"
    for signed, external in (
        (sign_enveloping(pdf, org_credential, options), None),
        (sign_detached(pdf, "qd.pdf", org_credential, options), {"qd.pdf": pdf}),
    ):
        [signature] = verify_xml(signed, external=external).signatures
        assert signature.valid
        assert signature.xades.level == "B-B"  # type: ignore[union-attr]
        [data_format] = signature.xades.data_object_formats  # type: ignore[union-attr]
        assert data_format.mime_type == "application/pdf"
