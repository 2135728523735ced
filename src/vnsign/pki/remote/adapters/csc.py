"""Cloud Signature Consortium API, v1.0.4 and v2: ``credentials/info``,
``credentials/sendOTP``, ``credentials/authorize`` (SCAL1 and SCAL2),
``signatures/signHash`` and, in v2 asynchronous mode, ``signatures/signPolling``.

Endpoints are ``{service_url}/csc/{v1|v2}/{method}`` (as pyHanko's CSC client
builds them). The bearer token, the PIN, the OTP and the SAD stay in memory:
none of them reaches the transaction record.

How one transaction runs:

* implicit authorisation (the provider asks the person on the phone):
  ``authorize`` then ``signHash``; the person's answer arrives within one of
  those calls (synchronous) or, with ``operation_mode="A"`` (v2), through
  ``signPolling``.
* explicit authorisation with an OTP: ``sendOTP`` (AWAITING_OTP), then, with
  the OTP, ``authorize`` and ``signHash``.
* SCAL2 pins the hashes in ``authorize``; SCAL1 only counts them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vnsign.errors import (
    CredentialError,
    CredentialNotFoundError,
    InputError,
    RemoteResponseError,
)
from vnsign.pki.credentials import KeyKind, SignatureScheme
from vnsign.pki.remote.adapters._wire import (
    b64,
    certificates_from_base64,
    hash_oid,
    pss_params_b64,
    sign_algorithm_oid,
    text_field,
)
from vnsign.pki.remote.http import HttpAnswer, HttpClient
from vnsign.pki.remote.model import (
    EcdsaFormat,
    ProviderCapabilities,
    ProviderStatus,
    RemoteAccount,
    ReturnedValue,
    TransactionRecord,
    ValueEncoding,
)
from vnsign.pki.remote.provider import ProviderBase
from vnsign.pki.remote.states import FailureReason, TxState

__all__ = ["CSC_ERRORS", "RSA_ENCRYPTION", "CscProvider", "CscSettings"]

#: ``rsaEncryption``: "an RSA key", the hash named separately in ``hashAlgo``.
RSA_ENCRYPTION = "1.2.840.113549.1.1.1"

#: CSC ``error`` values and what they mean for the transaction. OAuth-style codes
#: come from the CSC specifications; ``expired_transaction``, ``invalid_otp`` and
#: ``otp_blocked`` are this adapter's reading of how RSSPs report a person who did
#: not answer, a mistyped OTP and a locked OTP (confirm with each provider).
CSC_ERRORS: Mapping[str, tuple[TxState, FailureReason]] = {
    "access_denied": (TxState.REJECTED, FailureReason.USER_REJECTED),
    "expired_transaction": (TxState.EXPIRED, FailureReason.PROVIDER_EXPIRED),
    "invalid_otp": (TxState.AWAITING_OTP, FailureReason.BAD_REQUEST),
    "otp_blocked": (TxState.FAILED, FailureReason.PIN_BLOCKED),
    "pin_blocked": (TxState.FAILED, FailureReason.PIN_BLOCKED),
    "invalid_token": (TxState.FAILED, FailureReason.CLIENT_AUTH),
    "expired_token": (TxState.FAILED, FailureReason.CLIENT_AUTH),
    "unauthorized_client": (TxState.FAILED, FailureReason.CLIENT_AUTH),
    "invalid_request": (TxState.FAILED, FailureReason.BAD_REQUEST),
    "invalid_scope": (TxState.FAILED, FailureReason.CLIENT_AUTH),
    "server_error": (TxState.FAILED, FailureReason.PROVIDER_ERROR),
    "temporarily_unavailable": (TxState.FAILED, FailureReason.PROVIDER_ERROR),
}


@dataclass(frozen=True)
class CscSettings:
    """Where the CSC service is and how to talk to it.

    ``access_token`` (bearer) and ``pin`` are secrets: used in requests, never
    persisted. ``operation_mode`` ``"A"`` (v2 only) asks for asynchronous
    signing with ``signPolling``.
    """

    service_url: str
    api_version: str = "v1"
    access_token: str | None = field(default=None, repr=False)
    pin: str | None = field(default=None, repr=False)
    operation_mode: str = "S"
    validity_period_ms: int | None = None

    def __post_init__(self) -> None:
        if self.api_version not in ("v1", "v2"):
            raise InputError(f"CSC api_version must be 'v1' or 'v2', not {self.api_version!r}")
        if self.operation_mode not in ("S", "A"):
            raise InputError("CSC operation_mode must be 'S' or 'A'")
        if self.operation_mode == "A" and self.api_version == "v1":
            raise InputError("asynchronous signing (operation_mode 'A') needs CSC v2")


@dataclass(frozen=True)
class _AuthInfo:
    mode: str
    scal: int
    pin: bool
    otp: bool
    algorithms: frozenset[str]


class CscProvider(ProviderBase):
    """The CSC API adapter (v1.0.4 or v2)."""

    def __init__(self, settings: CscSettings) -> None:
        self.config = settings
        self._auth: dict[str, _AuthInfo] = {}
        self._capabilities = ProviderCapabilities(
            max_batch=1000,  # the credential's ``multisign`` is the real limit
            value_encoding=ValueEncoding.BASE64,
            returns_item_ids=False,
            ecdsa_format=EcdsaFormat.DER,
            schemes=frozenset({SignatureScheme.PKCS1V15, SignatureScheme.PSS}),
        )

    @property
    def capabilities(self) -> ProviderCapabilities:
        """Base64 values in request order; PKCS#1 v1.5, PSS and ECDSA."""
        return self._capabilities

    def settings(self) -> Mapping[str, str]:
        """Non-secret settings (no token, no PIN)."""
        return {
            "kind": "csc",
            "service_url": self.config.service_url,
            "api_version": self.config.api_version,
            "operation_mode": self.config.operation_mode,
        }

    def _url(self, method: str) -> str:
        return f"{self.config.service_url.rstrip('/')}/csc/{self.config.api_version}/{method}"

    def _headers(self) -> dict[str, str]:
        token = self.config.access_token
        return {"Authorization": f"Bearer {token}"} if token else {}

    async def _call(
        self, http: HttpClient, method: str, payload: dict[str, Any], timeout: float | None
    ) -> HttpAnswer:
        return await http.post_json(
            self._url(method), payload, headers=self._headers(), timeout=timeout
        )

    # -- credentials/info --------------------------------------------------------------

    def credential_info_request(self, credential_id: str) -> dict[str, Any]:
        """The ``credentials/info`` request body."""
        return {
            "credentialID": credential_id,
            "certificates": "chain",
            "certInfo": False,
            "authInfo": True,
        }

    def parse_credential_info(self, credential_id: str, data: dict[str, Any]) -> RemoteAccount:
        """A ``credentials/info`` answer as an account (and remember how to authorise)."""
        where = f"CSC credentials/info of {credential_id}"
        key, cert = data.get("key"), data.get("cert")
        if not isinstance(key, dict) or not isinstance(cert, dict):
            raise RemoteResponseError(f"{where}: no 'key' or 'cert' object")
        if key.get("status", "enabled") != "enabled":
            raise CredentialError(f"{where}: the key is {key.get('status')}")
        if cert.get("status", "valid") != "valid":
            raise CredentialError(f"{where}: the certificate is {cert.get('status')}")
        certificates = cert.get("certificates")
        if not isinstance(certificates, list):
            raise RemoteResponseError(f"{where}: no certificate list")
        signer, chain = certificates_from_base64(certificates, where)
        auth = data.get("auth") if isinstance(data.get("auth"), dict) else {}
        assert isinstance(auth, dict)
        mode = str(data.get("authMode") or auth.get("mode") or "implicit")
        objects = auth.get("objects") if isinstance(auth.get("objects"), list) else []
        assert isinstance(objects, list)
        named = {
            str(o.get("id", o.get("type", ""))).upper() for o in objects if isinstance(o, dict)
        }
        pin = _present(data.get("PIN")) or "PIN" in named
        otp = _present(data.get("OTP")) or "OTP" in named
        scal = _int(data.get("SCAL"), 1)
        multisign = _int(data.get("multisign"), 1)
        algos = key.get("algo") if isinstance(key.get("algo"), list) else []
        assert isinstance(algos, list)
        self._auth[credential_id] = _AuthInfo(
            mode, scal, pin, otp, frozenset(str(a) for a in algos)
        )
        return RemoteAccount(
            user=credential_id,
            certificate=signer,
            chain=chain,
            max_batch=max(multisign, 1),
            requires_otp=otp and mode == "explicit",
            scal=scal,
        )

    async def async_fetch_account(self, http: HttpClient, user: str) -> RemoteAccount:
        """``credentials/info`` with the certificate chain and authorisation details."""
        answer = await self._call(
            http, "credentials/info", self.credential_info_request(user), None
        )
        data = answer.json()
        if answer.status >= 400:
            error = str(data.get("error", ""))
            text = data.get("error_description") or error or f"HTTP {answer.status}"
            if answer.status in (401, 403) or error in ("invalid_token", "unauthorized_client"):
                raise CredentialError(f"the CSC service refused our access token: {text}")
            raise CredentialNotFoundError(f"CSC credential {user}: {text}")
        return self.parse_credential_info(user, data)

    # -- signing -------------------------------------------------------------------------

    def authorize_request(
        self, record: TransactionRecord, *, otp: str | None = None
    ) -> dict[str, Any]:
        """The ``credentials/authorize`` request body (SCAL2 pins the hashes)."""
        info = self._auth_info(record.user)
        hashes = [b64(item.digest) for item in record.items]
        body: dict[str, Any] = {
            "credentialID": record.user,
            "numSignatures": len(hashes),
            "description": record.display_text[:500],
        }
        v2 = self.config.api_version == "v2"
        if info.scal >= 2:
            body["hashes" if v2 else "hash"] = hashes
            if v2:
                body["hashAlgorithmOID"] = hash_oid(record.mechanism.hash_algorithm)
        secrets = {"PIN": self.config.pin if info.pin else None, "OTP": otp}
        if v2:
            auth_data = [{"id": k, "value": v} for k, v in secrets.items() if v]
            if auth_data:
                body["authData"] = auth_data
        else:
            body.update({k: v for k, v in secrets.items() if v})
        return body

    def sign_hash_request(self, record: TransactionRecord, sad: str) -> dict[str, Any]:
        """The ``signatures/signHash`` request body."""
        mechanism = record.mechanism
        hashes = [b64(item.digest) for item in record.items]
        sign_algo = self.sign_algorithm(record)
        body: dict[str, Any] = {"credentialID": record.user, "SAD": sad}
        if self.config.api_version == "v2":
            body |= {
                "hashes": hashes,
                "hashAlgorithmOID": hash_oid(mechanism.hash_algorithm),
                "signAlgo": sign_algo,
            }
            if self.config.operation_mode == "A":
                body["operationMode"] = "A"
                if self.config.validity_period_ms:
                    body["validity_period"] = self.config.validity_period_ms
        else:
            body |= {
                "hash": hashes,
                "hashAlgo": hash_oid(mechanism.hash_algorithm),
                "signAlgo": sign_algo,
            }
        if mechanism.scheme is SignatureScheme.PSS:
            body["signAlgoParams"] = pss_params_b64(mechanism)
        return body

    def sign_algorithm(self, record: TransactionRecord) -> str:
        """The ``signAlgo`` OID: the combined one (``sha256WithRSAEncryption``, as
        pyHanko sends) unless the credential lists only the key algorithm
        (``rsaEncryption`` with ``hashAlgo``, as the CSC specification's example
        and Viettel MySign do). A mechanism the credential does not list is refused."""
        combined = sign_algorithm_oid(record.mechanism)
        offered = self._auth_info(record.user).algorithms
        if not offered or combined in offered:
            return combined
        plain_rsa = (
            record.mechanism.key_kind is KeyKind.RSA
            and record.mechanism.scheme is SignatureScheme.PKCS1V15
        )
        if plain_rsa and RSA_ENCRYPTION in offered:
            return RSA_ENCRYPTION
        raise InputError(
            f"CSC credential {record.user} does not offer {record.mechanism.describe()} "
            f"({combined}); it offers {', '.join(sorted(offered))}"
        )

    def poll_request(self, record: TransactionRecord) -> dict[str, Any]:
        """The ``signatures/signPolling`` request body."""
        if record.provider_tx_id is None:
            raise RemoteResponseError(f"CSC transaction {record.tx_id} has no responseID to poll")
        return {"responseID": record.provider_tx_id}

    def _auth_info(self, credential_id: str) -> _AuthInfo:
        info = self._auth.get(credential_id)
        if info is None:
            raise RemoteResponseError(
                f"CSC credential {credential_id}: fetch the account before signing"
            )
        return info

    async def async_submit(
        self,
        http: HttpClient,
        record: TransactionRecord,
        account: RemoteAccount,
        *,
        timeout: float,
    ) -> ProviderStatus:
        """``sendOTP`` for OTP credentials, else ``authorize`` + ``signHash``."""
        self.sign_algorithm(record)  # refuse a mechanism the credential lacks before any prompt
        if account.requires_otp:
            answer = await self._call(
                http, "credentials/sendOTP", {"credentialID": record.user}, timeout
            )
            if answer.status >= 400:
                return self.parse_error(answer)
            return ProviderStatus(
                TxState.AWAITING_OTP, message="a one-time password was sent to the person"
            )
        return await self._authorize_and_sign(http, record, None, timeout)

    async def async_submit_otp(
        self, http: HttpClient, record: TransactionRecord, otp: str, *, timeout: float
    ) -> ProviderStatus:
        """``authorize`` with the OTP, then ``signHash``."""
        return await self._authorize_and_sign(http, record, otp, timeout)

    async def _authorize_and_sign(
        self, http: HttpClient, record: TransactionRecord, otp: str | None, timeout: float
    ) -> ProviderStatus:
        answer = await self._call(
            http, "credentials/authorize", self.authorize_request(record, otp=otp), timeout
        )
        if answer.status >= 400:
            return self.parse_error(answer)
        sad = text_field(answer.json(), "SAD", "CSC credentials/authorize")
        answer = await self._call(
            http, "signatures/signHash", self.sign_hash_request(record, sad), timeout
        )
        return self.parse_sign_answer(answer)

    def parse_sign_answer(self, answer: HttpAnswer) -> ProviderStatus:
        """A ``signHash`` or ``signPolling`` answer: signatures, a pending
        asynchronous operation, or an error."""
        if answer.status >= 400:
            return self.parse_error(answer)
        data = answer.json()
        signatures = data.get("signatures")
        if signatures is not None:
            if not isinstance(signatures, list) or not all(isinstance(s, str) for s in signatures):
                raise RemoteResponseError("CSC: 'signatures' is not a list of strings")
            return ProviderStatus(
                TxState.SIGNED, values=tuple(ReturnedValue(s) for s in signatures)
            )
        response_id = data.get("responseID")
        if isinstance(response_id, str) and response_id:
            return ProviderStatus(
                TxState.AWAITING_USER if answer.status == 202 else TxState.SUBMITTED,
                provider_tx_id=response_id,
                message="waiting for the signing service",
            )
        raise RemoteResponseError("CSC: the answer has neither 'signatures' nor 'responseID'")

    def parse_error(self, answer: HttpAnswer) -> ProviderStatus:
        """A CSC error answer as a status (see :data:`CSC_ERRORS`)."""
        try:
            data = answer.json()
        except RemoteResponseError:
            data = {}
        error = str(data.get("error") or f"http_{answer.status}")
        description = str(data.get("error_description") or "")
        state, failure = CSC_ERRORS.get(error, (TxState.FAILED, FailureReason.PROVIDER_ERROR))
        if answer.status in (401, 403) and error not in CSC_ERRORS:
            state, failure = TxState.FAILED, FailureReason.CLIENT_AUTH
        return ProviderStatus(
            state, failure=failure, code=error, message=description or error.replace("_", " ")
        )

    async def async_poll(
        self, http: HttpClient, record: TransactionRecord, *, timeout: float
    ) -> ProviderStatus:
        """``signPolling`` for an asynchronous (v2 "A") operation."""
        answer = await self._call(
            http, "signatures/signPolling", self.poll_request(record), timeout
        )
        return self.parse_sign_answer(answer)


def _present(value: Any) -> bool:
    if isinstance(value, dict):
        return str(value.get("presence", "false")).lower() == "true"
    return False


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
