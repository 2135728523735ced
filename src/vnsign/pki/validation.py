"""Certificate validation at the time a signature was made.

``validate_certificate(cert, at=signing_time)`` answers, in ETSI EN 319 102-1
terms, whether ``cert`` could make a valid Vietnamese signature at ``at``:

* a chain to a trust anchor, every certificate valid at ``at`` (TT15-TRUST-PATH,
  ND68-PATH) — built and checked with pyhanko-certvalidator;
* algorithms allowed at ``at`` for every signature in the chain and for the
  signer's key (STD-TT15-CRYPTO, judged by the rules of the signing time);
* key usage fit for the purpose (TT15-APPX-II 1.4);
* not revoked or suspended at ``at`` (ND68-CERT-VALID, ND23-VALID-CERT), from
  verified OCSP answers and CRLs; no revocation data means INDETERMINATE
  (TRY_LATER), never valid.

A :class:`CertificateValidator` serves a whole batch: chains are validated once
per signer and per span of time in which the answer cannot change (the spans
are cut at every validity boundary in the chain and at policy cut-off dates),
and revocation data is fetched and checked once.
"""

from __future__ import annotations

import asyncio
import bisect
import dataclasses
import functools
import itertools
import threading
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from asn1crypto import algos, keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID
from pyhanko_certvalidator import CertificateValidator as PathValidator
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import (
    DisallowedAlgorithmError,
    ExpiredError,
    NotYetValidError,
    PathBuildingError,
    PathValidationError,
    ValidationError,
)
from pyhanko_certvalidator.path import ValidationPath
from pyhanko_certvalidator.policy_decl import (
    AlgorithmUsageConstraint,
    AlgorithmUsagePolicy,
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)

import vnsign._pyhanko_speedups  # noqa: F401 - faster pyHanko, same answers
from vnsign.pki._signatures import issued_by
from vnsign.pki.algorithms import AlgorithmPolicy
from vnsign.pki.identity import CertificateInfo, Regime, extension
from vnsign.pki.revocation import RevocationChecker, RevocationFacts, RevocationState
from vnsign.pki.status import Indication, SubIndication
from vnsign.pki.trust import TrustAnchor, TrustStore

__all__ = [
    "CertificateValidation",
    "CertificateValidator",
    "Usage",
    "ValidationPolicy",
    "validate_certificate",
]

_FAR_PAST = datetime(1, 1, 1, tzinfo=UTC)
_FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)


class Usage(StrEnum):
    """What the certificate is checked for."""

    SIGNING = "signing"  #: keyUsage digitalSignature or nonRepudiation
    TIME_STAMPING = "time-stamping"  #: extendedKeyUsage timeStamping (RFC 3161 §2.3)
    ANY = "any"


@dataclass(frozen=True)
class ValidationPolicy:
    """What certificate validation insists on."""

    algorithms: AlgorithmPolicy = field(default_factory=AlgorithmPolicy)
    require_revocation: bool = True  #: no revocation data → INDETERMINATE (TRY_LATER)
    check_ca_revocation: bool = True  #: also check the intermediate CAs


@dataclass(frozen=True)
class CertificateValidation:
    """The outcome of validating one certificate at one time."""

    certificate: x509.Certificate
    validation_time: datetime
    indication: Indication
    sub_indication: SubIndication | None
    message: str
    path: tuple[x509.Certificate, ...] = ()  #: signer first, trust anchor last
    anchor: TrustAnchor | None = None
    revocation: tuple[RevocationFacts, ...] = ()  #: for each certificate of the path but the anchor
    warnings: tuple[str, ...] = ()
    revoked_later: datetime | None = (
        None  #: the signer was revoked (or suspended) after the validation time
    )

    @property
    def valid(self) -> bool:
        """Whether the indication is PASSED."""
        return self.indication is Indication.PASSED

    @property
    def regime(self) -> Regime:
        """Public, official duty, foreign or unknown: the anchor's regime."""
        return self.anchor.regime if self.anchor else Regime.UNKNOWN

    @functools.cached_property
    def info(self) -> CertificateInfo:
        """The certificate's Vietnamese identity, read with the regime known."""
        return CertificateInfo.from_certificate(self.certificate, regime=self.regime)


