"""Verification rules, registered by importing their modules."""

from vnsign.verify.rules import edxml, einvoice, legal, nd30, technical
from vnsign.verify.rules.base import DOCUMENT_RULES, SIGNATURE_RULES

__all__ = ["DOCUMENT_RULES", "SIGNATURE_RULES", "edxml", "einvoice", "legal", "nd30", "technical"]
