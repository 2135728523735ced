"""``vnsign sign xml`` and ``vnsign sign einvoice``."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

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
from vnsign.formats.xml.files import read_input, write_atomic
from vnsign.pki.credentials import HashAlgorithm, KeyCredential, SignatureScheme, load_credential
from vnsign.pki.identity import CertificateInfo
from vnsign.pki.timestamps import TimestampClient

__all__ = ["credential_options", "open_credential", "sign_einvoice", "sign_xml"]

_EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_F = TypeVar("_F", bound=Callable[..., Any])


def credential_options(command: _F) -> _F:
    """Add ``--p12``, ``--key``, ``--cert`` and ``--password-env`` to a command."""
    for option in reversed(
        (
            click.option(
                "--p12", type=_EXISTING_FILE, help="PKCS#12 file (.p12/.pfx) with key and chain."
            ),
            click.option(
                "--key", type=_EXISTING_FILE, help="PEM or DER private key (with --cert)."
            ),
            click.option(
                "--cert", type=_EXISTING_FILE, help="Certificates for --key: signer and issuers."
            ),
            click.option(
                "--password-env",
                metavar="VAR",
                help="Environment variable holding the password (else it is asked for).",
            ),
        )
    ):
        command = option(command)
    return command


def open_credential(
    p12: Path | None, key: Path | None, cert: Path | None, password_env: str | None
) -> KeyCredential:
    """The credential named by :func:`credential_options`."""
    if (p12 is None) == (key is None):
        raise click.UsageError("give one key: --p12, or --key with --cert")
    if key is not None and cert is None:
        raise click.UsageError("--key needs --cert")
    if p12 is not None:
        return KeyCredential.from_pkcs12(p12, _password(password_env, p12))
    assert key is not None
    encrypted = b"ENCRYPTED" in key.read_bytes()[:200]
    password = _password(password_env, key) if password_env or encrypted else None
    return load_credential(key, password, certificates=cert)


def _password(variable: str | None, path: Path) -> str | None:
    if variable:
        value = os.environ.get(variable)
        if value is None:
            raise click.UsageError(f"environment variable {variable} is not set")
        return value
    entered: str = click.prompt(
        f"Password of {path.name}", hide_input=True, default="", show_default=False, err=True
    )
    return entered or None


def _hash_option(command: _F) -> _F:
    command = click.option(
        "--pss", is_flag=True, help="RSA-PSS instead of PKCS#1 v1.5 (RSA keys)."
    )(command)
    return click.option(
        "--hash",
        "hash_algorithm",
        type=click.Choice([h.value for h in HashAlgorithm]),
        default=HashAlgorithm.SHA256.value,
        show_default=True,
        help="Digest algorithm.",
    )(command)


def _signed_by(credential: KeyCredential) -> str:
    info = CertificateInfo.from_certificate(credential.certificate)
    ids = "".join(f" · {i}" for i in info.identifiers)
    return f"{info.display_name}{ids}"


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
@_hash_option
@click.option("--xades", is_flag=True, help="XAdES-B-B (SigningCertificateV2, SigningTime).")
@click.option("--tsa", metavar="URL", help="RFC 3161 time-stamping authority: XAdES-B-T.")
@click.option("--lt", is_flag=True, help="XAdES-B-LT: embed certificates and revocation data.")
def sign_xml(
    file: Path,
    p12: Path | None,
    key: Path | None,
    cert: Path | None,
    password_env: str | None,
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
    credential = open_credential(p12, key, cert, password_env)
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
    data = read_input(file, max_bytes=ParseLimits().max_bytes)
    if mode == "enveloped":
        signed = sign_enveloped(data, credential, options)
    elif mode == "enveloping":
        signed = sign_enveloping(data, credential, options)
    else:
        signed = sign_detached(data, file.name, credential, options)
    suffix = ".sig.xml" if mode == "detached" else ".signed.xml"
    written = write_atomic(out or file.with_name(file.stem + suffix), signed)
    kind = f"XAdES-{level}" if xades_options else "XMLDSig"
    click.echo(f"Signed {file} → {written}")
    click.echo(f"  {kind} {mode} · {hash_algorithm} · {_signed_by(credential)}")


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
@_hash_option
def sign_einvoice(
    file: Path,
    p12: Path | None,
    key: Path | None,
    cert: Path | None,
    password_env: str | None,
    role: str,
    out: Path | None,
    hash_algorithm: str,
    pss: bool,
) -> None:
    """Sign the e-invoice FILE (HDon) the way Vietnamese invoices are signed.
    FILE is not changed; the result goes to --out (default: FILE.signed.xml)."""
    credential = open_credential(p12, key, cert, password_env)
    data = read_input(file, max_bytes=ParseLimits().max_bytes)
    options = InvoiceSignOptions(
        hash_algorithm=HashAlgorithm(hash_algorithm),
        scheme=SignatureScheme.PSS if pss else SignatureScheme.PKCS1V15,
    )
    signed = sign_invoice(data, credential, InvoiceRole(role), options)
    written = write_atomic(out or file.with_name(file.stem + ".signed.xml"), signed)
    click.echo(f"Signed {file} as {role} → {written}")
    click.echo(f"  {hash_algorithm} · {_signed_by(credential)}")
