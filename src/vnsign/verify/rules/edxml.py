"""The edXML package rules (QCVN 102:2016/BTTTT and its 2022 amendment, QĐ 20/2020/QĐ-TTg).

:mod:`vnsign.formats.edxml` checks the header, the agency codes and the body of
a package and reports findings keyed by vn-rules IDs; the edXML adapter carries
them in the facts (``details["edxml"]``). Each rule here turns its findings into
one outcome. EDXML-ATTACHMENTS also judges the reports of the attached files,
which the verifier verified like any document (a received document is checked
for authenticity and integrity: ND 30/2020 Art. 21.2).
"""

from __future__ import annotations

from collections.abc import Iterable

# The generic rules come first in every report: register them before these.
import vnsign.verify.rules.legal
import vnsign.verify.rules.technical  # noqa: F401
from vnsign.formats.edxml import FileKind
from vnsign.formats.xml import Finding, FindingStatus
from vnsign.verify.adapters.edxml import EdxmlDetails
from vnsign.verify.facts import DocumentFacts
from vnsign.verify.report import Report, Verdict
from vnsign.verify.rules.base import (
    DocumentContext,
    Outcome,
    document_rule,
    failed,
    not_applicable,
    passed,
    warning,
)

_QCVN = "QCVN 102:2016/BTTTT (TT 10/2016/TT-BTTTT), sửa đổi 1:2022 (TT 01/2022/TT-BTTTT)"
_HEADER_SUBJECT = "edXMLHeader"  #: findings about the header's own signature block
_ORDER = {
    FindingStatus.FAILED: 0,
    FindingStatus.WARNING: 1,
    FindingStatus.PASSED: 2,
    FindingStatus.INFO: 3,
    FindingStatus.NOT_APPLICABLE: 4,
}
_VERDICT = {
    Verdict.VALID: ("hợp lệ", "valid"),
    Verdict.INVALID: ("không hợp lệ", "invalid"),
    Verdict.INDETERMINATE: ("chưa xác định được", "indeterminate"),
    Verdict.ERROR: ("không xác minh được", "could not be verified"),
}
_NOT_EDXML = ("Không áp dụng: không phải gói tin edXML.", "Not applicable: not an edXML package.")


def _package(document: DocumentFacts) -> EdxmlDetails | None:
    details = document.details.get("edxml")
    return details if isinstance(details, EdxmlDetails) else None


def _worst(findings: Iterable[Finding]) -> FindingStatus | None:
    statuses = [f.status for f in findings]
    return min(statuses, key=_ORDER.__getitem__) if statuses else None


def _listed(findings: Iterable[Finding], status: FindingStatus) -> tuple[str, str]:
    """(subjects, English messages) of the findings with ``status``."""
    chosen = [f for f in findings if f.status is status]
    subjects = ", ".join(dict.fromkeys(f.subject or f.rule_id for f in chosen))
    return subjects, "; ".join(f.message for f in chosen)


def _notes(findings: Iterable[Finding]) -> tuple[str, str]:
    infos = [f.message for f in findings if f.status is FindingStatus.INFO]
    if not infos:
        return "", ""
    text = "; ".join(infos)
    return f" Ghi chú: {text}.", f" Notes: {text}."


def _outcome(findings: list[Finding], ok: tuple[str, str], bad_vi: str, odd_vi: str) -> Outcome:
    status = _worst(findings)
    note_vi, note_en = _notes(findings)
    if status is FindingStatus.FAILED:
        subjects, en = _listed(findings, FindingStatus.FAILED)
        return failed(f"{bad_vi}: {subjects} ({en}).", f"{en}.")
    if status is FindingStatus.WARNING:
        subjects, en = _listed(findings, FindingStatus.WARNING)
        return warning(f"{odd_vi}: {subjects} ({en}).{note_vi}", f"{en}.{note_en}")
    return passed(ok[0] + note_vi, ok[1] + note_en)


@document_rule(
    "EDXML-HEADER",
    "Phần đầu gói tin edXML",
    "edXML header",
    f"{_QCVN}: edXMLEnvelope/edXMLHeader/MessageHeader, không gian tên và tiền tố edXML:; vn-rules EDXML-HEADER, EDXML-NS",
)
def package_header(ctx: DocumentContext) -> Outcome:
    details = _package(ctx.document)
    if details is None:
        return not_applicable(*_NOT_EDXML)
    findings = [
        f
        for f in details.findings
        if f.rule_id in {"EDXML-HEADER", "EDXML-NS"}
        or (f.rule_id == "OBS-EDXML-NESTING" and f.subject == _HEADER_SUBJECT)
        or (f.rule_id == "EDXML-SIGNATURE" and f.status is FindingStatus.INFO)
    ]
    return _outcome(
        findings,
        (
            "Phần đầu gói tin có đủ các trường bắt buộc, đúng độ dài, không gian tên và tiền tố edXML:.",
            "The header has every required field within its length, in the edXML namespace with "
            "edXML: prefixes.",
        ),
        "Phần đầu gói tin (MessageHeader) thiếu hoặc sai ở",
        "Phần đầu gói tin (MessageHeader) có điểm chưa chuẩn ở",
    )


