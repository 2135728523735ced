"""Sign a Vietnamese e-invoice as the seller, countersign it as the buyer, verify it.

    python examples/sign_einvoice.py OUT_DIR

The invoice (HDon, TT 78/2021 layout) is signed the way Vietnamese invoicing
software does it (EINV-STRUCTURE, EINV-REFS): the seller in DSCKS/NBan, the buyer
in DSCKS/NMua. The example uses a throwaway test PKI; the seller's certificate
carries the invoice's MST (EINV-MST-MATCH). Then a copy with a changed total is
verified too.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from vnsign.formats.einvoice import InvoiceRole, sign_invoice
from vnsign.formats.einvoice.samples import sample_invoice
from vnsign.testing import TestPKI
from vnsign.verify import Verifier


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    with TestPKI() as pki:
        invoice = sample_invoice(lines=5)
        by_seller = sign_invoice(invoice, pki.organization.credential(), InvoiceRole.SELLER)
        by_both = sign_invoice(by_seller, pki.person.credential(), InvoiceRole.BUYER)
        signed = args.out_dir / "hoa-don.signed.xml"
        signed.write_bytes(by_both)
        changed = args.out_dir / "hoa-don.changed.xml"
        changed.write_bytes(by_both.replace(b"<SLuong>5</SLuong>", b"<SLuong>50</SLuong>"))
        verifier = Verifier("einvoice", trust=pki.trust_store())
        for path in (signed, changed):
            report = verifier.verify(path)
            print(f"{path.name}: {report.verdict.value}")
            for signature in report.signatures:
                signer = signature.signer.name if signature.signer else "?"
                print(f"  {signature.name}: {signer}, {signature.indication.value}")
            print(f"  {report.summary.en}")


if __name__ == "__main__":
    main()
