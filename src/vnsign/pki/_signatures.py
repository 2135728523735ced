"""Checking a signature made by a certificate's key (any algorithm pyhanko-certvalidator knows)."""

from __future__ import annotations

from asn1crypto import algos, keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from pyhanko_certvalidator.sig_validate import DefaultSignatureValidator

_DER = serialization.Encoding.DER


def signature_ok(
    signer: x509.Certificate, signature: bytes, data: bytes, algorithm: algos.SignedDigestAlgorithm
) -> bool:
    """Whether ``signature`` over ``data`` verifies with ``signer``'s public key.

    Legacy algorithms (SHA-1, RSA-1024) verify here; whether they are
    *acceptable* is the algorithm policy's call.
    """
    public_key = keys.PublicKeyInfo.load(
        signer.public_key().public_bytes(_DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    try:
        DefaultSignatureValidator().validate_signature(signature, data, public_key, algorithm)
    except (InvalidSignature, ValueError, TypeError):  # certvalidator's errors subclass these
        return False
    return True


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether ``issuer``'s key signed ``cert`` (names are not compared)."""
    algorithm = asn1_x509.Certificate.load(cert.public_bytes(_DER))["signature_algorithm"]
    return signature_ok(issuer, cert.signature, cert.tbs_certificate_bytes, algorithm)
