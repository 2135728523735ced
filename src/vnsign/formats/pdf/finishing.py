"""Finishing a prepared PDF signature: the value into a CMS, the CMS into
``/Contents``, then the B-LTA document time stamp.

Signing now (:class:`~vnsign.formats.pdf.signing.PdfSigningService`) and
signing later (a remote signer's approved value, in another process) end here
alike. What finishing uses besides the explicit
:class:`~vnsign.formats.pdf.pending.PendingPdfSignature` is a
:class:`FinishingTools`: the signing service lends its own (cached CMS parts,
time stamper, validation context), a later process rebuilds them from the
state (:meth:`FinishingTools.rebuild`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, BinaryIO

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.general import find_unique_cms_attribute
from pyhanko.sign.signers.pdf_signer import (
    DSSContentSettings,
    PdfTimeStamper,
    SigDSSPlacementPreference,
)
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import InsufficientRevinfoError, PathError, ValidationError
from pyhanko_certvalidator.path import ValidationPath

from vnsign.errors import MalformedInputError, SigningError
from vnsign.formats.pdf.cms import PdfCmsSigner
from vnsign.formats.pdf.options import PadesLevel
from vnsign.formats.pdf.pending import PendingPdfSignature
from vnsign.formats.pdf.validation_data import validation_context

__all__ = [
    "CHUNK_SIZE",
    "DSS_SETTINGS",
    "FinishingTools",
    "async_finish",
    "check_value",
    "pyhanko_message",
]

CHUNK_SIZE = 1 << 20
"""Hashing and copying work in 1 MiB pieces (pyHanko's default is 4 KiB)."""

DSS_SETTINGS = DSSContentSettings(
    placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE, include_vri=False
)
"""The DSS goes in the signature's own revision: a B-LT document is one revision
whose signature covers the whole file (VRI is deprecated in PAdES)."""


@dataclass
class FinishingTools:
    """What finishing uses besides the state: the CMS assembler, the time
    stamper (B-T and above), the validation context and the paths already
    validated (B-LTA), and, for an encrypted file signed now, its credential."""

    assembler: PdfCmsSigner
    timestamper: TimeStamper | None = None
    validation_context: ValidationContext | None = None
    validation_paths: list[ValidationPath] = field(default_factory=list)
    file_credential: Any = None
    owns_context: bool = False
    """Whether :meth:`aclose` closes :attr:`validation_context`."""
    refetch: PendingPdfSignature | None = None
    """Rebuilt B-LTA tools: the state an online context is built from when the
    revocation data gathered while preparing no longer suffices."""
    online: ValidationContext | None = None
    """That online context, once built."""

    @classmethod
    def rebuild(cls, pending: PendingPdfSignature) -> FinishingTools:
        """The tools of ``pending`` from its explicit state alone (another
        process): the B-LT data is already in the document's DSS, so a B-LTA
        time stamp only adds its own TSA's. That TSA is validated first with the
        revocation data gathered while preparing (already in the DSS, which then
        stays as prepared), and online only when that data no longer suffices."""
        holder = _Holder(pending)
        timestamper = (
            pending.timestamp.as_pyhanko()
            if pending.timestamp is not None and pending.level.needs_timestamp
            else None
        )
        lta = pending.level is PadesLevel.B_LTA
        offline = lta and pending.revocation is not None
        context = (
            validation_context(
                pending.trust_roots,
                revocation=pending.revocation,
                allow_fetching=pending.allow_fetching and not offline,
            )
            if lta
            else None
        )
        return cls(
            PdfCmsSigner(holder, scheme=pending.scheme, embed_roots=pending.embed_roots),
            timestamper,
            context,
            owns_context=context is not None,
            refetch=pending if offline and pending.allow_fetching else None,
        )

    async def archive_context(self) -> ValidationContext:
        """The context that validates the B-LTA time stamp's TSA: the given one,
        or for rebuilt tools, the online one when the data gathered while
        preparing is no longer enough."""
        context = self.validation_context
        if self.timestamper is None or context is None:
            raise SigningError("PAdES B-LTA needs a time-stamping authority and trust roots")
        pending = self.refetch
        if pending is None:
            return context
        try:
            async for _path in self.timestamper.validation_paths(context):  # type: ignore[no-untyped-call]
                pass
        except InsufficientRevinfoError:
            self.online = validation_context(
                pending.trust_roots, revocation=pending.revocation, allow_fetching=True
            )
            return self.online
        return context

    async def aclose(self) -> None:
        """Release the network sessions of the contexts these tools own."""
        if self.owns_context and self.validation_context is not None:
            await self.validation_context.aclose()  # type: ignore[no-untyped-call]
        if self.online is not None:
            await self.online.aclose()  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class _Holder:
    """The signer's certificate side, as the pending state knows it."""

    pending: PendingPdfSignature

    @property
    def certificate(self) -> Any:
        return self.pending.certificate

    @property
    def chain(self) -> Any:
        return self.pending.chain

    @property
    def key_kind(self) -> Any:
        return self.pending.key_kind

    @property
    def key_size(self) -> int:
        return self.pending.key_size


def check_value(pending: PendingPdfSignature, value: bytes) -> bytes:
    """The remote engine's check of a value made elsewhere: it must verify with
    the certificate's key over :attr:`~PendingPdfSignature.digest` (the exact
    signed attributes), with the prepared mechanism; and those attributes must
    carry the prepared byte-range digest. Returns the value normalised (ECDSA
    DER); raises :class:`~vnsign.errors.RemoteResponseError` when it does not
    verify, :class:`~vnsign.errors.MalformedInputError` for a damaged state."""
    # The remote package is imported here only: signing now never needs it.
    from vnsign.pki.remote.checks import verify_signature
    from vnsign.pki.remote.model import SignatureMechanism

    try:
        carried = find_unique_cms_attribute(pending.attributes, "message_digest").native
    except (ValueError, KeyError, PyHankoSigningError) as exc:
        raise MalformedInputError(f"the prepared signed attributes are damaged: {exc}") from exc
    if carried != pending.document_digest:
        raise MalformedInputError(
            "the prepared signed attributes do not cover the prepared document's digest"
        )
    mechanism = SignatureMechanism(pending.hash_algorithm, pending.key_kind, pending.scheme)
    return verify_signature(pending.certificate, mechanism, pending.digest, value)


async def async_finish(
    handle: BinaryIO, pending: PendingPdfSignature, value: bytes, tools: FinishingTools
) -> int:
    """Fill the prepared ``/Contents`` of the document in ``handle`` (read-write)
    with the CMS around ``value`` (and its signature time stamp at B-T and
    above), then add the B-LTA document time stamp; returns the CMS size (DER
    bytes). ``value`` is taken as it is: check a value made elsewhere with
    :func:`check_value` first."""
    md = pending.hash_algorithm.value
    timestamper = tools.timestamper if pending.level.needs_timestamp else None
    try:
        signed = await tools.assembler.async_assemble(
            md, pending.attributes, value, timestamper=timestamper
        )
        der = signed.dump()
        if 2 * len(der) > pending.reserved_bytes:
            raise SigningError(
                f"the signature container ({len(der)} bytes) does not fit the "
                f"{pending.reserved_bytes // 2} bytes reserved for it"
            )
        pending.prepared_digest.fill_with_cms(handle, der)
        if pending.level is PadesLevel.B_LTA:
            await _archive_timestamp(handle, pending, tools)
    except PyHankoSigningError as exc:
        raise SigningError(pyhanko_message(exc)) from exc
    except (ValidationError, PathError) as exc:
        raise SigningError(f"cannot validate the time-stamping authority: {exc}") from exc
    except PdfError as exc:
        raise MalformedInputError(f"cannot finish the PDF signature: {exc}") from exc
    return len(der)


async def _archive_timestamp(
    handle: BinaryIO, pending: PendingPdfSignature, tools: FinishingTools
) -> None:
    # What pyHanko's post-signing step does for PAdES-LTA with the DSS placed
    # together with the signature: DSS for the TSA, then the document time stamp.
    context = await tools.archive_context()
    timestamper = tools.timestamper
    assert timestamper is not None  # archive_context checked
    writer = IncrementalPdfFileWriter(handle, strict=pending.strict)
    if writer.security_handler is not None and tools.file_credential is not None:
        writer.security_handler.authenticate(tools.file_credential)
    await PdfTimeStamper(timestamper).async_timestamp_pdf(
        writer,
        pending.hash_algorithm.value,
        context,
        validation_paths=tools.validation_paths,
        timestamper=timestamper,
        in_place=True,
        chunk_size=CHUNK_SIZE,
        dss_settings=DSS_SETTINGS.get_settings_for_ts(),
        embed_roots=pending.embed_roots,
    )


def pyhanko_message(exc: PyHankoSigningError) -> str:
    """pyHanko's message, with its cause when it has one."""
    cause = exc.__cause__
    return f"{exc}: {cause}" if cause is not None else str(exc)
