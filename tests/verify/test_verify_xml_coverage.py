"""TECH-COVERAGE for XML signatures: a signature that leaves part of the document
unsigned fails TECH-COVERAGE (TOTAL-FAILED / FORMAT_FAILURE) with the element paths
that are signed and the first one that is not; TECH-FORMAT stays for signatures
that cannot be read. The verdicts are those of the former TECH-FORMAT reading."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from _xml_docs import DOCUMENT, credential, ds, edit, invoice, message, resign, trust
from lxml import etree

from _pdfs import blank_pdf, sign
from vnsign.formats.edxml import build_edxml
from vnsign.formats.einvoice import sign_invoice
from vnsign.formats.xml import XmlSignOptions, sign_enveloped
from vnsign.formats.xml.algorithms import TransformMethod
from vnsign.formats.xml.signing import sign_enveloping
from vnsign.pki.status import Indication, SubIndication
from vnsign.testing import TestPKI
from vnsign.verify import Report, RuleResult, RuleStatus, Verdict, Verifier

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "report-schema.json").read_text()
)


@pytest.fixture
def check(vn_pki: TestPKI) -> Callable[[bytes], Report]:
    verifier = Verifier(trust=trust(vn_pki), timeout=2)
    return verifier.verify


def rules(report: Report, signature: int = 1) -> dict[str, RuleResult]:
    return {r.rule_id: r for r in report.signatures[signature - 1].rules}


def test_a_whole_document_signature_passes_with_what_it_signs(
    vn_pki: TestPKI, check: Callable[[bytes], Report]
) -> None:
    report = check(sign_enveloped(DOCUMENT, credential(vn_pki.person)))
    assert report.verdict is Verdict.VALID, report.summary.en
    coverage = rules(report)["TECH-COVERAGE"]
    assert coverage.status is RuleStatus.PASSED
    assert coverage.message.en == "The signature covers all of the document (signed: /HoSo)."
    assert "/HoSo" in coverage.message.vi
    assert coverage.reference.startswith("ISO 32000-2 §12.8.1 (ByteRange); W3C XMLDSig 1.1 §8.1.1")


def test_a_partial_signature_fails_tech_coverage_naming_both_sides(
    vn_pki: TestPKI, check: Callable[[bytes], Report]
) -> None:
    signed = sign_enveloped(
        DOCUMENT, credential(vn_pki.person), XmlSignOptions(references=("#vb1",))
    )
    report = check(signed)
    assert report.verdict is Verdict.INVALID
    [signature] = report.signatures
    assert signature.indication is Indication.TOTAL_FAILED
    assert signature.sub_indication is SubIndication.FORMAT_FAILURE  # as before: EN 319 102-1
    found = rules(report)
    assert found["TECH-FORMAT"].status is RuleStatus.PASSED  # the signature is readable
    assert found["TECH-HASH"].status is RuleStatus.PASSED  # what it signs is intact
    coverage = found["TECH-COVERAGE"]
    assert coverage.status is RuleStatus.FAILED and coverage.fatal
    assert coverage.message.en == (
        "The signature covers only part of the document: it signs /HoSo/VanBan; "
        "/HoSo/PhuLuc is not signed."
    )
    assert "/HoSo/VanBan" in coverage.message.vi and "/HoSo/PhuLuc" in coverage.message.vi
    assert "/HoSo/PhuLuc is not signed" in report.summary.en  # the reason in the summary
    jsonschema.validate(report.to_json(), SCHEMA)


def test_an_element_added_beside_the_signed_ones_is_named(
    vn_pki: TestPKI, check: Callable[[bytes], Report]
) -> None:
    signed = sign_enveloped(
        DOCUMENT, credential(vn_pki.person), XmlSignOptions(references=("#vb1", "#pl1"))
    )
    assert check(signed).verdict is Verdict.VALID

    def add(root: etree._Element) -> None:
        etree.SubElement(root, "GhiChu").text = "thêm sau khi ký"

    report = check(edit(signed, add))
    assert report.verdict is Verdict.INVALID
    coverage = rules(report)["TECH-COVERAGE"]
    assert coverage.status is RuleStatus.FAILED
    assert "it signs /HoSo/VanBan, /HoSo/PhuLuc; /HoSo/GhiChu is not signed" in coverage.message.en


def test_an_unreferenced_object_is_named(vn_pki: TestPKI, check: Callable[[bytes], Report]) -> None:
    signed = sign_enveloping(
        b"<NoiDung>V\xc4\x83n b\xe1\xba\xa3n</NoiDung>", credential(vn_pki.person)
    )
    assert check(signed).verdict is Verdict.VALID

    def add_object(root: etree._Element) -> None:
        extra = etree.SubElement(root, ds("Object"), Id="them")
        etree.SubElement(extra, "SoTien").text = "999999999"

    report = check(edit(signed, add_object))
    coverage = rules(report)["TECH-COVERAGE"]
    assert coverage.status is RuleStatus.FAILED
    assert "ds:Object[2] is not signed" in coverage.message.en
    assert report.signatures[0].sub_indication is SubIndication.FORMAT_FAILURE


def test_an_unreadable_signature_is_tech_format_not_coverage(
    vn_pki: TestPKI, check: Callable[[bytes], Report]
) -> None:
    signed = sign_enveloped(
        DOCUMENT, credential(vn_pki.person), XmlSignOptions(references=("#vb1",))
    )

    def duplicate_id(root: etree._Element) -> None:
        root.append(etree.fromstring(b'<VanBan Id="vb1"><SoTien>1</SoTien></VanBan>'))

    report = check(edit(signed, duplicate_id))
    found = rules(report)
    assert found["TECH-FORMAT"].status is RuleStatus.FAILED
    assert "occurs 2 times" in found["TECH-FORMAT"].message.en
    assert found["TECH-COVERAGE"].status is RuleStatus.NOT_APPLICABLE
    assert report.signatures[0].sub_indication is SubIndication.FORMAT_FAILURE


# -- e-invoices: the scope is what the role signs -----------------------------------------------


def test_an_invoice_signature_covers_the_invoice_and_its_signing_time(
    vn_pki: TestPKI, check: Callable[[bytes], Report]
) -> None:
    report = check(sign_invoice(invoice(), credential(vn_pki.organization)))
    assert report.verdict is Verdict.VALID, report.summary.en
    coverage = rules(report)["TECH-COVERAGE"]
    assert coverage.status is RuleStatus.PASSED
    assert coverage.message.en.startswith("The signature covers all of the invoice it must sign")
    assert "/HDon/DLHDon" in coverage.message.en
    assert "/HDon/DSCKS/NBan/Signature/Object" in coverage.message.en


def test_an_invoice_signature_whose_time_reference_digests_nothing_covers_the_invoice(
    vn_pki: TestPKI, check: Callable[[bytes], Report]
) -> None:
    # the enveloped transform on the SigningTime reference, digested the strict way
    # (xmlsec1): the digest of nothing matches and the time is not signed, but the
    # Object holds signature properties, not invoice data: the invoice is covered
    def enveloped_on_signing_time(signature: etree._Element) -> None:
        reference = signature.find(ds("SignedInfo")).findall(ds("Reference"))[1]
        transforms = etree.Element(ds("Transforms"))
        etree.SubElement(transforms, ds("Transform")).set(
            "Algorithm", TransformMethod.ENVELOPED_SIGNATURE.value
        )
        reference.insert(0, transforms)

    signed = sign_invoice(invoice(), credential(vn_pki.organization))
    strict = resign(signed, vn_pki.organization.private_key, enveloped_on_signing_time)
    report = check(strict)
    assert rules(report)["TECH-COVERAGE"].status is RuleStatus.PASSED
    assert rules(report)["EINV-SIGNINGTIME"].status is RuleStatus.WARNING
    # the .NET reading of the same pattern is the accepted quirk: covered, valid
    quirky = resign(
        signed, vn_pki.organization.private_key, enveloped_on_signing_time, dotnet_enveloped=True
    )
    report = check(quirky)
    assert report.verdict is Verdict.VALID, report.summary.en
    assert rules(report)["TECH-COVERAGE"].status is RuleStatus.PASSED


# -- edXML: the envelope signature covers the whole package ----------------------------------


def test_an_edxml_envelope_signature_covers_the_package(
    vn_pki: TestPKI, check: Callable[[bytes], Report]
) -> None:
    package = build_edxml(message(), [], credential=credential(vn_pki.gov_agency))
    report = check(package)
    coverage = rules(report)["TECH-COVERAGE"]
    assert coverage.status is RuleStatus.PASSED, coverage.message.en
    assert "(signed: /edXML)" in coverage.message.en


def test_a_pdf_keeps_its_byte_range_coverage(vn_pki: TestPKI) -> None:
    # the PDF reading of TECH-COVERAGE is untouched (whole file or revision)
    report = Verifier(trust=trust(vn_pki), timeout=2).verify(
        sign(blank_pdf("Quyet dinh"), vn_pki.gov_official)
    )
    coverage = rules(report)["TECH-COVERAGE"]
    assert coverage.status is RuleStatus.PASSED
    assert coverage.message.en.startswith("The signature covers the whole")
