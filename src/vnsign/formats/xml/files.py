"""Reading inputs: whole, bounded, never modified (outputs: :mod:`vnsign._files`)."""

from __future__ import annotations

import stat
from pathlib import Path

from vnsign.errors import InputError, MalformedInputError

__all__ = ["read_input"]


def read_input(path: str | Path, *, max_bytes: int) -> bytes:
    """The bytes of ``path``, refusing files larger than ``max_bytes``."""
    source = Path(path)
    try:
        status = source.stat()
        if stat.S_ISDIR(status.st_mode):
            raise InputError(f"{source} is a folder, not a file")
        size = status.st_size
        if size > max_bytes:
            raise InputError(f"{source} is {size} bytes, more than the limit of {max_bytes}")
        return source.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"no such file: {source}") from exc
    except IsADirectoryError as exc:
        raise InputError(f"{source} is a folder, not a file") from exc
    except OSError as exc:
        raise MalformedInputError(f"cannot read {source}: {exc.strerror}") from exc
