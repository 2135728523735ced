"""Deferred (interrupted) PDF signing with a remote signer.

Three steps, possibly in different processes:

1. :func:`async_prepare_pdf` — pyHanko writes the signature field and the
   placeholder (sized from the certificate chain and the time stamp, so an
   approved signature always fits), computes the byte-range digest and the
   CMS signed attributes. Their digest is the item sent to the provider. What
   finishing needs is saved next to the transaction record: the prepared PDF
   and a JSON state file (no secrets, no pickle).
2. The engine gets the signature value approved and checked.
3. :func:`async_finish_pdf` — pyHanko builds the CMS with the verified value
   (and a signature time stamp if asked) and fills the placeholder; the
   signed PDF is written atomically. A transaction that did not complete
   writes nothing at the output path.

:func:`async_sign_pdfs` runs all three for a batch of PDFs with one confirmation;
:func:`async_finish_attachments` finishes whatever a resumed transaction left.

The batch flow is not PDF-specific: :func:`async_sign_prepared` takes a
function that prepares one job and :class:`AttachmentHandler` objects that
embed and discard by attachment kind, so :mod:`vnsign.formats` signs XML
documents, and batches mixing PDFs and XMLs, the same way (pki never imports
formats). Outputs are staged next to their targets and renamed into place only
once every document of the transaction has been embedded.
"""

from __future__ import annotations

import abc
import base64
import contextlib
import hashlib
import io
import json
import os
import secrets
import shutil
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Generic, Protocol, TypedDict, TypeVar, Unpack

from asn1crypto import algos, cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_cms import ExternalSigner
from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata, PdfSigner, PdfTBSDocument
from pyhanko.sign.timestamps.aiohttp_client import HTTPTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from vnsign._files import write_atomic
from vnsign.errors import InputError, MalformedInputError, RemoteSigningError, SigningError
from vnsign.pki.credentials import HashAlgorithm, KeyKind, SignatureScheme
from vnsign.pki.remote._sync import run_sync
from vnsign.pki.remote.checks import verify_signature
from vnsign.pki.remote.engine import OtpSource, RemoteSigningEngine
from vnsign.pki.remote.model import (
    Attachment,
    DigestItem,
    RemoteAccount,
    SignatureMechanism,
    TransactionRecord,
)
from vnsign.pki.remote.states import TxState
from vnsign.pki.remote.store import TransactionStore

__all__ = [
    "PDF_ATTACHMENT",
    "PDF_HANDLER",
    "AttachmentHandler",
    "BatchOptions",
    "DocumentJob",
    "Indicator",
    "PdfJob",
    "PreparedDocument",
    "PreparedFile",
    "PreparedFileHandler",
    "PreparedPdf",
    "PreparedPendingFile",
    "Preparer",
    "WaitingStatus",
    "async_embed_pdf",
    "async_finish_attachments",
    "async_finish_pdf",
    "async_prepare_pdf",
    "async_sign_pdfs",
    "async_sign_prepared",
    "check_attachment",
    "discard_attachments",
    "finish_attachments",
    "pdf_preparer",
    "read_prepared",
    "remove_prepared",
    "run_closing",
    "sign_pdfs",
    "waiting_status",
]

PDF_ATTACHMENT = "pdf"
PREPARED_FORMAT = "vnsign-prepared-pdf/1"
_DER = Encoding.DER


@dataclass(frozen=True)
class PdfJob:
    """One PDF to sign: where it is, where the signed copy goes, what the phone calls it."""

    source: Path
    output: Path
    label: str
    item_id: str | None = None


