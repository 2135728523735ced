"""RFC 3161 time-stamping authority logic: DER request in, DER response out.

The ASN.1 structures are asn1crypto's; the signature is cryptography's.
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
from collections.abc import Callable
from datetime import UTC, datetime

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from vnsign.testing._pki import TestIdentity

__all__ = ["TEST_TSA_POLICY", "TimeStampAuthority"]

#: Policy OID of the test TSA (under the 2.999 example arc of ITU-T X.660).
TEST_TSA_POLICY = "2.999.84.1"
_DIGEST_SIZES = {"sha1": 20, "sha256": 32, "sha384": 48, "sha512": 64}


class TimeStampAuthority:
    """Issues time-stamp tokens signed by ``identity`` (a certificate with the
    critical timeStamping EKU). ``clock`` can be replaced to back- or forward-date."""

    def __init__(self, identity: TestIdentity) -> None:
        self.identity = identity
        self.certificate = asn1_x509.Certificate.load(identity.cert_der)
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self._serials = itertools.count(secrets.randbelow(2**32) * 1000)

    def respond(self, request_der: bytes) -> bytes:
        """A ``TimeStampResp`` for the DER ``TimeStampReq``; malformed or
        unsupported requests get a ``rejection`` with the matching failure bit."""
        try:
            request = tsp.TimeStampReq.load(request_der, strict=True)
            imprint = request["message_imprint"]
            algorithm = imprint["hash_algorithm"]["algorithm"].native
            digest = imprint["hashed_message"].native
            policy = request["req_policy"].native
            nonce = request["nonce"].native
            cert_req = bool(request["cert_req"].native)
        except (ValueError, TypeError):
            return _reject("bad_data_format", "request is not a DER TimeStampReq")
        if algorithm not in _DIGEST_SIZES:
            return _reject("bad_alg", f"unsupported hash algorithm {algorithm}")
        if len(digest) != _DIGEST_SIZES[algorithm]:
            return _reject("bad_data_format", "imprint length does not match its algorithm")
        if policy is not None and policy != TEST_TSA_POLICY:
            return _reject("unaccepted_policy", f"only policy {TEST_TSA_POLICY} is offered")

        gen_time = self.clock().astimezone(UTC).replace(microsecond=0)
        info = {
            "version": "v1",
            "policy": TEST_TSA_POLICY,
            "message_imprint": imprint,
            "serial_number": next(self._serials),
            "gen_time": gen_time,
            "accuracy": {"seconds": 1},
            "ordering": False,
            "tsa": asn1_x509.GeneralName(name="directory_name", value=self.certificate.subject),
        }
        if nonce is not None:
            info["nonce"] = nonce
        token = self._sign(tsp.TSTInfo(info).dump(), gen_time, cert_req)
        response = tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token})
        der: bytes = response.dump()
        return der

    def _sign(self, tst_info: bytes, gen_time: datetime, include_cert: bool) -> cms.ContentInfo:
        key = self.identity.private_key
        signed_attrs = cms.CMSAttributes(
            [
                {"type": "content_type", "values": ["tst_info"]},
                {"type": "signing_time", "values": [cms.Time({"utc_time": gen_time})]},
                {"type": "message_digest", "values": [hashlib.sha256(tst_info).digest()]},
                {
                    "type": "signing_certificate_v2",
                    "values": [
                        {
                            "certs": [
                                {
                                    "cert_hash": hashlib.sha256(self.identity.cert_der).digest(),
                                    "issuer_serial": {
                                        "issuer": [
                                            asn1_x509.GeneralName(
                                                name="directory_name",
                                                value=self.certificate.issuer,
                                            )
                                        ],
                                        "serial_number": self.certificate.serial_number,
                                    },
                                }
                            ]
                        }
                    ],
                },
            ]
        )
        to_sign = signed_attrs.dump()
        if isinstance(key, rsa.RSAPrivateKey):
            signature = key.sign(to_sign, padding.PKCS1v15(), hashes.SHA256())
            sig_alg = "sha256_rsa"
        else:
            assert isinstance(key, ec.EllipticCurvePrivateKey)
            signature = key.sign(to_sign, ec.ECDSA(hashes.SHA256()))
            sig_alg = "sha256_ecdsa"
        signer_info = cms.SignerInfo(
            {
                "version": "v1",
                "sid": {
                    "issuer_and_serial_number": {
                        "issuer": self.certificate.issuer,
                        "serial_number": self.certificate.serial_number,
                    }
                },
                "digest_algorithm": {"algorithm": "sha256"},
                "signed_attrs": signed_attrs,
                "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": sig_alg}),
                "signature": signature,
            }
        )
        signed_data = {
            "version": "v3",
            "digest_algorithms": [{"algorithm": "sha256"}],
            "encap_content_info": {
                "content_type": "tst_info",
                "content": core.ParsableOctetString(tst_info),
            },
            "signer_infos": [signer_info],
        }
        if include_cert:
            signed_data["certificates"] = [self.certificate]
        return cms.ContentInfo(
            {"content_type": "signed_data", "content": cms.SignedData(signed_data)}
        )


class _RejectionResp(tsp.TimeStampResp):  # type: ignore[misc]
    # asn1crypto declares timeStampToken mandatory; RFC 3161 §2.4.2 makes it OPTIONAL
    # and absent in every rejection.
    _fields = [  # noqa: RUF012 - asn1crypto's schema attribute
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


def _reject(failure: str, text: str) -> bytes:
    status = tsp.PKIStatusInfo(
        {"status": "rejection", "status_string": [text], "fail_info": tsp.PKIFailureInfo({failure})}
    )
    der: bytes = _RejectionResp({"status": status}).dump()
    return der
