"""``vnsign sign xml`` and ``vnsign sign einvoice``."""

from __future__ import annotations

import os
from pathlib import Path

import click

from vnsign._files import write_atomic
from vnsign.cli._credentials import (
    HASH_OPTION,
    PSS_OPTION,
    CredentialChoice,
    credential_options,
    open_credential,
    signer_of,
)
from vnsign.errors import InputError
from vnsign.formats.einvoice import InvoiceRole, InvoiceSignOptions, sign_invoice
from vnsign.formats.xml import (
    C14nMethod,
    ParseLimits,
    XadesLevel,
    XadesOptions,
    XmlSignOptions,
    sign_detached,
    sign_enveloped,
    sign_enveloping,
)
from vnsign.formats.xml.files import read_input
from vnsign.pki.credentials import HashAlgorithm, SignatureScheme
from vnsign.pki.timestamps import TimestampClient

__all__ = ["sign_einvoice", "sign_xml"]

_EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _output(file: Path, out: Path | None, suffix: str) -> Path:
    target = out or file.with_name(file.stem + suffix)
    if target.exists() and os.path.samefile(file, target):
        raise InputError(f"the output {target} is the input; vnsign never changes the input file")
    return target


@click.command("xml")
@click.argument("file", type=_EXISTING_FILE)
@credential_options
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Output file.")
@click.option(
    "--mode",
    type=click.Choice(["enveloped", "enveloping", "detached"]),
    default="enveloped",
    show_default=True,
    help="Where the signature goes: inside FILE, around it, or beside it.",
)
@click.option(
    "--xpath", help="Enveloped: the element to put the Signature into (or a placeholder)."
)
@click.option(
    "--ns", "namespaces", multiple=True, metavar="PREFIX=URI", help="Namespace for --xpath."
)
@click.option(
    "--reference",
    "references",
    multiple=True,
    metavar="#ID",
    help="Sign the element with this Id (repeatable; default: the whole document).",
)
@click.option("--exclusive", is_flag=True, help="Exclusive C14N instead of inclusive C14N 1.0.")
@HASH_OPTION
@PSS_OPTION
@click.option("--xades", is_flag=True, help="XAdES-B-B (SigningCertificateV2, SigningTime).")
@click.option("--tsa", metavar="URL", help="RFC 3161 time-stamping authority: XAdES-B-T.")
@click.option("--lt", is_flag=True, help="XAdES-B-LT: embed certificates and revocation data.")
def sign_xml(
    file: Path,
    credentials: CredentialChoice,
    out: Path | None,
    mode: str,
    xpath: str | None,
    namespaces: tuple[str, ...],
    references: tuple[str, ...],
    exclusive: bool,
    hash_algorithm: str,
    pss: bool,
    xades: bool,
    tsa: str | None,
    lt: bool,
) -> None:
    """Sign the XML document FILE (XMLDSig, optionally XAdES). FILE is not changed;
    the result goes to --out (default: FILE.signed.xml; FILE.sig.xml for
    detached signatures)."""
    if lt and not tsa:
        raise click.UsageError("--lt needs --tsa")
    level = XadesLevel.B_LT if lt else XadesLevel.B_T if tsa else XadesLevel.B_B
    xades_options = (
        XadesOptions(level=level, tsa=TimestampClient(tsa) if tsa else None)
        if xades or tsa
        else None
    )
    try:
        ns = dict(n.split("=", 1) for n in namespaces)
    except ValueError as exc:
        raise click.UsageError("--ns takes PREFIX=URI") from exc
    options = XmlSignOptions(
        hash_algorithm=HashAlgorithm(hash_algorithm),
        scheme=SignatureScheme.PSS if pss else SignatureScheme.PKCS1V15,
        c14n=C14nMethod.EXCLUSIVE if exclusive else C14nMethod.INCLUSIVE,
        references=references,
        xpath=xpath,
        namespaces=ns,
        xades=xades_options,
    )
    target = _output(file, out, ".sig.xml" if mode == "detached" else ".signed.xml")
    with open_credential(credentials, display_text=f"Ký {file.name}") as credential:
        data = read_input(file, max_bytes=ParseLimits().max_bytes)
        if mode == "enveloped":
            signed = sign_enveloped(data, credential, options)
        elif mode == "enveloping":
            signed = sign_enveloping(data, credential, options)
        else:
            signed = sign_detached(data, file.name, credential, options)
    written = write_atomic(target, signed)
    kind = f"XAdES-{level}" if xades_options else "XMLDSig"
    click.echo(f"Signed {file} → {written}")
    click.echo(f"  {kind} {mode} · {hash_algorithm} · {signer_of(credential.certificate)}")


@click.command("einvoice")
@click.argument("file", type=_EXISTING_FILE)
@credential_options
@click.option(
    "--role",
    type=click.Choice([r.value for r in InvoiceRole if r is not InvoiceRole.TAX_AUTHORITY]),
    default=InvoiceRole.SELLER.value,
    show_default=True,
    help="Sign as the seller (DSCKS/NBan), the buyer (NMua) or another signer (CCKSKhac).",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Output file.")
@HASH_OPTION
@PSS_OPTION
def sign_einvoice(
    file: Path,
    credentials: CredentialChoice,
    role: str,
    out: Path | None,
    hash_algorithm: str,
    pss: bool,
) -> None:
    """Sign the e-invoice FILE (HDon) the way Vietnamese invoices are signed.
    FILE is not changed; the result goes to --out (default: FILE.signed.xml)."""
    target = _output(file, out, ".signed.xml")
    options = InvoiceSignOptions(
        hash_algorithm=HashAlgorithm(hash_algorithm),
        scheme=SignatureScheme.PSS if pss else SignatureScheme.PKCS1V15,
    )
    with open_credential(credentials, display_text=f"Ký hóa đơn {file.name}") as credential:
        data = read_input(file, max_bytes=ParseLimits().max_bytes)
        signed = sign_invoice(data, credential, InvoiceRole(role), options)
    written = write_atomic(target, signed)
    click.echo(f"Signed {file} as {role} → {written}")
    click.echo(f"  {hash_algorithm} · {signer_of(credential.certificate)}")
