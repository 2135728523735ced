"""The text report, checked word for word against snapshots (Vietnamese and English)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from vnsign.pki.status import Indication, SubIndication
from vnsign.verify.render import render_text
from vnsign.verify.report import (
    Report,
    RuleResult,
    RuleStatus,
    SignatureReport,
    SignerReport,
    Text,
    TimeSource,
    TimestampReport,
    Verdict,
)

SNAPSHOTS = Path(__file__).parent / "snapshots"
T0 = datetime(2026, 3, 5, 7, 30, 15, tzinfo=UTC)


def rule(rule_id: str, status: RuleStatus, vi: str, en: str, title: tuple[str, str]) -> RuleResult:
    return RuleResult(rule_id, Text(*title), "ref", status, Text(vi, en), fatal=True)


def sample() -> Report:
    signer = SignerReport(
        name="Lê Hoàng Cường",
        kind="government-official",
        identifiers=(),
        organization="ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI",
        issuer="CA phục vụ các cơ quan Nhà nước G2",
        regime="official-duty",
        certificate_sha256="AB" * 32,
        serial_number="1F",
        not_before=T0,
        not_after=T0,
    )
    good = SignatureReport(
        index=1,
        name="NguoiKy",
        kind="signature",
        indication=Indication.TOTAL_PASSED,
        sub_indication=None,
        signer=signer,
        signing_time=T0,
        signing_time_source=TimeSource.TIMESTAMP,
        claimed_time=T0,
        timestamps=(
            TimestampReport(
                T0, "TSA Ban Cơ yếu", True, Text("Dấu thời gian hợp lệ.", "Valid time stamp.")
            ),
        ),
        level="PAdES-B-T",
        algorithm="sha256_rsa",
        rules=(
            rule(
                "TECH-HASH",
                RuleStatus.PASSED,
                "Dữ liệu được ký còn nguyên vẹn.",
                "The signed data is intact.",
                ("Toàn vẹn dữ liệu", "Integrity of the signed data"),
            ),
            rule(
                "ND23-VALID-CERT",
                RuleStatus.PASSED,
                "Chứng thư số chưa bị thu hồi.",
                "Not revoked.",
                ("Trạng thái thu hồi, tạm dừng", "Revocation and suspension"),
            ),
        ),
    )
    bad = SignatureReport(
        index=2,
        name="CoQuan",
        kind="signature",
        indication=Indication.TOTAL_FAILED,
        sub_indication=SubIndication.HASH_FAILURE,
        signer=None,
        signing_time=None,
        signing_time_source=TimeSource.NONE,
        claimed_time=None,
        timestamps=(),
        level="PAdES-B-B",
        algorithm="sha256_rsa",
        rules=(
            rule(
                "TECH-HASH",
                RuleStatus.FAILED,
                "Dữ liệu đã bị thay đổi sau khi ký.",
                "The data was changed.",
                ("Toàn vẹn dữ liệu", "Integrity of the signed data"),
            ),
        ),
    )
    return Report(
        file="cong-van-01.pdf",
        format="pdf",
        verdict=Verdict.INVALID,
        profile="nd30",
        verified_at=T0,
        summary=Text(
            "KHÔNG HỢP LỆ: Chữ ký 2: Dữ liệu đã bị thay đổi sau khi ký.",
            "INVALID: Signature 2: The data was changed.",
        ),
        signatures=(good, bad),
    )


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_text_matches_the_reviewed_snapshot(lang: str) -> None:
    expected = (SNAPSHOTS / f"report-{lang}.txt").read_text(encoding="utf-8")
    assert render_text(sample(), lang=lang) == expected


def test_error_report_is_short() -> None:
    report = Report(
        file="x.pdf",
        format="unknown",
        verdict=Verdict.ERROR,
        profile="vn-legal",
        verified_at=T0,
        summary=Text("LỖI: Không đọc được tệp: the file is empty", "ERROR: the file is empty"),
        error=Text("Không đọc được tệp: the file is empty", "the file is empty"),
    )
    assert (
        render_text(report)
        == "Tệp: x.pdf\nKẾT QUẢ: LỖI\n  LỖI: Không đọc được tệp: the file is empty\n"
    )
