"""verify() on Vietnamese e-invoices: every signature (seller, buyer, tax authority)
reported with the EINV-* rules, what each signature covers, the quirks of real
invoices, and invoices that are not what they claim."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from _xml_docs import SELLER_MST, credential, ds, edit, invoice, resign, trust
from lxml import etree

from vnsign.formats.einvoice import InvoiceRole, InvoiceSignOptions, sign_invoice
from vnsign.formats.xml.algorithms import TransformMethod
from vnsign.pki.status import Indication, SubIndication
from vnsign.testing import TestIdentity, TestPKI
from vnsign.verify import Report, RuleStatus, TimeSource, Verdict, Verifier
from vnsign.verify.adapters.einvoice import einvoice_facts
from vnsign.verify.facts import Coverage

TAX_CODE = "M1-25-ABCDE-00000000123"


@pytest.fixture
def check(vn_pki: TestPKI) -> Callable[..., Report]:
    verifier = Verifier(trust=trust(vn_pki), timeout=2)

    def run(data: bytes, profile: str = "vn-legal") -> Report:
        if profile != "vn-legal":
            return Verifier(profile, trust=trust(vn_pki), timeout=2).verify(data)
        return verifier.verify(data)

    return run


def outcome(report: Report, rule_id: str, signature: int = 1) -> tuple[RuleStatus, str, str]:
    found = next(r for r in report.signatures[signature - 1].rules if r.rule_id == rule_id)
    return found.status, found.message.vi, found.message.en


def document_outcome(report: Report, rule_id: str) -> tuple[RuleStatus, str, str]:
    found = next(r for r in report.rules if r.rule_id == rule_id)
    return found.status, found.message.vi, found.message.en


EINV_SIGNATURE_RULES = (
    "EINV-REFS",
    "EINV-C14N",
    "EINV-SIGNINGTIME",
    "EINV-ALGS",
    "EINV-KEYINFO",
    "EINV-MST-MATCH",
)


def test_seller_signature_is_valid_with_every_einv_rule(
    vn_pki: TestPKI, check: Callable[..., Report]
) -> None:
    signed = sign_invoice(invoice(), credential(vn_pki.organization))
    report = check(signed)
    assert report.format == "einvoice"
    assert report.verdict is Verdict.VALID, report.summary.en
    [sig] = report.signatures
    assert sig.name == "DSCKS/NBan"
    assert sig.indication is Indication.TOTAL_PASSED
    assert sig.level == "XMLDSig"
    assert sig.signing_time_source is TimeSource.CLAIMED
    assert sig.signer is not None and ("MST", SELLER_MST) in sig.signer.identifiers
    for rule_id in EINV_SIGNATURE_RULES:
        assert outcome(report, rule_id)[0] is RuleStatus.PASSED, rule_id
    assert outcome(report, "EINV-TAX-CERT")[0] is RuleStatus.NOT_APPLICABLE
    status, vi, _ = document_outcome(report, "EINV-STRUCTURE")
    assert status is RuleStatus.PASSED and "người bán (NBan)" in vi
    reference = next(r for r in sig.rules if r.rule_id == "EINV-MST-MATCH").reference
    assert "NĐ 123/2020/NĐ-CP" in reference
    [facts] = einvoice_facts(signed).signatures
    assert facts.coverage is Coverage.ENTIRE_FILE
    assert facts.claimed_time_source == "SignatureProperty/SigningTime"


def test_seller_and_buyer_are_each_reported(vn_pki: TestPKI, check: Callable[..., Report]) -> None:
    by_seller = sign_invoice(invoice(), credential(vn_pki.organization))
    both = sign_invoice(by_seller, credential(vn_pki.person), InvoiceRole.BUYER)
    report = check(both)
    assert report.verdict is Verdict.VALID, report.summary.en
    assert [s.name for s in report.signatures] == ["DSCKS/NBan", "DSCKS/NMua"]
    assert report.signatures[1].signer is not None
    assert report.signatures[1].signer.name == "Nguyễn Văn An"
    assert outcome(report, "EINV-MST-MATCH", 2)[0] is RuleStatus.NOT_APPLICABLE  # buyer
    assert outcome(report, "EINV-REFS", 2)[0] is RuleStatus.PASSED
    status, vi, en = document_outcome(report, "EINV-STRUCTURE")
    assert status is RuleStatus.PASSED
    assert "người mua (NMua)" in vi and "buyer (NMua)" in en


def test_tax_authority_signature_chains_to_the_government_ca(
    vn_pki: TestPKI, check: Callable[..., Report]
) -> None:
    seller = sign_invoice(invoice(), credential(vn_pki.organization))
    coded = sign_invoice(
        seller,
        credential(vn_pki.gov_agency),
        InvoiceRole.TAX_AUTHORITY,
        InvoiceSignOptions(tax_authority_code=TAX_CODE),
    )
    report = check(coded)
    assert report.verdict is Verdict.VALID, report.summary.en
    assert [s.name for s in report.signatures] == ["DSCKS/NBan", "DSCKS/CQT"]
    assert outcome(report, "EINV-TAX-CERT", 2)[0] is RuleStatus.PASSED
    assert outcome(report, "EINV-REFS", 2)[0] is RuleStatus.PASSED  # signs HDon/MCCQT
    assert outcome(report, "EINV-MST-MATCH", 1)[0] is RuleStatus.PASSED
    facts = einvoice_facts(coded).signatures
    assert [f.coverage for f in facts] == [Coverage.ENTIRE_FILE] * 2


def test_a_public_ca_certificate_in_the_tax_authority_place_fails(
    vn_pki: TestPKI, check: Callable[..., Report]
) -> None:
    seller = sign_invoice(invoice(), credential(vn_pki.organization))
    fake = sign_invoice(
        seller,
        credential(vn_pki.person_in_org),
        InvoiceRole.TAX_AUTHORITY,
        InvoiceSignOptions(tax_authority_code=TAX_CODE),
    )
    report = check(fake)
    assert report.verdict is Verdict.INVALID
    status, vi, _ = outcome(report, "EINV-TAX-CERT", 2)
    assert status is RuleStatus.FAILED and "chuyên dùng" in vi
    assert report.signatures[1].indication is Indication.TOTAL_PASSED  # cryptographically fine


def test_seller_tax_code_must_match_the_certificate(
    vn_pki: TestPKI, check: Callable[..., Report], vn_make_cert: Callable[..., TestIdentity]
) -> None:
    other_company = sign_invoice(
        invoice(seller_mst="0999999999"),
        credential(vn_pki.organization),
        options=InvoiceSignOptions(check_seller_mst=False),
    )
    report = check(other_company)
    assert report.verdict is Verdict.INVALID
    status, vi, en = outcome(report, "EINV-MST-MATCH")
    assert status is RuleStatus.FAILED
    assert "0123456789" in vi and "0999999999" in vi and "0999999999" in en
    assert report.signatures[0].indication is Indication.TOTAL_PASSED
    assert "0999999999" in report.summary.vi  # the reason is in the summary

    branch = vn_make_cert(profile="organization")  # MST 0123456789-00n
    report = check(sign_invoice(invoice(), credential(branch)))
    assert report.verdict is Verdict.VALID, report.summary.en
    assert outcome(report, "EINV-MST-MATCH")[0] is RuleStatus.WARNING


def enveloped_transform_on_signing_time(signature: etree._Element) -> None:
    reference = signature.find(ds("SignedInfo")).findall(ds("Reference"))[1]
    transforms = etree.Element(ds("Transforms"))
    etree.SubElement(transforms, ds("Transform")).set(
        "Algorithm", TransformMethod.ENVELOPED_SIGNATURE.value
    )
    reference.insert(0, transforms)


def test_strictly_digested_signing_time_leaves_the_invoice_valid_with_a_warning(
    vn_pki: TestPKI, check: Callable[..., Report]
) -> None:
    # the same transform digested as xmlsec1 and Santuario do: the Object signs nothing
    signed = sign_invoice(invoice(), credential(vn_pki.organization))
    strict = resign(signed, vn_pki.organization.private_key, enveloped_transform_on_signing_time)
    report = check(strict, "einvoice")
    assert report.verdict is Verdict.VALID, report.summary.en
    assert outcome(report, "TECH-COVERAGE")[0] is RuleStatus.PASSED  # the invoice data is
    status, _, en = outcome(report, "EINV-SIGNINGTIME")
    assert status is RuleStatus.WARNING and "not covered by the signature" in en
    assert report.signatures[0].signing_time_source is not TimeSource.TIMESTAMP


def test_dotnet_enveloped_object_quirk_is_accepted_with_a_note(
    vn_pki: TestPKI, check: Callable[..., Report]
) -> None:
    signed = sign_invoice(invoice(), credential(vn_pki.organization))
    quirky = resign(
        signed,
        vn_pki.organization.private_key,
        enveloped_transform_on_signing_time,
        dotnet_enveloped=True,
    )
    report = check(quirky)
    assert report.verdict is Verdict.VALID, report.summary.en
    status, vi, en = outcome(report, "EINV-REFS")
    assert status is RuleStatus.PASSED
    assert "OBS-EINVOICE-ENVELOPED-OBJECT" in vi and "OBS-EINVOICE-ENVELOPED-OBJECT" in en
    assert outcome(report, "TECH-HASH")[0] is RuleStatus.PASSED
    [facts] = einvoice_facts(quirky).signatures
    assert any("OBS-EINVOICE-ENVELOPED-OBJECT" in note for note in facts.details["notes"])  # type: ignore[attr-defined]


def test_changed_invoice_data_or_signing_time_is_a_hash_failure(
    vn_pki: TestPKI, check: Callable[..., Report]
) -> None:
    signed = sign_invoice(invoice(), credential(vn_pki.organization))
    changed = check(signed.replace(b"<SLuong>2</SLuong>", b"<SLuong>20</SLuong>"))
    assert changed.verdict is Verdict.INVALID
    assert changed.signatures[0].sub_indication is SubIndication.HASH_FAILURE
    _, _, en = outcome(changed, "TECH-HASH")
    assert "/HDon/DLHDon" in en

    later = edit(
        signed,
        lambda root: setattr(root.find(".//SigningTime"), "text", "2025-05-02T08:00:00"),
    )
    report = check(later)
    assert report.signatures[0].sub_indication is SubIndication.HASH_FAILURE
    assert "/HDon/DSCKS/NBan/Signature/Object" in outcome(report, "TECH-HASH")[2]


def test_wrapped_invoice_data_is_never_valid(vn_pki: TestPKI, check: Callable[..., Report]) -> None:
    signed = sign_invoice(invoice(), credential(vn_pki.organization))

    def wrap(root: etree._Element) -> None:
        original = root.find("DLHDon")
        holder = etree.Element("Goc")
        root.replace(original, holder)
        holder.append(original)
        fake = etree.fromstring(etree.tostring(original))
        fake.set("Id", "DLHDon-fake")
        fake.find("NDHDon/TToan/TgTTTBSo").text = "1"
        root.insert(0, fake)

    report = check(edit(signed, wrap))
    assert report.verdict is Verdict.INVALID
    assert report.signatures[0].sub_indication is SubIndication.FORMAT_FAILURE
    status, vi, _ = outcome(report, "EINV-REFS")
    assert status is RuleStatus.FAILED and "bọc chữ ký" in vi

    def duplicate(root: etree._Element) -> None:
        copy = etree.fromstring(etree.tostring(root.find("DLHDon")))
        copy.find("NDHDon/TToan/TgTTTBSo").text = "1"
        root.find("DSCKS").append(copy)

    report = check(edit(signed, duplicate))
    assert report.verdict is Verdict.INVALID
    assert report.signatures[0].sub_indication is SubIndication.FORMAT_FAILURE


def test_signing_time_outside_the_certificate_fails(
    vn_pki: TestPKI, check: Callable[..., Report]
) -> None:
    signed = sign_invoice(invoice(), credential(vn_pki.organization))

    def long_ago(signature: etree._Element) -> None:
        signature.find(f".//{ds('Object')}//SigningTime").text = "2001-01-01T08:00:00"

    report = check(resign(signed, vn_pki.organization.private_key, long_ago))
    assert report.verdict is Verdict.INVALID
    status, vi, _ = outcome(report, "EINV-SIGNINGTIME")
    assert status is RuleStatus.FAILED and "2001-01-01T08:00:00+07:00" in vi


def test_key_info_subject_name_mismatch_is_only_a_warning(
    vn_pki: TestPKI, check: Callable[..., Report]
) -> None:
    signed = sign_invoice(invoice(), credential(vn_pki.organization))
    renamed = edit(
        signed,
        lambda root: setattr(
            root.find(f".//{ds('X509SubjectName')}"), "text", "CN=Somebody Else,UID=MST:0999999999"
        ),
    )
    for profile in ("vn-legal", "einvoice"):
        report = check(renamed, profile)
        assert report.verdict is Verdict.VALID, (profile, report.summary.en)
        assert outcome(report, "EINV-KEYINFO")[0] is RuleStatus.WARNING


def test_invoice_in_a_transmission_envelope(vn_pki: TestPKI, check: Callable[..., Report]) -> None:
    signed = sign_invoice(invoice(), credential(vn_pki.organization))
    body = signed.split(b"?>", 1)[1]
    message = (
        b"<TDiep><TTChung><MLTDiep>200</MLTDiep></TTChung><DLieu>" + body + b"</DLieu></TDiep>"
    )
    report = check(message)
    assert report.format == "einvoice"
    assert report.verdict is Verdict.VALID, report.summary.en
    assert "TDiep" in " ".join(einvoice_facts(message).problems)


def test_unsigned_and_unreadable_invoices(check: Callable[..., Report]) -> None:
    unsigned = check(invoice())
    assert unsigned.verdict is Verdict.INVALID
    assert document_outcome(unsigned, "TECH-SIGNED")[0] is RuleStatus.FAILED
    assert document_outcome(unsigned, "EINV-STRUCTURE")[0] is RuleStatus.WARNING  # no seller

    no_data = check(b"<HDon><DSCKS/></HDon>")
    assert no_data.verdict is Verdict.INVALID
    status, vi, _ = document_outcome(no_data, "EINV-STRUCTURE")
    assert status is RuleStatus.FAILED and "DLHDon" in vi

    two = check(b"<TDiep><HDon><DLHDon Id='a'/></HDon><HDon><DLHDon Id='b'/></HDon></TDiep>")
    assert two.format == "einvoice" and two.verdict is Verdict.INVALID
    assert document_outcome(two, "EINV-STRUCTURE")[0] is RuleStatus.FAILED

    assert check(b"<HDon><DLHDon>").verdict is Verdict.ERROR  # truncated
