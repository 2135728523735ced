"""The reference remote-signing gateway: provider and phone in one test server.

::

    with RemoteGateway(pki, expiry=2.0) as gateway:
        user = gateway.add_user()                          # certificate from the test PKI
        gateway.phone.script(user, PhoneAction.APPROVE)    # or answer by hand:
        prompt = gateway.phone.wait_for_prompt(user)       #   gateway.phone.approve(prompt.tx_id)
        gateway.misbehave(Misbehaviour.WRONG_KEY)          # the next signature is by another key
        gateway.prompts_for(user)                          # what the phone showed, in order

One real HTTP server on 127.0.0.1 speaks three provider dialects (CSC v1/v2 under
``/csc``, ETSI TS 102 204 SOAP under ``/mss``, SmartCA-style REST under
``/smartca``) and a control API for the phone (``/_phone``) and for tests
(``/_control``). Every provider request is logged with its secrets masked.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
import urllib.request
from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from vnsign.pki.credentials import HashAlgorithm, SignatureScheme
from vnsign.pki.remote.adapters import CscSettings, MssSettings, SmartCASettings
from vnsign.testing._keys import KeyType, SigningKey, take_key
from vnsign.testing._pki import TestIdentity, TestPKI
from vnsign.testing._subjects import Profile
from vnsign.testing.remote._http import Exchange, Front, GatewayServer, Reply, json_reply
from vnsign.testing.remote._model import (
    Armed,
    Decision,
    GatewayTransaction,
    GatewayUser,
    LoggedRequest,
    Misbehaviour,
    PhoneAction,
    Prompt,
)
from vnsign.testing.remote._signing import encode_values, sign_items
from vnsign.testing.remote.phone import Phone

__all__ = ["RemoteGateway"]

_SECRET_KEYS = frozenset({"sp_password", "PIN", "OTP", "SAD", "access_token", "password", "otp"})
_AP_PWD = re.compile(rb'AP_PWD="[^"]*"')


class RemoteGateway:
    """A remote-signing provider and its users' phones, for tests.

    ``expiry`` is how long (seconds) a prompt waits for the person before the
    transaction expires; tests use fractions of a second.
    """

    __test__ = False

    def __init__(
        self,
        pki: TestPKI,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        expiry: float = 300.0,
        smartca_max_batch: int = 200,
    ) -> None:
        from vnsign.testing.remote._control import ControlFront
        from vnsign.testing.remote._csc import CscFront
        from vnsign.testing.remote._mss import MssFront
        from vnsign.testing.remote._smartca import SmartCAFront

        self.pki = pki
        self.expiry = expiry
        self.smartca_max_batch = smartca_max_batch
        self.csc_token = f"csc-token-{secrets.token_hex(8)}"
        self.sp_id = "vnsign-test-sp"
        self.sp_password = f"sp-{secrets.token_hex(8)}"
        self.ap_id = "http://ap.vnsign.test"
        self.ap_password = f"ap-{secrets.token_hex(8)}"
        self.mssp_id = "http://mssp.vnsign.test"
        self.smartca_webhook_url: str | None = None
        self.users: list[GatewayUser] = []
        self.transactions: dict[str, GatewayTransaction] = {}
        self.requests: list[LoggedRequest] = []
        self.prompts: list[Prompt] = []
        self.callbacks_sent: list[dict[str, Any]] = []
        self.errors: list[Exception] = []
        self.phone = Phone(self)
        self._lock = threading.RLock()
        self.changed = threading.Condition(self._lock)
        self._armed: list[Armed] = []
        self._stopping = threading.Event()
        self._other_keys: dict[str, SigningKey] = {}
        self._counter = 0
        self._fronts: dict[str, Front] = {
            "csc": CscFront(self),
            "mss": MssFront(self),
            "smartca": SmartCAFront(self),
            "control": ControlFront(self),
        }
        self._server = GatewayServer((host, port), self._dispatch, self._record_error)
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def _record_error(self, exc: BaseException) -> None:
        if isinstance(exc, Exception):
            self.errors.append(exc)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def mss_url(self) -> str:
        """The folder of the ETSI TS 102 204 SOAP ports."""
        return f"{self.url}/mss/soap/services"

    @property
    def smartca_url(self) -> str:
        """The SmartCA-style service base (like ``…/sca/sp769``)."""
        return f"{self.url}/smartca/sca/sp769"

    def start(self) -> RemoteGateway:
        """Serve in a daemon thread (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; requests waiting for a person are let go."""
        self._stopping.set()
        with self.changed:
            self.changed.notify_all()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> RemoteGateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- users ---------------------------------------------------------------------------

    def add_user(
        self,
        profile: Profile | str = Profile.PERSON,
        *,
        key_type: KeyType | str = KeyType.RSA2048,
        identity: TestIdentity | None = None,
        scal: int = 2,
        auth_mode: str = "implicit",
        otp: bool = False,
        pin: str | None = None,
        multisign: int = 200,
        eseal: bool = False,
    ) -> GatewayUser:
        """A new person with a certificate issued by the test PKI (or ``identity``).

        ``otp=True`` makes CSC authorisation explicit with an OTP sent by SMS;
        ``eseal=True`` gives the SmartCA user a second (organisation) certificate.
        """
        with self._lock:
            self._counter += 1
            n = self._counter
        ident = identity or self.pki.issue(profile, key_type=key_type)
        extra = (self.pki.issue(Profile.ORGANIZATION),) if eseal else ()
        user = GatewayUser(
            user_id=f"0791{n:08d}",
            credential_id=f"cred-{n:04d}",
            msisdn=f"8491{n:07d}",
            identity=ident,
            scal=scal,
            auth_mode="explicit" if otp or pin else auth_mode,
            otp=otp,
            pin=pin,
            multisign=multisign,
            extra_identities=extra,
        )
        with self._lock:
            self.users.append(user)
        return user

    def user(self, name: str | None) -> GatewayUser | None:
        """The user one of whose ids is ``name``."""
        with self._lock:
            return next((u for u in self.users if name is not None and u.matches(name)), None)

    def other_key(self, like: SigningKey) -> SigningKey:
        """A key of the same type as ``like`` that no user has (for WRONG_KEY)."""
        if isinstance(like, rsa.RSAPrivateKey):
            kind = KeyType.RSA3072 if like.key_size == 3072 else KeyType.RSA2048
        else:
            kind = KeyType.ECDSA_P384 if like.curve.key_size == 384 else KeyType.ECDSA_P256
        with self._lock:
            if kind.value not in self._other_keys:
                self._other_keys[kind.value] = take_key(kind)
            return self._other_keys[kind.value]

    # -- adapter settings ----------------------------------------------------------------

    def csc_settings(self, api_version: str = "v1", *, operation_mode: str = "S") -> CscSettings:
        """Settings for :class:`~vnsign.pki.remote.adapters.CscProvider`."""
        return CscSettings(
            self.url,
            api_version=api_version,
            access_token=self.csc_token,
            operation_mode=operation_mode,
        )

    def csc_settings_with_pin(self, user: GatewayUser, api_version: str = "v1") -> CscSettings:
        """CSC settings that present ``user``'s PIN."""
        return CscSettings(
            self.url, api_version=api_version, access_token=self.csc_token, pin=user.pin
        )

    def mss_settings(self) -> MssSettings:
        """Settings for :class:`~vnsign.pki.remote.adapters.MssProvider`."""
        return MssSettings(
            self.mss_url, ap_id=self.ap_id, ap_password=self.ap_password, mssp_id=self.mssp_id
        )

    def smartca_settings(self, **options: Any) -> SmartCASettings:
        """Settings for :class:`~vnsign.pki.remote.adapters.SmartCAProvider`."""
        return SmartCASettings(
            self.smartca_url, sp_id=self.sp_id, sp_password=self.sp_password, **options
        )

    # -- misbehaviour --------------------------------------------------------------------

    def misbehave(
        self,
        misbehaviour: Misbehaviour | str,
        *,
        times: int | None = 1,
        user: GatewayUser | str | None = None,
        operation: str | None = None,
        value: float = 0.0,
    ) -> None:
        """Arm a misbehaviour for the next ``times`` matches (``None``: until reset).

        ``operation`` narrows transport faults to ``account``, ``submit``,
        ``authorize``, ``sign`` or ``poll`` requests; ``value`` is the delay of
        SLOW and the Retry-After of RATE_LIMIT, in seconds.
        """
        name = user.user_id if isinstance(user, GatewayUser) else user
        resolved = self.user(name) if name else None
        with self._lock:
            self._armed.append(
                Armed(
                    Misbehaviour(misbehaviour),
                    times,
                    resolved.user_id if resolved else None,
                    operation,
                    value,
                )
            )

    def take(
        self, kinds: Sequence[Misbehaviour], user: str | None, operation: str | None
    ) -> list[Armed]:
        """Consume the armed misbehaviours of ``kinds`` that match."""
        taken = []
        with self._lock:
            for armed in list(self._armed):
                if armed.misbehaviour in kinds and armed.matches(user, operation):
                    taken.append(armed)
                    if armed.remaining is not None:
                        armed.remaining -= 1
                        if armed.remaining <= 0:
                            self._armed.remove(armed)
        return taken

    def calm(self) -> None:
        """Disarm every misbehaviour (transactions and logs stay)."""
        with self._lock:
            self._armed.clear()

    def reset(self) -> None:
        """Forget transactions, logs and armed misbehaviours (users stay)."""
        with self.changed:
            self._armed.clear()
            self.transactions.clear()
            self.requests.clear()
            self.prompts.clear()
            self.callbacks_sent.clear()
            self.phone.scripts.clear()
            self.changed.notify_all()

    # -- transactions --------------------------------------------------------------------

    def new_transaction(
        self,
        dialect: str,
        user: GatewayUser,
        items: list[tuple[str | None, bytes]],
        algorithm: HashAlgorithm,
        scheme: SignatureScheme,
        display_text: str,
        *,
        client_ref: str | None = None,
        otp: bool = False,
        silent: bool = False,
        sign_later: bool = False,
    ) -> GatewayTransaction:
        """Put a prompt (or, with ``otp``, an SMS) on ``user``'s phone; ``silent``
        records a transaction already authorised (PIN/OTP) without a prompt."""
        kinds = [m for m in Misbehaviour if m.value_fault or m.callback_fault]
        # an OTP SMS signs nothing: its faults wait for the signing that follows
        faults = () if otp else tuple(a.misbehaviour for a in self.take(kinds, user.user_id, None))
        with self.changed:
            tx = GatewayTransaction(
                tx_id=f"gw{secrets.token_hex(8)}",
                dialect=dialect,
                user=user,
                items=items,
                hash_algorithm=algorithm,
                scheme=scheme,
                display_text=display_text,
                expires_at=time.monotonic() + self.expiry,
                client_ref=client_ref,
                decision=Decision.AWAITING_OTP if otp else Decision.PENDING,
                misbehaviours=faults,
                otp=f"{secrets.randbelow(10**6):06d}" if otp else None,
                sign_later=sign_later,
            )
            self.transactions[tx.tx_id] = tx
            if not silent:
                self.prompts.append(self.prompt_of(tx))
            self.changed.notify_all()
        if Misbehaviour.FORGED_CALLBACK in faults:
            self._forge_callback(tx)
        if not otp and not silent:
            self.phone.run_script(tx)
        return tx

    def prompt_of(self, tx: GatewayTransaction) -> Prompt:
        """What the phone shows for ``tx``."""
        return Prompt(
            tx_id=tx.tx_id,
            dialect=tx.dialect,
            user_id=tx.user.user_id,
            display_text=tx.display_text,
            item_ids=tuple(i or f"#{n}" for n, (i, _) in enumerate(tx.items, 1)),
            digests=tuple(d.hex() for _, d in tx.items),
            otp=tx.otp,
            decision=tx.decision,
        )

    def prompts_for(self, user: GatewayUser | str) -> list[Prompt]:
        """Every prompt ``user``'s phone has shown, oldest first."""
        name = user.user_id if isinstance(user, GatewayUser) else user
        with self._lock:
            return [p for p in self.prompts if p.user_id == name]

    def refresh(self, tx: GatewayTransaction) -> Decision:
        """``tx``'s decision, expiring it when its time is up."""
        with self.changed:
            if tx.open and time.monotonic() >= tx.expires_at:
                tx.decision = Decision.EXPIRED
                self.changed.notify_all()
            return tx.decision

    def wait_decision(self, tx: GatewayTransaction) -> Decision:
        """Block until the person answered, the transaction expired or the gateway stops."""
        with self.changed:
            while self.refresh(tx) is Decision.PENDING and not self._stopping.is_set():
                self.changed.wait(timeout=max(min(tx.expires_at - time.monotonic(), 0.2), 0.01))
            return tx.decision

    def decide(self, tx_id: str, action: PhoneAction) -> GatewayTransaction:
        """What the phone does: approve, reject or ignore ``tx_id``."""
        with self.changed:
            tx = self.transactions.get(tx_id)
            if tx is None:
                raise KeyError(f"no transaction {tx_id}")
            if self.refresh(tx) is not Decision.PENDING:
                return tx
            if action is PhoneAction.IGNORE:
                tx.ignored = True
                return tx
            if action is PhoneAction.APPROVE and tx.sign_later:
                tx.decision = Decision.APPROVED
            elif action is PhoneAction.APPROVE:
                self.approve_now(tx)
            else:
                tx.decision = Decision.REJECTED
            tx.decided_at = time.monotonic()
            self.changed.notify_all()
        self._notify(tx)
        return tx

    def approve_now(self, tx: GatewayTransaction) -> None:
        """Mark ``tx`` approved and make its signatures (with any value faults)."""
        with self.changed:
            key = tx.user.identity.private_key
            raw = sign_items(
                key, self.other_key(key), tx.items, tx.hash_algorithm, tx.scheme, tx.misbehaviours
            )
            tx.signatures = encode_values(raw, tx.misbehaviours)
            tx.decision = Decision.APPROVED
            self.changed.notify_all()

    # -- SmartCA webhooks ----------------------------------------------------------------

    def _notify(self, tx: GatewayTransaction) -> None:
        if tx.dialect != "smartca" or not self.smartca_webhook_url:
            return
        approved = tx.decision is Decision.APPROVED
        body = {
            "sp_id": self.sp_id,
            "status_code": 200 if approved else 400,
            "message": "SUCCESS" if approved else "sig_rejected_by_user",
            "transaction_id": tx.client_ref,
            "signed_files": [
                {"doc_id": i, "signature_value": v, "timestamp_signature": None}
                for i, v in (tx.signatures or [])
            ],
        }
        copies = 2 if Misbehaviour.DUPLICATE_CALLBACK in tx.misbehaviours else 1
        self._post_callback(body, copies)

    def _forge_callback(self, tx: GatewayTransaction) -> None:
        if not self.smartca_webhook_url:
            return
        other = self.other_key(tx.user.identity.private_key)
        forged = encode_values(
            sign_items(other, other, tx.items, tx.hash_algorithm, tx.scheme, ()), ()
        )
        body = {
            "sp_id": self.sp_id,
            "status_code": 200,
            "message": "SUCCESS",
            "transaction_id": tx.client_ref,
            "signed_files": [
                {"doc_id": i, "signature_value": v, "timestamp_signature": None} for i, v in forged
            ],
        }
        self._post_callback(body, 1)

    def _post_callback(self, body: dict[str, Any], copies: int) -> None:
        url = self.smartca_webhook_url
        if url is None:
            return
        data = json.dumps(body).encode()

        def deliver() -> None:
            for _ in range(copies):
                request = urllib.request.Request(  # noqa: S310 - a loopback test URL
                    url, data=data, headers={"Content-Type": "application/json"}, method="POST"
                )
                try:
                    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                        response.read()
                except OSError as exc:
                    self.errors.append(exc)
                with self._lock:
                    self.callbacks_sent.append(body)

        threading.Thread(target=deliver, daemon=True).start()

    # -- dispatch ------------------------------------------------------------------------

    def _dispatch(self, exchange: Exchange) -> Reply:
        path = exchange.path.split("?", 1)[0]
        prefix = path.strip("/").split("/", 1)[0]
        front_name = {"csc": "csc", "mss": "mss", "smartca": "smartca"}.get(prefix, "control")
        front = self._fronts[front_name]
        exchange.dialect = front_name
        if front_name == "control":
            return front.handle(exchange)
        try:
            front.classify(exchange)
        except Exception:  # noqa: BLE001 - an unreadable request is the handler's to answer
            exchange.operation = "unknown"
        kinds = [
            Misbehaviour.RATE_LIMIT,
            Misbehaviour.HTTP_500,
            Misbehaviour.SLOW,
            Misbehaviour.MALFORMED,
        ]
        if exchange.operation == "submit":  # only a submit can be "dropped after acting"
            kinds.append(Misbehaviour.DROP_AFTER_SUBMIT)
        faults = {a.misbehaviour: a for a in self.take(kinds, exchange.user, exchange.operation)}
        if Misbehaviour.RATE_LIMIT in faults:
            retry = faults[Misbehaviour.RATE_LIMIT].value
            reply = json_reply(
                429,
                {"error": "too_many_requests", "error_description": "slow down"},
                ("Retry-After", f"{retry:g}"),
            )
        elif Misbehaviour.HTTP_500 in faults:
            reply = Reply(500, b"internal error (injected)", "text/plain")
        else:
            if Misbehaviour.SLOW in faults:
                self._stopping.wait(faults[Misbehaviour.SLOW].value)
            try:
                reply = front.handle(exchange)
            except Exception as exc:  # noqa: BLE001 - a test server answers 500, it does not die
                self.errors.append(exc)
                reply = Reply(500, f"{type(exc).__name__}: {exc}".encode(), "text/plain")
            if Misbehaviour.MALFORMED in faults:
                reply = Reply(200, b"<<this is not what you asked for", reply.content_type)
            if Misbehaviour.DROP_AFTER_SUBMIT in faults:
                reply = Reply(0, drop=True)
        self._log(exchange, reply)
        return reply

    def _log(self, exchange: Exchange, reply: Reply) -> None:
        entry = LoggedRequest(
            at=time.time(),
            dialect=exchange.dialect,
            operation=exchange.operation,
            path=exchange.path,
            status=0 if reply.drop else reply.status,
            body=mask_secrets(exchange.body),
            user=exchange.user,
            tx_id=exchange.tx_id,
        )
        with self._lock:
            self.requests.append(entry)

    def requests_for(
        self, operation: str | None = None, dialect: str | None = None
    ) -> list[LoggedRequest]:
        """Logged provider requests, filtered."""
        with self._lock:
            return [
                r
                for r in self.requests
                if (operation is None or r.operation == operation)
                and (dialect is None or r.dialect == dialect)
            ]


def mask_secrets(body: bytes) -> str:
    """The request body with passwords, PINs, OTPs and SADs replaced by ``***``."""
    try:
        data = json.loads(body) if body.strip() else None
    except ValueError:
        return _AP_PWD.sub(b'AP_PWD="***"', body).decode("utf-8", "replace")
    return json.dumps(_mask(data), ensure_ascii=False)


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"id", "value"}:  # CSC v2 authData entries
            return {"id": value["id"], "value": "***"}
        return {k: "***" if k in _SECRET_KEYS else _mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    return value
