"""What a project that uses vnsign writes in its own test suite.

Only the fixtures of the vnsign pytest plugin are used: no imports from
vnsign's own tests, no conftest. docs/testing.md shows this file verbatim.
"""

import urllib.request

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp


def crl_of(cert: x509.Certificate) -> x509.CertificateRevocationList:
    points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    with urllib.request.urlopen(points[0].full_name[0].value, timeout=5) as response:
        return x509.load_der_x509_crl(response.read())


def test_person_certificate_carries_a_citizen_id(vn_pki):
    uids = vn_pki.person.certificate.subject.get_attributes_for_oid(x509.NameOID.USER_ID)
    assert [u.value.split(":")[0] for u in uids] == ["CCCD"]


def test_revoked_certificate_is_listed_in_its_crl(vn_make_cert):
    revoked = vn_make_cert("revoked")
    crl = crl_of(revoked.certificate)
    assert crl.get_revoked_certificate_by_serial_number(revoked.certificate.serial_number)


def test_ocsp_says_good_for_an_organisation(vn_pki, vn_services):
    org = vn_pki.organization
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(org.certificate, org.chain[0], hashes.SHA1())
        .build()
        .public_bytes(serialization.Encoding.DER)
    )
    http = urllib.request.Request(
        vn_services.ocsp_url, data=request, headers={"Content-Type": "application/ocsp-request"}
    )
    with urllib.request.urlopen(http, timeout=5) as response:
        answer = ocsp.load_der_ocsp_response(response.read())
    assert answer.certificate_status == ocsp.OCSPCertStatus.GOOD


def test_expired_government_certificate(vn_pki, vn_make_cert):
    official = vn_make_cert("expired", "gov-official")
    assert official.certificate.not_valid_after_utc < vn_pki.now
    assert official.certificate.issuer == vn_pki.gov_ca.certificate.subject


def test_a_second_pki_is_not_trusted_by_the_first(vn_pki, vn_new_pki):
    stranger = vn_new_pki().person.certificate
    issuer = vn_pki.public_ca.certificate
    assert stranger.issuer == issuer.subject  # same names ...
    with pytest.raises(InvalidSignature):  # ... but another key
        stranger.verify_directly_issued_by(issuer)
