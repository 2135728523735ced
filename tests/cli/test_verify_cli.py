"""``vnsign verify``: exit codes, JSON forms, folders, parallel workers, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from _pdfs import blank_pdf, sign
from vnsign.cli import EXIT_USAGE, main
from vnsign.testing import TestPKI, Variant


@pytest.fixture
def folder(vn_pki: TestPKI, tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    (docs / "nested").mkdir(parents=True)
    (docs / "good.pdf").write_bytes(sign(blank_pdf(), vn_pki.person))
    (docs / "nested" / "good2.pdf").write_bytes(sign(blank_pdf(), vn_pki.organization))
    tampered = bytearray(sign(blank_pdf(), vn_pki.person_in_org))
    tampered[tampered.find(b"Cong van")] = ord("X")
    (docs / "nested" / "tampered.pdf").write_bytes(bytes(tampered))
    (docs / "notes.txt").write_text("skipped: not a signed-document suffix")
    roots = tmp_path / "roots.pem"
    roots.write_bytes(vn_pki.national_root.certificate.public_bytes(Encoding.PEM))
    return docs


def trust(folder: Path) -> list[str]:
    return ["--trust", str(folder.parent / "roots.pem"), "--trust-regime", "public"]


def test_valid_file_exits_0(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(folder / "good.pdf"), *trust(folder)]) == 0
    out = capsys.readouterr().out
    assert "KẾT QUẢ: HỢP LỆ" in out
    assert "Người ký: Nguyễn Văn An — cá nhân — CCCD 001080000001" in out
    assert "CA cấp chứng thư: VNSIGN-CA TEST SHA-256 (chữ ký số công cộng)" in out


def test_folder_recursion_jsonl_and_worst_exit_code(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["verify", str(folder), "--jsonl", *trust(folder)])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 1  # one invalid document wins over valid ones
    assert [Path(r["file"]).name for r in lines] == ["good.pdf", "good2.pdf", "tampered.pdf"]
    assert [r["verdict"] for r in lines] == ["valid", "valid", "invalid"]


def test_json_is_one_document_with_file_and_verdict(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["verify", str(folder), "--json", "--offline", *trust(folder)])
    document = json.loads(capsys.readouterr().out)
    assert document["schema_version"] == "1.0"
    assert document["summary"] == {"indeterminate": 2, "invalid": 1}
    assert all({"file", "verdict"} <= set(r) for r in document["reports"])


def test_parallel_workers_give_the_same_reports(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["verify", str(folder), "--jsonl", *trust(folder)])
    serial = [json.loads(x)["verdict"] for x in capsys.readouterr().out.splitlines()]
    code = main(["verify", str(folder), "--jsonl", "--jobs", "2", *trust(folder)])
    parallel = [json.loads(x)["verdict"] for x in capsys.readouterr().out.splitlines()]
    assert parallel == serial and code == 1


def test_exit_codes_indeterminate_and_error(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", str(folder / "good.pdf"), "--offline", *trust(folder)]) == 2
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.7 truncated")
    assert main(["verify", str(folder / "good.pdf"), str(junk), *trust(folder)]) == 3
    assert main(["verify", str(tmp_path / "missing.pdf")]) == 3
    out = capsys.readouterr().out
    assert "LỖI" in out and "Traceback" not in out


def test_usage_errors_exit_4(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify"]) == EXIT_USAGE
    assert main(["verify", str(folder), "--json", "--jsonl"]) == EXIT_USAGE
    assert main(["verify", str(folder), "--profile", "nope"]) == EXIT_USAGE
    assert (
        main(["verify", str(folder / "notes.txt").replace("notes.txt", "")[:-1] + "/nothing-here"])
        == 3
    )


def test_english_and_profiles(
    vn_pki: TestPKI, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    weak = folder.parent / "weak.pdf"
    weak.write_bytes(sign(blank_pdf(), vn_pki.variant(Variant.RSA1024)))
    assert main(["verify", str(weak), "--lang", "en", *trust(folder)]) == 1
    assert "RESULT: INVALID" in capsys.readouterr().out
    assert main(["verify", str(weak), "--profile", "technical", *trust(folder)]) == 2


def test_policy_file(folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('base = "technical"\n[rules]\ndisable = ["TECH-SIGNING-TIME"]\n')
    main(["verify", str(folder / "good.pdf"), "--policy", str(policy), "--jsonl", *trust(folder)])
    report = json.loads(capsys.readouterr().out)
    assert report["profile"] == "policy"
    assert "TECH-SIGNING-TIME" not in {r["id"] for r in report["signatures"][0]["rules"]}


def test_no_traceback_for_hostile_input_even_in_a_subprocess(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(b"%PDF-1.7\n1 0 obj <<" * 20000 + b"\n%%EOF")
    proc = subprocess.run(
        [sys.executable, "-m", "vnsign", "verify", str(bomb), "--offline"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 3
    assert "Traceback" not in proc.stdout + proc.stderr


def test_policy_can_ask_crls_only(
    vn_pki: TestPKI, folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "crl-only.toml"
    policy.write_text('[revocation]\nmethods = ["crl"]\n')
    before = vn_pki.services.requests["crl"]
    main(["verify", str(folder / "good.pdf"), "--policy", str(policy), "--jsonl", *trust(folder)])
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "valid"
    assert vn_pki.services.requests["crl"] > before
    bad = tmp_path / "bad.toml"
    bad.write_text('[revocation]\nmethods = ["ldap"]\n')
    assert main(["verify", str(folder / "good.pdf"), "--policy", str(bad)]) == EXIT_USAGE


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_time_limit_stops_a_file_with_an_error_report_and_goes_on(
    folder: Path, capsys: pytest.CaptureFixture[str], jobs: str
) -> None:
    files = [str(folder / "good.pdf"), str(folder / "nested" / "good2.pdf")]
    args = ["verify", *files, "--jsonl", "--jobs", jobs, "--offline", *trust(folder)]
    assert main([*args, "--time-limit", "0.0001"]) == 3
    reports = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["verdict"] for r in reports] == ["error", "error"]
    assert all("--time-limit" in r["summary"]["en"] for r in reports)
    # the verifier is rebuilt after a stop: a generous limit verifies normally
    assert main([*args, "--time-limit", "60"]) != 3
    reports = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert all(r["verdict"] != "error" for r in reports)
