"""Several signatures on one file: the Decree 30 sequence, certification, and
countersigning PDFs signed by other software (../shared/corpus)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from _pdf_helpers import pyhanko_context
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel

from vnsign.errors import SigningError
from vnsign.formats.pdf import (
    INVISIBLE,
    Box,
    DocMdpPermission,
    Nd30Appearance,
    OnPage,
    PadesLevel,
    Role,
    SignOptions,
    sign_pdf,
)
from vnsign.pki.credentials import KeyCredential
from vnsign.testing import TestPKI

pytestmark = pytest.mark.interop


def test_certify_with_reserved_seal_field_then_seal_keeps_both_valid(
    document: Path,
    official: KeyCredential,
    agency: KeyCredential,
    person_look: Nd30Appearance,
    seal_look: Nd30Appearance,
    validate: Callable[[Path], list],
    pdfsig: Callable[[Path], list],
) -> None:
    """OBS-CERTIFY-THEN-SEAL done so that strict validators agree: the leader
    certifies (DocMDP P=2) and reserves the seal's field; the agency seals into it."""
    certified = document.with_name("certified.pdf")
    sealed = document.with_name("sealed.pdf")
    person = sign_pdf(
        document,
        certified,
        official,
        appearance=person_look,
        options=SignOptions(certify=DocMdpPermission.FILL_FORMS, reserve_seal_mm=36),
    )
    seal = sign_pdf(certified, sealed, agency, role=Role.ORGANIZATION, appearance=seal_look)
    assert seal.field_name == f"{person.field_name}_Seal"
    assert person.rect is not None and seal.rect is not None
    third = person.rect[0] + (person.rect[2] - person.rect[0]) / 3
    assert seal.rect[2] == pytest.approx(third, abs=0.5)
    first, second = validate(sealed)
    assert first.bottom_line and second.bottom_line
    assert first.docmdp_ok
    assert first.modification_level <= ModificationLevel.FORM_FILLING
    assert all(e.valid for e in pdfsig(sealed))


def test_new_visible_field_on_certified_document_is_refused_unless_forced(
    document: Path,
    official: KeyCredential,
    agency: KeyCredential,
    person_look: Nd30Appearance,
    seal_look: Nd30Appearance,
    validate: Callable[[Path], list],
) -> None:
    certified = document.with_name("certified.pdf")
    sign_pdf(
        document,
        certified,
        official,
        appearance=person_look,
        options=SignOptions(certify=DocMdpPermission.FILL_FORMS),
    )
    refused = document.with_name("refused.pdf")
    with pytest.raises(SigningError, match=r"certified \(DocMDP P=2\)"):
        sign_pdf(certified, refused, agency, role=Role.ORGANIZATION, appearance=seal_look)
    assert not refused.exists()
    # Invisible signatures add no widget: allowed, and the certification holds.
    invisible = document.with_name("invisible.pdf")
    sign_pdf(certified, invisible, agency, role=Role.ORGANIZATION, appearance=INVISIBLE)
    first, second = validate(invisible)
    assert first.docmdp_ok and first.bottom_line and second.bottom_line
    # Forced, as much Vietnamese software does: pyHanko then flags the certification.
    forced = document.with_name("forced.pdf")
    sign_pdf(
        certified,
        forced,
        agency,
        role=Role.ORGANIZATION,
        appearance=seal_look,
        options=SignOptions(force=True),
    )
    first, second = validate(forced)
    assert first.intact and not first.docmdp_ok
    assert second.bottom_line


def test_person_and_agency_at_b_lta_stay_valid(
    document: Path,
    official: KeyCredential,
    agency: KeyCredential,
    person_look: Nd30Appearance,
    seal_look: Nd30Appearance,
    vn_pki: TestPKI,
    validate: Callable[[Path], list],
    pdfsig: Callable[[Path], list],
) -> None:
    person = document.with_name("person.pdf")
    sealed = document.with_name("sealed.pdf")
    common = {
        "level": PadesLevel.B_LTA,
        "timestamp": vn_pki.services.tsa_url,
        "trust_roots": vn_pki.roots,
    }
    sign_pdf(document, person, official, appearance=person_look, **common)  # type: ignore[arg-type]
    sign_pdf(person, sealed, agency, role=Role.ORGANIZATION, appearance=seal_look, **common)  # type: ignore[arg-type]
    first, second = validate(sealed)
    for status in (first, second):
        assert status.intact and status.valid and status.trusted and status.docmdp_ok
        assert status.coverage is SignatureCoverageLevel.ENTIRE_REVISION
    # After the person: the agency's signature (form filling) and LTA updates;
    # after the agency: only LTA updates (DSS, document time stamp).
    assert first.modification_level == ModificationLevel.FORM_FILLING
    assert second.modification_level == ModificationLevel.LTA_UPDATES
    entries = pdfsig(sealed)
    assert len(entries) == 4  # two signatures, two document time stamps
    assert [e.valid for e in entries if "ETSI.CAdES.detached" in e.text] == [True, True]
    assert entries[-1].total


@pytest.mark.parametrize("name", ["pades-bes.pdf", "doc-firmado.pdf", "pades-epes.pdf"])
def test_countersigning_a_third_party_pdf_keeps_its_signature(
    name: str,
    shared_corpus: Path,
    tmp_path: Path,
    citizen: KeyCredential,
    person_look: Nd30Appearance,
    vn_pki: TestPKI,
    pdfsig: Callable[[Path], list],
) -> None:
    source = shared_corpus / "dss-pades" / name
    before = source.read_bytes()
    with source.open("rb") as handle:
        originals = [s.field_name for s in PdfFileReader(handle).embedded_signatures]
    out = tmp_path / f"countersigned-{name}"
    result = sign_pdf(
        source, out, citizen, appearance=person_look, placement=OnPage(Box(20, 20, 40, 15))
    )
    assert source.read_bytes() == before

    # Non-strict: pades-bes.pdf's own trailer points at an object it lacks, which
    # pyHanko's strict reader refuses to analyse even without our signature.
    reader = PdfFileReader(out.open("rb"), strict=False)
    signatures = reader.embedded_signatures
    assert [s.field_name for s in signatures[:-1]] == originals
    context = pyhanko_context(vn_pki.roots, allow_fetching=True)
    old = validate_pdf_signature(reader.embedded_regular_signatures[0], context)
    assert old.intact and old.valid  # untrusted here: it chains to a foreign test CA
    assert old.coverage is SignatureCoverageLevel.ENTIRE_REVISION
    new = validate_pdf_signature(signatures[-1], context)
    assert new.bottom_line and new.coverage is SignatureCoverageLevel.ENTIRE_FILE
    assert signatures[-1].field_name == result.field_name

    entries = pdfsig(out)
    assert entries[0].valid, entries[0].text
    assert entries[-1].valid and entries[-1].total
