"""The test-key cache: where it lives, that it round-trips, that it can be turned off."""

from __future__ import annotations

from pathlib import Path

import pytest

from vnsign.testing import _keys
from vnsign.testing._keys import KeyType, default_cache_dir


def test_cache_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VNSIGN_TEST_KEY_CACHE", str(tmp_path))
    assert default_cache_dir() == tmp_path
    monkeypatch.setenv("VNSIGN_TEST_KEY_CACHE", "off")
    assert default_cache_dir() is None
    monkeypatch.delenv("VNSIGN_TEST_KEY_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "vnsign" / "test-keys"


def test_keys_round_trip_through_the_disk_cache(tmp_path: Path) -> None:
    key = KeyType.ECDSA_P256.generate()
    _keys._write(tmp_path, KeyType.ECDSA_P256, 7, key)
    again = _keys._read(tmp_path, KeyType.ECDSA_P256, 7)
    assert again is not None
    assert again.private_numbers() == key.private_numbers()  # type: ignore[union-attr]
    assert _keys._read(tmp_path, KeyType.ECDSA_P256, 8) is None
    (tmp_path / "p256-0009.pem").write_text("corrupt")
    assert _keys._read(tmp_path, KeyType.ECDSA_P256, 9) is None  # regenerated, not a crash


def test_unwritable_cache_keeps_working(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    _keys._write(blocker / "sub", KeyType.ECDSA_P256, 0, KeyType.ECDSA_P256.generate())


def test_take_key_hands_out_distinct_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VNSIGN_TEST_KEY_CACHE", str(tmp_path))
    first, second = _keys.take_key(KeyType.ECDSA_P256), _keys.take_key(KeyType.ECDSA_P256)
    assert first.public_key() != second.public_key()
    assert len(list(tmp_path.glob("p256-*.pem"))) == 2
