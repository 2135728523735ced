"""Facts from an edXML package (QCVN 102:2016, national document exchange).

:func:`~vnsign.formats.edxml.inspect_edxml` checks the header rules, verifies the
envelope signature and opens the attachments (zip archives and nested packages
included, within :class:`~vnsign.formats.edxml.NestingLimits`). This module
states that as facts: the envelope signature as a signature (it must cover the
whole package), the profile's findings in ``details["edxml"]`` for the rules of
:mod:`vnsign.verify.rules.edxml`, and the attached PDFs and nested packages of
this level in ``attachments``, for the verifier to verify like any document
(the legally relevant signatures are inside them: EDXML-SIGNATURE, SEED-EXCHANGE).
"""

from __future__ import annotations

from dataclasses import dataclass

from vnsign.errors import HostileInputError, InputError, MalformedInputError
from vnsign.formats.edxml import (
    EDXML_NS,
    EdxmlHeader,
    EdxmlReport,
    EnvelopeSignatureStatus,
    FileKind,
    NestingLimits,
    inspect_edxml,
)
from vnsign.formats.xml import Finding, parse_xml
from vnsign.verify.adapters.xml import signature_facts, xml_facts
from vnsign.verify.adapters.xml_coverage import coverage_of
from vnsign.verify.facts import DocumentFacts, DocumentFormat

__all__ = ["VERIFIED_KINDS", "EdxmlDetails", "PackageFile", "edxml_facts"]

#: Attached files the verifier verifies: signed PDFs, and nested packages in turn.
VERIFIED_KINDS = frozenset({FileKind.PDF, FileKind.EDXML})


@dataclass(frozen=True)
class PackageFile:
    """A file found in the package (an attachment, or a member of an attached zip)."""

    path: str  #: names from the package down, joined with ``/``
    kind: FileKind  #: by content
    declared_type: str | None
    verified: bool  #: handed to the verifier (in ``DocumentFacts.attachments``)


@dataclass(frozen=True)
class EdxmlDetails:
    """What the edXML profile found about one package (not its nested packages)."""

    header: EdxmlHeader
    findings: tuple[Finding, ...]
    signature_status: EnvelopeSignatureStatus
    files: tuple[PackageFile, ...]


def edxml_facts(data: bytes, *, limits: NestingLimits | None = None) -> DocumentFacts:
    """The envelope signature, the profile's findings and the files to verify.

    Raises :class:`~vnsign.errors.InputError` when ``data`` is not usable XML. XML
    that only mentions the edXML namespace, without being a package, is verified
    as generic XML.
    """
    try:
        report = inspect_edxml(data, limits=limits)
    except HostileInputError:
        raise  # also: envelope signatures beyond verify_xml's work limits
    except InputError:
        if _is_package(data):
            raise
        return xml_facts(data)  # not a package at all: an ordinary XML document
    except RecursionError as exc:
        raise HostileInputError("the edXML package nests too deeply to be processed") from exc
    except Exception as exc:  # hostile XML makes parsers raise anything
        raise MalformedInputError(
            f"the edXML package cannot be processed ({type(exc).__name__}: {exc})"
        ) from exc
    return _facts(data, report)


def _facts(data: bytes, report: EdxmlReport) -> DocumentFacts:
    root = report.package.tree.getroot()
    signatures = tuple(
        signature_facts(index, signature, coverage_of(signature, root))
        for index, signature in enumerate(report.signatures, start=1)
    )
    files = tuple(
        PackageFile("/".join(f.path), f.kind, f.declared_type, f.kind in VERIFIED_KINDS)
        for f in report.files
    )
    attachments = tuple(
        ("/".join(f.path), f.data) for f in report.files if f.kind in VERIFIED_KINDS
    )
    details = EdxmlDetails(report.package.header, report.findings, report.signature_status, files)
    return DocumentFacts(
        format=DocumentFormat.EDXML,
        signatures=signatures,
        size=len(data),
        problems=report.package.layout_problems,
        details={"edxml": details},
        attachments=attachments,
    )


def _is_package(data: bytes) -> bool:
    """Whether the document element is ``edXML`` (then an input error is the
    package's own); unreadable XML counts as a package, so its error stands."""
    try:
        root = parse_xml(data, what="edXML package").getroot()
    except InputError:
        return True
    return bool(root.tag == f"{{{EDXML_NS}}}edXML")
