"""The live services, spoken to over HTTP with independent parsers (cryptography, asn1crypto)."""

from __future__ import annotations

import base64
import hashlib
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from vnsign.testing import TEST_TSA_POLICY, Fault, TestIdentity, TestPKI, TestServices, Variant


def post(url: str, body: bytes, content_type: str, timeout: float = 5) -> bytes:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


def ocsp_request(
    ident: TestIdentity, issuer: x509.Certificate, nonce: bytes | None = None
) -> bytes:
    builder = ocsp.OCSPRequestBuilder().add_certificate(ident.certificate, issuer, hashes.SHA1())
    if nonce:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


def ask_ocsp(
    services: TestServices, ident: TestIdentity, issuer: x509.Certificate
) -> ocsp.OCSPResponse:
    return ocsp.load_der_ocsp_response(
        post(services.ocsp_url, ocsp_request(ident, issuer), "application/ocsp-request")
    )


def test_ocsp_good_revoked_and_signed_by_the_delegated_responder(
    vn_pki: TestPKI, vn_services: TestServices
) -> None:
    good = ask_ocsp(vn_services, vn_pki.person, vn_pki.public_ca.certificate)
    assert good.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    assert good.certificate_status is ocsp.OCSPCertStatus.GOOD
    responder = vn_pki.ocsp_responder.certificate
    assert good.certificates == [responder]
    responder.public_key().verify(  # type: ignore[call-arg, union-attr]
        good.signature, good.tbs_response_bytes, *_rsa_sha256()
    )

    revoked_ident = vn_pki.variant(Variant.REVOKED, revoked_at=vn_pki.now - timedelta(days=2))
    revoked = ask_ocsp(vn_services, revoked_ident, vn_pki.public_ca.certificate)
    assert revoked.certificate_status is ocsp.OCSPCertStatus.REVOKED
    assert revoked.revocation_time_utc == vn_pki.now - timedelta(days=2)
    assert revoked.revocation_reason is x509.ReasonFlags.key_compromise


def _rsa_sha256() -> tuple[object, object]:
    from cryptography.hazmat.primitives.asymmetric import padding

    return padding.PKCS1v15(), hashes.SHA256()


def test_ocsp_echoes_the_nonce(vn_pki: TestPKI, vn_services: TestServices) -> None:
    body = ocsp_request(vn_pki.gov_official, vn_pki.gov_ca.certificate, nonce=b"0123456789abcdef")
    response = ocsp.load_der_ocsp_response(
        post(vn_services.ocsp_url, body, "application/ocsp-request")
    )
    assert response.certificate_status is ocsp.OCSPCertStatus.GOOD
    nonce = response.extensions.get_extension_for_class(x509.OCSPNonce).value
    assert nonce.nonce == b"0123456789abcdef"
    assert response.certificates == [vn_pki.gov_ca.ocsp_responder.certificate]  # type: ignore[union-attr]


def test_ocsp_get_form_works(vn_pki: TestPKI, vn_services: TestServices) -> None:
    encoded = base64.b64encode(ocsp_request(vn_pki.person, vn_pki.public_ca.certificate)).decode()
    url = f"{vn_services.ocsp_url}/{urllib.request.quote(encoded, safe='')}"
    with urllib.request.urlopen(url, timeout=5) as response:
        parsed = ocsp.load_der_ocsp_response(response.read())
    assert parsed.certificate_status is ocsp.OCSPCertStatus.GOOD


def test_ocsp_unknown_serial_and_foreign_issuer(
    vn_pki: TestPKI,
    vn_services: TestServices,
    vn_new_pki,  # type: ignore[no-untyped-def]
) -> None:
    other = vn_new_pki()
    # same issuer name, different key: the responder must not vouch for it
    foreign = ask_ocsp(vn_services, other.person, other.public_ca.certificate)
    assert foreign.response_status is ocsp.OCSPResponseStatus.UNAUTHORIZED
    # right issuer, serial it never issued
    forged = other.issue(issuer=other.public_ca)
    builder = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        *_issuer_hashes(vn_pki.public_ca.certificate),
        forged.certificate.serial_number,
        hashes.SHA1(),
    )
    body = builder.build().public_bytes(serialization.Encoding.DER)
    unknown = ocsp.load_der_ocsp_response(
        post(vn_services.ocsp_url, body, "application/ocsp-request")
    )
    assert unknown.certificate_status is ocsp.OCSPCertStatus.UNKNOWN


def _issuer_hashes(issuer: x509.Certificate) -> tuple[bytes, bytes]:
    from asn1crypto import x509 as asn1_x509

    parsed = asn1_x509.Certificate.load(issuer.public_bytes(serialization.Encoding.DER))
    return (
        hashlib.sha1(parsed.subject.dump()).digest(),
        parsed.public_key.sha1,
    )


