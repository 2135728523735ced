"""Small helpers shared by the adapters: identifiers and encodings of the wire."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any

from asn1crypto import algos
from cryptography import x509

from vnsign.errors import RemoteResponseError
from vnsign.pki.credentials import HashAlgorithm, KeyKind, SignatureScheme, order_chain
from vnsign.pki.remote.model import SignatureMechanism

__all__ = [
    "b64",
    "certificates_from_base64",
    "hash_oid",
    "pss_params_b64",
    "sign_algorithm_oid",
    "text_field",
]


def b64(data: bytes) -> str:
    """Standard base64, no line breaks."""
    return base64.b64encode(data).decode("ascii")


def hash_oid(algorithm: HashAlgorithm) -> str:
    """The dotted OID of a hash algorithm (CSC ``hashAlgo``)."""
    return str(algos.DigestAlgorithmId(algorithm.value).dotted)


def sign_algorithm_oid(mechanism: SignatureMechanism) -> str:
    """The dotted OID of the signature algorithm (CSC ``signAlgo``)."""
    if mechanism.key_kind is KeyKind.ECDSA:
        name = f"{mechanism.hash_algorithm.value}_ecdsa"
    elif mechanism.scheme is SignatureScheme.PSS:
        name = "rsassa_pss"
    else:
        name = f"{mechanism.hash_algorithm.value}_rsa"
    return str(algos.SignedDigestAlgorithmId(name).dotted)


def pss_params_b64(mechanism: SignatureMechanism) -> str:
    """Base64 DER ``RSASSA-PSS-params`` (salt length = digest length)."""
    digest = mechanism.hash_algorithm
    params = algos.RSASSAPSSParams(
        {
            "hash_algorithm": {"algorithm": digest.value},
            "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": digest.value}},
            "salt_length": digest.digest_size,
        }
    )
    return b64(params.dump())


def certificates_from_base64(
    values: Sequence[Any], where: str
) -> tuple[x509.Certificate, tuple[x509.Certificate, ...]]:
    """The signer's certificate (first) and its issuers from base64 DER strings."""
    certs = []
    for value in values:
        if not isinstance(value, str):
            raise RemoteResponseError(f"{where}: a certificate that is not a string")
        try:
            der = base64.b64decode("".join(value.split()), validate=True)
            certs.append(x509.load_der_x509_certificate(der))
        except (binascii.Error, ValueError) as exc:
            raise RemoteResponseError(f"{where}: an unreadable certificate ({exc})") from exc
    if not certs:
        raise RemoteResponseError(f"{where}: no certificate")
    return certs[0], order_chain(certs[0], certs[1:])


def text_field(data: dict[str, Any], name: str, where: str) -> str:
    """``data[name]`` when it is a non-empty string."""
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise RemoteResponseError(f"{where}: missing or malformed {name!r}")
    return value
