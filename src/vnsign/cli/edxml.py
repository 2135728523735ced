"""``vnsign edxml build`` and ``vnsign edxml inspect``."""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path

import click

from vnsign._files import write_atomic
from vnsign.cli._credentials import CredentialChoice, credential_options, open_credential
from vnsign.errors import InputError
from vnsign.formats.edxml import Attachment, EdxmlReport, build_edxml, inspect_edxml
from vnsign.formats.edxml.metadata import message_from_mapping
from vnsign.formats.xml import FindingStatus, ParseLimits
from vnsign.formats.xml.files import read_input

__all__ = ["edxml"]

_EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_MARKS = {
    FindingStatus.PASSED: "ok  ",
    FindingStatus.FAILED: "FAIL",
    FindingStatus.WARNING: "warn",
    FindingStatus.INFO: "info",
    FindingStatus.NOT_APPLICABLE: "n/a ",
}


@click.group()
def edxml() -> None:
    """edXML packages (QCVN 102:2016) for the national document exchange."""


@edxml.command("build")
@click.option(
    "--metadata",
    type=_EXISTING_FILE,
    required=True,
    help="JSON file with the header (sender, recipients, code, promulgation_date, ...).",
)
@click.option(
    "--attach",
    "attachments",
    type=_EXISTING_FILE,
    multiple=True,
    help="A file to attach, usually a signed PDF (repeatable).",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--sign", "sign_envelope", is_flag=True, help="Sign the envelope (needs a key).")
@credential_options
def build(
    metadata: Path,
    attachments: tuple[Path, ...],
    out: Path,
    sign_envelope: bool,
    credentials: CredentialChoice,
) -> None:
    """Build an edXML package from --metadata and --attach files."""
    try:
        fields = json.loads(metadata.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{metadata} is not UTF-8 JSON: {exc}") from exc
    if not isinstance(fields, dict):
        raise InputError(f"{metadata} must hold a JSON object")
    message = message_from_mapping(fields)
    files = [
        Attachment(
            path.name,
            read_input(path, max_bytes=ParseLimits().max_bytes),
            "application/pdf" if path.suffix.lower() == ".pdf" else "application/octet-stream",
        )
        for path in attachments
    ]
    key = open_credential(credentials, display_text=f"Ký gói {out.name}")
    with key if sign_envelope else nullcontext() as credential:
        package = build_edxml(message, files, credential=credential)
    write_atomic(out, package)
    state = "signed" if credential else "unsigned"
    click.echo(f"Wrote {out}: {len(files)} attachment(s), envelope {state}")
    click.echo(f"  DocumentId {message.effective_document_id}")


@edxml.command("inspect")
@click.argument("file", type=_EXISTING_FILE)
@click.option(
    "--extract",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the PDFs found (at any depth) into this folder.",
)
@click.pass_context
def inspect(ctx: click.Context, file: Path, extract: Path | None) -> None:
    """Show the header, rule findings, attachments and signature status of FILE.

    Exits with 1 when a rule fails or the envelope signature is invalid.
    """
    report = inspect_edxml(read_input(file, max_bytes=ParseLimits().max_bytes))
    _show(report, 0)
    if extract is not None:
        extract.mkdir(parents=True, exist_ok=True)
        for number, pdf in enumerate(report.pdfs, start=1):
            name = Path(pdf.name).name or f"attachment-{number}.pdf"
            write_atomic(extract / f"{number:02d}-{name}", pdf.data)
        click.echo(f"Extracted {len(report.pdfs)} PDF(s) into {extract}")
    if not report.valid:
        ctx.exit(1)


def _show(report: EdxmlReport, level: int) -> None:
    pad = "  " * level
    header = report.package.header
    sender = header.sender
    click.echo(
        f"{pad}From:      {sender.organ_id} {sender.organ_name}" if sender else f"{pad}From: -"
    )
    for recipient in header.recipients:
        click.echo(f"{pad}To:        {recipient.organ_id} {recipient.organ_name}")
    click.echo(
        f"{pad}Code:      {header.code_number}/{header.code_notation}"
        f"  date {header.promulgation_date}"
    )
    click.echo(f"{pad}Subject:   {header.subject}")
    click.echo(f"{pad}DocumentId {header.document_id}")
    click.echo(f"{pad}Signature: {report.signature_status}")
    for signature in report.signatures:
        cert = signature.signer_certificate
        who = cert.subject.rfc4514_string() if cert else "no certificate"
        click.echo(f"{pad}  {signature.status} · {who}")
    click.echo(f"{pad}Findings:")
    for finding in report.findings:
        where = f" [{finding.subject}]" if finding.subject else ""
        click.echo(f"{pad}  {_MARKS[finding.status]} {finding.rule_id}{where}: {finding.message}")
    click.echo(f"{pad}Files:")
    for item in report.files:
        click.echo(
            f"{pad}  {'/'.join(item.path)} · {item.kind} · {len(item.data)} bytes"
            f" (declared {item.declared_type or '-'})"
        )
    for nested in report.nested:
        click.echo(f"{pad}Nested package:")
        _show(nested, level + 1)
