"""``vnsign demo``: a tour of what vnsign does, on a throwaway test PKI."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from vnsign.pki.identity import CertificateInfo, Regime, SubjectKind

if TYPE_CHECKING:
    from cryptography import x509

    from vnsign.testing import TestCA, TestPKI

_KIND = {
    SubjectKind.PERSON: "person",
    SubjectKind.ORGANIZATION: "organisation",
    SubjectKind.GOVERNMENT_OFFICIAL: "government official",
    SubjectKind.GOVERNMENT_AGENCY: "government agency",
    SubjectKind.CERTIFICATION_AUTHORITY: "certification authority",
    SubjectKind.UNKNOWN: "unclassified",
}
_REGIME = {
    Regime.PUBLIC: "public digital signature (chữ ký số công cộng)",
    Regime.OFFICIAL_DUTY: "official-duty digital signature (chữ ký số chuyên dùng công vụ)",
}


@click.command()
@click.option(
    "--keep",
    type=click.Path(file_okay=False, path_type=Path),
    help="Export the test PKI into this folder and keep it (default: a temporary folder).",
)
def demo(keep: Path | None) -> None:
    """Build a throwaway Vietnamese test PKI and show what vnsign sees in it."""
    from vnsign.testing import DEFAULT_PASSWORD, TestPKI, Variant

    started = time.perf_counter()
    with TestPKI() as pki, tempfile.TemporaryDirectory(prefix="vnsign-demo-") as tmp:
        pki.variant(Variant.REVOKED, label="revoked-person")
        built = time.perf_counter() - started
        folder = keep or Path(tmp)
        manifest = pki.export(folder)
        echo = click.echo
        echo(click.style("vnsign demo: a Vietnamese-style test PKI", bold=True))
        echo(
            f"Built in {built:.2f} s; exported to {folder}" + ("" if keep else " (removed at exit)")
        )
        echo()
        echo(click.style("Live services on 127.0.0.1", bold=True))
        echo(f"  OCSP responder   {pki.services.ocsp_url}")
        echo(f"  CRLs             {pki.services.crl_url('<ca>')}")
        echo(f"  Time stamps      {pki.services.tsa_url}")
        echo()
        echo(click.style("Certificates, read the Vietnamese way", bold=True))
        for root, regime in (
            (pki.national_root, Regime.PUBLIC),
            (pki.gov_root, Regime.OFFICIAL_DUTY),
        ):
            _print_tree(pki, root, regime)
            echo()
        echo(
            f"Files: PEM, DER and PKCS#12 (password {DEFAULT_PASSWORD.decode()}) for every "
            f"certificate, CRLs, and {manifest.name} describing them."
        )
        echo("Next: `vnsign testpki --out DIR --serve` keeps such a PKI and its services running.")


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
        what = _KIND[info.kind]
        where = ", ".join(
            x for x in (info.title, *info.organizational_units, info.organization) if x
        )
        if where and info.organization != info.common_name:
            what += f" ({where})"
        ids = [f"{i.scheme or 'UID'} {i.value}" for i in info.identifiers]
        if info.email:
            ids.append(info.email)
        if ids:
            what += " · " + " · ".join(ids)
    notes = []
    if info.not_after < pki.now:
        notes.append("expired")
    ca = pki.ca_of(cert)
    revocation = ca.revocation(cert.serial_number, pki.now) if ca else None
    if revocation is not None:
        notes.append(f"revoked {revocation.at:%Y-%m-%d}, {revocation.reason.value}")
    note = f"  [{'; '.join(notes)}]" if notes else ""
    return f"{info.display_name}: {what}{note}"
