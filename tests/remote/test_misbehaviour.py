"""Every misbehaviour of the reference gateway, and what the engine makes of it:
wrong values are refused before anything could be embedded, transport faults
are survived without a second prompt, callbacks are only hints."""

from __future__ import annotations

import asyncio
import itertools
import json
import time

import pytest
from _remote_helpers import Remote, items, name_for

from vnsign.errors import NetworkError
from vnsign.pki.remote import CallbackListener, FailureReason, TxState, WaitPolicy
from vnsign.testing.remote import GatewayUser, Misbehaviour, PhoneAction

VALUE_FAULTS = [
    (Misbehaviour.WRONG_DIGEST, FailureReason.SIGNATURE_MISMATCH),
    (Misbehaviour.WRONG_KEY, FailureReason.SIGNATURE_MISMATCH),
    (Misbehaviour.WRONG_PADDING, FailureReason.SIGNATURE_MISMATCH),
    (Misbehaviour.GARBLED, FailureReason.BAD_ENCODING),
    (Misbehaviour.TRUNCATED, FailureReason.SIGNATURE_MISMATCH),
    (Misbehaviour.MISSING_ITEM, FailureReason.COUNT_MISMATCH),
    (Misbehaviour.EXTRA_ITEM, FailureReason.COUNT_MISMATCH),
    (Misbehaviour.SWAPPED, FailureReason.SIGNATURE_MISMATCH),
]


def _invalid(record: object, reason: FailureReason) -> None:
    assert record.state is TxState.INVALID, record.message  # type: ignore[attr-defined]
    assert record.failure is reason, record.message  # type: ignore[attr-defined]
    assert record.signatures == ()  # type: ignore[attr-defined]
    assert record.message  # type: ignore[attr-defined]


@pytest.mark.parametrize(("fault", "reason"), VALUE_FAULTS, ids=[f.value for f, _ in VALUE_FAULTS])
@pytest.mark.parametrize("dialect", ["smartca", "csc-v1", "csc-v2-async"])
def test_wrong_values_make_the_transaction_invalid(
    remote: Remote,
    approving_user: GatewayUser,
    dialect: str,
    fault: Misbehaviour,
    reason: FailureReason,
) -> None:
    remote.gateway.misbehave(fault)
    record = remote.engine(dialect).sign(
        name_for(approving_user, dialect), items(3), display_text="Ký"
    )
    _invalid(record, reason)
    assert "signature" in record.message or "digests were sent" in record.message


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (f, r)
        for f, r in VALUE_FAULTS
        if f not in (Misbehaviour.MISSING_ITEM, Misbehaviour.EXTRA_ITEM, Misbehaviour.SWAPPED)
    ],
)
def test_wrong_values_from_the_sim_are_refused(
    remote: Remote, approving_user: GatewayUser, fault: Misbehaviour, reason: FailureReason
) -> None:
    remote.gateway.misbehave(fault)
    record = remote.engine("mss").sign(approving_user.msisdn, items(1), display_text="Ký")
    _invalid(record, reason)


def test_reordered_values_named_by_id_are_matched_by_id(
    remote: Remote, approving_user: GatewayUser
) -> None:
    remote.gateway.misbehave(Misbehaviour.REORDERED)
    record = remote.engine("smartca").sign(approving_user.user_id, items(4), display_text="Ký")
    assert record.state is TxState.COMPLETED  # SmartCA names each value: order does not matter


@pytest.mark.parametrize("dialect", ["csc-v1", "csc-v2"])
def test_reordered_values_without_ids_are_refused(
    remote: Remote, approving_user: GatewayUser, dialect: str
) -> None:
    remote.gateway.misbehave(Misbehaviour.REORDERED)
    record = remote.engine(dialect).sign(approving_user.credential_id, items(4), display_text="Ký")
    _invalid(record, FailureReason.SIGNATURE_MISMATCH)


def test_duplicated_ids_are_refused(remote: Remote, approving_user: GatewayUser) -> None:
    remote.gateway.misbehave(Misbehaviour.DUPLICATE_ID)
    record = remote.engine("smartca").sign(approving_user.user_id, items(3), display_text="Ký")
    _invalid(record, FailureReason.ID_MISMATCH)


@pytest.mark.parametrize("dialect", ["smartca", "csc-v1"])
def test_ecdsa_r_s_where_der_is_expected_is_refused(remote: Remote, dialect: str) -> None:
    user = remote.gateway.add_user(key_type="p256")
    remote.gateway.phone.script(user, PhoneAction.APPROVE)
    remote.gateway.misbehave(Misbehaviour.P1363)
    record = remote.engine(dialect).sign(name_for(user, dialect), items(2), display_text="Ký")
    _invalid(record, FailureReason.SIGNATURE_MISMATCH)


