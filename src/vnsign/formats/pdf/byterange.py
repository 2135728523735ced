"""The byte-range digest of a signature being added in an incremental update.

pyHanko's own step (``PdfTBSDocument.digest_tbs_document``) writes the update
and then hashes the whole output again. Here the original's part of the output
is usually hashed already, while it was copied
(:class:`~vnsign.formats.pdf.copying.CopyDigest`): an incremental update
only appends, so the digest continues from there over the update alone. The
result is the same digest, in about half the time for a large document.
"""

from __future__ import annotations

import hashlib
import io
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.signers.pdf_byterange import PdfByteRangeDigest, PreparedByteRangeDigest

from vnsign.errors import SigningError
from vnsign.formats.pdf.copying import CopyDigest

__all__ = ["signature_object", "write_and_digest"]


def signature_object(writer: IncrementalPdfFileWriter, name: str) -> PdfByteRangeDigest | None:
    """The placeholder signature dictionary pyHanko has put in field ``name``."""
    for _, value, _ in enumerate_sig_fields(writer, with_name=name):
        if isinstance(value, generic.IndirectObject):
            value = value.get_object()  # type: ignore[no-untyped-call]
        return value if isinstance(value, PdfByteRangeDigest) else None
    return None


def write_and_digest(
    writer: IncrementalPdfFileWriter,
    signature: PdfByteRangeDigest,
    algorithm: str,
    *,
    copied: CopyDigest | None,
    chunk_size: int,
) -> PreparedByteRangeDigest:
    """Append the update to the writer's stream, fill in ``/ByteRange`` and
    digest it (``algorithm``: a ``hashlib`` name), continuing ``copied`` where
    it covers the start of the file. What pyHanko's ``fill`` does for in-place
    signing, but without hashing the original twice."""
    writer.digest_aware_write = True
    stream: io.BufferedIOBase = writer.prev.stream
    writer.write_in_place()  # type: ignore[no-untyped-call]
    eof = stream.tell()
    sig_start, sig_end = signature.contents.offsets
    signature.byte_range.fill_offsets(stream, sig_start, sig_end, eof)  # type: ignore[no-untyped-call]
    digest, start = _continued(copied, algorithm, sig_start)
    # One buffer for both ranges, no bigger than the larger of them.
    view = memoryview(bytearray(max(1, min(chunk_size, max(sig_start - start, eof - sig_end)))))
    _update(digest, stream, start, sig_start, view)
    _update(digest, stream, sig_end, eof, view)
    return PreparedByteRangeDigest(
        document_digest=digest.digest(),
        reserved_region_start=sig_start,
        reserved_region_end=sig_end,
    )


def _continued(copied: CopyDigest | None, algorithm: str, sig_start: int) -> tuple[Any, int]:
    if copied is not None and copied.algorithm == algorithm:
        length, digest = copied.result()
        # The update is appended after the copy, so the copy is all signed.
        if length <= sig_start:
            return digest, length
    return hashlib.new(algorithm), 0


def _update(digest: Any, stream: io.BufferedIOBase, start: int, end: int, view: memoryview) -> None:
    stream.seek(start)
    while start < end:
        count = stream.readinto(view[: min(len(view), end - start)])
        if not count:
            raise SigningError(f"the output ended at {start} bytes, before {end}")
        digest.update(view[:count])
        start += count
    stream.seek(0, 2)
