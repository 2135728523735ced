"""Inspecting a received edXML package: header rules, the envelope signature,
and every attached file, recursing into zip archives and nested edXML packages
within :class:`NestingLimits` (OBS-EDXML-NESTING).

The attached PDFs are returned (bytes and names) for the PDF verifier; the
legally relevant signatures of exchanged documents are inside them
(EDXML-SIGNATURE, SEED-EXCHANGE).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from vnsign.errors import HostileInputError, InputError
from vnsign.formats.edxml.attachments import FileKind, NestingLimits, SizeBudget, sniff, zip_members
from vnsign.formats.edxml.checks import check_package
from vnsign.formats.edxml.model import EDXML_NS, EdxmlPackage, EnvelopeSignatureStatus
from vnsign.formats.edxml.reading import read_edxml
from vnsign.formats.xml.findings import Finding, FindingStatus
from vnsign.formats.xml.limits import DEFAULT_VERIFY_LIMITS, DigestBudget, VerifyLimits
from vnsign.formats.xml.parsing import DEFAULT_LIMITS, ParseLimits
from vnsign.formats.xml.results import XmlSignatureResult
from vnsign.formats.xml.verification import verify_xml

__all__ = ["EdxmlReport", "ExposedFile", "inspect_edxml"]

_DECLARED_KIND = {"application/pdf": FileKind.PDF, "application/zip": FileKind.ZIP}


@dataclass(frozen=True)
class ExposedFile:
    """A file found in a package: an attachment, or a member of one."""

    #: Names from the top package down, e.g. ``("ho-so.zip", "inner.edxml", "qd.pdf")``.
    path: tuple[str, ...]
    data: bytes = field(repr=False)
    kind: FileKind
    declared_type: str | None
    #: 0 for an attachment of the top package, 1 inside it, ...
    depth: int

    @property
    def name(self) -> str:
        """The file's own name."""
        return self.path[-1]


@dataclass(frozen=True)
class EdxmlReport:
    """What inspecting one package found."""

    package: EdxmlPackage
    findings: tuple[Finding, ...]
    signature_status: EnvelopeSignatureStatus
    signatures: tuple[XmlSignatureResult, ...]
    #: Every file found, nested ones included (containers too), depth first.
    files: tuple[ExposedFile, ...]
    #: Reports of edXML packages found among the attachments.
    nested: tuple[EdxmlReport, ...]

    @property
    def all_files(self) -> tuple[ExposedFile, ...]:
        """:attr:`files` followed by the files of every nested package."""
        return (*self.files, *(f for n in self.nested for f in n.all_files))

    @property
    def pdfs(self) -> tuple[ExposedFile, ...]:
        """The PDF files at any depth, nested packages included, for the PDF verifier."""
        return tuple(f for f in self.all_files if f.kind is FileKind.PDF)

    @property
    def all_findings(self) -> tuple[Finding, ...]:
        """Findings of this package and of every nested one."""
        return (*self.findings, *(f for n in self.nested for f in n.all_findings))

    @property
    def valid(self) -> bool:
        """No failed rule here or in nested packages, and no invalid signature."""
        return not any(f.failed for f in self.all_findings) and all(
            n.signature_status is not EnvelopeSignatureStatus.INVALID for n in (self, *self.nested)
        )


def inspect_edxml(
    data: bytes,
    *,
    limits: NestingLimits | None = None,
    parse_limits: ParseLimits = DEFAULT_LIMITS,
    verify_limits: VerifyLimits = DEFAULT_VERIFY_LIMITS,
) -> EdxmlReport:
    """Check and open an edXML package.

    Raises :class:`~vnsign.errors.InputError` only for the top package itself
    (hostile, malformed, not edXML, or signatures beyond ``verify_limits``);
    problems in attachments are findings. The signatures of the package and of
    every nested package share one digest budget of
    ``verify_limits.max_digested_bytes``, so nesting cannot multiply the work.
    """
    limits = limits or NestingLimits()
    budget = SizeBudget(limits.max_total_bytes)
    work = _Work(verify_limits, DigestBudget(verify_limits.max_digested_bytes))
    return _inspect(data, (), 0, limits, parse_limits, budget, work)


@dataclass(frozen=True)
class _Work:
    """The bounds on verifying signatures, shared by every package of one inspection."""

    limits: VerifyLimits
    budget: DigestBudget


def _inspect(
    data: bytes,
    path: tuple[str, ...],
    depth: int,
    limits: NestingLimits,
    parse_limits: ParseLimits,
    budget: SizeBudget,
    work: _Work,
) -> EdxmlReport:
    package = read_edxml(data, limits=parse_limits, max_attachment_bytes=limits.max_file_bytes)
    findings = list(check_package(package))
    status, signatures, signature_findings = _signature(package, work)
    findings.extend(signature_findings)
    files: list[ExposedFile] = []
    nested: list[EdxmlReport] = []
    for attachment in package.attachments:
        if attachment.data is None:
            continue
        name = attachment.name or attachment.content_id
        try:
            budget.take(len(attachment.data), name)
            _expose(
                attachment.data,
                (*path, name),
                depth,
                attachment.content_type,
                limits=limits,
                parse_limits=parse_limits,
                budget=budget,
                work=work,
                files=files,
                nested=nested,
                findings=findings,
            )
        except InputError as exc:
            findings.append(_refused(name, exc))
    return EdxmlReport(package, tuple(findings), status, signatures, tuple(files), tuple(nested))