@document_rule(
    "EDXML-FORMATS",
    "Định dạng ngày tháng và mã văn bản trong gói tin",
    "edXML dates and document ID",
    f"{_QCVN}: ngày YYYY/MM/DD, TraceHeader/Timestamp yyyy/MM/dd HH:mm:ss, DocumentId gồm mã cơ quan gửi, ngày, số/ký hiệu; vn-rules EDXML-FORMATS",
)
def package_formats(ctx: DocumentContext) -> Outcome:
    details = _package(ctx.document)
    if details is None:
        return not_applicable(*_NOT_EDXML)
    findings = [f for f in details.findings if f.rule_id == "EDXML-FORMATS"]
    return _outcome(
        findings,
        (
            "Ngày tháng (YYYY/MM/DD), dấu thời gian chuyển tiếp và DocumentId đúng định dạng.",
            "Dates (YYYY/MM/DD), trace time stamps and DocumentId are well formed.",
        ),
        "Ngày tháng hoặc dấu thời gian không đúng định dạng ở",
        "Mã văn bản chưa theo dạng <mã cơ quan gửi>,<YYYY/MM/DD>,<số>/<ký hiệu> ở",
    )


@document_rule(
    "ORGID-CODES",
    "Mã định danh cơ quan trong gói tin",
    "Agency identifier codes",
    "QCVN 102:2016/BTTTT (mã định danh 13 ký tự); QĐ 20/2020/QĐ-TTg Điều 4, QĐ 09/2025/QĐ-TTg (mã cấp 1); vn-rules ORGID-LEGACY, ORGID-QD20, ORGID-LEVEL1",
)
def agency_codes(ctx: DocumentContext) -> Outcome:
    details = _package(ctx.document)
    if details is None:
        return not_applicable(*_NOT_EDXML)
    findings = [
        f
        for f in details.findings
        if f.rule_id in {"ORGID-LEGACY", "ORGID-QD20", "ORGID-LEVEL1", "EDXML-TRACE"}
    ]
    header = details.header
    sender = header.sender.organ_id if header.sender else "?"
    recipients = ", ".join(r.organ_id for r in header.recipients) or "?"
    return _outcome(
        findings,
        (
            f"Mã định danh của nơi gửi ({sender}) và nơi nhận ({recipients}) đúng cấu trúc; "
            "nơi gửi trong TraceHeader là cơ quan gửi.",
            f"The sender's ({sender}) and recipients' ({recipients}) codes are well formed; the first "
            "TraceHeader is the sender.",
        ),
        "Mã định danh cơ quan không đạt ở",
        "Mã định danh cơ quan cần xem lại ở",
    )


@document_rule(
    "EDXML-ATTACHMENTS",
    "Tệp đính kèm trong gói tin",
    "Attached files",
    f"{_QCVN}: edXMLManifest, AttachmentEncoded; NĐ 30/2020/NĐ-CP Điều 21.2 (kiểm tra tính xác thực, toàn vẹn của văn bản đến); vn-rules EDXML-BODY, OBS-EDXML-NESTING, SEED-EXCHANGE",
)
def package_attachments(ctx: DocumentContext) -> Outcome:
    details = _package(ctx.document)
    if details is None:
        return not_applicable(*_NOT_EDXML)
    findings = [
        f
        for f in details.findings
        if f.rule_id == "EDXML-BODY"
        or (f.rule_id == "OBS-EDXML-NESTING" and f.subject != _HEADER_SUBJECT)
    ]
    reports = ctx.attachments
    bad = [r for r in reports if r.verdict in {Verdict.INVALID, Verdict.ERROR}]
    unsure = [r for r in reports if r.verdict is Verdict.INDETERMINATE]
    skipped = [f.path for f in details.files if not f.verified and f.kind is not FileKind.ZIP]
    status = _worst(findings)
    if bad or status is FindingStatus.FAILED:
        subjects, en = _listed(findings, FindingStatus.FAILED)
        parts_vi = [_report_vi(r) for r in bad] + ([f"{subjects} ({en})"] if en else [])
        parts_en = [_report_en(r) for r in bad] + ([en] if en else [])
        return failed(
            "Tệp đính kèm không đạt: " + "; ".join(parts_vi) + ".",
            "Attached files fail: " + "; ".join(parts_en) + ".",
        )
    note_vi, note_en = _notes(findings)
    if skipped:
        note_vi += f" Không xác minh (không phải PDF hay gói tin edXML): {', '.join(skipped)}."
        note_en += f" Not verified (neither PDF nor edXML): {', '.join(skipped)}."
    if unsure or status is FindingStatus.WARNING:
        subjects, en = _listed(findings, FindingStatus.WARNING)
        parts_vi = [_report_vi(r) for r in unsure] + ([f"{subjects} ({en})"] if en else [])
        parts_en = [_report_en(r) for r in unsure] + ([en] if en else [])
        return warning(
            "Tệp đính kèm cần xem lại: " + "; ".join(parts_vi) + "." + note_vi,
            "Attached files to review: " + "; ".join(parts_en) + "." + note_en,
        )
    if not reports:
        return passed(
            "Gói tin không có tệp PDF hay gói tin lồng nhau nào để xác minh." + note_vi,
            "The package carries no PDF or nested package to verify." + note_en,
        )
    names = ", ".join(r.file for r in reports)
    return passed(
        f"Tệp đính kèm khớp với danh mục edXMLManifest; {len(reports)} tệp được xác minh đều hợp lệ: "
        f"{names}.{note_vi}",
        f"The attachments match the edXMLManifest; all {len(reports)} verified file(s) are valid: "
        f"{names}.{note_en}",
    )


def _report_vi(report: Report) -> str:
    why = _why(report, "vi")
    return f"{report.file} {_VERDICT[report.verdict][0]}" + (f" ({why})" if why else "")


def _report_en(report: Report) -> str:
    why = _why(report, "en")
    return f"{report.file} {_VERDICT[report.verdict][1]}" + (f" ({why})" if why else "")


def _why(report: Report, lang: str) -> str:
    """The reason a carried file is not valid, without its verdict word; a nested
    package explains itself in its own report."""
    if report.error is not None:
        return report.error(lang)
    if report.format == "edxml":
        return ""
    _, separator, reasons = report.summary(lang).partition(": ")
    return reasons if separator else ""
