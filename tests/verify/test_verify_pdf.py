"""verify() on PDFs: verdicts, ETSI indications, rules, for documents made by another tool."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from _pdfs import blank_pdf, sign, trust_of
from vnsign.pki.status import Indication, SubIndication
from vnsign.pki.timestamps import TimestampClient
from vnsign.testing import Fault, TestIdentity, TestPKI, TestServices, Variant
from vnsign.verify import Report, RuleStatus, TimeSource, Verdict, Verifier
from vnsign.verify.render import render_text
from vnsign.verify.rules import SIGNATURE_RULES
from vnsign.verify.rules.base import Outcome


@pytest.fixture
def check(vn_pki: TestPKI) -> Callable[..., Report]:
    verifier = Verifier(trust=trust_of(vn_pki), timeout=2)

    def run(data: bytes, **options: object) -> Report:
        if options:
            return Verifier(trust=trust_of(vn_pki), timeout=2, **options).verify(data)  # type: ignore[arg-type]
        return verifier.verify(data)

    return run


def rule(report: Report, rule_id: str, signature: int = 1) -> RuleStatus:
    return next(r.status for r in report.signatures[signature - 1].rules if r.rule_id == rule_id)


def test_a_good_signature_is_valid_and_says_who_signed(
    vn_pki: TestPKI, check: Callable[..., Report]
) -> None:
    report = check(sign(blank_pdf(), vn_pki.person_in_org))
    assert report.verdict is Verdict.VALID, report.summary.en
    sig = report.signatures[0]
    assert sig.indication is Indication.TOTAL_PASSED
    assert sig.signer is not None
    assert sig.signer.name == "Trần Thị Bình"
    assert ("MST", "0123456789") in sig.signer.identifiers
    assert sig.signer.regime == "public"
    assert sig.level == "PAdES-B-B"
    assert sig.signing_time_source is TimeSource.CLAIMED
    assert rule(report, "TECH-SIGNING-TIME") is RuleStatus.WARNING  # claimed, not proven
    assert rule(report, "ND23-VALID-CERT") is RuleStatus.PASSED


def test_time_stamped_signature_has_a_proven_time(
    vn_pki: TestPKI, check: Callable[..., Report]
) -> None:
    stamped = sign(
        blank_pdf(),
        vn_pki.gov_official,
        timestamper=TimestampClient(vn_pki.services.tsa_url).as_pyhanko(),
    )
    report = check(stamped)
    assert report.verdict is Verdict.VALID, report.summary.en
    sig = report.signatures[0]
    assert sig.signing_time_source is TimeSource.TIMESTAMP
    assert sig.level == "PAdES-B-T"
    assert sig.timestamps[0].valid
    assert sig.signer is not None and sig.signer.regime == "official-duty"
    assert rule(report, "LGDDT-TSA") is RuleStatus.PASSED


def test_tampered_byte_is_a_hash_failure(vn_pki: TestPKI, check: Callable[..., Report]) -> None:
    signed = bytearray(sign(blank_pdf("Cong van so 01"), vn_pki.person))
    position = signed.find(b"Cong van so 01")
    signed[position + 12] = ord("9")
    report = check(bytes(signed))
    assert report.verdict is Verdict.INVALID
    assert report.signatures[0].sub_indication is SubIndication.HASH_FAILURE
    assert rule(report, "TECH-HASH") is RuleStatus.FAILED
    assert "bị thay đổi" in report.summary.vi


def test_content_change_in_a_later_revision_is_invalid(
    vn_pki: TestPKI, check: Callable[..., Report]
) -> None:
    signed = sign(blank_pdf(), vn_pki.person)
    w = IncrementalPdfFileWriter(io.BytesIO(signed))
    page = w.root["/Pages"]["/Kids"][0].get_object()
    page["/Contents"] = w.add_object(
        generic.StreamObject(stream_data=b"BT /F1 12 Tf 72 720 Td (Da sua) Tj ET")
    )
    w.update_container(page)
    out = io.BytesIO()
    w.write(out)
    report = check(out.getvalue())
    assert report.verdict is Verdict.INVALID
    assert (
        report.signatures[0].indication is Indication.TOTAL_PASSED
    )  # valid for the revision it signed ...
    assert rule(report, "TECH-MODIFIED") is RuleStatus.FAILED  # ... but the document changed later


def test_person_then_organisation_both_valid(vn_pki: TestPKI, check: Callable[..., Report]) -> None:
    first = sign(blank_pdf(), vn_pki.gov_official, field="NguoiKy")
    both = sign(first, vn_pki.gov_agency, field="CoQuan")
    report = check(both)
    assert report.verdict is Verdict.VALID, report.summary.en
    assert [s.name for s in report.signatures] == ["NguoiKy", "CoQuan"]
    assert rule(report, "TECH-MODIFIED", 1) is RuleStatus.PASSED
    assert "bổ sung các chữ ký sau" in report.signatures[0].rules[4].message.vi or any(
        "chữ ký sau" in r.message.vi for r in report.signatures[0].rules
    )


@pytest.mark.parametrize(
    ("variant", "verdict", "sub"),
    [
        (Variant.REVOKED, Verdict.INVALID, SubIndication.REVOKED),
        (Variant.EXPIRED, Verdict.INDETERMINATE, SubIndication.OUT_OF_BOUNDS_NO_POE),
        # TT 15/2025 makes the algorithm limits mandatory: invalid under vn-legal
        (Variant.RSA1024, Verdict.INVALID, SubIndication.CRYPTO_CONSTRAINTS_FAILURE),
        (Variant.SELF_SIGNED, Verdict.INDETERMINATE, SubIndication.NO_CERTIFICATE_CHAIN_FOUND),
        (Variant.WRONG_KEY_USAGE, Verdict.INVALID, SubIndication.CHAIN_CONSTRAINTS_FAILURE),
        (Variant.ECDSA_P256, Verdict.VALID, None),
    ],
)
def test_certificate_problems(
    vn_pki: TestPKI,
    check: Callable[..., Report],
    variant: Variant,
    verdict: Verdict,
    sub: SubIndication | None,
) -> None:
    report = check(sign(blank_pdf(), vn_pki.variant(variant)))
    assert report.verdict is verdict, report.summary.en
    assert report.signatures[0].sub_indication is sub


def test_revoked_after_an_unproven_signing_time_is_revoked_no_poe(
    vn_pki: TestPKI, check: Callable[..., Report]
) -> None:
    ident = vn_pki.issue()
    signed = sign(blank_pdf(), ident)
    # revoked after the (claimed, second-precision) signing time, before now
    revoked_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    time.sleep(1.2)
    vn_pki.revoke(ident, at=revoked_at)
    report = check(signed)
    assert report.verdict is Verdict.INDETERMINATE
    assert report.signatures[0].sub_indication is SubIndication.REVOKED_NO_POE


def test_untrusted_issuer_is_indeterminate(check: Callable[..., Report], vn_new_pki) -> None:  # type: ignore[no-untyped-def]
    report = check(sign(blank_pdf(), vn_new_pki().person))
    assert report.verdict is Verdict.INDETERMINATE
    assert rule(report, "TT15-TRUST-PATH") is RuleStatus.WARNING


def test_offline_is_indeterminate_unless_revocation_data_is_supplied(
    vn_pki: TestPKI, check: Callable[..., Report]
) -> None:
    signed = sign(blank_pdf(), vn_pki.organization)
    offline = check(signed, offline=True)
    assert offline.verdict is Verdict.INDETERMINATE
    assert offline.signatures[0].sub_indication is SubIndication.TRY_LATER
    crls = [ca.crl().public_bytes(Encoding.DER) for ca in (vn_pki.public_ca, vn_pki.national_root)]
    supplied = check(signed, offline=True, crls=crls)
    assert supplied.verdict is Verdict.VALID, supplied.summary.en


def test_dead_revocation_services_give_try_later(
    vn_pki: TestPKI, vn_services: TestServices
) -> None:
    vn_services.faults["ocsp"] = Fault.HTTP_500
    vn_services.faults["repository"] = Fault.HTTP_500
    report = Verifier(trust=trust_of(vn_pki), timeout=1).verify(sign(blank_pdf(), vn_pki.person))
    assert report.signatures[0].sub_indication is SubIndication.TRY_LATER


def test_unsigned_and_unreadable_documents(check: Callable[..., Report]) -> None:
    unsigned = check(blank_pdf())
    assert unsigned.verdict is Verdict.INVALID
    assert (
        unsigned.rules[0].rule_id == "TECH-SIGNED" and unsigned.rules[0].status is RuleStatus.FAILED
    )
    for junk in (b"%PDF-1.7\n%%EOF", b"\x00\x01binary", b"plain text, not a document"):
        report = check(junk)
        assert report.verdict is Verdict.ERROR
        assert report.error is not None and report.error.vi


def test_reading_a_missing_file_is_an_error_report(tmp_path) -> None:  # type: ignore[no-untyped-def]
    report = Verifier(offline=True).verify(tmp_path / "missing.pdf")
    assert report.verdict is Verdict.ERROR
    assert "no such file" in report.error.en  # type: ignore[union-attr]


def test_weak_key_is_only_indeterminate_in_the_technical_profile(vn_pki: TestPKI) -> None:
    signed = sign(blank_pdf(), vn_pki.variant(Variant.RSA1024))
    report = Verifier("technical", trust=trust_of(vn_pki)).verify(signed)
    assert report.verdict is Verdict.INDETERMINATE
    assert report.signatures[0].sub_indication is SubIndication.CRYPTO_CONSTRAINTS_FAILURE


def test_detached_p7s_beside_its_file(vn_pki: TestPKI, tmp_path: Path) -> None:
    from vnsign.formats.cades import sign_cades_file
    from vnsign.pki.credentials import KeyCredential

    attachment = tmp_path / "phu-luc.docx"
    attachment.write_bytes(b"PK\x03\x04 phu luc kem theo cong van" * 100)
    ident = vn_pki.person_in_org
    signature = sign_cades_file(
        attachment, KeyCredential(ident.private_key, ident.certificate, ident.chain)
    )
    verifier = Verifier(trust=trust_of(vn_pki))
    report = verifier.verify(signature)
    assert report.format == "cms"
    assert report.verdict is Verdict.VALID, report.summary.en
    assert (
        report.signatures[0].signer is not None
        and report.signatures[0].signer.name == "Trần Thị Bình"
    )
    attachment.write_bytes(attachment.read_bytes() + b"!")
    changed = verifier.verify(signature)
    assert changed.verdict is Verdict.INVALID
    assert changed.signatures[0].sub_indication is SubIndication.HASH_FAILURE
    attachment.unlink()
    missing = verifier.verify(signature)
    assert missing.verdict is Verdict.ERROR and "not beside it" in missing.error.en  # type: ignore[union-attr]


def _b_lt(data: bytes, pki: TestPKI, signer: TestIdentity, tmp_path: Path) -> bytes:
    """``data`` signed by ``signer`` at PAdES-B-LT with vnsign's own PDF signer
    (validation data in the DSS of the signature's own revision)."""
    from vnsign.formats.pdf import INVISIBLE, PadesLevel, sign_pdf

    source, target = tmp_path / "in.pdf", tmp_path / "out.pdf"
    source.write_bytes(data)
    sign_pdf(
        source,
        target,
        signer.credential(),
        level=PadesLevel.B_LT,
        timestamp=pki.services.tsa_url,
        trust_roots=pki.roots,
        appearance=INVISIBLE,
    )
    return target.read_bytes()


def test_b_lt_level_needs_the_signers_validation_data_in_the_document(
    vn_pki: TestPKI, check: Callable[..., Report], tmp_path: Path
) -> None:
    stamper = TimestampClient(vn_pki.services.tsa_url).as_pyhanko()
    first = sign(blank_pdf(), vn_pki.person, timestamper=stamper)  # public CA, B-T
    both = _b_lt(first, vn_pki, vn_pki.gov_agency, tmp_path)  # Government CA, B-LT
    report = check(both, offline=True)
    # the DSS written with the second signature holds the Government CA's data only
    assert [s.level for s in report.signatures] == ["PAdES-B-T", "PAdES-B-LT"]
    assert rule(report, "ND23-VALID-CERT", 2) is RuleStatus.PASSED  # offline: embedded data


def test_a_change_after_signing_is_said_on_the_signature_line(
    vn_pki: TestPKI, check: Callable[..., Report]
) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(sign(blank_pdf(), vn_pki.person)))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    cover = writer.add_object(generic.StreamObject(stream_data=b"1 1 1 rg 0 0 595 842 re f"))
    page["/Contents"] = generic.ArrayObject([page.raw_get("/Contents"), cover])
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    report = check(out.getvalue())
    assert report.verdict is Verdict.INVALID
    assert report.signatures[0].indication is Indication.TOTAL_PASSED  # the CMS itself holds
    text = render_text(report, lang="en")
    assert "Signature 1 (Signature1): invalid [TOTAL-PASSED; failed: TECH-MODIFIED]" in text
    assert "Reference(" not in text and "xref" not in text  # pyHanko's words, translated
    vi = render_text(report, lang="vi")
    assert "không hợp lệ [TOTAL-PASSED; không đạt: TECH-MODIFIED]" in vi


