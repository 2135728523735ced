"""Rebuild vnsign's bundled trust data from the trust-anchor research folder.

    python scripts/update_trust_data.py [../shared/trust]

Copies the certificates into src/vnsign/data/trust/certs/ and writes
src/vnsign/data/trust/anchors.json: for every certificate its SHA-256, its role
(default anchor, legacy anchor, or untrusted chain-building pool), the regime its
hierarchy belongs to, and where it was found. Before a release, compare the
fingerprints with https://rootca.gov.vn and http://ca.gov.vn/pki/pub/.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "src" / "vnsign" / "data" / "trust"
# SHA-1 roots: trusted only in the opt-in "legacy" profile (STD-TT15-CRYPTO, OBS-SHA1-LEGACY).
LEGACY_ROOTS = {
    "root-neac-mic-national-root-ca-sha1-2008-2040.pem",
    "root-vgca-g1-co-quan-chung-thuc-so-chuyen-dung-chinh-phu-rootca-2010-2030.pem",
}


def confidences(readme: str) -> dict[str, str]:
    """The confidence mark of each file, from the README's summary table."""
    found = {}
    for line in readme.splitlines():
        match = re.search(r"\| (A\+|A|B|C) \| `certs/([^`]+)` \|$", line.strip())
        if match:
            found[match.group(2)] = match.group(1)
    return found


def main(source: Path) -> None:
    manifest = json.loads((source / "certs" / "manifest.json").read_text(encoding="utf-8"))
    marks = confidences((source / "README.md").read_text(encoding="utf-8"))
    shutil.rmtree(TARGET / "certs", ignore_errors=True)
    (TARGET / "certs").mkdir(parents=True)
    entries = []
    for item in sorted(manifest, key=lambda e: (e["kind"] != "root", e["file"])):
        name = item["file"]
        cert = x509.load_pem_x509_certificate((source / "certs" / name).read_bytes())
        pem = cert.public_bytes(Encoding.PEM)
        (TARGET / "certs" / name).write_bytes(pem)
        sha256 = hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()
        assert sha256 == item["sha256"], name
        if item["kind"] == "root":
            role = "legacy-anchor" if name in LEGACY_ROOTS else "anchor"
        else:
            role = "pool"
        entries.append(
            {
                "file": name,
                "sha256": sha256,
                "kind": {"int": "intermediate"}.get(item["kind"], item["kind"]),
                "role": role,
                "regime": "official-duty" if "-vgca-" in name else "public",
                "subject": item["subject"],
                "not_after": item["not_after"],
                "confidence": marks.get(name, "unknown"),
                "sources": item["sources"],
            }
        )
    data = {
        "version": 1,
        "source": "vnsign trust-anchor research (shared/trust), checked 2026-11-22",
        "certificates": entries,
    }
    (TARGET / "anchors.json").write_text(
        json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(f"wrote {len(entries)} certificates to {TARGET}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "trust")
