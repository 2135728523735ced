"""Reading inputs and writing outputs: inputs are never modified, outputs are
written atomically (a temporary file in the target folder, then ``os.replace``),
so a reader never sees half a signed document."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from vnsign.errors import InputError, MalformedInputError

__all__ = ["read_input", "write_atomic"]


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


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path."""
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=directory
        )
    except OSError as exc:
        raise InputError(f"cannot write into {directory}: {exc.strerror}") from exc
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return target