@dataclass(frozen=True)
class PreparedFile(abc.ABC):
    """A document prepared for a remote signature and saved beside the
    transaction record: the prepared copy (``prepared_path``, its SHA-256) and
    its JSON state (``state_path``), the output it becomes, its item id and label.
    ``kind`` names both the engine item and the attachment."""

    kind: ClassVar[str]
    item_id: str
    label: str
    state_path: Path
    prepared_path: Path
    prepared_sha256: str
    output: Path

    @property
    @abc.abstractmethod
    def digest(self) -> bytes:
        """What the provider signs."""

    @property
    @abc.abstractmethod
    def hash_algorithm(self) -> HashAlgorithm:
        """The algorithm of :attr:`digest`."""

    def item(self) -> DigestItem:
        """The engine item for this document."""
        return DigestItem(self.item_id, self.label, self.digest, self.hash_algorithm, self.kind)

    def attachment(self) -> Attachment:
        """How the transaction record points back here."""
        return Attachment(self.kind, self.item_id, str(self.state_path))

    def prepared_bytes(self) -> bytes:
        """The prepared copy, refused if it changed since it was prepared."""
        return read_prepared(self.prepared_path, self.prepared_sha256, self.kind.upper())


class _PendingJson(Protocol):
    def to_json(self) -> dict[str, Any]: ...


_Saved = TypeVar("_Saved", bound="PreparedPendingFile")


class PreparedPendingFile(PreparedFile):
    """A :class:`PreparedFile` whose state is the common fields plus a pending
    signature with its own JSON form (``to_json``; :meth:`_pending_from_json`
    reads it back): vnsign's deferred PDFs and XML documents.
    ``state_format`` names the state file's format, ``noun`` the document kind
    in messages and in the state's ``prepared_<noun>`` key."""

    state_format: ClassVar[str]
    noun: ClassVar[str]
    signature: Any

    @property
    def certificate(self) -> x509.Certificate:
        """The signer's certificate."""
        certificate: x509.Certificate = self.signature.certificate
        return certificate

    @classmethod
    @abc.abstractmethod
    def _pending_from_json(cls, data: Any) -> Any:
        """The pending signature from its JSON form."""

    def save(self) -> None:
        """Write the JSON state (atomically; the prepared copy is already on disk)."""
        pending: _PendingJson = self.signature
        state = {
            "format": self.state_format,
            "item_id": self.item_id,
            "label": self.label,
            f"prepared_{self.noun.lower()}": self.prepared_path.name,
            "prepared_sha256": self.prepared_sha256,
            "output": str(self.output),
            "signature": pending.to_json(),
        }
        write_atomic(self.state_path, mode=0o600, data=json.dumps(state, indent=1).encode())

    @classmethod
    def load(cls: type[_Saved], state_path: str | Path) -> _Saved:
        """Read a state file back."""
        path = Path(state_path)
        what = f"the prepared-{cls.noun} state {path}"
        try:
            data: Any = json.loads(path.read_bytes())
        except FileNotFoundError:
            raise InputError(f"{what} is missing") from None
        except ValueError as exc:
            raise MalformedInputError(f"{what} is damaged: {exc}") from exc
        if not isinstance(data, dict) or data.get("format") != cls.state_format:
            raise MalformedInputError(f"{path} is not a prepared-{cls.noun} state")
        try:
            return cls(
                item_id=str(data["item_id"]),  # type: ignore[call-arg]
                label=str(data["label"]),
                state_path=path,
                prepared_path=path.parent / Path(str(data[f"prepared_{cls.noun.lower()}"])).name,
                prepared_sha256=str(data["prepared_sha256"]),
                output=Path(data["output"]),
                signature=cls._pending_from_json(data["signature"]),
            )
        except (KeyError, TypeError) as exc:
            raise MalformedInputError(f"{what} is damaged: {exc}") from exc


