"""Profile findings: one rule checked, with its stable ID from vn-rules.md.

The e-invoice and edXML profiles report what they check as findings, not
exceptions, so a verifier can show every rule's outcome and a policy can decide
which ones are fatal.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["Finding", "FindingStatus"]


class FindingStatus(enum.StrEnum):
    """Outcome of one rule."""

    PASSED = "passed"
    FAILED = "failed"
    WARNING = "warning"
    INFO = "info"  #: a known quirk or a fact worth telling, not a problem
    NOT_APPLICABLE = "not-applicable"


@dataclass(frozen=True)
class Finding:
    """One rule outcome: ``rule_id`` is a vn-rules ID such as ``EINV-MST-MATCH``."""

    rule_id: str
    status: FindingStatus
    message: str
    #: What the finding is about: a signature role, an element path, an attachment.
    subject: str = ""

    @property
    def failed(self) -> bool:
        """Whether the rule failed."""
        return self.status is FindingStatus.FAILED
