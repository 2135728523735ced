"""Every state of the transaction state machine, driven through the reference
gateway over real HTTP, in every dialect where the state exists."""

from __future__ import annotations

import base64
import itertools
import json
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from _remote_helpers import (
    BATCH_DIALECTS,
    DIALECTS,
    FAST,
    Remote,
    items,
    name_for,
    verifies,
)

from vnsign.errors import (
    CertificateNotUsableError,
    CredentialError,
    NetworkError,
    RemoteExpiredError,
    RemoteRejectedError,
    RemoteSigningError,
)
from vnsign.pki.credentials import SignatureScheme
from vnsign.pki.remote import (
    FailureReason,
    MssProvider,
    RemoteSigningEngine,
    SmartCAProvider,
    TxState,
    WaitPolicy,
)
from vnsign.testing.remote import GatewayUser, Misbehaviour, PhoneAction


def _states(record: object) -> list[str]:
    return [h.state.value for h in record.history]  # type: ignore[attr-defined]


def _count(dialect: str) -> int:
    return 1 if dialect == "mss" else 3


@pytest.mark.parametrize("dialect", DIALECTS)
def test_approved_request_completes_with_verified_values(remote: Remote, dialect: str) -> None:
    approving_user = remote.gateway.add_user()
    # answers well after the first poll, so the waiting state is seen where there is one
    remote.gateway.phone.script(approving_user, PhoneAction.APPROVE, delay=0.15)
    batch = items(_count(dialect))
    record = remote.engine(dialect).sign(
        name_for(approving_user, dialect), batch, display_text="Ký 3 văn bản của Sở Tư pháp"
    )
    assert record.state is TxState.COMPLETED, record.message
    assert _states(record)[:2] == ["created", "submitted"]
    assert _states(record)[-2:] == ["signed", "completed"]
    if dialect in ("smartca", "mss", "csc-v2-async"):
        assert "awaiting_user" in _states(record)
    for item in batch:
        assert verifies(
            approving_user.identity.certificate, item.digest, record.signature_for(item.item_id)
        )
    assert len(remote.gateway.prompts_for(approving_user)) == 1
    assert remote.gateway.prompts[-1].display_text == "Ký 3 văn bản của Sở Tư pháp"
    assert remote.store.load(record.tx_id).state is TxState.COMPLETED


@pytest.mark.parametrize("dialect", DIALECTS)
def test_rejection_ends_rejected_without_values(remote: Remote, dialect: str) -> None:
    user = remote.gateway.add_user()
    remote.gateway.phone.script(user, PhoneAction.REJECT, delay=0.02)
    record = remote.engine(dialect).sign(
        name_for(user, dialect), items(_count(dialect)), display_text="Ký"
    )
    assert record.state is TxState.REJECTED
    assert record.failure is FailureReason.USER_REJECTED
    assert record.signatures == ()
    with pytest.raises(RemoteRejectedError):
        record.raise_for_state()
    with pytest.raises(RemoteSigningError):
        record.signature_for("doc-1")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_person_ignoring_the_prompt_expires_at_the_provider(remote: Remote, dialect: str) -> None:
    remote.gateway.expiry = 0.25
    user = remote.gateway.add_user()
    remote.gateway.phone.script(user, PhoneAction.IGNORE)
    started = time.monotonic()
    record = remote.engine(dialect).sign(name_for(user, dialect), items(1), display_text="Ký")
    assert record.state is TxState.EXPIRED
    assert time.monotonic() - started < 2.5
    with pytest.raises(RemoteExpiredError):
        record.raise_for_state()
    assert record.failure is FailureReason.PROVIDER_EXPIRED


@pytest.mark.parametrize("dialect", DIALECTS)
def test_our_deadline_ends_the_wait_without_hanging(remote: Remote, dialect: str) -> None:
    remote.gateway.expiry = 30.0
    user = remote.gateway.add_user()
    started = time.monotonic()
    record = remote.engine(dialect).sign(
        name_for(user, dialect), items(1), display_text="Ký", timeout=0.4
    )
    elapsed = time.monotonic() - started
    assert record.state is TxState.EXPIRED
    assert record.failure is FailureReason.DEADLINE_PASSED
    assert 0.35 < elapsed < 2.0
    assert len(remote.gateway.prompts_for(user)) == 1