@dataclass(frozen=True)
class PreparedPdf(PreparedFile):
    """A PDF with its signature placeholder, waiting for the signature value."""

    kind: ClassVar[str] = PDF_ATTACHMENT
    document_digest: bytes
    reserved_region_start: int
    reserved_region_end: int
    signed_attributes: bytes
    mechanism: SignatureMechanism
    signature_algorithm: bytes
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    timestamp_url: str | None

    @property
    def digest(self) -> bytes:
        """What the provider signs: the digest of the DER signed attributes."""
        return hashlib.new(self.mechanism.hash_algorithm.value, self.signed_attributes).digest()

    @property
    def hash_algorithm(self) -> HashAlgorithm:
        """The hash of the signature."""
        return self.mechanism.hash_algorithm

    def save(self) -> None:
        """Write the JSON state (atomically; the prepared PDF is already on disk)."""
        b64 = _b64
        state = {
            "format": PREPARED_FORMAT,
            "item_id": self.item_id,
            "label": self.label,
            "prepared_pdf": self.prepared_path.name,
            "prepared_sha256": self.prepared_sha256,
            "output": str(self.output),
            "document_digest": self.document_digest.hex(),
            "reserved_region_start": self.reserved_region_start,
            "reserved_region_end": self.reserved_region_end,
            "signed_attributes": b64(self.signed_attributes),
            "hash": self.mechanism.hash_algorithm.value,
            "key": self.mechanism.key_kind.value,
            "scheme": self.mechanism.scheme.value,
            "signature_algorithm": b64(self.signature_algorithm),
            "certificate": b64(self.certificate.public_bytes(_DER)),
            "chain": [b64(c.public_bytes(_DER)) for c in self.chain],
            "timestamp_url": self.timestamp_url,
        }
        write_atomic(self.state_path, mode=0o600, data=json.dumps(state, indent=1).encode())

    @classmethod
    def load(cls, state_path: str | Path) -> PreparedPdf:
        """Read a state file back, checking the prepared PDF is the one it describes."""
        path = Path(state_path)
        try:
            data: dict[str, Any] = json.loads(path.read_bytes())
            if data.get("format") != PREPARED_FORMAT:
                raise ValueError(f"format {data.get('format')!r}")
            prepared = path.parent / str(data["prepared_pdf"])
            unb64 = _unb64
            loaded = cls(
                item_id=str(data["item_id"]),
                label=str(data["label"]),
                state_path=path,
                prepared_path=prepared,
                prepared_sha256=str(data["prepared_sha256"]),
                output=Path(data["output"]),
                document_digest=bytes.fromhex(data["document_digest"]),
                reserved_region_start=int(data["reserved_region_start"]),
                reserved_region_end=int(data["reserved_region_end"]),
                signed_attributes=unb64(data["signed_attributes"]),
                mechanism=SignatureMechanism(
                    HashAlgorithm(data["hash"]),
                    KeyKind(data["key"]),
                    SignatureScheme(data["scheme"]),
                ),
                signature_algorithm=unb64(data["signature_algorithm"]),
                certificate=x509.load_der_x509_certificate(unb64(data["certificate"])),
                chain=tuple(x509.load_der_x509_certificate(unb64(c)) for c in data["chain"]),
                timestamp_url=data.get("timestamp_url"),
            )
        except FileNotFoundError:
            raise InputError(f"the prepared-PDF state {path} is missing") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise MalformedInputError(f"the prepared-PDF state {path} is damaged: {exc}") from exc
        return loaded


