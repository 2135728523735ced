"""PAdES levels B-B, B-T, B-LT and B-LTA, checked by pdfsig and pyHanko."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from _pdf_helpers import asn1, pyhanko_context
from asn1crypto import cms
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.status import SignatureCoverageLevel

from vnsign.formats.pdf import (
    INVISIBLE,
    Nd30Appearance,
    PadesLevel,
    Role,
    SignOptions,
    SubFilter,
    sign_pdf,
)
from vnsign.pki.credentials import KeyCredential
from vnsign.testing import TestPKI, TestServices

pytestmark = pytest.mark.interop

LEVELS = [PadesLevel.B_B, PadesLevel.B_T, PadesLevel.B_LT, PadesLevel.B_LTA]


def _sign(
    document: Path,
    credential: KeyCredential,
    vn_pki: TestPKI,
    level: PadesLevel,
    appearance: Nd30Appearance | None = None,
    **options: object,
) -> Path:
    out = document.with_name(f"signed-{level}.pdf")
    sign_pdf(
        document,
        out,
        credential,
        role=Role.PERSON,
        level=level,
        appearance=appearance or INVISIBLE,
        timestamp=vn_pki.services.tsa_url if level.needs_timestamp else None,
        trust_roots=vn_pki.roots if level.needs_validation_data else (),
        options=SignOptions(**options),  # type: ignore[arg-type]
    )
    return out


def _signature_token(reader: PdfFileReader) -> bool:
    sig = reader.embedded_regular_signatures[-1]
    unsigned = sig.signer_info["unsigned_attrs"]
    return any(a["type"].native == "signature_time_stamp_token" for a in unsigned or ())


@pytest.mark.parametrize("level", LEVELS, ids=str)
def test_every_level_is_valid_for_pdfsig_and_pyhanko(
    level: PadesLevel,
    document: Path,
    official: KeyCredential,
    person_look: Nd30Appearance,
    vn_pki: TestPKI,
    pdfsig: Callable[[Path], list],
    validate: Callable[[Path], list],
) -> None:
    out = _sign(document, official, vn_pki, level, person_look)

    entries = pdfsig(out)
    assert entries[0].valid, entries[0].text
    # The last revision is covered by the last signature (for B-LTA the document
    # time stamp, which poppler 22 lists but does not verify).
    assert entries[-1].total, entries[-1].text
    if level is not PadesLevel.B_LTA:
        assert len(entries) == 1 and entries[0].total

    (status,) = validate(out)
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    expected = (
        SignatureCoverageLevel.ENTIRE_REVISION
        if level is PadesLevel.B_LTA
        else SignatureCoverageLevel.ENTIRE_FILE
    )
    assert status.coverage is expected
    assert status.bottom_line


def test_b_b_has_no_time_stamp_and_no_dss(
    document: Path, citizen: KeyCredential, vn_pki: TestPKI
) -> None:
    out = _sign(document, citizen, vn_pki, PadesLevel.B_B)
    reader = PdfFileReader(out.open("rb"))
    assert not _signature_token(reader)
    assert not _has_dss(reader)
    assert reader.embedded_signatures[0].sig_object["/SubFilter"] == "/ETSI.CAdES.detached"


def _has_dss(reader: PdfFileReader) -> bool:
    return "/DSS" in reader.root


def test_b_t_carries_a_valid_signature_time_stamp(
    document: Path, citizen: KeyCredential, vn_pki: TestPKI
) -> None:
    out = _sign(document, citizen, vn_pki, PadesLevel.B_T)
    reader = PdfFileReader(out.open("rb"))
    assert _signature_token(reader)
    sig = reader.embedded_regular_signatures[0]
    status = validate_pdf_signature(sig, pyhanko_context(vn_pki.roots, allow_fetching=True))
    assert status.timestamp_validity is not None
    assert status.timestamp_validity.intact and status.timestamp_validity.valid
    assert status.timestamp_validity.trusted
    assert not _has_dss(reader)


@pytest.mark.parametrize("level", [PadesLevel.B_LT, PadesLevel.B_LTA], ids=str)
def test_b_lt_dss_validates_offline(
    level: PadesLevel, document: Path, citizen: KeyCredential, vn_pki: TestPKI
) -> None:
    """Everything needed to validate the signature and its time stamp is in the
    DSS: validation succeeds with fetching disabled and revocation required."""
    out = _sign(document, citizen, vn_pki, level)
    reader = PdfFileReader(out.open("rb"))
    dss = DocumentSecurityStore.read_dss(reader)
    assert dss.ocsps or dss.crls
    assert _signature_token(reader)
    context = dss.as_validation_context(
        {
            "trust_roots": [asn1(c) for c in vn_pki.roots],
            "allow_fetching": False,
            "revocation_mode": "require",
        }
    )
    status = validate_pdf_signature(reader.embedded_regular_signatures[0], context)
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    assert status.revocation_details is None or not status.revocation_details.revoked

    # Control: the same offline validation without the DSS cannot succeed.
    bare = pyhanko_context(
        vn_pki.roots, allow_fetching=False, revocation_mode="require", ocsps=[], crls=[]
    )
    without = validate_pdf_signature(reader.embedded_regular_signatures[0], bare)
    assert without.intact and not without.trusted


def test_b_lta_ends_with_a_document_time_stamp(
    document: Path, citizen: KeyCredential, vn_pki: TestPKI, pdfsig: Callable[[Path], list]
) -> None:
    out = _sign(document, citizen, vn_pki, PadesLevel.B_LTA)
    reader = PdfFileReader(out.open("rb"))
    (stamp,) = reader.embedded_timestamp_signatures
    assert stamp.sig_object["/SubFilter"] == "/ETSI.RFC3161"
    status = validate_pdf_timestamp(
        stamp, validation_context=pyhanko_context(vn_pki.roots, allow_fetching=True)
    )
    assert status.intact and status.valid and status.trusted
    assert status.coverage is SignatureCoverageLevel.ENTIRE_FILE
    # The DSS was written before the document time stamp, so the stamp covers it.
    assert reader.embedded_signatures[-1] is not None
    assert pdfsig(out)[-1].total


def test_pkcs7_subfilter_b_t_with_signing_time_attribute(
    document: Path, citizen: KeyCredential, vn_pki: TestPKI, pdfsig: Callable[[Path], list]
) -> None:
    out = _sign(document, citizen, vn_pki, PadesLevel.B_T, subfilter=SubFilter.PKCS7)
    reader = PdfFileReader(out.open("rb"))
    sig = reader.embedded_regular_signatures[0]
    assert sig.sig_object["/SubFilter"] == "/adbe.pkcs7.detached"
    attrs = {a["type"].native: a for a in sig.signer_info["signed_attrs"]}
    assert "signing_time" in attrs
    assert _signature_token(reader)
    entry = pdfsig(out)[0]
    assert entry.valid and entry.total and "adbe.pkcs7.detached" in entry.text


def test_status_summary_is_intact_for_sha512(
    document: Path, citizen: KeyCredential, vn_pki: TestPKI, validate: Callable[[Path], list]
) -> None:
    from vnsign.pki.credentials import HashAlgorithm

    out = _sign(document, citizen, vn_pki, PadesLevel.B_B, hash_algorithm=HashAlgorithm.SHA512)
    (status,) = validate(out)
    assert status.md_algorithm == "sha512" and status.bottom_line
    content = cms.ContentInfo.load(
        PdfFileReader(out.open("rb")).embedded_signatures[0].pkcs7_content
    )
    assert content["content"]["digest_algorithms"][0]["algorithm"].native == "sha512"


def test_time_stamp_outage_is_a_network_error(
    document: Path, citizen: KeyCredential, vn_pki: TestPKI, vn_services: TestServices
) -> None:
    from vnsign.errors import NetworkError
    from vnsign.testing import Fault

    vn_services.faults["tsa"] = Fault.HTTP_500
    out = document.with_name("never.pdf")
    with pytest.raises(NetworkError):
        sign_pdf(
            document,
            out,
            citizen,
            level=PadesLevel.B_T,
            appearance=INVISIBLE,
            timestamp=vn_pki.services.tsa_url,
        )
    assert not out.exists()
    assert not list(document.parent.glob(".never.pdf.*"))


def test_b_lt_from_pre_fetched_revocation_data_without_network(
    document: Path, citizen: KeyCredential, vn_pki: TestPKI, vn_services: TestServices
) -> None:
    from vnsign.errors import SigningError
    from vnsign.formats.pdf import RevocationData

    first = _sign(document, citizen, vn_pki, PadesLevel.B_LT)
    reader = PdfFileReader(first.open("rb"))
    dss = DocumentSecurityStore.read_dss(reader)
    data = RevocationData(
        ocsp_responses=tuple(o.get_object().data for o in dss.ocsps),
        crls=tuple(c.get_object().data for c in dss.crls),
    )
    before = vn_services.requests["ocsp"] + vn_services.requests["crl"]
    out = document.with_name("offline.pdf")
    options = {
        "level": PadesLevel.B_LT,
        "appearance": INVISIBLE,
        "timestamp": vn_pki.services.tsa_url,
        "trust_roots": vn_pki.roots,
        "allow_fetching": False,
    }
    sign_pdf(document, out, citizen, revocation=data, **options)  # type: ignore[arg-type]
    assert vn_services.requests["ocsp"] + vn_services.requests["crl"] == before
    offline = DocumentSecurityStore.read_dss(PdfFileReader(out.open("rb")))
    assert len(offline.ocsps) + len(offline.crls) == len(dss.ocsps) + len(dss.crls)
    # Without the data and without the network, B-LT is refused, not faked.
    with pytest.raises(SigningError, match="could not be validated"):
        sign_pdf(
            document,
            document.with_name("never.pdf"),
            citizen,
            revocation=RevocationData(ocsp_responses=(), crls=()),
            **options,  # type: ignore[arg-type]
        )
