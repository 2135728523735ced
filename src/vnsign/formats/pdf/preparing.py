"""Preparing a PDF signature: everything signing does before the value.

:class:`PdfPreparer` holds what does not change between the documents one
signer signs (the CMS parts of its certificate, the time stamper, the
validation context, the size of the signature container) and needs only the
certificate side of the signer (:class:`~vnsign.formats.pdf.cms.SignerCertificate`):
a credential signing now, or a remote signer's account whose value comes
minutes later. :meth:`PdfPreparer.async_prepare` works on a read-write copy of
the document and leaves it in its final pre-signing state, returning a
:class:`PdfPreparation`: the explicit
:class:`~vnsign.formats.pdf.pending.PendingPdfSignature` and the tools to
finish it in this process.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from cryptography import x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.signers.pdf_byterange import BuildProps
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.signers.pdf_signer import (
    PdfMacAttrProviderSpec,
    PdfSignatureMetadata,
    PdfSigner,
    PdfSigningSession,
    PreSignValidationStatus,
)
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.stamp import NoOpStampStyle
from pyhanko_certvalidator import ValidationContext

from vnsign._version import __version__
from vnsign.errors import InputError, MalformedInputError, SigningError, VnsignError
from vnsign.formats.pdf.appearance import AppearancePlan, plan_appearance
from vnsign.formats.pdf.byterange import signature_object, write_and_digest
from vnsign.formats.pdf.cms import PdfCmsSigner, SignerCertificate, reserved_size
from vnsign.formats.pdf.copying import CopyDigest
from vnsign.formats.pdf.finishing import (
    CHUNK_SIZE,
    DSS_SETTINGS,
    FinishingTools,
    pyhanko_message,
)
from vnsign.formats.pdf.options import (
    Appearance,
    Nd30Appearance,
    PadesLevel,
    Role,
    SignOptions,
    SubFilter,
)
from vnsign.formats.pdf.pending import PendingPdfSignature
from vnsign.formats.pdf.placement import (
    ExistingField,
    OverSignature,
    Placement,
    PlacementContext,
    ResolvedPlacement,
    SignerBlock,
    TopRight,
    resolve_placement,
)
from vnsign.formats.pdf.preflight import DocumentState, inspect_document, open_pdf
from vnsign.formats.pdf.signing_time import signing_time
from vnsign.formats.pdf.validation_data import RevocationData, validation_context
from vnsign.formats.pdf.widget import (
    add_field,
    find_field,
    reserve_seal_field,
    set_appearance,
)
from vnsign.pki.credentials import SignatureScheme
from vnsign.pki.timestamps import TimestampClient

__all__ = ["PdfPreparation", "PdfPreparer", "default_placement"]


def default_placement(role: Role) -> Placement:
    """Where Decree 30 puts a signature of ``role``: the person between the
    position line and the name (ô 7c), the seal over the left third of the
    person's signature (ô 8), attachments and copies at the top right of page 1
    (ô 14)."""
    if role is Role.PERSON:
        return SignerBlock()
    if role is Role.ORGANIZATION:
        return OverSignature()
    return TopRight()


@dataclass
class PdfPreparation:
    """A document in its final pre-signing state: the explicit state and the
    tools to finish it in this process (call :meth:`release` when done)."""

    pending: PendingPdfSignature
    tools: FinishingTools
    _mac: PdfMacAttrProviderSpec | None = None

    def release(self) -> None:
        """Take off the signer what an encrypted document with a MAC put on it."""
        if self._mac is not None:
            self._mac.uninstall()  # type: ignore[no-untyped-call]
            self._mac = None


class PdfPreparer:
    """Prepares PDF signatures for one signer, reusing everything that can be reused.

    ``timestamp`` is the TSA (a :class:`~vnsign.pki.timestamps.TimestampClient`
    or its URL) for B-T and above; ``trust_roots`` are needed for B-LT and B-LTA,
    and when given the signer's certificate is validated before every signature
    (TT15-SIGN-PRECHECK). Revocation data is fetched online (OCSP, CRL) unless
    ``allow_fetching`` is false, in which case pre-fetched ``revocation`` data
    must cover the signer's chain and the TSA's.
    """

    def __init__(
        self,
        signer: SignerCertificate,
        *,
        timestamp: TimestampClient | str | None = None,
        trust_roots: Sequence[x509.Certificate] = (),
        revocation: RevocationData | None = None,
        allow_fetching: bool = True,
        scheme: SignatureScheme = SignatureScheme.PKCS1V15,
        embed_roots: bool = True,
    ) -> None:
        self.signer = signer
        self._cms = PdfCmsSigner(signer, scheme=scheme, embed_roots=embed_roots)
        client = TimestampClient(timestamp) if isinstance(timestamp, str) else timestamp
        self._client = client
        self._timestamper: TimeStamper | None = client.as_pyhanko() if client else None
        self._trust_roots = tuple(trust_roots)
        self._revocation = revocation
        self._allow_fetching = allow_fetching
        self._context: ValidationContext | None = None
        self._reserved: dict[tuple[object, ...], int] = {}

    @property
    def scheme(self) -> SignatureScheme:
        """The RSA scheme of every signature (PKCS#1 v1.5 for ECDSA keys)."""
        return self._cms.scheme

    @property
    def validation_context(self) -> ValidationContext | None:
        """The validation context (built on first use), or ``None`` without trust roots."""
        if self._context is None and self._trust_roots:
            self._context = validation_context(
                self._trust_roots,
                revocation=self._revocation,
                allow_fetching=self._allow_fetching,
            )
        return self._context

    async def aclose(self) -> None:
        """Release network sessions."""
        if self._context is not None:
            await self._context.aclose()  # type: ignore[no-untyped-call]

    def check_level(self, level: PadesLevel, subfilter: SubFilter) -> None:
        """Refuse a level this preparer cannot reach."""
        if subfilter is SubFilter.PKCS7 and level.needs_validation_data:
            raise InputError(
                f"PAdES {level} needs the PAdES subfilter (ETSI.CAdES.detached), "
                "not adbe.pkcs7.detached"
            )
        if level.needs_timestamp and self._timestamper is None:
            raise InputError(f"PAdES {level} needs a time-stamping authority (timestamp=URL)")
        if level.needs_validation_data and not self._trust_roots:
            raise InputError(f"PAdES {level} needs trust roots to collect validation data")

    async def async_prepare(
        self,
        handle: BinaryIO,
        *,
        role: Role,
        level: PadesLevel,
        appearance: Appearance | None,
        placement: Placement | None,
        options: SignOptions,
        password: str | None,
        text_source: BinaryIO,
        copied: CopyDigest | None = None,
    ) -> PdfPreparation:
        """Put the document in ``handle`` (a read-write copy) in its final
        pre-signing state: field, appearance, signature dictionary with
        ``/Contents`` reserved, DSS for B-LT, byte-range digest and signed
        attributes. ``text_source`` is the original document, read by text
        anchors; ``copied`` the digest of the copy so far, if it was hashed as
        it was made (see :class:`~vnsign.formats.pdf.output.AtomicOutput`).
        Raises what :meth:`PdfSigningService.async_sign
        <vnsign.formats.pdf.signing.PdfSigningService.async_sign>` documents."""
        self.check_level(level, options.subfilter)
        certificate = self.signer.certificate
        at = signing_time(options.signing_time)
        plan = plan_appearance(
            role,
            appearance or Nd30Appearance(),
            certificate=certificate,
            signing_time=at,
            check_images=options.check_images,
        )
        chosen = placement or default_placement(role)
        writer = open_pdf(handle, password)
        state = inspect_document(writer)
        state.check_document(role=role, certify=options.certify is not None, force=options.force)
        context = PlacementContext(writer, text_source, password, certificate)
        resolved = resolve_placement(chosen, plan, context)
        if isinstance(chosen, ExistingField):
            existing: str | None = chosen.name
        else:
            existing = resolved.field_name if resolved else None
        state.check_field(existing, visible=plan is not None, force=options.force)
        name = existing or _new_field_name(options, state)
        _prepare_field(writer, name, existing, plan, resolved, options)
        if options.reserve_seal_mm is not None and plan is not None and resolved:
            reserve_seal_field(writer, f"{name}_Seal", resolved, options.reserve_seal_mm)
        visible = plan is not None and resolved is not None
        return await self._prepare_signature(
            writer,
            name=name,
            role=role,
            level=level,
            options=options,
            at=at,
            shown=plan.lines if plan and resolved else (),
            page=resolved.geometry.index + 1 if visible and resolved else None,
            rect=resolved.rect if visible and resolved else None,
            copied=copied,
        )

    async def _prepare_signature(
        self,
        writer: IncrementalPdfFileWriter,
        *,
        name: str,
        role: Role,
        level: PadesLevel,
        options: SignOptions,
        at: datetime,
        shown: tuple[str, ...],
        page: int | None,
        rect: tuple[float, float, float, float] | None,
        copied: CopyDigest | None,
    ) -> PdfPreparation:
        timestamper = self._timestamper if level.needs_timestamp else None
        signer = PdfSigner(
            self._metadata(name, level, options),
            self._cms,
            timestamper=timestamper,
            stamp_style=NoOpStampStyle(),
        )
        mac: PdfMacAttrProviderSpec | None = None
        done = False
        try:
            session = signer.init_signing_session(writer, existing_fields_only=True)
            session.system_time = at
            status = await session.perform_presign_validation(writer)
            reserved = await self._reserved_size(session, status, writer)
            session.prepare_tbs_document(validation_info=status, bytes_reserved=reserved)
            # An encrypted document with a MAC (ISO/TS 32004) has put a provider
            # on the shared signer; it comes off once this signature is finished.
            spec = self._cms.unsigned_attr_prov_spec
            mac = spec if isinstance(spec, PdfMacAttrProviderSpec) else None
            placeholder = signature_object(writer, name)
            if placeholder is None:
                raise SigningError(f"pyHanko left no signature dictionary in {name!r}")
            prepared = write_and_digest(
                writer, placeholder, session.md_algorithm, copied=copied, chunk_size=CHUNK_SIZE
            )
            attributes = await self._cms.signed_attrs(
                prepared.document_digest,
                session.md_algorithm,
                attr_settings=PdfCMSSignedAttributes(
                    signing_time=session.system_time,
                    adobe_revinfo_attr=status.adobe_revinfo_attr if status else None,
                ),
                use_pades=session.use_pades,
                timestamper=timestamper,
            )
            done = True
        except PyHankoSigningError as exc:
            raise SigningError(pyhanko_message(exc)) from exc
        except PdfError as exc:
            raise MalformedInputError(f"cannot sign the PDF: {exc}") from exc
        finally:
            if not done and mac is not None:
                mac.uninstall()  # type: ignore[no-untyped-call]
        handler = writer.security_handler
        file_credential = None
        if handler is not None and level is PadesLevel.B_LTA:
            extracted = handler.extract_credential()
            file_credential = extracted.serialise() if extracted is not None else None
        pending = PendingPdfSignature(
            field_name=name,
            role=role,
            level=level,
            subfilter=options.subfilter,
            signing_time=at,
            shown_text=shown,
            page=page,
            rect=rect,
            hash_algorithm=options.hash_algorithm,
            key_kind=self.signer.key_kind,
            scheme=self.scheme,
            certificate=self.signer.certificate,
            chain=tuple(self.signer.chain),
            embed_roots=self._cms.embed_roots,
            document_digest=prepared.document_digest,
            reserved_region_start=prepared.reserved_region_start,
            reserved_region_end=prepared.reserved_region_end,
            signed_attributes=attributes.dump(),
            reserved_bytes=reserved,
            timestamp=self._client if level.needs_timestamp else None,
            trust_roots=self._trust_roots if level.needs_validation_data else (),
            revocation=self._collected() if level is PadesLevel.B_LTA else None,
            allow_fetching=self._allow_fetching,
            strict=writer.prev.strict,
            encrypted=handler is not None,
            mac=mac is not None,
        )
        tools = FinishingTools(
            self._cms,
            timestamper,
            self.validation_context if level is PadesLevel.B_LTA else None,
            list(status.validation_paths) if status is not None else [],
            file_credential,
        )
        return PdfPreparation(pending, tools, mac)

    def _collected(self) -> RevocationData | None:
        # The revocation data validation has gathered so far (given or fetched):
        # finishing B-LTA in another process validates the TSA with it, so the
        # DSS stays as prepared unless that data has gone stale.
        context = self.validation_context
        if context is None:
            return self._revocation
        given = self._revocation or RevocationData()
        return RevocationData(
            ocsp_responses=tuple(r.dump() for r in context.ocsps),
            crls=tuple(c.dump() for c in context.crls),
            certificates=given.certificates,
        )

    def _metadata(self, name: str, level: PadesLevel, options: SignOptions) -> PdfSignatureMetadata:
        return PdfSignatureMetadata(
            field_name=name,
            md_algorithm=options.hash_algorithm.value,
            reason=options.reason,
            location=options.location,
            contact_info=options.contact_info,
            certify=options.certify is not None,
            docmdp_permissions=MDPPerm(int(options.certify or MDPPerm.FILL_FORMS.value)),
            subfilter=(
                SigSeedSubFilter.PADES
                if options.subfilter is SubFilter.PADES
                else SigSeedSubFilter.ADOBE_PKCS7_DETACHED
            ),
            embed_validation_info=level.needs_validation_data,
            use_pades_lta=level is PadesLevel.B_LTA,
            validation_context=self.validation_context,
            signer_key_usage=set(),
            dss_settings=DSS_SETTINGS,
            app_build_props=BuildProps(name="vnsign", revision=__version__),
        )

    async def _reserved_size(
        self,
        session: PdfSigningSession,
        status: PreSignValidationStatus | None,
        writer: IncrementalPdfFileWriter,
    ) -> int:
        revinfo = status.adobe_revinfo_attr if status else None
        handler = writer.security_handler
        mac = handler is not None and handler.pdf_mac_enabled
        key = (
            session.md_algorithm,
            session.use_pades,
            session.timestamper is not None,
            len(revinfo.dump()) if revinfo is not None else 0,
            mac,
        )
        size = self._reserved.get(key)
        if size is None:
            # ISO/TS 32004 (AES-256 encrypted PDFs): pyHanko adds a MAC token as
            # an unsigned attribute; the dry run must carry it too.
            spec = PdfMacAttrProviderSpec(writer) if mac else None
            if spec is not None:
                spec.install(self._cms, session.timestamper)
            try:
                size = await reserved_size(
                    self._cms,
                    md_algorithm=session.md_algorithm,
                    use_pades=session.use_pades,
                    signed_attrs=PdfCMSSignedAttributes(
                        signing_time=session.system_time, adobe_revinfo_attr=revinfo
                    ),
                    timestamper=session.timestamper,
                )
            finally:
                if spec is not None:
                    spec.uninstall()  # type: ignore[no-untyped-call]
            self._reserved[key] = size
        return size


def _new_field_name(options: SignOptions, state: DocumentState) -> str:
    if options.field_name:
        if options.field_name in state.all_field_names:
            raise SigningError(f"the document already has a field {options.field_name!r}")
        return options.field_name
    number = len(state.all_field_names) + 1
    while f"Signature{number}" in state.all_field_names:
        number += 1
    return f"Signature{number}"


def _prepare_field(
    writer: IncrementalPdfFileWriter,
    name: str,
    existing: str | None,
    plan: AppearancePlan | None,
    resolved: ResolvedPlacement | None,
    options: SignOptions,
) -> None:
    try:
        if existing is None:
            visible = resolved if plan is not None else None
            field_dict = add_field(writer, name, visible, lock=options.lock, tooltip=options.reason)
        else:
            field_dict = find_field(writer, existing)
        if plan is not None and resolved is not None:
            set_appearance(writer, field_dict, plan, resolved)
    except (PdfError, KeyError, TypeError, ValueError, AttributeError) as exc:
        if isinstance(exc, VnsignError):
            raise
        raise MalformedInputError(f"cannot add a signature field: {exc}") from exc