def test_cancel_drops_a_late_approval(remote: Remote) -> None:
    user = remote.gateway.add_user()
    engine = remote.engine("smartca")
    record = engine.start(user.user_id, items(2), display_text="Ký")
    assert record.state is TxState.AWAITING_USER
    cancelled = engine.cancel(record.tx_id)
    assert cancelled.state is TxState.CANCELLED
    assert cancelled.failure is FailureReason.CANCELLED_LOCALLY
    remote.gateway.phone.approve(user=user)  # the person approves anyway
    assert engine.wait(record.tx_id).state is TxState.CANCELLED
    assert engine.resume(record.tx_id).signatures == ()
    body = json.dumps({"sp_id": remote.gateway.sp_id, "transaction_id": record.tx_id}).encode()
    assert engine.on_callback(body).state is TxState.CANCELLED  # type: ignore[union-attr]
    assert engine.cancel(record.tx_id).state is TxState.CANCELLED  # idempotent


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_otp_credential_waits_for_the_otp_then_completes(remote: Remote, version: str) -> None:
    user = remote.gateway.add_user(otp=True)
    engine = remote.engine("csc-v1" if version == "v1" else "csc-v2")
    record = engine.start(user.credential_id, items(2), display_text="Ký bằng OTP")
    assert record.state is TxState.AWAITING_OTP
    assert engine.wait(record.tx_id).state is TxState.AWAITING_OTP  # nothing to poll
    wrong = engine.submit_otp(
        record.tx_id, "000000" if remote.gateway.phone.otp(user) != "000000" else "111111"
    )
    assert wrong.state is TxState.AWAITING_OTP
    assert "OTP" in wrong.message
    otp = remote.gateway.phone.otp(user)
    done = engine.submit_otp(record.tx_id, otp)
    assert done.state is TxState.COMPLETED, done.message
    stored = (remote.store_dir / f"{record.tx_id}.json").read_text()
    assert otp not in stored
    assert not re.search(r"SAD-[\w-]{20}", stored)  # the gateway's SADs (base64 may hold "SAD")
    assert remote.gateway.csc_token not in stored
    assert len(remote.gateway.prompts_for(user)) == 1  # the SMS


def test_otp_source_is_asked_when_signing_in_one_call(remote: Remote) -> None:
    user = remote.gateway.add_user(otp=True)
    asked: list[str] = []

    def otp_source(record: object) -> str:
        asked.append(record.tx_id)  # type: ignore[attr-defined]
        return remote.gateway.phone.otp(user)

    record = remote.engine("csc-v1").sign(
        user.credential_id, items(1), display_text="Ký", otp_source=otp_source
    )
    assert record.state is TxState.COMPLETED
    assert asked == [record.tx_id]


def test_three_wrong_otps_fail_the_transaction(remote: Remote) -> None:
    user = remote.gateway.add_user(otp=True)
    engine = remote.engine("csc-v1")
    record = engine.start(user.credential_id, items(1), display_text="Ký")
    wrong = (
        "1" + remote.gateway.phone.otp(user)[1:]
        if remote.gateway.phone.otp(user)[0] != "1"
        else "2" + remote.gateway.phone.otp(user)[1:]
    )
    engine.submit_otp(record.tx_id, wrong)
    engine.submit_otp(record.tx_id, wrong)
    final = engine.submit_otp(record.tx_id, wrong)
    assert final.state is TxState.FAILED
    assert final.failure is FailureReason.PIN_BLOCKED
    with pytest.raises(RemoteSigningError):
        engine.submit_otp(record.tx_id, remote.gateway.phone.otp(user))


def test_pin_credential_signs_without_a_prompt(remote: Remote) -> None:
    from vnsign.pki.remote import CscProvider

    user = remote.gateway.add_user(pin="123456")
    engine = RemoteSigningEngine(
        CscProvider(remote.gateway.csc_settings_with_pin(user)), remote.store, policy=FAST
    )
    assert engine.sign(user.credential_id, items(2), display_text="Ký").state is TxState.COMPLETED
    assert remote.gateway.prompts_for(user) == []
    bad = RemoteSigningEngine(
        CscProvider(remote.gateway.csc_settings("v1")), remote.store, policy=FAST
    )
    refused = bad.sign(user.credential_id, items(1), display_text="Ký")
    assert refused.state is TxState.FAILED


