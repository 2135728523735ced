"""Signing an e-invoice the way Vietnamese e-invoices are signed in practice.

The Signature (XMLDSig namespace as the default namespace, with an ``Id``) goes
into ``HDon/DSCKS/<role>`` and has exactly two references (EINV-REFS):

1. ``URI="#<DLHDon@Id>"`` (``#<MCCQT@Id>`` for the tax authority) with the
   enveloped-signature transform;
2. ``URI="#<Object@Id>"``, the Signature's own ``Object`` holding
   ``SignatureProperties xmlns=""/SignatureProperty Target="#<Signature@Id>"/SigningTime``.

Canonicalization is inclusive C14N 1.0 (EINV-C14N); KeyInfo carries
``X509SubjectName`` and the signer certificate (EINV-KEYINFO); the signing time
is ``yyyy-MM-ddTHH:mm:ss`` Vietnam time (EINV-SIGNINGTIME).

:func:`prepare_invoice` builds that Signature for a certificate without a key
(a remote signer's) and returns the digest to sign; ``SigningTime`` sits in a
signed Object, so it is the time of preparation, as in PAdES, even when the
person approves minutes later. :func:`sign_invoice` prepares and finishes at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree

from vnsign.errors import SigningError
from vnsign.formats.einvoice.structure import ROLE_ORDER, InvoiceRole, find_invoice
from vnsign.formats.xml.algorithms import C14nMethod, TransformMethod
from vnsign.formats.xml.finishing import PreparedTree
from vnsign.formats.xml.ids import IdIndex
from vnsign.formats.xml.namespaces import DS
from vnsign.formats.xml.parsing import DEFAULT_LIMITS, ParseLimits, parse_xml
from vnsign.formats.xml.pending import PreparedXml
from vnsign.formats.xml.signing import (
    ReferenceSpec,
    SignerCertificate,
    XmlSignOptions,
    new_id,
    prepare_in_tree,
)
from vnsign.formats.xml.times import format_local
from vnsign.pki.credentials import Credential, HashAlgorithm, SignatureScheme
from vnsign.pki.identity import CertificateInfo

__all__ = ["InvoiceSignOptions", "prepare_invoice", "sign_invoice"]

# Children of HDon that come before DSCKS.
_BEFORE_DSCKS = ("DLHDon", "MCCQT", "DLQRCode")


@dataclass(frozen=True)
class InvoiceSignOptions:
    """How to sign an invoice."""

    hash_algorithm: HashAlgorithm = HashAlgorithm.SHA256
    scheme: SignatureScheme = SignatureScheme.PKCS1V15
    #: Claimed signing time (default: now), written in Vietnam time.
    signing_time: datetime | None = None
    #: For the tax authority: the ``MCCQT`` code to add when the invoice has none.
    tax_authority_code: str | None = None
    #: Refuse to sign as seller with a certificate whose MST is not ``NBan/MST``
    #: (EINV-MST-MATCH, TT15-SIGN-PRECHECK).
    check_seller_mst: bool = True
    limits: ParseLimits = DEFAULT_LIMITS


def sign_invoice(
    xml: bytes,
    credential: Credential,
    role: InvoiceRole | str = InvoiceRole.SELLER,
    options: InvoiceSignOptions | None = None,
) -> bytes:
    """The invoice with a ``role`` signature added (the input is not modified)."""
    return _prepare(xml, credential, role, options).sign(credential)


def prepare_invoice(
    xml: bytes,
    signer: SignerCertificate,
    role: InvoiceRole | str = InvoiceRole.SELLER,
    options: InvoiceSignOptions | None = None,
) -> PreparedXml:
    """Prepare a ``role`` signature for ``signer`` (see :func:`sign_invoice`);
    finish it with :func:`~vnsign.formats.xml.finishing.finish_xml`. The claimed
    ``SigningTime`` is fixed now (or ``options.signing_time``)."""
    return _prepare(xml, signer, role, options).prepared()


def _prepare(
    xml: bytes,
    signer: SignerCertificate,
    role: InvoiceRole | str,
    options: InvoiceSignOptions | None,
) -> PreparedTree:
    role = InvoiceRole(role)
    options = options or InvoiceSignOptions()
    tree = parse_xml(xml, limits=options.limits, what="e-invoice")
    invoice = find_invoice(tree)
    data = invoice.find("DLHDon")
    if data is None:
        raise SigningError("the invoice has no HDon/DLHDon (invoice data) to sign")
    if role is InvoiceRole.SELLER and options.check_seller_mst:
        _check_seller(data, signer)
    created = role is InvoiceRole.TAX_AUTHORITY and invoice.find("MCCQT") is None
    target = data if role is not InvoiceRole.TAX_AUTHORITY else _tax_code(invoice, options)
    ids = IdIndex(tree)
    target_id = target.get("Id")
    if not target_id:
        if not created and any(True for _ in invoice.iter(f"{{{DS}}}Signature")):
            raise SigningError(
                f"{target.tag} has no Id and the invoice is already signed; adding an Id "
                "would break the existing signatures"
            )
        target_id = target.tag if target.tag not in ids else new_id(target.tag)
        target.set("Id", target_id)
    elif len(ids.lookup(target_id)) > 1:
        raise SigningError(f"the Id {target_id!r} of {target.tag} is not unique in the invoice")
    container = _container(invoice, role)
    signature_id = new_id("Signature")
    object_id = new_id("SigningTime")
    signing_time = format_local(options.signing_time or datetime.now(UTC))

    def add_signing_time(signature: etree._Element) -> None:
        obj = etree.SubElement(signature, f"{{{DS}}}Object")
        obj.set("Id", object_id)
        # xmlns="" must be declared explicitly, or the element lands in the XMLDSig
        # default namespace once the document is serialized and read back.
        properties = etree.SubElement(obj, "SignatureProperties", nsmap={None: ""})
        prop = etree.SubElement(properties, "SignatureProperty")
        prop.set("Target", f"#{signature_id}")
        etree.SubElement(prop, "SigningTime").text = signing_time

    def place(signature: etree._Element) -> etree._ElementTree:
        placeholder = next(
            (
                c
                for c in container
                if c.tag == "Signature" and len(c) == 0 and not (c.text or "").strip()
            ),
            None,
        )
        if placeholder is not None:  # OBS-EINVOICE-TRAITS: empty no-namespace placeholder
            signature.tail = placeholder.tail
            container.replace(placeholder, signature)
        else:
            container.append(signature)
        return tree

    return prepare_in_tree(
        signer,
        XmlSignOptions(
            hash_algorithm=options.hash_algorithm,
            scheme=options.scheme,
            c14n=C14nMethod.INCLUSIVE,
            signature_id=signature_id,
            prefix=None,
            subject_name=True,
            limits=options.limits,
        ),
        references=[
            ReferenceSpec(f"#{target_id}", (TransformMethod.ENVELOPED_SIGNATURE.value,)),
            ReferenceSpec(f"#{object_id}", ()),
        ],
        place=place,
        add_objects=add_signing_time,
    )


def _check_seller(data: etree._Element, signer: SignerCertificate) -> None:
    invoice_mst = (data.findtext("NDHDon/NBan/MST") or "").strip()
    certificate_mst = CertificateInfo.from_certificate(signer.certificate).mst
    if not invoice_mst:
        raise SigningError("the invoice has no seller tax code (DLHDon/NDHDon/NBan/MST)")
    if certificate_mst is None:
        raise SigningError(
            "the certificate carries no tax code (UID=MST:...); the seller signs with the "
            "certificate of the business (EINV-MST-MATCH)"
        )
    if certificate_mst.split("-")[0] != invoice_mst.split("-")[0]:
        raise SigningError(
            f"the certificate is for MST {certificate_mst}, the invoice's seller is "
            f"{invoice_mst} (EINV-MST-MATCH)"
        )


def _tax_code(invoice: etree._Element, options: InvoiceSignOptions) -> etree._Element:
    code = invoice.find("MCCQT")
    if code is not None:
        return code
    if not options.tax_authority_code:
        raise SigningError("the tax authority signs HDon/MCCQT; the invoice has none (give a code)")
    code = etree.Element("MCCQT")
    code.text = options.tax_authority_code
    data = invoice.find("DLHDon")
    assert data is not None  # checked by the caller
    data.addnext(code)
    code.tail = data.tail
    return code


def _container(invoice: etree._Element, role: InvoiceRole) -> etree._Element:
    signatures = invoice.find("DSCKS")
    if signatures is None:
        signatures = etree.Element("DSCKS")
        anchors = [c for c in invoice if c.tag in _BEFORE_DSCKS]
        if anchors:
            anchors[-1].addnext(signatures)
        else:
            invoice.insert(0, signatures)
    container = signatures.find(role.container)
    if container is None:
        container = etree.Element(role.container)
        later = [r.container for r in ROLE_ORDER[ROLE_ORDER.index(role) + 1 :]]
        following = next((c for c in signatures if c.tag in later), None)
        if following is not None:
            following.addprevious(container)
        else:
            signatures.append(container)
    if role is not InvoiceRole.OTHER and container.find(f"{{{DS}}}Signature") is not None:
        raise SigningError(f"the invoice already has a {role} signature (DSCKS/{role.container})")
    return container
