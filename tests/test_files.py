"""Every file vnsign writes appears whole or not at all, with sensible permissions."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from vnsign._files import AtomicFile, write_atomic
from vnsign.errors import InputError


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_file_is_readable_and_existing_mode_is_kept(tmp_path: Path) -> None:
    fresh = write_atomic(tmp_path / "new.pdf", b"new")
    assert fresh.read_bytes() == b"new" and _mode(fresh) == 0o644
    kept = tmp_path / "kept.pdf"
    kept.write_bytes(b"old")
    kept.chmod(0o640)
    write_atomic(kept, b"newer")
    assert kept.read_bytes() == b"newer" and _mode(kept) == 0o640
    private = write_atomic(tmp_path / "state.json", b"{}", mode=0o600)
    assert _mode(private) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.pdf", "new.pdf", "state.json"]


def test_a_failed_block_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.xml"
    target.write_bytes(b"old")

    def write_half() -> None:
        with AtomicFile(target) as handle:
            handle.write(b"half")
            raise RuntimeError("half way")

    with pytest.raises(RuntimeError, match="half way"):
        write_half()
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.xml"]


def test_file_system_errors_are_input_errors_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"cannot write into .*missing"):
        write_atomic(tmp_path / "missing" / "out.pdf", b"x")
    folder = tmp_path / "a-folder"
    folder.mkdir()
    (folder / "inside").write_bytes(b"")
    # os.replace cannot put a file over a non-empty folder.
    with pytest.raises(InputError, match=f"cannot write {re.escape(str(folder))}"):
        write_atomic(folder, b"x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-folder"]
    assert os.listdir(folder) == ["inside"]