def test_a_rule_that_breaks_fails_instead_of_losing_the_report(
    vn_pki: TestPKI, check: Callable[..., Report]
) -> None:
    def broken(ctx: object) -> Outcome:
        raise KeyError("bug")

    index = next(n for n, r in enumerate(SIGNATURE_RULES) if r.rule_id == "TECH-KEY-USAGE")
    original = SIGNATURE_RULES[index]
    SIGNATURE_RULES[index] = replace(original, check=broken)
    try:
        report = check(sign(blank_pdf(), vn_pki.person))
    finally:
        SIGNATURE_RULES[index] = original
    assert report.verdict is Verdict.INVALID  # never a false "valid"
    assert rule(report, "TECH-KEY-USAGE") is RuleStatus.FAILED
    result = next(r for r in report.signatures[0].rules if r.rule_id == "TECH-KEY-USAGE")
    assert "could not be completed (internal error: KeyError" in result.message.en


def test_an_unreadable_signer_certificate_is_a_format_failure(
    vn_pki: TestPKI, check: Callable[..., Report]
) -> None:
    parsed = asn1_x509.Certificate.load(vn_pki.person.cert_der)
    tbs = parsed["tbs_certificate"].copy()
    extensions = list(tbs["extensions"])
    tbs["extensions"] = [*extensions, extensions[0].copy()]  # RFC 5280: one of each
    bad = asn1_x509.Certificate(
        {
            "tbs_certificate": tbs,
            "signature_algorithm": parsed["signature_algorithm"],
            "signature_value": parsed["signature_value"],
        }
    ).dump()
    signer = replace(vn_pki.person, certificate=x509.load_der_x509_certificate(bad))
    report = check(sign(blank_pdf(), signer))
    assert report.verdict is Verdict.INVALID
    sig = report.signatures[0]
    assert sig.sub_indication is SubIndication.FORMAT_FAILURE
    assert sig.signer is None
    assert "signer's certificate" in render_text(report, lang="en")


def test_unreadable_pdf_with_missing_signed_bytes_is_a_hash_failure(
    vn_pki: TestPKI, check: Callable[..., Report]
) -> None:
    signed = sign(blank_pdf(), vn_pki.person)
    report = check(signed[:-10])  # the trailer is cut: pyHanko cannot read the file
    assert report.verdict is Verdict.INVALID
    sig = report.signatures[0]
    assert (sig.indication, sig.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.HASH_FAILURE,
    )
    assert sig.signer is not None and sig.signer.name == "Nguyễn Văn An"
    assert "10 bytes before the end of the signed byte range" in render_text(report, lang="en")


def test_unreadable_pdf_whose_signed_bytes_are_intact_stays_an_error(
    vn_pki: TestPKI, check: Callable[..., Report]
) -> None:
    signed = sign(blank_pdf(), vn_pki.person)
    broken = signed + b"\nxref\nnot a table\ntrailer\n<< >>\nstartxref\n999999999\n%%EOF\n"
    report = check(broken)
    assert report.verdict is Verdict.ERROR
    assert "1 signature(s) are intact over their byte ranges" in report.summary.en
