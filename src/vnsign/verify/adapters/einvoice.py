"""Facts from a Vietnamese e-invoice (``HDon``, ND 123/2020, TT 78/2021).

:func:`~vnsign.formats.einvoice.verify_invoice` checks every signature against
the EINV-* rules; this module states its results as facts: one
:class:`~vnsign.verify.facts.SignatureFacts` per signature in the document
(seller, buyer, other signers, tax authority, and any signature outside the
invoice), with the profile's findings in ``details["einvoice"]`` for the EINV-*
rules of :mod:`vnsign.verify.rules.einvoice`.

Coverage: the format says what each role signs. A seller's, buyer's or other
signer's signature covers the invoice when it signs ``HDon/DLHDon`` itself (the
element invoice readers use) and its own SigningTime; the tax authority's when
it signs ``HDon/MCCQT``. A reference to any other copy is partial coverage
(signature wrapping). A signature outside the invoice is judged as generic XML.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from vnsign.errors import HostileInputError, InputError, MalformedInputError
from vnsign.formats.einvoice import InvoiceInfo, InvoiceRole, InvoiceSignature, verify_invoice
from vnsign.formats.xml import Finding, XmlVerificationResult, parse_xml
from vnsign.verify.adapters.xml import duplicate_id_problems, signature_facts, verify_tree
from vnsign.verify.adapters.xml_coverage import coverage_of
from vnsign.verify.facts import DocumentFacts, DocumentFormat, SignatureFacts

__all__ = ["InvoiceDetails", "InvoiceSignatureDetails", "einvoice_facts"]


@dataclass(frozen=True)
class InvoiceSignatureDetails:
    """What the e-invoice profile found about one signature of the invoice."""

    role: InvoiceRole | None  #: from the signature's place in ``DSCKS``
    #: The ``HDon`` child this role signs: ``DLHDon``, or ``MCCQT`` for the tax authority.
    target: str
    findings: tuple[Finding, ...]  #: the profile's findings for this signature
    #: Where the reference to the invoice data resolved to, and whether it is the
    #: ``HDon/<target>`` invoice readers use.
    data_reference: str | None
    data_reference_is_target: bool
    subject_names: tuple[str, ...]  #: ``X509SubjectName`` texts
    signing_time_text: str | None
    signing_time: datetime | None
    signing_time_signed: bool
    invoice_mst: str | None  #: ``NBan/MST`` of the signed invoice data
    certificate_mst: str | None  #: the MST in the signer certificate


@dataclass(frozen=True)
class InvoiceDetails:
    """What the e-invoice profile found about the document."""

    info: InvoiceInfo | None  #: invoice fields, read from the signed ``DLHDon``
    findings: tuple[Finding, ...]  #: invoice-level findings
    roles: tuple[InvoiceRole | None, ...]  #: of the invoice's signatures, in order
    misplaced: tuple[str, ...]  #: invoice signatures outside ``DSCKS/<role>``
    outside: tuple[str, ...]  #: signatures outside the invoice
    enveloped_in: str | None  #: the transmission envelope around ``HDon``, if any
    problem: str = ""  #: why the invoice structure could not be read


def einvoice_facts(data: bytes) -> DocumentFacts:
    """Every signature of an e-invoice, with the profile's findings.

    Raises :class:`~vnsign.errors.InputError` for input that is not usable XML; XML
    that is not a readable invoice (no single ``HDon``, no ``DLHDon``) gives facts
    with the reason, and its signatures judged as generic XML.
    """
    tree = parse_xml(data, what="e-invoice")  # hostile or not XML: raised here
    try:
        report = verify_invoice(data)
    except HostileInputError:
        raise  # also: signatures beyond verify_xml's work limits
    except InputError as exc:
        return _not_an_invoice(tree, len(data), exc)
    except RecursionError as exc:
        raise HostileInputError("the e-invoice nests too deeply to be processed") from exc
    except Exception as exc:  # hostile XML makes parsers raise anything
        raise MalformedInputError(
            f"the e-invoice cannot be processed ({type(exc).__name__}: {exc})"
        ) from exc
    xml = report.xml
    invoice = report.invoice
    root = xml.tree.getroot()
    by_element = {s.signature.element: s for s in report.signatures}
    signatures = []
    for index, signature in enumerate(xml.signatures, start=1):
        found = by_element.get(signature.element)
        if found is None:  # not an invoice signature: judged as generic XML
            signatures.append(signature_facts(index, signature, coverage_of(signature, root)))
        else:
            signatures.append(_invoice_signature(index, found, invoice, report.info))
    enveloped_in = None if invoice is root else str(root.tag)
    problems = list(duplicate_id_problems(xml))
    if enveloped_in:
        problems.append(
            f"the invoice travels in a {enveloped_in} envelope; the invoice signatures do not "
            "sign the envelope's own content"
        )
    details = InvoiceDetails(
        info=report.info,
        findings=report.findings,
        roles=tuple(s.role for s in report.signatures),
        misplaced=tuple(s.signature.path for s in report.signatures if s.role is None),
        outside=tuple(s.path for s in xml.signatures if s.element not in by_element),
        enveloped_in=enveloped_in,
    )
    return DocumentFacts(
        format=DocumentFormat.EINVOICE,
        signatures=tuple(signatures),
        size=len(data),
        problems=tuple(problems),
        details={"einvoice": details},
    )


def _invoice_signature(
    index: int, found: InvoiceSignature, invoice: etree._Element, info: InvoiceInfo
) -> SignatureFacts:
    role = found.role
    target = role.signs if role else "DLHDon"
    expected = invoice.find(target)
    signature = found.signature
    data = found.data_reference
    claim = found.signing_time
    details = InvoiceSignatureDetails(
        role=role,
        target=target,
        findings=found.findings,
        data_reference=data.element_path if data else None,
        data_reference_is_target=bool(
            data is not None and expected is not None and data.element is expected
        ),
        subject_names=signature.key_info_subject_names,
        signing_time_text=claim.text if claim else None,
        signing_time=claim.value if claim else None,
        signing_time_signed=bool(claim and claim.signed),
        invoice_mst=info.seller_mst if role is InvoiceRole.SELLER else None,
        certificate_mst=found.certificate_info.mst if found.certificate_info else None,
    )
    name = f"DSCKS/{role.container}" if role else signature.path
    return signature_facts(
        index,
        signature,
        coverage_of(signature, expected),
        name=name,
        details={"einvoice": details, "role": role.value if role else None},
    )


def _not_an_invoice(tree: etree._ElementTree, size: int, reason: InputError) -> DocumentFacts:
    """XML that names an invoice but is not one that can be read: its signatures as
    generic XML, and why (EINV-STRUCTURE fails)."""
    result: XmlVerificationResult = verify_tree(tree)
    root = tree.getroot()
    signatures = tuple(
        signature_facts(index, s, coverage_of(s, root))
        for index, s in enumerate(result.signatures, start=1)
    )
    details = InvoiceDetails(
        info=None,
        findings=(),
        roles=(),
        misplaced=(),
        outside=tuple(s.path for s in result.signatures),
        enveloped_in=None,
        problem=str(reason),
    )
    return DocumentFacts(
        format=DocumentFormat.EINVOICE,
        signatures=signatures,
        size=size,
        problems=(*duplicate_id_problems(result), str(reason)),
        details={"einvoice": details},
    )
