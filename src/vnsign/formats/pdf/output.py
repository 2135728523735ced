"""Writing signed PDFs safely: never over the input, never half a file.

The output is built in a temporary file in the target folder (so the final
rename stays on one file system), flushed to disk with ``fsync``, then renamed
over the target with ``os.replace``. On any error the temporary file is removed
and the target is left as it was.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from vnsign.errors import InputError

__all__ = ["AtomicOutput", "check_paths"]

_COPY_CHUNK = 8 << 20


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
    renamed to ``target`` when the ``with`` block succeeds."""

    def __init__(self, target: Path, *, source: Path) -> None:
        self.target = target
        self.source = source
        self.path: Path | None = None
        self.handle: BinaryIO | None = None

    def __enter__(self) -> BinaryIO:
        fd, name = tempfile.mkstemp(
            dir=self.target.parent, prefix=f".{self.target.name}.", suffix=".part"
        )
        self.path = Path(name)
        try:
            self.handle = os.fdopen(fd, "w+b")
            with open(self.source, "rb") as src:
                _copy(src, self.handle)
            self.handle.seek(0)
        except BaseException:
            self._discard()
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
        try:
            self.handle.flush()
            os.fsync(self.handle.fileno())
            mode = self.target.stat().st_mode & 0o777 if self.target.exists() else 0o644
            os.fchmod(self.handle.fileno(), mode)
            self.handle.close()
            os.replace(self.path, self.target)
        except BaseException:
            self._discard()
            raise
        self.path = None
        _fsync_folder(self.target.parent)

    def _discard(self) -> None:
        if self.handle is not None:
            with contextlib.suppress(OSError):
                self.handle.close()
        if self.path is not None:
            with contextlib.suppress(OSError):
                self.path.unlink()
            self.path = None


def _copy(src: BinaryIO, dst: BinaryIO) -> None:
    # copy_file_range lets the kernel copy (or share extents) without the bytes
    # passing through Python; fall back to plain chunked copying elsewhere.
    copy_range = getattr(os, "copy_file_range", None)
    if copy_range is not None:
        try:
            total = os.fstat(src.fileno()).st_size
            done = 0
            while done < total:
                copied = copy_range(src.fileno(), dst.fileno(), min(_COPY_CHUNK << 4, total - done))
                if copied == 0:
                    break
                done += copied
            if done == total:
                dst.seek(0, os.SEEK_END)
                return
        except OSError:
            pass
        src.seek(0)
        dst.seek(0)
        dst.truncate()
    shutil.copyfileobj(src, dst, _COPY_CHUNK)


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
