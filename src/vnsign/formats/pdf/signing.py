"""The PDF signing pipeline: document + credential + options → signed document.

Signing is preparing (:mod:`vnsign.formats.pdf.preparing`: everything up to the
value), the credential's signature over the prepared signed attributes, and
finishing (:mod:`vnsign.formats.pdf.finishing`: the CMS into ``/Contents``,
then B-LTA), all in memory on one temporary copy; a remote signer's deferred
signature runs the same two steps in different processes
(:mod:`vnsign.formats.pdf.deferred`). One :class:`PdfSigningService` holds what
does not change between documents (the credential's CMS parts, the time
stamper, the validation context, the size of the signature container), so
:func:`sign_many` pays for them once. Each document is signed in an incremental
update written to a temporary copy next to the output, then renamed (see
:mod:`vnsign.formats.pdf.output`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509

from vnsign.errors import MalformedInputError, VnsignError
from vnsign.formats.pdf.finishing import CHUNK_SIZE, async_finish
from vnsign.formats.pdf.options import (
    Appearance,
    PadesLevel,
    Role,
    SignOptions,
)
from vnsign.formats.pdf.output import AtomicOutput, check_paths
from vnsign.formats.pdf.placement import Placement
from vnsign.formats.pdf.preflight import PARSE_ERRORS
from vnsign.formats.pdf.preparing import PdfPreparer, default_placement
from vnsign.formats.pdf.results import BatchItem, SignedPdf
from vnsign.formats.pdf.validation_data import RevocationData
from vnsign.pki.credentials import Credential, SignatureScheme
from vnsign.pki.timestamps import TimestampClient

__all__ = [
    "CHUNK_SIZE",
    "PdfSigningService",
    "SignJob",
    "default_placement",
    "sign_many",
    "sign_pdf",
]


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


class PdfSigningService(PdfPreparer):
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
        super().__init__(
            credential,
            timestamp=timestamp,
            trust_roots=trust_roots,
            revocation=revocation,
            allow_fetching=allow_fetching,
            scheme=scheme,
            embed_roots=embed_roots,
        )
        self.credential = credential

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
        self.check_level(job.level, job.options.subfilter)
        check_paths(job.input, job.output)
        output = AtomicOutput(job.output, source=job.input, digest=job.options.hash_algorithm.value)
        with output as handle:
            with open(job.input, "rb") as text_source:
                prepared = await self.async_prepare(
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
            try:
                pending = prepared.pending
                value = self.credential.sign_digest(
                    pending.digest, pending.hash_algorithm, scheme=pending.scheme
                )
                size = await async_finish(handle, pending, value, prepared.tools)
            finally:
                prepared.release()
        return pending.signed(job.output, size)


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