def test_lost_submit_answer_is_unknown_then_reconciled_without_a_second_prompt(
    remote: Remote,
) -> None:
    user = remote.gateway.add_user()
    remote.gateway.misbehave(Misbehaviour.DROP_AFTER_SUBMIT)
    engine = remote.engine("smartca")
    record = engine.start(user.user_id, items(2), display_text="Ký")
    assert record.state is TxState.UNKNOWN
    assert "lost" in record.message
    remote.gateway.phone.approve(user=user)
    final = engine.wait(record.tx_id)
    assert final.state is TxState.COMPLETED, final.message
    assert "unknown" in _states(final)
    assert len(remote.gateway.prompts_for(user)) == 1
    assert remote.submits() == 1


@pytest.mark.parametrize("dialect", ["mss", "csc-v2-async", "csc-v1"])
def test_lost_submit_answer_without_a_lookup_stays_unknown_and_is_never_resent(
    remote: Remote, dialect: str
) -> None:
    remote.gateway.expiry = 0.3  # CSC v1 answers (here: drops) only once the prompt ended
    user = remote.gateway.add_user()
    remote.gateway.misbehave(Misbehaviour.DROP_AFTER_SUBMIT)
    engine = remote.engine(dialect)
    record = engine.sign(name_for(user, dialect), items(1), display_text="Ký", timeout=3)
    assert record.state is TxState.UNKNOWN
    assert "not sent again" in record.message
    assert engine.resume(record.tx_id).state is TxState.UNKNOWN
    assert remote.submits() == 1
    assert len(remote.gateway.prompts_for(user)) == 1


def test_unknown_turns_expired_once_the_deadline_passed(remote: Remote) -> None:
    user = remote.gateway.add_user()
    remote.gateway.misbehave(Misbehaviour.DROP_AFTER_SUBMIT)
    engine = remote.engine("mss")
    record = engine.sign(user.msisdn, items(1), display_text="Ký", timeout=0.3)
    time.sleep(0.35)
    final = engine.resume(record.tx_id)
    assert final.state is TxState.EXPIRED
    assert "unknown" in final.message
    assert remote.submits() == 1


def test_submit_that_never_left_stays_created_and_is_sent_on_resume(remote: Remote) -> None:
    user = remote.gateway.add_user()
    remote.gateway.phone.script(user, PhoneAction.APPROVE, delay=0.02)
    engine = remote.engine("smartca")
    account = engine.account(user.user_id)
    dead = RemoteSigningEngine(
        SmartCAProvider(
            remote.gateway.smartca_settings().__class__(
                "http://127.0.0.1:9",
                sp_id=remote.gateway.sp_id,
                sp_password=remote.gateway.sp_password,
            )
        ),
        remote.store,
        policy=FAST,
    )
    dead._accounts[user.user_id] = account  # the account was fetched before the outage
    with pytest.raises(NetworkError):
        dead.start(user.user_id, items(1), display_text="Ký", tx_id="tx-outage")
    stored = remote.store.load("tx-outage")
    assert stored.state is TxState.CREATED
    assert stored.submit_started_at is None
    assert remote.submits() == 0
    final = engine.resume("tx-outage")
    assert final.state is TxState.COMPLETED
    assert remote.submits() == 1


def test_crash_while_submitting_is_looked_up_not_resent(remote: Remote) -> None:
    user = remote.gateway.add_user()
    engine = remote.engine("smartca")
    account = engine.account(user.user_id)
    from vnsign.pki.credentials import HashAlgorithm, KeyKind
    from vnsign.pki.remote.model import SignatureMechanism, StateChange, TransactionRecord

    now = datetime.now(UTC)
    record = TransactionRecord(
        tx_id="tx-crashed",
        provider=dict(engine.provider.settings()),
        user=user.user_id,
        certificate=account.certificate,
        chain=account.chain,
        mechanism=SignatureMechanism(HashAlgorithm.SHA256, KeyKind.RSA),
        display_text="Ký",
        items=tuple(items(1)),
        state=TxState.CREATED,
        created_at=now,
        deadline=now + timedelta(seconds=3),
        submit_started_at=now,
        history=(StateChange(now, TxState.CREATED),),
    )
    remote.store.save(record)
    final = engine.resume("tx-crashed")
    assert final.state is TxState.FAILED
    assert final.failure is FailureReason.NOT_RECEIVED
    assert _states(final) == ["created", "unknown", "failed"]
    assert remote.submits() == 0