@dataclass(frozen=True)
class _ChainOutcome:
    indication: Indication
    sub_indication: SubIndication | None
    message: str
    path: tuple[x509.Certificate, ...]
    anchor: TrustAnchor | None
    warnings: tuple[str, ...]


class CertificateValidator:
    """Validates certificates against a trust store; one instance per batch.

    ::

        validator = CertificateValidator(TrustStore.builtin(), online=True, timeout=5)
        for signature in signatures:
            result = validator.validate(signature.certificate, at=signature.time,
                                        intermediates=signature.certificates)
    """

    def __init__(
        self,
        trust: TrustStore | None = None,
        *,
        policy: ValidationPolicy | None = None,
        online: bool = True,
        timeout: float = 5.0,
        retries: int = 1,
        crls: Iterable[bytes | x509.CertificateRevocationList] = (),
        ocsp_responses: Iterable[bytes] = (),
        revocation: RevocationChecker | None = None,
    ) -> None:
        self.trust = trust if trust is not None else TrustStore.builtin()
        self.policy = policy or ValidationPolicy()
        self.revocation = revocation or RevocationChecker(
            online=online,
            timeout=timeout,
            retries=retries,
            crls=crls,
            ocsp_responses=ocsp_responses,
        )
        self._roots = [_asn1(a.certificate) for a in self.trust.anchors]
        self._pool = [_asn1(c) for c in self.trust.intermediates]
        self._lock = threading.Lock()
        self._spans: dict[
            tuple[bytes, frozenset[bytes]], list[tuple[datetime, datetime, _ChainOutcome]]
        ] = {}
        self.chain_validations = 0  #: how many times a chain was actually validated (cache misses)

    def validate(
        self,
        certificate: x509.Certificate,
        *,
        at: datetime | None = None,
        intermediates: Iterable[x509.Certificate] = (),
        usage: Usage = Usage.SIGNING,
        crls: Iterable[bytes | x509.CertificateRevocationList] = (),
        ocsp_responses: Iterable[bytes] = (),
    ) -> CertificateValidation:
        """Validate ``certificate`` at ``at`` (default: now).

        ``intermediates`` are certificates found with it (e.g. in the signature);
        ``crls`` and ``ocsp_responses`` are revocation data embedded in the
        document, used before anything is fetched.
        """
        at = (at or datetime.now(UTC)).astimezone(UTC)
        extras = tuple(c for c in intermediates if c != certificate)
        chain = self._chain(certificate, extras, at)

        def result(
            indication: Indication,
            sub: SubIndication | None,
            message: str,
            revocation: tuple[RevocationFacts, ...] = (),
            warnings: tuple[str, ...] = (),
            revoked_later: datetime | None = None,
        ) -> CertificateValidation:
            return CertificateValidation(
                certificate,
                at,
                indication,
                sub,
                message,
                chain.path,
                chain.anchor,
                revocation,
                chain.warnings + warnings,
                revoked_later,
            )

        if chain.indication is not Indication.PASSED:
            return result(chain.indication, chain.sub_indication, chain.message)
        usage_problem = _usage_problem(certificate, usage)
        if usage_problem:
            return result(
                Indication.INDETERMINATE, SubIndication.CHAIN_CONSTRAINTS_FAILURE, usage_problem
            )
        kind, bits = _key_facts(certificate)
        key_verdict = self.policy.algorithms.key(kind, bits, at)
        if not key_verdict.acceptable:
            return result(
                Indication.INDETERMINATE,
                SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
                f"the signer's key is not acceptable at {at:%Y-%m-%d}: {key_verdict.reason}",
            )
        key_warning = (key_verdict.reason,) if key_verdict.warning else ()
        return self._judge_revocation(
            certificate, chain, at, usage, crls, ocsp_responses, key_warning, result
        )

    def _judge_revocation(
        self,
        certificate: x509.Certificate,
        chain: _ChainOutcome,
        at: datetime,
        usage: Usage,
        crls: Iterable[bytes | x509.CertificateRevocationList],
        ocsp_responses: Iterable[bytes],
        warnings: tuple[str, ...],
        result: Callable[..., CertificateValidation],
    ) -> CertificateValidation:
        crls, ocsp_responses = tuple(crls), tuple(ocsp_responses)
        pairs = list(zip(chain.path[:-1], chain.path[1:], strict=True))
        if not self.policy.check_ca_revocation:
            pairs = pairs[:1]
        facts: list[RevocationFacts] = []
        unknown: list[str] = []
        revoked_later = None
        for index, (cert, issuer) in enumerate(pairs):
            if index == 0 and usage is Usage.TIME_STAMPING and _no_check(cert):
                continue
            found = self.revocation.check(cert, issuer, crls=crls, ocsp_responses=ocsp_responses)
            facts.append(found)
            state = found.state_at(at)
            who = "the certificate" if index == 0 else f"CA certificate {_cn(cert)}"
            if state in {RevocationState.REVOKED, RevocationState.SUSPENDED}:
                verb = "suspended" if state is RevocationState.SUSPENDED else "revoked"
                assert found.revoked_at is not None
                message = (
                    f"{who} was {verb} on {found.revoked_at:%Y-%m-%d %H:%M} UTC"
                    f"{f' ({found.reason})' if found.reason else ''}, before the validation time "
                    f"{at:%Y-%m-%d %H:%M} UTC ({found.source})"
                )
                if index == 0:
                    return result(
                        Indication.FAILED, SubIndication.REVOKED, message, tuple(facts), warnings
                    )
                return result(
                    Indication.INDETERMINATE,
                    SubIndication.REVOKED_CA_NO_POE,
                    message,
                    tuple(facts),
                    warnings,
                )
            if state is RevocationState.UNKNOWN:
                reasons = "; ".join(found.problems) or "no revocation information"
                unknown.append(f"{who}: {reasons}")
            elif index == 0 and found.revoked_at is not None:
                revoked_later = found.revoked_at
        if unknown and self.policy.require_revocation:
            return result(
                Indication.INDETERMINATE,
                SubIndication.TRY_LATER,
                "revocation status unknown: " + " | ".join(unknown),
                tuple(facts),
                warnings,
            )
        later_note = (
            (f"the certificate was revoked later, on {revoked_later:%Y-%m-%d %H:%M} UTC",)
            if revoked_later
            else ()
        )
        return result(
            Indication.PASSED,
            None,
            f"valid at {at:%Y-%m-%d %H:%M} UTC, chain to {_cn(chain.path[-1])}",
            tuple(facts),
            warnings + later_note,
            revoked_later,
        )

    # -- chains ------------------------------------------------------------------------------

    def _chain(
        self, certificate: x509.Certificate, extras: tuple[x509.Certificate, ...], at: datetime
    ) -> _ChainOutcome:
        key = (
            certificate.fingerprint(hashes.SHA256()),
            frozenset(c.fingerprint(hashes.SHA256()) for c in extras),
        )
        with self._lock:
            for start, end, outcome in self._spans.get(key, ()):
                if start <= at < end:
                    return outcome
        outcome, boundaries = self._validate_chain(certificate, extras, at)
        index = bisect.bisect_right(boundaries, at)
        start = boundaries[index - 1] if index > 0 else _FAR_PAST
        end = boundaries[index] if index < len(boundaries) else _FAR_FUTURE
        with self._lock:
            self._spans.setdefault(key, []).append((start, end, outcome))
            self.chain_validations += 1
        return outcome

    def _validate_chain(
        self, certificate: x509.Certificate, extras: tuple[x509.Certificate, ...], at: datetime
    ) -> tuple[_ChainOutcome, list[datetime]]:
        algorithm_policy = _TT15UsagePolicy(self.policy.algorithms)
        context = ValidationContext(
            trust_roots=self._roots,
            other_certs=[*self._pool, *(_asn1(c) for c in extras)],
            moment=at,
            allow_fetching=False,
            revinfo_policy=_NO_REVOCATION_CHECK,  # revocation is judged from our own facts
            algorithm_usage_policy=algorithm_policy,
        )
        validator = PathValidator(_asn1(certificate), validation_context=context)
        untrusted = _ChainOutcome(
            Indication.INDETERMINATE,
            SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
            "no chain to a trusted root: the issuer is unknown or not trusted",
            (certificate,),
            None,
            (),
        )
        if certificate.issuer == certificate.subject and self.trust.anchor_for(certificate) is None:
            message = "the certificate is self-signed and not a trusted root"
            return _replace(untrusted, message=message), self._boundaries((certificate,))
        try:
            path = _run(validator.async_validate_path())
        except PathBuildingError:
            return untrusted, self._boundaries((certificate,))
        except (PathValidationError, ValidationError) as exc:
            path_certs = _path_of(exc) or (certificate,)
            forged = next(
                (c for c, i in itertools.pairwise(path_certs) if not issued_by(c, i)), None
            )
            if forged is not None:
                message = (
                    f"no chain to a trusted root: {_cn(forged)} names a trusted CA as its issuer, "
                    "but that CA did not sign it (a look-alike)"
                )
                return _replace(untrusted, message=message, path=path_certs), self._boundaries(
                    path_certs
                )
            sub, message = _failure(exc, at, algorithm_policy.refusals)
            outcome = _ChainOutcome(
                Indication.INDETERMINATE,
                sub,
                message,
                path_certs,
                self.trust.anchor_for(path_certs[-1]),
                tuple(dict.fromkeys(algorithm_policy.warnings)),
            )
            return outcome, self._boundaries(path_certs)
        certs = _certs_of(path)
        anchor = self.trust.anchor_for(certs[-1])
        outcome = _ChainOutcome(
            Indication.PASSED,
            None,
            "",
            certs,
            anchor,
            tuple(dict.fromkeys(algorithm_policy.warnings)),
        )
        return outcome, self._boundaries(certs)

    def _boundaries(self, certs: Iterable[x509.Certificate]) -> list[datetime]:
        points = {self.policy.algorithms.cutoff.astimezone(UTC)}
        for cert in certs:
            points.add(cert.not_valid_before_utc)
            points.add(cert.not_valid_after_utc + timedelta(seconds=1))
        return sorted(points)


