"""Bounds on the work of verifying XML signatures.

Verifying costs what the references name: a reference to the whole document
canonicalizes and digests all of it, so signatures x references x size decides
the work, not the size of the file (a 1.7 MB document with 2,500 whole-document
references made vnsign digest 4 GB). :func:`~vnsign.formats.xml.verify_xml`
counts signatures, references and transforms and estimates the octets to digest
*before* digesting anything, and refuses a document beyond
:class:`VerifyLimits` with :class:`~vnsign.errors.HostileInputError`, like an
entity bomb. While it digests, it also counts what it really canonicalizes, so
what an estimate cannot foresee stays bounded too.
"""

from __future__ import annotations

from dataclasses import dataclass

from vnsign.errors import HostileInputError, PolicyError

__all__ = ["DEFAULT_VERIFY_LIMITS", "DigestBudget", "VerifyLimits"]


@dataclass(frozen=True)
class VerifyLimits:
    """Bounds for verifying the signatures of one document.

    The defaults are far above what signed documents carry (an e-invoice has up
    to four signatures of two references; an ASiC-E signature in DSS's samples
    signs 500 files) and keep the worst accepted document to a few seconds.
    """

    #: ``ds:Signature`` elements verified in one document (counter-signatures
    #: nested in a signature belong to it and are not counted).
    max_signatures: int = 1000
    #: ``ds:Reference`` elements in one ``ds:SignedInfo``.
    max_references: int = 1000
    #: ``ds:Reference`` elements of all the signatures of a document together.
    max_document_references: int = 10_000
    #: ``ds:Transform`` elements in one reference (real ones have up to three).
    max_transforms: int = 16
    #: Octets canonicalized and digested for one document, all references together
    #: (twice the largest document :func:`~vnsign.formats.xml.parse_xml` reads).
    max_digested_bytes: int = 512 << 20

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not isinstance(value, int) or value < 1:
                raise PolicyError(f"VerifyLimits.{name} must be a positive integer, not {value!r}")


#: The limits verify_xml applies unless told otherwise.
DEFAULT_VERIFY_LIMITS = VerifyLimits()


def _mib(size: int) -> str:
    return f"{size / (1 << 20):.0f} MiB" if size >= 1 << 20 else f"{size} bytes"


class DigestBudget:
    """The octets still allowed to be canonicalized and digested.

    One budget can be shared by several verifications (the nested packages of an
    edXML inspection), so that together they stay within one limit.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.remaining = limit

    def check(self, estimate: int) -> None:
        """Refuse, before any work, when ``estimate`` octets do not fit."""
        if estimate > self.remaining:
            raise HostileInputError(
                f"the document's signatures would make vnsign canonicalize and digest about "
                f"{_mib(estimate)} of XML, more than {self._allowed()}: many references over "
                "a large document; refused"
            )

    def spend(self, size: int) -> None:
        """Count ``size`` octets canonicalized or decoded; refuse past the limit."""
        if size > self.remaining:
            raise HostileInputError(
                f"verifying the document's signatures would canonicalize and digest more than "
                f"{self._allowed()} of XML; refused"
            )
        self.remaining -= size

    def _allowed(self) -> str:
        if self.remaining >= self.limit:
            return f"the limit of {_mib(self.limit)}"
        return f"the {_mib(self.remaining)} left of the limit of {_mib(self.limit)}"