def test_a_restarted_process_resumes_a_waiting_transaction(remote: Remote) -> None:
    user = remote.gateway.add_user()
    first = remote.engine("mss")
    record = first.start(user.msisdn, items(1), display_text="Ký")
    assert record.state is TxState.SUBMITTED
    del first  # the process "restarts": nothing survives but the store
    remote.gateway.phone.approve(user=user)
    second = RemoteSigningEngine(
        MssProvider(remote.gateway.mss_settings()), remote.store, policy=FAST
    )
    final = second.resume(record.tx_id)
    assert final.state is TxState.COMPLETED
    assert len(remote.gateway.prompts_for(user)) == 1


def test_unknown_msisdn_fails_with_the_etsi_code(remote: Remote) -> None:
    user = remote.gateway.add_user()
    from vnsign.pki.remote import MssSettings

    settings = remote.gateway.mss_settings()
    engine = RemoteSigningEngine(
        MssProvider(
            MssSettings(
                settings.service_url,
                ap_id=settings.ap_id,
                ap_password=settings.ap_password,
                mssp_id=settings.mssp_id,
                certificates=user.identity.chain_pem,
            )
        ),
        remote.store,
        policy=FAST,
    )
    record = engine.sign("84999999999", items(1), display_text="Ký")
    assert record.state is TxState.FAILED
    assert record.failure is FailureReason.UNKNOWN_USER
    assert record.provider_code == "105"


def test_wrong_provider_secrets_are_refused_before_any_prompt(remote: Remote) -> None:
    from vnsign.pki.remote import CscProvider, CscSettings, SmartCASettings

    user = remote.gateway.add_user()
    smartca = RemoteSigningEngine(
        SmartCAProvider(
            SmartCASettings(remote.gateway.smartca_url, sp_id="vnsign-test-sp", sp_password="nope")
        ),
        remote.store,
    )
    with pytest.raises(CredentialError, match="refused"):
        smartca.sign(user.user_id, items(1), display_text="Ký")
    csc = RemoteSigningEngine(
        CscProvider(CscSettings(remote.gateway.url, access_token="nope")), remote.store
    )
    with pytest.raises(CredentialError, match="access token"):
        csc.sign(user.credential_id, items(1), display_text="Ký")
    assert remote.gateway.prompts == []


@pytest.mark.parametrize("variant", ["expired", "wrong-key-usage", "not-yet-valid"])
def test_unusable_certificate_is_refused_before_submitting(remote: Remote, variant: str) -> None:
    identity = remote.gateway.pki.variant(variant)
    user = remote.gateway.add_user(identity=identity)
    with pytest.raises(CertificateNotUsableError):
        remote.engine("smartca").sign(user.user_id, items(1), display_text="Ký")
    assert remote.submits() == 0
    assert remote.store.ids() == []


def test_certificate_expiring_while_the_person_decides_makes_it_invalid(remote: Remote) -> None:
    remote.gateway.expiry = 10.0  # the prompt must outlive the certificate, even on a busy machine
    expiry = (datetime.now(UTC) + timedelta(seconds=2)).replace(
        microsecond=0
    )  # X.509: whole seconds
    identity = remote.gateway.pki.issue(not_after=expiry)
    user = remote.gateway.add_user(identity=identity)
    person = (expiry - datetime.now(UTC)).total_seconds() + 0.15  # answers just after the expiry
    remote.gateway.phone.script(user, PhoneAction.APPROVE, delay=person)
    record = remote.engine("smartca").sign(user.user_id, items(1), display_text="Ký")
    assert record.state is TxState.INVALID
    assert record.failure is FailureReason.CERTIFICATE_NOT_USABLE
    assert "expired" in record.message


@pytest.mark.parametrize("dialect", BATCH_DIALECTS)
def test_ecdsa_keys_are_signed_and_checked(remote: Remote, dialect: str) -> None:
    user = remote.gateway.add_user(key_type="p256")
    remote.gateway.phone.script(user, PhoneAction.APPROVE)
    batch = items(2)
    record = remote.engine(dialect).sign(name_for(user, dialect), batch, display_text="Ký")
    assert record.state is TxState.COMPLETED, record.message
    for item in batch:
        assert verifies(user.identity.certificate, item.digest, record.signature_for(item.item_id))


