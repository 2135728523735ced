"""``vnsign demo``: a tour of what vnsign does, on a throwaway test PKI.

It builds the PKI (live OCSP, CRL and TSA on 127.0.0.1), signs a Decree 30
administrative PDF (the official, then the agency's seal) and an e-invoice (the
seller), verifies both, tampers with a copy of each and verifies again.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

import click

from vnsign.cli._identity import details
from vnsign.pki.identity import CertificateInfo, Regime

if TYPE_CHECKING:
    from cryptography import x509

    from vnsign.testing import TestCA, TestPKI
    from vnsign.verify.report import Report

_REGIME = {
    Regime.PUBLIC: "public digital signature (chữ ký số công cộng)",
    Regime.OFFICIAL_DUTY: "official-duty digital signature (chữ ký số chuyên dùng công vụ)",
}


@dataclass(frozen=True)
class _Document:
    """A file the demo made, and the profile it is verified under."""

    path: Path
    profile: str
    story: str


@click.command()
@click.option(
    "--keep",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the test PKI and the documents into this folder and keep them "
    "(default: a temporary folder).",
)
@click.option(
    "--lang",
    type=click.Choice(["vi", "en"]),
    default="en",
    show_default=True,
    help="Language of the verification reports.",
)
def demo(keep: Path | None, lang: str) -> None:
    """Build a throwaway Vietnamese test PKI, sign a Decree 30 PDF and an e-invoice
    with it, verify them, tamper with copies and verify again."""
    from vnsign.testing import TestPKI, Variant

    started = time.perf_counter()
    with TestPKI() as pki, tempfile.TemporaryDirectory(prefix="vnsign-demo-") as tmp:
        pki.variant(Variant.REVOKED, label="revoked-person")
        built = time.perf_counter() - started
        folder = keep or Path(tmp)
        _show_pki(pki, folder, built, kept=keep is not None)
        _heading("2. Signing with the test PKI")
        signed = [_sign_pdf(pki, folder), _sign_invoice(pki, folder)]
        _heading("3. Tampering with a copy of each")
        tampered = [_tamper_pdf(signed[0]), _tamper_invoice(signed[1])]
        _heading("4. Verifying (trusting the test roots, revocation from the live services)")
        _summary(_verify(pki, [*signed, *tampered], lang))


def _heading(text: str) -> None:
    click.echo()
    click.echo(click.style(text, bold=True))


def _show_pki(pki: TestPKI, folder: Path, built: float, *, kept: bool) -> None:
    from vnsign.testing import DEFAULT_PASSWORD

    manifest = pki.export(folder / "pki")
    echo = click.echo
    echo(click.style("vnsign demo", bold=True))
    echo(f"Files in {folder}" + ("" if kept else " (removed at exit)"))
    _heading(f"1. A Vietnamese-style test PKI, built in {built:.2f} s")
    echo(f"  OCSP responder   {pki.services.ocsp_url}")
    echo(f"  CRLs             {pki.services.crl_url('<ca>')}")
    echo(f"  Time stamps      {pki.services.tsa_url}")
    echo()
    for root, regime in ((pki.national_root, Regime.PUBLIC), (pki.gov_root, Regime.OFFICIAL_DUTY)):
        _print_tree(pki, root, regime)
        echo()
    echo(
        f"PEM, DER and PKCS#12 (password {DEFAULT_PASSWORD.decode()}) for every certificate, "
        f"CRLs and {manifest.name} are in {manifest.parent}."
    )


def _sign_pdf(pki: TestPKI, folder: Path) -> _Document:
    from vnsign.formats.pdf import Nd30Appearance, PadesLevel, Role, SignatureImage, sign_pdf
    from vnsign.formats.pdf.samples import (
        administrative_document,
        handwritten_signature_png,
        seal_png,
    )

    source = folder / "quyet-dinh.pdf"
    source.write_bytes(administrative_document())
    person = folder / "quyet-dinh.person.pdf"
    signed = folder / "quyet-dinh.signed.pdf"
    official, agency = pki.gov_official, pki.gov_agency
    sign_pdf(
        source,
        person,
        official.credential(),
        level=PadesLevel.B_T,
        timestamp=pki.services.tsa_url,
        appearance=Nd30Appearance(image=SignatureImage(handwritten_signature_png())),
    )
    sign_pdf(
        person,
        signed,
        agency.credential(),
        role=Role.ORGANIZATION,
        level=PadesLevel.B_LT,
        timestamp=pki.services.tsa_url,
        trust_roots=pki.roots,
        appearance=Nd30Appearance(image=SignatureImage(seal_png())),
    )
    person.unlink()
    click.echo(
        f"  {signed.name}: a decision (Quyết định) signed by {_name(official.certificate)} "
        f"(blue signature, PAdES-B-T), then sealed by {_name(agency.certificate)} "
        "(red seal over the left third of it, PAdES-B-LT), as Decree 30/2020 asks."
    )
    return _Document(signed, "nd30", "signed administrative PDF")


def _sign_invoice(pki: TestPKI, folder: Path) -> _Document:
    from vnsign.formats.einvoice import InvoiceRole, sign_invoice
    from vnsign.formats.einvoice.samples import sample_invoice

    seller = pki.organization
    signed = folder / "hoa-don.signed.xml"
    signed.write_bytes(
        sign_invoice(sample_invoice(lines=3), seller.credential(), InvoiceRole.SELLER)
    )
    click.echo(
        f"  {signed.name}: a VAT e-invoice (TT 78/2021) signed by the seller, "
        f"{_name(seller.certificate)}."
    )
    return _Document(signed, "einvoice", "signed e-invoice")


def _tamper_pdf(original: _Document) -> _Document:
    """Paint over part of the signed page in a later incremental update: what a
    shadow or incremental-saving attack does."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(BytesIO(original.path.read_bytes()))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    contents = page["/Contents"]
    layers = (
        list(contents) if isinstance(contents, generic.ArrayObject) else [page.raw_get("/Contents")]
    )
    cover = generic.StreamObject(stream_data=b"q 1 1 1 rg 80 560 440 120 re f Q")
    page["/Contents"] = generic.ArrayObject([*layers, writer.add_object(cover)])
    writer.update_container(page)
    out = BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]
    path = original.path.with_name("quyet-dinh.tampered.pdf")
    path.write_bytes(out.getvalue())
    click.echo(f"  {path.name}: a later update paints a white box over the decision's text.")
    return _Document(path, original.profile, "PDF changed after signing")


