"""A report as text for people, in Vietnamese (default) or English.

Verdict first, then why. Each signature shows what TT15-VERIFY asks a
verification tool to show: the issuing CA, the signer, the signing time or time
stamp, integrity, and validity at the signing time.
"""

from __future__ import annotations

from collections.abc import Callable

from vnsign.pki.status import Indication
from vnsign.verify.report import (
    VIETNAM,
    Report,
    RuleResult,
    RuleStatus,
    SignatureReport,
    TimeSource,
    Verdict,
)

__all__ = ["render_text"]

Style = Callable[[str, str], str]  # (text, role) -> styled text

_WORDS = {
    "file": ("Tệp", "File"),
    "verdict": ("KẾT QUẢ", "RESULT"),
    "format": ("Định dạng", "Format"),
    "profile": ("Hồ sơ kiểm tra", "Profile"),
    "verified": ("Thời điểm xác minh", "Verified at"),
    "signature": ("Chữ ký", "Signature"),
    "timestamp": ("Dấu thời gian tài liệu", "Document time stamp"),
    "signer": ("Người ký", "Signer"),
    "ca": ("CA cấp chứng thư", "Issuing CA"),
    "time": ("Thời điểm ký", "Signing time"),
    "stamp": ("Dấu thời gian", "Time stamp"),
    "level": ("Mức chữ ký", "Level"),
    "algorithm": ("Thuật toán", "Algorithm"),
    "checks": ("Kiểm tra", "Checks"),
    "failed": ("không đạt", "failed"),
    "document": ("Kiểm tra tài liệu", "Document checks"),
    "none": ("không có", "none"),
    "attachment": ("Tệp đính kèm", "Attachment"),
}
_VERDICT = {
    Verdict.VALID: ("HỢP LỆ", "VALID"),
    Verdict.INVALID: ("KHÔNG HỢP LỆ", "INVALID"),
    Verdict.INDETERMINATE: ("CHƯA XÁC ĐỊNH ĐƯỢC", "INDETERMINATE"),
    Verdict.ERROR: ("LỖI", "ERROR"),
}
_INDICATION = {
    Indication.TOTAL_PASSED: ("hợp lệ", "valid"),
    Indication.TOTAL_FAILED: ("không hợp lệ", "invalid"),
    Indication.INDETERMINATE: ("chưa xác định được", "indeterminate"),
}
_SOURCE = {
    TimeSource.TIMESTAMP: ("theo dấu thời gian", "proven by a time stamp"),
    TimeSource.CLAIMED: (
        "do người ký khai báo, không có dấu thời gian",
        "claimed by the signer, no time stamp",
    ),
    TimeSource.NONE: ("không ghi trong chữ ký", "not stated in the signature"),
}
_KIND = {
    "person": ("cá nhân", "person"),
    "organization": ("tổ chức", "organisation"),
    "government-official": ("cán bộ, công chức", "government official"),
    "government-agency": ("cơ quan nhà nước", "government agency"),
    "certification-authority": ("tổ chức chứng thực", "certification authority"),
    "unknown": ("chưa xác định", "unclassified"),
}
_REGIME = {
    "public": ("chữ ký số công cộng", "public digital signature"),
    "official-duty": ("chữ ký số chuyên dùng công vụ", "official-duty digital signature"),
    "foreign": ("chứng thư nước ngoài", "foreign certificate"),
    "unknown": ("chưa xác định chế độ", "regime unknown"),
}
_MARK = {
    RuleStatus.PASSED: ("✔", "ok"),
    RuleStatus.FAILED: ("✘", "bad"),
    RuleStatus.WARNING: ("!", "warn"),
    RuleStatus.NOT_APPLICABLE: ("–", "dim"),
}
_VERDICT_ROLE = {
    Verdict.VALID: "ok",
    Verdict.INVALID: "bad",
    Verdict.INDETERMINATE: "warn",
    Verdict.ERROR: "bad",
}


def _plain(text: str, role: str) -> str:
    return text


def render_text(
    report: Report, *, lang: str = "vi", style: Style = _plain, verbose: bool = False
) -> str:
    """``report`` as readable text. ``style`` may colour roles (``ok``, ``bad``,
    ``warn``, ``dim``, ``title``); ``verbose`` also lists passed checks."""
    pick = 0 if lang == "vi" else 1
    word = {k: v[pick] for k, v in _WORDS.items()}
    lines = [
        style(f"{word['file']}: {report.file}", "title"),
        style(
            f"{word['verdict']}: {_VERDICT[report.verdict][pick]}", _VERDICT_ROLE[report.verdict]
        ),
        f"  {report.summary(lang)}",
    ]
    if report.verdict is Verdict.ERROR:
        return "\n".join(lines) + "\n"
    lines.append(
        f"  {word['format']}: {report.format.upper()} · {word['profile']}: {report.profile} · "
        f"{word['verified']}: {_when(report)}"
    )
    for sig in report.signatures:
        lines.append("")
        lines.extend(_signature(sig, pick, word, style, verbose, lang))
    shown = _rules(report.rules, lang, style, verbose)
    if shown:
        lines.append("")
        lines.append(f"{word['document']}:")
        lines.extend(shown)
    for attachment in report.attachments:
        lines.append("")
        lines.append(f"{word['attachment']}:")
        lines.extend(
            "  " + line for line in render_text(attachment, lang=lang, style=style).splitlines()
        )
    return "\n".join(lines) + "\n"


