"""Deferred (remote) PDF signing with the Decree 30 forms and every PAdES level.

The PDF signer's own two steps (:mod:`vnsign.formats.pdf.preparing`,
:mod:`vnsign.formats.pdf.finishing`), split across the time the person takes
to confirm on the phone, possibly in different processes:

1. prepare — role, appearance, placement, certification and locks, the signing
   time (shown and claimed, fixed now), the DSS of B-LT, ``/Contents`` sized
   for the real chain, a real time-stamp token and the revocation data; the
   digest of the CMS signed attributes is the item sent to the provider. Saved
   next to the transaction record: the prepared PDF (``<item>.prepared.pdf``)
   and a JSON state (``<item>.prepared.json``, format :data:`STATE_FORMAT`:
   item id, label, output path, SHA-256 of the prepared PDF and the
   :class:`~vnsign.formats.pdf.pending.PendingPdfSignature`), no secret, no
   pickle;
2. the remote engine gets the value approved and checked;
3. finish — the value is checked again against the certificate and the exact
   signed attributes, wrapped in the CMS with its signature time stamp (B-T),
   written into ``/Contents``, then the B-LTA document time stamp is added; the
   output is written atomically.

:class:`DeferredPdfJob` goes through the batch flow of
:mod:`vnsign.pki.remote.deferred_pdf` (one confirmation for every document),
alone (:func:`sign_deferred_pdfs`) or mixed with XML documents
(:func:`vnsign.formats.deferred.sign_documents`); :data:`PADES_HANDLER`
finishes what a resumed transaction left (``vnsign remote resume``).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, ClassVar, Unpack

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from vnsign.errors import MalformedInputError, VnsignError
from vnsign.formats.pdf.finishing import CHUNK_SIZE, FinishingTools, async_finish, check_value
from vnsign.formats.pdf.options import Appearance, PadesLevel, Role, SignOptions
from vnsign.formats.pdf.output import AtomicOutput, check_paths
from vnsign.formats.pdf.pending import PendingPdfSignature
from vnsign.formats.pdf.placement import Placement
from vnsign.formats.pdf.preflight import PARSE_ERRORS
from vnsign.formats.pdf.preparing import PdfPreparer
from vnsign.formats.pdf.results import SignedPdf
from vnsign.formats.pdf.validation_data import RevocationData
from vnsign.pki.credentials import HashAlgorithm, SignatureScheme
from vnsign.pki.remote.deferred_pdf import (
    AttachmentHandler,
    BatchOptions,
    PreparedFileHandler,
    PreparedPendingFile,
    async_sign_prepared,
    run_closing,
)
from vnsign.pki.remote.engine import RemoteSigningEngine
from vnsign.pki.remote.model import DigestItem, RemoteAccount, TransactionRecord
from vnsign.pki.timestamps import TimestampClient

__all__ = [
    "PADES_ATTACHMENT",
    "PADES_HANDLER",
    "STATE_FORMAT",
    "DeferredPdfJob",
    "DeferredPdfPreparer",
    "PreparedPdfFile",
    "async_embed_pdf_file",
    "async_finish_pdf_file",
    "async_prepare_pdf_job",
    "async_sign_deferred_pdfs",
    "sign_deferred_pdfs",
]

#: The attachment kind of a PDF prepared by vnsign's PDF signer (the item sent is a ``pdf``).
PADES_ATTACHMENT = "pades"
STATE_FORMAT = "vnsign-prepared-pades-file/1"
_ITEM_KIND = "pdf"


@dataclass(frozen=True)
class DeferredPdfJob:
    """One PDF to sign remotely: where it is, where the signed copy goes, what
    the phone calls it, and the signature to add, as for
    :class:`~vnsign.formats.pdf.signing.SignJob` (``appearance=None``: the
    Decree 30 appearance of ``role``; ``placement=None``: its Decree 30
    position). ``password`` opens an encrypted PDF while preparing; it is never
    written down."""

    source: Path
    output: Path
    label: str
    role: Role = Role.PERSON
    level: PadesLevel = PadesLevel.B_B
    appearance: Appearance | None = None
    placement: Placement | None = None
    options: SignOptions = field(default_factory=SignOptions)
    password: str | None = field(default=None, repr=False)
    item_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "source", Path(self.source))
        object.__setattr__(self, "output", Path(self.output))
        object.__setattr__(self, "role", Role(self.role))
        object.__setattr__(self, "level", PadesLevel.parse(self.level))


@dataclass(frozen=True)
class PreparedPdfFile(PreparedPendingFile):
    """A PDF prepared by vnsign's PDF signer and saved beside a transaction
    record, waiting for its signature value."""

    kind: ClassVar[str] = PADES_ATTACHMENT
    state_format: ClassVar[str] = STATE_FORMAT
    noun: ClassVar[str] = "PDF"
    signature: PendingPdfSignature

    @property
    def digest(self) -> bytes:
        """What the provider signs: the digest of the DER signed attributes."""
        return self.signature.digest

    @property
    def hash_algorithm(self) -> HashAlgorithm:
        """The hash of the signature."""
        return self.signature.hash_algorithm

    def item(self) -> DigestItem:
        """The engine item: a ``pdf`` for the provider."""
        return DigestItem(self.item_id, self.label, self.digest, self.hash_algorithm, _ITEM_KIND)

    @classmethod
    def _pending_from_json(cls, data: Any) -> PendingPdfSignature:
        return PendingPdfSignature.from_json(data)


async def async_prepare_pdf_job(
    job: DeferredPdfJob, preparer: PdfPreparer, work_dir: Path, *, item_id: str
) -> PreparedPdfFile:
    """Prepare ``job`` with ``preparer`` (built on the signer's certificate) and
    save the prepared PDF and its state in ``work_dir``.

    Refused here, before anything is sent: what signing ``job`` now would refuse,
    and what cannot be finished later (an encrypted PDF whose MAC or B-LTA time
    stamp needs its key, a TSA that needs credentials)."""
    check_paths(job.source, job.output)
    work_dir.mkdir(parents=True, exist_ok=True)
    prepared_path = work_dir / f"{item_id}.prepared.pdf"
    try:
        digest = job.options.hash_algorithm.value
        output = AtomicOutput(prepared_path, source=job.source, digest=digest)
        with output as handle:
            with open(job.source, "rb") as text_source:
                preparation = await preparer.async_prepare(
                    handle,
                    role=job.role,
                    level=job.level,
                    appearance=job.appearance,
                    placement=job.placement,
                    options=job.options,
                    password=job.password,
                    text_source=text_source,
                    copied=output.copy_digest,
                )
            preparation.release()
            pending = preparation.pending
            pending.to_json()  # refuses what cannot be written down, before the file is kept
            sha256 = _sha256(handle)
    except VnsignError:
        raise
    except PARSE_ERRORS as exc:
        raise MalformedInputError(f"cannot prepare {job.label}: {exc}") from exc
    saved = PreparedPdfFile(
        item_id=item_id,
        label=job.label,
        state_path=work_dir / f"{item_id}.prepared.json",
        prepared_path=prepared_path,
        prepared_sha256=sha256,
        output=job.output,
        signature=pending,
    )
    saved.save()
    return saved


async def async_embed_pdf_file(prepared: PreparedPdfFile, signature: bytes) -> bytes:
    """The signed PDF: ``signature`` checked against the certificate and the
    exact signed attributes (:class:`~vnsign.errors.RemoteResponseError` if it
    does not fit), embedded in the prepared PDF (refused if it changed since it
    was prepared), time-stamped as its level asks."""
    pending = prepared.signature
    value = check_value(pending, signature)
    buffer = io.BytesIO(prepared.prepared_bytes())
    tools = FinishingTools.rebuild(pending)
    try:
        await async_finish(buffer, pending, value, tools)
    finally:
        await tools.aclose()
    return buffer.getvalue()


async def async_finish_pdf_file(prepared: PreparedPdfFile, signature: bytes) -> SignedPdf:
    """:func:`async_embed_pdf_file` straight into ``prepared.output``: a copy of
    the prepared PDF in the output's folder, checked, finished in place,
    ``fsync``'ed and renamed (never read whole into memory)."""
    pending = prepared.signature
    value = check_value(pending, signature)
    check_paths(prepared.prepared_path, prepared.output)
    tools = FinishingTools.rebuild(pending)
    try:
        with AtomicOutput(prepared.output, source=prepared.prepared_path) as handle:
            if _sha256(handle) != prepared.prepared_sha256:
                raise MalformedInputError(
                    f"the prepared PDF {prepared.prepared_path} changed after it was prepared"
                )
            size = await async_finish(handle, pending, value, tools)
    finally:
        await tools.aclose()
    return pending.signed(prepared.output, size)


def _sha256(handle: BinaryIO) -> str:
    handle.seek(0)
    digest = hashlib.sha256()
    while chunk := handle.read(CHUNK_SIZE):
        digest.update(chunk)
    handle.seek(0)
    return digest.hexdigest()


#: Handles :data:`PADES_ATTACHMENT` attachments.
PADES_HANDLER: AttachmentHandler = PreparedFileHandler(
    PADES_ATTACHMENT, PreparedPdfFile.load, async_embed_pdf_file
)


class DeferredPdfPreparer:
    """The :data:`~vnsign.pki.remote.deferred_pdf.Preparer` of
    :class:`DeferredPdfJob`: one :class:`~vnsign.formats.pdf.preparing.PdfPreparer`
    per account, so a batch pays once for the CMS parts, the time-stamp token
    that sizes ``/Contents`` and the revocation data. ``timestamp`` (B-T and
    above), ``trust_roots``, ``revocation`` and ``allow_fetching`` (B-LT,
    B-LTA) are as for :class:`~vnsign.formats.pdf.signing.PdfSigningService`.
    Call :meth:`aclose` after the batch."""

    def __init__(
        self,
        *,
        timestamp: TimestampClient | str | None = None,
        trust_roots: Sequence[x509.Certificate] = (),
        revocation: RevocationData | None = None,
        allow_fetching: bool = True,
        scheme: SignatureScheme = SignatureScheme.PKCS1V15,
    ) -> None:
        self._settings = (timestamp, tuple(trust_roots), revocation, allow_fetching, scheme)
        self._preparers: dict[bytes, PdfPreparer] = {}

    def preparer(self, account: RemoteAccount) -> PdfPreparer:
        """The preparer of ``account``'s signatures (made on first use)."""
        key = account.certificate.fingerprint(hashes.SHA256())
        found = self._preparers.get(key)
        if found is None:
            timestamp, roots, revocation, fetching, scheme = self._settings
            found = PdfPreparer(
                account,
                timestamp=timestamp,
                trust_roots=roots,
                revocation=revocation,
                allow_fetching=fetching,
                scheme=scheme,
            )
            self._preparers[key] = found
        return found

    async def __call__(
        self, job: DeferredPdfJob, account: RemoteAccount, work_dir: Path, item_id: str
    ) -> PreparedPdfFile:
        """Prepare ``job`` for ``account`` in ``work_dir`` under ``item_id``."""
        return await async_prepare_pdf_job(job, self.preparer(account), work_dir, item_id=item_id)

    async def aclose(self) -> None:
        """Release the network sessions of the validation contexts."""
        for preparer in self._preparers.values():
            await preparer.aclose()


async def async_sign_deferred_pdfs(
    engine: RemoteSigningEngine,
    user: str,
    jobs: Sequence[DeferredPdfJob],
    *,
    timestamp: TimestampClient | str | None = None,
    trust_roots: Sequence[x509.Certificate] = (),
    revocation: RevocationData | None = None,
    allow_fetching: bool = True,
    **options: Unpack[BatchOptions],
) -> TransactionRecord:
    """Sign ``jobs`` with one confirmation on ``user``'s phone (``options``:
    :class:`~vnsign.pki.remote.deferred_pdf.BatchOptions`).

    Writes the signed PDFs only when the transaction COMPLETED, all of them or
    none; otherwise removes the prepared copies and returns the record (call
    ``raise_for_state`` for an exception). Refuses, before preparing anything,
    more documents than one approval may cover."""
    preparer = DeferredPdfPreparer(
        timestamp=timestamp,
        trust_roots=trust_roots,
        revocation=revocation,
        allow_fetching=allow_fetching,
        scheme=options.get("scheme", SignatureScheme.PKCS1V15),
    )
    try:
        return await async_sign_prepared(engine, user, jobs, preparer, (PADES_HANDLER,), **options)
    finally:
        await preparer.aclose()


def sign_deferred_pdfs(
    engine: RemoteSigningEngine, user: str, jobs: Sequence[DeferredPdfJob], **options: Any
) -> TransactionRecord:
    """Synchronous :func:`async_sign_deferred_pdfs` (same keyword options)."""
    return run_closing(engine, async_sign_deferred_pdfs(engine, user, jobs, **options))
