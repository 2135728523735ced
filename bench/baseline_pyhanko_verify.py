"""Baseline for bench/verify_bench.py: plain pyHanko, one file after another.

Runs in its own process and imports nothing from vnsign (vnsign speeds up some
pyHanko internals when imported; the baseline must not get those for free).

    python bench/baseline_pyhanko_verify.py FOLDER ROOTS.pem [--revocation]
"""

from __future__ import annotations

import sys
import time
from io import BytesIO
from pathlib import Path

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext


def main(folder: Path, roots_file: Path, revocation: bool) -> None:
    roots = [
        asn1_x509.Certificate.load(der)
        for _, _, der in pem.unarmor(roots_file.read_bytes(), multiple=True)
    ]
    context = ValidationContext(
        trust_roots=roots,
        allow_fetching=revocation,
        revocation_mode="hard-fail" if revocation else "soft-fail",
    )
    files = sorted(folder.glob("*.pdf"))
    started = time.perf_counter()
    good = 0
    for path in files:
        reader = PdfFileReader(BytesIO(path.read_bytes()))
        status = validate_pdf_signature(reader.embedded_signatures[0], context)
        good += bool(status.bottom_line)
    elapsed = time.perf_counter() - started
    print(f"{len(files)} {good} {elapsed:.3f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), "--revocation" in sys.argv)
