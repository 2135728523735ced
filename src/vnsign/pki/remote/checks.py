"""The mandatory checks on what a provider returns, before anything is embedded.

1. The number of values and their item ids match the request exactly.
2. Each value decodes strictly in the provider's encoding (base64 or hex).
3. Each value is a valid signature, by the key of the credential's certificate,
   over the exact digest that was sent, with the mechanism asked for (RSA
   PKCS#1 v1.5 or PSS, ECDSA in DER or ``r || s`` as the provider returns it).
4. The certificate is usable for signing at the time the values arrive
   (:func:`~vnsign.pki.credentials.check_signing_certificate`).

A failure raises :class:`CheckFailure` with the reason; the engine moves the
transaction to INVALID. Nothing here trusts the provider's own claims.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Sequence
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from vnsign.errors import CertificateNotUsableError, RemoteResponseError
from vnsign.pki.credentials import KeyKind, SignatureScheme, check_signing_certificate
from vnsign.pki.remote.model import (
    DigestItem,
    EcdsaFormat,
    ReturnedValue,
    SignatureMechanism,
    ValueEncoding,
    VerifiedSignature,
)
from vnsign.pki.remote.states import FailureReason

__all__ = [
    "CertificateCheck",
    "CheckFailure",
    "decode_value",
    "match_items",
    "verify_returned",
    "verify_signature",
]

CertificateCheck = Callable[[x509.Certificate, datetime], None]
_BASE64 = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")
_HEX = re.compile(r"^(?:[0-9A-Fa-f]{2})*$")
_MAX_VALUE = 16 * 1024  # far above any RSA-16384 signature; bounds hostile answers


class CheckFailure(RemoteResponseError):
    """A returned value failed a mandatory check; ``reason`` says which."""

    def __init__(self, reason: FailureReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def decode_value(text: str, encoding: ValueEncoding) -> bytes:
    """Decode one value strictly. Whitespace (line breaks some providers insert)
    is dropped; anything else outside the alphabet is refused."""
    if len(text) > 2 * _MAX_VALUE + 64:
        raise CheckFailure(FailureReason.BAD_ENCODING, f"a value of {len(text)} characters")
    compact = "".join(text.split())
    if not compact:
        raise CheckFailure(FailureReason.BAD_ENCODING, "an empty signature value")
    if encoding is ValueEncoding.HEX:
        if not _HEX.match(compact):
            raise CheckFailure(FailureReason.BAD_ENCODING, "a signature value that is not hex")
        return bytes.fromhex(compact)
    if len(compact) % 4 or not _BASE64.match(compact):
        raise CheckFailure(FailureReason.BAD_ENCODING, "a signature value that is not base64")
    try:
        return base64.b64decode(compact, validate=True)
    except binascii.Error as exc:
        raise CheckFailure(FailureReason.BAD_ENCODING, f"undecodable base64: {exc}") from exc


def match_items(
    items: Sequence[DigestItem], returned: Sequence[ReturnedValue], *, by_id: bool
) -> list[tuple[DigestItem, ReturnedValue]]:
    """Pair each item with its value: by id when the provider names items,
    else by position. Missing, extra, duplicated or unknown ids are refused."""
    if len(returned) != len(items):
        raise CheckFailure(
            FailureReason.COUNT_MISMATCH,
            f"{len(items)} digests were sent but {len(returned)} signatures came back",
        )
    if not by_id:
        return list(zip(items, returned, strict=True))
    by_name: dict[str, ReturnedValue] = {}
    for value in returned:
        if value.item_id is None:
            raise CheckFailure(FailureReason.ID_MISMATCH, "a signature came back without its id")
        if value.item_id in by_name:
            raise CheckFailure(
                FailureReason.ID_MISMATCH, f"two signatures came back for {value.item_id!r}"
            )
        by_name[value.item_id] = value
    missing = [i.item_id for i in items if i.item_id not in by_name]
    if missing:
        unknown = sorted(set(by_name) - {i.item_id for i in items})
        raise CheckFailure(
            FailureReason.ID_MISMATCH,
            f"no signature for {', '.join(missing[:5])}"
            + (f"; unexpected ids {', '.join(unknown[:5])}" if unknown else ""),
        )
    return [(item, by_name[item.item_id]) for item in items]


def verify_signature(
    certificate: x509.Certificate,
    mechanism: SignatureMechanism,
    digest: bytes,
    value: bytes,
    ecdsa_format: EcdsaFormat = EcdsaFormat.DER,
) -> bytes:
    """Check ``value`` against the certificate's key and ``digest``; return it
    normalised (RSA raw, ECDSA DER) or raise :class:`CheckFailure`."""
    key = certificate.public_key()
    prehashed = utils.Prehashed(mechanism.hash_algorithm.cryptography)
    try:
        if mechanism.key_kind is KeyKind.RSA:
            if not isinstance(key, rsa.RSAPublicKey):
                raise InvalidSignature("the certificate's key is not RSA")
            size = (key.key_size + 7) // 8
            if len(value) != size:
                raise InvalidSignature(f"{len(value)} bytes where the key makes {size}")
            if mechanism.scheme is SignatureScheme.PSS:
                pss = padding.PSS(
                    mgf=padding.MGF1(mechanism.hash_algorithm.cryptography),
                    salt_length=mechanism.hash_algorithm.digest_size,
                )
                key.verify(value, digest, pss, prehashed)
            else:
                key.verify(value, digest, padding.PKCS1v15(), prehashed)
            return value
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise InvalidSignature("the certificate's key is not ECDSA")
        der = _ecdsa_der(value, key, ecdsa_format)
        key.verify(der, digest, ec.ECDSA(prehashed))
        return der
    except InvalidSignature as exc:
        detail = f" ({exc})" if str(exc) else ""
        raise CheckFailure(
            FailureReason.SIGNATURE_MISMATCH,
            "does not verify with the certificate's key over the digest that was sent" + detail,
        ) from exc


def _ecdsa_der(value: bytes, key: ec.EllipticCurvePublicKey, fmt: EcdsaFormat) -> bytes:
    if fmt is EcdsaFormat.DER:
        try:
            r, s = utils.decode_dss_signature(value)
        except ValueError as exc:
            raise InvalidSignature("not a DER ECDSA-Sig-Value") from exc
        der = utils.encode_dss_signature(r, s)
        if der != value:  # refuse BER tricks: only the canonical encoding is embedded
            raise InvalidSignature("not canonical DER")
        return der
    size = (key.curve.key_size + 7) // 8
    if len(value) != 2 * size:
        raise InvalidSignature(f"{len(value)} bytes where r || s takes {2 * size}")
    r, s = int.from_bytes(value[:size], "big"), int.from_bytes(value[size:], "big")
    return utils.encode_dss_signature(r, s)


def verify_returned(
    *,
    certificate: x509.Certificate,
    mechanism: SignatureMechanism,
    items: Sequence[DigestItem],
    returned: Sequence[ReturnedValue],
    encoding: ValueEncoding,
    by_id: bool,
    ecdsa_format: EcdsaFormat,
    at: datetime,
    certificate_check: CertificateCheck = check_signing_certificate,
) -> tuple[VerifiedSignature, ...]:
    """Run every mandatory check on a provider's answer (see the module docstring)."""
    try:
        certificate_check(certificate, at)
    except CertificateNotUsableError as exc:
        raise CheckFailure(FailureReason.CERTIFICATE_NOT_USABLE, str(exc)) from exc
    verified = []
    for position, (item, value) in enumerate(match_items(items, returned, by_id=by_id), 1):
        where = f"signature {position} ({item.item_id}, {item.label})"
        try:
            raw = decode_value(value.value, encoding)
            verified.append(
                VerifiedSignature(
                    item.item_id,
                    verify_signature(certificate, mechanism, item.digest, raw, ecdsa_format),
                )
            )
        except CheckFailure as exc:
            raise CheckFailure(exc.reason, f"{where}: {exc}") from exc
    return tuple(verified)
