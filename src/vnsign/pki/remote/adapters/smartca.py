"""VNPT SmartCA-style REST: ``v1/credentials/get_certificate``,
``v1/signatures/sign`` with ``sign_files[]`` (hex digests, one approval for the
whole list), and ``v1/signatures/sign/{id}/status`` polling, plus the optional
webhook.

Every call is a JSON ``POST`` carrying ``sp_id`` and ``sp_password`` in the body
(the password is secret: it is never persisted). The SP chooses and sends the
``transaction_id`` (our transaction id), which is also how a lost submit is
looked up again. The status answer names each value by ``doc_id``.

VNPT documents no "rejected" or "expired" status; the adapter reads messages
that say so (:data:`SMARTCA_MESSAGES`) and otherwise relies on the engine's
deadline.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from vnsign.errors import CredentialError, CredentialNotFoundError, InputError, RemoteResponseError
from vnsign.pki.remote.adapters._wire import certificates_from_base64
from vnsign.pki.remote.http import HttpAnswer, HttpClient
from vnsign.pki.remote.model import (
    ProviderCapabilities,
    ProviderStatus,
    RemoteAccount,
    ReturnedValue,
    TransactionRecord,
    ValueEncoding,
)
from vnsign.pki.remote.provider import CallbackHint, ProviderBase
from vnsign.pki.remote.states import FailureReason, TxState

__all__ = ["SMARTCA_CODES", "SMARTCA_MESSAGES", "SmartCAProvider", "SmartCASettings"]

#: ``status_code`` values of VNPT's integration document, for errors.
SMARTCA_CODES: Mapping[int, tuple[TxState, FailureReason]] = {
    400: (TxState.FAILED, FailureReason.BAD_REQUEST),
    401: (TxState.FAILED, FailureReason.CLIENT_AUTH),
    403: (TxState.FAILED, FailureReason.CERTIFICATE_NOT_USABLE),
    500: (TxState.FAILED, FailureReason.PROVIDER_ERROR),
}
#: Words in ``message`` that say the person declined, let it expire, or that the
#: transaction is unknown (VNPT documents none of these; see the module docstring).
SMARTCA_MESSAGES: tuple[tuple[tuple[str, ...], TxState, FailureReason], ...] = (
    (("not_found", "not found", "không tồn tại"), TxState.FAILED, FailureReason.NOT_RECEIVED),
    (("reject", "refuse", "cancel", "từ chối"), TxState.REJECTED, FailureReason.USER_REJECTED),
    (("expire", "timeout", "hết hạn"), TxState.EXPIRED, FailureReason.PROVIDER_EXPIRED),
)
_FILE_TYPES = {"pdf": "pdf", "xml": "xml"}


@dataclass(frozen=True)
class SmartCASettings:
    """A service provider's (SP) account at SmartCA.

    ``service_url`` is the SP's base (``https://gwsca.vnpt.vn/sca/sp769``);
    ``sp_password`` is secret. ``serial_number`` or ``service_type``
    (``SMARTCA``, ``ESEAL``) choose among a user's certificates. ``status_id``
    says which id goes into the status URL (the document is ambiguous).
    ``max_batch`` is the contract's limit of ``sign_files`` per request.
    """

    service_url: str
    sp_id: str
    sp_password: str = field(repr=False)
    serial_number: str | None = None
    service_type: str | None = None
    status_id: str = "transaction_id"
    max_batch: int = 100

    def __post_init__(self) -> None:
        if self.status_id not in ("transaction_id", "tran_code"):
            raise InputError("SmartCA status_id must be 'transaction_id' or 'tran_code'")


class SmartCAProvider(ProviderBase):
    """The VNPT SmartCA-style adapter."""

    def __init__(self, settings: SmartCASettings) -> None:
        self.config = settings
        self._serials: dict[str, str] = {}
        self._capabilities = ProviderCapabilities(
            max_batch=settings.max_batch,
            value_encoding=ValueEncoding.BASE64,
            returns_item_ids=True,
            supports_callbacks=True,
            can_reconcile=True,
        )

    @property
    def capabilities(self) -> ProviderCapabilities:
        """Values named by ``doc_id``; batches up to ``max_batch``; webhooks."""
        return self._capabilities

    def settings(self) -> Mapping[str, str]:
        """Non-secret settings (no SP password)."""
        values = {
            "kind": "smartca",
            "service_url": self.config.service_url,
            "sp_id": self.config.sp_id,
            "status_id": self.config.status_id,
            "max_batch": str(self.config.max_batch),
        }
        if self.config.serial_number:
            values["serial_number"] = self.config.serial_number
        if self.config.service_type:
            values["service_type"] = self.config.service_type
        return values

    def _url(self, path: str) -> str:
        return f"{self.config.service_url.rstrip('/')}/{path}"

    def _auth(self) -> dict[str, str]:
        return {"sp_id": self.config.sp_id, "sp_password": self.config.sp_password}

    # -- certificate ---------------------------------------------------------------------

    def certificate_request(self, user: str) -> dict[str, Any]:
        """The ``get_certificate`` request body."""
        body: dict[str, Any] = {**self._auth(), "user_id": user}
        if self.config.serial_number:
            body["serial_number"] = self.config.serial_number
        body["transaction_id"] = f"cert-{secrets.token_hex(8)}"
        return body

    def parse_certificates(self, user: str, answer: HttpAnswer) -> RemoteAccount:
        """Choose the user's certificate from a ``get_certificate`` answer."""
        data = answer.json()
        code = _int(data.get("status_code"), answer.status)
        if code != 200:
            text = str(data.get("message") or f"status {code}")
            if code == 401:
                raise CredentialError(f"SmartCA refused the SP credentials or user {user}: {text}")
            raise CredentialNotFoundError(f"SmartCA has no usable certificate for {user}: {text}")
        payload = data.get("data")
        certs = payload.get("user_certificates") if isinstance(payload, dict) else None
        if not isinstance(certs, list) or not certs:
            raise CredentialNotFoundError(f"SmartCA lists no certificate for {user}")
        chosen = [
            c
            for c in certs
            if isinstance(c, dict)
            and (not self.config.serial_number or _same_serial(c, self.config.serial_number))
            and (not self.config.service_type or c.get("service_type") == self.config.service_type)
        ]
        if len(chosen) != 1:
            listed = ", ".join(
                f"{c.get('service_type')} {c.get('serial_number')}"
                for c in certs
                if isinstance(c, dict)
            )
            raise InputError(
                f"SmartCA user {user} has {len(chosen)} matching certificates ({listed}); "
                "choose one with serial_number or service_type"
            )
        entry = chosen[0]
        chain_data = entry.get("chain_data") if isinstance(entry.get("chain_data"), dict) else {}
        assert isinstance(chain_data, dict)
        values = [entry.get("cert_data")] + [
            chain_data[k] for k in ("ca_cert", "root_cert") if chain_data.get(k)
        ]
        signer, chain = certificates_from_base64(values, f"SmartCA certificate of {user}")
        self._serials[user] = str(entry.get("serial_number") or format(signer.serial_number, "x"))
        return RemoteAccount(
            user=user, certificate=signer, chain=chain, max_batch=self.config.max_batch
        )

    async def async_fetch_account(self, http: HttpClient, user: str) -> RemoteAccount:
        """``v1/credentials/get_certificate``."""
        answer = await http.post_json(
            self._url("v1/credentials/get_certificate"), self.certificate_request(user)
        )
        return self.parse_certificates(user, answer)

    # -- signing -------------------------------------------------------------------------

    def sign_request(
        self, record: TransactionRecord, *, now: datetime | None = None
    ) -> dict[str, Any]:
        """The ``v1/signatures/sign`` request body: one ``sign_files`` entry per item."""
        serial = self._serials.get(record.user) or format(record.certificate.serial_number, "x")
        return {
            **self._auth(),
            "user_id": record.user,
            "transaction_id": record.tx_id,
            "transaction_desc": record.display_text,
            "serial_number": serial,
            "time_stamp": (now or datetime.now(UTC)).strftime("%Y%m%d%H%M%S"),
            "sign_files": [
                {
                    "data_to_be_signed": item.digest.hex(),
                    "doc_id": item.item_id,
                    "file_type": _FILE_TYPES.get(item.kind.split("-")[0], "other"),
                    "sign_type": "hash",
                }
                for item in record.items
            ],
        }

    def parse_answer(self, answer: HttpAnswer) -> ProviderStatus:
        """A sign or status answer as a status."""
        data = answer.json()
        code = _int(data.get("status_code"), answer.status)
        message = str(data.get("message") or "")
        payload = data.get("data") if isinstance(data.get("data"), dict) else {}
        assert isinstance(payload, dict)
        references = tuple(
            (k, str(payload[k])) for k in ("tran_code",) if isinstance(payload.get(k), str | int)
        )
        tx_id = payload.get("transaction_id")
        provider_tx_id = str(tx_id) if isinstance(tx_id, str | int) and tx_id != "" else None
        lowered = message.lower()
        for words, state, failure in SMARTCA_MESSAGES:
            if any(w in lowered for w in words):
                return ProviderStatus(
                    state, provider_tx_id, failure=failure, code=str(code), message=message
                )
        if code != 200:
            state, failure = SMARTCA_CODES.get(code, (TxState.FAILED, FailureReason.PROVIDER_ERROR))
            return ProviderStatus(
                state, provider_tx_id, failure=failure, code=str(code), message=message
            )
        signatures = payload.get("signatures")
        if signatures:
            if not isinstance(signatures, list):
                raise RemoteResponseError("SmartCA: 'signatures' is not a list")
            values = []
            for entry in signatures:
                if not isinstance(entry, dict) or not isinstance(entry.get("signature_value"), str):
                    raise RemoteResponseError("SmartCA: a signature entry without signature_value")
                doc_id = entry.get("doc_id")
                values.append(
                    ReturnedValue(
                        entry["signature_value"], str(doc_id) if doc_id is not None else None
                    )
                )
            return ProviderStatus(
                TxState.SIGNED,
                provider_tx_id,
                values=tuple(values),
                code=str(code),
                message=message,
                references=references,
            )
        return ProviderStatus(
            TxState.AWAITING_USER,
            provider_tx_id,
            code=str(code),
            message=message or "waiting for the person to confirm",
            references=references,
        )

    async def async_submit(
        self,
        http: HttpClient,
        record: TransactionRecord,
        account: RemoteAccount,
        *,
        timeout: float,
    ) -> ProviderStatus:
        """``v1/signatures/sign``: every item in ``sign_files``, one confirmation."""
        answer = await http.post_json(
            self._url("v1/signatures/sign"), self.sign_request(record), timeout=timeout
        )
        return self.parse_answer(answer)

    def status_url(self, record: TransactionRecord, *, reconcile: bool = False) -> str:
        """The status URL: our ``transaction_id`` or the provider's ``tran_code``."""
        tran_id = record.tx_id
        if not reconcile and self.config.status_id == "tran_code":
            tran_id = record.reference("tran_code") or record.tx_id
        elif not reconcile and record.provider_tx_id:
            tran_id = record.provider_tx_id
        return self._url(f"v1/signatures/sign/{tran_id}/status")

    async def async_poll(
        self, http: HttpClient, record: TransactionRecord, *, timeout: float
    ) -> ProviderStatus:
        """``v1/signatures/sign/{id}/status`` (an empty body, as documented)."""
        answer = await http.post(
            self.status_url(record), b"", content_type="application/json", timeout=timeout
        )
        return self.parse_answer(answer)

    async def async_reconcile(
        self, http: HttpClient, record: TransactionRecord, *, timeout: float
    ) -> ProviderStatus | None:
        """Look the lost submit up by our own ``transaction_id``."""
        answer = await http.post(
            self.status_url(record, reconcile=True),
            b"",
            content_type="application/json",
            timeout=timeout,
        )
        status = self.parse_answer(answer)
        if status.failure is FailureReason.NOT_RECEIVED:
            return ProviderStatus(
                TxState.FAILED,
                failure=FailureReason.NOT_RECEIVED,
                code=status.code,
                message="SmartCA never received the request; nothing is on the phone",
            )
        return status

    def parse_callback(self, body: bytes) -> CallbackHint | None:
        """The webhook's ``transaction_id`` when it is addressed to our ``sp_id``."""
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(data, dict) or data.get("sp_id") != self.config.sp_id:
            return None
        tx_id = data.get("transaction_id")
        return CallbackHint(tx_id=str(tx_id)) if isinstance(tx_id, str) and tx_id else None


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _same_serial(entry: dict[str, Any], wanted: str) -> bool:
    return str(entry.get("serial_number", "")).lower().lstrip("0") == wanted.lower().lstrip("0")
