"""Telling which container a document is, from its first bytes."""

from __future__ import annotations

import re
from enum import StrEnum

__all__ = ["DocumentFormat", "detect_format"]

_SIGNED_DATA_OID = bytes.fromhex("06092a864886f70d010702")
_EINVOICE_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?HDon[\s>/]")
_EDXML_MARK = re.compile(rb"QCVN_102_2016|<(?:[A-Za-z_][\w.-]*:)?edXML[\s>:/]")


class DocumentFormat(StrEnum):
    """Containers vnsign signs and verifies."""

    PDF = "pdf"
    XML = "xml"  #: any XMLDSig / XAdES document
    EINVOICE = "einvoice"  #: a Vietnamese e-invoice (HDon)
    EDXML = "edxml"  #: a QCVN 102:2016 edXML package
    CMS = "cms"  #: a detached CMS / CAdES signature (.p7s)
    UNKNOWN = "unknown"


def detect_format(data: bytes) -> DocumentFormat:
    """The container of ``data``, judged from its first kilobytes."""
    head = data[:4096]
    if b"%PDF-" in head[:1024]:
        return DocumentFormat.PDF
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<"):
        if _EDXML_MARK.search(head):
            return DocumentFormat.EDXML
        if _EINVOICE_ROOT.search(head):
            return DocumentFormat.EINVOICE
        return DocumentFormat.XML
    if text.startswith(b"-----BEGIN PKCS7-----") or (
        head[:1] == b"\x30" and _SIGNED_DATA_OID in head[:64]
    ):
        return DocumentFormat.CMS
    return DocumentFormat.UNKNOWN
