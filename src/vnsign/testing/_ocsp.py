"""OCSP responder logic (RFC 6960): DER request in, signed DER response out.

Requests may ask about several certificates at once (``openssl ocsp`` does),
which is why this uses asn1crypto's structures rather than cryptography's
single-response builder.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from asn1crypto import core, ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from vnsign.testing._pki import TestCA

__all__ = ["ocsp_response"]

_REASONS = {
    x509.ReasonFlags.unspecified: "unspecified",
    x509.ReasonFlags.key_compromise: "key_compromise",
    x509.ReasonFlags.ca_compromise: "ca_compromise",
    x509.ReasonFlags.affiliation_changed: "affiliation_changed",
    x509.ReasonFlags.superseded: "superseded",
    x509.ReasonFlags.cessation_of_operation: "cessation_of_operation",
    x509.ReasonFlags.certificate_hold: "certificate_hold",
    x509.ReasonFlags.remove_from_crl: "remove_from_crl",
    x509.ReasonFlags.privilege_withdrawn: "privilege_withdrawn",
    x509.ReasonFlags.aa_compromise: "aa_compromise",
}
_HASH_NAMES = frozenset({"sha1", "sha256", "sha384", "sha512"})


@functools.lru_cache(maxsize=64)
def _issuer_hashes(cert_der: bytes, algorithm: str) -> tuple[bytes, bytes]:
    cert = asn1_x509.Certificate.load(cert_der)
    name_hash = hashlib.new(algorithm, cert.subject.dump()).digest()
    key_hash = hashlib.new(algorithm, bytes(cert.public_key["public_key"].contents[1:])).digest()
    return name_hash, key_hash


def _find_ca(cert_id: ocsp.CertId, cas: Iterable[TestCA]) -> TestCA | None:
    algorithm = cert_id["hash_algorithm"]["algorithm"].native
    if algorithm not in _HASH_NAMES:
        return None
    wanted = (cert_id["issuer_name_hash"].native, cert_id["issuer_key_hash"].native)
    for ca in cas:
        if _issuer_hashes(ca.certificate.public_bytes(Encoding.DER), algorithm) == wanted:
            return ca
    return None


def ocsp_response(request_der: bytes, cas: Iterable[TestCA], now: datetime | None = None) -> bytes:
    """Answer an OCSP request about certificates of one of ``cas``.

    Certificates a CA issued are ``good`` until revoked, then ``revoked`` with
    time and reason; unknown serials are ``unknown``. Requests about another
    issuer (or mixing issuers) get ``unauthorized``; unparsable ones
    ``malformed_request``.
    """
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    cas = tuple(cas)
    try:
        request = ocsp.OCSPRequest.load(request_der, strict=True)
        tbs = request["tbs_request"]
        cert_ids = [item["req_cert"] for item in tbs["request_list"]]
        nonce = next(
            (
                e["extn_value"].parsed
                for e in tbs["request_extensions"] or []
                if e["extn_id"].native == "nonce"
            ),
            None,
        )
    except (ValueError, TypeError, KeyError):
        return _status("malformed_request")
    if not cert_ids:
        return _status("malformed_request")

    found = [_find_ca(c, cas) for c in cert_ids]
    ca = found[0]
    if ca is None or ca.ocsp_responder is None or any(other is not ca for other in found):
        return _status("unauthorized")

    responses = []
    for cert_id in cert_ids:
        serial = cert_id["serial_number"].native
        revocation = ca.revocation(serial, now)
        if revocation is not None:
            status = ocsp.CertStatus(
                name="revoked",
                value={
                    "revocation_time": revocation.at,
                    "revocation_reason": _REASONS[revocation.reason],
                },
            )
        elif ca.issued(serial) is not None:
            status = ocsp.CertStatus(name="good", value=core.Null())
        else:
            status = ocsp.CertStatus(name="unknown", value=core.Null())
        responses.append(
            {
                "cert_id": cert_id,
                "cert_status": status,
                "this_update": now - timedelta(seconds=30),
                "next_update": now + timedelta(hours=12),
            }
        )

    responder = ca.ocsp_responder
    responder_cert = asn1_x509.Certificate.load(responder.cert_der)
    data = {
        "version": "v1",
        "responder_id": {"by_key": responder_cert.public_key.sha1},
        "produced_at": now,
        "responses": responses,
    }
    if nonce is not None:
        data["response_extensions"] = [{"extn_id": "nonce", "critical": False, "extn_value": nonce}]
    response_data = ocsp.ResponseData(data)
    key = responder.private_key
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(response_data.dump(), padding.PKCS1v15(), hashes.SHA256())
        algorithm = "sha256_rsa"
    else:
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        signature = key.sign(response_data.dump(), ec.ECDSA(hashes.SHA256()))
        algorithm = "sha256_ecdsa"
    basic = ocsp.BasicOCSPResponse(
        {
            "tbs_response_data": response_data,
            "signature_algorithm": {"algorithm": algorithm},
            "signature": signature,
            "certs": [responder_cert],
        }
    )
    response = ocsp.OCSPResponse(
        {
            "response_status": "successful",
            "response_bytes": {"response_type": "basic_ocsp_response", "response": basic},
        }
    )
    der: bytes = response.dump()
    return der


def _status(status: str) -> bytes:
    der: bytes = ocsp.OCSPResponse({"response_status": status}).dump()
    return der
