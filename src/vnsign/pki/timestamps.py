"""RFC 3161 time stamps: a client for time-stamping authorities, and reading
and checking the tokens they return.

Whether the TSA's certificate is *trusted* is decided by certificate validation;
this module checks that a token is well formed, covers the expected digest, and
is signed by the certificate it names.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.validation.generic_cms import validate_sig_integrity

from vnsign._version import __version__
from vnsign.errors import InputError, MalformedInputError, NetworkError, NetworkTimeoutError
from vnsign.pki.credentials import HashAlgorithm, parse_hash_algorithm

__all__ = ["TimestampClient", "TimestampToken"]

_USER_AGENT = f"vnsign/{__version__}"
_MAX_RESPONSE = 1 << 20
_DER = Encoding.DER


class TimeStampResp(tsp.TimeStampResp):  # type: ignore[misc]
    """``TimeStampResp`` as RFC 3161 defines it: asn1crypto marks ``timeStampToken``
    mandatory, but a rejection carries none (§2.4.2)."""

    _fields = [  # noqa: RUF012 - asn1crypto's schema attribute
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


@dataclass(frozen=True)
class TimestampToken:
    """A parsed RFC 3161 time-stamp token (a CMS ``SignedData`` over a ``TSTInfo``)."""

    der: bytes
    gen_time: datetime
    hash_algorithm: str
    message_imprint: bytes
    serial_number: int
    policy: str
    nonce: int | None
    tsa_certificate: x509.Certificate | None
    certificates: tuple[x509.Certificate, ...]

    @classmethod
    def parse(cls, der: bytes) -> TimestampToken:
        """Read a token; :class:`~vnsign.errors.MalformedInputError` if it is not one."""
        try:
            content = cms.ContentInfo.load(der, strict=True)
            signed = content["content"]
            if content["content_type"].native != "signed_data":
                raise ValueError("not a SignedData")
            encap = signed["encap_content_info"]
            if encap["content_type"].native != "tst_info":
                raise ValueError("the SignedData does not hold a TSTInfo")
            info = encap["content"].parsed
            certs = tuple(
                x509.load_der_x509_certificate(c.chosen.dump())
                for c in signed["certificates"] or ()
                if c.name == "certificate"
            )
            signer = signed["signer_infos"][0]
            imprint = info["message_imprint"]
            token = cls(
                der=der,
                gen_time=info["gen_time"].native,
                hash_algorithm=imprint["hash_algorithm"]["algorithm"].native,
                message_imprint=imprint["hashed_message"].native,
                serial_number=info["serial_number"].native,
                policy=info["policy"].native,
                nonce=info["nonce"].native,
                tsa_certificate=_signer_certificate(signer, certs),
                certificates=certs,
            )
        except (ValueError, TypeError, KeyError, IndexError, x509.InvalidVersion) as exc:
            raise MalformedInputError(f"not an RFC 3161 time-stamp token: {exc}") from exc
        return token

    def covers(self, digest: bytes, hash_algorithm: str) -> bool:
        """Whether the token's imprint is ``digest`` made with ``hash_algorithm``."""
        return self.hash_algorithm == hash_algorithm and secrets.compare_digest(
            self.message_imprint, digest
        )

    def signature_valid(self, tsa_certificate: x509.Certificate | None = None) -> bool:
        """Whether the token is signed by ``tsa_certificate`` (default: the
        certificate the token names and carries)."""
        cert = tsa_certificate or self.tsa_certificate
        if cert is None:
            return False
        try:
            content = cms.ContentInfo.load(self.der)
            signed = content["content"]
            signer = signed["signer_infos"][0]
            tst_info = signed["encap_content_info"]["content"].contents
            algorithm = signer["digest_algorithm"]["algorithm"].native
            digest = hashlib.new(algorithm, tst_info).digest()
            intact, valid = validate_sig_integrity(
                signer,
                asn1_x509.Certificate.load(cert.public_bytes(_DER)),
                expected_content_type="tst_info",
                actual_digest=digest,
            )
        except Exception:  # noqa: BLE001 - pyHanko raises several types for bad signatures
            return False
        return bool(intact and valid)


def _signer_certificate(
    signer: cms.SignerInfo, certs: tuple[x509.Certificate, ...]
) -> x509.Certificate | None:
    sid = signer["sid"]
    for cert in certs:
        parsed = asn1_x509.Certificate.load(cert.public_bytes(_DER))
        if sid.name == "issuer_and_serial_number":
            if (
                parsed.issuer == sid.chosen["issuer"]
                and parsed.serial_number == sid.chosen["serial_number"].native
            ):
                return cert
        elif parsed.key_identifier == sid.chosen.native:
            return cert
    return None


