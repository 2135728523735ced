"""The header and body rules of an edXML package (vn-rules §4 and section C),
returned as findings with rule IDs, never raised."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime

from vnsign.formats.edxml.model import EdxmlHeader, EdxmlPackage
from vnsign.formats.edxml.organ_ids import check_organ_id
from vnsign.formats.xml.findings import Finding, FindingStatus

__all__ = ["HEADER_ORDER", "check_package"]

#: MessageHeader children in the order EDXML-HEADER gives.
HEADER_ORDER = (
    "From",
    "To",
    "Code",
    "PromulgationInfo",
    "DocumentType",
    "Subject",
    "Content",
    "SignerInfo",
    "DueDate",
    "ToPlaces",
    "OtherInfo",
    "ResponseFor",
    "SteeringType",
    "DocumentId",
)

_DATE = re.compile(r"\d{4}/\d{2}/\d{2}")
_TIMESTAMP = re.compile(r"\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}")
_LIMITS = {"Subject": 500, "Content": 500, "Place": 150, "AttachmentName": 200, "Appendix": 250}


def check_package(package: EdxmlPackage) -> tuple[Finding, ...]:
    """Every ``EDXML-*`` and ``ORGID-*`` finding for ``package`` (the envelope signature
    is checked by :func:`vnsign.formats.edxml.inspection.inspect_edxml`)."""
    header = package.header
    findings: list[Finding] = []
    if package.layout_problems:
        findings.extend(
            Finding("EDXML-NS", FindingStatus.WARNING, p) for p in package.layout_problems
        )
    else:
        findings.append(Finding("EDXML-NS", FindingStatus.PASSED, "namespace and edXML: prefixes"))
    findings.extend(_required(header))
    findings.extend(_lengths(package))
    findings.extend(_order(header))
    findings.extend(_formats(header))
    findings.extend(_organ_ids(header))
    findings.extend(_trace(header))
    findings.extend(_body(package))
    return tuple(findings)


def _required(header: EdxmlHeader) -> list[Finding]:
    missing = []
    if header.sender is None or not header.sender.organ_id or not header.sender.organ_name:
        missing.append("From/OrganId and From/OrganName")
    if not header.recipients:
        missing.append("To")
    for index, recipient in enumerate(header.recipients, start=1):
        if not recipient.organ_id or not recipient.organ_name:
            missing.append(f"To[{index}]/OrganId and OrganName")
    for value, name in (
        (header.code_number, "Code/CodeNumber"),
        (header.code_notation, "Code/CodeNotation"),
        (header.promulgation_date, "PromulgationInfo/PromulgationDate"),
        (header.document_type, "DocumentType/Type"),
        (header.subject, "Subject"),
        (header.document_id, "DocumentId"),
    ):
        if not value:
            missing.append(name)
    findings = [
        Finding("EDXML-HEADER", FindingStatus.FAILED, f"required {name} is missing or empty", name)
        for name in missing
    ]
    if header.document_type and not header.document_type.isdigit():
        findings.append(
            Finding(
                "EDXML-HEADER",
                FindingStatus.FAILED,
                f"DocumentType/Type must be an integer, not {header.document_type!r}",
                "DocumentType/Type",
            )
        )
    duplicates = [o for o, n in Counter(r.organ_id for r in header.recipients).items() if n > 1]
    findings.extend(
        Finding("EDXML-HEADER", FindingStatus.FAILED, f"recipient {o} appears more than once", "To")
        for o in duplicates
    )
    if not findings:
        findings.append(
            Finding("EDXML-HEADER", FindingStatus.PASSED, "required MessageHeader fields present")
        )
    return findings


def _lengths(package: EdxmlPackage) -> list[Finding]:
    header = package.header
    values: list[tuple[str, str | None]] = [
        ("Subject", header.subject),
        ("Content", header.content),
    ]
    values += [("Place", p) for p in header.to_places]
    values += [("Appendix", a) for a in header.appendixes]
    values += [("AttachmentName", m.name) for m in package.manifest]
    values += [("AttachmentName", a.name) for a in package.attachments]
    return [
        Finding(
            "EDXML-HEADER",
            FindingStatus.FAILED,
            f"{name} has {len(value)} characters; at most {_LIMITS[name]} are allowed",
            name,
        )
        for name, value in values
        if value is not None and len(value) > _LIMITS[name]
    ]


def _order(header: EdxmlHeader) -> list[Finding]:
    known = [name for name in header.element_order if name in HEADER_ORDER]
    positions = [HEADER_ORDER.index(name) for name in known]
    if positions != sorted(positions):
        return [
            Finding(
                "EDXML-HEADER",
                FindingStatus.WARNING,
                f"MessageHeader children are out of order: {', '.join(known)}",
                "MessageHeader",
            )
        ]
    return []


def _valid_date(text: str, pattern: re.Pattern[str], fmt: str) -> bool:
    if not pattern.fullmatch(text):
        return False
    try:
        datetime.strptime(text, fmt)
    except ValueError:
        return False
    return True


def _formats(header: EdxmlHeader) -> list[Finding]:
    findings = []
    for name, value in (
        ("PromulgationInfo/PromulgationDate", header.promulgation_date),
        ("DueDate", header.due_date),
    ):
        if value and not _valid_date(value, _DATE, "%Y/%m/%d"):
            findings.append(
                Finding(
                    "EDXML-FORMATS",
                    FindingStatus.FAILED,
                    f"{value!r} is not a YYYY/MM/DD date",
                    name,
                )
            )
    for hop in header.trace:
        if not _valid_date(hop.timestamp, _TIMESTAMP, "%Y/%m/%d %H:%M:%S"):
            findings.append(
                Finding(
                    "EDXML-FORMATS",
                    FindingStatus.FAILED,
                    f"trace time stamp {hop.timestamp!r} is not yyyy/MM/dd HH:mm:ss",
                    "TraceHeader/Timestamp",
                )
            )
    if header.document_id and header.sender and header.code_number is not None:
        expected = (
            f"{header.sender.organ_id},{header.promulgation_date},"
            f"{header.code_number}/{header.code_notation}"
        )
        if header.document_id != expected:
            findings.append(
                Finding(
                    "EDXML-FORMATS",
                    FindingStatus.WARNING,
                    f"DocumentId {header.document_id!r} is not OrganId,date,number/notation "
                    f"({expected!r})",
                    "DocumentId",
                )
            )
    if not findings:
        findings.append(
            Finding("EDXML-FORMATS", FindingStatus.PASSED, "dates, time stamps and DocumentId")
        )
    return findings


def _organ_ids(header: EdxmlHeader) -> list[Finding]:
    findings: list[Finding] = []
    if header.sender is not None and header.sender.organ_id:
        findings.extend(check_organ_id(header.sender.organ_id, "From/OrganId"))
    for index, recipient in enumerate(header.recipients, start=1):
        if recipient.organ_id:
            findings.extend(check_organ_id(recipient.organ_id, f"To[{index}]/OrganId"))
    return findings


def _trace(header: EdxmlHeader) -> list[Finding]:
    if not header.trace:
        return [Finding("EDXML-TRACE", FindingStatus.WARNING, "no TraceHeader", "TraceHeaderList")]
    sender = header.sender.organ_id if header.sender else ""
    first = header.trace[0].organ_id
    if first != sender:
        return [
            Finding(
                "EDXML-TRACE",
                FindingStatus.FAILED,
                f"the first TraceHeader is from {first!r}, but the sender is {sender!r}",
                "TraceHeader/OrganId",
            )
        ]
    return [Finding("EDXML-TRACE", FindingStatus.PASSED, f"sent by {sender}")]


def _body(package: EdxmlPackage) -> list[Finding]:
    findings: list[Finding] = []
    listed = {m.content_id: m for m in package.manifest}
    present = {a.content_id: a for a in package.attachments}
    for content_id, entry in listed.items():
        if content_id not in present:
            findings.append(
                Finding(
                    "EDXML-BODY",
                    FindingStatus.FAILED,
                    f"manifest entry {entry.name or content_id!r} has no attachment "
                    f"with ContentId {content_id}",
                    content_id,
                )
            )
    for content_id, attachment in present.items():
        if content_id not in listed:
            findings.append(
                Finding(
                    "EDXML-BODY",
                    FindingStatus.WARNING,
                    f"attachment {attachment.name or content_id!r} is not in the manifest",
                    content_id,
                )
            )
        if attachment.problem:
            findings.append(
                Finding(
                    "EDXML-BODY",
                    FindingStatus.FAILED,
                    f"attachment {attachment.name or content_id!r}: {attachment.problem}",
                    content_id,
                )
            )
        listed_entry = listed.get(content_id)
        if (
            listed_entry is not None
            and listed_entry.name
            and attachment.name
            and listed_entry.name != attachment.name
        ):
            findings.append(
                Finding(
                    "EDXML-BODY",
                    FindingStatus.WARNING,
                    f"manifest names {listed_entry.name!r}, the attachment {attachment.name!r}",
                    content_id,
                )
            )
    if not findings:
        findings.append(
            Finding(
                "EDXML-BODY",
                FindingStatus.PASSED,
                f"{len(present)} attachment(s) match the manifest",
            )
        )
    return findings
