"""``vnsign sign pdf`` and ``vnsign extend``: PAdES signatures in the forms of
Decree 30/2020, and raising signed PDFs to a higher PAdES level."""

from __future__ import annotations

import os
from pathlib import Path

import click
from click.core import ParameterSource
from cryptography import x509

from vnsign.cli._credentials import (
    HASH_OPTION,
    CredentialChoice,
    CredentialSource,
    credential_options,
    open_credential,
    signer_of,
)
from vnsign.cli.remote import remote_sign_pdfs
from vnsign.errors import InputError
from vnsign.formats.pdf import (
    INVISIBLE,
    Appearance,
    Box,
    CopyForm,
    CustomAppearance,
    DocMdpPermission,
    ExistingField,
    FieldLock,
    Nd30Appearance,
    NearText,
    OnPage,
    OverSignature,
    PadesLevel,
    Placement,
    Role,
    Side,
    SignatureImage,
    SignerBlock,
    SignOptions,
    SubFilter,
    Unit,
    extend_pdf,
    sign_pdf,
)
from vnsign.formats.pdf.output import check_paths
from vnsign.pki.certificates import load_certificates
from vnsign.pki.credentials import HashAlgorithm

__all__ = ["extend", "pdf"]

_EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_LEVELS = [level.value for level in PadesLevel]
_COPY_FORMS = {
    "sao-y": CopyForm.SAO_Y,
    "sao-luc": CopyForm.SAO_LUC,
    "trich-sao": CopyForm.TRICH_SAO,
}
_CERTIFY = {
    "no-changes": DocMdpPermission.NO_CHANGES,
    "fill-forms": DocMdpPermission.FILL_FORMS,
    "annotate": DocMdpPermission.ANNOTATE,
}
#: Options that ask for a visible signature; with ``--remote`` and none of them
#: the signature stays invisible, as it always was there.
_APPEARANCE_PARAMETERS = frozenset(
    {
        "role", "image", "image_width_mm", "image_height_mm", "number", "copy_form",
        "agency", "text_block", "font", "lines", "page", "box", "unit", "anchor",
        "anchor_side", "signer_name", "title", "field", "over",
    }
)  # fmt: skip

_TSA = click.option("--tsa", metavar="URL", help="RFC 3161 time-stamping authority.")
_TRUST_ROOTS = click.option(
    "--trust-root",
    "trust_roots",
    multiple=True,
    type=_EXISTING_FILE,
    help="Trust anchor certificate file (PEM/DER); needed for B-LT and B-LTA. Repeatable.",
)
_PDF_PASSWORD = click.option(
    "--pdf-password-env", metavar="VAR", help="Variable holding the PDF's password."
)


