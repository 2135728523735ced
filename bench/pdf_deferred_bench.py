"""Deferred PDF signing in the Decree 30 forms: prepare and finish, per role.

    .venv/bin/python bench/pdf_deferred_bench.py [--documents 30] [--levels B-B,B-T]

The two halves of a remote signature (:mod:`vnsign.formats.pdf.deferred`),
without the phone: *prepare* is ``async_prepare_pdf_job`` (the PDF signer's
preparation, the prepared copy and its JSON state written and fsync'ed), *finish*
is ``async_finish_pdf_file`` (state and prepared copy read back and checked, the
value verified, the CMS assembled with its time stamp, the output written
atomically); the key's own signature in between is not counted. Each row is
the median over ``--documents`` one-page sample decisions (RSA-2048, the test
PKI's TSA and OCSP responders on 127.0.0.1), one preparer per row as a batch
has, after one warm-up document. For scale, the last column is the same form
signed at once with a key (``PdfSigningService.async_sign``).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from vnsign.formats.pdf import (
    INVISIBLE,
    Nd30Appearance,
    PadesLevel,
    PdfSigningService,
    Role,
    SignatureImage,
    SignJob,
)
from vnsign.formats.pdf.deferred import (
    DeferredPdfJob,
    DeferredPdfPreparer,
    async_finish_pdf_file,
)
from vnsign.formats.pdf.samples import administrative_document, handwritten_signature_png, seal_png
from vnsign.pki.credentials import KeyCredential
from vnsign.pki.remote import RemoteAccount
from vnsign.testing import TestPKI

FORMS = {
    "person (blue image, signer block)": (Role.PERSON, "hand"),
    "organization (seal over the person)": (Role.ORGANIZATION, "seal"),
    "attachment (number + time)": (Role.ATTACHMENT, "number"),
    "copy (SAO Y, agency, time)": (Role.COPY, None),
    "invisible": (Role.PERSON, "invisible"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=30)
    parser.add_argument("--levels", default="B-B,B-T")
    args = parser.parse_args()
    levels = [PadesLevel.parse(v) for v in args.levels.split(",")]
    with TestPKI() as pki, tempfile.TemporaryDirectory(prefix="vnsign-deferred-") as tmp:
        folder = Path(tmp)
        source = folder / "qd.pdf"
        source.write_bytes(administrative_document())
        person = folder / "qd.person.pdf"
        official = pki.gov_official
        key = KeyCredential(official.private_key, official.certificate, official.chain)
        PdfSigningService(key).sign(SignJob(source, person, appearance=_look("hand")))
        print(f"{args.documents} documents per row, median ms per document (RSA-2048)\n")
        print(f"  {'form':<38} {'level':<6} {'prepare':>8} {'finish':>8} {'at once':>8}")
        for label, (role, look) in FORMS.items():
            identity = pki.gov_agency if role is not Role.PERSON else official
            signer = KeyCredential(identity.private_key, identity.certificate, identity.chain)
            for level in levels:
                prepare, finish, live = asyncio.run(
                    _row(
                        folder / f"{role}-{look}-{level}",
                        person if role is Role.ORGANIZATION else source,
                        signer,
                        role,
                        look,
                        level,
                        pki,
                        args.documents,
                    )
                )
                print(f"  {label:<38} {level:<6} {prepare:8.2f} {finish:8.2f} {live:8.2f}")


def _look(kind: str | None) -> Nd30Appearance | object | None:
    if kind == "hand":
        return Nd30Appearance(image=SignatureImage(handwritten_signature_png()))
    if kind == "seal":
        return Nd30Appearance(image=SignatureImage(seal_png()))
    if kind == "number":
        return Nd30Appearance(document_number="12/QĐ-STP")
    if kind == "invisible":
        return INVISIBLE
    return None


async def _row(
    folder: Path,
    source: Path,
    signer: KeyCredential,
    role: Role,
    look: str | None,
    level: PadesLevel,
    pki: TestPKI,
    count: int,
) -> tuple[float, float, float]:
    folder.mkdir()
    appearance = _look(look)
    roots = pki.roots if level.needs_validation_data else ()
    tsa = pki.services.tsa_url if level.needs_timestamp else None
    account = RemoteAccount("bench", signer.certificate, signer.chain)
    preparer = DeferredPdfPreparer(timestamp=tsa, trust_roots=roots)
    service = PdfSigningService(signer, timestamp=tsa, trust_roots=roots)
    prepare_times, finish_times, live_times = [], [], []
    try:
        for n in range(count + 1):
            job = DeferredPdfJob(
                source,
                folder / f"out-{n}.pdf",
                f"QĐ {n}",
                role=role,
                level=level,
                appearance=appearance,  # type: ignore[arg-type]
            )
            started = time.perf_counter()
            prepared = await preparer(job, account, folder / "work", f"doc-{n}")
            prepared_at = time.perf_counter()
            pending = prepared.signature
            value = signer.sign_digest(
                pending.digest, pending.hash_algorithm, scheme=pending.scheme
            )
            finishing = time.perf_counter()
            await async_finish_pdf_file(prepared, value)
            finished = time.perf_counter()
            live = SignJob(
                source,
                folder / f"live-{n}.pdf",
                role=role,
                level=level,
                appearance=appearance,  # type: ignore[arg-type]
            )
            await service.async_sign(live)
            done = time.perf_counter()
            if n:  # the first document warms the caches (CMS parts, token, fonts)
                prepare_times.append(prepared_at - started)
                finish_times.append(finished - finishing)
                live_times.append(done - finished)
    finally:
        await preparer.aclose()
        await service.aclose()
    return (
        statistics.median(prepare_times) * 1000,
        statistics.median(finish_times) * 1000,
        statistics.median(live_times) * 1000,
    )


if __name__ == "__main__":
    main()
