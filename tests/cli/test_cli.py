"""The ``vnsign`` command: entry points, exit codes, demo, testpki."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12

import vnsign
from vnsign.cli import EXIT_USAGE, main


def test_console_script_and_module_report_the_version() -> None:
    bindir = Path(sys.executable).parent
    script = subprocess.run(
        [str(bindir / "vnsign"), "--version"], capture_output=True, text=True, check=True
    )
    module = subprocess.run(
        [sys.executable, "-m", "vnsign", "--version"], capture_output=True, text=True, check=True
    )
    assert vnsign.__version__ in script.stdout
    assert script.stdout == module.stdout


def test_usage_errors_exit_with_4(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--no-such-option"]) == EXIT_USAGE
    assert main(["testpki"]) == EXIT_USAGE
    assert "--out" in capsys.readouterr().err


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """One ``vnsign demo --keep DIR`` run (it signs and verifies, a few seconds)."""
    folder = tmp_path_factory.mktemp("demo")
    proc = subprocess.run(
        [sys.executable, "-m", "vnsign", "demo", "--keep", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stdout, folder


def test_demo_shows_the_pki_with_vietnamese_identities(demo_run: tuple[str, Path]) -> None:
    out, _ = demo_run
    assert "Vietnam National Root CA TEST" in out
    assert "RootCA chuyên dùng Chính phủ G2 TEST" in out
    assert "Nguyễn Văn An: person · CCCD 001080000001" in out
    assert "CÔNG TY CỔ PHẦN THỬ NGHIỆM VNSIGN: organisation · MST 0123456789" in out
    assert "government official" in out
    assert "government agency" in out
    assert "keyCompromise" in out
    assert "http://127.0.0.1:" in out


def test_demo_keep_exports_a_usable_pki(demo_run: tuple[str, Path]) -> None:
    pki = demo_run[1] / "pki"
    manifest = json.loads((pki / "manifest.json").read_text(encoding="utf-8"))
    assert "person" in manifest["identities"]
    key, cert, chain = pkcs12.load_key_and_certificates(
        (pki / "person.p12").read_bytes(), manifest["pkcs12_password"].encode()
    )
    assert key is not None and cert is not None
    assert len(chain) == 2  # issuing CA and root


def _summary(out: str) -> dict[str, str]:
    summary = out.split("\nSummary\n", 1)[1].split("\n\n", 1)[0]
    return {parts[0]: parts[1] for line in summary.splitlines() if (parts := line.split())}


def test_demo_signs_verifies_and_catches_tampering(demo_run: tuple[str, Path]) -> None:
    out, folder = demo_run
    verdicts = _summary(out)
    assert verdicts["quyet-dinh.signed.pdf"] == "valid"
    assert verdicts["hoa-don.signed.xml"] == "valid"
    assert verdicts["quyet-dinh.tampered.pdf"] == "invalid"
    assert verdicts["hoa-don.tampered.xml"] == "invalid"
    assert "failed: TECH-MODIFIED" in out  # the painted-over PDF, said on the signature line
    assert "ND30-SIGN-ORDER" in out  # Decree 30 form checks ran
    for name in verdicts:
        assert (folder / name).is_file()
    assert not (folder / "quyet-dinh.person.pdf").exists()  # intermediate step removed


def test_demo_reports_in_vietnamese(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--lang", "vi"]) == 0
    out = capsys.readouterr().out
    assert "KẾT QUẢ: HỢP LỆ" in out
    assert "KẾT QUẢ: KHÔNG HỢP LỆ" in out


def test_testpki_serve_keeps_services_running_until_interrupted(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "vnsign", "testpki", "--out", str(tmp_path), "--serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Serving"):
                break
        crl_url = next(
            line.split()[1] for line in lines if line.strip().startswith("crl:public-ca")
        )
        with urllib.request.urlopen(crl_url, timeout=5) as response:
            crl = x509.load_der_x509_crl(response.read())
        assert any(True for _ in crl)  # the exported revoked-person is listed
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert "Stopped." in out
