"""Verifying an e-invoice against the ``EINV-*`` rules of vn-rules §5 and section D.

The generic XMLDSig verifier checks the cryptography; this module decides what
each signature *means* for an invoice, and reads the invoice data only from the
element the seller's reference resolved to, so that data outside the signed
``DLHDon`` is never taken as signed.

Real-world quirks are accepted and reported as ``info`` findings, never as
tampering: OBS-EINVOICE-ENVELOPED-OBJECT (enveloped transform on the
SigningTime Object), OBS-EINVOICE-TRAITS (empty placeholders, ``Target=""``,
odd subject names, long CNs). Whitespace is never normalised (OBS-WHITESPACE);
a failed reference says whether the invoice data or the signing time changed.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from lxml import etree

from vnsign.errors import InputError
from vnsign.formats.einvoice.results import InvoiceInfo, InvoiceSignature, InvoiceVerification
from vnsign.formats.einvoice.rules import (
    check_c14n,
    check_integrity,
    check_key_info,
    check_mst,
    check_references,
    check_signing_time,
    check_tax_certificate,
)
from vnsign.formats.einvoice.structure import InvoiceRole, find_invoice, role_of_container
from vnsign.formats.xml.canonical import is_within
from vnsign.formats.xml.findings import Finding, FindingStatus
from vnsign.formats.xml.parsing import DEFAULT_LIMITS, ParseLimits, parse_xml
from vnsign.formats.xml.paths import local_name
from vnsign.formats.xml.results import ReferenceResult, XmlSignatureResult
from vnsign.formats.xml.verification import verify_xml
from vnsign.pki.identity import CertificateInfo

__all__ = ["verify_invoice"]


def verify_invoice(
    data: bytes,
    *,
    certificates: Sequence[x509.Certificate] = (),
    limits: ParseLimits = DEFAULT_LIMITS,
) -> InvoiceVerification:
    """Verify every signature of an e-invoice and check the ``EINV-*`` rules.

    Raises :class:`~vnsign.errors.InputError` only when the input is not a
    readable invoice (hostile or malformed XML, no single ``HDon``).
    """
    tree = parse_xml(data, limits=limits, what="e-invoice")
    invoice = find_invoice(tree)
    xml = verify_xml(tree, certificates=certificates)
    invoice_data = invoice.find("DLHDon")
    findings: list[Finding] = []
    if invoice_data is None:
        raise InputError("the e-invoice has no HDon/DLHDon (invoice data)")
    signatures = tuple(
        _check_signature(s, invoice, invoice_data)
        for s in xml.signatures
        if is_within(s.element, invoice)
    )
    outside = [s for s in xml.signatures if not is_within(s.element, invoice)]
    for signature in outside:
        findings.append(
            Finding(
                "EINV-STRUCTURE",
                FindingStatus.WARNING,
                f"a signature outside the invoice ({signature.path}) is not an invoice signature",
                signature.path,
            )
        )
    roles = [s.role for s in signatures]
    if InvoiceRole.SELLER not in roles:
        findings.append(
            Finding(
                "EINV-LEGAL",
                FindingStatus.WARNING,
                "no seller signature (DSCKS/NBan); it is mandatory except in the cases of "
                "ND 123/2020 Art. 10 cl. 14",
            )
        )
    if xml.duplicate_ids:
        findings.append(
            Finding(
                "EINV-REFS",
                FindingStatus.WARNING,
                f"IDs used more than once: {', '.join(xml.duplicate_ids)}",
            )
        )
    seller = next((s for s in signatures if s.role is InvoiceRole.SELLER), None)
    signed_data = seller.data_reference.element if seller and seller.data_reference else None
    info = _info(invoice, signed_data if signed_data is not None else invoice_data)
    return InvoiceVerification(
        info=info,
        signatures=signatures,
        findings=tuple(findings),
        xml=xml,
        invoice=invoice,
    )


def _check_signature(
    signature: XmlSignatureResult, invoice: etree._Element, invoice_data: etree._Element
) -> InvoiceSignature:
    findings: list[Finding] = []
    element = signature.element
    parent = element.getparent()
    grandparent = parent.getparent() if parent is not None else None
    role = None
    if (
        parent is not None
        and grandparent is not None
        and grandparent.tag == "DSCKS"
        and grandparent.getparent() is invoice
    ):
        role = role_of_container(str(parent.tag))
    subject = role.value if role else signature.path
    if role is None:
        findings.append(
            Finding(
                "EINV-STRUCTURE",
                FindingStatus.FAILED,
                f"signature at {signature.path} is not in HDon/DSCKS/(NBan|NMua|CCKSKhac|CQT)",
                subject,
            )
        )
    else:
        findings.append(
            Finding(
                "EINV-STRUCTURE", FindingStatus.PASSED, f"signature at {signature.path}", subject
            )
        )
    target_name = role.signs if role else "DLHDon"
    expected_target = invoice.find(target_name)
    data_reference, time_reference = _classify(signature, expected_target, invoice_data)
    findings.extend(check_integrity(signature, data_reference, time_reference, subject))
    findings.extend(
        check_references(
            signature, data_reference, time_reference, target_name, expected_target, subject
        )
    )
    findings.append(check_c14n(signature, subject))
    findings.append(
        Finding(
            "EINV-ALGS",
            FindingStatus.WARNING if signature.uses_sha1 else FindingStatus.PASSED,
            "SHA-1 is used (legacy; not allowed for new signatures under STD-TT15-CRYPTO)"
            if signature.uses_sha1
            else "SHA-2 algorithms",
            subject,
        )
    )
    info = None
    cert = signature.signer_certificate
    if cert is not None:
        try:
            info = CertificateInfo.from_certificate(cert)
        except (InputError, UnsupportedAlgorithm, x509.DuplicateExtension) as exc:
            # e.g. a key algorithm cryptography does not know: no identity to read
            findings.append(
                Finding(
                    "EINV-KEYINFO", FindingStatus.WARNING, f"unreadable certificate: {exc}", subject
                )
            )
    findings.extend(check_signing_time(signature, time_reference, cert, subject))
    findings.extend(check_key_info(signature, cert, info, subject))
    if role is InvoiceRole.SELLER:
        findings.append(check_mst(data_reference, info, subject))
    if role is InvoiceRole.TAX_AUTHORITY:
        findings.append(check_tax_certificate(cert, info, subject))
    return InvoiceSignature(
        role=role,
        signature=signature,
        data_reference=data_reference,
        signing_time_reference=time_reference,
        signing_time=signature.signing_time,
        certificate_info=info,
        findings=tuple(findings),
    )


def _classify(
    signature: XmlSignatureResult,
    expected_target: etree._Element | None,
    invoice_data: etree._Element,
) -> tuple[ReferenceResult | None, ReferenceResult | None]:
    data_reference = time_reference = None
    for reference in signature.references:
        element = reference.element
        if element is None:
            continue
        if is_within(element, signature.element):
            if time_reference is None and any(
                local_name(e) == "SigningTime" for e in element.iter() if isinstance(e.tag, str)
            ):
                time_reference = reference
        elif data_reference is None and (
            element is expected_target
            or element is invoice_data
            or local_name(element) in {"DLHDon", "MCCQT"}
        ):
            data_reference = reference
    return data_reference, time_reference


def _info(invoice: etree._Element, data: etree._Element) -> InvoiceInfo:
    def text(path: str) -> str | None:
        value = data.findtext(path)
        return value.strip() if value is not None else None

    return InvoiceInfo(
        data_id=data.get("Id"),
        template=text("TTChung/KHMSHDon"),
        series=text("TTChung/KHHDon"),
        number=text("TTChung/SHDon"),
        issue_date=text("TTChung/NLap"),
        seller_name=text("NDHDon/NBan/Ten"),
        seller_mst=text("NDHDon/NBan/MST"),
        buyer_name=text("NDHDon/NMua/Ten"),
        buyer_mst=text("NDHDon/NMua/MST"),
        total=text("NDHDon/TToan/TgTTTBSo"),
        tax_authority_code=(invoice.findtext("MCCQT") or "").strip() or None,
    )
