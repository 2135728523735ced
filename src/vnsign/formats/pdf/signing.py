"""The PDF signing pipeline: document + credential + options → signed document.

One :class:`PdfSigningService` holds what does not change between documents (the
credential's CMS parts, the time stamper, the validation context, the size of
the signature container), so :func:`sign_many` pays for them once. Each
document is signed in an incremental update written to a temporary copy next to
the output, then renamed (see :mod:`vnsign.formats.pdf.output`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from asn1crypto import cms
from cryptography import x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.signers.pdf_byterange import BuildProps
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.signers.pdf_signer import (
    DSSContentSettings,
    PdfMacAttrProviderSpec,
    PdfSignatureMetadata,
    PdfSigner,
    PdfSigningSession,
    PreSignValidationStatus,
    SigDSSPlacementPreference,
)
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.stamp import NoOpStampStyle
from pyhanko_certvalidator import ValidationContext

from vnsign._version import __version__
from vnsign.errors import InputError, MalformedInputError, SigningError, VnsignError
from vnsign.formats.pdf.appearance import AppearancePlan, plan_appearance
from vnsign.formats.pdf.cms import PdfCmsSigner, reserved_size
from vnsign.formats.pdf.options import (
    Appearance,
    Nd30Appearance,
    PadesLevel,
    Role,
    SignOptions,
    SubFilter,
)
from vnsign.formats.pdf.output import AtomicOutput, check_paths
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
from vnsign.formats.pdf.preflight import (
    PARSE_ERRORS,
    DocumentState,
    inspect_document,
    open_pdf,
)
from vnsign.formats.pdf.results import BatchItem, SignedPdf
from vnsign.formats.pdf.signing_time import signing_time
from vnsign.formats.pdf.validation_data import RevocationData, validation_context
from vnsign.formats.pdf.widget import (
    add_field,
    find_field,
    reserve_seal_field,
    set_appearance,
)
from vnsign.pki.credentials import Credential, SignatureScheme
from vnsign.pki.timestamps import TimestampClient

__all__ = ["PdfSigningService", "SignJob", "default_placement", "sign_many", "sign_pdf"]

CHUNK_SIZE = 1 << 20
"""Hashing and copying work in 1 MiB pieces (pyHanko's default is 4 KiB)."""


@dataclass(frozen=True)
class SignJob:
    """One document to sign: where from, where to, and what signature to add."""

    input: Path
    output: Path
    role: Role = Role.PERSON
    level: PadesLevel = PadesLevel.B_B
    appearance: Appearance | None = None
    """``None``: the Decree 30 appearance of ``role`` (which may need an image)."""
    placement: Placement | None = None
    """``None``: the Decree 30 position of ``role`` (see :func:`default_placement`)."""
    password: str | None = field(default=None, repr=False)
    options: SignOptions = field(default_factory=SignOptions)

    def __post_init__(self) -> None:
        object.__setattr__(self, "input", Path(self.input))
        object.__setattr__(self, "output", Path(self.output))
        object.__setattr__(self, "role", Role(self.role))
        object.__setattr__(self, "level", PadesLevel.parse(self.level))


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


class PdfSigningService:
    """Signs PDFs with one credential, reusing everything that can be reused.

    ``timestamp`` is the TSA (a :class:`~vnsign.pki.timestamps.TimestampClient`
    or its URL) for B-T and above; ``trust_roots`` are needed for B-LT and B-LTA,
    and when given the signer's certificate is validated before every signature
    (TT15-SIGN-PRECHECK). Revocation data is fetched online (OCSP, CRL) unless
    ``allow_fetching`` is false, in which case pre-fetched ``revocation`` data
    must cover the signer's chain and the TSA's.
    """

    def __init__(
        self,
        credential: Credential,
        *,
        timestamp: TimestampClient | str | None = None,
        trust_roots: Sequence[x509.Certificate] = (),
        revocation: RevocationData | None = None,
        allow_fetching: bool = True,
        scheme: SignatureScheme = SignatureScheme.PKCS1V15,
        embed_roots: bool = True,
    ) -> None:
        self.credential = credential
        self._cms = PdfCmsSigner(credential, scheme=scheme, embed_roots=embed_roots)
        client = TimestampClient(timestamp) if isinstance(timestamp, str) else timestamp
        self._timestamper: TimeStamper | None = client.as_pyhanko() if client else None
        self._trust_roots = tuple(trust_roots)
        self._revocation = revocation
        self._allow_fetching = allow_fetching
        self._context: ValidationContext | None = None
        self._reserved: dict[tuple[object, ...], int] = {}

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

    def sign(self, job: SignJob) -> SignedPdf:
        """Sign one document (see :meth:`async_sign`)."""
        return asyncio.run(self._run_one(job))

    async def _run_one(self, job: SignJob) -> SignedPdf:
        try:
            return await self.async_sign(job)
        finally:
            await self.aclose()

    def sign_many(self, jobs: Iterable[SignJob], *, stop_on_error: bool = False) -> list[BatchItem]:
        """Sign documents one after the other in one event loop; a failure is
        reported in its :class:`BatchItem` and the batch goes on (unless
        ``stop_on_error``)."""
        return asyncio.run(self._run_many(jobs, stop_on_error))

    async def _run_many(self, jobs: Iterable[SignJob], stop_on_error: bool) -> list[BatchItem]:
        items = []
        try:
            for job in jobs:
                try:
                    items.append(BatchItem(job, await self.async_sign(job), None))
                except VnsignError as exc:
                    if stop_on_error:
                        raise
                    items.append(BatchItem(job, None, exc))
        finally:
            await self.aclose()
        return items

    async def async_sign(self, job: SignJob) -> SignedPdf:
        """Sign ``job.input`` into ``job.output``.

        Raises :class:`~vnsign.errors.InputError` for unusable input or options
        (:class:`~vnsign.errors.MalformedInputError` for a damaged PDF),
        :class:`~vnsign.errors.SigningError` when the document cannot be signed as
        asked (encrypted, would break a signature, Decree 30 order ...),
        :class:`~vnsign.errors.NetworkError` when a TSA, OCSP or CRL service fails,
        :class:`~vnsign.errors.CredentialError` when the credential cannot sign.
        """
        try:
            return await self._sign(job)
        except VnsignError:
            raise
        except PARSE_ERRORS as exc:
            # pyHanko reads objects lazily: damage can surface at any step.
            raise MalformedInputError(f"cannot sign {job.input.name}: {exc}") from exc

    async def _sign(self, job: SignJob) -> SignedPdf:
        options = job.options
        self._check_job(job)
        check_paths(job.input, job.output)
        at = signing_time(options.signing_time)
        appearance = job.appearance or Nd30Appearance()
        plan = plan_appearance(
            job.role,
            appearance,
            certificate=self.credential.certificate,
            signing_time=at,
            check_images=options.check_images,
        )
        placement = job.placement or default_placement(job.role)
        with AtomicOutput(job.output, source=job.input) as handle:
            writer = open_pdf(handle, job.password)
            state = inspect_document(writer)
            state.check_document(
                role=job.role, certify=options.certify is not None, force=options.force
            )
            with open(job.input, "rb") as text_source:
                context = PlacementContext(
                    writer, text_source, job.password, self.credential.certificate
                )
                resolved = resolve_placement(placement, plan, context)
            if isinstance(placement, ExistingField):
                existing: str | None = placement.name
            else:
                existing = resolved.field_name if resolved else None
            state.check_field(existing, visible=plan is not None, force=options.force)
            name = existing or self._new_field_name(options, state)
            self._prepare_field(writer, name, existing, plan, resolved, options)
            if options.reserve_seal_mm is not None and plan is not None and resolved:
                reserve_seal_field(writer, f"{name}_Seal", resolved, options.reserve_seal_mm)
            signed_size, reserved = await self._sign_prepared(writer, name, job, at)
        return SignedPdf(
            path=job.output,
            field_name=name,
            role=job.role,
            level=job.level,
            signing_time=at,
            shown_text=plan.lines if plan and resolved else (),
            page=resolved.geometry.index + 1 if plan and resolved else None,
            rect=resolved.rect if plan and resolved else None,
            reserved_bytes=reserved,
            signature_bytes=signed_size,
        )

    def _check_job(self, job: SignJob) -> None:
        level, options = job.level, job.options
        if options.subfilter is SubFilter.PKCS7 and level.needs_validation_data:
            raise InputError(
                f"PAdES {level} needs the PAdES subfilter (ETSI.CAdES.detached), "
                "not adbe.pkcs7.detached"
            )
        if level.needs_timestamp and self._timestamper is None:
            raise InputError(f"PAdES {level} needs a time-stamping authority (timestamp=URL)")
        if level.needs_validation_data and not self._trust_roots:
            raise InputError(f"PAdES {level} needs trust roots to collect validation data")

    @staticmethod
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
        self,
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
                field_dict = add_field(
                    writer, name, visible, lock=options.lock, tooltip=options.reason
                )
            else:
                field_dict = find_field(writer, existing)
            if plan is not None and resolved is not None:
                set_appearance(writer, field_dict, plan, resolved)
        except (PdfError, KeyError, TypeError, ValueError, AttributeError) as exc:
            if isinstance(exc, VnsignError):
                raise
            raise MalformedInputError(f"cannot add a signature field: {exc}") from exc

    def _metadata(self, name: str, job: SignJob) -> PdfSignatureMetadata:
        options, level = job.options, job.level
        context = self.validation_context
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
            validation_context=context,
            signer_key_usage=set(),
            # DSS in the signature's own revision: a B-LT document is one revision
            # whose signature covers the whole file (VRI is deprecated in PAdES).
            dss_settings=DSSContentSettings(
                placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE, include_vri=False
            ),
            app_build_props=BuildProps(name="vnsign", revision=__version__),
        )

    async def _sign_prepared(
        self, writer: IncrementalPdfFileWriter, name: str, job: SignJob, at: datetime
    ) -> tuple[int, int]:
        timestamper = self._timestamper if job.level.needs_timestamp else None
        signer = PdfSigner(
            self._metadata(name, job),
            self._cms,
            timestamper=timestamper,
            stamp_style=NoOpStampStyle(),
        )
        try:
            session = signer.init_signing_session(writer, existing_fields_only=True)
            session.system_time = at
            status = await session.perform_presign_validation(writer)
            reserved = await self._reserved_size(session, status, writer)
            tbs = session.prepare_tbs_document(validation_info=status, bytes_reserved=reserved)
            prepared, output = tbs.digest_tbs_document(in_place=True, chunk_size=CHUNK_SIZE)
            attributes = PdfCMSSignedAttributes(
                signing_time=session.system_time,
                adobe_revinfo_attr=status.adobe_revinfo_attr if status else None,
            )
            post = await tbs.perform_signature(prepared.document_digest, attributes)
            await post.post_signature_processing(output, chunk_size=CHUNK_SIZE)
        except PyHankoSigningError as exc:
            raise SigningError(_pyhanko_message(exc)) from exc
        except PdfError as exc:
            raise MalformedInputError(f"cannot sign the PDF: {exc}") from exc
        der_size = len(cms.ContentInfo.load(post.sig_contents, strict=False).dump())
        return der_size, reserved

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


