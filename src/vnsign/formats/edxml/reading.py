"""Reading an edXML package: header texts, manifest, decoded attachments.

Reading is lenient: anything odd becomes a recorded problem or a finding later
(:mod:`vnsign.formats.edxml.checks`); only input that is not an edXML package
at all raises.
"""

from __future__ import annotations

import base64
import binascii
import functools

from lxml import etree

from vnsign.errors import HostileInputError, MalformedInputError
from vnsign.formats.edxml.model import (
    EDXML_NS,
    XLINK_NS,
    EdxmlHeader,
    EdxmlPackage,
    EncodedAttachment,
    ManifestEntry,
    Organization,
    SignerInfo,
    TraceHeader,
)
from vnsign.formats.xml.parsing import DEFAULT_LIMITS, ParseLimits, parse_xml
from vnsign.formats.xml.paths import local_name

__all__ = ["read_edxml", "strip_cid"]


def _q(local: str) -> str:
    return f"{{{EDXML_NS}}}{local}"


def strip_cid(value: str) -> str:
    """A content ID without its ``cid:`` prefix and surrounding space."""
    value = value.strip()
    return value[4:] if value.lower().startswith("cid:") else value


def _text(parent: etree._Element | None, path: str) -> str | None:
    if parent is None:
        return None
    found = parent.find("/".join(_q(p) for p in path.split("/")))
    if found is None:
        return None
    return (found.text or "").strip()


def _organization(element: etree._Element) -> Organization:
    return Organization(
        organ_id=_text(element, "OrganId") or "",
        organ_name=_text(element, "OrganName") or "",
        organization_in_charge=_text(element, "OrganizationInCharge"),
        address=_text(element, "OrganAdd"),
        email=_text(element, "Email"),
        telephone=_text(element, "Telephone"),
        fax=_text(element, "Fax"),
        website=_text(element, "Website"),
    )


def read_edxml(
    data: bytes, *, limits: ParseLimits = DEFAULT_LIMITS, max_attachment_bytes: int | None = None
) -> EdxmlPackage:
    """Parse an edXML package safely.

    Raises :class:`~vnsign.errors.MalformedInputError` when ``data`` is not an
    edXML package, :class:`~vnsign.errors.HostileInputError` for hostile XML or
    an attachment larger than ``max_attachment_bytes``.
    """
    tree = parse_xml(data, limits=limits, what="edXML package")
    root = tree.getroot()
    if root.tag != _q("edXML"):
        raise MalformedInputError(
            f"not an edXML package: the document element is {root.tag}, "
            f"expected edXML in {EDXML_NS}"
        )
    problems: list[str] = []
    envelope = root.find(_q("edXMLEnvelope"))
    if envelope is None:
        raise MalformedInputError("not an edXML package: no edXMLEnvelope")
    for element in envelope.iter():
        if (
            isinstance(element.tag, str)
            and etree.QName(element).namespace == EDXML_NS
            and element.prefix != "edXML"
        ):
            problems.append(
                f"{local_name(element)} inside the envelope has no edXML: prefix "
                "(the receiving .NET side validates prefixes)"
            )
            break
    header_element = envelope.find(_q("edXMLHeader"))
    message = header_element.find(_q("MessageHeader")) if header_element is not None else None
    if message is None:
        problems.append("edXMLHeader/MessageHeader is missing")
    header = _header(message, header_element)
    manifest = tuple(
        ManifestEntry(
            content_id=strip_cid(
                _text(reference, "ContentId") or reference.get(f"{{{XLINK_NS}}}href") or ""
            ),
            name=_text(reference, "AttachmentName"),
            content_type=_text(reference, "ContentType"),
            description=_text(reference, "Description"),
            href=reference.get(f"{{{XLINK_NS}}}href"),
        )
        for reference in envelope.iterfind(
            f"{_q('edXMLBody')}/{_q('edXMLManifest')}/{_q('Reference')}"
        )
    )
    attachments = tuple(
        _attachment(item, max_attachment_bytes)
        for item in root.iterfind(f"{_q('AttachmentEncoded')}/{_q('Attachment')}")
    )
    return EdxmlPackage(header, manifest, attachments, tuple(problems), tree)


def _header(message: etree._Element | None, header: etree._Element | None) -> EdxmlHeader:
    sender = message.find(_q("From")) if message is not None else None
    recipients = (
        tuple(_organization(e) for e in message.iterfind(_q("To"))) if message is not None else ()
    )
    signer = message.find(_q("SignerInfo")) if message is not None else None
    trace = (
        tuple(
            TraceHeader(_text(hop, "OrganId") or "", _text(hop, "Timestamp") or "")
            for hop in header.iterfind(f"{_q('TraceHeaderList')}/{_q('TraceHeader')}")
        )
        if header is not None
        else ()
    )
    return EdxmlHeader(
        sender=_organization(sender) if sender is not None else None,
        recipients=recipients,
        code_number=_text(message, "Code/CodeNumber"),
        code_notation=_text(message, "Code/CodeNotation"),
        place=_text(message, "PromulgationInfo/Place"),
        promulgation_date=_text(message, "PromulgationInfo/PromulgationDate"),
        document_type=_text(message, "DocumentType/Type"),
        document_type_name=_text(message, "DocumentType/TypeName"),
        subject=_text(message, "Subject"),
        content=_text(message, "Content"),
        signer=SignerInfo(
            full_name=_text(signer, "FullName") or "",
            position=_text(signer, "Position"),
            competence=_text(signer, "Competence"),
        )
        if signer is not None
        else None,
        due_date=_text(message, "DueDate"),
        to_places=tuple(
            (p.text or "").strip() for p in message.iterfind(f"{_q('ToPlaces')}/{_q('Place')}")
        )
        if message is not None
        else (),
        appendixes=tuple(
            (a.text or "").strip()
            for a in message.iterfind(f"{_q('OtherInfo')}/{_q('Appendixes')}/{_q('Appendix')}")
        )
        if message is not None
        else (),
        document_id=_text(message, "DocumentId"),
        trace=trace,
        business_doc_type=_text(header, "TraceHeaderList/Bussiness/BussinessDocType"),
        element_order=tuple(local_name(c) for c in message if isinstance(c.tag, str))
        if message is not None
        else (),
    )


def _attachment(item: etree._Element, max_bytes: int | None) -> EncodedAttachment:
    content_id = strip_cid(_text(item, "ContentId") or "")
    encoded = item.find(_q("ContentTransferEncoded"))
    text = "".join((encoded.text or "").split()) if encoded is not None else ""
    name = _text(item, "AttachmentName")
    make = functools.partial(
        EncodedAttachment,
        content_id=content_id,
        name=name,
        content_type=_text(item, "ContentType"),
        description=_text(item, "Description"),
        element=item,
    )
    if max_bytes is not None and len(text) * 3 // 4 > max_bytes:
        raise HostileInputError(
            f"attachment {name or content_id!r} decodes to more than {max_bytes} bytes"
        )
    if encoded is None or not text:
        return make(data=None, problem="no ContentTransferEncoded data")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        return make(data=None, problem=f"not valid base64: {exc}")
    return make(data=data)
