"""Raising signed PDFs to a higher PAdES level, in incremental updates that keep
every existing signature valid.

* B-T: a document time stamp covers any signature that has no time stamp yet
  (ETSI EN 319 142-1 accepts a document time stamp for B-T).
* B-LT: the certificates, OCSP responses and CRLs for every signature and time
  stamp go into the DSS.
* B-LTA: then a document time stamp over all of it; on a document that already
  has one, the validation data of the last time stamp is added first, so the
  archive chain stays unbroken.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography import x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.signers.pdf_signer import PdfTimeStamper, TimestampDSSContentSettings
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.validation.dss import DocumentSecurityStore, collect_validation_info
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError

from vnsign.errors import InputError, MalformedInputError, SigningError, VnsignError
from vnsign.formats.pdf.options import PadesLevel
from vnsign.formats.pdf.output import AtomicOutput, check_paths
from vnsign.formats.pdf.preflight import PARSE_ERRORS, open_pdf
from vnsign.formats.pdf.results import ExtendedPdf
from vnsign.formats.pdf.signing import CHUNK_SIZE
from vnsign.formats.pdf.validation_data import RevocationData, validation_context
from vnsign.pki.timestamps import TimestampClient

__all__ = ["extend_pdf"]


def extend_pdf(
    input: str | Path,
    output: str | Path,
    level: PadesLevel | str,
    *,
    timestamp: TimestampClient | str | None = None,
    trust_roots: Sequence[x509.Certificate] = (),
    revocation: RevocationData | None = None,
    allow_fetching: bool = True,
    password: str | None = None,
    hash_algorithm: str = "sha256",
) -> ExtendedPdf:
    """Raise every signature of ``input`` to ``level`` (B-T, B-LT or B-LTA),
    writing ``output``; the input file is never modified.

    ``timestamp`` (a TSA) is needed for B-T and B-LTA, and for B-LT when a
    signature has no time stamp yet; ``trust_roots`` for B-LT and B-LTA.
    """
    target = PadesLevel.parse(level)
    if target is PadesLevel.B_B:
        raise InputError("a signed PDF is already at least B-B; extend to B-T, B-LT or B-LTA")
    source, destination = Path(input), Path(output)
    check_paths(source, destination)
    client = TimestampClient(timestamp) if isinstance(timestamp, str) else timestamp
    if target is PadesLevel.B_LTA and client is None:
        raise InputError("PAdES B-LTA needs a time-stamping authority (timestamp=URL)")
    context = None
    if target.needs_validation_data:
        context = validation_context(
            trust_roots, revocation=revocation, allow_fetching=allow_fetching
        )
    timestamper = client.as_pyhanko() if client else None
    return asyncio.run(
        _extend(source, destination, target, timestamper, context, password, hash_algorithm)
    )


async def _extend(
    source: Path,
    destination: Path,
    target: PadesLevel,
    timestamper: TimeStamper | None,
    context: ValidationContext | None,
    password: str | None,
    md_algorithm: str,
) -> ExtendedPdf:
    added_timestamp = added_data = False
    try:
        with AtomicOutput(destination, source=source) as handle:
            writer = open_pdf(handle, password)
            signatures, _ = _signatures(writer)
            if not signatures:
                raise SigningError("the PDF has no signature to extend")
            if _needs_timestamp(writer):
                if timestamper is None:
                    raise InputError(
                        "a signature has no time stamp yet; PAdES B-T needs a "
                        "time-stamping authority (timestamp=URL)"
                    )
                await _document_timestamp(writer, timestamper, md_algorithm, None, None)
                added_timestamp = True
                writer = open_pdf(handle, password)
            if context is not None:
                paths = await _validation_paths(writer, context)
                if target is PadesLevel.B_LTA:
                    assert timestamper is not None
                    await _document_timestamp(writer, timestamper, md_algorithm, context, paths)
                    added_timestamp = added_data = True
                else:
                    added_data = _add_dss(writer, context, paths)
    except PyHankoSigningError as exc:
        raise SigningError(f"cannot extend the PDF: {exc}") from exc
    except VnsignError:
        raise
    except PARSE_ERRORS as exc:
        raise MalformedInputError(f"cannot read the signed PDF: {exc}") from exc
    finally:
        if context is not None:
            await context.aclose()  # type: ignore[no-untyped-call]
    return ExtendedPdf(destination, target, added_timestamp, added_data)


def _signatures(writer: IncrementalPdfFileWriter) -> tuple[list[Any], list[Any]]:
    reader = writer.prev
    try:
        return list(reader.embedded_regular_signatures), list(reader.embedded_timestamp_signatures)
    except (*PARSE_ERRORS, SignatureValidationError) as exc:
        raise MalformedInputError(f"cannot read the PDF's signatures: {exc}") from exc


def _needs_timestamp(writer: IncrementalPdfFileWriter) -> bool:
    """Whether some signature has neither its own time stamp nor a document
    time stamp made after it."""
    signatures, stamps = _signatures(writer)
    last_stamp = max((s.signed_revision for s in stamps), default=-1)
    for sig in signatures:
        unsigned = sig.signer_info["unsigned_attrs"]
        has_token = any(
            attr["type"].native == "signature_time_stamp_token" for attr in unsigned or ()
        )
        if not has_token and sig.signed_revision >= last_stamp:
            return True
    return False


async def _validation_paths(
    writer: IncrementalPdfFileWriter, context: ValidationContext
) -> list[Any]:
    signatures, stamps = _signatures(writer)
    paths = []
    for sig in (*signatures, *stamps):
        try:
            paths.extend(await collect_validation_info(sig, context))
        except (PathBuildingError, PathValidationError) as exc:
            raise SigningError(
                f"cannot collect validation data for {sig.field_name!r}: {exc}"
            ) from exc
    return paths


def _add_dss(
    writer: IncrementalPdfFileWriter, context: ValidationContext, paths: list[Any]
) -> bool:
    dss = DocumentSecurityStore.supply_dss_in_writer(
        writer, None, paths=paths, validation_context=context, embed_roots=True
    )
    if dss.modified:
        writer.write_in_place()  # type: ignore[no-untyped-call]
    return bool(dss.modified)


async def _document_timestamp(
    writer: IncrementalPdfFileWriter,
    timestamper: TimeStamper,
    md_algorithm: str,
    context: ValidationContext | None,
    paths: list[Any] | None,
) -> None:
    await PdfTimeStamper(timestamper).async_timestamp_pdf(
        writer,
        md_algorithm,
        validation_context=context,
        validation_paths=paths,
        in_place=True,
        chunk_size=CHUNK_SIZE,
        dss_settings=TimestampDSSContentSettings(update_before_ts=True, include_vri=False),
    )
