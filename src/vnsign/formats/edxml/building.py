"""Building an edXML package, and signing its envelope.

The layout follows the VPCP sample (EDXML-NS): the document element ``edXML``
declares the edXML namespace as default, ``edXMLEnvelope`` declares the
``edXML:`` prefix that the receiving .NET side expects on every envelope
element, and ``AttachmentEncoded`` (outside the envelope) is unprefixed.

The envelope signature is an enveloped XMLDSig signature over the whole package
(``URI=""``): header, manifest and every base64 attachment are covered. It is
placed as the last child of ``edXMLHeader`` (QCVN 102 does not settle the
element name; see EDXML-SIGNATURE).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from lxml import etree

from vnsign.errors import InputError, SigningError
from vnsign.formats.edxml.checks import check_package
from vnsign.formats.edxml.model import EDXML_NS, XLINK_NS, Attachment, EdxmlMessage, Organization
from vnsign.formats.edxml.reading import read_edxml
from vnsign.formats.xml.findings import FindingStatus
from vnsign.formats.xml.keyinfo import b64
from vnsign.formats.xml.parsing import DEFAULT_LIMITS, ParseLimits, parse_xml, serialize
from vnsign.formats.xml.signing import ReferenceSpec, XmlSignOptions, sign_in_tree
from vnsign.formats.xml.times import VIETNAM
from vnsign.pki.credentials import Credential

__all__ = ["build_edxml", "sign_edxml"]

_SOAP_ACTOR = "http://schemas.xmlsoap.org/soap/actor/next"


def _e(parent: etree._Element, local: str, text: str | int | None = None) -> etree._Element:
    child = etree.SubElement(parent, f"{{{EDXML_NS}}}{local}")
    if text is not None:
        child.text = str(text)
    return child


def _organization(parent: etree._Element, local: str, organization: Organization) -> None:
    element = _e(parent, local)
    _e(element, "OrganId", organization.organ_id)
    _e(
        element,
        "OrganizationInCharge",
        organization.organization_in_charge or organization.organ_name,
    )
    _e(element, "OrganName", organization.organ_name)
    for name, value in (
        ("OrganAdd", organization.address),
        ("Email", organization.email),
        ("Telephone", organization.telephone),
        ("Fax", organization.fax),
        ("Website", organization.website),
    ):
        if value is not None:
            _e(element, name, value)


def build_edxml(
    message: EdxmlMessage,
    attachments: Sequence[Attachment],
    *,
    credential: Credential | None = None,
    sign_options: XmlSignOptions | None = None,
) -> bytes:
    """An edXML package with ``attachments`` base64-encoded, signed when a
    ``credential`` is given.

    The package is read back and checked before it is returned: a header that
    breaks EDXML-HEADER, EDXML-FORMATS or ``ORGID-*`` raises
    :class:`~vnsign.errors.InputError` naming the rules.
    """
    if not message.recipients:
        raise InputError("an edXML package needs at least one recipient (To)")
    root = etree.Element(f"{{{EDXML_NS}}}edXML", nsmap={None: EDXML_NS})
    envelope = etree.SubElement(root, f"{{{EDXML_NS}}}edXMLEnvelope", nsmap={"edXML": EDXML_NS})
    header = _e(envelope, "edXMLHeader")
    _message_header(header, message)
    _trace(header, message)
    manifest = _e(_e(envelope, "edXMLBody"), "edXMLManifest")
    manifest.set("version", "1.0")
    encoded = etree.SubElement(root, f"{{{EDXML_NS}}}AttachmentEncoded") if attachments else None
    for index, attachment in enumerate(attachments, start=1):
        content_id = str(uuid.uuid4())
        description = attachment.description or f"Tệp đính kèm {index}"
        reference = etree.SubElement(
            manifest, f"{{{EDXML_NS}}}Reference", nsmap={"xlink": XLINK_NS}
        )
        reference.set(f"{{{XLINK_NS}}}href", f"cid:{content_id}")
        reference.set(f"{{{XLINK_NS}}}type", "simple")
        _e(reference, "Description", description)
        _e(reference, "AttachmentName", attachment.name)
        _e(reference, "ContentType", attachment.content_type)
        _e(reference, "ContentId", f"cid:{content_id}")
        assert encoded is not None
        item = _e(encoded, "Attachment")
        _e(item, "ContentType", attachment.content_type)
        _e(item, "ContentId", content_id)
        _e(item, "Description", description)
        _e(item, "AttachmentName", attachment.name)
        _e(item, "ContentTransferEncoded", b64(attachment.data))
    etree.indent(envelope, space="  ", level=1)
    root.text = "\n  "
    envelope.tail = "\n  " if encoded is not None else "\n"
    if encoded is not None:
        etree.indent(encoded, space="  ", level=1)
        encoded.tail = "\n"
    data = serialize(root.getroottree())
    failures = [f for f in check_package(read_edxml(data)) if f.status is FindingStatus.FAILED]
    if failures:
        raise InputError(
            "the edXML header breaks "
            + "; ".join(f"{f.rule_id} ({f.subject}): {f.message}" for f in failures)
        )
    if credential is not None:
        data = sign_edxml(data, credential, sign_options)
    return data


def _message_header(header: etree._Element, message: EdxmlMessage) -> None:
    fields = _e(header, "MessageHeader")
    _organization(fields, "From", message.sender)
    for recipient in message.recipients:
        _organization(fields, "To", recipient)
    code = _e(fields, "Code")
    _e(code, "CodeNumber", message.code.number)
    _e(code, "CodeNotation", message.code.notation)
    info = _e(fields, "PromulgationInfo")
    _e(info, "Place", message.place)
    _e(info, "PromulgationDate", f"{message.promulgation_date:%Y/%m/%d}")
    doc_type = _e(fields, "DocumentType")
    _e(doc_type, "Type", message.document_type)
    _e(doc_type, "TypeName", message.document_type_name)
    _e(fields, "Subject", message.subject)
    _e(fields, "Content", message.content if message.content is not None else message.subject)
    if message.signer is not None:
        signer = _e(fields, "SignerInfo")
        _e(signer, "Competence", message.signer.competence or "")
        _e(signer, "Position", message.signer.position or "")
        _e(signer, "FullName", message.signer.full_name)
    if message.due_date is not None:
        _e(fields, "DueDate", f"{message.due_date:%Y/%m/%d}")
    if message.to_places:
        places = _e(fields, "ToPlaces")
        for place in message.to_places:
            _e(places, "Place", place)
    other = _e(fields, "OtherInfo")
    _e(other, "Priority", message.other.priority)
    for name, value in (
        ("SphereOfPromulgation", message.other.sphere_of_promulgation),
        ("TyperNotation", message.other.typer_notation),
        ("PromulgationAmount", message.other.promulgation_amount),
        ("PageAmount", message.other.page_amount),
    ):
        if value is not None:
            _e(other, name, value)
    if message.other.appendixes:
        appendixes = _e(other, "Appendixes")
        for appendix in message.other.appendixes:
            _e(appendixes, "Appendix", appendix)
    if message.steering_type is not None:
        _e(fields, "SteeringType", message.steering_type)
    _e(fields, "DocumentId", message.effective_document_id)


def _trace(header: etree._Element, message: EdxmlMessage) -> None:
    trace = _e(header, "TraceHeaderList")
    trace.set("id", uuid.uuid4().hex[:8])
    trace.set("version", "1.0")
    trace.set("mustUnderstand", "1")
    trace.set("actor", _SOAP_ACTOR)
    hop = _e(trace, "TraceHeader")
    _e(hop, "OrganId", message.sender.organ_id)
    sent = (message.sent_at or datetime.now(UTC)).astimezone(VIETNAM)
    _e(hop, "Timestamp", f"{sent:%Y/%m/%d %H:%M:%S}")
    business = _e(trace, "Bussiness")  # sic: QCVN 102 spells it with a double s
    _e(business, "BussinessDocType", message.business_doc_type)
    _e(business, "DocumentId", message.effective_document_id)
    _e(business, "Paper", 0)


def sign_edxml(
    data: bytes,
    credential: Credential,
    options: XmlSignOptions | None = None,
    *,
    limits: ParseLimits = DEFAULT_LIMITS,
) -> bytes:
    """The package with an enveloped XMLDSig signature over the whole document,
    placed at the end of ``edXMLHeader``."""
    options = options or XmlSignOptions()
    tree = parse_xml(data, limits=limits, what="edXML package")
    header = tree.getroot().find(f"{{{EDXML_NS}}}edXMLEnvelope/{{{EDXML_NS}}}edXMLHeader")
    if header is None:
        raise SigningError("not an edXML package: no edXMLEnvelope/edXMLHeader")

    def place(signature: etree._Element) -> etree._ElementTree:
        last = header[-1] if len(header) else None
        if last is not None:
            signature.tail = last.tail
            last.tail = header.text
        header.append(signature)
        return tree

    sign_in_tree(credential, options, references=[ReferenceSpec("")], place=place)
    return serialize(tree)
