"""``vnsign sign cades``: a detached CAdES signature (``.p7s``) beside any file."""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path

import click

from vnsign.formats.cades import sign_cades_file
from vnsign.pki.credentials import (
    Credential,
    HashAlgorithm,
    KeyCredential,
    SignatureScheme,
    load_credential,
)
from vnsign.pki.identity import CertificateInfo
from vnsign.pki.pkcs11 import open_token_credential
from vnsign.pki.timestamps import TimestampClient

_EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("cades")
@click.argument("file", type=_EXISTING_FILE)
@click.option("--p12", type=_EXISTING_FILE, help="PKCS#12 file (.p12/.pfx) with key and chain.")
@click.option("--key", type=_EXISTING_FILE, help="PEM or DER private key (with --cert).")
@click.option("--cert", type=_EXISTING_FILE, help="Certificates for --key: signer and issuers.")
@click.option(
    "--password-env",
    metavar="VAR",
    help="Environment variable holding the --p12 or --key password (else it is asked for).",
)
@click.option(
    "--module",
    type=click.Path(path_type=Path),
    help="PKCS#11 library of the token's vendor (default: $VNSIGN_PKCS11_MODULE, then SoftHSM2).",
)
@click.option("--token", "token_label", metavar="LABEL", help="Sign with the token so labelled.")
@click.option("--token-serial", metavar="S", help="Sign with the token with this serial.")
@click.option("--key-label", metavar="LABEL", help="Token key (or its certificate) label.")
@click.option("--key-id", metavar="HEX", help="Token key CKA_ID, in hex.")
@click.option(
    "--pin-env", metavar="VAR", help="Environment variable holding the token PIN (else asked)."
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the signature (default: FILE.p7s).",
)
@click.option("--tsa", metavar="URL", help="RFC 3161 time-stamping authority: makes CAdES-B-T.")
@click.option(
    "--hash",
    "hash_algorithm",
    type=click.Choice([h.value for h in HashAlgorithm]),
    default=HashAlgorithm.SHA256.value,
    show_default=True,
    help="Digest algorithm.",
)
@click.option("--pss", is_flag=True, help="RSA-PSS instead of RSA PKCS#1 v1.5 (RSA keys only).")
def sign_cades(
    file: Path,
    p12: Path | None,
    key: Path | None,
    cert: Path | None,
    password_env: str | None,
    module: Path | None,
    token_label: str | None,
    token_serial: str | None,
    key_label: str | None,
    key_id: str | None,
    pin_env: str | None,
    out: Path | None,
    tsa: str | None,
    hash_algorithm: str,
    pss: bool,
) -> None:
    """Sign FILE (any type: .docx, .xlsx, .zip ...) into a detached CAdES
    signature that travels beside it. FILE itself is not changed.

    The key comes from --p12, from --key with --cert, or from a PKCS#11 token
    (--token, --token-serial, --module, --key-label, --key-id).
    """
    token_options = (module, token_label, token_serial, key_label, key_id, pin_env)
    sources = [p12 is not None, key is not None, any(o is not None for o in token_options)]
    if sum(sources) != 1:
        raise click.UsageError("give one key: --p12, --key with --cert, or token options")
    if (key is None) != (cert is None):
        raise click.UsageError("--key and --cert go together")
    timestamper = TimestampClient(tsa) if tsa else None
    with ExitStack() as stack:
        credential: Credential
        if p12 is not None:
            credential = KeyCredential.from_pkcs12(p12, _password(password_env, p12))
        elif key is not None:
            encrypted = b"ENCRYPTED" in key.read_bytes()[:200]
            password = _password(password_env, key) if password_env or encrypted else None
            credential = load_credential(key, password, certificates=cert)
        else:
            pin = None if pin_env else click.prompt("Token PIN", hide_input=True, err=True)
            credential = stack.enter_context(
                open_token_credential(
                    module=module,
                    token_label=token_label,
                    token_serial=token_serial,
                    key_label=key_label,
                    key_id=key_id,
                    pin=pin,
                    pin_env=pin_env,
                )
            )
        written = sign_cades_file(
            file,
            credential,
            output=out,
            hash_algorithm=hash_algorithm,
            scheme=SignatureScheme.PSS if pss else SignatureScheme.PKCS1V15,
            tsa=timestamper,
        )
    info = CertificateInfo.from_certificate(credential.certificate)
    ids = "".join(f" · {i}" for i in info.identifiers)
    level = "CAdES-B-T" if timestamper else "CAdES-B-B"
    scheme = "RSA-PSS" if pss and credential.key_kind == "rsa" else credential.key_kind.upper()
    click.echo(f"Signed {file} → {written}")
    click.echo(
        f"  {level} · {hash_algorithm} · {scheme} {credential.key_size} · {info.display_name}{ids}"
    )


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
