"""``vnsign sign``: one subcommand per format (pdf, xml, einvoice, cades)."""

from __future__ import annotations

import click

from vnsign.cli.sign_cades import sign_cades


@click.group()
def sign() -> None:
    """Sign a document with a PKCS#12 file, a PEM key, a PKCS#11 token or a remote signer."""


# Format subcommands register themselves here, one import and one add_command each.
sign.add_command(sign_cades)
