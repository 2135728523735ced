"""Writing files so that a reader sees the old content or the new, never half.

Every file vnsign writes (signed documents, signature files, packages, the
remote-signing state) is built in a temporary file in the target's folder (so
the rename stays on one file system), flushed to disk with ``fsync``, given its
permissions, renamed over the target with ``os.replace``, and the folder is
synced so the rename survives a crash. On any error the temporary file is
removed and the target is left as it was; a file system error is an
:class:`~vnsign.errors.InputError` naming the file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from vnsign.errors import InputError

__all__ = ["AtomicFile", "write_atomic"]


class AtomicFile:
    """A temporary file beside ``target``, open read-write; renamed to
    ``target`` when the ``with`` block succeeds, removed when it fails.

    ``mode``: the new file's permissions; by default an existing target's, or
    ``0o644``.
    """

    def __init__(self, target: str | Path, *, mode: int | None = None) -> None:
        self.target = Path(target)
        self.mode = mode
        self.path: Path | None = None
        self.handle: BinaryIO | None = None

    def __enter__(self) -> BinaryIO:
        folder = self.target.parent
        try:
            fd, name = tempfile.mkstemp(dir=folder, prefix=f".{self.target.name}.", suffix=".part")
        except OSError as exc:
            raise InputError(f"cannot write into {folder}: {reason(exc)}") from exc
        self.path = Path(name)
        try:
            self.handle = os.fdopen(fd, "w+b")
            self.fill(self.handle)
        except BaseException:
            self.discard()
            raise
        return self.handle

    def fill(self, handle: BinaryIO) -> None:
        """What the file holds before the ``with`` block runs (nothing here)."""

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.discard()
            return
        assert self.handle is not None and self.path is not None
        try:
            self.handle.flush()
            os.fsync(self.handle.fileno())
            os.fchmod(self.handle.fileno(), self._mode())
            self.handle.close()
            os.replace(self.path, self.target)
        except BaseException as error:
            self.discard()
            if isinstance(error, OSError):
                raise InputError(f"cannot write {self.target}: {reason(error)}") from error
            raise
        self.path = None
        _fsync_folder(self.target.parent)

    def discard(self) -> None:
        """Close and remove the temporary file."""
        if self.handle is not None:
            with contextlib.suppress(OSError):
                self.handle.close()
        if self.path is not None:
            with contextlib.suppress(OSError):
                self.path.unlink()
            self.path = None

    def _mode(self) -> int:
        if self.mode is not None:
            return self.mode
        try:
            return self.target.stat().st_mode & 0o777
        except FileNotFoundError:
            return 0o644


def write_atomic(path: str | Path, data: bytes, *, mode: int | None = None) -> Path:
    """Write ``data`` to ``path`` atomically (see :class:`AtomicFile`); returns the path."""
    with AtomicFile(path, mode=mode) as handle:
        handle.write(data)
    return Path(path)


def reason(exc: OSError) -> str:
    """The operating system's words for ``exc``."""
    return exc.strerror or str(exc)


def _fsync_folder(folder: Path) -> None:
    # Not every platform can open a folder, nor every file system sync one; the
    # rename is atomic either way.
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