class TimestampClient:
    """Asks an RFC 3161 TSA over HTTP for time stamps and checks what comes back.

    ::

        client = TimestampClient("http://tsa.example.vn/tsa", timeout=10)
        token = client.timestamp(hashlib.sha256(data).digest())

    A request is never retried automatically; the caller decides. ``headers``
    carries credentials for TSAs that require them (e.g. ``Authorization``).
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 10.0,
        hash_algorithm: HashAlgorithm | str = HashAlgorithm.SHA256,
        policy: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if not url.lower().startswith(("http://", "https://")):
            raise InputError(f"a TSA URL must be http:// or https://, not {url!r}")
        self.url = url
        self.timeout = timeout
        self.hash_algorithm = parse_hash_algorithm(hash_algorithm)
        self.policy = policy
        self.headers = dict(headers or {})

    def timestamp(
        self, digest: bytes, hash_algorithm: HashAlgorithm | str | None = None
    ) -> TimestampToken:
        """A checked time-stamp token over ``digest``.

        Raises :class:`~vnsign.errors.NetworkError` when the TSA is unreachable,
        refuses, or answers with a token that does not match the request.
        """
        algorithm = parse_hash_algorithm(hash_algorithm or self.hash_algorithm)
        nonce = secrets.randbits(63)
        request: dict[str, object] = {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": algorithm.value},
                "hashed_message": digest,
            },
            "nonce": nonce,
            "cert_req": True,
        }
        if self.policy:
            request["req_policy"] = self.policy
        response = self.post(tsp.TimeStampReq(request).dump())
        token = self._accept(response)
        problems = []
        if not token.covers(digest, algorithm.value):
            problems.append("the token covers another digest")
        if token.nonce != nonce:
            problems.append("the nonce does not match")
        if self.policy and token.policy != self.policy:
            problems.append(f"policy {token.policy} instead of {self.policy}")
        if not token.signature_valid():
            problems.append("the token's signature does not verify with the TSA certificate")
        if problems:
            raise NetworkError(f"TSA {self.url} returned an unusable token: {'; '.join(problems)}")
        return token

    def post(self, request_der: bytes) -> TimeStampResp:
        """Send a DER ``TimeStampReq``; the parsed response, whatever its status."""
        http = urllib.request.Request(  # noqa: S310 - scheme checked in __init__: http(s) only
            self.url,
            data=request_der,
            headers={
                "Content-Type": "application/timestamp-query",
                "Accept": "application/timestamp-reply",
                "User-Agent": _USER_AGENT,
                **self.headers,
            },
        )
        try:
            with urllib.request.urlopen(http, timeout=self.timeout) as reply:  # noqa: S310
                body = reply.read(_MAX_RESPONSE + 1)
        except TimeoutError as exc:
            raise NetworkTimeoutError(
                f"TSA {self.url} did not answer within {self.timeout:g} s"
            ) from exc
        except urllib.error.HTTPError as exc:
            raise NetworkError(f"TSA {self.url} answered HTTP {exc.code} {exc.reason}") from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise NetworkTimeoutError(
                    f"TSA {self.url} did not answer within {self.timeout:g} s"
                ) from exc
            raise NetworkError(f"cannot reach TSA {self.url}: {exc.reason}") from exc
        except OSError as exc:
            raise NetworkError(f"cannot reach TSA {self.url}: {exc}") from exc
        if len(body) > _MAX_RESPONSE:
            raise NetworkError(f"TSA {self.url} sent more than {_MAX_RESPONSE} bytes")
        try:
            response: TimeStampResp = TimeStampResp.load(body, strict=True)
            response["status"].native  # noqa: B018 - parse the status now, not lazily later
        except (ValueError, TypeError) as exc:
            raise NetworkError(
                f"TSA {self.url} sent something that is not a time-stamp response"
            ) from exc
        # The token is checked by _accept (TimestampToken.parse), on a copy: see there.
        return response

    def _accept(self, response: TimeStampResp) -> TimestampToken:
        status = response["status"]
        if status["status"].native not in {"granted", "granted_with_mods"}:
            text = "; ".join(status["status_string"].native or ())
            failure = ", ".join(sorted(status["fail_info"].native or ()))
            detail = ": " + "; ".join(x for x in (failure, text) if x) if (failure or text) else ""
            raise NetworkError(
                f"TSA {self.url} refused the request ({status['status'].native}){detail}"
            )
        # Not ``.native``: a fully parsed token costs ~0.3 s each time pyHanko
        # copies it into a CMS.
        if isinstance(response["time_stamp_token"], core.Void):
            raise NetworkError(f"TSA {self.url} granted the request but sent no token")
        try:
            return TimestampToken.parse(response["time_stamp_token"].dump())
        except MalformedInputError as exc:
            raise NetworkError(f"TSA {self.url} sent a malformed token: {exc}") from exc

    def as_pyhanko(self) -> TimeStamper:
        """This client as a pyHanko ``TimeStamper`` (for PAdES and CAdES signing)."""
        return _PyHankoTimeStamper(self)


class _PyHankoTimeStamper(TimeStamper):
    def __init__(self, client: TimestampClient) -> None:
        super().__init__(include_nonce=True)  # type: ignore[no-untyped-call]
        self.client = client

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        response = await asyncio.to_thread(self.client.post, req.dump())
        self.client._accept(response)  # clear vnsign errors for refusals and bad tokens
        return response
