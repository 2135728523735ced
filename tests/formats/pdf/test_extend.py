"""Raising signed PDFs to B-T, B-LT and B-LTA (``extend_pdf``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from _pdf_helpers import asn1, pyhanko_context
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.dss import DocumentSecurityStore

from vnsign.errors import InputError, SigningError
from vnsign.formats.pdf import INVISIBLE, PadesLevel, extend_pdf, sign_pdf
from vnsign.pki.credentials import KeyCredential
from vnsign.testing import TestPKI

pytestmark = pytest.mark.interop


@pytest.fixture
def signed_b_b(document: Path, citizen: KeyCredential) -> Path:
    out = document.with_name("b-b.pdf")
    sign_pdf(document, out, citizen, appearance=INVISIBLE)
    return out


def test_b_b_to_b_t_adds_a_document_time_stamp(
    signed_b_b: Path, vn_pki: TestPKI, pdfsig: Callable[[Path], list]
) -> None:
    out = signed_b_b.with_name("b-t.pdf")
    result = extend_pdf(signed_b_b, out, "B-T", timestamp=vn_pki.services.tsa_url)
    assert result.level is PadesLevel.B_T and result.added_timestamp
    assert not result.added_validation_data
    reader = PdfFileReader(out.open("rb"))
    (stamp,) = reader.embedded_timestamp_signatures
    status = validate_pdf_timestamp(stamp, pyhanko_context(vn_pki.roots, allow_fetching=True))
    assert status.intact and status.valid and status.trusted
    entries = pdfsig(out)
    assert entries[0].valid and entries[-1].total
    # Already B-T: extending again adds nothing but still writes the output.
    again = extend_pdf(out, out.with_name("again.pdf"), "B-T", timestamp=vn_pki.services.tsa_url)
    assert not again.added_timestamp
    assert out.with_name("again.pdf").read_bytes() == out.read_bytes()


def test_b_b_to_b_lt_validates_offline(signed_b_b: Path, vn_pki: TestPKI) -> None:
    out = signed_b_b.with_name("b-lt.pdf")
    result = extend_pdf(
        signed_b_b, out, "B-LT", timestamp=vn_pki.services.tsa_url, trust_roots=vn_pki.roots
    )
    assert result.added_timestamp and result.added_validation_data
    reader = PdfFileReader(out.open("rb"))
    dss = DocumentSecurityStore.read_dss(reader)
    context = dss.as_validation_context(
        {
            "trust_roots": [asn1(c) for c in vn_pki.roots],
            "allow_fetching": False,
            "revocation_mode": "require",
        }
    )
    status = validate_pdf_signature(reader.embedded_regular_signatures[0], context)
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    (stamp,) = reader.embedded_timestamp_signatures
    stamp_status = validate_pdf_timestamp(
        stamp,
        dss.as_validation_context(
            {
                "trust_roots": [asn1(c) for c in vn_pki.roots],
                "allow_fetching": False,
                "revocation_mode": "require",
            }
        ),
    )
    assert stamp_status.trusted


def test_b_lta_twice_chains_the_archive_time_stamps(
    signed_b_b: Path, vn_pki: TestPKI, validate: Callable[[Path], list]
) -> None:
    first = signed_b_b.with_name("lta-1.pdf")
    second = signed_b_b.with_name("lta-2.pdf")
    options = {"timestamp": vn_pki.services.tsa_url, "trust_roots": vn_pki.roots}
    one = extend_pdf(signed_b_b, first, "B-LTA", **options)  # type: ignore[arg-type]
    two = extend_pdf(first, second, "B-LTA", **options)  # type: ignore[arg-type]
    assert one.added_timestamp and two.added_timestamp and two.added_validation_data
    reader = PdfFileReader(second.open("rb"))
    stamps = reader.embedded_timestamp_signatures
    assert len(stamps) == 3  # B-T stamp, first archive stamp, second archive stamp
    for stamp in stamps:
        status = validate_pdf_timestamp(stamp, pyhanko_context(vn_pki.roots, allow_fetching=True))
        assert status.intact and status.valid and status.trusted
    (status,) = validate(second)
    assert status.bottom_line


def test_extending_needs_what_the_level_needs(
    signed_b_b: Path, document: Path, vn_pki: TestPKI
) -> None:
    out = signed_b_b.with_name("x.pdf")
    with pytest.raises(InputError, match="time-stamping authority"):
        extend_pdf(signed_b_b, out, "B-T")
    with pytest.raises(InputError, match="trust roots"):
        extend_pdf(signed_b_b, out, "B-LT", timestamp=vn_pki.services.tsa_url)
    with pytest.raises(InputError, match="extend to B-T"):
        extend_pdf(signed_b_b, out, "B-B")
    with pytest.raises(SigningError, match="no signature"):
        extend_pdf(document, out, "B-T", timestamp=vn_pki.services.tsa_url)
    assert not out.exists()


def test_untrusted_signature_cannot_get_validation_data(
    shared_corpus: Path, tmp_path: Path, vn_pki: TestPKI
) -> None:
    source = shared_corpus / "dss-pades" / "pades-bes.pdf"
    out = tmp_path / "x.pdf"
    with pytest.raises(SigningError, match="cannot collect validation data"):
        extend_pdf(source, out, "B-LT", timestamp=vn_pki.services.tsa_url, trust_roots=vn_pki.roots)
    assert not out.exists()
