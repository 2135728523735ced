"""Batches: many documents, one confirmation, never split silently."""

from __future__ import annotations

import hashlib
import time

import pytest
from _remote_helpers import BATCH_DIALECTS, Remote, items, name_for, verifies

from vnsign.errors import InputError
from vnsign.pki.credentials import HashAlgorithm
from vnsign.pki.remote import (
    CscProvider,
    DigestItem,
    RemoteSigningEngine,
    SmartCAProvider,
    TxState,
)
from vnsign.testing.remote import GatewayUser, PhoneAction


def _mixed(count: int) -> list[DigestItem]:
    """PDFs (CMS signed attributes) and XMLs (SignedInfo) alike: digests with ids."""
    return [
        DigestItem(
            f"{'pdf' if n % 2 else 'xml'}-{n}",
            f"{'Quyết định' if n % 2 else 'Hóa đơn'} số {n}",
            hashlib.sha256(b"document %d" % n).digest(),
            HashAlgorithm.SHA256,
            "pdf" if n % 2 else "xml",
        )
        for n in range(1, count + 1)
    ]


@pytest.mark.parametrize("dialect", BATCH_DIALECTS)
def test_one_confirmation_signs_a_hundred_documents(
    remote: Remote, approving_user: GatewayUser, dialect: str
) -> None:
    batch = _mixed(100)
    started = time.monotonic()
    record = remote.engine(dialect).sign(
        name_for(approving_user, dialect), batch, display_text="Ký 100 văn bản"
    )
    assert record.state is TxState.COMPLETED, record.message
    assert time.monotonic() - started < 3.0
    prompts = remote.gateway.prompts_for(approving_user)
    assert len(prompts) == 1
    assert len(prompts[0].digests) == 100
    assert remote.submits() == 1
    for item in batch:
        assert verifies(
            approving_user.identity.certificate, item.digest, record.signature_for(item.item_id)
        )


def test_smartca_sends_every_document_in_one_sign_files_list(
    remote: Remote, approving_user: GatewayUser
) -> None:
    remote.engine("smartca").sign(approving_user.user_id, _mixed(6), display_text="Ký 6 văn bản")
    (submit,) = remote.gateway.requests_for("submit")
    import json

    body = json.loads(submit.body)
    assert [f["doc_id"] for f in body["sign_files"]] == [
        f"{k}-{n}" for n, k in zip(range(1, 7), ["pdf", "xml"] * 3, strict=True)
    ]
    assert [f["file_type"] for f in body["sign_files"]] == ["pdf", "xml"] * 3
    assert body["sp_password"] == "***"


def test_too_many_documents_are_refused_before_anything_is_sent(remote: Remote) -> None:
    user = remote.gateway.add_user()
    engine = RemoteSigningEngine(
        SmartCAProvider(remote.gateway.smartca_settings(max_batch=100)), remote.store
    )
    with pytest.raises(InputError, match="101 documents exceed the limit of 100"):
        engine.sign(user.user_id, items(101), display_text="Ký")
    assert remote.submits() == 0
    assert remote.store.ids() == []
    assert remote.gateway.prompts == []


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_csc_multisign_is_the_limit(remote: Remote, version: str) -> None:
    user = remote.gateway.add_user(multisign=10)
    engine = RemoteSigningEngine(CscProvider(remote.gateway.csc_settings(version)), remote.store)
    assert engine.max_batch(engine.account(user.credential_id)) == 10
    with pytest.raises(InputError, match="limit of 10"):
        engine.sign(user.credential_id, items(11), display_text="Ký")
    assert remote.submits() == 0


def test_mobile_signature_takes_one_document_per_request(remote: Remote) -> None:
    user = remote.gateway.add_user()
    with pytest.raises(InputError, match="limit of 1"):
        remote.engine("mss").sign(user.msisdn, items(2), display_text="Ký")
    assert remote.submits() == 0


@pytest.mark.parametrize(
    ("batch", "message"),
    [
        ([], "empty"),
        (items(2) + items(1), "unique"),
        (
            [
                *items(1),
                DigestItem("b", "B", hashlib.sha384(b"x").digest(), HashAlgorithm.SHA384),
            ],
            "same hash algorithm",
        ),
        ([DigestItem("short", "S", b"\x00" * 20, HashAlgorithm.SHA256)], "32 bytes"),
    ],
    ids=["empty", "duplicate-ids", "mixed-hashes", "short-digest"],
)
def test_malformed_batches_are_refused(
    remote: Remote, approving_user: GatewayUser, batch: list[DigestItem], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        remote.engine("smartca").sign(approving_user.user_id, batch, display_text="Ký")
    assert remote.submits() == 0


def test_a_display_text_is_required(remote: Remote, approving_user: GatewayUser) -> None:
    with pytest.raises(InputError, match="display_text"):
        remote.engine("smartca").sign(approving_user.user_id, items(1), display_text="  ")


def test_sha384_and_sha512_batches(remote: Remote, approving_user: GatewayUser) -> None:
    for algorithm in (HashAlgorithm.SHA384, HashAlgorithm.SHA512):
        batch = [
            DigestItem(
                f"d{n}", f"D{n}", hashlib.new(algorithm.value, b"%d" % n).digest(), algorithm
            )
            for n in range(3)
        ]
        for dialect in ("smartca", "csc-v1"):
            record = remote.engine(dialect).sign(
                name_for(approving_user, dialect), batch, display_text="Ký"
            )
            assert record.state is TxState.COMPLETED, (dialect, algorithm, record.message)
            assert record.mechanism.hash_algorithm is algorithm


def test_a_batch_rejected_on_the_phone_signs_nothing(remote: Remote) -> None:
    user = remote.gateway.add_user()
    remote.gateway.phone.script(user, PhoneAction.REJECT)
    record = remote.engine("smartca").sign(user.user_id, _mixed(50), display_text="Ký 50 văn bản")
    assert record.state is TxState.REJECTED
    assert record.signatures == ()
