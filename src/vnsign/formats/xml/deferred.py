"""Deferred (asynchronous) remote signing of XML documents and e-invoices.

The same three steps as deferred PDF signing
(:mod:`vnsign.pki.remote.deferred_pdf`), possibly in different processes:

1. prepare — the Signature is built with an empty ``SignatureValue``
   (:func:`~vnsign.formats.xml.signing.prepare_enveloped`,
   :func:`~vnsign.formats.einvoice.signing.prepare_invoice`); the digest of its
   canonical ``SignedInfo`` is the item sent to the provider. Saved next to the
   transaction record: the prepared document (``<item>.prepared.xml``) and a JSON
   state (``<item>.prepared.json``, format ``vnsign-prepared-xml-file/1``: item
   id, label, output path, SHA-256 of the prepared document, and the
   :class:`~vnsign.formats.xml.pending.PendingSignature`), no secret, no pickle;
2. the engine gets the value approved and checked;
3. finish — the value is checked again against the digest sent and against the
   exact ``SignedInfo`` of the prepared document, written in, the XAdES B-T
   time stamp and B-LT values added, and the output written atomically.

Claimed signing times (XAdES ``SigningTime``, the e-invoice ``SigningTime``
Object) are signed data, so they are the time of preparation, as in PAdES.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Unpack

from vnsign._files import write_atomic
from vnsign.errors import InputError
from vnsign.formats.einvoice.signing import InvoiceSignOptions, prepare_invoice
from vnsign.formats.einvoice.structure import InvoiceRole
from vnsign.formats.xml.finishing import finish_xml
from vnsign.formats.xml.pending import PendingSignature, PreparedXml
from vnsign.formats.xml.signing import SignerCertificate, XmlSignOptions, prepare_enveloped
from vnsign.pki.credentials import HashAlgorithm, KeyKind, SignatureScheme
from vnsign.pki.remote.checks import verify_signature
from vnsign.pki.remote.deferred_pdf import (
    AttachmentHandler,
    BatchOptions,
    PreparedFileHandler,
    PreparedPendingFile,
    Preparer,
    async_sign_prepared,
    run_closing,
)
from vnsign.pki.remote.engine import RemoteSigningEngine
from vnsign.pki.remote.model import (
    RemoteAccount,
    SignatureMechanism,
    TransactionRecord,
)

__all__ = [
    "XML_ATTACHMENT",
    "XML_HANDLER",
    "PreparedXmlFile",
    "XmlJob",
    "XmlKind",
    "async_embed_xml",
    "async_finish_xml",
    "async_sign_xmls",
    "prepare_xml_job",
    "sign_xmls",
    "xml_preparer",
]

XML_ATTACHMENT = "xml"
STATE_FORMAT = "vnsign-prepared-xml-file/1"


class XmlKind(enum.StrEnum):
    """How an :class:`XmlJob` is signed."""

    XML = "xml"  #: an enveloped XMLDSig/XAdES signature (``XmlSignOptions``)
    EINVOICE = "einvoice"  #: an e-invoice signature in ``DSCKS`` (``InvoiceSignOptions``)


@dataclass(frozen=True)
class XmlJob:
    """One XML document to sign: where it is, where the signed copy goes, what
    the phone calls it, and how to sign it (``options`` of the ``kind``; ``role``
    for e-invoices)."""

    source: Path
    output: Path
    label: str
    kind: XmlKind | str = XmlKind.XML
    options: XmlSignOptions | InvoiceSignOptions | None = None
    role: InvoiceRole | str = InvoiceRole.SELLER
    item_id: str | None = None

    def __post_init__(self) -> None:
        try:
            kind = XmlKind(self.kind)
        except ValueError:
            raise InputError(f"an XML job is 'xml' or 'einvoice', not {self.kind!r}") from None
        wanted = XmlSignOptions if kind is XmlKind.XML else InvoiceSignOptions
        if self.options is not None and not isinstance(self.options, wanted):
            raise InputError(f"a {kind.value!r} job takes {wanted.__name__}")
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "role", InvoiceRole(self.role))

    @property
    def scheme(self) -> SignatureScheme:
        """The RSA scheme the options ask for."""
        return self.options.scheme if self.options is not None else SignatureScheme.PKCS1V15

    def prepare(self, signer: SignerCertificate) -> PreparedXml:
        """Read the source and prepare its signature for ``signer``."""
        try:
            data = Path(self.source).read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read {self.source}: {exc.strerror}") from exc
        options = self.options  # its type matches the kind (checked when the job was made)
        if self.kind is XmlKind.EINVOICE:
            invoice = options if isinstance(options, InvoiceSignOptions) else None
            return prepare_invoice(data, signer, self.role, invoice)
        return prepare_enveloped(
            data, signer, options if isinstance(options, XmlSignOptions) else None
        )


@dataclass(frozen=True)
class PreparedXmlFile(PreparedPendingFile):
    """A prepared XML document saved beside a transaction record, waiting for
    its signature value."""

    kind: ClassVar[str] = XML_ATTACHMENT
    state_format: ClassVar[str] = STATE_FORMAT
    noun: ClassVar[str] = "XML"
    signature: PendingSignature

    @property
    def digest(self) -> bytes:
        """What the provider signs: the digest of the canonical ``SignedInfo``."""
        return self.signature.digest

    @property
    def hash_algorithm(self) -> HashAlgorithm:
        """The hash of the signature."""
        return self.signature.hash_algorithm

    @property
    def mechanism(self) -> SignatureMechanism:
        """The hash, key type and padding the value must have."""
        pending = self.signature
        kind = pending.key_kind
        scheme = pending.scheme if kind is KeyKind.RSA else SignatureScheme.PKCS1V15
        return SignatureMechanism(pending.hash_algorithm, kind, scheme)

    @classmethod
    def _pending_from_json(cls, data: Any) -> PendingSignature:
        return PendingSignature.from_json(data)

    def prepared(self) -> PreparedXml:
        """The prepared document, refused if it changed since it was prepared."""
        return PreparedXml(self.prepared_bytes(), self.signature)


def prepare_xml_job(
    job: XmlJob,
    account: RemoteAccount,
    work_dir: Path,
    *,
    item_id: str,
    scheme: SignatureScheme = SignatureScheme.PKCS1V15,
) -> PreparedXmlFile:
    """Prepare ``job`` for ``account``'s signature and save it in ``work_dir``."""
    if account.key_kind is KeyKind.RSA and job.scheme != scheme:
        raise InputError(
            f"{job.label}: its options sign with RSA {job.scheme.value}, the batch with "
            f"{scheme.value}; one approval covers one mechanism"
        )
    prepared = job.prepare(account)
    work_dir.mkdir(parents=True, exist_ok=True)
    prepared_path = work_dir / f"{item_id}.prepared.xml"
    write_atomic(prepared_path, prepared.document)
    saved = PreparedXmlFile(
        item_id=item_id,
        label=job.label,
        state_path=work_dir / f"{item_id}.prepared.json",
        prepared_path=prepared_path,
        prepared_sha256=hashlib.sha256(prepared.document).hexdigest(),
        output=Path(job.output),
        signature=prepared.signature,
    )
    saved.save()
    return saved


