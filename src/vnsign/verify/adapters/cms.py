"""Facts from a CMS ``SignedData``: the signature inside a PDF, or a detached .p7s.

The checks themselves are :mod:`vnsign.formats.cades`'s (one CMS checking path
for signing and verifying); this module states them as format-neutral facts and
adds what only the verifier needs (revocation data archived in the signature).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import cms
from cryptography import x509
from pyhanko.sign.general import (
    MultivaluedAttributeError,
    NonexistentAttributeError,
    find_unique_cms_attribute,
)

import vnsign._pyhanko_speedups  # noqa: F401 - faster pyHanko, same answers
from vnsign.errors import MalformedInputError
from vnsign.formats.cades import CadesSignerResult, TimestampCheck, verify_signed_data
from vnsign.pki.timestamps import TimestampToken
from vnsign.verify.facts import TimestampFacts

__all__ = ["CmsFacts", "read_signed_data", "signer_facts", "timestamp_facts"]


@dataclass(frozen=True)
class CmsFacts:
    """What one signer of a ``SignedData`` shows."""

    signer_certificate: x509.Certificate | None
    certificates: tuple[x509.Certificate, ...]
    intact: bool | None
    signature_valid: bool | None
    integrity_problem: str
    format_problem: str
    digest_algorithm: str
    signature_algorithm: str
    claimed_time: datetime | None
    timestamps: tuple[TimestampFacts, ...]
    crls: tuple[bytes, ...]
    ocsp_responses: tuple[bytes, ...]
    has_signing_certificate_v2: bool


def read_signed_data(signed_data: cms.SignedData, *, actual_digest: bytes) -> CmsFacts:
    """Facts about the first signer of ``signed_data`` over content whose digest, in
    that signer's digest algorithm, is ``actual_digest``."""
    try:
        signer_info = signed_data["signer_infos"][0]
        algorithm = signer_info["digest_algorithm"]["algorithm"].native
        verification = verify_signed_data(signed_data, {algorithm: actual_digest})
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        return _broken(f"the CMS signature cannot be read: {exc}")
    return signer_facts(verification.signers[0], signer_info, verification.certificates)


def signer_facts(
    result: CadesSignerResult,
    signer_info: cms.SignerInfo,
    certificates: tuple[x509.Certificate, ...],
) -> CmsFacts:
    """State one checked ``SignerInfo`` as facts."""
    other = [p for p in result.problems if p != result.format_problem]
    integrity = "" if result.format_problem else "; ".join(other)
    intact: bool | None = result.content_intact
    valid: bool | None = result.signature_valid
    if result.signer_certificate is None or result.format_problem:
        intact = intact if intact is False else None
        valid = None
    crls, responses = _archived_revocation_info(signer_info)
    return CmsFacts(
        signer_certificate=result.signer_certificate,
        certificates=certificates,
        intact=intact,
        signature_valid=valid,
        integrity_problem=integrity,
        format_problem=result.format_problem,
        digest_algorithm=result.digest_algorithm,
        signature_algorithm=_signature_algorithm(result),
        claimed_time=result.signing_time,
        timestamps=tuple(_stamp(check) for check in result.timestamps),
        crls=crls,
        ocsp_responses=responses,
        has_signing_certificate_v2=_has_attribute(signer_info, "signing_certificate_v2"),
    )


def timestamp_facts(token_der: bytes, imprint_of: bytes) -> TimestampFacts:
    """Facts about an RFC 3161 token that should stamp ``imprint_of``."""
    try:
        token = TimestampToken.parse(token_der)
    except MalformedInputError as exc:
        return TimestampFacts(
            gen_time=None,
            tsa_certificate=None,
            certificates=(),
            intact=False,
            signature_valid=False,
            hash_algorithm="",
            problem=str(exc),
        )
    try:
        digest = hashlib.new(token.hash_algorithm, imprint_of).digest()
    except ValueError:
        digest = b""
    return _stamp(
        TimestampCheck(token, token.covers(digest, token.hash_algorithm), token.signature_valid())
    )


def _stamp(check: TimestampCheck) -> TimestampFacts:
    token = check.token
    problem = ""
    if not check.covers_signature:
        problem = "the time stamp does not cover this signature"
    elif not check.token_signature_valid:
        problem = "the time stamp's own signature does not verify"
    return TimestampFacts(
        gen_time=token.gen_time,
        tsa_certificate=token.tsa_certificate,
        certificates=token.certificates,
        intact=check.covers_signature,
        signature_valid=check.token_signature_valid,
        hash_algorithm=token.hash_algorithm,
        problem=problem,
    )


def _signature_algorithm(result: CadesSignerResult) -> str:
    if result.signature_algorithm in {"rsassa_pkcs1v15", "rsa"}:  # the digest is named separately
        return f"{result.digest_algorithm}_rsa"
    return result.signature_algorithm


def _has_attribute(signer_info: cms.SignerInfo, name: str) -> bool:
    try:
        find_unique_cms_attribute(signer_info["signed_attrs"], name)
    except (NonexistentAttributeError, MultivaluedAttributeError, ValueError, TypeError):
        return False
    return True


def _archived_revocation_info(
    signer_info: cms.SignerInfo,
) -> tuple[tuple[bytes, ...], tuple[bytes, ...]]:
    """CRLs and OCSP responses in Adobe's signed revocation-info attribute (PDF signatures)."""
    try:
        archive = find_unique_cms_attribute(
            signer_info["signed_attrs"], "adobe_revocation_info_archival"
        )
    except (NonexistentAttributeError, MultivaluedAttributeError, ValueError, TypeError, KeyError):
        return (), ()
    crls = tuple(c.dump() for c in archive["crl"] or ())
    responses = tuple(o.dump() for o in archive["ocsp"] or ())
    return crls, responses


def _broken(problem: str) -> CmsFacts:
    return CmsFacts(
        signer_certificate=None,
        certificates=(),
        intact=None,
        signature_valid=None,
        integrity_problem="",
        format_problem=problem,
        digest_algorithm="",
        signature_algorithm="",
        claimed_time=None,
        timestamps=(),
        crls=(),
        ocsp_responses=(),
        has_signing_certificate_v2=False,
    )