@click.command("pdf")
@click.argument("files", metavar="FILE...", nargs=-1, required=True, type=_EXISTING_FILE)
@credential_options
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Default: FILE.signed.pdf."
)
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.PERSON.value,
    show_default=True,
    help="Decree 30 role: competent person, agency seal, attachment file, electronic copy.",
)
@click.option(
    "--level",
    type=click.Choice(_LEVELS, case_sensitive=False),
    help="PAdES level (default: B-T with --tsa, else B-B).",
)
@_TSA
@_TRUST_ROOTS
@click.option("--image", type=_EXISTING_FILE, help="PNG of the handwritten signature or seal.")
@click.option("--image-width-mm", type=float, help="Printed width of --image.")
@click.option("--image-height-mm", type=float, help="Printed height of --image.")
@click.option("--number", help="Attachment: number and notation of the main document.")
@click.option(
    "--copy-form",
    type=click.Choice(list(_COPY_FORMS)),
    default="sao-y",
    show_default=True,
    help="Copy: SAO Y, SAO LỤC or TRÍCH SAO.",
)
@click.option("--agency", help="Copy / text block: agency name (default: from the certificate).")
@click.option("--text-block", is_flag=True, help="Add signer and time beside the image.")
@click.option("--font", type=_EXISTING_FILE, help="TrueType font instead of the bundled Tinos.")
@click.option("--invisible", is_flag=True, help="No visible appearance.")
@click.option(
    "--text",
    "lines",
    multiple=True,
    metavar="LINE",
    help="Custom appearance line ({time}, {signer}, {organization}). Repeatable.",
)
@click.option("--page", type=int, help="Page for --box (default 1) or --anchor (default: any).")
@click.option("--box", metavar="LEFT,TOP,WIDTH,HEIGHT", help="Box from the page's top left.")
@click.option(
    "--unit",
    type=click.Choice([u.value for u in Unit]),
    default="mm",
    show_default=True,
    help="Unit of --box.",
)
@click.option("--anchor", metavar="TEXT", help="Place next to this text on the page.")
@click.option(
    "--anchor-side",
    type=click.Choice([s.value for s in Side]),
    default=Side.BELOW.value,
    show_default=True,
    help="Side of --anchor.",
)
@click.option("--signer-name", help="Person: the name line to sign above (default: cert CN).")
@click.option("--title", help="Person: the position line to sign below (e.g. 'CHỦ TỊCH').")
@click.option("--field", help="Sign the existing empty signature field with this name.")
@click.option("--over", metavar="FIELD", help="Organization: the signature to put the seal over.")
@click.option("--reason", help="Reason for signing.")
@click.option("--location", help="Place of signing.")
@click.option(
    "--certify",
    type=click.Choice(list(_CERTIFY)),
    help="Make a certification (DocMDP) signature allowing only this.",
)
@click.option("--lock-fields", is_flag=True, help="Lock all form fields once signed.")
@HASH_OPTION
@click.option("--pkcs7", is_flag=True, help="adbe.pkcs7.detached instead of PAdES (B-B, B-T).")
@_PDF_PASSWORD
@click.option("--force", is_flag=True, help="Seal a document no person has signed yet.")
@click.option(
    "--no-check-images", is_flag=True, help="Accept images that are not blue/red transparent PNGs."
)
def pdf(
    files: tuple[Path, ...],
    credentials: CredentialChoice,
    out: Path | None,
    role: str,
    level: str | None,
    tsa: str | None,
    trust_roots: tuple[Path, ...],
    image: Path | None,
    image_width_mm: float | None,
    image_height_mm: float | None,
    number: str | None,
    copy_form: str,
    agency: str | None,
    text_block: bool,
    font: Path | None,
    invisible: bool,
    lines: tuple[str, ...],
    page: int | None,
    box: str | None,
    unit: str,
    anchor: str | None,
    anchor_side: str,
    signer_name: str | None,
    title: str | None,
    field: str | None,
    over: str | None,
    reason: str | None,
    location: str | None,
    certify: str | None,
    lock_fields: bool,
    hash_algorithm: str,
    pkcs7: bool,
    pdf_password_env: str | None,
    force: bool,
    no_check_images: bool,
) -> None:
    """Sign the PDF FILE in the Decree 30/2020 form of --role, at a PAdES level.

    FILE is never changed; the signed copy goes to --out. Without a placement
    option the signature goes where Decree 30 puts it: a person between the
    position line and the name, a seal over the left third of the person's
    signature, attachments and copies at the top right of page 1.

    With --remote the person confirms on the phone once for every FILE given
    (each signed into FILE.signed.pdf), with the same options; without --role,
    an image, text or placement option the signature is invisible. An
    interrupted run is finished with vnsign remote resume TX_ID.
    """
    remote = credentials.source() is CredentialSource.REMOTE
    if len(files) > 1 and not remote:
        raise click.UsageError(
            "several FILEs go with --remote (one confirmation for all); with a key or a "
            "token, sign one PDF per command (--out, placement and the role are per document)"
        )
    chosen_role = Role(role)
    picture = (
        SignatureImage.from_file(image, width_mm=image_width_mm, height_mm=image_height_mm)
        if image
        else None
    )
    appearance: Appearance
    if invisible or (remote and not _given(_APPEARANCE_PARAMETERS)):
        appearance = INVISIBLE
    elif lines:
        appearance = CustomAppearance(lines=lines, image=picture, font=font)
    else:
        appearance = Nd30Appearance(
            image=picture,
            document_number=number,
            copy_form=_COPY_FORMS[copy_form],
            agency=agency,
            text_block=text_block,
            font=font,
        )
    placement = _placement(page, box, unit, anchor, anchor_side, signer_name, title, field, over)
    chosen_level = PadesLevel.parse(level) if level else PadesLevel.B_T if tsa else PadesLevel.B_B
    options = SignOptions(
        reason=reason,
        location=location,
        certify=_CERTIFY[certify] if certify else None,
        lock=FieldLock() if lock_fields else None,
        hash_algorithm=HashAlgorithm(hash_algorithm),
        subfilter=SubFilter.PKCS7 if pkcs7 else SubFilter.PADES,
        force=force,
        check_images=not no_check_images,
    )
    if remote:
        _sign_remotely(
            files,
            credentials,
            out,
            tsa,
            _roots(trust_roots),
            role=chosen_role,
            level=chosen_level,
            appearance=appearance,
            placement=placement,
            password=_env(pdf_password_env),
            options=options,
        )
        return
    (file,) = files
    target = out or _default_output(file)
    check_paths(file, target)
    with open_credential(credentials, display_text=f"Ký {file.name}") as credential:
        result = sign_pdf(
            file,
            target,
            credential,
            role=chosen_role,
            level=chosen_level,
            appearance=appearance,
            placement=placement,
            timestamp=tsa,
            trust_roots=_roots(trust_roots),
            password=_env(pdf_password_env),
            options=options,
        )
    where = f"page {result.page}" if result.page else "invisible"
    click.echo(f"Signed {file} → {result.path}")
    click.echo(
        f"  PAdES {result.level} · {result.role} · {where} · field {result.field_name}"
        f" · {signer_of(credential.certificate)}"
    )
    click.echo(f"  signing time {result.signing_time.isoformat()}")