def xml_preparer(*, scheme: SignatureScheme = SignatureScheme.PKCS1V15) -> Preparer[XmlJob]:
    """The :data:`~vnsign.pki.remote.deferred_pdf.Preparer` of :class:`XmlJob`."""

    async def prepare(
        job: XmlJob, account: RemoteAccount, work_dir: Path, item_id: str
    ) -> PreparedXmlFile:
        return prepare_xml_job(job, account, work_dir, item_id=item_id, scheme=scheme)

    return prepare


async def async_embed_xml(prepared: PreparedXmlFile, signature: bytes) -> bytes:
    """The signed document: ``signature`` checked against the digest that was
    sent (:class:`~vnsign.errors.RemoteResponseError` if it does not fit) and
    against the prepared ``SignedInfo``, then written in (XAdES B-T/B-LT
    properties fetched in a worker thread)."""
    verify_signature(prepared.signature.certificate, prepared.mechanism, prepared.digest, signature)
    return await asyncio.to_thread(finish_xml, prepared.prepared(), signature)


async def async_finish_xml(prepared: PreparedXmlFile, signature: bytes) -> Path:
    """:func:`async_embed_xml`, then write the output atomically."""
    write_atomic(prepared.output, await async_embed_xml(prepared, signature))
    return prepared.output


#: Handles :data:`XML_ATTACHMENT` attachments.
XML_HANDLER: AttachmentHandler = PreparedFileHandler(
    XML_ATTACHMENT, PreparedXmlFile.load, async_embed_xml
)


async def async_sign_xmls(
    engine: RemoteSigningEngine,
    user: str,
    jobs: Sequence[XmlJob],
    **options: Unpack[BatchOptions],
) -> TransactionRecord:
    """Sign XML ``jobs`` with one confirmation on ``user``'s phone (options:
    :class:`~vnsign.pki.remote.deferred_pdf.BatchOptions`).

    Writes the signed documents only when the transaction COMPLETED; otherwise
    removes the prepared copies and returns the record (call
    ``raise_for_state`` for an exception). Refuses, before preparing anything,
    more documents than one approval may cover.
    """
    prepare = xml_preparer(scheme=options.get("scheme", SignatureScheme.PKCS1V15))
    return await async_sign_prepared(engine, user, jobs, prepare, (XML_HANDLER,), **options)


def sign_xmls(
    engine: RemoteSigningEngine,
    user: str,
    jobs: Sequence[XmlJob],
    **options: Unpack[BatchOptions],
) -> TransactionRecord:
    """Synchronous :func:`async_sign_xmls`."""
    return run_closing(engine, async_sign_xmls(engine, user, jobs, **options))
