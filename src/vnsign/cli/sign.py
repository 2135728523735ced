"""``vnsign sign``: one subcommand per format (pdf, xml, einvoice, cades)."""

from __future__ import annotations

import click

from vnsign.cli._lazy import LazyGroup

# Each format's signing stack is imported only when its subcommand runs.
FORMATS = {
    "cades": "vnsign.cli.sign_cades:sign_cades",
    "einvoice": "vnsign.cli.sign_xml:sign_einvoice",
    "pdf": "vnsign.cli.sign_pdf:pdf",
    "xml": "vnsign.cli.sign_xml:sign_xml",
}


@click.group(cls=LazyGroup, lazy=FORMATS)
def sign() -> None:
    """Sign a document with a PKCS#12 file, a PEM key, a PKCS#11 token or a remote signer."""
