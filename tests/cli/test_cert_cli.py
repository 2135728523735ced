"""``vnsign cert inspect``: identity, chain, status and exit codes."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from vnsign.cli import EXIT_ERROR, EXIT_USAGE, main
from vnsign.testing import TestPKI, Variant


@pytest.fixture
def exported(vn_pki: TestPKI, tmp_path: Path) -> Path:
    vn_pki.export(tmp_path)
    return tmp_path


def test_text_output_with_offline_crls(exported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "cert",
            "inspect",
            str(exported / "person-in-org.chain.pem"),
            "--offline",
            "--trust",
            str(exported / "roots.pem"),
            "--trust-regime",
            "public",
            "--no-default-trust",
            "--crl",
            str(exported / "public-ca.crl"),
            "--crl",
            str(exported / "national-root.crl"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Trần Thị Bình  (person)" in out
    assert "MST 0123456789, CCCD 001181000002" in out
    assert "[trust anchor, public]" in out
    assert "PASSED" in out
    assert "+07:00" in out


def test_json_output_and_indeterminate_exit_code(
    exported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["cert", "inspect", str(exported / "gov-agency.crt.pem"), "--json", "--offline"])
    data = json.loads(capsys.readouterr().out)
    assert code == 2
    assert data["subject"]["kind"] == "unknown" or data["subject"]["kind"].startswith("government")
    assert data["status"]["indication"] == "INDETERMINATE"
    assert data["status"]["sub_indication"] == "NO_CERTIFICATE_CHAIN_FOUND"
    assert {"scheme": "MNS", "value": "1047665"} in data["subject"]["identifiers"]


def test_revoked_certificate_exits_1(
    vn_pki: TestPKI, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    revoked = vn_pki.variant(Variant.REVOKED)
    (tmp_path / "revoked.pem").write_bytes(revoked.chain_pem)
    (tmp_path / "roots.pem").write_bytes(
        vn_pki.national_root.certificate.public_bytes(Encoding.PEM)
    )
    code = main(
        ["cert", "inspect", str(tmp_path / "revoked.pem"), "--trust", str(tmp_path / "roots.pem")]
    )
    out = capsys.readouterr().out
    assert code == 1, out
    assert "FAILED / REVOKED" in out


def test_validation_time_in_the_past(
    vn_pki: TestPKI, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expired = vn_pki.variant(Variant.EXPIRED)
    (tmp_path / "e.pem").write_bytes(expired.chain_pem)
    (tmp_path / "roots.pem").write_bytes(
        vn_pki.national_root.certificate.public_bytes(Encoding.PEM)
    )
    at = (vn_pki.now.replace(tzinfo=None) - timedelta(days=60)).isoformat()  # local time, no offset
    code = main(
        [
            "cert",
            "inspect",
            str(tmp_path / "e.pem"),
            "--trust",
            str(tmp_path / "roots.pem"),
            "--at",
            at,
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Status at " in out and "+07:00: PASSED" in out


def test_bad_input_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_bytes(b"-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n")
    assert main(["cert", "inspect", str(junk)]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert err.startswith("vnsign: ") and err.count("\n") == 1
    assert main(["cert", "inspect", str(junk), "--at", "yesterday"]) == EXIT_USAGE
