"""One confirmation on the phone for a batch mixing PDFs and XML documents.

::

    from vnsign.formats.deferred import sign_documents
    from vnsign.formats.pdf import Nd30Appearance, SignatureImage
    from vnsign.formats.pdf.deferred import DeferredPdfJob
    from vnsign.formats.xml.deferred import XmlJob

    record = sign_documents(engine, "001089000001", [
        DeferredPdfJob(Path("qd-12.pdf"), Path("qd-12.signed.pdf"), "Quyết định 12/QĐ-UBND",
                       appearance=Nd30Appearance(image=SignatureImage.from_file("chu-ky.png"))),
        XmlJob(Path("hd-7.xml"), Path("hd-7.signed.xml"), "Hóa đơn 7", kind="einvoice"),
    ])
    record.raise_for_state()

Every document is prepared (vnsign's PDF signer for a
:class:`~vnsign.formats.pdf.deferred.DeferredPdfJob`, pyHanko's interrupted
signing for a plain :class:`~vnsign.pki.remote.deferred_pdf.PdfJob`, the
``SignedInfo`` digest for XMLs), all digests go in one request, and each value
is embedded only after the engine's checks; a batch larger than the provider
allows is refused before anything is prepared, never split. A transaction
finished in another process (``vnsign remote resume``) goes through
:func:`finish_documents`, which knows every kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Unpack

from cryptography import x509

from vnsign.errors import InputError
from vnsign.formats.pdf.deferred import PADES_HANDLER, DeferredPdfJob, DeferredPdfPreparer
from vnsign.formats.pdf.validation_data import RevocationData
from vnsign.formats.xml.deferred import XML_HANDLER, XmlJob, xml_preparer
from vnsign.pki.credentials import SignatureScheme
from vnsign.pki.remote._sync import run_sync
from vnsign.pki.remote.deferred_pdf import (
    PDF_HANDLER,
    AttachmentHandler,
    BatchOptions,
    PdfJob,
    PreparedDocument,
    async_finish_attachments,
    async_sign_prepared,
    discard_attachments,
    pdf_preparer,
    run_closing,
)
from vnsign.pki.remote.engine import RemoteSigningEngine
from vnsign.pki.remote.model import RemoteAccount, TransactionRecord
from vnsign.pki.remote.store import TransactionStore

__all__ = [
    "HANDLERS",
    "MixedJob",
    "async_finish_documents",
    "async_sign_documents",
    "discard_documents",
    "finish_documents",
    "sign_documents",
]

#: A document of a mixed batch.
MixedJob = DeferredPdfJob | PdfJob | XmlJob
#: Everything a deferred transaction may hold: prepared PDFs and XML documents.
HANDLERS: tuple[AttachmentHandler, ...] = (PADES_HANDLER, PDF_HANDLER, XML_HANDLER)


async def async_sign_documents(
    engine: RemoteSigningEngine,
    user: str,
    jobs: Sequence[MixedJob],
    *,
    reason: str | None = None,
    location: str | None = None,
    timestamp_url: str | None = None,
    trust_roots: Sequence[x509.Certificate] = (),
    revocation: RevocationData | None = None,
    allow_fetching: bool = True,
    **options: Unpack[BatchOptions],
) -> TransactionRecord:
    """Sign PDFs and XML documents with one confirmation on ``user``'s phone
    (``options``: :class:`~vnsign.pki.remote.deferred_pdf.BatchOptions`).

    ``timestamp_url`` is the TSA of the PDFs (B-T and above); ``trust_roots``,
    ``revocation`` and ``allow_fetching`` give the validation data of
    :class:`~vnsign.formats.pdf.deferred.DeferredPdfJob` at B-LT and B-LTA;
    ``reason`` and ``location`` are for plain
    :class:`~vnsign.pki.remote.deferred_pdf.PdfJob` (a ``DeferredPdfJob``
    carries its own :class:`~vnsign.formats.pdf.SignOptions`). Each
    :class:`~vnsign.formats.xml.deferred.XmlJob` carries its own options (their
    RSA scheme must be the batch's, their hash the PDFs'). Outputs are written
    only when the transaction COMPLETED, all of them or none.
    """
    strays = [job for job in jobs if not isinstance(job, DeferredPdfJob | PdfJob | XmlJob)]
    if strays:
        raise InputError(
            f"a batch holds DeferredPdfJob, PdfJob and XmlJob items, not {type(strays[0]).__name__}"
        )
    scheme = options.get("scheme", SignatureScheme.PKCS1V15)
    pdf = pdf_preparer(scheme=scheme, reason=reason, location=location, timestamp_url=timestamp_url)
    pades = DeferredPdfPreparer(
        timestamp=timestamp_url,
        trust_roots=trust_roots,
        revocation=revocation,
        allow_fetching=allow_fetching,
        scheme=scheme,
    )
    xml = xml_preparer(scheme=scheme)

    async def prepare(
        job: MixedJob, account: RemoteAccount, work_dir: Path, item_id: str
    ) -> PreparedDocument:
        if isinstance(job, XmlJob):
            return await xml(job, account, work_dir, item_id)
        if isinstance(job, DeferredPdfJob):
            return await pades(job, account, work_dir, item_id)
        return await pdf(job, account, work_dir, item_id)

    try:
        return await async_sign_prepared(engine, user, jobs, prepare, HANDLERS, **options)
    finally:
        await pades.aclose()


def sign_documents(
    engine: RemoteSigningEngine,
    user: str,
    jobs: Sequence[MixedJob],
    **options: Any,
) -> TransactionRecord:
    """Synchronous :func:`async_sign_documents` (same keyword options)."""
    return run_closing(engine, async_sign_documents(engine, user, jobs, **options))


async def async_finish_documents(
    record: TransactionRecord, store: TransactionStore | None = None
) -> list[Path]:
    """Embed the verified values of a COMPLETED transaction into every prepared
    PDF and XML document it holds (see
    :func:`~vnsign.pki.remote.deferred_pdf.async_finish_attachments`)."""
    return await async_finish_attachments(record, store, HANDLERS)


def finish_documents(
    record: TransactionRecord, store: TransactionStore | None = None
) -> list[Path]:
    """Synchronous :func:`async_finish_documents`."""
    return run_sync(async_finish_documents(record, store))


def discard_documents(record: TransactionRecord, store: TransactionStore | None = None) -> None:
    """Delete the prepared PDFs and XML documents of a transaction that ended
    without signatures."""
    discard_attachments(record, store, HANDLERS)
