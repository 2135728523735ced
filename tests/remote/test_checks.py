"""The mandatory checks, one by one."""

from __future__ import annotations

import base64
import functools
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from vnsign.pki.credentials import HashAlgorithm, KeyKind, SignatureScheme
from vnsign.pki.remote.checks import (
    CheckFailure,
    decode_value,
    match_items,
    verify_returned,
    verify_signature,
)
from vnsign.pki.remote.model import (
    DigestItem,
    EcdsaFormat,
    ReturnedValue,
    SignatureMechanism,
    ValueEncoding,
)
from vnsign.pki.remote.states import FailureReason
from vnsign.testing import TestIdentity, TestPKI

DIGEST = hashlib.sha256(b"document").digest()
RSA = SignatureMechanism(HashAlgorithm.SHA256, KeyKind.RSA)
PSS = SignatureMechanism(HashAlgorithm.SHA256, KeyKind.RSA, SignatureScheme.PSS)
ECDSA = SignatureMechanism(HashAlgorithm.SHA256, KeyKind.ECDSA)


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    with TestPKI(start_services=False) as built:
        return built


def _rsa(ident: TestIdentity, digest: bytes = DIGEST, pss: bool = False) -> bytes:
    key = ident.private_key
    assert isinstance(key, rsa.RSAPrivateKey)
    prehashed = utils.Prehashed(HashAlgorithm.SHA256.cryptography)
    if pss:
        return key.sign(
            digest, padding.PSS(padding.MGF1(HashAlgorithm.SHA256.cryptography), 32), prehashed
        )
    return key.sign(digest, padding.PKCS1v15(), prehashed)


def test_strict_base64_and_hex() -> None:
    assert decode_value("AQID\r\nBA==", ValueEncoding.BASE64) == b"\x01\x02\x03\x04"
    assert decode_value("0a0B", ValueEncoding.HEX) == b"\x0a\x0b"
    for bad in ("AQID!A==", "AQI", "", "====", "AQ=D"):
        with pytest.raises(CheckFailure) as info:
            decode_value(bad, ValueEncoding.BASE64)
        assert info.value.reason is FailureReason.BAD_ENCODING
    for bad in ("0a0", "zz", "0x0a"):
        with pytest.raises(CheckFailure):
            decode_value(bad, ValueEncoding.HEX)
    with pytest.raises(CheckFailure):
        decode_value("A" * 100_000, ValueEncoding.BASE64)


def test_items_are_matched_by_id_or_by_position() -> None:
    items = [DigestItem(f"d{n}", "x", DIGEST) for n in range(3)]
    values = [ReturnedValue(f"v{n}", f"d{n}") for n in (2, 0, 1)]
    assert [(i.item_id, v.value) for i, v in match_items(items, values, by_id=True)] == [
        ("d0", "v0"),
        ("d1", "v1"),
        ("d2", "v2"),
    ]
    assert [v.value for _, v in match_items(items, values, by_id=False)] == ["v2", "v0", "v1"]
    cases = [
        (values[:2], FailureReason.COUNT_MISMATCH),
        ([*values, ReturnedValue("v", "d9")], FailureReason.COUNT_MISMATCH),
        ([values[0], values[0], values[1]], FailureReason.ID_MISMATCH),
        ([values[0], values[1], ReturnedValue("v", "d9")], FailureReason.ID_MISMATCH),
        ([values[0], values[1], ReturnedValue("v", None)], FailureReason.ID_MISMATCH),
    ]
    for returned, reason in cases:
        with pytest.raises(CheckFailure) as info:
            match_items(items, returned, by_id=True)
        assert info.value.reason is reason


def test_rsa_pkcs1_and_pss(pki: TestPKI) -> None:
    cert = pki.person.certificate
    assert verify_signature(cert, RSA, DIGEST, _rsa(pki.person)) == _rsa(pki.person)
    verify_signature(cert, PSS, DIGEST, _rsa(pki.person, pss=True))
    wrong = [
        (RSA, _rsa(pki.person, pss=True)),  # PSS where v1.5 was asked
        (PSS, _rsa(pki.person)),
        (RSA, _rsa(pki.person, hashlib.sha256(b"other").digest())),
        (RSA, _rsa(pki.organization)),  # another key
        (RSA, b"\x00" + _rsa(pki.person)[:-1]),
        (RSA, _rsa(pki.person)[:-1]),  # wrong length
        (ECDSA, _rsa(pki.person)),
    ]
    for mechanism, value in wrong:
        with pytest.raises(CheckFailure) as info:
            verify_signature(cert, mechanism, DIGEST, value)
        assert info.value.reason is FailureReason.SIGNATURE_MISMATCH


def test_ecdsa_der_and_r_s(pki: TestPKI) -> None:
    ident = pki.variant("ecdsa-p256")
    key = ident.private_key
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    der = key.sign(DIGEST, ec.ECDSA(utils.Prehashed(HashAlgorithm.SHA256.cryptography)))
    r, s = utils.decode_dss_signature(der)
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    assert verify_signature(ident.certificate, ECDSA, DIGEST, der) == der
    assert verify_signature(ident.certificate, ECDSA, DIGEST, raw, EcdsaFormat.P1363) == der
    for value, fmt in (
        (raw, EcdsaFormat.DER),
        (der, EcdsaFormat.P1363),
        (der + b"\x00", EcdsaFormat.DER),
    ):
        with pytest.raises(CheckFailure):
            verify_signature(ident.certificate, ECDSA, DIGEST, value, fmt)
    ber = b"\x30\x81" + bytes([len(der) - 2]) + der[2:]  # long-form length: valid BER, not DER
    with pytest.raises(CheckFailure, match="DER"):
        verify_signature(ident.certificate, ECDSA, DIGEST, ber)


def test_verify_returned_names_the_failing_item(pki: TestPKI) -> None:
    items = [
        DigestItem("a", "Quyết định 1", DIGEST),
        DigestItem("b", "Quyết định 2", hashlib.sha256(b"b").digest()),
    ]
    good = [
        ReturnedValue(base64.b64encode(_rsa(pki.person, i.digest)).decode(), i.item_id)
        for i in items
    ]
    now = datetime.now(UTC)
    check = functools.partial(
        verify_returned,
        certificate=pki.person.certificate,
        mechanism=RSA,
        items=items,
        encoding=ValueEncoding.BASE64,
        by_id=True,
        ecdsa_format=EcdsaFormat.DER,
    )
    assert [v.item_id for v in check(returned=good, at=now)] == ["a", "b"]
    swapped = [ReturnedValue(good[1].value, "a"), ReturnedValue(good[0].value, "b")]
    with pytest.raises(CheckFailure, match=r"signature 1 \(a, Quyết định 1\)"):
        check(returned=swapped, at=now)
    with pytest.raises(CheckFailure) as info:
        check(returned=good, at=now + timedelta(days=3650))
    assert info.value.reason is FailureReason.CERTIFICATE_NOT_USABLE
