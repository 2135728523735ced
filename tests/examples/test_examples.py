"""The scripts in examples/ run and say what they promise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(name: str, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return proc.stdout


def test_certificate_identity_on_the_test_pki() -> None:
    out = run("certificate_identity.py")
    assert "Nguyễn Văn An\n  kind:        person\n  identifier:  CCCD 001080000001" in out
    assert "identifier:  MST 0123456789" in out
    assert "kind:        government-agency" in out


def test_certificate_identity_on_a_file(tmp_path: Path, vn_pki) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "chain.pem"
    path.write_bytes(vn_pki.organization.chain_pem)
    out = run("certificate_identity.py", str(path))
    assert "kind:        organization" in out
    assert out.count("kind:        certification-authority") == 2
