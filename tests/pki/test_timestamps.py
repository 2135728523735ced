"""The RFC 3161 client against the test PKI's live TSA."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import time
from datetime import UTC, datetime

import pytest

from vnsign.errors import MalformedInputError, NetworkError, NetworkTimeoutError
from vnsign.pki.timestamps import TimestampClient, TimestampToken
from vnsign.testing import TEST_TSA_POLICY, Fault, TestPKI, TestServices

DIGEST = hashlib.sha256(b"Ban sao dien tu").digest()


def test_token_covers_the_digest_and_is_signed_by_the_tsa(
    vn_pki: TestPKI, vn_services: TestServices
) -> None:
    token = TimestampClient(vn_services.tsa_url).timestamp(DIGEST)
    assert token.covers(DIGEST, "sha256")
    assert not token.covers(hashlib.sha256(b"khac").digest(), "sha256")
    assert token.tsa_certificate == vn_pki.tsa.certificate
    assert token.signature_valid()
    assert not token.signature_valid(vn_pki.person.certificate)
    assert token.policy == TEST_TSA_POLICY
    assert abs((token.gen_time - datetime.now(UTC)).total_seconds()) < 5
    assert TimestampToken.parse(token.der) == token


def test_sha512_imprints(vn_services: TestServices) -> None:
    digest = hashlib.sha512(b"x").digest()
    token = TimestampClient(vn_services.tsa_url, hash_algorithm="sha512").timestamp(digest)
    assert token.covers(digest, "sha512")


def test_refusal_is_a_clear_network_error(vn_services: TestServices) -> None:
    with pytest.raises(NetworkError, match=r"refused the request \(rejection\): unaccepted_policy"):
        TimestampClient(vn_services.tsa_url, policy="1.2.3.4").timestamp(DIGEST)


def test_hanging_tsa_times_out(vn_services: TestServices) -> None:
    vn_services.faults["tsa"] = Fault.HANG
    started = time.perf_counter()
    with pytest.raises(NetworkTimeoutError, match=r"within 0\.3 s"):
        TimestampClient(vn_services.tsa_url, timeout=0.3).timestamp(DIGEST)
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize(
    ("fault", "message"), [(Fault.HTTP_500, "HTTP 500"), (Fault.GARBAGE, "not a time-stamp")]
)
def test_broken_tsa_answers(vn_services: TestServices, fault: Fault, message: str) -> None:
    vn_services.faults["tsa"] = fault
    with pytest.raises(NetworkError, match=message):
        TimestampClient(vn_services.tsa_url).timestamp(DIGEST)


def test_unreachable_tsa() -> None:
    pki = TestPKI()
    url = pki.services.tsa_url
    pki.close()
    with pytest.raises(NetworkError, match="cannot reach TSA"):
        TimestampClient(url, timeout=2).timestamp(DIGEST)


def test_token_for_another_digest_is_refused(vn_services: TestServices) -> None:
    real = vn_services.tsa
    assert real is not None
    original = real.respond

    def lying(request_der: bytes) -> bytes:  # the TSA stamps a different imprint
        return original(request_der.replace(DIGEST, hashlib.sha256(b"other").digest()))

    real.respond = lying  # type: ignore[method-assign]
    try:
        with pytest.raises(NetworkError, match="covers another digest"):
            TimestampClient(vn_services.tsa_url).timestamp(DIGEST)
    finally:
        real.respond = original  # type: ignore[method-assign]


def test_parse_refuses_non_tokens() -> None:
    with pytest.raises(MalformedInputError):
        TimestampToken.parse(b"\x30\x00")


def test_pyhanko_adapter_returns_a_token(vn_services: TestServices) -> None:
    stamper = TimestampClient(vn_services.tsa_url).as_pyhanko()
    token = asyncio.run(stamper.async_timestamp(DIGEST, "sha256"))
    assert TimestampToken.parse(token.dump()).covers(DIGEST, "sha256")
    vn_services.faults["tsa"] = Fault.HTTP_500
    with pytest.raises(NetworkError):
        asyncio.run(
            TimestampClient(vn_services.tsa_url).as_pyhanko().async_timestamp(DIGEST, "sha256")
        )


def test_token_carrying_a_certificate_of_unknown_version_is_malformed(
    vn_services: TestServices,
) -> None:
    der = TimestampClient(vn_services.tsa_url).timestamp(DIGEST).der
    v3 = bytes.fromhex("a003020102")  # [0] EXPLICIT Version v3, inside each certificate
    assert v3 in der
    with pytest.raises(MalformedInputError, match="RFC 3161"):
        TimestampToken.parse(der.replace(v3, bytes.fromhex("a003020107")))


@pytest.mark.parametrize(
    "damage", [b"", b"\x30\x03\x02\x01\x01", b"not DER at all"], ids=["empty", "wrong", "text"]
)
def test_damaged_token_signature_is_invalid_not_an_error(
    vn_services: TestServices, damage: bytes
) -> None:
    token = TimestampClient(vn_services.tsa_url).timestamp(DIGEST)
    assert not dataclasses.replace(token, der=damage).signature_valid()
    flipped = bytearray(token.der)
    flipped[-3] ^= 0x01  # inside the signature value
    assert not dataclasses.replace(token, der=bytes(flipped)).signature_valid()