def read_prepared(path: Path, sha256: str, what: str) -> bytes:
    """A prepared document, refused if it is gone or changed since it was prepared."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"the prepared {what} {path} is missing") from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise MalformedInputError(f"the prepared {what} {path} changed after it was prepared")
    return data


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(_DER))


def signature_algorithm(mechanism: SignatureMechanism) -> algos.SignedDigestAlgorithm:
    """The CMS ``signatureAlgorithm`` for ``mechanism``."""
    digest = mechanism.hash_algorithm
    if mechanism.key_kind is KeyKind.ECDSA:
        return algos.SignedDigestAlgorithm({"algorithm": f"{digest.value}_ecdsa"})
    if mechanism.scheme is SignatureScheme.PSS:
        return algos.SignedDigestAlgorithm(
            {
                "algorithm": "rsassa_pss",
                "parameters": algos.RSASSAPSSParams(
                    {
                        "hash_algorithm": {"algorithm": digest.value},
                        "mask_gen_algorithm": {
                            "algorithm": "mgf1",
                            "parameters": {"algorithm": digest.value},
                        },
                        "salt_length": digest.digest_size,
                    }
                ),
            }
        )
    return algos.SignedDigestAlgorithm({"algorithm": f"{digest.value}_rsa"})


def _max_signature_size(account: RemoteAccount) -> int:
    size = (account.key_size + 7) // 8
    if account.key_kind is KeyKind.RSA:
        return size
    return 2 * (size + 3) + 3  # DER SEQUENCE of two INTEGERs, each up to size + 1 bytes


async def async_prepare_pdf(
    source: bytes | Path,
    account: RemoteAccount,
    work_dir: Path,
    *,
    output: Path,
    label: str,
    item_id: str | None = None,
    hash_algorithm: HashAlgorithm = HashAlgorithm.SHA256,
    scheme: SignatureScheme = SignatureScheme.PKCS1V15,
    field_name: str | None = None,
    reason: str | None = None,
    location: str | None = None,
    timestamp_url: str | None = None,
) -> PreparedPdf:
    """Prepare ``source`` for ``account``'s signature and save the state in ``work_dir``."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    item_id = item_id or f"pdf-{secrets.token_hex(6)}"
    mechanism = SignatureMechanism(
        hash_algorithm,
        account.key_kind,
        scheme if account.key_kind is KeyKind.RSA else SignatureScheme.PKCS1V15,
    )
    sig_algorithm = signature_algorithm(mechanism)
    signer = ExternalSigner(
        signing_cert=_asn1(account.certificate),
        cert_registry=SimpleCertificateStore.from_certs([_asn1(c) for c in account.chain]),  # type: ignore[no-untyped-call]
        signature_value=_max_signature_size(account),
        signature_mechanism=sig_algorithm,
    )
    meta = PdfSignatureMetadata(
        field_name=field_name or f"Signature-{item_id}",
        md_algorithm=hash_algorithm.value,
        subfilter=SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
    )
    timestamper = HTTPTimeStamper(timestamp_url) if timestamp_url else None
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        pdf_signer = PdfSigner(meta, signer=signer, timestamper=timestamper)
        prep_digest, _tbs, out = await pdf_signer.async_digest_doc_for_signing(writer)
        signed_attrs = await signer.signed_attrs(
            prep_digest.document_digest, hash_algorithm.value, use_pades=True
        )
    except (PdfError, ValueError) as exc:
        raise InputError(f"cannot prepare {label} for signing: {exc}") from exc
    prepared_bytes = out.getvalue() if isinstance(out, io.BytesIO) else out.read()
    work_dir.mkdir(parents=True, exist_ok=True)
    prepared_path = work_dir / f"{item_id}.prepared.pdf"
    write_atomic(prepared_path, prepared_bytes)
    prepared = PreparedPdf(
        item_id=item_id,
        label=label,
        state_path=work_dir / f"{item_id}.prepared.json",
        prepared_path=prepared_path,
        prepared_sha256=hashlib.sha256(prepared_bytes).hexdigest(),
        output=Path(output),
        document_digest=prep_digest.document_digest,
        reserved_region_start=prep_digest.reserved_region_start,
        reserved_region_end=prep_digest.reserved_region_end,
        signed_attributes=signed_attrs.dump(),
        mechanism=mechanism,
        signature_algorithm=sig_algorithm.dump(),
        certificate=account.certificate,
        chain=account.chain,
        timestamp_url=timestamp_url,
    )
    prepared.save()
    return prepared


async def async_finish_pdf(prepared: PreparedPdf, signature: bytes) -> Path:
    """Embed a verified ``signature`` (checked again here against the signed
    attributes) and write the signed PDF atomically to ``prepared.output``."""
    write_atomic(prepared.output, await async_embed_pdf(prepared, signature))
    return prepared.output


