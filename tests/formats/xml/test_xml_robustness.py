"""Damaged signed documents give a result or an input error, never a traceback
and never "valid"."""

from __future__ import annotations

import random

import pytest
from xmlsig_helpers import SAMPLE

from vnsign.errors import InputError
from vnsign.formats.xml import XadesOptions, XmlSignOptions, sign_enveloped, verify_xml
from vnsign.pki.credentials import KeyCredential

FRAGMENTS = [
    b"<",
    b">",
    b"&amp;",
    b'"',
    b'<ds:Reference URI="#vb1"/>',
    b"<!--x-->",
    b"]]>",
    b"<![CDATA[x]]>",
    b"\x00",
    b"\xff",
    b"=",
    b'xmlns:ds="urn:other"',
]


def _mutations(data: bytes, seed: int, count: int) -> list[bytes]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(damaged))
            kind = rng.randrange(4)
            if kind == 0:
                damaged[at] ^= 1 << rng.randrange(8)
            elif kind == 1:
                del damaged[at : at + rng.randint(1, 40)]
            elif kind == 2:
                damaged[at:at] = rng.choice(FRAGMENTS)
            else:
                length = rng.randint(1, 60)
                damaged[at:at] = damaged[at : at + length]
        out.append(bytes(damaged))
    return out


@pytest.mark.parametrize("seed", range(4))
def test_damaged_signatures_never_crash_and_never_verify(
    org_credential: KeyCredential, seed: int
) -> None:
    signed = sign_enveloped(
        SAMPLE, org_credential, XmlSignOptions(references=("#vb1", ""), xades=XadesOptions())
    )
    [original] = verify_xml(signed).signatures
    results = errors = 0
    for damaged in _mutations(signed, seed, 150):
        try:
            result = verify_xml(damaged)
        except InputError:
            errors += 1
            continue
        results += 1
        for signature in result.signatures:
            if signature.valid:
                # "valid" only when exactly the same bytes were signed: the damage hit
                # something unsigned (a comment, KeyInfo's subject name, whitespace)
                assert signature.signed_info == original.signed_info
                assert [r.signed_data for r in signature.references] == [
                    r.signed_data for r in original.references
                ]
    assert results and errors
