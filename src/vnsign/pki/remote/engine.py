"""The remote-signing engine: one transaction state machine for every provider.

::

    engine = RemoteSigningEngine(SmartCAProvider(settings), JsonFileStore("/var/lib/app/tx"))
    record = engine.sign("079123456789", items, display_text="Ký 12 văn bản ...")
    record.raise_for_state()            # RemoteRejectedError, RemoteExpiredError, ...
    value = record.signature_for("doc-1")

What it guarantees:

* The record is persisted before the submit and after every change, so a
  restart loses nothing (:meth:`RemoteSigningEngine.async_resume`).
* A signing request is sent once. If its answer is lost the transaction is
  UNKNOWN; the engine then asks the provider about it where the protocol
  allows, and never sends it again (a second request is a second prompt on
  the phone). Only an explicit "too many requests" answer, which means nothing
  was processed, is followed by the same request again.
* Deadlines are absolute; polling backs off; a callback only wakes the poller.
* Every returned value passes :mod:`~vnsign.pki.remote.checks` before the
  transaction is COMPLETED; otherwise it is INVALID and says why.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import TypeVar

from vnsign.errors import (
    InputError,
    MalformedInputError,
    NetworkError,
    RemoteResponseError,
    RemoteSigningError,
)
from vnsign.pki.credentials import (
    HashAlgorithm,
    KeyKind,
    SignatureScheme,
    check_signing_certificate,
)
from vnsign.pki.remote._sync import run_sync
from vnsign.pki.remote.checks import CertificateCheck, CheckFailure, verify_returned
from vnsign.pki.remote.http import (
    HttpClient,
    ProviderUnreachableError,
    RateLimitedError,
    TransportError,
)
from vnsign.pki.remote.model import (
    Attachment,
    DigestItem,
    ProviderStatus,
    RemoteAccount,
    SignatureMechanism,
    StateChange,
    TransactionRecord,
    WaitPolicy,
)
from vnsign.pki.remote.provider import RemoteProvider
from vnsign.pki.remote.states import FailureReason, TxState, can_move
from vnsign.pki.remote.store import TransactionStore, check_tx_id

__all__ = ["OtpSource", "ProgressCallback", "RemoteSigningEngine"]

ProgressCallback = Callable[[TransactionRecord], None]
OtpSource = Callable[[TransactionRecord], Awaitable[str] | str]
_MAX_SUBMIT_RATE_RETRIES = 5
_POLLED = frozenset({TxState.SUBMITTED, TxState.AWAITING_USER})
_T = TypeVar("_T")


@dataclass
class _LoopState:
    """Objects bound to one event loop (sessions, locks and events cannot cross loops)."""

    loop: asyncio.AbstractEventLoop
    http: HttpClient
    locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    wakers: dict[str, asyncio.Event] = field(default_factory=dict)

    def lock(self, tx_id: str) -> asyncio.Lock:
        return self.locks.setdefault(tx_id, asyncio.Lock())

    def waker(self, tx_id: str) -> asyncio.Event:
        return self.wakers.setdefault(tx_id, asyncio.Event())


class RemoteSigningEngine:
    """Runs remote signing transactions against one provider.

    ``clock`` returns the current UTC time (deadlines, certificate checks);
    ``certificate_check`` is run before submitting and again on the returned
    values (default :func:`~vnsign.pki.credentials.check_signing_certificate`;
    plug revocation checking in here); ``on_progress`` is called with the record
    after every state change and every poll, for a waiting indicator.
    """

    def __init__(
        self,
        provider: RemoteProvider,
        store: TransactionStore,
        *,
        policy: WaitPolicy | None = None,
        clock: Callable[[], datetime] | None = None,
        certificate_check: CertificateCheck = check_signing_certificate,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self.provider = provider
        self.store = store
        self.policy = policy or WaitPolicy()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.certificate_check = certificate_check
        self.on_progress = on_progress
        self._accounts: dict[str, RemoteAccount] = {}
        self._loop_state: _LoopState | None = None
        self._listeners: dict[str, list[ProgressCallback]] = {}

    # -- plumbing ------------------------------------------------------------------------

    def _ls(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        if self._loop_state is None or self._loop_state.loop is not loop:
            self._loop_state = _LoopState(loop, HttpClient(timeout=self.policy.http_timeout))
        return self._loop_state

    def _remaining(self, record: TransactionRecord) -> float:
        return (record.effective_deadline - self.clock()).total_seconds()

    def _request_timeout(self, record: TransactionRecord) -> float:
        # at least a second (within http_timeout) so the last look at the deadline can answer
        limit = self.policy.http_timeout
        return max(min(limit, self._remaining(record)), min(limit, 1.0))

    def _save(self, record: TransactionRecord) -> TransactionRecord:
        self.store.save(record)
        self._progress(record)
        return record

    def _progress(self, record: TransactionRecord) -> None:
        if self.on_progress is not None:
            self.on_progress(record)
        for listener in self._listeners.get(record.tx_id, ()):
            listener(record)

    def watch(self, tx_id: str, listener: ProgressCallback) -> Callable[[], None]:
        """Call ``listener`` with every update of ``tx_id`` (also before it exists);
        returns the function that stops it."""
        self._listeners.setdefault(tx_id, []).append(listener)

        def stop() -> None:
            listeners = self._listeners.get(tx_id, [])
            if listener in listeners:
                listeners.remove(listener)
            if not listeners:
                self._listeners.pop(tx_id, None)

        return stop

    def _move(
        self,
        record: TransactionRecord,
        state: TxState,
        note: str,
        *,
        failure: FailureReason | None = None,
        message: str | None = None,
    ) -> TransactionRecord:
        if state is record.state or not can_move(record.state, state):
            return record
        return record.evolve(
            state=state,
            failure=failure if failure is not None else record.failure,
            message=message if message is not None else record.message,
            history=(*record.history, StateChange(self.clock(), state, note)),
        )

    async def aclose(self) -> None:
        """Close the HTTP session of the current event loop."""
        if self._loop_state is not None and self._loop_state.loop is asyncio.get_running_loop():
            await self._loop_state.http.aclose()
            self._loop_state = None

    async def __aenter__(self) -> RemoteSigningEngine:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _scoped(self, coro: Awaitable[_T]) -> _T:
        try:
            return await coro
        finally:
            await self.aclose()

    # -- accounts ------------------------------------------------------------------------

    async def async_account(self, user: str, *, refresh: bool = False) -> RemoteAccount:
        """The provider's credential of ``user`` (certificate, chain, batch limit); cached."""
        if refresh or user not in self._accounts:
            self._accounts[user] = await self.provider.async_fetch_account(self._ls().http, user)
        return self._accounts[user]

    def account(self, user: str, *, refresh: bool = False) -> RemoteAccount:
        """Synchronous :meth:`async_account`."""
        return run_sync(self._scoped(self.async_account(user, refresh=refresh)))

    def max_batch(self, account: RemoteAccount) -> int:
        """How many digests one approval may cover for ``account``."""
        return max(1, min(self.provider.capabilities.max_batch, account.max_batch))

    # -- starting ------------------------------------------------------------------------

    async def async_start(
        self,
        user: str,
        items: Iterable[DigestItem],
        *,
        display_text: str,
        scheme: SignatureScheme = SignatureScheme.PKCS1V15,
        timeout: float | None = None,
        deadline: datetime | None = None,
        tx_id: str | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> TransactionRecord:
        """Record a transaction and send it: every item in one request, for one
        approval. Returns the record after the submit (possibly already final).

        Refused before anything is sent: an empty batch, duplicate ids, mixed or
        mismatched digests, more items than the provider's limit (never split
        silently: each part would be another confirmation), a mechanism the key
        or provider cannot do, a certificate not usable for signing now.
        """
        batch = tuple(items)
        if tx_id is not None and self._exists(tx_id):
            raise InputError(f"transaction {tx_id} already exists; resume it instead")
        account = await self.async_account(user)
        mechanism = self._check_request(batch, account, scheme, display_text)
        now = self.clock()
        if deadline is None:
            deadline = now + timedelta(seconds=self.policy.timeout if timeout is None else timeout)
        record = TransactionRecord(
            tx_id=check_tx_id(tx_id or f"tx-{secrets.token_hex(12)}"),
            provider=dict(self.provider.settings()),
            user=user,
            certificate=account.certificate,
            chain=account.chain,
            mechanism=mechanism,
            display_text=display_text,
            items=batch,
            state=TxState.CREATED,
            created_at=now,
            deadline=deadline,
            attachments=tuple(attachments),
            history=(StateChange(now, TxState.CREATED, f"{len(batch)} item(s)"),),
        )
        self._save(record)
        async with self._ls().lock(record.tx_id):
            return await self._submit(record, account)

    def _exists(self, tx_id: str) -> bool:
        try:
            self.store.load(check_tx_id(tx_id))
        except MalformedInputError:
            return True
        except InputError:
            return False
        return True

    def _check_request(
        self,
        batch: tuple[DigestItem, ...],
        account: RemoteAccount,
        scheme: SignatureScheme,
        display_text: str,
    ) -> SignatureMechanism:
        caps = self.provider.capabilities
        if not batch:
            raise InputError("nothing to sign: the batch is empty")
        if not display_text.strip():
            raise InputError("display_text is required: the person must see what they sign")
        limit = self.max_batch(account)
        if len(batch) > limit:
            raise InputError(
                f"{len(batch)} documents exceed the limit of {limit} per approval for "
                f"{account.user}; split the batch yourself (each part is another "
                "confirmation on the phone)"
            )
        ids = [item.item_id for item in batch]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise InputError(f"item ids must be unique; repeated: {', '.join(duplicates)}")
        algorithms = {item.hash_algorithm for item in batch}
        if len(algorithms) != 1:
            raise InputError("every item of one batch must use the same hash algorithm")
        algorithm: HashAlgorithm = algorithms.pop()
        for item in batch:
            if len(item.digest) != algorithm.digest_size:
                raise InputError(
                    f"item {item.item_id}: a {algorithm.value} digest is "
                    f"{algorithm.digest_size} bytes, not {len(item.digest)}"
                )
        kind = account.key_kind
        if kind not in caps.key_kinds:
            raise InputError(f"this provider does not sign with {kind.value.upper()} keys")
        if kind is KeyKind.ECDSA:
            scheme = SignatureScheme.PKCS1V15
        elif scheme not in caps.schemes:
            raise InputError(f"this provider does not sign with RSA {scheme.value}")
        self.certificate_check(account.certificate, self.clock())
        return SignatureMechanism(algorithm, kind, scheme)

    async def _submit(self, record: TransactionRecord, account: RemoteAccount) -> TransactionRecord:
        record = self._save(record.evolve(submit_started_at=self.clock()))
        http = self._ls().http
        for _ in range(_MAX_SUBMIT_RATE_RETRIES + 1):
            try:
                status = await self.provider.async_submit(
                    http, record, account, timeout=self._submit_timeout(record)
                )
            except RateLimitedError as exc:
                if self._remaining(record) <= exc.retry_after:
                    return self._save(
                        self._move(
                            record,
                            TxState.FAILED,
                            "rate limited",
                            failure=FailureReason.RATE_LIMITED,
                            message=f"the provider refused the request for now: {exc}",
                        )
                    )
                # 429 means "not processed": the same request again is still one prompt
                await asyncio.sleep(exc.retry_after)
                continue
            except ProviderUnreachableError:
                self._save(record.evolve(submit_started_at=None))
                raise
            except InputError as exc:  # the adapter refused before sending anything
                self._save(
                    self._move(
                        record.evolve(submit_started_at=None),
                        TxState.FAILED,
                        "refused before sending",
                        failure=FailureReason.BAD_REQUEST,
                        message=str(exc),
                    )
                )
                raise
            except TransportError as exc:
                return self._save(self._unknown(record, f"the submit's answer was lost: {exc}"))
            except RemoteResponseError as exc:
                return self._save(
                    self._unknown(record, f"the submit's answer is unreadable: {exc}")
                )
            record = self._apply(record, status)
            return self._save(self._settle(record))
        return self._save(
            self._move(
                record,
                TxState.FAILED,
                "rate limited",
                failure=FailureReason.RATE_LIMITED,
                message="the provider kept refusing the request (HTTP 429)",
            )
        )

    def _submit_timeout(self, record: TransactionRecord) -> float:
        # Synchronous protocols (CSC v1 authorize) answer only once the person
        # has decided: such a call may take until the deadline.
        return max(self._remaining(record), 0.05)

    def _unknown(self, record: TransactionRecord, why: str) -> TransactionRecord:
        return self._move(record, TxState.UNKNOWN, "submit outcome lost", message=why)

    # -- applying what the provider said -------------------------------------------------

    def _apply(self, record: TransactionRecord, status: ProviderStatus) -> TransactionRecord:
        if record.terminal:
            return record  # a late answer for a finished (e.g. cancelled) transaction
        updates: dict[str, object] = {}
        if status.provider_tx_id and status.provider_tx_id != record.provider_tx_id:
            updates["provider_tx_id"] = status.provider_tx_id
        if status.expires_at is not None:
            updates["provider_expires_at"] = status.expires_at
        if status.references:
            merged = dict(record.references) | dict(status.references)
            updates["references"] = tuple(merged.items())
        if status.code is not None:
            updates["provider_code"] = status.code
        if updates:
            record = record.evolve(**updates)
        if (
            record.state in (TxState.CREATED, TxState.UNKNOWN)
            and status.state is not TxState.FAILED
        ):
            record = self._move(record, TxState.SUBMITTED, "accepted by the provider")
        target = status.state
        if target is TxState.SIGNED:
            record = record.evolve(returned=status.values)
            return self._move(record, TxState.SIGNED, f"{len(status.values)} value(s) received")
        if target in (TxState.SUBMITTED, TxState.AWAITING_USER, TxState.AWAITING_OTP):
            record = self._move(record, target, status.message or target.value)
            if status.message and status.message != record.message:
                record = record.evolve(message=status.message)  # e.g. "the OTP is not correct"
            return record
        if target in (TxState.REJECTED, TxState.EXPIRED, TxState.FAILED, TxState.CANCELLED):
            failure = status.failure or {
                TxState.REJECTED: FailureReason.USER_REJECTED,
                TxState.EXPIRED: FailureReason.PROVIDER_EXPIRED,
                TxState.CANCELLED: FailureReason.CANCELLED_LOCALLY,
            }.get(target, FailureReason.PROVIDER_ERROR)
            message = status.message or target.value
            if status.code:
                message = f"{message} (provider code {status.code})"
            return self._move(
                record, target, "provider: " + target.value, failure=failure, message=message
            )
        raise RemoteResponseError(f"an adapter reported the state {target.value}")

    def _settle(self, record: TransactionRecord) -> TransactionRecord:
        if record.state is not TxState.SIGNED:
            return record
        caps = self.provider.capabilities
        try:
            signatures = verify_returned(
                certificate=record.certificate,
                mechanism=record.mechanism,
                items=record.items,
                returned=record.returned,
                encoding=caps.value_encoding,
                by_id=caps.returns_item_ids,
                ecdsa_format=caps.ecdsa_format,
                at=self.clock(),
                certificate_check=self.certificate_check,
            )
        except CheckFailure as exc:
            return self._move(
                record, TxState.INVALID, "check failed", failure=exc.reason, message=str(exc)
            )
        record = record.evolve(signatures=signatures)
        return self._move(record, TxState.COMPLETED, "every value verified", message="")

    # -- waiting -------------------------------------------------------------------------

    async def async_wait(self, tx_id: str) -> TransactionRecord:
        """Wait until ``tx_id`` is final, needs an OTP, or is UNKNOWN with no way to
        ask the provider; poll with backoff, wake early on callbacks.

        Raises :class:`~vnsign.errors.NetworkError` after too many failed polls in
        a row; the transaction is left as it was, to resume later.
        """
        ls = self._ls()
        delay = self.policy.first_poll_after
        errors = 0
        reconciled = False
        last_look = False
        while True:
            async with ls.lock(tx_id):
                record = self.store.load(tx_id)
                if record.terminal:
                    return record
                if record.state is TxState.SIGNED:
                    return self._save(self._settle(record))
                if self._remaining(record) <= 0 and (last_look or record.state not in _POLLED):
                    return self._save(self._expire(record))
                if record.state is TxState.AWAITING_OTP:
                    return record
                if record.state is TxState.CREATED and record.submit_started_at is None:
                    # never sent (the provider was unreachable): sending now is the first prompt
                    await self._submit(record, await self.async_account(record.user))
                    delay = self.policy.first_poll_after
                    continue
                if record.state is TxState.CREATED:
                    record = self._save(
                        self._unknown(record, "the process stopped while submitting")
                    )
                if record.state is TxState.UNKNOWN:
                    if reconciled:
                        return record
                    reconciled = True
                    record = await self._reconcile(record)
                    if record.terminal or record.state is TxState.UNKNOWN:
                        return record
                    delay = 0.0
            woken = await self._sleep(ls, tx_id, min(delay, max(self._remaining(record), 0)))
            if woken:
                delay = 0.0
            async with ls.lock(tx_id):
                record = self.store.load(tx_id)
                if record.terminal or record.state not in _POLLED:
                    continue
                if self._remaining(record) <= 0:
                    if last_look:
                        continue
                    last_look = (
                        True  # one poll at the deadline: an answer in the last interval counts
                    )
                try:
                    status = await self.provider.async_poll(
                        ls.http, record, timeout=self._request_timeout(record)
                    )
                except RateLimitedError as exc:
                    delay = max(exc.retry_after, self._next_delay(delay))
                    continue
                except (TransportError, RemoteResponseError) as exc:
                    errors += 1
                    if errors >= self.policy.max_transport_errors:
                        raise NetworkError(
                            f"{errors} polls in a row failed for {tx_id} (last: {exc}); "
                            f"it is still {record.state.value}: resume it later"
                        ) from exc
                    delay = self._next_delay(delay)
                    continue
                errors = 0
                updated = self._settle(self._apply(record, status))
                if updated is not record:
                    self._save(updated)
                else:
                    self._progress(record)
            delay = self._next_delay(delay)

    def _next_delay(self, delay: float) -> float:
        policy = self.policy
        floor = max(policy.interval, self.provider.capabilities.min_poll_interval)
        if delay <= 0:
            return floor
        return max(floor, min(delay * policy.backoff, policy.max_interval))

    async def _sleep(self, ls: _LoopState, tx_id: str, seconds: float) -> bool:
        waker = ls.waker(tx_id)
        if waker.is_set():
            waker.clear()
            return True
        if seconds <= 0:
            return False
        try:
            await asyncio.wait_for(waker.wait(), timeout=seconds)
        except TimeoutError:
            return False
        waker.clear()
        return True

    def _expire(self, record: TransactionRecord) -> TransactionRecord:
        if record.state is TxState.UNKNOWN:
            message = "the submit's outcome stayed unknown until the deadline passed"
        elif (
            record.provider_expires_at is not None and record.provider_expires_at < record.deadline
        ):
            message = "the provider's expiry time passed before the person confirmed"
        else:
            message = "nobody confirmed before the deadline"
        return self._move(
            record,
            TxState.EXPIRED,
            "deadline passed",
            failure=FailureReason.DEADLINE_PASSED,
            message=message,
        )

    async def _reconcile(self, record: TransactionRecord) -> TransactionRecord:
        try:
            status = await self.provider.async_reconcile(
                self._ls().http, record, timeout=self._request_timeout(record)
            )
        except (TransportError, RateLimitedError, RemoteResponseError) as exc:
            return self._save(record.evolve(message=f"{record.message}; lookup failed: {exc}"))
        if status is None:
            return self._save(
                record.evolve(
                    message=record.message
                    + "; this provider cannot be asked about it, so it is not sent again: "
                    "start a new transaction only if a second prompt on the phone is acceptable"
                )
            )
        return self._save(self._settle(self._apply(record, status)))

    async def async_resume(self, tx_id: str) -> TransactionRecord:
        """Pick ``tx_id`` up from the store (another process, a restart) and wait for it."""
        return await self.async_wait(tx_id)

    # -- OTP, cancel, callbacks ----------------------------------------------------------

    async def async_submit_otp(self, tx_id: str, otp: str) -> TransactionRecord:
        """Pass the one-time password for a transaction in AWAITING_OTP. The OTP is
        sent to the provider and nowhere else (never stored, never logged)."""
        ls = self._ls()
        async with ls.lock(tx_id):
            record = self.store.load(tx_id)
            if record.state is not TxState.AWAITING_OTP:
                raise RemoteSigningError(
                    f"transaction {tx_id} is {record.state.value}, not waiting for an OTP"
                )
            if self._remaining(record) <= 0:
                return self._save(self._expire(record))
            try:
                status = await self.provider.async_submit_otp(
                    ls.http, record, otp, timeout=self._submit_timeout(record)
                )
            except ProviderUnreachableError:
                raise
            except (TransportError, RemoteResponseError) as exc:
                return self._save(self._unknown(record, f"the answer to the OTP was lost: {exc}"))
            return self._save(self._settle(self._apply(record, status)))

    async def async_cancel(self, tx_id: str) -> TransactionRecord:
        """Cancel locally: the transaction becomes CANCELLED and any later result
        (poll or callback) is dropped. None of the supported providers offers a
        cancel call, so the person should also decline on the phone."""
        ls = self._ls()
        async with ls.lock(tx_id):
            record = self.store.load(tx_id)
            if record.terminal:
                return record
            if record.state is TxState.SIGNED:
                raise RemoteSigningError(
                    f"transaction {tx_id} already holds the signed values; it cannot be cancelled"
                )
            record = self._save(
                self._move(
                    record,
                    TxState.CANCELLED,
                    "cancelled locally",
                    failure=FailureReason.CANCELLED_LOCALLY,
                    message="cancelled by the caller",
                )
            )
        ls.waker(tx_id).set()
        return record

    async def async_on_callback(self, body: bytes) -> TransactionRecord | None:
        """Handle a provider callback as a hint: find the transaction it names and
        poll the provider once. Values in the callback are never used, so a forged
        or repeated callback cannot complete anything. Returns the record, or
        ``None`` when the callback names no transaction of this store."""
        hint = self.provider.parse_callback(body)
        if hint is None:
            return None
        tx_id = self._find(hint.tx_id, hint.provider_tx_id)
        if tx_id is None:
            return None
        ls = self._ls()
        async with ls.lock(tx_id):
            record = self.store.load(tx_id)
            if record.terminal or record.state not in (*_POLLED, TxState.UNKNOWN):
                return record
            try:
                status = await self.provider.async_poll(
                    ls.http, record, timeout=self._request_timeout(record)
                )
            except (TransportError, RateLimitedError, RemoteResponseError):
                ls.waker(tx_id).set()  # let the waiter poll on its own schedule
                return record
            record = self._settle(self._apply(record, status))
            self._save(record)
        ls.waker(tx_id).set()
        return record

    def _find(self, tx_id: str | None, provider_tx_id: str | None) -> str | None:
        known = self.store.ids()
        if tx_id is not None and tx_id in known:
            return tx_id
        if provider_tx_id is None:
            return None
        for candidate in reversed(known):
            if self.store.load(candidate).provider_tx_id == provider_tx_id:
                return candidate
        return None

    # -- all in one ----------------------------------------------------------------------

    async def async_sign(
        self,
        user: str,
        items: Iterable[DigestItem],
        *,
        display_text: str,
        scheme: SignatureScheme = SignatureScheme.PKCS1V15,
        timeout: float | None = None,
        deadline: datetime | None = None,
        tx_id: str | None = None,
        attachments: Sequence[Attachment] = (),
        otp_source: OtpSource | None = None,
    ) -> TransactionRecord:
        """Start and wait until final. ``otp_source`` is asked for the OTP when
        the provider wants one. Returns the record; call
        :meth:`~vnsign.pki.remote.model.TransactionRecord.raise_for_state` to turn a
        failure into an exception."""
        record = await self.async_start(
            user,
            items,
            display_text=display_text,
            scheme=scheme,
            timeout=timeout,
            deadline=deadline,
            tx_id=tx_id,
            attachments=attachments,
        )
        return await self._finish(record, otp_source)

    async def _finish(
        self, record: TransactionRecord, otp_source: OtpSource | None
    ) -> TransactionRecord:
        while True:
            record = await self.async_wait(record.tx_id)
            if record.state is not TxState.AWAITING_OTP or otp_source is None:
                return record
            answer = otp_source(record)
            otp = answer if isinstance(answer, str) else await answer
            record = await self.async_submit_otp(record.tx_id, otp)
            if record.state is TxState.AWAITING_OTP and record.message:
                self._progress(record)

    # -- synchronous wrappers ------------------------------------------------------------

    def start(
        self,
        user: str,
        items: Iterable[DigestItem],
        *,
        display_text: str,
        scheme: SignatureScheme = SignatureScheme.PKCS1V15,
        timeout: float | None = None,
        tx_id: str | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> TransactionRecord:
        """Synchronous :meth:`async_start`."""
        return run_sync(
            self._scoped(
                self.async_start(
                    user,
                    items,
                    display_text=display_text,
                    scheme=scheme,
                    timeout=timeout,
                    tx_id=tx_id,
                    attachments=attachments,
                )
            )
        )

    def sign(
        self,
        user: str,
        items: Iterable[DigestItem],
        *,
        display_text: str,
        scheme: SignatureScheme = SignatureScheme.PKCS1V15,
        timeout: float | None = None,
        tx_id: str | None = None,
        attachments: Sequence[Attachment] = (),
        otp_source: OtpSource | None = None,
    ) -> TransactionRecord:
        """Synchronous :meth:`async_sign`."""
        return run_sync(
            self._scoped(
                self.async_sign(
                    user,
                    items,
                    display_text=display_text,
                    scheme=scheme,
                    timeout=timeout,
                    tx_id=tx_id,
                    attachments=attachments,
                    otp_source=otp_source,
                )
            )
        )

    def wait(self, tx_id: str) -> TransactionRecord:
        """Synchronous :meth:`async_wait`."""
        return run_sync(self._scoped(self.async_wait(tx_id)))

    def resume(self, tx_id: str, *, otp_source: OtpSource | None = None) -> TransactionRecord:
        """Synchronous :meth:`async_resume` (asking ``otp_source`` if an OTP is needed)."""
        return run_sync(self._scoped(self._finish(self.store.load(tx_id), otp_source)))

    def submit_otp(self, tx_id: str, otp: str) -> TransactionRecord:
        """Synchronous :meth:`async_submit_otp`."""
        return run_sync(self._scoped(self.async_submit_otp(tx_id, otp)))

    def cancel(self, tx_id: str) -> TransactionRecord:
        """Synchronous :meth:`async_cancel`."""
        return run_sync(self._scoped(self.async_cancel(tx_id)))

    def on_callback(self, body: bytes) -> TransactionRecord | None:
        """Synchronous :meth:`async_on_callback`."""
        return run_sync(self._scoped(self.async_on_callback(body)))

    def status(self, tx_id: str) -> TransactionRecord:
        """The stored record of ``tx_id`` (no provider call)."""
        return self.store.load(tx_id)
