"""The fast hex-string reader behaves exactly like pyHanko's own."""

from __future__ import annotations

import random
from io import BytesIO

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.misc import PdfStreamError

from vnsign import _pyhanko_speedups as speedups

CASES = [
    b"<>",
    b"<41>",
    b"<414>",
    b"<41 42\n43\r\t44\x0c\x0045>rest",
    b"<FEFF00410042>",  # a UTF-16 text string
    b"<" + bytes(random.Random(1).choice(b"0123456789abcdef") for _ in range(40000)) + b"> tail",
]
BROKEN = [b"<41 4G>", b"<414243", b"<41%42>", b"<"]
CASES.append(b"<41 % a comment > with a bracket\n 42>after")


@pytest.mark.parametrize("data", CASES)
def test_same_value_and_stream_position(data: bytes) -> None:
    mine, theirs = BytesIO(data), BytesIO(data)
    assert speedups.read_hex_string(mine) == speedups._ORIGINAL(theirs)
    assert mine.tell() == theirs.tell()
    assert mine.read() == theirs.read()


@pytest.mark.parametrize("data", BROKEN)
def test_same_errors(data: bytes) -> None:
    with pytest.raises(PdfStreamError) as mine:
        speedups.read_hex_string(BytesIO(data))
    with pytest.raises(PdfStreamError) as theirs:
        speedups._ORIGINAL(BytesIO(data))
    assert type(mine.value) is type(theirs.value)
    assert str(mine.value) == str(theirs.value)


def test_installed_by_the_modules_that_drive_pyhanko() -> None:
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils import generic

    import vnsign.verify.adapters.pdf  # noqa: F401 - importing installs the fast paths

    assert generic.read_hex_string_from_stream is speedups.read_hex_string
    assert asn1_x509.Name.__eq__ is speedups.name_equals


def test_name_equality_is_unchanged(vn_pki) -> None:  # type: ignore[no-untyped-def]
    from asn1crypto import x509 as asn1_x509

    def name(cert) -> asn1_x509.Name:  # type: ignore[no-untyped-def]
        return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER)).subject

    person, ca = name(vn_pki.person.certificate), name(vn_pki.public_ca.certificate)
    # same name, different string types: equal under RFC 5280 matching, not byte-identical
    printable = asn1_x509.Name.build({"common_name": "VNSIGN TEST", "country_name": "VN"})
    utf8 = asn1_x509.Name.build(
        {"common_name": "vnsign  test", "country_name": "VN"}, use_printable=False
    )
    for a, b in [
        (person, person),
        (person, ca),
        (printable, utf8),
        (ca, name(vn_pki.public_ca.certificate)),
    ]:
        assert speedups.name_equals(a, b) == speedups._ORIGINAL_NAME_EQ(a, b)
    assert speedups.name_equals(printable, utf8)  # the slow path still runs when bytes differ
    assert speedups.name_equals(person, "not a name") is False
