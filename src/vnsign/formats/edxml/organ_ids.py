"""Agency identifier codes: the QCVN 102:2016 legacy 13-character code
(ORGID-LEGACY) and the QĐ 20/2020/QĐ-TTg code (ORGID-QD20)."""

from __future__ import annotations

import enum
import re

from vnsign.formats.xml.findings import Finding, FindingStatus

__all__ = ["OrganIdFormat", "check_organ_id", "classify_organ_id", "level1_code"]

_LEGACY = re.compile(r"\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}")
_QD20 = re.compile(r"[A-Z0-9]+(?:\.[A-Z0-9]+)*")
_QD20_MAX = 35
_LEVEL1 = re.compile(r"[A-Z]\d{2}")
# Level-1 families after QĐ 09/2025: G ministries and central bodies, H provincial
# People's Committees, K provincial People's Councils (ORGID-LEVEL1).
_KNOWN_FAMILIES = frozenset("GHK")


class OrganIdFormat(enum.StrEnum):
    """Which scheme an ``OrganId`` follows."""

    LEGACY = "qcvn-102-2016"  #: ``000.00.00.G22``: groups read right to left
    QD20 = "qd-20-2020"  #: ``G09.20``, ``H37.02.02``: groups read left to right


def classify_organ_id(value: str) -> OrganIdFormat | None:
    """The scheme ``value`` follows, or None when it follows neither."""
    if _LEGACY.fullmatch(value):
        return OrganIdFormat.LEGACY
    if len(value) <= _QD20_MAX and _QD20.fullmatch(value):
        return OrganIdFormat.QD20
    return None


def level1_code(value: str) -> str | None:
    """The level-1 body's group: the last group of a legacy code, the first of a
    QĐ 20/2020 code."""
    kind = classify_organ_id(value)
    if kind is OrganIdFormat.LEGACY:
        return value.rsplit(".", 1)[1]
    if kind is OrganIdFormat.QD20:
        return value.split(".", 1)[0]
    return None


def check_organ_id(value: str, where: str) -> list[Finding]:
    """Findings for one ``OrganId`` found at ``where``."""
    kind = classify_organ_id(value)
    if kind is OrganIdFormat.LEGACY:
        findings = [
            Finding("ORGID-LEGACY", FindingStatus.PASSED, f"{value} is a QCVN 102:2016 code", where)
        ]
    elif kind is OrganIdFormat.QD20:
        findings = [
            Finding("ORGID-QD20", FindingStatus.PASSED, f"{value} is a QĐ 20/2020 code", where)
        ]
    else:
        reason = (
            "more than 35 characters"
            if len(value) > _QD20_MAX
            else "characters other than A-Z, 0-9 and dots"
        )
        return [
            Finding(
                "ORGID-QD20",
                FindingStatus.FAILED,
                f"{value!r} is neither a 13-character QCVN 102:2016 code nor a QĐ 20/2020 code "
                f"({reason}, or empty groups)",
                where,
            )
        ]
    group = level1_code(value) or ""
    if _LEVEL1.fullmatch(group):
        if group[0] in _KNOWN_FAMILIES:
            findings.append(
                Finding("ORGID-LEVEL1", FindingStatus.PASSED, f"level-1 code {group}", where)
            )
        else:
            findings.append(
                Finding(
                    "ORGID-LEVEL1",
                    FindingStatus.INFO,
                    f"level-1 code {group} is outside the G/H/K families vnsign knows",
                    where,
                )
            )
    elif group.isdigit():
        findings.append(
            Finding(
                "ORGID-LEVEL1",
                FindingStatus.INFO,
                f"{group} looks like an enterprise code (QĐ 20/2020 Art. 5)",
                where,
            )
        )
    else:
        findings.append(
            Finding("ORGID-LEVEL1", FindingStatus.WARNING, f"no level-1 code in {value}", where)
        )
    return findings
