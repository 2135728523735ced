"""Revocation facts from OCSP and CRLs, checked and cached for a whole batch.

The checker answers "what did the CA say about this certificate, and when":
good as of a time, revoked or suspended from a time, or unknown and why. It
does not judge; certificate validation compares the facts with the time a
signature was made (ND68-CERT-VALID, ND23-VALID-CERT, TT15-APPX-II).

Sources, in order: data embedded in the document (PAdES DSS, CMS
revocationValues) and supplied by the caller (offline files), then, when online,
OCSP from the certificate's AIA and CRLs from its distribution points. Every
response is verified (signature, issuer, responder authorisation) before use,
CRLs are downloaded and parsed once per batch, and answers are cached per
certificate. Reads are retried once on a connection error or HTTP 5xx, never
after a timeout.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import threading
import time
import unicodedata
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from asn1crypto import crl as asn1_crl
from asn1crypto import keys
from asn1crypto import ocsp as asn1_ocsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID

from vnsign._version import __version__
from vnsign.errors import MalformedInputError, NetworkError, NetworkTimeoutError
from vnsign.pki._signatures import issued_by, signature_ok

__all__ = ["RevocationChecker", "RevocationFacts", "RevocationState"]

_MAX_CRL = 64 << 20
_MAX_OCSP = 1 << 20
_GRACE = timedelta(minutes=5)  # clock skew between us and the responder
_DER = serialization.Encoding.DER


class RevocationState(StrEnum):
    """Status of a certificate according to its CA."""

    GOOD = "good"
    REVOKED = "revoked"
    SUSPENDED = (
        "suspended"  #: revoked "on hold" (certificateHold): not valid meanwhile (ND23-VALID-CERT)
    )
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class RevocationFacts:
    """What a CA said about one certificate, and where it said it."""

    state: RevocationState
    source: str  #: e.g. ``OCSP http://...``, ``CRL http://...``, ``CRL (supplied)``
    produced_at: datetime | None = None  #: thisUpdate of the CRL or OCSP answer
    next_update: datetime | None = None
    revoked_at: datetime | None = None
    reason: str | None = None  #: CRL reason code name, e.g. ``key_compromise``
    problems: tuple[str, ...] = ()  #: why the state is unknown, or what was tried first
    evidence: bytes | None = None  #: DER of the CRL or OCSP response used (TT15-EVIDENCE)

    def state_at(self, at: datetime) -> RevocationState:
        """The status at ``at``: revoked or suspended only from ``revoked_at`` on; a
        "good" answer covers times up to its ``next_update``."""
        if self.state in {RevocationState.REVOKED, RevocationState.SUSPENDED}:
            assert self.revoked_at is not None
            return self.state if self.revoked_at <= at else RevocationState.GOOD
        if self.state is RevocationState.GOOD:
            limit = self.next_update or ((self.produced_at or at) + _GRACE)
            return RevocationState.GOOD if at <= limit + _GRACE else RevocationState.UNKNOWN
        return RevocationState.UNKNOWN


class RevocationChecker:
    """Finds and verifies revocation facts; one instance per batch (its caches are
    what makes the second thousand signatures cheap). Thread-safe."""

    def __init__(
        self,
        *,
        online: bool = True,
        timeout: float = 5.0,
        retries: int = 1,
        crls: Iterable[bytes | x509.CertificateRevocationList] = (),
        ocsp_responses: Iterable[bytes] = (),
        methods: tuple[str, ...] = ("ocsp", "crl"),
    ) -> None:
        self.online = online
        self.timeout = timeout
        self.retries = retries
        self.methods = methods
        self.stats: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._supplied_crls = [_load_crl(c) for c in crls]
        self._supplied_ocsp = list(ocsp_responses)
        self._crl_by_url: dict[str, x509.CertificateRevocationList | str] = {}
        self._dead: dict[str, str] = {}  # URL -> why it failed; not asked again in this batch
        self._facts: dict[tuple[bytes, int], RevocationFacts] = {}

    def add(
        self,
        *,
        crls: Iterable[bytes | x509.CertificateRevocationList] = (),
        ocsp_responses: Iterable[bytes] = (),
    ) -> None:
        """Supply more offline data (CRL and OCSP files) for the rest of the batch."""
        with self._lock:
            self._supplied_crls.extend(_load_crl(c) for c in crls)
            self._supplied_ocsp.extend(ocsp_responses)

    def check(
        self,
        cert: x509.Certificate,
        issuer: x509.Certificate,
        *,
        crls: Iterable[bytes | x509.CertificateRevocationList] = (),
        ocsp_responses: Iterable[bytes] = (),
    ) -> RevocationFacts:
        """The revocation facts for ``cert`` issued by ``issuer``.

        ``crls`` and ``ocsp_responses`` are the data embedded in the document at
        hand; they are tried first and are not remembered for other documents.
        """
        embedded_problems: list[str] = []
        embedded = self._from_data(
            cert, issuer, crls, ocsp_responses, "embedded", embedded_problems
        )
        if embedded is not None:
            return embedded
        facts = self._cached_or_fetched(cert, issuer)
        if embedded_problems and facts.state is RevocationState.UNKNOWN:
            return RevocationFacts(
                facts.state, facts.source, problems=(*embedded_problems, *facts.problems)
            )
        return facts

    def _cached_or_fetched(
        self, cert: x509.Certificate, issuer: x509.Certificate
    ) -> RevocationFacts:
        key = (_fingerprint(issuer), cert.serial_number)
        with self._lock:
            cached = self._facts.get(key)
        if cached is not None:
            self.stats["cache_hits"] += 1
            return cached
        problems: list[str] = []
        facts = self._from_data(
            cert, issuer, self._supplied_crls, self._supplied_ocsp, "supplied", problems
        )
        if facts is None and self.online:
            for method in self.methods:
                found = (
                    self._ocsp_online(cert, issuer, problems)
                    if method == "ocsp"
                    else (self._crl_online(cert, issuer, problems))
                )
                if found is not None:
                    facts = found
                    break
        if facts is None:
            if not self.online:
                problems.append("offline, and no CRL or OCSP response was supplied for it")
            facts = RevocationFacts(RevocationState.UNKNOWN, "", problems=tuple(problems))
        with self._lock:
            self._facts[key] = facts
        return facts

    # -- offline data ---------------------------------------------------------------------

    def _from_data(
        self,
        cert: x509.Certificate,
        issuer: x509.Certificate,
        crls: Iterable[bytes | x509.CertificateRevocationList],
        responses: Iterable[bytes],
        origin: str,
        problems: list[str],
    ) -> RevocationFacts | None:
        for der in responses:
            found = _ocsp_facts(der, cert, issuer, f"OCSP ({origin})", None)
            if isinstance(found, RevocationFacts):
                return found
        for item in crls:
            try:
                crl = _load_crl(item)
            except ValueError:
                problems.append(f"{origin} data holds something that is not a CRL")
                continue
            if not _same_name(crl.issuer, issuer.subject):
                continue
            found = _crl_facts(crl, cert, issuer, f"CRL ({origin})")
            if isinstance(found, RevocationFacts):
                return found
            problems.append(found)
        return None

    # -- online -----------------------------------------------------------------------------

    def _ocsp_online(
        self, cert: x509.Certificate, issuer: x509.Certificate, problems: list[str]
    ) -> RevocationFacts | None:
        urls = _access_urls(cert, AuthorityInformationAccessOID.OCSP)
        if not urls:
            return None
        nonce = secrets.token_bytes(16)
        request = (
            ocsp.OCSPRequestBuilder()
            .add_certificate(cert, issuer, hashes.SHA1())  # noqa: S303 - the CertID hash every responder knows
            .add_extension(x509.OCSPNonce(nonce), critical=False)
            .build()
            .public_bytes(_DER)
        )
        for url in urls:
            try:
                der = self._http(url, request, "application/ocsp-request", _MAX_OCSP)
            except NetworkError as exc:
                problems.append(str(exc))
                continue
            self.stats["ocsp_requests"] += 1
            found = _ocsp_facts(der, cert, issuer, f"OCSP {url}", nonce)
            if isinstance(found, RevocationFacts) and found.state is not RevocationState.UNKNOWN:
                return found
            problems.append(found if isinstance(found, str) else f"OCSP {url}: status unknown")
        return None

    def _crl_online(
        self, cert: x509.Certificate, issuer: x509.Certificate, problems: list[str]
    ) -> RevocationFacts | None:
        for url in _crl_urls(cert):
            with self._lock:
                crl = self._crl_by_url.get(url)
            if crl is None:
                crl = self._download_crl(url, issuer)
                with self._lock:
                    self._crl_by_url[url] = crl
            else:
                self.stats["crl_cache_hits"] += 1
            if isinstance(crl, str):
                problems.append(crl)
                continue
            found = _crl_facts(crl, cert, issuer, f"CRL {url}")
            if isinstance(found, RevocationFacts):
                return found
            problems.append(found)
        return None

    def _download_crl(
        self, url: str, issuer: x509.Certificate
    ) -> x509.CertificateRevocationList | str:
        try:
            der = self._http(url, None, None, _MAX_CRL)
        except NetworkError as exc:
            return str(exc)
        self.stats["crl_downloads"] += 1
        try:
            crl = x509.load_der_x509_crl(der)
        except ValueError:
            try:
                crl = x509.load_pem_x509_crl(der)
            except ValueError:
                return f"CRL {url} is not a CRL"
        if not _crl_signed_by(crl, issuer):
            return f"CRL {url} is not signed by {issuer.subject.rfc4514_string()}"
        return crl

    def _http(self, url: str, data: bytes | None, content_type: str | None, limit: int) -> bytes:
        if not url.lower().startswith(("http://", "https://")):
            raise NetworkError(f"{url}: only http(s) revocation URLs are supported")
        with self._lock:
            dead = self._dead.get(url)
        if dead is not None:
            raise NetworkError(f"{dead} (not asked again in this batch)")
        try:
            return self._http_once(url, data, content_type, limit)
        except NetworkError as exc:
            if not isinstance(exc, _Refused):
                with self._lock:
                    self._dead[url] = str(exc)
            raise

    def _http_once(
        self, url: str, data: bytes | None, content_type: str | None, limit: int
    ) -> bytes:
        headers = {"User-Agent": f"vnsign/{__version__}"}
        if content_type:
            headers["Content-Type"] = content_type
        for attempt in range(self.retries + 1):
            request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 - http(s) checked above
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as reply:  # noqa: S310
                    body: bytes = reply.read(limit + 1)
            except urllib.error.HTTPError as exc:
                if exc.code >= 500 and attempt < self.retries:
                    time.sleep(0.2 * (attempt + 1))
                    continue
                raise _Refused(f"{url} answered HTTP {exc.code}") from exc
            except TimeoutError as exc:
                raise NetworkTimeoutError(
                    f"{url} did not answer within {self.timeout:g} s"
                ) from exc
            except urllib.error.URLError as exc:
                if isinstance(exc.reason, TimeoutError):
                    raise NetworkTimeoutError(
                        f"{url} did not answer within {self.timeout:g} s"
                    ) from exc
                if attempt < self.retries:
                    time.sleep(0.2 * (attempt + 1))
                    continue
                raise NetworkError(f"cannot reach {url}: {exc.reason}") from exc
            except OSError as exc:
                if attempt < self.retries:
                    continue
                raise NetworkError(f"cannot reach {url}: {exc}") from exc
            if len(body) > limit:
                raise NetworkError(f"{url} sent more than {limit} bytes")
            return body
        raise NetworkError(
            f"cannot reach {url}"
        )  # pragma: no cover - the loop always returns or raises


class _Refused(NetworkError):
    """The server answered, with an HTTP error: worth asking again for another certificate."""


# -- verifying CRLs ---------------------------------------------------------------------------


def _load_crl(item: bytes | x509.CertificateRevocationList) -> x509.CertificateRevocationList:
    if isinstance(item, x509.CertificateRevocationList):
        return item
    try:
        if b"-----BEGIN" in item:
            return x509.load_pem_x509_crl(item)
        return x509.load_der_x509_crl(item)
    except ValueError as exc:
        raise MalformedInputError(f"not a CRL: {exc}") from exc


def _crl_signed_by(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    if not _same_name(crl.issuer, issuer.subject):
        return False
    der = crl.public_bytes(_DER)
    algorithm = asn1_crl.CertificateList.load(der)["signature_algorithm"]
    return signature_ok(issuer, crl.signature, crl.tbs_certlist_bytes, algorithm)


def _crl_facts(
    crl: x509.CertificateRevocationList,
    cert: x509.Certificate,
    issuer: x509.Certificate,
    source: str,
) -> RevocationFacts | str:
    if not _crl_signed_by(crl, issuer):
        return f"{source}: not signed by the certificate's issuer"
    for ext in crl.extensions:
        if isinstance(ext.value, x509.DeltaCRLIndicator):
            return f"{source}: delta CRLs are not supported"
        if isinstance(ext.value, x509.IssuingDistributionPoint) and (
            ext.value.indirect_crl or ext.value.only_some_reasons
        ):
            return f"{source}: indirect or partitioned CRLs are not supported"
    entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
    evidence = crl.public_bytes(_DER)
    if entry is None:
        return RevocationFacts(
            RevocationState.GOOD,
            source,
            produced_at=crl.last_update_utc,
            next_update=crl.next_update_utc,
            evidence=evidence,
        )
    reason = None
    with contextlib.suppress(x509.ExtensionNotFound):
        reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    state = (
        RevocationState.SUSPENDED
        if reason is x509.ReasonFlags.certificate_hold
        else RevocationState.REVOKED
    )
    return RevocationFacts(
        state,
        source,
        produced_at=crl.last_update_utc,
        next_update=crl.next_update_utc,
        revoked_at=entry.revocation_date_utc,
        reason=_reason_name(reason),
        evidence=evidence,
    )


# -- verifying OCSP ---------------------------------------------------------------------------


def _ocsp_facts(
    der: bytes, cert: x509.Certificate, issuer: x509.Certificate, source: str, nonce: bytes | None
) -> RevocationFacts | str:
    try:
        response = ocsp.load_der_ocsp_response(der)
    except ValueError:
        return f"{source}: not an OCSP response"
    if response.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
        return f"{source}: responder answered {response.response_status.name.lower()}"
    single = _matching_response(response, cert, issuer)
    if single is None:
        return f"{source}: the answer is about another certificate"
    responder = _responder(response, issuer)
    if responder is None:
        return f"{source}: the responder is neither the issuer nor authorised by it"
    algorithm = asn1_ocsp.OCSPResponse.load(der).basic_ocsp_response["signature_algorithm"]
    if not signature_ok(responder, response.signature, response.tbs_response_bytes, algorithm):
        return f"{source}: the response signature does not verify"
    if nonce is not None:
        try:
            echoed = response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
        except x509.ExtensionNotFound:
            echoed = None
        if echoed is not None and echoed != nonce:  # absent nonces are common (cached answers)
            return f"{source}: the nonce does not match the request"
    status = single.certificate_status
    if status is ocsp.OCSPCertStatus.UNKNOWN:
        return RevocationFacts(
            RevocationState.UNKNOWN, source, problems=(f"{source}: the responder does not know it",)
        )
    if status is ocsp.OCSPCertStatus.GOOD:
        return RevocationFacts(
            RevocationState.GOOD,
            source,
            produced_at=single.this_update_utc,
            next_update=single.next_update_utc,
            evidence=der,
        )
    reason = single.revocation_reason
    return RevocationFacts(
        RevocationState.SUSPENDED
        if reason is x509.ReasonFlags.certificate_hold
        else RevocationState.REVOKED,
        source,
        produced_at=single.this_update_utc,
        next_update=single.next_update_utc,
        revoked_at=single.revocation_time_utc,
        reason=_reason_name(reason),
        evidence=der,
    )


def _matching_response(
    response: ocsp.OCSPResponse, cert: x509.Certificate, issuer: x509.Certificate
) -> ocsp.OCSPSingleResponse | None:
    for single in response.responses:
        if single.serial_number != cert.serial_number:
            continue
        name_hash, key_hash = _issuer_hashes(issuer, single.hash_algorithm.name)
        if single.issuer_name_hash == name_hash and single.issuer_key_hash == key_hash:
            return single
    return None


def _responder(response: ocsp.OCSPResponse, issuer: x509.Certificate) -> x509.Certificate | None:
    def is_named(candidate: x509.Certificate) -> bool:
        if response.responder_name is not None:
            return _same_name(response.responder_name, candidate.subject)
        return response.responder_key_hash == _issuer_hashes(candidate, "sha1")[1]

    if is_named(issuer):
        return issuer
    for candidate in response.certificates:
        if not is_named(candidate) or not issued_by(candidate, issuer):
            continue
        try:
            usages = candidate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except x509.ExtensionNotFound:
            continue
        if ExtendedKeyUsageOID.OCSP_SIGNING in usages:
            return candidate
    return None


# -- shared helpers ------------------------------------------------------------------------------


def _issuer_hashes(issuer: x509.Certificate, algorithm: str) -> tuple[bytes, bytes]:
    name_der = issuer.subject.public_bytes()
    spki = keys.PublicKeyInfo.load(
        issuer.public_key().public_bytes(_DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    key_bits = bytes(spki["public_key"].contents[1:])
    return hashlib.new(algorithm, name_der).digest(), hashlib.new(algorithm, key_bits).digest()


def _same_name(a: x509.Name, b: x509.Name) -> bool:
    """Names equal after the normalisation real Vietnamese CAs need: case, spacing,
    Unicode form, and dashes (the RS and USBTOKEN roots spell their CRL issuer with
    an en dash where their subject has a hyphen)."""
    return a == b or _normal(a) == _normal(b)


def _normal(name: x509.Name) -> tuple[tuple[str, str], ...]:
    out = []
    for attr in name:
        value = attr.value if isinstance(attr.value, str) else attr.value.decode("latin-1")
        value = unicodedata.normalize("NFKC", value)
        for dash in ("\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2212"):
            value = value.replace(dash, "-")
        out.append((attr.oid.dotted_string, " ".join(value.split()).casefold()))
    return tuple(sorted(out))


def _access_urls(cert: x509.Certificate, method: x509.ObjectIdentifier) -> list[str]:
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except (x509.ExtensionNotFound, ValueError):
        return []
    return [
        d.access_location.value
        for d in aia
        if d.access_method == method
        and isinstance(d.access_location, x509.UniformResourceIdentifier)
    ]


def _crl_urls(cert: x509.Certificate) -> list[str]:
    try:
        points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except (x509.ExtensionNotFound, ValueError):
        return []
    return [
        name.value
        for point in points
        for name in point.full_name or ()
        if isinstance(name, x509.UniformResourceIdentifier)
    ]


def _fingerprint(cert: x509.Certificate) -> bytes:
    return cert.fingerprint(hashes.SHA256())


def _reason_name(reason: x509.ReasonFlags | None) -> str | None:
    if reason is None:
        return None
    return {
        x509.ReasonFlags.unspecified: "unspecified",
        x509.ReasonFlags.key_compromise: "key_compromise",
        x509.ReasonFlags.ca_compromise: "ca_compromise",
        x509.ReasonFlags.affiliation_changed: "affiliation_changed",
        x509.ReasonFlags.superseded: "superseded",
        x509.ReasonFlags.cessation_of_operation: "cessation_of_operation",
        x509.ReasonFlags.certificate_hold: "certificate_hold",
        x509.ReasonFlags.privilege_withdrawn: "privilege_withdrawn",
        x509.ReasonFlags.aa_compromise: "aa_compromise",
        x509.ReasonFlags.remove_from_crl: "remove_from_crl",
    }[reason]