@pytest.mark.parametrize("dialect", ["csc-v1", "csc-v2", "csc-v2-async"])
def test_rsa_pss_through_csc(remote: Remote, approving_user: GatewayUser, dialect: str) -> None:
    record = remote.engine(dialect).sign(
        approving_user.credential_id, items(2), display_text="Ký", scheme=SignatureScheme.PSS
    )
    assert record.state is TxState.COMPLETED, record.message
    assert record.mechanism.scheme is SignatureScheme.PSS


def test_pss_is_refused_where_the_provider_cannot_do_it(
    remote: Remote, approving_user: GatewayUser
) -> None:
    from vnsign.errors import InputError

    with pytest.raises(InputError, match="pss"):
        remote.engine("smartca").sign(
            approving_user.user_id, items(1), display_text="Ký", scheme=SignatureScheme.PSS
        )


def test_progress_callback_sees_every_state(remote: Remote, approving_user: GatewayUser) -> None:
    seen: list[TxState] = []
    engine = remote.engine("smartca", on_progress=lambda r: seen.append(r.state))
    engine.sign(approving_user.user_id, items(1), display_text="Ký")
    for state in (TxState.CREATED, TxState.AWAITING_USER, TxState.COMPLETED):
        assert state in seen


def test_policy_backs_off_between_polls(remote: Remote) -> None:
    user = remote.gateway.add_user()
    remote.gateway.phone.script(user, PhoneAction.APPROVE, delay=0.6)
    policy = WaitPolicy(
        first_poll_after=0.05, interval=0.05, backoff=2.0, max_interval=0.4, timeout=3
    )
    remote.engine("smartca", policy=policy).sign(user.user_id, items(1), display_text="Ký")
    polls = [r.at for r in remote.gateway.requests_for("poll")]
    gaps = [b - a for a, b in itertools.pairwise(polls)]
    assert 2 <= len(polls) <= 8  # 0.05, 0.1, 0.2, 0.4 ... not a busy loop
    assert gaps[-1] > gaps[0]


def test_an_answer_in_the_last_interval_is_still_collected(remote: Remote) -> None:
    user = remote.gateway.add_user()
    remote.gateway.phone.script(user, PhoneAction.APPROVE, delay=0.2)
    lazy = WaitPolicy(first_poll_after=30, interval=30, timeout=0.6)  # no poll before the deadline
    record = remote.engine("smartca", policy=lazy).sign(user.user_id, items(1), display_text="Ký")
    assert record.state is TxState.COMPLETED
    assert len(remote.gateway.requests_for("poll")) == 1


def test_resuming_after_the_deadline_takes_one_last_look(remote: Remote) -> None:
    user = remote.gateway.add_user()
    engine = remote.engine("mss")
    record = engine.start(user.msisdn, items(1), display_text="Ký", timeout=0.2)
    remote.gateway.phone.approve(user=user)
    time.sleep(0.25)  # the process was down past the deadline
    assert engine.resume(record.tx_id).state is TxState.COMPLETED


@pytest.mark.parametrize(("dialect", "field"), [("csc-v1", "hash"), ("csc-v2", "hashes")])
@pytest.mark.parametrize("scal", [1, 2])
def test_scal1_counts_and_scal2_pins_the_hashes(
    remote: Remote, dialect: str, field: str, scal: int
) -> None:
    user = remote.gateway.add_user(scal=scal)
    remote.gateway.phone.script(user, PhoneAction.APPROVE)
    batch = items(3)
    record = remote.engine(dialect).sign(user.credential_id, batch, display_text="Ký")
    assert record.state is TxState.COMPLETED, record.message
    (authorize,) = [r for r in remote.gateway.requests if r.path.endswith("credentials/authorize")]
    body = json.loads(authorize.body)
    assert body["numSignatures"] == 3
    if scal == 2:
        assert body[field] == [base64.b64encode(i.digest).decode() for i in batch]
    else:
        assert field not in body


def test_an_existing_transaction_id_is_never_reused(
    remote: Remote, approving_user: GatewayUser
) -> None:
    from vnsign.errors import InputError

    engine = remote.engine("smartca")
    engine.sign(approving_user.user_id, items(1), display_text="Ký", tx_id="tx-once")
    with pytest.raises(InputError, match="already exists"):
        engine.sign(approving_user.user_id, items(1), display_text="Ký", tx_id="tx-once")
    assert remote.submits() == 1
