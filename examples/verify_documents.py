"""Verify every signed document in a folder and print one JSON report per line.

    python examples/verify_documents.py FOLDER [--trust ROOTS.pem] [--profile vn-legal]

One Verifier serves the whole folder, so certificate chains, CRLs and OCSP answers
are fetched once. A document that fails verification is a report, never an
exception; the exit code is 0 when every document is valid, 1 otherwise.
Without --trust, the bundled Vietnamese roots are trusted.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from vnsign.pki.identity import Regime
from vnsign.pki.trust import TrustStore
from vnsign.verify import Verdict, Verifier

SUFFIXES = {".pdf", ".xml", ".edxml", ".p7s"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--trust", type=Path, action="append", default=[])
    parser.add_argument("--profile", default="vn-legal")
    args = parser.parse_args()
    trust = TrustStore.builtin()
    if args.trust:
        trust = trust.with_files(args.trust, regime=Regime.UNKNOWN)
    verifier = Verifier(args.profile, trust=trust)
    all_valid = True
    for path in sorted(p for p in args.folder.rglob("*") if p.suffix.lower() in SUFFIXES):
        report = verifier.verify(path)
        all_valid &= report.verdict is Verdict.VALID
        print(json.dumps(report.to_json(), ensure_ascii=False))
    return 0 if all_valid else 1


if __name__ == "__main__":
    sys.exit(main())
