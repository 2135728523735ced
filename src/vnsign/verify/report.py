"""The verification report: frozen data, a versioned JSON form, no certificates or
parser objects inside (reports cross process boundaries and get archived).

JSON schema: ``docs/report-schema.json`` (``SCHEMA_VERSION``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

from vnsign._version import __version__
from vnsign.pki.status import Indication, SubIndication

__all__ = [
    "SCHEMA_VERSION",
    "Report",
    "RuleResult",
    "RuleStatus",
    "SignatureReport",
    "SignerReport",
    "Text",
    "TimeSource",
    "TimestampReport",
    "Verdict",
]

SCHEMA_VERSION = "1.0"
VIETNAM = timezone(timedelta(hours=7))


class Verdict(StrEnum):
    """The answer for a whole file."""

    VALID = "valid"
    INVALID = "invalid"
    INDETERMINATE = "indeterminate"
    ERROR = "error"  #: unreadable, unsupported or hostile input: nothing could be verified


class RuleStatus(StrEnum):
    """The outcome of one rule."""

    PASSED = "passed"
    FAILED = "failed"
    WARNING = "warning"
    NOT_APPLICABLE = "not-applicable"


class TimeSource(StrEnum):
    """Where a signature's time comes from (TT15-VERIFY: signing time or time stamp)."""

    TIMESTAMP = "timestamp"  #: a valid RFC 3161 time stamp: proven
    CLAIMED = "claimed"  #: the signer's own claim (CMS signingTime, PDF /M, XML SigningTime)
    NONE = "none"  #: no time in the signature: checked at verification time


@dataclass(frozen=True)
class Text:
    """A message in Vietnamese and English."""

    vi: str
    en: str

    def __call__(self, lang: str) -> str:
        """The message in ``lang`` (``vi`` or ``en``)."""
        return self.vi if lang == "vi" else self.en


@dataclass(frozen=True)
class RuleResult:
    """One rule's verdict on a signature or a document."""

    rule_id: str
    title: Text
    reference: str
    status: RuleStatus
    message: Text
    fatal: bool  #: failing it makes the document invalid under the policy used


@dataclass(frozen=True)
class SignerReport:
    """Who signed, as the certificate says (SUBJ-UID, SUBJ-ORG-VS-PERSON)."""

    name: str
    kind: str  #: person, organization, government-official, government-agency, ...
    identifiers: tuple[tuple[str, str], ...]  #: (scheme, value), e.g. ("MST", "0123456789")
    organization: str | None
    issuer: str
    regime: str  #: public, official-duty, foreign, unknown
    certificate_sha256: str
    serial_number: str
    not_before: datetime
    not_after: datetime


@dataclass(frozen=True)
class TimestampReport:
    """A time stamp over a signature."""

    time: datetime
    tsa: str
    valid: bool
    message: Text


@dataclass(frozen=True)
class SignatureReport:
    """Everything known about one signature."""

    index: int
    name: str
    kind: str
    indication: Indication
    sub_indication: SubIndication | None
    signer: SignerReport | None
    signing_time: datetime | None
    signing_time_source: TimeSource
    claimed_time: datetime | None
    timestamps: tuple[TimestampReport, ...]
    level: str
    algorithm: str
    rules: tuple[RuleResult, ...]


@dataclass(frozen=True)
class Report:
    """The verification report for one file."""

    file: str
    format: str
    verdict: Verdict
    profile: str
    verified_at: datetime
    summary: Text
    signatures: tuple[SignatureReport, ...] = ()
    rules: tuple[RuleResult, ...] = ()  #: document-level rules
    error: Text | None = None  #: why nothing could be verified (verdict error)
    attachments: tuple[Report, ...] = ()  #: reports of files carried inside (edXML)

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-compatible data (``docs/report-schema.json``)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "vnsign_version": __version__,
            "file": self.file,
            "verdict": self.verdict.value,
            "format": self.format,
            "profile": self.profile,
            "verified_at": _time(self.verified_at),
            "summary": _text(self.summary),
            "error": _text(self.error) if self.error else None,
            "signatures": [_signature(s) for s in self.signatures],
            "rules": [_rule(r) for r in self.rules],
            "attachments": [a.to_json() for a in self.attachments],
        }


def _time(moment: datetime | None) -> str | None:
    return moment.astimezone(VIETNAM).isoformat(timespec="seconds") if moment else None


def _text(text: Text) -> dict[str, str]:
    return {"vi": text.vi, "en": text.en}


def _rule(rule: RuleResult) -> dict[str, Any]:
    return {
        "id": rule.rule_id,
        "title": _text(rule.title),
        "reference": rule.reference,
        "status": rule.status.value,
        "fatal": rule.fatal,
        "message": _text(rule.message),
    }


def _signature(sig: SignatureReport) -> dict[str, Any]:
    signer = sig.signer
    return {
        "index": sig.index,
        "name": sig.name,
        "kind": sig.kind,
        "indication": sig.indication.value,
        "sub_indication": sig.sub_indication.value if sig.sub_indication else None,
        "signer": None
        if signer is None
        else {
            "name": signer.name,
            "kind": signer.kind,
            "identifiers": [{"scheme": s, "value": v} for s, v in signer.identifiers],
            "organization": signer.organization,
            "issuer": signer.issuer,
            "regime": signer.regime,
            "certificate_sha256": signer.certificate_sha256,
            "serial_number": signer.serial_number,
            "not_before": _time(signer.not_before),
            "not_after": _time(signer.not_after),
        },
        "signing_time": _time(sig.signing_time),
        "signing_time_source": sig.signing_time_source.value,
        "claimed_time": _time(sig.claimed_time),
        "timestamps": [
            {"time": _time(t.time), "tsa": t.tsa, "valid": t.valid, "message": _text(t.message)}
            for t in sig.timestamps
        ],
        "level": sig.level,
        "algorithm": sig.algorithm,
        "rules": [_rule(r) for r in sig.rules],
    }