def _sign_remotely(
    files: tuple[Path, ...],
    credentials: CredentialChoice,
    out: Path | None,
    tsa: str | None,
    trust_roots: list[x509.Certificate],
    *,
    role: Role,
    level: PadesLevel,
    appearance: Appearance,
    placement: Placement | None,
    password: str | None,
    options: SignOptions,
) -> None:
    """``vnsign sign pdf --remote``: deferred signing, one confirmation for all
    ``files``, each getting the signature the keyword arguments describe."""
    if level is PadesLevel.B_LTA and password is not None:
        raise click.UsageError(
            "--pdf-password-env with --level B-LTA: the document time stamp is added after "
            "the confirmation and needs the file's key, which vnsign never writes down; "
            "sign at B-LT and raise the signed PDF with vnsign extend"
        )
    if level.needs_timestamp and not tsa:
        raise click.UsageError(f"PAdES {level} needs --tsa")
    if level.needs_validation_data and not trust_roots:
        raise click.UsageError(f"PAdES {level} needs --trust-root")
    if out is not None and len(files) > 1:
        raise click.UsageError("--out is for one FILE; several are signed into FILE.signed.pdf")
    outputs = [out] if out is not None else [_default_output(f) for f in files]
    _check_batch_paths(files, outputs)
    assert credentials.remote and credentials.service and credentials.user  # source() did
    record = remote_sign_pdfs(
        files,
        outputs,
        remote=credentials.remote,
        service=credentials.service,
        user=credentials.user,
        store=credentials.remote_store,
        role=role,
        level=level,
        appearance=appearance,
        placement=placement,
        options=options,
        password=password,
        timestamp_url=tsa if level.needs_timestamp else None,
        trust_roots=trust_roots,
        timeout=credentials.remote_timeout,
    )
    for source, output in zip(files, outputs, strict=True):
        click.echo(f"Signed {source} → {output}")
    shown = "invisible" if appearance is INVISIBLE else str(role)
    click.echo(
        f"  PAdES {level} · {shown} · {credentials.remote} transaction {record.tx_id}"
        f" · {signer_of(record.certificate)}"
    )