async def async_embed_pdf(prepared: PreparedPdf, signature: bytes) -> bytes:
    """The signed PDF: ``signature`` (checked again here against the signed
    attributes) embedded in the prepared PDF."""
    verify_signature(prepared.certificate, prepared.mechanism, prepared.digest, signature)
    signer = ExternalSigner(
        signing_cert=_asn1(prepared.certificate),
        cert_registry=SimpleCertificateStore.from_certs([_asn1(c) for c in prepared.chain]),  # type: ignore[no-untyped-call]
        signature_value=signature,
        signature_mechanism=algos.SignedDigestAlgorithm.load(prepared.signature_algorithm),
    )
    timestamper = HTTPTimeStamper(prepared.timestamp_url) if prepared.timestamp_url else None
    signed_attrs = cms.CMSAttributes.load(prepared.signed_attributes)
    buffer = io.BytesIO(prepared.prepared_bytes())
    try:
        sig_cms = await signer.async_sign_prescribed_attributes(
            prepared.mechanism.hash_algorithm.value, signed_attrs, timestamper=timestamper
        )
        await PdfTBSDocument.async_finish_signing(
            buffer,
            PreparedByteRangeDigest(
                prepared.document_digest,
                prepared.reserved_region_start,
                prepared.reserved_region_end,
            ),
            sig_cms,
        )
    except PdfError as exc:
        raise SigningError(f"cannot embed the signature in {prepared.label}: {exc}") from exc
    return buffer.getvalue()


class AttachmentHandler(Protocol):
    """Embeds and discards the prepared documents of one attachment ``kind``."""

    @property
    def kind(self) -> str:
        """The :attr:`Attachment.kind <vnsign.pki.remote.model.Attachment.kind>` handled."""
        ...

    async def async_embed(
        self, attachment: Attachment, record: TransactionRecord
    ) -> tuple[Path, bytes]:
        """The output path and the signed document for ``attachment`` of a
        COMPLETED ``record`` (nothing is written yet)."""
        ...

    def discard(self, attachment: Attachment) -> None:
        """Delete the prepared files of ``attachment``."""
        ...


def check_attachment(
    attachment: Attachment, record: TransactionRecord, item_id: str, certificate: x509.Certificate
) -> None:
    """Refuse a prepared state that is not the one ``record`` points at."""
    if item_id != attachment.item_id or certificate != record.certificate:
        raise RemoteSigningError(f"{attachment.path} does not belong to {record.tx_id}")


class _Attachable(Protocol):
    @property
    def item_id(self) -> str: ...
    @property
    def output(self) -> Path: ...
    @property
    def prepared_path(self) -> Path: ...
    @property
    def certificate(self) -> x509.Certificate: ...


_Prepared = TypeVar("_Prepared", bound=_Attachable)


@dataclass(frozen=True)
class PreparedFileHandler(Generic[_Prepared]):
    """The :class:`AttachmentHandler` of prepared files of one ``kind``, read
    back with ``load`` and signed with ``embed``."""

    kind: str
    load: Callable[[str], _Prepared]
    embed: Callable[[_Prepared, bytes], Awaitable[bytes]]

    async def async_embed(
        self, attachment: Attachment, record: TransactionRecord
    ) -> tuple[Path, bytes]:
        """See :meth:`AttachmentHandler.async_embed`."""
        prepared = self.load(attachment.path)
        check_attachment(attachment, record, prepared.item_id, prepared.certificate)
        signature = record.signature_for(attachment.item_id)
        return prepared.output, await self.embed(prepared, signature)

    def discard(self, attachment: Attachment) -> None:
        """See :meth:`AttachmentHandler.discard`."""
        remove_prepared(Path(attachment.path), lambda path: self.load(str(path)).prepared_path)


def remove_prepared(state_path: Path, document_of: Callable[[Path], Path]) -> None:
    """Delete a prepared document (found with ``document_of(state_path)``), its
    state file, and the transaction's folder once it is empty."""
    with contextlib.suppress(InputError):  # an unreadable state: it alone can go
        document_of(state_path).unlink(missing_ok=True)
    state_path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # the folder goes once it is empty
        state_path.parent.rmdir()


