"""Where transaction records live between polls, callbacks and restarts.

:class:`JsonFileStore` keeps one JSON file per transaction, written atomically
(temporary file, fsync, rename), so a crash leaves either the old record or the
new one, never half of each. The record format is explicit and versioned; it
holds no secret (see :class:`~vnsign.pki.remote.model.TransactionRecord`).
"""

from __future__ import annotations

import base64
import json
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from vnsign._files import write_atomic
from vnsign.errors import InputError, MalformedInputError
from vnsign.pki.credentials import HashAlgorithm, KeyKind, SignatureScheme
from vnsign.pki.remote.model import (
    Attachment,
    DigestItem,
    ReturnedValue,
    SignatureMechanism,
    StateChange,
    TransactionRecord,
    VerifiedSignature,
)
from vnsign.pki.remote.states import FailureReason, TxState

__all__ = [
    "RECORD_FORMAT",
    "JsonFileStore",
    "MemoryStore",
    "TransactionStore",
    "default_store_dir",
    "record_from_json",
    "record_to_json",
]

RECORD_FORMAT = "vnsign-remote-transaction/1"
_TX_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,127}$")


class TransactionStore(Protocol):
    """Persistence for transaction records (a database can implement this too)."""

    def save(self, record: TransactionRecord) -> None:
        """Store ``record``, replacing any earlier version."""
        ...

    def load(self, tx_id: str) -> TransactionRecord:
        """The record of ``tx_id``; :class:`~vnsign.errors.InputError` if there is none."""
        ...

    def ids(self) -> list[str]:
        """Every stored transaction id."""
        ...

    def work_dir(self, tx_id: str) -> Path:
        """A folder for files that belong to ``tx_id`` (prepared documents)."""
        ...


def check_tx_id(tx_id: str) -> str:
    """``tx_id`` if it is a safe identifier (also a file name and an XML NCName)."""
    if not _TX_ID.match(tx_id):
        raise InputError(
            f"transaction id {tx_id!r} must start with a letter and use only letters, "
            "digits, '-' and '_' (at most 128 characters)"
        )
    return tx_id


