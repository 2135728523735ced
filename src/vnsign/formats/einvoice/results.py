"""Results of verifying an e-invoice: per signature and per rule."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from vnsign.formats.einvoice.structure import InvoiceRole
from vnsign.formats.xml.findings import Finding, FindingStatus
from vnsign.formats.xml.results import (
    ReferenceResult,
    SigningTimeClaim,
    XmlSignatureResult,
    XmlVerificationResult,
)
from vnsign.pki.identity import CertificateInfo

__all__ = ["InvoiceInfo", "InvoiceSignature", "InvoiceVerification"]


@dataclass(frozen=True)
class InvoiceInfo:
    """Main fields of the invoice, read from the ``DLHDon`` the seller signed."""

    data_id: str | None  #: ``DLHDon@Id``
    template: str | None  #: ``KHMSHDon``
    series: str | None  #: ``KHHDon``
    number: str | None  #: ``SHDon``
    issue_date: str | None  #: ``NLap``
    seller_name: str | None
    seller_mst: str | None
    buyer_name: str | None
    buyer_mst: str | None
    total: str | None  #: ``TgTTTBSo``, as written
    tax_authority_code: str | None  #: ``MCCQT``


@dataclass(frozen=True)
class InvoiceSignature:
    """One signature of the invoice, with its role and the profile's findings."""

    #: The role from the signature's place in ``DSCKS``; None when it is elsewhere.
    role: InvoiceRole | None
    signature: XmlSignatureResult
    #: The reference to ``DLHDon`` (``MCCQT`` for the tax authority).
    data_reference: ReferenceResult | None
    #: The reference to the Object holding ``SigningTime``.
    signing_time_reference: ReferenceResult | None
    signing_time: SigningTimeClaim | None
    certificate_info: CertificateInfo | None
    findings: tuple[Finding, ...]

    @property
    def valid(self) -> bool:
        """Cryptographically valid and no rule failed."""
        return self.signature.valid and not any(f.failed for f in self.findings)


@dataclass(frozen=True)
class InvoiceVerification:
    """Everything checked on one e-invoice."""

    info: InvoiceInfo
    signatures: tuple[InvoiceSignature, ...]
    #: Invoice-level findings (structure, missing seller signature, ...).
    findings: tuple[Finding, ...]
    xml: XmlVerificationResult = field(repr=False)
    invoice: etree._Element = field(compare=False, repr=False)

    @property
    def all_findings(self) -> tuple[Finding, ...]:
        """Invoice-level findings followed by every signature's findings."""
        return (*self.findings, *(f for s in self.signatures for f in s.findings))

    @property
    def valid(self) -> bool:
        """At least one signature, all signatures valid, no failed rule."""
        return (
            bool(self.signatures)
            and all(s.valid for s in self.signatures)
            and not any(f.failed for f in self.findings)
        )

    def signature(self, role: InvoiceRole | str) -> InvoiceSignature | None:
        """The first signature in ``role``."""
        wanted = InvoiceRole(role)
        return next((s for s in self.signatures if s.role is wanted), None)

    def failures(self) -> tuple[Finding, ...]:
        """Failed findings, invoice-level and per signature."""
        return tuple(f for f in self.all_findings if f.status is FindingStatus.FAILED)