def _pyhanko_message(exc: PyHankoSigningError) -> str:
    cause = exc.__cause__
    return f"{exc}: {cause}" if cause is not None else str(exc)


def sign_pdf(
    input: str | Path,
    output: str | Path,
    credential: Credential,
    *,
    role: Role | str = Role.PERSON,
    level: PadesLevel | str = PadesLevel.B_B,
    appearance: Appearance | None = None,
    placement: Placement | None = None,
    timestamp: TimestampClient | str | None = None,
    trust_roots: Sequence[x509.Certificate] = (),
    revocation: RevocationData | None = None,
    allow_fetching: bool = True,
    password: str | None = None,
    options: SignOptions | None = None,
) -> SignedPdf:
    """Sign one PDF (Decree 30 form of ``role``, PAdES ``level``) into ``output``.

    The input is never modified; ``output`` appears only once it is complete.
    See :class:`PdfSigningService` for ``timestamp``, ``trust_roots``,
    ``revocation`` and ``allow_fetching``, and :class:`SignJob` for the rest.
    """
    service = PdfSigningService(
        credential,
        timestamp=timestamp,
        trust_roots=trust_roots,
        revocation=revocation,
        allow_fetching=allow_fetching,
    )
    job = SignJob(
        Path(input),
        Path(output),
        role=Role(role),
        level=PadesLevel.parse(level),
        appearance=appearance,
        placement=placement,
        password=password,
        options=options or SignOptions(),
    )
    return service.sign(job)


def sign_many(
    jobs: Iterable[SignJob],
    credential: Credential,
    *,
    timestamp: TimestampClient | str | None = None,
    trust_roots: Sequence[x509.Certificate] = (),
    revocation: RevocationData | None = None,
    allow_fetching: bool = True,
    stop_on_error: bool = False,
) -> list[BatchItem]:
    """Sign many PDFs with one credential; the credential, CMS parts, time stamper,
    validation context and container size are prepared once for the batch."""
    service = PdfSigningService(
        credential,
        timestamp=timestamp,
        trust_roots=trust_roots,
        revocation=revocation,
        allow_fetching=allow_fetching,
    )
    return service.sign_many(jobs, stop_on_error=stop_on_error)