def validate_certificate(
    certificate: x509.Certificate,
    *,
    at: datetime | None = None,
    trust: TrustStore | None = None,
    policy: ValidationPolicy | None = None,
    intermediates: Iterable[x509.Certificate] = (),
    usage: Usage = Usage.SIGNING,
    online: bool = True,
    timeout: float = 5.0,
    crls: Iterable[bytes | x509.CertificateRevocationList] = (),
    ocsp_responses: Iterable[bytes] = (),
) -> CertificateValidation:
    """Validate one certificate (see :class:`CertificateValidator` for batches)."""
    validator = CertificateValidator(
        trust,
        policy=policy,
        online=online,
        timeout=timeout,
        crls=crls,
        ocsp_responses=ocsp_responses,
    )
    return validator.validate(certificate, at=at, intermediates=intermediates, usage=usage)


_NO_REVOCATION_CHECK = CertRevTrustPolicy(
    RevocationCheckingPolicy(
        ee_certificate_rule=RevocationCheckingRule.NO_CHECK,
        intermediate_ca_cert_rule=RevocationCheckingRule.NO_CHECK,
    )
)


class _TT15UsagePolicy(AlgorithmUsagePolicy):
    """pyhanko-certvalidator's algorithm hook, answered by :class:`AlgorithmPolicy`."""

    def __init__(self, policy: AlgorithmPolicy) -> None:
        self.policy = policy
        self.warnings: list[str] = []
        self.refusals: list[str] = []

    def digest_algorithm_allowed(
        self, algo: algos.DigestAlgorithm, moment: datetime | None
    ) -> AlgorithmUsageConstraint:
        verdict = self.policy.digest(algo["algorithm"].native, moment or datetime.now(UTC))
        return self._constraint(verdict.acceptable, verdict.reason, verdict.warning)

    def signature_algorithm_allowed(
        self,
        algo: algos.SignedDigestAlgorithm,
        moment: datetime | None,
        public_key: keys.PublicKeyInfo | None,
    ) -> AlgorithmUsageConstraint:
        at = moment or datetime.now(UTC)
        try:
            digest_name = algo.hash_algo
        except ValueError:
            digest_name = "unknown"
        verdict = self.policy.digest(digest_name, at)
        if not verdict.acceptable:
            return self._constraint(False, verdict.reason, False)
        reasons = [verdict.reason] if verdict.warning else []
        if public_key is not None:
            key_verdict = self.policy.key(public_key.algorithm, public_key.bit_size, at)
            if not key_verdict.acceptable:
                return self._constraint(False, key_verdict.reason, False)
            if key_verdict.warning:
                reasons.append(key_verdict.reason)
        for reason in reasons:
            self.warnings.append(f"{reason} (in the certificate chain)")
        return AlgorithmUsageConstraint(allowed=True)

    def _constraint(self, allowed: bool, reason: str, warning: bool) -> AlgorithmUsageConstraint:
        if allowed and warning:
            self.warnings.append(f"{reason} (in the certificate chain)")
        if not allowed:
            self.refusals.append(reason)
        return AlgorithmUsageConstraint(allowed=allowed, failure_reason=reason or None)