def test_ocsp_malformed_request(vn_services: TestServices) -> None:
    response = ocsp.load_der_ocsp_response(
        post(vn_services.ocsp_url, b"\x30\x02\x05\x00", "application/ocsp-request")
    )
    assert response.response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_crl_and_ca_certificates_are_published(vn_pki: TestPKI, vn_services: TestServices) -> None:
    before = vn_services.requests["crl"]
    with urllib.request.urlopen(vn_services.crl_url("gov-ca"), timeout=5) as response:
        assert response.headers["Content-Type"] == "application/pkix-crl"
        crl = x509.load_der_x509_crl(response.read())
    assert crl.issuer == vn_pki.gov_ca.certificate.subject
    assert crl.is_signature_valid(vn_pki.gov_ca.certificate.public_key())  # type: ignore[arg-type]
    assert vn_services.requests["crl"] == before + 1
    with urllib.request.urlopen(vn_services.ca_issuers_url("gov-root"), timeout=5) as response:
        assert x509.load_der_x509_certificate(response.read()) == vn_pki.gov_root.certificate
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(vn_services.crl_url("nope"), timeout=5)
    assert info.value.code == 404


def timestamp_query(digest: bytes, algorithm: str = "sha256", policy: str | None = None) -> bytes:
    req = {
        "version": "v1",
        "message_imprint": {"hash_algorithm": {"algorithm": algorithm}, "hashed_message": digest},
        "nonce": 123456789,
        "cert_req": True,
    }
    if policy:
        req["req_policy"] = policy
    return tsp.TimeStampReq(req).dump()


def test_tsa_grants_a_token_over_the_imprint(vn_pki: TestPKI, vn_services: TestServices) -> None:
    digest = hashlib.sha256(b"van ban").digest()
    response = tsp.TimeStampResp.load(
        post(vn_services.tsa_url, timestamp_query(digest), "application/timestamp-query")
    )
    assert response["status"]["status"].native == "granted"
    signed = response["time_stamp_token"]["content"]
    info = signed["encap_content_info"]["content"].parsed
    assert info["message_imprint"]["hashed_message"].native == digest
    assert info["nonce"].native == 123456789
    assert info["policy"].native == TEST_TSA_POLICY
    assert abs((info["gen_time"].native - datetime.now(UTC)).total_seconds()) < 5
    certs = [c.chosen.dump() for c in signed["certificates"]]
    assert certs == [vn_pki.tsa.cert_der]


class LenientTimeStampResp(tsp.TimeStampResp):
    """asn1crypto requires timeStampToken, which RFC 3161 omits from rejections."""

    _fields = [  # noqa: RUF012
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", tsp.ContentInfo, {"optional": True}),
    ]


@pytest.mark.parametrize(
    ("body", "failure"),
    [
        (timestamp_query(b"\x00" * 16, "md5"), "bad_alg"),
        (timestamp_query(b"\x00" * 20), "bad_data_format"),
        (timestamp_query(b"\x00" * 32, policy="1.2.3.4"), "unaccepted_policy"),
        (b"garbage", "bad_data_format"),
    ],
)
def test_tsa_rejects_bad_requests(vn_services: TestServices, body: bytes, failure: str) -> None:
    raw = post(vn_services.tsa_url, body, "application/timestamp-query")
    response = LenientTimeStampResp.load(raw)
    assert response["status"]["status"].native == "rejection"
    assert response["time_stamp_token"].native is None
    assert failure in response["status"]["fail_info"].native


def test_fault_hang_times_out_the_client(vn_pki: TestPKI, vn_services: TestServices) -> None:
    vn_services.faults["ocsp"] = Fault.HANG
    started = time.perf_counter()
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        post(
            vn_services.ocsp_url,
            ocsp_request(vn_pki.person, vn_pki.public_ca.certificate),
            "application/ocsp-request",
            timeout=0.5,
        )
    assert time.perf_counter() - started < 3


def test_fault_http_500_and_garbage(vn_pki: TestPKI, vn_services: TestServices) -> None:
    vn_services.faults["tsa"] = Fault.HTTP_500
    with pytest.raises(urllib.error.HTTPError) as info:
        post(vn_services.tsa_url, timestamp_query(b"\x00" * 32), "application/timestamp-query")
    assert info.value.code == 500
    vn_services.faults["tsa"] = Fault.GARBAGE
    body = post(vn_services.tsa_url, timestamp_query(b"\x00" * 32), "application/timestamp-query")
    with pytest.raises(ValueError, match=r"Insufficient data|missing|Extra data"):
        tsp.TimeStampResp.load(body).native  # noqa: B018


def test_stopped_services_refuse_connections() -> None:
    pki = TestPKI()
    url = pki.services.ocsp_url
    pki.close()
    assert not pki.services.running
    with pytest.raises(urllib.error.URLError):
        post(url, b"", "application/ocsp-request", timeout=2)


def test_services_survive_handler_errors(vn_pki: TestPKI, vn_services: TestServices) -> None:
    # A body that parses as a TimeStampReq but breaks later must become HTTP 500, not a dead server.
    errors_before = len(vn_services.errors)
    vn_services.tsa, saved = None, vn_services.tsa
    try:
        with pytest.raises(urllib.error.HTTPError) as info:
            post(vn_services.tsa_url, b"", "application/timestamp-query")
        assert info.value.code == 405
    finally:
        vn_services.tsa = saved
    assert len(vn_services.errors) == errors_before
    assert ask_ocsp(
        vn_services, vn_pki.person, vn_pki.public_ca.certificate
    ).certificate_status is (ocsp.OCSPCertStatus.GOOD)