def test_a_fault_applies_only_to_the_user_it_was_armed_for(remote: Remote) -> None:
    victim = remote.gateway.add_user()
    other = remote.gateway.add_user()
    for user in (victim, other):
        remote.gateway.phone.script(user, PhoneAction.APPROVE)
    remote.gateway.misbehave(Misbehaviour.WRONG_KEY, user=victim)
    engine = remote.engine("smartca")
    assert engine.sign(other.user_id, items(1), display_text="Ký").state is TxState.COMPLETED
    assert engine.sign(victim.user_id, items(1), display_text="Ký").state is TxState.INVALID
    assert engine.sign(victim.user_id, items(1), display_text="Ký").state is TxState.COMPLETED


# -- transport -----------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", ["smartca", "mss", "csc-v1", "csc-v2-async"])
def test_rate_limited_submit_is_sent_again_and_prompts_once(
    remote: Remote, approving_user: GatewayUser, dialect: str
) -> None:
    remote.gateway.misbehave(Misbehaviour.RATE_LIMIT, times=2, operation="submit", value=0.05)
    record = remote.engine(dialect).sign(
        name_for(approving_user, dialect), items(1), display_text="Ký"
    )
    assert record.state is TxState.COMPLETED, record.message
    assert len(remote.gateway.prompts_for(approving_user)) == 1
    statuses = [r.status for r in remote.gateway.requests_for("submit")]
    assert statuses == [429, 429, 200]


def test_rate_limit_beyond_the_deadline_fails_without_a_prompt(
    remote: Remote, approving_user: GatewayUser
) -> None:
    remote.gateway.misbehave(Misbehaviour.RATE_LIMIT, times=1, operation="submit", value=30)
    record = remote.engine("smartca").sign(
        approving_user.user_id, items(1), display_text="Ký", timeout=1
    )
    assert record.state is TxState.FAILED
    assert record.failure is FailureReason.RATE_LIMITED
    assert remote.gateway.prompts_for(approving_user) == []


def test_rate_limited_polls_wait_as_told(remote: Remote) -> None:
    user = remote.gateway.add_user()
    remote.gateway.phone.script(user, PhoneAction.APPROVE, delay=0.05)
    remote.gateway.misbehave(Misbehaviour.RATE_LIMIT, times=3, operation="poll", value=0.15)
    started = time.monotonic()
    record = remote.engine("mss").sign(user.msisdn, items(1), display_text="Ký")
    assert record.state is TxState.COMPLETED
    assert time.monotonic() - started >= 0.45
    polls = remote.gateway.requests_for("poll")
    assert [r.status for r in polls[:3]] == [429, 429, 429]
    assert all(b.at - a.at >= 0.14 for a, b in itertools.pairwise(polls[:4]))


@pytest.mark.parametrize(
    "fault", [Misbehaviour.HTTP_500, Misbehaviour.MALFORMED, Misbehaviour.SLOW]
)
def test_a_failing_poll_is_retried(remote: Remote, fault: Misbehaviour) -> None:
    user = remote.gateway.add_user()
    remote.gateway.phone.script(user, PhoneAction.APPROVE, delay=0.05)
    remote.gateway.misbehave(fault, times=2, operation="poll", value=0.1)
    record = remote.engine("smartca").sign(user.user_id, items(2), display_text="Ký")
    assert record.state is TxState.COMPLETED
    assert len(remote.gateway.prompts_for(user)) == 1


def test_polls_failing_again_and_again_stop_with_an_error_and_stay_resumable(
    remote: Remote,
) -> None:
    user = remote.gateway.add_user()
    remote.gateway.misbehave(Misbehaviour.HTTP_500, times=None, operation="poll")
    engine = remote.engine("smartca")
    record = engine.start(user.user_id, items(1), display_text="Ký")
    with pytest.raises(NetworkError, match="resume it later"):
        engine.wait(record.tx_id)
    assert remote.store.load(record.tx_id).state is TxState.AWAITING_USER
    remote.gateway.calm()  # the provider recovers; the person approves meanwhile
    remote.gateway.phone.approve(user=user)
    final = engine.resume(record.tx_id)
    assert final.state is TxState.COMPLETED
    assert len(remote.gateway.prompts_for(user)) == 1


