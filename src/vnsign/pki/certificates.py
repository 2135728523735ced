"""Loading X.509 certificates from PEM, DER and PKCS#7 (``.p7b``) bytes or files."""

from __future__ import annotations

import hashlib
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

from vnsign.errors import MalformedInputError

__all__ = ["fingerprint_sha256", "load_certificate", "load_certificates"]

_PEM_CERT = b"-----BEGIN CERTIFICATE-----"
_PEM_PKCS7 = b"-----BEGIN PKCS7-----"


def load_certificates(source: bytes | str | Path) -> list[x509.Certificate]:
    """Every certificate in ``source``: PEM (one or many), DER, or PKCS#7 certs-only.

    ``source`` is the content as bytes, or a path. Raises
    :class:`~vnsign.errors.MalformedInputError` when nothing parses.
    """
    data = Path(source).read_bytes() if isinstance(source, str | Path) else source
    try:
        if _PEM_CERT in data:
            return x509.load_pem_x509_certificates(data)
        if _PEM_PKCS7 in data:
            return pkcs7.load_pem_pkcs7_certificates(data)
        try:
            return [x509.load_der_x509_certificate(data)]
        except ValueError:
            return pkcs7.load_der_pkcs7_certificates(data)
    except ValueError as exc:
        where = f"{source}: " if isinstance(source, str | Path) else ""
        raise MalformedInputError(f"{where}not an X.509 certificate or PKCS#7 bundle") from exc


def load_certificate(source: bytes | str | Path) -> x509.Certificate:
    """The single certificate in ``source`` (the first one of a bundle)."""
    certs = load_certificates(source)
    if not certs:
        raise MalformedInputError("no certificate found")
    return certs[0]


def fingerprint_sha256(cert: x509.Certificate) -> str:
    """Upper-case hex SHA-256 of the certificate's DER encoding."""
    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest().upper()
