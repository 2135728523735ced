"""``ds:SignatureValue`` encodings and checks (all arithmetic in ``cryptography``).

RSA values are the raw PKCS#1 signature. DSA and ECDSA values are ``r || s``,
each integer left-padded to the size of the group order (XMLDSig 1.1 §6.4);
CMS and :class:`~vnsign.pki.credentials.Credential` use the DER
``ECDSA-Sig-Value`` instead, so values are converted both ways.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from vnsign.formats.xml.algorithms import SignatureMethod
from vnsign.formats.xml.keyinfo import PublicKey

__all__ = ["der_to_raw", "verify_value"]


def _order_bytes(key: ec.EllipticCurvePublicKey | dsa.DSAPublicKey) -> int:
    if isinstance(key, ec.EllipticCurvePublicKey):
        return (key.curve.key_size + 7) // 8
    return (key.parameters().parameter_numbers().q.bit_length() + 7) // 8


def der_to_raw(der: bytes, key: ec.EllipticCurvePublicKey | dsa.DSAPublicKey) -> bytes:
    """A DER ``ECDSA-Sig-Value``/``Dss-Sig-Value`` as XMLDSig's ``r || s``."""
    r, s = decode_dss_signature(der)
    size = _order_bytes(key)
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def verify_value(method: SignatureMethod, key: PublicKey, data: bytes, value: bytes) -> bool:
    """Whether ``value`` is a ``method`` signature of ``data`` under ``key``.

    A key of the wrong type for the method simply does not verify.
    """
    try:
        if method.key_type in {"rsa", "rsa-pss"}:
            if not isinstance(key, rsa.RSAPublicKey):
                return False
            pad: padding.AsymmetricPadding = (
                padding.PSS(mgf=padding.MGF1(method.hash), salt_length=method.hash.digest_size)
                if method.key_type == "rsa-pss"
                else padding.PKCS1v15()
            )
            key.verify(value, data, pad, method.hash)
            return True
        if method.key_type == "ecdsa":
            if not isinstance(key, ec.EllipticCurvePublicKey):
                return False
            key.verify(_raw_to_der(value, key), data, ec.ECDSA(method.hash))
            return True
        if not isinstance(key, dsa.DSAPublicKey):
            return False
        key.verify(_raw_to_der(value, key), data, method.hash)
        return True
    except (InvalidSignature, ValueError, UnsupportedAlgorithm):
        return False


def _raw_to_der(value: bytes, key: ec.EllipticCurvePublicKey | dsa.DSAPublicKey) -> bytes:
    size = _order_bytes(key)
    if len(value) != 2 * size:
        raise ValueError(f"expected a {2 * size}-byte r||s value, got {len(value)} bytes")
    return encode_dss_signature(
        int.from_bytes(value[:size], "big"), int.from_bytes(value[size:], "big")
    )
