"""edXML packages (QCVN 102:2016, national document exchange): build one from
metadata and signed PDFs, read it back, check the header rules (``EDXML-*``,
``ORGID-*``), sign and verify the envelope, and expose the attached PDFs, nested
zips and nested packages included (OBS-EDXML-NESTING).

::

    from vnsign.formats.edxml import build_edxml, inspect_edxml

    package = build_edxml(message, [Attachment("qd.pdf", pdf_bytes)], credential=cred)
    report = inspect_edxml(package)
    report.findings, report.signature_status, [f.name for f in report.pdfs]
"""

from vnsign.formats.edxml.attachments import FileKind, NestingLimits
from vnsign.formats.edxml.building import build_edxml, sign_edxml
from vnsign.formats.edxml.checks import check_package
from vnsign.formats.edxml.inspection import EdxmlReport, ExposedFile, inspect_edxml
from vnsign.formats.edxml.model import (
    EDXML_NS,
    Attachment,
    DocumentCode,
    EdxmlHeader,
    EdxmlMessage,
    EdxmlPackage,
    EncodedAttachment,
    EnvelopeSignatureStatus,
    ManifestEntry,
    Organization,
    OtherInfo,
    SignerInfo,
    TraceHeader,
)
from vnsign.formats.edxml.organ_ids import OrganIdFormat, check_organ_id, classify_organ_id
from vnsign.formats.edxml.reading import read_edxml

__all__ = [
    "EDXML_NS",
    "Attachment",
    "DocumentCode",
    "EdxmlHeader",
    "EdxmlMessage",
    "EdxmlPackage",
    "EdxmlReport",
    "EncodedAttachment",
    "EnvelopeSignatureStatus",
    "ExposedFile",
    "FileKind",
    "ManifestEntry",
    "NestingLimits",
    "OrganIdFormat",
    "Organization",
    "OtherInfo",
    "SignerInfo",
    "TraceHeader",
    "build_edxml",
    "check_organ_id",
    "check_package",
    "classify_organ_id",
    "inspect_edxml",
    "read_edxml",
    "sign_edxml",
]