def default_store_dir() -> Path:
    """``$VNSIGN_REMOTE_STORE``, else ``$XDG_STATE_HOME/vnsign/remote``
    (``~/.local/state/vnsign/remote``)."""
    configured = os.environ.get("VNSIGN_REMOTE_STORE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "vnsign" / "remote"


class JsonFileStore:
    """One ``<tx_id>.json`` per transaction in ``directory`` (created 0700)."""

    def __init__(self, directory: str | Path | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_store_dir()
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _path(self, tx_id: str) -> Path:
        return self.directory / f"{check_tx_id(tx_id)}.json"

    def save(self, record: TransactionRecord) -> None:
        """Write the record atomically."""
        data = json.dumps(record_to_json(record), ensure_ascii=False, indent=1).encode()
        write_atomic(self._path(record.tx_id), data, mode=0o600)

    def load(self, tx_id: str) -> TransactionRecord:
        """Read a record back."""
        path = self._path(tx_id)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise InputError(f"no remote signing transaction {tx_id} in {self.directory}") from None
        try:
            return record_from_json(json.loads(raw))
        except (ValueError, TypeError, KeyError) as exc:
            raise MalformedInputError(f"the record {path} is damaged: {exc}") from exc

    def ids(self) -> list[str]:
        """Ids of the stored transactions, oldest file first."""
        files = sorted(self.directory.glob("*.json"), key=lambda p: p.stat().st_mtime)
        return [p.stem for p in files if _TX_ID.match(p.stem)]

    def work_dir(self, tx_id: str) -> Path:
        """``<directory>/<tx_id>/``, created on demand."""
        path = self.directory / check_tx_id(tx_id)
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        return path


class MemoryStore:
    """Records in memory (serialised, so the round trip is exercised);
    ``work_root`` holds the work folders."""

    def __init__(self, work_root: str | Path | None = None) -> None:
        self._records: dict[str, str] = {}
        self._lock = threading.Lock()
        self._work_root = Path(work_root) if work_root else Path(tempfile.mkdtemp(prefix="vnsign-"))

    def save(self, record: TransactionRecord) -> None:
        """Keep a serialised copy."""
        text = json.dumps(record_to_json(record))
        with self._lock:
            self._records[check_tx_id(record.tx_id)] = text

    def load(self, tx_id: str) -> TransactionRecord:
        """The stored copy, deserialised."""
        with self._lock:
            text = self._records.get(tx_id)
        if text is None:
            raise InputError(f"no remote signing transaction {tx_id}")
        return record_from_json(json.loads(text))

    def ids(self) -> list[str]:
        """Ids in insertion order."""
        with self._lock:
            return list(self._records)

    def work_dir(self, tx_id: str) -> Path:
        """A folder under ``work_root``."""
        path = self._work_root / check_tx_id(tx_id)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def __iter__(self) -> Iterator[TransactionRecord]:
        return (self.load(i) for i in self.ids())


# -- JSON form -----------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def _cert(cert: x509.Certificate) -> str:
    return _b64(cert.public_bytes(Encoding.DER))


def _uncert(text: str) -> x509.Certificate:
    return x509.load_der_x509_certificate(_unb64(text))


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _untime(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def record_to_json(record: TransactionRecord) -> dict[str, Any]:
    """The JSON-ready form of ``record`` (format :data:`RECORD_FORMAT`)."""
    return {
        "format": RECORD_FORMAT,
        "tx_id": record.tx_id,
        "state": record.state.value,
        "provider": dict(record.provider),
        "user": record.user,
        "display_text": record.display_text,
        "created_at": _time(record.created_at),
        "deadline": _time(record.deadline),
        "submit_started_at": _time(record.submit_started_at),
        "provider_tx_id": record.provider_tx_id,
        "provider_expires_at": _time(record.provider_expires_at),
        "references": dict(record.references),
        "failure": record.failure.value if record.failure else None,
        "message": record.message,
        "provider_code": record.provider_code,
        "mechanism": {
            "hash": record.mechanism.hash_algorithm.value,
            "key": record.mechanism.key_kind.value,
            "scheme": record.mechanism.scheme.value,
        },
        "certificate": _cert(record.certificate),
        "chain": [_cert(c) for c in record.chain],
        "items": [
            {
                "id": i.item_id,
                "label": i.label,
                "digest": i.digest.hex(),
                "hash": i.hash_algorithm.value,
                "kind": i.kind,
            }
            for i in record.items
        ],
        "returned": [{"id": v.item_id, "value": v.value} for v in record.returned],
        "signatures": [{"id": s.item_id, "value": _b64(s.value)} for s in record.signatures],
        "attachments": [
            {"kind": a.kind, "id": a.item_id, "path": a.path} for a in record.attachments
        ],
        "history": [
            {"at": _time(h.at), "state": h.state.value, "note": h.note} for h in record.history
        ],
    }


def record_from_json(data: dict[str, Any]) -> TransactionRecord:
    """Rebuild a record from :func:`record_to_json`'s output."""
    if data.get("format") != RECORD_FORMAT:
        raise ValueError(f"not a {RECORD_FORMAT} record (format {data.get('format')!r})")
    mech = data["mechanism"]
    created_at = _untime(data["created_at"])
    deadline = _untime(data["deadline"])
    if created_at is None or deadline is None:
        raise ValueError("created_at and deadline are required")
    return TransactionRecord(
        tx_id=check_tx_id(data["tx_id"]),
        provider={str(k): str(v) for k, v in data["provider"].items()},
        user=data["user"],
        certificate=_uncert(data["certificate"]),
        chain=tuple(_uncert(c) for c in data["chain"]),
        mechanism=SignatureMechanism(
            HashAlgorithm(mech["hash"]), KeyKind(mech["key"]), SignatureScheme(mech["scheme"])
        ),
        display_text=data["display_text"],
        items=tuple(
            DigestItem(
                item_id=i["id"],
                label=i["label"],
                digest=bytes.fromhex(i["digest"]),
                hash_algorithm=HashAlgorithm(i["hash"]),
                kind=i["kind"],
            )
            for i in data["items"]
        ),
        state=TxState(data["state"]),
        created_at=created_at,
        deadline=deadline,
        submit_started_at=_untime(data.get("submit_started_at")),
        provider_tx_id=data.get("provider_tx_id"),
        provider_expires_at=_untime(data.get("provider_expires_at")),
        references=tuple((str(k), str(v)) for k, v in data.get("references", {}).items()),
        failure=FailureReason(data["failure"]) if data.get("failure") else None,
        message=data.get("message", ""),
        provider_code=data.get("provider_code"),
        returned=tuple(ReturnedValue(v["value"], v["id"]) for v in data.get("returned", [])),
        signatures=tuple(
            VerifiedSignature(s["id"], _unb64(s["value"])) for s in data.get("signatures", [])
        ),
        attachments=tuple(
            Attachment(a["kind"], a["id"], a["path"]) for a in data.get("attachments", [])
        ),
        history=tuple(
            StateChange(_untime(h["at"]) or created_at, TxState(h["state"]), h.get("note", ""))
            for h in data.get("history", [])
        ),
    )