def _tamper_invoice(original: _Document) -> _Document:
    data = original.path.read_bytes()
    changed = re.sub(rb"<TgTTTBSo>(\d+)</TgTTTBSo>", rb"<TgTTTBSo>9\1</TgTTTBSo>", data, count=1)
    path = original.path.with_name("hoa-don.tampered.xml")
    path.write_bytes(changed)
    click.echo(f"  {path.name}: the invoice total (TgTTTBSo) gets a leading 9.")
    return _Document(path, original.profile, "e-invoice changed after signing")


def _verify(pki: TestPKI, documents: list[_Document], lang: str) -> list[tuple[_Document, Report]]:
    from vnsign.cli.verify import terminal_style
    from vnsign.verify.engine import Verifier
    from vnsign.verify.render import render_text

    style = terminal_style(sys.stdout)
    verifiers = {
        profile: Verifier(profile, trust=pki.trust_store(), timeout=5)
        for profile in {d.profile for d in documents}
    }
    verdicts = []
    for document in documents:
        report = verifiers[document.profile].verify(document.path, name=document.path.name)
        click.echo(render_text(report, lang=lang, style=style))
        verdicts.append((document, report))
    return verdicts


def _summary(verdicts: list[tuple[_Document, Report]]) -> None:
    _heading("Summary")
    for document, report in verdicts:
        click.echo(f"  {document.path.name:<26} {report.verdict.value:<14} {document.story}")
    click.echo()
    click.echo(
        "Next: `vnsign verify FILE` on your own documents, `vnsign testpki --out DIR --serve` "
        "to keep a test PKI running, docs/ for the library."
    )


def _name(cert: x509.Certificate) -> str:
    return CertificateInfo.from_certificate(cert).display_name


def _print_tree(pki: TestPKI, root: TestCA, regime: Regime) -> None:
    click.echo(f"{_ca_name(root.certificate)}  [root: {_REGIME[regime]}]")
    _print_children(pki, root, regime, prefix="")


def _print_children(pki: TestPKI, ca: TestCA, regime: Regime, prefix: str) -> None:
    sub_cas = [c for c in pki.cas if c.parent is ca]
    leaves = [i for i in pki.identities.values() if pki.ca_of(i.certificate) is ca]
    entries: list[tuple[str, TestCA | None]] = [
        (f"{_ca_name(c.certificate)}  [issuing CA]", c) for c in sub_cas
    ]
    for leaf in leaves:
        info = CertificateInfo.from_certificate(leaf.certificate, regime=regime)
        entries.append((_describe(info, pki, leaf.certificate), None))
    for n, (text, child) in enumerate(entries):
        last = n == len(entries) - 1
        click.echo(f"{prefix}{'└── ' if last else '├── '}{text}")
        if child is not None:
            _print_children(pki, child, regime, prefix + ("    " if last else "│   "))


def _ca_name(cert: x509.Certificate) -> str:
    return CertificateInfo.from_certificate(cert).display_name


def _describe(info: CertificateInfo, pki: TestPKI, cert: x509.Certificate) -> str:
    if "time_stamping" in info.extended_key_usage:
        what = "time-stamping authority (timeStamping EKU, critical)"
    elif "ocsp_signing" in info.extended_key_usage:
        what = "OCSP responder"
    else:
        what = details(info)
    notes = []
    if info.not_after < pki.now:
        notes.append("expired")
    ca = pki.ca_of(cert)
    revocation = ca.revocation(cert.serial_number, pki.now) if ca else None
    if revocation is not None:
        notes.append(f"revoked {revocation.at:%Y-%m-%d}, {revocation.reason.value}")
    note = f"  [{'; '.join(notes)}]" if notes else ""
    return f"{info.display_name}: {what}{note}"
