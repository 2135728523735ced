"""The gateway's signatures: right ones, and the wrong ones tests ask for."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence

from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from vnsign.pki.credentials import HashAlgorithm, SignatureScheme
from vnsign.testing._keys import SigningKey
from vnsign.testing.remote._model import Misbehaviour

__all__ = ["encode_values", "sign_items"]


def _sign(
    key: SigningKey, digest: bytes, algorithm: HashAlgorithm, pss: bool, p1363: bool
) -> bytes:
    prehashed = utils.Prehashed(algorithm.cryptography)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        der = key.sign(digest, ec.ECDSA(prehashed))
        if not p1363:
            return der
        r, s = utils.decode_dss_signature(der)
        size = (key.curve.key_size + 7) // 8
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")
    assert isinstance(key, rsa.RSAPrivateKey)
    if pss:
        scheme = padding.PSS(
            mgf=padding.MGF1(algorithm.cryptography), salt_length=algorithm.digest_size
        )
        return key.sign(digest, scheme, prehashed)
    return key.sign(digest, padding.PKCS1v15(), prehashed)


def sign_items(
    key: SigningKey,
    other_key: SigningKey,
    items: Sequence[tuple[str | None, bytes]],
    algorithm: HashAlgorithm,
    scheme: SignatureScheme,
    faults: Sequence[Misbehaviour],
) -> list[tuple[str | None, bytes]]:
    """Sign every digest with ``key``, then apply the value ``faults``."""
    pss = scheme is SignatureScheme.PSS
    if Misbehaviour.WRONG_PADDING in faults:
        pss = not pss
    p1363 = Misbehaviour.P1363 in faults or (
        Misbehaviour.WRONG_PADDING in faults and isinstance(key, ec.EllipticCurvePrivateKey)
    )
    signer = other_key if Misbehaviour.WRONG_KEY in faults else key
    values: list[tuple[str | None, bytes]] = []
    for item_id, digest in items:
        target = digest
        if Misbehaviour.WRONG_DIGEST in faults:
            target = hashlib.new(algorithm.value, b"not the document" + digest).digest()
        value = _sign(signer, target, algorithm, pss, p1363)
        if Misbehaviour.TRUNCATED in faults:
            value = value[:-1]
        values.append((item_id, value))
    if Misbehaviour.MISSING_ITEM in faults and values:
        values.pop()
    if Misbehaviour.EXTRA_ITEM in faults and values:
        first_id, first_value = values[0]
        values.append(("extra-item" if first_id is not None else None, first_value))
    if Misbehaviour.SWAPPED in faults and len(values) > 1:
        (a_id, a_value), (b_id, b_value) = values[0], values[1]
        values[0], values[1] = (a_id, b_value), (b_id, a_value)
    if Misbehaviour.DUPLICATE_ID in faults and len(values) > 1:
        values[1] = (values[0][0], values[1][1])
    if Misbehaviour.REORDERED in faults:
        values.reverse()
    return values


def encode_values(
    values: Sequence[tuple[str | None, bytes]], faults: Sequence[Misbehaviour]
) -> list[tuple[str | None, str]]:
    """Base64 each value (garbled when asked)."""
    encoded = [(i, base64.b64encode(v).decode("ascii")) for i, v in values]
    if Misbehaviour.GARBLED in faults:
        encoded = [(i, "@@" + text[2:-2] + "!!") for i, text in encoded]
    return encoded