#: Handles :data:`PDF_ATTACHMENT` attachments.
PDF_HANDLER: AttachmentHandler = PreparedFileHandler(
    PDF_ATTACHMENT, PreparedPdf.load, async_embed_pdf
)
_PDF_ONLY: tuple[AttachmentHandler, ...] = (PDF_HANDLER,)


async def async_finish_attachments(
    record: TransactionRecord,
    store: TransactionStore | None = None,
    handlers: Sequence[AttachmentHandler] = _PDF_ONLY,
) -> list[Path]:
    """Finish every prepared document of a COMPLETED transaction that one of
    ``handlers`` knows (PDFs by default) and return the outputs; with ``store``,
    the record then drops the finished attachments (so resuming again does
    nothing) and says where the signed files are.

    Every document is embedded and staged beside its output before any output
    is renamed into place: if one fails, no output is written and the prepared
    copies stay for another try."""
    if record.state is not TxState.COMPLETED:
        raise RemoteSigningError(
            f"transaction {record.tx_id} is {record.state.value}; nothing may be embedded"
        )
    by_kind = {h.kind: h for h in handlers}
    mine = [a for a in record.attachments if a.kind in by_kind]
    staged: list[tuple[Path, Path]] = []
    try:
        for attachment in mine:
            output, data = await by_kind[attachment.kind].async_embed(attachment, record)
            stage = output.with_name(f".{output.name}.{record.tx_id}.staged")
            write_atomic(stage, data)
            staged.append((stage, output))
        for stage, output in staged:
            os.replace(stage, output)
    finally:
        for stage, _ in staged:
            stage.unlink(missing_ok=True)
    outputs = [output for _, output in staged]
    for folder in {output.parent for output in outputs}:
        _sync_folder(folder)
    for attachment in mine:
        by_kind[attachment.kind].discard(attachment)
    if store is not None and outputs:
        kept = tuple(a for a in record.attachments if a.kind not in by_kind)
        written = ", ".join(str(p) for p in outputs)
        store.save(record.evolve(attachments=kept, message=f"signed documents written: {written}"))
    return outputs


def _sync_folder(folder: Path) -> None:
    # Makes the renames durable; some filesystems cannot fsync a folder.
    with contextlib.suppress(OSError):
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def finish_attachments(
    record: TransactionRecord,
    store: TransactionStore | None = None,
    handlers: Sequence[AttachmentHandler] = _PDF_ONLY,
) -> list[Path]:
    """Synchronous :func:`async_finish_attachments`."""
    return run_sync(async_finish_attachments(record, store, handlers))


def discard_attachments(
    record: TransactionRecord,
    store: TransactionStore | None = None,
    handlers: Sequence[AttachmentHandler] = _PDF_ONLY,
) -> None:
    """Delete the prepared copies of a transaction that ended without signatures."""
    by_kind = {h.kind: h for h in handlers}
    for attachment in record.attachments:
        if attachment.kind in by_kind:
            by_kind[attachment.kind].discard(attachment)
    if store is not None and record.attachments:
        kept = tuple(a for a in record.attachments if a.kind not in by_kind)
        store.save(record.evolve(attachments=kept))


@dataclass(frozen=True)
class WaitingStatus:
    """What a waiting indicator shows: the text on the phone, the provider's
    transaction code (when there is one) and the time left."""

    tx_id: str
    state: TxState
    display_text: str
    documents: int
    code: str | None
    seconds_left: float
    message: str


Indicator = Callable[[WaitingStatus], None]


class DocumentJob(Protocol):
    """One document to sign (a :class:`PdfJob`, or an XML job of :mod:`vnsign.formats`)."""

    @property
    def source(self) -> Path:
        """The document, never modified."""
        ...

    @property
    def output(self) -> Path:
        """Where the signed copy goes."""
        ...

    @property
    def label(self) -> str:
        """What the phone calls it."""
        ...

    @property
    def item_id(self) -> str | None:
        """The item's id in the transaction (default ``doc-<n>``, in job order)."""
        ...


