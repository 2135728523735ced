"""The scripts in examples/ run and say what they promise."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding

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


def test_sign_decree30_pdf_person_then_seal(tmp_path: Path) -> None:
    out = run("sign_decree30_pdf.py", str(tmp_path))
    assert "RESULT: VALID" in out
    assert "✔ Image of the agency's signature (seal)" in out
    assert "✔ Number and order of the signatures" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["quyet-dinh.pdf", "quyet-dinh.signed.pdf"]


def test_sign_einvoice_seller_and_buyer(tmp_path: Path) -> None:
    out = run("sign_einvoice.py", str(tmp_path))
    assert "hoa-don.signed.xml: valid" in out
    assert "hoa-don.changed.xml: invalid" in out


def test_verify_documents_prints_json_lines_and_exit_code(tmp_path: Path, vn_pki) -> None:  # type: ignore[no-untyped-def]
    from _pdfs import blank_pdf, sign

    good = sign(blank_pdf(), vn_pki.person)
    (tmp_path / "a.pdf").write_bytes(good)
    roots = tmp_path / "roots.pem"
    roots.write_bytes(vn_pki.national_root.certificate.public_bytes(Encoding.PEM))
    args = [sys.executable, str(EXAMPLES / "verify_documents.py"), str(tmp_path), "--trust"]
    proc = subprocess.run([*args, str(roots)], capture_output=True, text=True, timeout=60)
    reports = [json.loads(line) for line in proc.stdout.splitlines()]
    assert proc.returncode == 0, proc.stdout
    assert [(Path(r["file"]).name, r["verdict"]) for r in reports] == [("a.pdf", "valid")]
    tampered = bytearray(good)
    tampered[good.find(b"Cong van") + 3] ^= 0x20
    (tmp_path / "b.pdf").write_bytes(bytes(tampered))
    proc = subprocess.run([*args, str(roots)], capture_output=True, text=True, timeout=60)
    verdicts = [json.loads(line)["verdict"] for line in proc.stdout.splitlines()]
    assert (proc.returncode, verdicts) == (1, ["valid", "invalid"])


def test_remote_sign_batch_needs_one_confirmation(tmp_path: Path) -> None:
    out = run("remote_sign_batch.py", str(tmp_path), "--documents", "3")
    assert "completed, prompts on the phone: 1" in out
    assert out.count(": valid") == 3
