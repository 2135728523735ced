"""``vnsign tokens``: the PKCS#11 tokens present, their certificates and keys."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import click

from vnsign.cli._credentials import token_pin
from vnsign.cli._identity import describe
from vnsign.errors import CredentialNotFoundError
from vnsign.pki.pkcs11 import (
    MODULE_ENV,
    PinState,
    TokenInfo,
    list_certificates,
    list_keys,
    list_tokens,
    resolve_module_path,
)

_PIN_STATE = {
    PinState.OK: "",
    PinState.COUNT_LOW: "a wrong PIN was entered since the last login",
    PinState.FINAL_TRY: "ONE try left before the PIN locks",
    PinState.LOCKED: "PIN LOCKED: unblock it with the vendor's tool",
    PinState.TO_BE_CHANGED: "the token asks for a new PIN",
}


@click.command()
@click.option(
    "--module",
    type=click.Path(path_type=Path),
    help=f"The token vendor's PKCS#11 library (default: ${MODULE_ENV}, then SoftHSM2).",
)
@click.option("--token", "token_label", metavar="LABEL", help="Only the token with this label.")
@click.option("--serial", "token_serial", metavar="S", help="Only the token with this serial.")
@click.option(
    "--pin-env",
    metavar="VAR",
    help="Log in with the PIN in environment variable VAR, to list the private keys.",
)
@click.option("--ask-pin", is_flag=True, help="Ask for the PIN, to list the private keys.")
def tokens(
    module: Path | None,
    token_label: str | None,
    token_serial: str | None,
    pin_env: str | None,
    ask_pin: bool,
) -> None:
    """List PKCS#11 tokens with their certificates (no PIN needed) and, after a
    login, their private keys with label, CKA_ID, type and size."""
    path = resolve_module_path(module)
    present = list_tokens(path)
    shown = [
        t
        for t in present
        if (token_label is None or t.label == unicodedata.normalize("NFC", token_label))
        and (token_serial is None or t.serial.lower() == token_serial.strip().lower())
    ]
    if not present:
        click.echo(f"PKCS#11 module: {path}")
        click.echo("  no token (is it plugged in, and its driver installed?)")
        return
    if not shown:
        raise CredentialNotFoundError(
            "no token matches; present: " + "; ".join(t.describe() for t in present)
        )
    login_wanted = pin_env is not None or ask_pin
    if login_wanted and len(shown) > 1:
        raise click.UsageError("several tokens: choose one with --token or --serial to log in")
    click.echo(f"PKCS#11 module: {path}")
    for token in shown:
        _show_token(path, token)
        if not login_wanted:
            click.echo("  Private keys: log in to list them (--pin-env VAR or --ask-pin)")
            continue
        pin = token_pin(None if ask_pin else pin_env, token.label)
        keys = list_keys(path, token_label=token.label, token_serial=token.serial, pin=pin)
        click.echo(f"  Private keys ({len(keys)}):")
        for key in keys:
            size = f" {key.size}" if key.size else ""
            label = f"'{key.label}'" if key.label else "(no label)"
            usable = "" if key.can_sign else "  [cannot sign]"
            click.echo(f"    id {key.id_hex or '-'}  {label}  {key.key_type}{size}{usable}")


def _show_token(path: str, token: TokenInfo) -> None:
    click.echo(
        f"Token '{token.label}'  serial {token.serial or '-'}  "
        f"{token.manufacturer} {token.model}  slot {token.slot}"
    )
    pin = "PIN entered on the reader" if token.pin_pad else "PIN entered on the computer"
    warning = _PIN_STATE[token.pin_state]
    click.echo(f"  {pin}{'  [' + warning + ']' if warning else ''}")
    certs = list_certificates(path, token_label=token.label, token_serial=token.serial)
    click.echo(f"  Certificates ({len(certs)}):")
    # the signer's certificates first, then the CAs shipped with them
    for cert in sorted(certs, key=lambda c: c.identity.is_ca):
        label = f"'{cert.label}'" if cert.label else "(no label)"
        click.echo(f"    id {cert.id_hex or '-'}  {label}")
        click.echo(f"      {describe(cert.identity)}")
        info = cert.identity
        click.echo(
            f"      issuer {info.issuer_common_name or info.issuer} · valid "
            f"{info.not_before:%Y-%m-%d} → {info.not_after:%Y-%m-%d} · "
            f"{info.key_algorithm} {info.key_size}"
        )
