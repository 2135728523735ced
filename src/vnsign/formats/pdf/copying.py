"""Copying the original PDF into the output, hashing a large one on the way.

An incremental signature only appends to the original, and its byte range
covers nearly all of the file: so for a large document (from
:data:`LARGE_FILE` bytes) the copy is hashed as it is made, in a thread
(:class:`CopyDigest`; hashing releases the GIL), and the byte-range digest only
has the update left to hash (:mod:`vnsign.formats.pdf.byterange`). The digest
is taken from the very buffers that are written, so it covers exactly the
output's bytes even if the input changes meanwhile.

A large copy is also written around the page cache (``O_DIRECT``, where the
file system allows it): a signing server has no use for a second cached copy of
a scan it has just read, and filling fresh cache pages costs more than the disk
write, most of all in virtual machines. Small files take the ordinary path,
where the cache serves the reads that follow.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import queue
import shutil
import threading
from pathlib import Path
from typing import Any, BinaryIO

__all__ = ["LARGE_FILE", "CopyDigest", "copy_into"]

LARGE_FILE = 32 << 20
"""From this size a copy is hashed as it is made and written around the cache."""

_CHUNK = 4 << 20
_SMALL_CHUNK = 1 << 20


class CopyDigest:
    """A digest (``hashlib`` name ``algorithm``) of the buffers a copier hands
    over with :meth:`hash`, computed in a thread; :meth:`result` waits for it."""

    def __init__(self, algorithm: str, *, buffers: int = 3) -> None:
        self.algorithm = algorithm
        self._hash = hashlib.new(algorithm)
        self._free: queue.SimpleQueue[memoryview] = queue.SimpleQueue()
        for _ in range(buffers):
            self._free.put(memoryview(mmap.mmap(-1, _CHUNK)))
        self._work: queue.SimpleQueue[tuple[memoryview, int] | None] = queue.SimpleQueue()
        self._length = 0
        self._complete = False
        self._thread = threading.Thread(target=self._run, name="vnsign-copy-digest", daemon=True)
        self._thread.start()

    def buffer(self) -> memoryview:
        """A free page-aligned buffer of the copy's chunk size."""
        return self._free.get()

    def hash(self, buffer: memoryview, count: int) -> None:
        """Hash the first ``count`` bytes of ``buffer`` next; it is free again after."""
        self._length += count
        self._work.put((buffer, count))

    def finish(self) -> None:
        """The copy is complete."""
        self._complete = True
        self._work.put(None)

    def stop(self) -> None:
        """Give up: the copy failed or the signature is abandoned."""
        self._work.put(None)
        self._thread.join()

    def result(self) -> tuple[int, Any]:
        """The copy's length and a fresh copy of the digest over it (a
        ``hashlib`` object to continue with)."""
        self._thread.join()
        if not self._complete:
            raise RuntimeError("the copy was not finished")
        return self._length, self._hash.copy()

    def _run(self) -> None:
        while (item := self._work.get()) is not None:
            buffer, count = item
            self._hash.update(buffer[:count])
            self._free.put(buffer)


def copy_into(
    source: BinaryIO, target: BinaryIO, target_path: Path, *, digest: str | None
) -> CopyDigest | None:
    """Copy ``source`` into the empty ``target`` (open at ``target_path``); for a
    large source, with ``digest`` a ``hashlib`` name, return the digest of the
    copy being computed. ``target`` is left positioned at its end."""
    size = os.fstat(source.fileno()).st_size
    if size < LARGE_FILE:
        shutil.copyfileobj(source, target, _SMALL_CHUNK)
        return None
    hasher = CopyDigest(digest) if digest is not None else None
    try:
        _copy_large(source, target, target_path, hasher)
    except BaseException:
        if hasher is not None:
            hasher.stop()
        raise
    if hasher is not None:
        hasher.finish()
    return hasher


def _copy_large(
    source: BinaryIO, target: BinaryIO, target_path: Path, hasher: CopyDigest | None
) -> None:
    own = None if hasher is not None else memoryview(mmap.mmap(-1, _CHUNK))
    direct = _open_direct(target_path)
    offset = 0
    try:
        while True:
            buffer = hasher.buffer() if hasher is not None else own
            assert buffer is not None
            count = _read_full(source, buffer)
            if count == 0:
                break
            if not (direct is not None and count == _CHUNK and _write_direct(direct, buffer)):
                # The tail, or what O_DIRECT refuses, goes through the ordinary
                # file; after it, offsets are no longer aligned.
                if direct is not None:
                    os.close(direct)
                    direct = None
                target.seek(offset)
                target.write(buffer[:count])
            if hasher is not None:
                hasher.hash(buffer, count)
            offset += count
    finally:
        if direct is not None:
            os.close(direct)
    target.flush()
    target.seek(0, os.SEEK_END)


def _open_direct(path: Path) -> int | None:
    flag = getattr(os, "O_DIRECT", 0)
    if not flag:
        return None
    try:
        return os.open(path, os.O_WRONLY | flag)
    except OSError:  # a file system without O_DIRECT (tmpfs, some FUSE)
        return None


def _read_full(source: BinaryIO, buffer: memoryview) -> int:
    done = 0
    while done < len(buffer):
        count = source.readinto(buffer[done:])  # type: ignore[attr-defined]
        if not count:
            break
        done += count
    return done


def _write_direct(fd: int, buffer: memoryview) -> bool:
    # False: this file system takes O_DIRECT opens but not the writes.
    done = 0
    try:
        while done < len(buffer):
            done += os.write(fd, buffer[done:])
    except OSError:
        return False
    return True