def _when(report: Report) -> str:
    return report.verified_at.astimezone(VIETNAM).isoformat(timespec="seconds")


def _signature(
    sig: SignatureReport, pick: int, word: dict[str, str], style: Style, verbose: bool, lang: str
) -> list[str]:
    is_stamp = sig.kind == "document-timestamp"
    title = word["timestamp"] if is_stamp else word["signature"]
    state = _INDICATION.get(sig.indication, ("?", "?"))[pick]
    sub = f" / {sig.sub_indication.value}" if sig.sub_indication else ""
    role = {"TOTAL-PASSED": "ok", "TOTAL-FAILED": "bad"}.get(sig.indication.value, "warn")
    # A signature whose cryptography holds can still fail a fatal rule (a change after
    # signing, a Decree 30 form): say so on its first line, not only in the checks.
    failed = [r.rule_id for r in sig.rules if r.status is RuleStatus.FAILED and r.fatal]
    if failed and sig.indication is not Indication.TOTAL_FAILED:
        state, role = _INDICATION[Indication.TOTAL_FAILED][pick], "bad"
        sub += f"; {word['failed']}: {', '.join(failed)}"
    lines = [
        style(f"{title} {sig.index} ({sig.name}): {state} [{sig.indication.value}{sub}]", role)
    ]
    signer = sig.signer
    if signer is not None:
        ids = ", ".join(f"{scheme} {value}" for scheme, value in signer.identifiers)
        kind = _KIND.get(signer.kind, (signer.kind, signer.kind))[pick]
        who = f"{signer.name} — {kind}" + (f" — {ids}" if ids else "")
        if signer.organization and signer.organization != signer.name:
            who += f" — {signer.organization}"
        regime = _REGIME.get(signer.regime, (signer.regime, signer.regime))[pick]
        lines.append(f"  {word['signer']}: {who}")
        lines.append(f"  {word['ca']}: {signer.issuer} ({regime})")
    else:
        lines.append(f"  {word['signer']}: {word['none']}")
    if sig.signing_time is not None:
        when = sig.signing_time.astimezone(VIETNAM).isoformat(timespec="seconds")
        lines.append(f"  {word['time']}: {when} ({_SOURCE[sig.signing_time_source][pick]})")
    else:
        lines.append(f"  {word['time']}: {_SOURCE[TimeSource.NONE][pick]}")
    for stamp in sig.timestamps:
        when = stamp.time.astimezone(VIETNAM).isoformat(timespec="seconds")
        lines.append(f"  {word['stamp']}: {stamp.tsa}, {when} — {stamp.message(lang)}")
    details = [
        f"{word['level']}: {sig.level}" if sig.level else "",
        f"{word['algorithm']}: {sig.algorithm}" if sig.algorithm else "",
    ]
    if any(details):
        lines.append("  " + " · ".join(d for d in details if d))
    lines.append(f"  {word['checks']}:")
    lines.extend(_rules(sig.rules, lang, style, verbose))
    return lines


def _rules(rules: tuple[RuleResult, ...], lang: str, style: Style, verbose: bool) -> list[str]:
    order = {
        RuleStatus.FAILED: 0,
        RuleStatus.WARNING: 1,
        RuleStatus.PASSED: 2,
        RuleStatus.NOT_APPLICABLE: 3,
    }
    out = []
    for rule in sorted(rules, key=lambda r: order[r.status]):
        if rule.status is RuleStatus.NOT_APPLICABLE and not verbose:
            continue
        mark, role = _MARK[rule.status]
        fatal = (
            ""
            if rule.fatal or rule.status is not RuleStatus.FAILED
            else " (không bắt buộc)"
            if lang == "vi"
            else " (not fatal)"
        )
        line = f"    {mark} {rule.title(lang)}{fatal}: {rule.message(lang)} [{rule.rule_id}]"
        out.append(style(line, role if rule.status is not RuleStatus.PASSED else "ok"))
        if verbose:
            out.append(style(f"        {rule.reference}", "dim"))
    return out
