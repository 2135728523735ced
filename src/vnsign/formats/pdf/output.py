"""Writing signed PDFs safely: never over the input, never half a file.

The output is built in a temporary file in the target folder (so the final
rename stays on one file system), flushed to disk with ``fsync``, then renamed
over the target with ``os.replace``. On any error the temporary file is removed
and the target is left as it was. Given a digest algorithm, the copy of the
large source is hashed while it is made (see :mod:`vnsign.formats.pdf.copying`).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

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


class AtomicOutput:
    """A temporary copy of ``source`` in ``target``'s folder, opened read-write;
    renamed to ``target`` when the ``with`` block succeeds.

    With ``digest`` (a ``hashlib`` name), :attr:`copy_digest` is the digest of a
    large source's copy, computed as it is made (``None`` for a small one).
    """

    def __init__(self, target: Path, *, source: Path, digest: str | None = None) -> None:
        self.target = target
        self.source = source
        self.digest = digest
        self.path: Path | None = None
        self.handle: BinaryIO | None = None
        self.copy_digest: CopyDigest | None = None

    def __enter__(self) -> BinaryIO:
        try:
            fd, name = tempfile.mkstemp(
                dir=self.target.parent, prefix=f".{self.target.name}.", suffix=".part"
            )
        except OSError as exc:
            raise InputError(f"cannot write into {self.target.parent}: {_reason(exc)}") from exc
        self.path = Path(name)
        try:
            self.handle = os.fdopen(fd, "w+b")
            with open(self.source, "rb", buffering=0) as src:
                self.copy_digest = copy_into(src, self.handle, self.path, digest=self.digest)
            self.handle.seek(0)
        except BaseException as exc:
            self._discard()
            if isinstance(exc, OSError):
                raise InputError(
                    f"cannot copy {self.source} into {self.target.parent}: {_reason(exc)}"
                ) from exc
            raise
        return self.handle

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self._discard()
            return
        assert self.handle is not None and self.path is not None
        if self.copy_digest is not None:
            self.copy_digest.stop()
        try:
            self.handle.flush()
            os.fsync(self.handle.fileno())
            mode = self.target.stat().st_mode & 0o777 if self.target.exists() else 0o644
            os.fchmod(self.handle.fileno(), mode)
            self.handle.close()
            os.replace(self.path, self.target)
        except BaseException as exc:
            self._discard()
            if isinstance(exc, OSError):
                raise InputError(f"cannot write {self.target}: {_reason(exc)}") from exc
            raise
        self.path = None
        _fsync_folder(self.target.parent)

    def _discard(self) -> None:
        if self.copy_digest is not None:
            self.copy_digest.stop()
        if self.handle is not None:
            with contextlib.suppress(OSError):
                self.handle.close()
        if self.path is not None:
            with contextlib.suppress(OSError):
                self.path.unlink()
            self.path = None


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _fsync_folder(folder: Path) -> None:
    # Make the rename itself durable; not every platform can open a folder.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
