"""Looking inside attachments: what kind of file each one is, and opening zip
archives without trusting them (OBS-EDXML-NESTING).

Nothing is ever written to disk; every size is bounded before it is read.
"""

from __future__ import annotations

import enum
import io
import zipfile
from dataclasses import dataclass

from vnsign.errors import HostileInputError, MalformedInputError
from vnsign.formats.edxml.model import EDXML_NS

__all__ = ["FileKind", "NestingLimits", "SizeBudget", "sniff", "zip_members"]

_COMPRESSIONS = frozenset(
    {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
)


class FileKind(enum.StrEnum):
    """What an attachment really is, by its content (not its declared type)."""

    PDF = "pdf"
    ZIP = "zip"
    EDXML = "edxml"
    XML = "xml"
    OTHER = "other"


@dataclass(frozen=True)
class NestingLimits:
    """Bounds for recursing into attachments."""

    #: Containers (zip, edXML) opened below the top package.
    max_depth: int = 3
    max_file_bytes: int = 100 * 1024 * 1024
    #: Everything decoded or decompressed from one package, all levels together.
    max_total_bytes: int = 512 * 1024 * 1024
    max_zip_members: int = 1000
    #: Uncompressed / compressed size above which a zip member is a bomb.
    max_compression_ratio: int = 200


class SizeBudget:
    """Bytes still allowed for one inspection."""

    def __init__(self, limit: int) -> None:
        self.remaining = limit
        self.limit = limit

    def take(self, size: int, what: str) -> None:
        """Spend ``size`` bytes, or refuse when the budget is exhausted."""
        if size > self.remaining:
            raise HostileInputError(
                f"{what}: the attachments of this package expand to more than {self.limit} bytes"
            )
        self.remaining -= size


def sniff(data: bytes) -> FileKind:
    """The kind of ``data`` by its first bytes."""
    head = data[:4096]
    if head.startswith(b"%PDF-") or b"%PDF-" in head[:1024]:
        return FileKind.PDF
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return FileKind.ZIP
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"<"):
        return FileKind.EDXML if EDXML_NS.encode() in head else FileKind.XML
    return FileKind.OTHER


def zip_members(
    data: bytes, *, limits: NestingLimits, budget: SizeBudget, name: str
) -> list[tuple[str, bytes]]:
    """``(member name, bytes)`` for every file in the archive ``name``.

    Refuses (:class:`HostileInputError`) archives with too many members, members
    too large or compressed too well, and encrypted members; a damaged archive is
    :class:`MalformedInputError`.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise MalformedInputError(f"{name} is not a readable zip archive: {exc}") from exc
    with archive:
        members = [i for i in archive.infolist() if not i.is_dir()]
        if len(members) > limits.max_zip_members:
            raise HostileInputError(
                f"{name} has {len(members)} members (limit {limits.max_zip_members})"
            )
        result = []
        for info in members:
            label = f"{name}/{info.filename}"
            if info.flag_bits & 0x1:
                raise HostileInputError(f"{label} is encrypted; vnsign does not open it")
            if info.file_size > limits.max_file_bytes:
                raise HostileInputError(
                    f"{label} declares {info.file_size} bytes (limit {limits.max_file_bytes})"
                )
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_compression_ratio:
                raise HostileInputError(f"{label} is compressed {ratio:.0f}:1 (a zip bomb?)")
            if info.compress_type not in _COMPRESSIONS:
                raise MalformedInputError(f"{label} uses a compression method vnsign does not read")
            budget.take(info.file_size, label)
            try:
                with archive.open(info) as member:
                    content = member.read(limits.max_file_bytes + 1)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
                raise MalformedInputError(f"cannot read {label}: {exc}") from exc
            if len(content) != info.file_size:
                raise HostileInputError(f"{label} is not the size its header declares")
            result.append((info.filename, content))
        return result
