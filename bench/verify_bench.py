"""`vnsign verify --jobs 2` on 1,000 one-page PAdES files from 20 signers, CRL checks
against the live test services, against a loop of plain pyHanko
`validate_pdf_signature` with the same trust (without and with revocation checking),
and poppler's `pdfsig` (one process per file, as scripts call it; on --pdfsig-files
of them, certificate checks off, since it cannot be pointed at the test roots).

    .venv/bin/python bench/verify_bench.py [--files 1000] [--pdfsig-files 200]

Every command runs in its own process; wall-clock times include starting Python.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils import generic, writer
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata

from vnsign.pki.credentials import KeyCredential
from vnsign.pki.signer import CredentialSigner
from vnsign.testing import TestPKI

HERE = Path(__file__).resolve().parent


def one_page(text: str) -> bytes:
    w = writer.PdfFileWriter()
    content = w.add_object(
        generic.StreamObject(stream_data=f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode())
    )
    w.insert_page(
        writer.PageObject(
            contents=content,
            media_box=generic.ArrayObject(map(generic.NumberObject, [0, 0, 595, 842])),
        )
    )
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def make_corpus(pki: TestPKI, folder: Path, count: int) -> None:
    people = [pki.issue() for _ in range(20)]
    credentials = [
        CredentialSigner(KeyCredential(p.private_key, p.certificate, p.chain)) for p in people
    ]
    meta = PdfSignatureMetadata(field_name="Signature1", subfilter=fields.SigSeedSubFilter.PADES)
    for n in range(count):
        out = io.BytesIO()
        signers.sign_pdf(
            IncrementalPdfFileWriter(io.BytesIO(one_page(f"Van ban so {n}"))),
            meta,
            signer=credentials[n % 20],
            output=out,
        )
        (folder / f"doc-{n:04d}.pdf").write_bytes(out.getvalue())


def timed(command: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0,):
        raise SystemExit(f"{command[:4]} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return elapsed, proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--pdfsig-files", type=int, default=200)
    args = parser.parse_args()
    with TestPKI() as pki, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "docs"
        folder.mkdir()
        started = time.perf_counter()
        make_corpus(pki, folder, args.files)
        print(f"made {args.files} signed PDFs in {time.perf_counter() - started:.1f} s")
        roots = Path(tmp) / "roots.pem"
        roots.write_bytes(pki.national_root.certificate.public_bytes(Encoding.PEM))
        policy = Path(tmp) / "crl.toml"
        policy.write_text('[revocation]\nmethods = ["crl"]\n')

        results = {}
        for jobs in (1, 2):
            crl_before = pki.services.requests["crl"]
            elapsed, out = timed(
                [
                    sys.executable,
                    "-m",
                    "vnsign",
                    "verify",
                    str(folder),
                    "--jsonl",
                    "--jobs",
                    str(jobs),
                    "--trust",
                    str(roots),
                    "--trust-regime",
                    "public",
                    "--policy",
                    str(policy),
                ]
            )
            verdicts = [json.loads(line)["verdict"] for line in out.splitlines()]
            assert verdicts == ["valid"] * args.files, set(verdicts)
            results[f"vnsign verify --jobs {jobs} (CRL checks)"] = (
                elapsed,
                pki.services.requests["crl"] - crl_before,
            )
        for revocation in (False, True):
            elapsed, out = timed(
                [sys.executable, str(HERE / "baseline_pyhanko_verify.py"), str(folder), str(roots)]
                + (["--revocation"] if revocation else [])
            )
            _, good, loop = out.split()
            assert int(good) == args.files, out
            label = "plain pyHanko loop, " + (
                "with revocation (OCSP/CRL fetched)" if revocation else "no revocation checking"
            )
            results[label] = (elapsed, None)
            results[label + ", loop only"] = (float(loop), None)
        pdfsig = shutil.which("pdfsig")
        if pdfsig and args.pdfsig_files:
            sample = sorted(folder.iterdir())[: args.pdfsig_files]
            started = time.perf_counter()
            for path in sample:
                _, out = timed([pdfsig, "-nocert", str(path)])
                assert "Signature is Valid" in out, out
            per_file = (time.perf_counter() - started) / len(sample)
            results["poppler pdfsig -nocert, one process per file"] = (
                per_file * args.files,
                None,
            )

    print(f"\n{'run':<62} {'total s':>8} {'ms/file':>8} {'files/s':>8}")
    for label, (elapsed, crls) in results.items():
        extra = f"  ({crls} CRL downloads)" if crls is not None else ""
        per_file, rate = 1000 * elapsed / args.files, args.files / elapsed
        print(f"{label:<62} {elapsed:8.2f} {per_file:8.2f} {rate:8.1f}{extra}")


if __name__ == "__main__":
    main()
