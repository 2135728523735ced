"""verify() on edXML packages: the envelope signature, the header rules, and every
attached signed PDF and nested package verified by the same verifier."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from _xml_docs import credential, edit, message, trust
from lxml import etree

from _pdfs import blank_pdf, sign
from vnsign.formats.edxml import EDXML_NS, Attachment, build_edxml
from vnsign.pki.status import SubIndication
from vnsign.testing import TestPKI
from vnsign.verify import Report, RuleStatus, Verdict, Verifier
from vnsign.verify.adapters.edxml import edxml_facts
from vnsign.verify.facts import Coverage
from vnsign.verify.render import render_text

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "report-schema.json").read_text()
)


@pytest.fixture
def check(vn_pki: TestPKI) -> Callable[..., Report]:
    verifier = Verifier(trust=trust(vn_pki), timeout=2)

    def run(data: bytes, profile: str = "vn-legal") -> Report:
        if profile != "vn-legal":
            return Verifier(profile, trust=trust(vn_pki), timeout=2).verify(data, name="goi.edxml")
        return verifier.verify(data, name="goi.edxml")

    return run


@pytest.fixture(scope="module")
def pdfs(vn_pki: TestPKI) -> dict[str, bytes]:
    good = sign(blank_pdf("Quyet dinh so 1234"), vn_pki.gov_official)
    tampered = bytearray(sign(blank_pdf("Quyet dinh so 1234"), vn_pki.gov_official))
    tampered[tampered.find(b"Quyet dinh so 1234") + 15] = ord("9")
    return {"good": good, "tampered": bytes(tampered)}


def rule(report: Report, rule_id: str) -> tuple[RuleStatus, str, bool]:
    found = next(r for r in report.rules if r.rule_id == rule_id)
    return found.status, found.message.en, found.fatal


def q(path: str) -> str:
    return "/".join(f"{{{EDXML_NS}}}{part}" for part in path.split("/"))


def test_signed_package_with_a_signed_pdf(
    vn_pki: TestPKI, check: Callable[..., Report], pdfs: dict[str, bytes]
) -> None:
    package = build_edxml(
        message(),
        [Attachment("qd-1234.pdf", pdfs["good"])],
        credential=credential(vn_pki.gov_agency),
    )
    report = check(package)
    assert report.format == "edxml"
    assert report.verdict is Verdict.VALID, report.summary.en
    [envelope] = report.signatures
    assert envelope.level == "XMLDSig" and envelope.signer is not None
    for rule_id in ("EDXML-HEADER", "EDXML-FORMATS", "ORGID-CODES", "EDXML-ATTACHMENTS"):
        assert rule(report, rule_id)[0] is RuleStatus.PASSED, rule_id
    [attached] = report.attachments
    assert attached.file == "goi.edxml/qd-1234.pdf"
    assert attached.format == "pdf" and attached.verdict is Verdict.VALID
    assert attached.signatures[0].signer is not None
    assert attached.signatures[0].signer.name == "Lê Hoàng Cường"
    [facts] = edxml_facts(package).signatures
    assert facts.coverage is Coverage.ENTIRE_FILE
    text = render_text(report)
    assert "Tệp đính kèm:" in text and "goi.edxml/qd-1234.pdf" in text
    jsonschema.validate(report.to_json(), SCHEMA)
    assert report.to_json()["attachments"][0]["verdict"] == "valid"


def test_a_tampered_attached_pdf_makes_the_package_invalid(
    vn_pki: TestPKI, check: Callable[..., Report], pdfs: dict[str, bytes]
) -> None:
    package = build_edxml(
        message(),
        [Attachment("qd-1234.pdf", pdfs["tampered"])],
        credential=credential(vn_pki.gov_agency),
    )
    report = check(package)
    assert report.signatures[0].sub_indication is None  # the envelope itself is intact
    [attached] = report.attachments
    assert attached.verdict is Verdict.INVALID
    assert attached.signatures[0].sub_indication is SubIndication.HASH_FAILURE
    assert report.verdict is Verdict.INVALID
    status, en, fatal = rule(report, "EDXML-ATTACHMENTS")
    assert status is RuleStatus.FAILED and fatal and "qd-1234.pdf" in en
    assert "qd-1234.pdf" in report.summary.vi
    # the technical profile has no edXML rules: the package is still no better than its files
    technical = check(package, "technical")
    assert technical.verdict is Verdict.INVALID
    assert "qd-1234.pdf" in technical.summary.en


def test_unsigned_envelope_still_verifies_its_pdfs(
    check: Callable[..., Report], pdfs: dict[str, bytes]
) -> None:
    package = build_edxml(message(), [Attachment("qd-1234.pdf", pdfs["good"])])
    report = check(package)
    assert report.signatures == ()
    assert [a.verdict for a in report.attachments] == [Verdict.VALID]
    assert rule(report, "EDXML-ATTACHMENTS")[0] is RuleStatus.PASSED
    assert "not signed" in rule(report, "EDXML-HEADER")[1]  # EDXML-SIGNATURE note


def test_unsigned_envelope_with_valid_signed_pdfs_is_valid(
    check: Callable[..., Report], pdfs: dict[str, bytes]
) -> None:
    package = build_edxml(message(), [Attachment("qd-1234.pdf", pdfs["good"])])
    report = check(package)
    assert report.verdict is Verdict.VALID, report.summary.en
    signed = next(r for r in report.rules if r.rule_id == "TECH-SIGNED")
    assert "attached file(s) are" in signed.message.en


def test_unsigned_envelope_with_unsigned_attachments_is_not_signed(
    check: Callable[..., Report],
) -> None:
    package = build_edxml(message(), [Attachment("qd-1234.pdf", blank_pdf())])
    report = check(package)
    assert report.verdict is Verdict.INVALID
    signed = next(r for r in report.rules if r.rule_id == "TECH-SIGNED")
    assert signed.status is RuleStatus.FAILED


def _zip(*members: tuple[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return out.getvalue()


def test_nested_package_inside_a_zip_is_verified_in_turn(
    vn_pki: TestPKI, check: Callable[..., Report], pdfs: dict[str, bytes]
) -> None:
    agency = credential(vn_pki.gov_agency)
    inner = build_edxml(message(), [Attachment("qd-1234.pdf", pdfs["good"])], credential=agency)
    bundle = _zip(("goi-tin.edxml", inner), ("ghi-chu.txt", "Hồ sơ kèm theo".encode()))
    # declared as a PDF, really a zip: as circulated samples do (OBS-EDXML-NESTING)
    outer = build_edxml(message(), [Attachment("ho-so.pdf", bundle)], credential=agency)
    report = check(outer)
    assert report.verdict is Verdict.VALID, report.summary.en
    [nested] = report.attachments
    assert nested.file == "goi.edxml/ho-so.pdf/goi-tin.edxml"
    assert nested.format == "edxml" and nested.verdict is Verdict.VALID
    [pdf] = nested.attachments
    assert pdf.file == "goi.edxml/ho-so.pdf/goi-tin.edxml/qd-1234.pdf"
    assert pdf.verdict is Verdict.VALID
    status, en, _ = rule(report, "EDXML-ATTACHMENTS")
    assert status is RuleStatus.PASSED
    assert "ghi-chu.txt" in en and "declared application/pdf but is zip" in en

    # the nested package's PDF tampered: both levels say so
    bad_inner = build_edxml(
        message(), [Attachment("qd-1234.pdf", pdfs["tampered"])], credential=agency
    )
    bad = build_edxml(
        message(),
        [Attachment("ho-so.zip", _zip(("goi-tin.edxml", bad_inner)), "application/zip")],
        credential=agency,
    )
    report = check(bad)
    assert report.verdict is Verdict.INVALID
    assert report.attachments[0].verdict is Verdict.INVALID
    assert report.attachments[0].attachments[0].verdict is Verdict.INVALID


def test_nesting_is_bounded(
    vn_pki: TestPKI, check: Callable[..., Report], pdfs: dict[str, bytes]
) -> None:
    agency = credential(vn_pki.gov_agency)
    package = build_edxml(message(), [Attachment("qd.pdf", pdfs["good"])], credential=agency)
    for level in range(5):
        package = build_edxml(
            message(),
            [Attachment(f"goi-{level}.edxml", package, content_type="application/xml")],
            credential=agency,
        )
    started = time.perf_counter()
    report = check(package)
    assert time.perf_counter() - started < 10
    assert report.verdict is Verdict.INVALID
    depth, node = 0, report
    while node.attachments:
        node = node.attachments[0]
        depth += 1
    assert depth <= 4
    assert node.verdict is not Verdict.VALID
    assert rule(report, "EDXML-ATTACHMENTS")[0] is RuleStatus.FAILED


def test_changed_envelope_is_a_hash_failure(
    vn_pki: TestPKI, check: Callable[..., Report], pdfs: dict[str, bytes]
) -> None:
    package = build_edxml(
        message(),
        [Attachment("qd-1234.pdf", pdfs["good"])],
        credential=credential(vn_pki.gov_agency),
    )

    def change(root: etree._Element) -> None:
        root.find(q("edXMLEnvelope/edXMLHeader/MessageHeader/Subject")).text = "V/v khác"

    report = check(edit(package, change))
    assert report.verdict is Verdict.INVALID
    assert report.signatures[0].sub_indication is SubIndication.HASH_FAILURE


def test_header_rules(check: Callable[..., Report], pdfs: dict[str, bytes]) -> None:
    package = build_edxml(message(), [Attachment("qd-1234.pdf", pdfs["good"])])

    def bad_codes(root: etree._Element) -> None:
        root.find(q("edXMLEnvelope/edXMLHeader/MessageHeader/To/OrganId")).text = "bộ nội vụ"
        info = q("edXMLEnvelope/edXMLHeader/MessageHeader/PromulgationInfo/PromulgationDate")
        root.find(info).text = "01-05-2025"
        root.find(q("edXMLEnvelope/edXMLHeader/MessageHeader/Subject")).text = ""

    report = check(edit(package, bad_codes))
    status, en, fatal = rule(report, "ORGID-CODES")
    assert status is RuleStatus.FAILED and fatal and "bộ nội vụ" in en
    status, _, fatal = rule(report, "EDXML-FORMATS")
    assert status is RuleStatus.FAILED and not fatal  # fatal only in the edxml profile
    assert rule(report, "EDXML-HEADER")[0] is RuleStatus.FAILED
    assert report.verdict is Verdict.INVALID
    assert rule(check(edit(package, bad_codes), "edxml"), "EDXML-FORMATS")[2]


def test_hostile_attachment_is_a_failed_rule_not_a_crash(
    vn_pki: TestPKI, check: Callable[..., Report], pdfs: dict[str, bytes]
) -> None:
    bomb = (
        b'<!DOCTYPE edXML [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><edXML xmlns="'
        + EDXML_NS.encode()
        + b'">&b;</edXML>'
    )
    package = build_edxml(
        message(),
        [
            Attachment("x.edxml", bomb, content_type="application/xml"),
            Attachment("qd-1234.pdf", pdfs["good"]),
        ],
        credential=credential(vn_pki.gov_agency),
    )
    report = check(package)
    assert report.verdict is Verdict.INVALID
    verdicts = {a.file: a.verdict for a in report.attachments}
    assert verdicts == {"goi.edxml/x.edxml": Verdict.ERROR, "goi.edxml/qd-1234.pdf": Verdict.VALID}
    assert rule(report, "EDXML-ATTACHMENTS")[0] is RuleStatus.FAILED
    jsonschema.validate(report.to_json(), SCHEMA)


def test_signed_envelope_built_to_exhaust_the_verifier_is_refused(
    check: Callable[..., Report], pdfs: dict[str, bytes]
) -> None:
    package = build_edxml(message(), [Attachment("qd-1234.pdf", pdfs["good"] * 40)])
    signature = (
        '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>'
        + '<ds:Reference URI=""><ds:DigestValue>AAAA</ds:DigestValue></ds:Reference>' * 4000
        + "</ds:SignedInfo></ds:Signature>"
    ).encode()
    hostile = package.replace(b"</edXML:edXMLHeader>", signature + b"</edXML:edXMLHeader>")
    started = time.perf_counter()
    report = check(hostile)
    assert time.perf_counter() - started < 2.0
    assert report.verdict is Verdict.ERROR
    # refused by verify_xml's own limits, on the count, before any size is measured
    assert "4000 references" in report.error.en  # type: ignore[union-attr]


def test_xml_that_only_mentions_the_namespace_is_generic_xml(check: Callable[..., Report]) -> None:
    report = check(f'<GhiChu xmlns:e="{EDXML_NS}">không phải gói tin</GhiChu>'.encode())
    assert report.format == "xml"
    assert report.verdict is Verdict.INVALID  # unsigned
    broken = check(f'<edXML xmlns="{EDXML_NS}"/>'.encode())
    assert broken.verdict is Verdict.ERROR and "edXMLEnvelope" in broken.error.en  # type: ignore[union-attr]
