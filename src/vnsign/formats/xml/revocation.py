"""Revocation data to embed in XAdES B-LT signatures.

For each certificate of the signer's chain this asks the issuer's OCSP responder
(from the AIA extension) and falls back to the CRL distribution point. Requests
and responses are built and parsed by ``cryptography``; whether the answers are
*trusted* is for certificate validation to decide. Only http(s) URLs are used,
with a timeout and a size limit.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID

from vnsign._version import __version__
from vnsign.errors import NetworkError, NetworkTimeoutError

__all__ = ["RevocationValues", "fetch_revocation_values"]

_MAX_RESPONSE = 8 << 20


@dataclass(frozen=True)
class RevocationValues:
    """DER-encoded CRLs and OCSP responses (``OCSPResponse``) to embed."""

    crls: tuple[bytes, ...] = ()
    ocsp_responses: tuple[bytes, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.crls or self.ocsp_responses)


def fetch_revocation_values(
    certificates: Sequence[x509.Certificate], *, timeout: float = 10.0
) -> RevocationValues:
    """Revocation data for every certificate in ``certificates`` (leaf first, then
    its issuers) whose issuer is also in the list.

    Raises :class:`~vnsign.errors.NetworkError` when a certificate has neither a
    reachable OCSP responder nor a reachable CRL.
    """
    crls: list[bytes] = []
    responses: list[bytes] = []
    for cert in certificates:
        issuer = next((c for c in certificates if c.subject == cert.issuer and c is not cert), None)
        if issuer is None:
            continue
        errors: list[str] = []
        for url in _ocsp_urls(cert):
            try:
                responses.append(_ocsp(cert, issuer, url, timeout))
                break
            except NetworkError as exc:
                errors.append(str(exc))
        else:
            for url in _crl_urls(cert):
                try:
                    crl = _get(url, timeout, "application/pkix-crl")
                    x509.load_der_x509_crl(crl)
                except ValueError as exc:
                    errors.append(f"{url} did not return a DER CRL: {exc}")
                    continue
                except NetworkError as exc:
                    errors.append(str(exc))
                    continue
                if crl not in crls:
                    crls.append(crl)
                break
            else:
                subject = cert.subject.rfc4514_string()
                detail = "; ".join(errors) or "it names no OCSP responder and no CRL"
                raise NetworkError(f"no revocation data for {subject}: {detail}")
    return RevocationValues(tuple(crls), tuple(responses))


def _ocsp_urls(cert: x509.Certificate) -> list[str]:
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return []
    return [
        d.access_location.value
        for d in aia
        if d.access_method == AuthorityInformationAccessOID.OCSP
        and isinstance(d.access_location, x509.UniformResourceIdentifier)
        and d.access_location.value.lower().startswith(("http://", "https://"))
    ]


def _crl_urls(cert: x509.Certificate) -> list[str]:
    try:
        points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except x509.ExtensionNotFound:
        return []
    return [
        name.value
        for point in points
        for name in point.full_name or ()
        if isinstance(name, x509.UniformResourceIdentifier)
        and name.value.lower().startswith(("http://", "https://"))
    ]


def _ocsp(cert: x509.Certificate, issuer: x509.Certificate, url: str, timeout: float) -> bytes:
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(cert, issuer, hashes.SHA256())
        .build()
        .public_bytes(serialization.Encoding.DER)
    )
    body = _post(url, request, timeout)
    try:
        response = ocsp.load_der_ocsp_response(body)
    except ValueError as exc:
        raise NetworkError(f"OCSP responder {url} sent something that is not OCSP") from exc
    if response.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise NetworkError(f"OCSP responder {url} answered {response.response_status.name}")
    return body


def _post(url: str, data: bytes, timeout: float) -> bytes:
    request = urllib.request.Request(  # noqa: S310 - scheme checked in _ocsp_urls
        url,
        data=data,
        headers={"Content-Type": "application/ocsp-request", "User-Agent": f"vnsign/{__version__}"},
    )
    return _read(request, url, timeout)


def _get(url: str, timeout: float, accept: str) -> bytes:
    request = urllib.request.Request(  # noqa: S310 - scheme checked in _crl_urls
        url, headers={"Accept": accept, "User-Agent": f"vnsign/{__version__}"}
    )
    return _read(request, url, timeout)


def _read(request: urllib.request.Request, url: str, timeout: float) -> bytes:
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:  # noqa: S310
            body: bytes = reply.read(_MAX_RESPONSE + 1)
    except TimeoutError as exc:
        raise NetworkTimeoutError(f"{url} did not answer within {timeout:g} s") from exc
    except urllib.error.HTTPError as exc:
        raise NetworkError(f"{url} answered HTTP {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise NetworkTimeoutError(f"{url} did not answer within {timeout:g} s") from exc
        raise NetworkError(f"cannot reach {url}: {exc.reason}") from exc
    except OSError as exc:
        raise NetworkError(f"cannot reach {url}: {exc}") from exc
    if len(body) > _MAX_RESPONSE:
        raise NetworkError(f"{url} sent more than {_MAX_RESPONSE} bytes")
    return body
