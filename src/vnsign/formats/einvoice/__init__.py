"""Vietnamese e-invoices (``HDon``, ND 123/2020, TT 78/2021): signing as seller,
buyer, other signer or tax authority, and verification against the ``EINV-*`` rules.

::

    from vnsign.formats.einvoice import InvoiceRole, sign_invoice, verify_invoice

    signed = sign_invoice(xml, credential, InvoiceRole.SELLER)
    report = verify_invoice(signed)
    report.valid, report.info.seller_mst, report.all_findings
"""

from vnsign.formats.einvoice.results import InvoiceInfo, InvoiceSignature, InvoiceVerification
from vnsign.formats.einvoice.signing import InvoiceSignOptions, prepare_invoice, sign_invoice
from vnsign.formats.einvoice.structure import InvoiceRole, find_invoice
from vnsign.formats.einvoice.verification import verify_invoice

__all__ = [
    "InvoiceInfo",
    "InvoiceRole",
    "InvoiceSignOptions",
    "InvoiceSignature",
    "InvoiceVerification",
    "find_invoice",
    "prepare_invoice",
    "sign_invoice",
    "verify_invoice",
]
