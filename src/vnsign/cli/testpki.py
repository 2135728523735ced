"""``vnsign testpki``: export (and serve) a Vietnamese-style test PKI."""

from __future__ import annotations

import time
from pathlib import Path

import click


@click.group(invoke_without_command=True)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write certificates, keys, PKCS#12 files, CRLs and manifest.json into.",
)
@click.option(
    "--serve", is_flag=True, help="Keep the OCSP, CRL and TSA services running (Ctrl-C stops)."
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65533),
    default=0,
    show_default=True,
    help="First of three consecutive ports (OCSP, CRL, TSA); 0 picks free ones.",
)
@click.option("--password", default="vnsign-test", show_default=True, help="PKCS#12 password.")
@click.pass_context
def testpki(
    ctx: click.Context, out: Path | None, serve: bool, host: str, port: int, password: str
) -> None:
    """Build a throwaway Vietnamese test PKI and write it to a folder.

    The certificates point at OCSP, CRL and TSA services on HOST:PORT; with
    --serve those services keep answering until you stop the command.
    """
    if ctx.invoked_subcommand is not None:
        return
    if out is None:
        raise click.UsageError("give --out DIR (where to write the test PKI)")
    from vnsign.testing import TestPKI, Variant

    with TestPKI(host=host, port=port) as pki:
        pki.variant(Variant.REVOKED, label="revoked-person")
        manifest = pki.export(out, password=password.encode())
        click.echo(
            f"Wrote {len(pki.identities)} certificates with keys, {len(pki.cas)} CAs "
            f"and their CRLs to {out} (see {manifest.name})."
        )
        for name, url in pki.services.urls().items():
            click.echo(f"  {name:<20} {url}")
        if not serve:
            click.echo("Services stopped (use --serve to keep them running).")
            return
        click.echo("Serving; press Ctrl-C to stop.")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            click.echo("Stopped.")


from vnsign.cli import serve_remote as _serve_remote  # noqa: E402, F401 - adds "serve-remote"
