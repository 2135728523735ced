"""Where things are in a Vietnamese e-invoice (``HDon``), per EINV-STRUCTURE.

::

    HDon
    ├── DLHDon Id=...            invoice data (what the seller signs)
    │   └── NDHDon/NBan/MST      seller tax code (EINV-MST-MATCH)
    ├── MCCQT Id=...             tax-authority code (coded invoices)
    ├── DLQRCode
    └── DSCKS                    signatures
        ├── NBan/Signature       seller
        ├── NMua/Signature       buyer (optional)
        ├── CCKSKhac/Signature   other signers
        └── CQT/Signature        tax authority (CQT)

Invoice elements are in no namespace. An invoice may arrive on its own or
wrapped in a transmission envelope (``TDiep/DLieu/HDon``); exactly one
``HDon`` is expected.
"""

from __future__ import annotations

import enum

from lxml import etree

from vnsign.errors import MalformedInputError

__all__ = ["ROLE_ORDER", "InvoiceRole", "find_invoice", "role_of_container"]


class InvoiceRole(enum.StrEnum):
    """Who signs, and so where the signature goes in ``DSCKS``."""

    SELLER = "seller"  #: người bán: ``DSCKS/NBan``
    BUYER = "buyer"  #: người mua: ``DSCKS/NMua``
    OTHER = "other"  #: other signatures: ``DSCKS/CCKSKhac``
    TAX_AUTHORITY = "tax-authority"  #: cơ quan thuế: ``DSCKS/CQT``

    @property
    def container(self) -> str:
        """The child of ``DSCKS`` that holds this role's signature."""
        return _CONTAINERS[self]

    @property
    def signs(self) -> str:
        """The child of ``HDon`` this role's first reference points at."""
        return "MCCQT" if self is InvoiceRole.TAX_AUTHORITY else "DLHDon"


_CONTAINERS = {
    InvoiceRole.SELLER: "NBan",
    InvoiceRole.BUYER: "NMua",
    InvoiceRole.OTHER: "CCKSKhac",
    InvoiceRole.TAX_AUTHORITY: "CQT",
}

#: Order of the role containers inside ``DSCKS``.
ROLE_ORDER = (InvoiceRole.SELLER, InvoiceRole.BUYER, InvoiceRole.OTHER, InvoiceRole.TAX_AUTHORITY)


def role_of_container(name: str) -> InvoiceRole | None:
    """The role whose signatures live in ``DSCKS/<name>``."""
    return next((r for r in InvoiceRole if r.container == name), None)


def find_invoice(tree: etree._ElementTree) -> etree._Element:
    """The single ``HDon`` element: the document element or inside an envelope."""
    root = tree.getroot()
    if root.tag == "HDon":
        return root
    found = root.findall(".//HDon")
    if len(found) != 1:
        raise MalformedInputError(
            f"expected one e-invoice (HDon) in the document, found {len(found)}"
        )
    return found[0]