class PreparedDocument(Protocol):
    """A document prepared for a remote signature."""

    @property
    def label(self) -> str:
        """What the phone calls it."""
        ...

    def item(self) -> DigestItem:
        """The engine item: the digest to have signed."""
        ...

    def attachment(self) -> Attachment:
        """How the transaction record points back to the prepared state."""
        ...


class BatchOptions(TypedDict, total=False):
    """Keyword options of every batch signer (:func:`async_sign_prepared`)."""

    #: What the phone shows (default: ``Ký <n> văn bản: <labels>``).
    display_text: str | None
    #: RSA PKCS#1 v1.5 or PSS, for every document of the batch.
    scheme: SignatureScheme
    #: Seconds to wait for the person (default: the engine's policy).
    timeout: float | None
    #: Called with a :class:`WaitingStatus` after every change and poll.
    indicator: Indicator | None
    #: Asked for the one-time password when the provider sends one.
    otp_source: OtpSource | None


_Job = TypeVar("_Job", bound=DocumentJob)
_T = TypeVar("_T")
#: Prepares one job for an account in a work folder, under an item id.
Preparer = Callable[[_Job, RemoteAccount, Path, str], Awaitable[PreparedDocument]]


async def async_sign_prepared(
    engine: RemoteSigningEngine,
    user: str,
    jobs: Sequence[_Job],
    prepare: Preparer[_Job],
    handlers: Sequence[AttachmentHandler],
    **options: Unpack[BatchOptions],
) -> TransactionRecord:
    """Sign ``jobs`` with one confirmation on ``user``'s phone: ``prepare`` each
    one, send every digest in one request, then embed with ``handlers``.

    Refused before anything is prepared: no job, more jobs than one approval
    may cover (never split silently: each part would be another confirmation),
    an output that is also an input or the output of another job. A
    preparation or request refused before the transaction is recorded leaves no
    prepared file. Outputs are written only when the transaction COMPLETED;
    otherwise the prepared copies are removed and the record returned (call
    ``raise_for_state`` for an exception).
    """
    if not jobs:
        raise InputError("no document to sign")
    _check_paths(jobs)
    account = await engine.async_account(user)
    limit = engine.max_batch(account)
    if len(jobs) > limit:
        raise InputError(
            f"{len(jobs)} documents exceed the limit of {limit} per approval; split them "
            "yourself (each part is another confirmation on the phone)"
        )
    tx_id = f"tx-{secrets.token_hex(12)}"
    work_dir = engine.store.work_dir(tx_id)
    try:
        prepared = [
            await prepare(job, account, work_dir, job.item_id or f"doc-{n}")
            for n, job in enumerate(jobs, 1)
        ]
    except BaseException:
        shutil.rmtree(work_dir, ignore_errors=True)
        raise
    text = options.get("display_text") or _display_text([p.label for p in prepared])
    indicator = options.get("indicator")

    def show(record: TransactionRecord) -> None:
        if indicator is not None:
            indicator(waiting_status(record, engine.clock()))

    stop = engine.watch(tx_id, show)
    try:
        record = await engine.async_sign(
            user,
            [p.item() for p in prepared],
            display_text=text,
            scheme=options.get("scheme", SignatureScheme.PKCS1V15),
            timeout=options.get("timeout"),
            tx_id=tx_id,
            attachments=[p.attachment() for p in prepared],
            otp_source=options.get("otp_source"),
        )
    except BaseException:
        if not _recorded(engine.store, tx_id):  # refused before anything was sent
            shutil.rmtree(work_dir, ignore_errors=True)
        raise
    finally:
        stop()
    if record.state is TxState.COMPLETED:
        await async_finish_attachments(record, engine.store, handlers)
    elif record.terminal:
        discard_attachments(record, engine.store, handlers)
    return engine.store.load(record.tx_id)


