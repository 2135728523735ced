"""Verifying signed documents: ``verify()`` and the typed :class:`Report`.

See ``docs/verify.md``. Format adapters turn a document into
:mod:`facts <vnsign.verify.facts>`; :mod:`vnsign.pki` validates the
certificates; :mod:`rules <vnsign.verify.rules>` judge; the report says why.
"""

from vnsign.verify.engine import Verifier, verify
from vnsign.verify.policy import PROFILES, Policy, load_policy
from vnsign.verify.report import (
    Report,
    RuleResult,
    RuleStatus,
    SignatureReport,
    SignerReport,
    Text,
    TimeSource,
    Verdict,
)

__all__ = [
    "PROFILES",
    "Policy",
    "Report",
    "RuleResult",
    "RuleStatus",
    "SignatureReport",
    "SignerReport",
    "Text",
    "TimeSource",
    "Verdict",
    "Verifier",
    "load_policy",
    "verify",
]
