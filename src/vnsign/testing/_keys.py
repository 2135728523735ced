"""Test keys: generated once, then reused from memory and from a disk cache.

RSA generation dominates the cost of a test PKI (about 40 ms per 2048-bit key).
Keys are numbered per type across the process, so every certificate gets its
own key, and a second run reads the same keys from disk.
These are throwaway test keys; the cache is unencrypted by design.
"""

from __future__ import annotations

import os
import tempfile
import threading
from enum import StrEnum
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

__all__ = ["KeyType", "default_cache_dir", "take_key"]

SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


class KeyType(StrEnum):
    """Key types the test PKI can issue."""

    RSA2048 = "rsa2048"
    RSA3072 = "rsa3072"
    RSA1024 = "rsa1024"  #: too weak for signatures under STD-TT15-CRYPTO; for negative tests
    ECDSA_P256 = "p256"
    ECDSA_P384 = "p384"

    def generate(self) -> SigningKey:
        """A new private key of this type."""
        if self is KeyType.ECDSA_P256:
            return ec.generate_private_key(ec.SECP256R1())
        if self is KeyType.ECDSA_P384:
            return ec.generate_private_key(ec.SECP384R1())
        bits = {KeyType.RSA2048: 2048, KeyType.RSA3072: 3072, KeyType.RSA1024: 1024}[self]
        return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def default_cache_dir() -> Path | None:
    """``$VNSIGN_TEST_KEY_CACHE``, else ``~/.cache/vnsign/test-keys``;
    ``VNSIGN_TEST_KEY_CACHE=off`` disables the disk cache."""
    configured = os.environ.get("VNSIGN_TEST_KEY_CACHE")
    if configured is not None:
        return None if configured.lower() in {"", "0", "off", "no"} else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "vnsign" / "test-keys"


_lock = threading.Lock()
_next: dict[KeyType, int] = {}


def take_key(key_type: KeyType) -> SigningKey:
    """A key of ``key_type`` that no one in this process has been given before.

    Keys are numbered per type across the whole process, so two test PKIs built
    in one process never share a key (a certificate of one must not chain to
    the other's root by accident). Key *n* is read from the disk cache when
    present, so a second run generates nothing.
    """
    with _lock:
        index = _next.get(key_type, 0)
        _next[key_type] = index + 1
    cache_dir = default_cache_dir()
    key = _read(cache_dir, key_type, index) if cache_dir else None
    if key is None:
        key = key_type.generate()
        if cache_dir:
            _write(cache_dir, key_type, index, key)
    return key


def _path(cache_dir: Path, key_type: KeyType, index: int) -> Path:
    return cache_dir / f"{key_type.value}-{index:04d}.pem"


def _read(cache_dir: Path, key_type: KeyType, index: int) -> SigningKey | None:
    try:
        data = _path(cache_dir, key_type, index).read_bytes()
        # Our own keys: skip the RSA consistency check, which costs ~40 ms a key.
        key: PrivateKeyTypes = serialization.load_pem_private_key(
            data, password=None, unsafe_skip_rsa_key_validation=True
        )
    except (OSError, ValueError):
        return None
    if isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        return key
    return None


def _write(cache_dir: Path, key_type: KeyType, index: int, key: SigningKey) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        os.replace(tmp, _path(cache_dir, key_type, index))
    except OSError:
        pass  # a read-only home is fine: the keys stay in memory
