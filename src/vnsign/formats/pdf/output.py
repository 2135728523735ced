"""Writing signed PDFs safely: never over the input, never half a file.

The output starts as a copy of the input in a temporary file beside the target
and is renamed over it once complete (:class:`~vnsign._files.AtomicFile`).
Given a digest algorithm, the copy of a large source is hashed while it is made
(see :mod:`vnsign.formats.pdf.copying`).
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from vnsign._files import AtomicFile, reason
from vnsign.errors import InputError
from vnsign.formats.pdf.copying import CopyDigest, copy_into

__all__ = ["AtomicOutput", "check_paths"]


def check_paths(source: Path, target: Path) -> None:
    """Refuse a missing input, a missing output folder, or output = input."""
    if not source.is_file():
        raise InputError(f"no such PDF file: {source}")
    if not target.parent.is_dir():
        raise InputError(f"the output folder {target.parent} does not exist")
    if target.exists() and (target.is_dir() or os.path.samefile(source, target)):
        raise InputError(
            f"the output {target} must be a new file, not the input or a folder "
            "(vnsign never changes the input file)"
        )


class AtomicOutput(AtomicFile):
    """A temporary copy of ``source`` in ``target``'s folder, opened read-write;
    renamed to ``target`` when the ``with`` block succeeds (see
    :class:`~vnsign._files.AtomicFile`).

    With ``digest`` (a ``hashlib`` name), :attr:`copy_digest` is the digest of a
    large source's copy, computed as it is made (``None`` for a small one).
    """

    def __init__(self, target: Path, *, source: Path, digest: str | None = None) -> None:
        super().__init__(target)
        self.source = source
        self.digest = digest
        self.copy_digest: CopyDigest | None = None

    def fill(self, handle: BinaryIO) -> None:
        """Copy the source in."""
        assert self.path is not None
        try:
            with open(self.source, "rb", buffering=0) as src:
                self.copy_digest = copy_into(src, handle, self.path, digest=self.digest)
        except OSError as exc:
            raise InputError(
                f"cannot copy {self.source} into {self.target.parent}: {reason(exc)}"
            ) from exc
        handle.seek(0)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.copy_digest is not None:
            self.copy_digest.stop()
        super().__exit__(exc_type, exc, tb)