def _given(names: frozenset[str]) -> bool:
    """Whether any of the options ``names`` was given on the command line."""
    ctx = click.get_current_context()
    return any(
        param.name in names and ctx.get_parameter_source(param.name) is not ParameterSource.DEFAULT
        for param in ctx.command.params
    )


def _check_batch_paths(files: tuple[Path, ...], outputs: list[Path]) -> None:
    inputs = {f.resolve() for f in files}
    written: set[Path] = set()
    for source, output in zip(files, outputs, strict=True):
        check_paths(source, output)
        target = output.resolve()
        if target in inputs or target in written:
            raise InputError(
                f"{output} is an input or another file's output; vnsign never changes an input file"
            )
        written.add(target)


def _default_output(file: Path) -> Path:
    return file.with_name(file.stem + ".signed.pdf")


@click.command("extend")
@click.argument("file", type=_EXISTING_FILE)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Default: FILE.extended.pdf."
)
@click.option(
    "--level",
    type=click.Choice(_LEVELS[1:], case_sensitive=False),
    default=PadesLevel.B_LTA.value,
    show_default=True,
    help="PAdES level to reach.",
)
@_TSA
@_TRUST_ROOTS
@_PDF_PASSWORD
def extend(
    file: Path,
    out: Path | None,
    level: str,
    tsa: str | None,
    trust_roots: tuple[Path, ...],
    pdf_password_env: str | None,
) -> None:
    """Raise every signature of the signed PDF FILE to a higher PAdES level
    (B-T, B-LT, B-LTA), in incremental updates that keep the signatures valid."""
    result = extend_pdf(
        file,
        out or file.with_name(file.stem + ".extended.pdf"),
        level,
        timestamp=tsa,
        trust_roots=_roots(trust_roots),
        password=_env(pdf_password_env),
    )
    added = [
        what
        for what, done in (
            ("document time stamp", result.added_timestamp),
            ("validation data", result.added_validation_data),
        )
        if done
    ]
    click.echo(f"Extended {file} → {result.path}")
    click.echo(f"  PAdES {result.level} · added: {', '.join(added) or 'nothing (already there)'}")


def _placement(
    page: int | None,
    box: str | None,
    unit: str,
    anchor: str | None,
    anchor_side: str,
    signer_name: str | None,
    title: str | None,
    field: str | None,
    over: str | None,
) -> Placement | None:
    chosen = [
        name
        for name, value in (
            ("--box", box),
            ("--anchor", anchor),
            ("--signer-name/--title", signer_name or title),
            ("--field", field),
            ("--over", over),
        )
        if value
    ]
    if len(chosen) > 1:
        raise click.UsageError(f"choose one placement, not {' and '.join(chosen)}")
    if box:
        try:
            left, top, width, height = (float(v) for v in box.split(","))
        except ValueError as exc:
            raise click.UsageError("--box takes LEFT,TOP,WIDTH,HEIGHT (numbers)") from exc
        return OnPage(Box(left, top, width, height, Unit(unit)), page=page or 1)
    if anchor:
        return NearText(anchor, side=Side(anchor_side), page=page)
    if signer_name or title:
        return SignerBlock(name=signer_name, title=title, page=page)
    if field:
        return ExistingField(field)
    if over:
        return OverSignature(field=over)
    return None


def _roots(paths: tuple[Path, ...]) -> list[x509.Certificate]:
    return [cert for path in paths for cert in load_certificates(path)]


def _env(variable: str | None) -> str | None:
    if not variable:
        return None
    value = os.environ.get(variable)
    if value is None:
        raise click.UsageError(f"environment variable {variable} is not set")
    return value
