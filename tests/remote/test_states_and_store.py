"""The state machine's rules and the transaction store's guarantees."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from _remote_helpers import items

from vnsign._files import write_atomic
from vnsign.errors import InputError, MalformedInputError
from vnsign.pki.credentials import HashAlgorithm, KeyKind, SignatureScheme
from vnsign.pki.remote import JsonFileStore, MemoryStore, TxState
from vnsign.pki.remote.model import (
    Attachment,
    ReturnedValue,
    SignatureMechanism,
    StateChange,
    TransactionRecord,
    VerifiedSignature,
)
from vnsign.pki.remote.states import LIVE_STATES, TERMINAL_STATES, FailureReason, can_move
from vnsign.pki.remote.store import record_from_json, record_to_json
from vnsign.testing import TestPKI


def test_terminal_states_never_move() -> None:
    for state in TERMINAL_STATES:
        assert state.terminal
        assert not any(can_move(state, other) for other in TxState)


def test_every_state_is_reachable_from_created() -> None:
    reached, frontier = {TxState.CREATED}, [TxState.CREATED]
    while frontier:
        state = frontier.pop()
        for other in TxState:
            if can_move(state, other) and other not in reached:
                reached.add(other)
                frontier.append(other)
    assert reached == set(TxState)


def test_only_checks_leave_signed_and_only_signed_completes() -> None:
    assert {s for s in TxState if can_move(TxState.SIGNED, s)} == {
        TxState.COMPLETED,
        TxState.INVALID,
    }
    assert {s for s in TxState if can_move(s, TxState.COMPLETED)} == {TxState.SIGNED}
    assert {s for s in TxState if can_move(s, TxState.INVALID)} == {TxState.SIGNED}
    assert not can_move(TxState.SUBMITTED, TxState.UNKNOWN)  # UNKNOWN only for a lost answer
    assert LIVE_STATES.isdisjoint(TERMINAL_STATES)


@pytest.fixture(scope="module")
def record() -> TransactionRecord:
    with TestPKI(start_services=False) as pki:
        ident = pki.person
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    return TransactionRecord(
        tx_id="tx-store-1",
        provider={"kind": "smartca", "service_url": "https://x", "sp_id": "sp"},
        user="079100000001",
        certificate=ident.certificate,
        chain=ident.chain,
        mechanism=SignatureMechanism(HashAlgorithm.SHA384, KeyKind.RSA, SignatureScheme.PSS),
        display_text="Ký 2 văn bản — Quyết định",
        items=tuple(items(2)),
        state=TxState.COMPLETED,
        created_at=now,
        deadline=now + timedelta(minutes=5),
        submit_started_at=now,
        provider_tx_id="p-1",
        provider_expires_at=now + timedelta(minutes=4),
        references=(("tran_code", "TC1"),),
        failure=FailureReason.USER_REJECTED,
        message="x",
        provider_code="200",
        returned=(ReturnedValue("AAAA", "doc-1"), ReturnedValue("BBBB", None)),
        signatures=(VerifiedSignature("doc-1", b"\x01\x02"),),
        attachments=(Attachment("pdf", "doc-1", "/tmp/x.json"),),
        history=(
            StateChange(now, TxState.CREATED, "2 item(s)"),
            StateChange(now, TxState.COMPLETED),
        ),
    )


def test_record_round_trips_through_json(record: TransactionRecord) -> None:
    back = record_from_json(json.loads(json.dumps(record_to_json(record))))
    assert record_to_json(back) == record_to_json(record)
    assert back.certificate == record.certificate
    assert back.effective_deadline == record.provider_expires_at
    assert back.signature_for("doc-1") == b"\x01\x02"
    assert back.reference("tran_code") == "TC1"


def test_json_store_writes_atomically_and_privately(
    record: TransactionRecord, tmp_path: Path
) -> None:
    store = JsonFileStore(tmp_path / "tx")
    store.save(record)
    store.save(record.evolve(message="second"))
    assert store.load(record.tx_id).message == "second"
    assert store.ids() == [record.tx_id]
    assert [p.name for p in (tmp_path / "tx").iterdir()] == [
        "tx-store-1.json"
    ]  # no temp files left
    assert stat.S_IMODE(os.stat(tmp_path / "tx").st_mode) == 0o700
    assert store.work_dir(record.tx_id).is_dir()


def test_a_failed_write_leaves_the_old_record(record: TransactionRecord, tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    write_atomic(path, b"old")

    with pytest.raises(TypeError):
        write_atomic(path, "not bytes")  # type: ignore[arg-type]
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


def test_damaged_or_missing_records_are_reported(tmp_path: Path) -> None:
    store = JsonFileStore(tmp_path)
    with pytest.raises(InputError, match="no remote signing transaction"):
        store.load("tx-missing")
    (tmp_path / "tx-bad.json").write_text('{"format": "something else"}')
    with pytest.raises(MalformedInputError, match="damaged"):
        store.load("tx-bad")
    for bad in ("../etc/passwd", "", "a b", "-x", "x" * 200):
        with pytest.raises(InputError):
            store.load(bad)


def test_memory_store_serialises_too(record: TransactionRecord, tmp_path: Path) -> None:
    store = MemoryStore(tmp_path)
    store.save(record)
    loaded = store.load(record.tx_id)
    assert loaded is not record
    assert record_to_json(loaded) == record_to_json(record)
    assert [r.tx_id for r in store] == [record.tx_id]
