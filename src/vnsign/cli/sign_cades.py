"""``vnsign sign cades``: a detached CAdES signature (``.p7s``) beside any file."""

from __future__ import annotations

from pathlib import Path

import click

from vnsign.cli._credentials import (
    HASH_OPTION,
    PSS_OPTION,
    CredentialChoice,
    credential_options,
    open_credential,
    signer_of,
)
from vnsign.formats.cades import sign_cades_file
from vnsign.pki.credentials import SignatureScheme
from vnsign.pki.timestamps import TimestampClient

_EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("cades")
@click.argument("file", type=_EXISTING_FILE)
@credential_options
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the signature (default: FILE.p7s).",
)
@click.option("--tsa", metavar="URL", help="RFC 3161 time-stamping authority: makes CAdES-B-T.")
@HASH_OPTION
@PSS_OPTION
def sign_cades(
    file: Path,
    credentials: CredentialChoice,
    out: Path | None,
    tsa: str | None,
    hash_algorithm: str,
    pss: bool,
) -> None:
    """Sign FILE (any type: .docx, .xlsx, .zip ...) into a detached CAdES
    signature that travels beside it. FILE itself is not changed.

    The key comes from --p12, from --key with --cert, from a PKCS#11 token
    (--token, --token-serial, --module, --key-label, --key-id) or from a remote
    signer (--remote, --service, --user).
    """
    timestamper = TimestampClient(tsa) if tsa else None
    with open_credential(credentials, display_text=f"Ký {file.name}") as credential:
        written = sign_cades_file(
            file,
            credential,
            output=out,
            hash_algorithm=hash_algorithm,
            scheme=SignatureScheme.PSS if pss else SignatureScheme.PKCS1V15,
            tsa=timestamper,
        )
    level = "CAdES-B-T" if timestamper else "CAdES-B-B"
    scheme = "RSA-PSS" if pss and credential.key_kind == "rsa" else credential.key_kind.upper()
    click.echo(f"Signed {file} → {written}")
    signer = signer_of(credential.certificate)
    click.echo(f"  {level} · {hash_algorithm} · {scheme} {credential.key_size} · {signer}")
