"""Which algorithms a Vietnamese signature may use, at the time it was made.

STD-TT15-CRYPTO (TT 15/2025/TT-BKHCN, in force from 2025-08-15): RSA >= 2048 bits
or ECDSA >= 256 bits, SHA-2/SHA-3 digests; SHA-1 is not listed. Older documents
(OBS-SHA1-LEGACY: Government CA G1, older e-invoices) used SHA-1 and RSA-1024
lawfully; they are judged by the rules of their signing time, with a warning.
RSASSA-PKCS1-v1_5 is accepted: real Vietnamese certificates and signatures use it
(STD-PRACTICE-PKCS1V15).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

__all__ = ["TT15_EFFECTIVE", "AlgorithmPolicy", "AlgorithmVerdict"]

VIETNAM = timezone(timedelta(hours=7), "ICT")
#: TT 15/2025/TT-BKHCN takes effect (vn-rules STD-TT15-CRYPTO).
TT15_EFFECTIVE = datetime(2025, 8, 15, tzinfo=VIETNAM)

_STRONG_DIGESTS = frozenset(
    {
        "sha224",
        "sha256",
        "sha384",
        "sha512",
        "sha512_224",
        "sha512_256",
        "sha3_224",
        "sha3_256",
        "sha3_384",
        "sha3_512",
        "shake128",
        "shake256",
    }
)


@dataclass(frozen=True)
class AlgorithmVerdict:
    """Whether an algorithm choice is acceptable, and what to tell the reader."""

    acceptable: bool
    reason: str = ""  #: why not acceptable, or why it is only tolerated
    warning: bool = False  #: acceptable, but worth a warning (legacy algorithm)


@dataclass(frozen=True)
class AlgorithmPolicy:
    """Time-aware algorithm limits (STD-TT15-CRYPTO).

    Before ``cutoff`` the ``legacy_*`` limits apply and SHA-1 is tolerated with a
    warning; from ``cutoff`` on, only the current limits. MD5 is never accepted.
    """

    min_rsa_bits: int = 2048
    min_ec_bits: int = 256
    legacy_min_rsa_bits: int = 1024
    cutoff: datetime = TT15_EFFECTIVE
    digests: frozenset[str] = field(default=_STRONG_DIGESTS)

    def digest(self, name: str, at: datetime) -> AlgorithmVerdict:
        """Judge a digest algorithm (asn1crypto name, e.g. ``sha256``) used at ``at``."""
        name = name.lower().replace("-", "_")
        if name in self.digests:
            return AlgorithmVerdict(True)
        if name == "sha1":
            if at < self.cutoff:
                return AlgorithmVerdict(
                    True, f"SHA-1 tolerated for signatures before {self.cutoff:%Y-%m-%d}", True
                )
            return AlgorithmVerdict(
                False, f"SHA-1 is not allowed for signatures made from {self.cutoff:%Y-%m-%d} on"
            )
        return AlgorithmVerdict(False, f"digest algorithm {name} is not allowed")

    def key(self, kind: str, bits: int, at: datetime) -> AlgorithmVerdict:
        """Judge a public key (``rsa``/``ec``/other) of ``bits`` used at ``at``."""
        if kind == "rsa":
            if bits >= self.min_rsa_bits:
                return AlgorithmVerdict(True)
            if at < self.cutoff and bits >= self.legacy_min_rsa_bits:
                return AlgorithmVerdict(
                    True, f"RSA-{bits} tolerated for signatures before {self.cutoff:%Y-%m-%d}", True
                )
            return AlgorithmVerdict(
                False, f"RSA-{bits} is below the minimum of {self.min_rsa_bits} bits"
            )
        if kind == "ec":
            if bits >= self.min_ec_bits:
                return AlgorithmVerdict(True)
            return AlgorithmVerdict(
                False, f"ECDSA-{bits} is below the minimum of {self.min_ec_bits} bits"
            )
        return AlgorithmVerdict(False, f"{kind} keys are not allowed (RSA or ECDSA only)")
