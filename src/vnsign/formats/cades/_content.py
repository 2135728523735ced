"""Reading the signed content in chunks, and writing signature files atomically."""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from vnsign.errors import InputError

__all__ = ["CHUNK_SIZE", "Content", "digest_content", "write_atomically"]

#: Bytes read at a time: memory use stays flat whatever the file size.
CHUNK_SIZE = 1 << 20

#: What can be signed or verified: the bytes, a file path, or an open binary stream.
Content = bytes | str | os.PathLike[str] | BinaryIO


def digest_content(content: Content, algorithms: Iterable[str]) -> dict[str, bytes]:
    """The digest of ``content`` with each of ``algorithms`` (hashlib names), read
    once, in chunks. Unknown algorithms are left out of the result."""
    hashers = {}
    for name in set(algorithms):
        try:
            hashers[name] = hashlib.new(name)
        except (ValueError, TypeError):
            continue
    if isinstance(content, bytes):
        for hasher in hashers.values():
            hasher.update(content)
    elif isinstance(content, str | os.PathLike):
        path = Path(content)
        try:
            with path.open("rb") as stream:
                _feed(stream, hashers.values())
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    else:
        _feed(content, hashers.values())
    return {name: hasher.digest() for name, hasher in hashers.items()}


def _feed(stream: BinaryIO, hashers: Iterable[hashlib._Hash]) -> None:
    targets = list(hashers)
    while chunk := stream.read(CHUNK_SIZE):
        for hasher in targets:
            hasher.update(chunk)


def write_atomically(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` through a temporary file in the same folder,
    renamed over ``target`` once complete: readers see the old file or the new
    one, never half of it. The new file gets the usual permissions (umask)."""
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise InputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