def _check_paths(jobs: Sequence[DocumentJob]) -> None:
    sources = {Path(job.source).resolve() for job in jobs}
    outputs: set[Path] = set()
    for job in jobs:
        output = Path(job.output).resolve()
        if output in sources:
            raise InputError(f"{job.output} is an input; inputs are never written over")
        if output in outputs:
            raise InputError(f"two documents would be written to {job.output}")
        outputs.add(output)


def _recorded(store: TransactionStore, tx_id: str) -> bool:
    try:
        store.load(tx_id)
    except InputError:
        return False
    return True


def pdf_preparer(
    *,
    scheme: SignatureScheme = SignatureScheme.PKCS1V15,
    reason: str | None = None,
    location: str | None = None,
    timestamp_url: str | None = None,
) -> Preparer[PdfJob]:
    """The :data:`Preparer` of :class:`PdfJob` with these signature settings."""

    async def prepare(
        job: PdfJob, account: RemoteAccount, work_dir: Path, item_id: str
    ) -> PreparedPdf:
        return await async_prepare_pdf(
            job.source,
            account,
            work_dir,
            output=job.output,
            label=job.label,
            item_id=item_id,
            scheme=scheme,
            reason=reason,
            location=location,
            timestamp_url=timestamp_url,
        )

    return prepare


async def async_sign_pdfs(
    engine: RemoteSigningEngine,
    user: str,
    jobs: Sequence[PdfJob],
    *,
    display_text: str | None = None,
    reason: str | None = None,
    location: str | None = None,
    timestamp_url: str | None = None,
    scheme: SignatureScheme = SignatureScheme.PKCS1V15,
    timeout: float | None = None,
    indicator: Indicator | None = None,
    otp_source: OtpSource | None = None,
) -> TransactionRecord:
    """Sign ``jobs`` with one confirmation on ``user``'s phone.

    Writes each signed PDF to its output only when the transaction COMPLETED;
    otherwise removes the prepared copies and returns the record (call
    ``raise_for_state`` for an exception). Refuses, before preparing anything,
    more documents than one approval may cover.
    """
    if not jobs:
        raise InputError("no PDF to sign")
    return await async_sign_prepared(
        engine,
        user,
        jobs,
        pdf_preparer(scheme=scheme, reason=reason, location=location, timestamp_url=timestamp_url),
        _PDF_ONLY,
        display_text=display_text,
        scheme=scheme,
        timeout=timeout,
        indicator=indicator,
        otp_source=otp_source,
    )


def sign_pdfs(
    engine: RemoteSigningEngine, user: str, jobs: Sequence[PdfJob], **options: Any
) -> TransactionRecord:
    """Synchronous :func:`async_sign_pdfs` (same keyword options)."""
    return run_closing(engine, async_sign_pdfs(engine, user, jobs, **options))


def run_closing(engine: RemoteSigningEngine, coroutine: Awaitable[_T]) -> _T:
    """Run ``coroutine`` from synchronous code, then close the engine's HTTP session."""

    async def run() -> _T:
        try:
            return await coroutine
        finally:
            await engine.aclose()

    return run_sync(run())


def _display_text(labels: Sequence[str]) -> str:
    if len(labels) == 1:
        return f"Ký văn bản: {labels[0]}"
    shown = ", ".join(labels[:3]) + (", …" if len(labels) > 3 else "")
    return f"Ký {len(labels)} văn bản: {shown}"


def waiting_status(record: TransactionRecord, now: datetime) -> WaitingStatus:
    """What a waiting indicator shows for ``record`` at ``now``."""
    return WaitingStatus(
        tx_id=record.tx_id,
        state=record.state,
        display_text=record.display_text,
        documents=len(record.items),
        code=record.reference("tran_code"),
        seconds_left=max((record.effective_deadline - now).total_seconds(), 0.0),
        message=record.message,
    )
