"""PDF signing: vnsign against plain pyHanko, same run, same machine, same key.

    .venv/bin/python bench/pdf_bench.py [--documents 200] [--large-mb 240] [--skip-large]

Small documents: the one-page sample administrative document, RSA-2048 (the test
PKI's person), PAdES B-B.

* plain pyHanko: ``pyhanko.sign.signers.sign_pdf`` per document with one
  ``SimpleSigner`` loaded once from the PKCS#12 file, output written to a file;
* vnsign: ``PdfSigningService`` over one credential loaded once from the same
  PKCS#12 file (what ``sign_many`` uses), output written to a temporary file,
  fsync'ed and renamed.

Large document: a ``--large-mb`` PDF (scanned-document-like pages of raw image
data), signed invisibly, each tool in a fresh process so that peak memory (max
RSS, imports included) belongs to that tool alone. Times are medians of three
alternating runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

PASSWORD = b"bench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--large-mb", type=int, default=240)
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--child", choices=["plain", "vnsign", "baseline"])
    parser.add_argument("--src", type=Path)
    parser.add_argument("--p12", type=Path)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.src, args.p12)
        return

    from vnsign.formats.pdf.samples import administrative_document
    from vnsign.testing import TestPKI

    with TestPKI() as pki, tempfile.TemporaryDirectory(prefix="vnsign-pdf-bench-") as tmp:
        folder = Path(tmp)
        p12 = folder / "person.p12"
        p12.write_bytes(pki.person.pkcs12(PASSWORD))
        official = folder / "official.p12"
        official.write_bytes(pki.gov_official.pkcs12(PASSWORD))
        agency = folder / "agency.p12"
        agency.write_bytes(pki.gov_agency.pkcs12(PASSWORD))
        one_page = folder / "one-page.pdf"
        one_page.write_bytes(administrative_document())
        print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; RSA-2048; PAdES B-B")
        print(f"{args.documents} documents of {one_page.stat().st_size} bytes (1 page)\n")
        small = _small(folder, one_page, p12, official, agency, args.documents)
        for label, value in small.items():
            print(f"  {label:<58} {value:8.2f} ms")
        ratio = (
            small["plain pyHanko sign_pdf, median per document"]
            / small["vnsign sign_many, invisible, median per document"]
        )
        print(f"\n  vnsign is {ratio:.1f} x faster than plain pyHanko per document")
        if not args.skip_large:
            print()
            _large(folder, p12, args.large_mb)


# Small documents ------------------------------------------------------------


def _small(
    folder: Path, source: Path, p12: Path, official: Path, agency: Path, count: int
) -> dict[str, float]:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter

    from vnsign.formats.pdf import (
        INVISIBLE,
        Box,
        Nd30Appearance,
        OnPage,
        PdfSigningService,
        Role,
        SignatureImage,
        SignerBlock,
        SignJob,
    )
    from vnsign.formats.pdf.samples import handwritten_signature_png, seal_png
    from vnsign.pki.credentials import load_credential

    results: dict[str, float] = {}
    out = folder / "out"
    out.mkdir()

    signer = signers.SimpleSigner.load_pkcs12(str(p12), passphrase=PASSWORD)
    meta = signers.PdfSignatureMetadata(field_name="Signature1", subfilter=SigSeedSubFilter.PADES)

    def plain(n: int) -> None:
        with source.open("rb") as handle:
            signed = signers.sign_pdf(IncrementalPdfFileWriter(handle), meta, signer=signer)
        (out / f"plain-{n % 10}.pdf").write_bytes(signed.getvalue())

    plain(0)  # warm-up
    results["plain pyHanko sign_pdf, median per document"] = _median_ms(plain, count)

    credential = load_credential(p12, PASSWORD.decode())
    jobs = [SignJob(source, out / f"v-{n % 10}.pdf", appearance=INVISIBLE) for n in range(count)]
    results["vnsign sign_many, invisible, median per document"] = _service_median(
        PdfSigningService(credential), jobs
    )
    service = PdfSigningService(credential)
    started = time.perf_counter()
    items = service.sign_many(jobs)
    assert all(item.ok for item in items)
    results["vnsign sign_many, invisible, wall time / documents"] = (
        (time.perf_counter() - started) * 1000 / count
    )

    person = load_credential(official, PASSWORD.decode())
    seal_signer = load_credential(agency, PASSWORD.decode())
    hand = Nd30Appearance(image=SignatureImage(handwritten_signature_png()))
    seal = Nd30Appearance(image=SignatureImage(seal_png()))
    box = OnPage(Box(115, 185, 55, 25))
    results["vnsign, person (blue image) in a box"] = _service_median(
        PdfSigningService(person),
        [
            SignJob(source, out / f"b-{n % 10}.pdf", appearance=hand, placement=box)
            for n in range(count)
        ],
    )
    few = max(20, count // 5)
    results["vnsign, person between position line and name (text search)"] = _service_median(
        PdfSigningService(person),
        [
            SignJob(source, out / f"s-{n % 10}.pdf", appearance=hand, placement=SignerBlock())
            for n in range(few)
        ],
    )
    personal = out / "person.pdf"
    PdfSigningService(person).sign(SignJob(source, personal, appearance=hand))
    results["vnsign, agency seal over the person's signature"] = _service_median(
        PdfSigningService(seal_signer),
        [
            SignJob(personal, out / f"o-{n % 10}.pdf", role=Role.ORGANIZATION, appearance=seal)
            for n in range(count)
        ],
    )
    results["vnsign, attachment (number + time, top right)"] = _service_median(
        PdfSigningService(seal_signer),
        [
            SignJob(
                source,
                out / f"a-{n % 10}.pdf",
                role=Role.ATTACHMENT,
                appearance=Nd30Appearance(document_number=f"{n}/QĐ-STP"),
            )
            for n in range(count)
        ],
    )
    results["vnsign, electronic copy (SAO Y, agency, time)"] = _service_median(
        PdfSigningService(seal_signer),
        [SignJob(source, out / f"c-{n % 10}.pdf", role=Role.COPY) for n in range(count)],
    )
    return results


def _median_ms(run: Callable[[int], None], count: int) -> float:
    times = []
    for n in range(count):
        started = time.perf_counter()
        run(n)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def _service_median(service: object, jobs: list[object]) -> float:
    from vnsign.formats.pdf import PdfSigningService, SignJob

    assert isinstance(service, PdfSigningService)

    async def run() -> list[float]:
        times = []
        try:
            await service.async_sign(jobs[0])  # type: ignore[arg-type]  # warm-up
            for job in jobs:
                assert isinstance(job, SignJob)
                started = time.perf_counter()
                await service.async_sign(job)
                times.append(time.perf_counter() - started)
        finally:
            await service.aclose()
        return times

    return statistics.median(asyncio.run(run())) * 1000


# Large document ------------------------------------------------------------


def _large(folder: Path, p12: Path, megabytes: int) -> None:
    from vnsign.formats.pdf.samples import scanned_document

    source = folder / "large.pdf"
    source.write_bytes(scanned_document(megabytes))
    size = source.stat().st_size
    print(f"Large document: {size / 1e6:.0f} MB, {megabytes} pages, invisible B-B")
    runs: dict[str, list[dict[str, float]]] = {"plain": [], "vnsign": []}
    baseline = _run_child("baseline", source, p12)
    for _ in range(3):
        for tool in ("plain", "vnsign"):
            runs[tool].append(_run_child(tool, source, p12))
    print(
        f"  {'imports only (python + pyHanko + vnsign)':<44} peak RSS {baseline['peak_mb']:6.0f} MB"
    )
    medians = {}
    for tool, label in (("plain", "plain pyHanko sign_pdf"), ("vnsign", "vnsign sign_pdf")):
        seconds = statistics.median(r["seconds"] for r in runs[tool])
        peak = max(r["peak_mb"] for r in runs[tool])
        medians[tool] = seconds
        print(f"  {label:<44} {seconds:6.2f} s   peak RSS {peak:6.0f} MB")
    print(f"\n  vnsign / plain pyHanko time: {medians['vnsign'] / medians['plain']:.2f}")


def _run_child(tool: str, source: Path, p12: Path) -> dict[str, float]:
    # Flush what earlier runs wrote, so no run pays for another's write-back.
    os.sync()
    done = subprocess.run(
        [sys.executable, __file__, "--child", tool, "--src", str(source), "--p12", str(p12)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _child(tool: str, source: Path, p12: Path) -> None:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter

    from vnsign.formats.pdf import INVISIBLE, PdfSigningService, SignJob
    from vnsign.pki.credentials import load_credential

    # Outputs stay until the temporary folder goes: on a file system mounted with
    # ``discard`` a deleted 240 MB file slows the next run's writes.
    target = source.with_name(f"large-{tool}-{os.getpid()}.pdf")
    seconds = 0.0
    if tool == "plain":
        signer = signers.SimpleSigner.load_pkcs12(str(p12), passphrase=PASSWORD)
        meta = signers.PdfSignatureMetadata(
            field_name="Signature1", subfilter=SigSeedSubFilter.PADES
        )
        started = time.perf_counter()
        with source.open("rb") as handle:
            signed = signers.sign_pdf(IncrementalPdfFileWriter(handle), meta, signer=signer)
            target.write_bytes(signed.getbuffer())
        seconds = time.perf_counter() - started
    elif tool == "vnsign":
        service = PdfSigningService(load_credential(p12, PASSWORD.decode()))
        started = time.perf_counter()
        service.sign(SignJob(source, target, appearance=INVISIBLE))
        seconds = time.perf_counter() - started
    peak = _peak_rss_mb()
    print(json.dumps({"seconds": seconds, "peak_mb": peak}))


def _peak_rss_mb() -> float:
    """Peak resident memory of this process (VmHWM). ``ru_maxrss`` would do, but
    on Linux it keeps the parent's peak across fork and exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main()
