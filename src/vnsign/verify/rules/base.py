"""The rule framework: small pure functions over facts and validation results.

Each rule has a stable ID (from vn-rules.md, or ``TECH-*``), a title and messages
in Vietnamese and English, and a legal or standard reference. A rule never
raises for a bad document; it returns FAILED with a reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from vnsign.pki.status import Indication, SubIndication
from vnsign.pki.validation import CertificateValidation
from vnsign.verify.facts import DocumentFacts, SignatureFacts, TimestampFacts
from vnsign.verify.policy import Policy
from vnsign.verify.report import Report, RuleStatus, Text, TimeSource

__all__ = [
    "DOCUMENT_RULES",
    "SIGNATURE_RULES",
    "DocumentContext",
    "Outcome",
    "Rule",
    "SignatureContext",
    "document_rule",
    "failed",
    "not_applicable",
    "passed",
    "signature_rule",
    "warning",
]


@dataclass(frozen=True)
class Outcome:
    """What a rule function returns."""

    status: RuleStatus
    message: Text


def passed(vi: str, en: str) -> Outcome:
    """The requirement is met."""
    return Outcome(RuleStatus.PASSED, Text(vi, en))


def failed(vi: str, en: str) -> Outcome:
    """The requirement is not met."""
    return Outcome(RuleStatus.FAILED, Text(vi, en))


def warning(vi: str, en: str) -> Outcome:
    """Worth telling the reader; not a failure (or not decidable)."""
    return Outcome(RuleStatus.WARNING, Text(vi, en))


def not_applicable(vi: str = "Không áp dụng.", en: str = "Not applicable.") -> Outcome:
    """The rule does not concern this document or signature."""
    return Outcome(RuleStatus.NOT_APPLICABLE, Text(vi, en))


@dataclass(frozen=True)
class TimestampCheck:
    """A time stamp and the validation of its TSA certificate at its own time."""

    facts: TimestampFacts
    tsa: CertificateValidation | None


@dataclass(frozen=True)
class SignatureContext:
    """What a signature rule may look at."""

    facts: SignatureFacts
    document: DocumentFacts
    policy: Policy
    signing_time: datetime | None
    time_source: TimeSource
    certificate: CertificateValidation | None  #: the signer's certificate at the signing time
    timestamps: tuple[TimestampCheck, ...]
    indication: Indication
    sub_indication: SubIndication | None
    now: datetime


@dataclass(frozen=True)
class DocumentContext:
    """What a document rule may look at."""

    document: DocumentFacts
    signatures: tuple[SignatureContext, ...]
    policy: Policy
    now: datetime
    #: Reports of the files the document carries (``DocumentFacts.attachments``).
    attachments: tuple[Report, ...] = ()


ContextT = TypeVar("ContextT", SignatureContext, DocumentContext)


@dataclass(frozen=True)
class Rule(Generic[ContextT]):
    """A named, referenced check."""

    rule_id: str
    title: Text
    reference: str
    check: Callable[[ContextT], Outcome]


SIGNATURE_RULES: list[Rule[SignatureContext]] = []
DOCUMENT_RULES: list[Rule[DocumentContext]] = []


def signature_rule(
    rule_id: str, vi: str, en: str, reference: str
) -> Callable[[Callable[[SignatureContext], Outcome]], Callable[[SignatureContext], Outcome]]:
    """Register a rule that judges one signature."""

    def register(
        check: Callable[[SignatureContext], Outcome],
    ) -> Callable[[SignatureContext], Outcome]:
        SIGNATURE_RULES.append(Rule(rule_id, Text(vi, en), reference, check))
        return check

    return register


def document_rule(
    rule_id: str, vi: str, en: str, reference: str
) -> Callable[[Callable[[DocumentContext], Outcome]], Callable[[DocumentContext], Outcome]]:
    """Register a rule that judges a whole document."""

    def register(
        check: Callable[[DocumentContext], Outcome],
    ) -> Callable[[DocumentContext], Outcome]:
        DOCUMENT_RULES.append(Rule(rule_id, Text(vi, en), reference, check))
        return check

    return register
