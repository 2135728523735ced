"""Validation data for PAdES B-LT and B-LTA: trust roots, revocation data, and the
one function that turns them into pyHanko's validation context.

:func:`validation_context` is deliberately the only place PDF signing builds a
``ValidationContext``; when vnsign's own certificate validation is ready it can
take over here without touching the signing pipeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko_certvalidator import ValidationContext

from vnsign.errors import InputError

__all__ = ["RevocationData", "validation_context"]


@dataclass(frozen=True)
class RevocationData:
    """Validation data fetched beforehand (DER), for signing without network
    access to the OCSP responders and CRL distribution points."""

    ocsp_responses: tuple[bytes, ...] = ()
    crls: tuple[bytes, ...] = ()
    certificates: tuple[x509.Certificate, ...] = ()
    """Intermediate certificates that the signatures do not carry."""


def validation_context(
    trust_roots: Sequence[x509.Certificate],
    *,
    revocation: RevocationData | None = None,
    allow_fetching: bool = True,
) -> ValidationContext:
    """A validation context that trusts ``trust_roots`` and requires revocation
    data for every certificate below them, fetched online (OCSP, CRL, via the
    certificates' AIA and CRL distribution points) unless ``allow_fetching`` is
    false, in which case ``revocation`` must hold it all.

    The context opens its own HTTP session (10 s per request) when it first
    fetches; ``await context.aclose()`` releases it.
    """
    if not trust_roots:
        raise InputError(
            "PAdES B-LT and B-LTA need the trust roots the signer's chain ends in "
            "(for example the national root CA)"
        )
    revocation = revocation or RevocationData()
    return ValidationContext(
        trust_roots=[_asn1(c) for c in trust_roots],
        other_certs=[_asn1(c) for c in revocation.certificates],
        ocsps=list(revocation.ocsp_responses),
        crls=list(revocation.crls),
        allow_fetching=allow_fetching,
        revocation_mode="require",
    )


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))
