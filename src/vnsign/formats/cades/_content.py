"""Reading the signed content in chunks."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from vnsign.errors import InputError

__all__ = ["CHUNK_SIZE", "Content", "digest_content"]

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