def test_polls_that_hang_are_cut_by_the_http_timeout(remote: Remote) -> None:
    user = remote.gateway.add_user()
    remote.gateway.misbehave(Misbehaviour.SLOW, times=None, operation="poll", value=3)
    policy = WaitPolicy(
        first_poll_after=0.01, interval=0.01, http_timeout=0.2, max_transport_errors=2, timeout=10
    )
    engine = remote.engine("mss", policy=policy)
    record = engine.start(user.msisdn, items(1), display_text="Ký")
    started = time.monotonic()
    with pytest.raises(NetworkError):
        engine.wait(record.tx_id)
    assert time.monotonic() - started < 1.5


def test_a_garbled_submit_answer_is_unknown_not_resent(remote: Remote) -> None:
    user = remote.gateway.add_user()
    remote.gateway.misbehave(Misbehaviour.MALFORMED, operation="submit")
    record = remote.engine("mss").sign(user.msisdn, items(1), display_text="Ký", timeout=1)
    assert record.state is TxState.UNKNOWN
    assert "unreadable" in record.message
    assert remote.submits() == 1


def test_a_500_on_submit_fails_cleanly(remote: Remote, approving_user: GatewayUser) -> None:
    remote.gateway.misbehave(Misbehaviour.HTTP_500, operation="submit")
    record = remote.engine("smartca").sign(approving_user.user_id, items(1), display_text="Ký")
    assert record.state is TxState.FAILED
    assert remote.gateway.prompts_for(approving_user) == []


# -- callbacks -----------------------------------------------------------------------------


async def _sign_with_callbacks(
    remote: Remote, user: GatewayUser, *, approve_after: float | None
) -> tuple[object, CallbackListener, float]:
    slow_polls = WaitPolicy(first_poll_after=30, interval=30, max_interval=30, timeout=5)
    engine = remote.engine("smartca", policy=slow_polls)
    async with CallbackListener(engine) as listener:
        remote.gateway.smartca_webhook_url = listener.url
        started = time.monotonic()
        task = asyncio.create_task(
            engine.async_sign(user.user_id, items(2), display_text="Ký", timeout=0.8)
        )
        if approve_after is not None:
            await asyncio.sleep(approve_after)
            await asyncio.to_thread(remote.gateway.phone.approve, None, user=user)
        record = await task
        elapsed = time.monotonic() - started
        await asyncio.sleep(0.1)  # let late deliveries arrive
    await engine.aclose()
    return record, listener, elapsed


def test_a_callback_wakes_the_poller(remote: Remote) -> None:
    user = remote.gateway.add_user()
    record, listener, elapsed = asyncio.run(_sign_with_callbacks(remote, user, approve_after=0.2))
    assert record.state is TxState.COMPLETED  # type: ignore[attr-defined]
    assert elapsed < 1.0  # the next scheduled poll was 30 s away
    assert listener.received == 1


def test_duplicate_callbacks_complete_once(remote: Remote) -> None:
    user = remote.gateway.add_user()
    remote.gateway.misbehave(Misbehaviour.DUPLICATE_CALLBACK)
    record, listener, _ = asyncio.run(_sign_with_callbacks(remote, user, approve_after=0.1))
    assert record.state is TxState.COMPLETED  # type: ignore[attr-defined]
    assert listener.received == 2
    stored = remote.store.load(record.tx_id)  # type: ignore[attr-defined]
    assert [h.state for h in stored.history].count(TxState.COMPLETED) == 1


def test_a_forged_callback_completes_nothing(remote: Remote) -> None:
    user = remote.gateway.add_user()
    remote.gateway.misbehave(Misbehaviour.FORGED_CALLBACK)
    record, listener, elapsed = asyncio.run(_sign_with_callbacks(remote, user, approve_after=None))
    assert listener.received == 1  # the forgery arrived ...
    assert record.state is TxState.EXPIRED  # type: ignore[attr-defined]  # ... and was only a hint
    assert record.signatures == ()  # type: ignore[attr-defined]
    assert elapsed >= 0.75


def test_callbacks_for_strangers_are_ignored(remote: Remote) -> None:
    engine = remote.engine("smartca")
    assert engine.on_callback(b"not json") is None
    assert (
        engine.on_callback(json.dumps({"sp_id": "someone-else", "transaction_id": "tx-1"}).encode())
        is None
    )
    assert (
        engine.on_callback(
            json.dumps({"sp_id": remote.gateway.sp_id, "transaction_id": "tx-unknown"}).encode()
        )
        is None
    )