def _refused(name: str, exc: InputError) -> Finding:
    kind = "refused" if isinstance(exc, HostileInputError) else "unreadable"
    return Finding("OBS-EDXML-NESTING", FindingStatus.FAILED, f"{name} {kind}: {exc}", name)


def _expose(
    data: bytes,
    path: tuple[str, ...],
    depth: int,
    declared: str | None,
    *,
    limits: NestingLimits,
    parse_limits: ParseLimits,
    budget: SizeBudget,
    work: _Work,
    files: list[ExposedFile],
    nested: list[EdxmlReport],
    findings: list[Finding],
) -> None:
    kind = sniff(data)
    files.append(ExposedFile(path, data, kind, declared, depth))
    expected = _DECLARED_KIND.get((declared or "").lower())
    if expected is not None and expected is not kind:
        findings.append(
            Finding(
                "OBS-EDXML-NESTING",
                FindingStatus.INFO,
                f"{path[-1]} is declared {declared} but is {kind}",
                "/".join(path),
            )
        )
    if kind not in {FileKind.ZIP, FileKind.EDXML}:
        return
    if depth + 1 > limits.max_depth:
        findings.append(
            Finding(
                "OBS-EDXML-NESTING",
                FindingStatus.FAILED,
                f"{'/'.join(path)} nests deeper than {limits.max_depth} levels; not opened",
                "/".join(path),
            )
        )
        return
    if kind is FileKind.EDXML:
        nested.append(_inspect(data, path, depth + 1, limits, parse_limits, budget, work))
        return
    for member, content in zip_members(data, limits=limits, budget=budget, name="/".join(path)):
        try:
            _expose(
                content,
                (*path, member),
                depth + 1,
                None,
                limits=limits,
                parse_limits=parse_limits,
                budget=budget,
                work=work,
                files=files,
                nested=nested,
                findings=findings,
            )
        except InputError as exc:
            findings.append(_refused("/".join((*path, member)), exc))


def _signature(
    package: EdxmlPackage, work: _Work
) -> tuple[EnvelopeSignatureStatus, tuple[XmlSignatureResult, ...], list[Finding]]:
    result = verify_xml(package.tree, verify_limits=work.limits, budget=work.budget)
    root = package.tree.getroot()
    header = root.find(f"{{{EDXML_NS}}}edXMLEnvelope/{{{EDXML_NS}}}edXMLHeader")
    if result.signatures:
        findings = []
        for signature in result.signatures:
            findings.extend(_coverage(signature, header, package))
        status = (
            EnvelopeSignatureStatus.VALID
            if all(s.valid for s in result.signatures)
            else EnvelopeSignatureStatus.INVALID
        )
        return status, result.signatures, findings
    blocks = [
        e
        for e in (header.iter() if header is not None else ())
        if isinstance(e.tag, str) and etree.QName(e).localname in {"Signature", "DigitalSignature"}
    ]
    if any(len(b) or (b.text or "").strip() for b in blocks):
        return (
            EnvelopeSignatureStatus.NOT_XMLDSIG,
            (),
            [
                Finding(
                    "OBS-EDXML-NESTING",
                    FindingStatus.WARNING,
                    "the header has a signature block that is not an XMLDSig signature "
                    "(not in the XMLDSig namespace); it was not verified and proves nothing",
                    "edXMLHeader",
                )
            ],
        )
    if blocks:
        return (
            EnvelopeSignatureStatus.EMPTY,
            (),
            [
                Finding(
                    "EDXML-SIGNATURE",
                    FindingStatus.INFO,
                    "empty signature placeholder; the signatures that count are in the "
                    "attached PDFs",
                    "edXMLHeader",
                )
            ],
        )
    return (
        EnvelopeSignatureStatus.UNSIGNED,
        (),
        [
            Finding(
                "EDXML-SIGNATURE",
                FindingStatus.INFO,
                "the envelope is not signed; the signatures that count are in the attached PDFs",
            )
        ],
    )


def _coverage(
    signature: XmlSignatureResult, header: etree._Element | None, package: EdxmlPackage
) -> list[Finding]:
    if not signature.valid:
        reasons = "; ".join(signature.problems) or signature.status.value
        return [
            Finding(
                "EDXML-SIGNATURE",
                FindingStatus.FAILED,
                f"the envelope signature does not verify: {reasons}",
                signature.path,
            )
        ]
    uncovered = []
    message = header.find(f"{{{EDXML_NS}}}MessageHeader") if header is not None else None
    if message is None or not signature.covers(message):
        uncovered.append("the MessageHeader")
    uncovered += [
        f"attachment {a.name or a.content_id}"
        for a in package.attachments
        if a.element is not None and not signature.covers(a.element)
    ]
    if uncovered:
        return [
            Finding(
                "EDXML-SIGNATURE",
                FindingStatus.WARNING,
                f"the envelope signature is valid but does not cover {', '.join(uncovered)}",
                signature.path,
            )
        ]
    return [
        Finding(
            "EDXML-SIGNATURE",
            FindingStatus.PASSED,
            "the envelope signature is valid and covers the header and every attachment",
            signature.path,
        )
    ]
