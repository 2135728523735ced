"""The data of an edXML package (QCVN 102:2016, vn-rules §4).

Building takes typed values (:class:`EdxmlMessage`, :class:`Attachment`);
reading gives the texts exactly as written (:class:`EdxmlHeader`), because a
received package is checked, not trusted: a malformed date is a finding, not a
crash.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final

from lxml import etree

__all__ = [
    "EDXML_NS",
    "XLINK_NS",
    "Attachment",
    "DocumentCode",
    "EdxmlHeader",
    "EdxmlMessage",
    "EdxmlPackage",
    "EncodedAttachment",
    "EnvelopeSignatureStatus",
    "ManifestEntry",
    "Organization",
    "OtherInfo",
    "SignerInfo",
    "TraceHeader",
]

#: The edXML namespace (EDXML-NS).
EDXML_NS: Final = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
XLINK_NS: Final = "http://www.w3.org/1999/xlink"


@dataclass(frozen=True)
class Organization:
    """An agency in ``From`` or ``To``."""

    organ_id: str  #: QCVN 102 legacy code or QĐ 20/2020 code (the ORGID rules)
    organ_name: str
    organization_in_charge: str | None = None
    address: str | None = None
    email: str | None = None
    telephone: str | None = None
    fax: str | None = None
    website: str | None = None


@dataclass(frozen=True)
class DocumentCode:
    """``Code``: number and notation (``7816`` / ``VPCP-TTĐT``)."""

    number: str
    notation: str


@dataclass(frozen=True)
class SignerInfo:
    """``SignerInfo``: who signed the document (competence: ``TM.``, ``KT.``, ...)."""

    full_name: str
    position: str | None = None
    competence: str | None = None


@dataclass(frozen=True)
class OtherInfo:
    """``OtherInfo``."""

    priority: int = 0
    sphere_of_promulgation: str | None = None
    typer_notation: str | None = None
    promulgation_amount: int | None = None
    page_amount: int | None = None
    appendixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class TraceHeader:
    """One hop of the transport trace (``TraceHeader``)."""

    organ_id: str
    timestamp: str  #: ``yyyy/MM/dd HH:mm:ss`` as written


@dataclass(frozen=True)
class EdxmlMessage:
    """What an outgoing document's header says (the input of building)."""

    sender: Organization
    recipients: tuple[Organization, ...]
    code: DocumentCode
    promulgation_date: date
    place: str
    document_type: int
    document_type_name: str
    subject: str
    content: str | None = None
    signer: SignerInfo | None = None
    due_date: date | None = None
    to_places: tuple[str, ...] = ()
    other: OtherInfo = field(default_factory=OtherInfo)
    steering_type: int | None = None
    #: Default: ``<sender OrganId>,<YYYY/MM/DD>,<number>/<notation>`` (EDXML-FORMATS).
    document_id: str | None = None
    #: Trace time stamp of the sending system (default: now).
    sent_at: datetime | None = None
    #: ``BussinessDocType``: 0 for a new document.
    business_doc_type: int = 0

    @property
    def effective_document_id(self) -> str:
        """``document_id``, or the one EDXML-FORMATS prescribes."""
        return self.document_id or (
            f"{self.sender.organ_id},{self.promulgation_date:%Y/%m/%d},"
            f"{self.code.number}/{self.code.notation}"
        )


@dataclass(frozen=True)
class Attachment:
    """A file to attach (typically a signed PDF)."""

    name: str
    data: bytes = field(repr=False)
    content_type: str = "application/pdf"
    description: str | None = None


@dataclass(frozen=True)
class EdxmlHeader:
    """``MessageHeader`` and trace as written in a received package."""

    sender: Organization | None
    recipients: tuple[Organization, ...]
    code_number: str | None
    code_notation: str | None
    place: str | None
    promulgation_date: str | None
    document_type: str | None
    document_type_name: str | None
    subject: str | None
    content: str | None
    signer: SignerInfo | None
    due_date: str | None
    to_places: tuple[str, ...]
    appendixes: tuple[str, ...]
    document_id: str | None
    trace: tuple[TraceHeader, ...]
    business_doc_type: str | None
    #: Children of MessageHeader in document order (local names), for order checks.
    element_order: tuple[str, ...]


@dataclass(frozen=True)
class ManifestEntry:
    """A ``edXMLManifest/Reference``."""

    content_id: str  #: without the ``cid:`` prefix
    name: str | None
    content_type: str | None
    description: str | None
    href: str | None


@dataclass(frozen=True)
class EncodedAttachment:
    """An ``AttachmentEncoded/Attachment``, decoded."""

    content_id: str
    name: str | None
    content_type: str | None
    description: str | None
    #: The decoded bytes; None when the base64 text was unusable (see ``problem``).
    data: bytes | None = field(repr=False)
    problem: str | None = None
    element: etree._Element | None = field(default=None, compare=False, repr=False)


class EnvelopeSignatureStatus(enum.StrEnum):
    """What kind of signature the envelope carries (EDXML-SIGNATURE)."""

    UNSIGNED = "unsigned"  #: no signature element at all
    EMPTY = "empty"  #: an empty ``edXML:DigitalSignature`` (the VPCP sample)
    NOT_XMLDSIG = "not-xmldsig"  #: a signature block that is not XMLDSig (OBS-EDXML-NESTING)
    VALID = "valid"
    INVALID = "invalid"


@dataclass(frozen=True)
class EdxmlPackage:
    """A parsed edXML package."""

    header: EdxmlHeader
    manifest: tuple[ManifestEntry, ...]
    attachments: tuple[EncodedAttachment, ...]
    #: Namespace/prefix problems noticed while reading (EDXML-NS).
    layout_problems: tuple[str, ...]
    tree: etree._ElementTree = field(compare=False, repr=False)