def _run(coroutine: Coroutine[object, object, ValidationPath]) -> ValidationPath:
    """Run a pyhanko-certvalidator coroutine, also from inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    outcome: list[ValidationPath | BaseException] = []

    def worker() -> None:
        try:
            outcome.append(asyncio.run(coroutine))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            outcome.append(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def _failure(exc: Exception, at: datetime, refusals: list[str]) -> tuple[SubIndication, str]:
    if isinstance(exc, ExpiredError):
        return (
            SubIndication.OUT_OF_BOUNDS_NO_POE,
            f"a certificate in the chain expired on {exc.expired_dt:%Y-%m-%d %H:%M} UTC, "
            f"before the validation time {at:%Y-%m-%d %H:%M} UTC",
        )
    if isinstance(exc, NotYetValidError):
        return (
            SubIndication.NOT_YET_VALID,
            f"a certificate in the chain is only valid from {exc.valid_from:%Y-%m-%d %H:%M} UTC, "
            f"after the validation time {at:%Y-%m-%d %H:%M} UTC",
        )
    if isinstance(exc, DisallowedAlgorithmError):
        reason = refusals[-1] if refusals else str(exc)
        return (
            SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
            "a certificate in the chain is signed with an algorithm not allowed at "
            f"{at:%Y-%m-%d}: {reason}",
        )
    if isinstance(exc, PathValidationError):
        return SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE, str(exc)
    return SubIndication.CHAIN_CONSTRAINTS_FAILURE, str(exc)


def _replace(outcome: _ChainOutcome, **changes: object) -> _ChainOutcome:
    return dataclasses.replace(outcome, **changes)  # type: ignore[arg-type]


def _usage_problem(cert: x509.Certificate, usage: Usage) -> str:
    if usage is Usage.ANY:
        return ""
    try:
        cert.extensions  # noqa: B018 - parsed lazily; a malformed extension surfaces here
    except ValueError as exc:
        return f"the certificate's extensions cannot be read ({exc})"
    if usage is Usage.TIME_STAMPING:
        eku = extension(cert, x509.ExtendedKeyUsage)
        if eku is None:
            return "a time-stamping certificate needs the timeStamping extended key usage"
        if ExtendedKeyUsageOID.TIME_STAMPING not in eku:
            return "the certificate is not for time-stamping (no timeStamping extended key usage)"
        return ""
    ku = extension(cert, x509.KeyUsage)
    if ku is None:
        return ""
    if not (ku.digital_signature or ku.content_commitment):
        return (
            "the certificate is not for signing: "
            "key usage has neither digitalSignature nor nonRepudiation"
        )
    return ""


def _no_check(cert: x509.Certificate) -> bool:
    return extension(cert, x509.OCSPNoCheck) is not None


def _key_facts(cert: x509.Certificate) -> tuple[str, int]:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "rsa", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "ec", key.curve.key_size
    return type(key).__name__.lower(), 0


def _cn(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    value = names[0].value if names else cert.subject.rfc4514_string()
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))


def _from_asn1(cert: asn1_x509.Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(cert.dump())


def _certs_of(path: ValidationPath) -> tuple[x509.Certificate, ...]:
    certs = [_from_asn1(c) for c in path.iter_certs(include_root=True)]
    return tuple(reversed(certs))


def _path_of(exc: Exception) -> tuple[x509.Certificate, ...]:
    path = getattr(exc, "original_path", None)
    if isinstance(path, ValidationPath):
        return _certs_of(path)
    return ()
