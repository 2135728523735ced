"""The gateway's CSC API front (v1.0.4 under ``/csc/v1``, v2 under ``/csc/v2``).

Where the person is asked: in v1, ``credentials/authorize`` of an implicit
credential puts the prompt on the phone and answers once the person decided;
in v2 the SAD comes at once and ``signatures/signHash`` asks the person, either
answering when they decided ("S") or at once with a ``responseID`` to poll with
``signatures/signPolling`` ("A"). Explicit credentials authorise with a PIN
and/or an OTP sent by ``credentials/sendOTP``.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from asn1crypto import algos
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from vnsign.pki.credentials import HashAlgorithm, SignatureScheme
from vnsign.testing.remote._http import Exchange, Reply, json_reply
from vnsign.testing.remote._model import Decision, GatewayTransaction, GatewayUser

if TYPE_CHECKING:
    from vnsign.testing.remote.gateway import RemoteGateway

__all__ = ["CscFront"]

_HASHES = {str(algos.DigestAlgorithmId(h.value).dotted): h for h in HashAlgorithm}
_MAX_OTP_ATTEMPTS = 3


@dataclass
class _Sad:
    credential_id: str
    hashes: frozenset[str] | None
    remaining: int
    expires_at: float
    tx: GatewayTransaction | None  # v1 implicit: the approved prompt
    description: str = ""


def _error(status: int, error: str, description: str) -> Reply:
    return json_reply(status, {"error": error, "error_description": description})


class CscFront:
    """CSC v1.0.4 and v2 endpoints."""

    def __init__(self, gateway: RemoteGateway) -> None:
        self.gateway = gateway
        self._sads: dict[str, _Sad] = {}

    @staticmethod
    def _parts(exchange: Exchange) -> tuple[str, str]:
        parts = exchange.path.split("?", 1)[0].strip("/").split("/", 2)
        if len(parts) < 3:
            return "", ""
        return parts[1], parts[2]

    def classify(self, exchange: Exchange) -> None:
        """Name the operation and user, for the log and for armed faults."""
        version, method = self._parts(exchange)
        data = exchange.json()
        user = self.gateway.user(str(data.get("credentialID", "")))
        exchange.user = user.user_id if user else None
        implicit = user is not None and user.auth_mode == "implicit"
        exchange.operation = {
            "info": "account",
            "credentials/list": "account",
            "credentials/info": "account",
            "credentials/sendOTP": "submit",
            "credentials/authorize": "submit" if implicit and version == "v1" else "authorize",
            "signatures/signHash": "submit" if implicit and version == "v2" else "sign",
            "signatures/signPolling": "poll",
        }.get(method, "unknown")

    def handle(self, exchange: Exchange) -> Reply:
        """Answer one CSC request."""
        version, method = self._parts(exchange)
        if version not in ("v1", "v2"):
            return _error(404, "invalid_request", "unknown API version")
        auth = exchange.headers.get("authorization", "")
        if auth != f"Bearer {self.gateway.csc_token}":
            return _error(401, "invalid_token", "The access token is not valid")
        try:
            data = exchange.json()
        except ValueError:
            return _error(400, "invalid_request", "The request body is not a JSON object")
        handler = {
            "info": self._info,
            "credentials/list": self._list,
            "credentials/info": self._credential_info,
            "credentials/sendOTP": self._send_otp,
            "credentials/authorize": self._authorize,
            "signatures/signHash": self._sign_hash,
            "signatures/signPolling": self._sign_polling,
        }.get(method)
        if handler is None:
            return _error(404, "invalid_request", f"unknown method {method}")
        return handler(version, data, exchange)

    def _user(self, data: dict[str, Any]) -> GatewayUser | None:
        return self.gateway.user(str(data.get("credentialID", "")))

    def _info(self, version: str, data: dict[str, Any], exchange: Exchange) -> Reply:
        return json_reply(
            200,
            {
                "specs": "1.0.4.0" if version == "v1" else "2.0.0.0",
                "name": "vnsign test RSSP",
                "logo": "",
                "region": "VN",
                "lang": "vi-VN",
                "description": "Test remote signing service (vnsign.testing)",
                "authType": ["oauth2client"],
                "methods": [
                    "credentials/list",
                    "credentials/info",
                    "credentials/authorize",
                    "credentials/sendOTP",
                    "signatures/signHash",
                    *(["signatures/signPolling"] if version == "v2" else []),
                ],
            },
        )

    def _list(self, version: str, data: dict[str, Any], exchange: Exchange) -> Reply:
        return json_reply(200, {"credentialIDs": [u.credential_id for u in self.gateway.users]})

    def _credential_info(self, version: str, data: dict[str, Any], exchange: Exchange) -> Reply:
        user = self._user(data)
        if user is None:
            return _error(400, "invalid_request", "Invalid parameter credentialID")
        ident = user.identity
        key = ident.certificate.public_key()
        if isinstance(key, rsa.RSAPublicKey):
            algo = [
                str(algos.SignedDigestAlgorithmId(n).dotted)
                for n in ("sha256_rsa", "sha384_rsa", "sha512_rsa", "rsassa_pss")
            ]
            length = key.key_size
        elif isinstance(key, ec.EllipticCurvePublicKey):
            algo = [
                str(algos.SignedDigestAlgorithmId(n).dotted)
                for n in ("sha256_ecdsa", "sha384_ecdsa", "sha512_ecdsa")
            ]
            length = key.curve.key_size
        else:
            return _error(400, "invalid_request", "unsupported key type")
        wanted = data.get("certificates", "single")
        chain = [ident.certificate, *ident.chain] if wanted == "chain" else [ident.certificate]
        certificates = (
            []
            if wanted == "none"
            else [base64.b64encode(c.public_bytes(Encoding.DER)).decode() for c in chain]
        )
        answer: dict[str, Any] = {
            "key": {"status": "enabled", "algo": algo, "len": length},
            "cert": {"status": "valid", "certificates": certificates},
            "SCAL": str(user.scal),
            "multisign": user.multisign,
            "lang": "vi-VN",
        }
        if version == "v1":
            answer["authMode"] = user.auth_mode
            answer["PIN"] = {"presence": "true" if user.pin else "false"}
            answer["OTP"] = {"presence": "true" if user.otp else "false", "type": "offline"}
        else:
            objects = [{"type": "Password", "id": "PIN"}] if user.pin else []
            if user.otp:
                objects.append({"type": "Password", "id": "OTP"})
            answer["auth"] = {"mode": user.auth_mode, "objects": objects}
        return json_reply(200, answer)

    def _send_otp(self, version: str, data: dict[str, Any], exchange: Exchange) -> Reply:
        user = self._user(data)
        if user is None or not user.otp:
            return _error(400, "invalid_request", "This credential does not use an OTP")
        tx = self.gateway.new_transaction(
            "csc", user, [], HashAlgorithm.SHA256, SignatureScheme.PKCS1V15, "OTP", otp=True
        )
        exchange.tx_id = tx.tx_id
        return Reply(204)

    def _hashes(self, data: dict[str, Any], version: str) -> list[bytes] | None:
        values = data.get("hashes" if version == "v2" else "hash")
        if values is None:
            return None
        if not isinstance(values, list):
            raise ValueError("the hash list is not a list")
        try:
            return [base64.b64decode(v, validate=True) for v in values]
        except (binascii.Error, TypeError) as exc:
            raise ValueError("a hash is not base64") from exc

    def _authorize(self, version: str, data: dict[str, Any], exchange: Exchange) -> Reply:
        user = self._user(data)
        if user is None:
            return _error(400, "invalid_request", "Invalid parameter credentialID")
        try:
            hashes = self._hashes(data, version)
            count = int(data.get("numSignatures", 0))
        except (ValueError, TypeError) as exc:
            return _error(400, "invalid_request", str(exc))
        if count < 1 or count > user.multisign:
            return _error(400, "invalid_request", f"numSignatures must be 1..{user.multisign}")
        if user.scal >= 2 and (hashes is None or len(hashes) != count):
            return _error(400, "invalid_request", "SCAL2: the hashes must be given")
        secrets_given = self._secrets(data, version)
        if user.pin and secrets_given.get("PIN") != user.pin:
            return _error(400, "invalid_pin", "The PIN is not correct")
        tx: GatewayTransaction | None = None
        if user.otp:
            refusal = self._check_otp(user, secrets_given.get("OTP"))
            if refusal is not None:
                return refusal
        elif user.auth_mode == "implicit" and version == "v1":
            items: list[tuple[str | None, bytes]] = [(None, h) for h in hashes or []]
            tx = self.gateway.new_transaction(
                "csc",
                user,
                items,
                HashAlgorithm.SHA256,  # known at signHash, where the signing happens
                SignatureScheme.PKCS1V15,
                str(data.get("description", "")),
                sign_later=True,
            )
            exchange.tx_id = tx.tx_id
            decision = self.gateway.wait_decision(tx)
            if decision is not Decision.APPROVED:
                return self._refusal(decision)
        sad = f"SAD-{secrets.token_urlsafe(24)}"
        self._sads[sad] = _Sad(
            user.credential_id,
            frozenset(base64.b64encode(h).decode() for h in hashes) if hashes else None,
            count,
            time.monotonic() + 300,
            tx,
            str(data.get("description", "")),
        )
        return json_reply(200, {"SAD": sad, "expiresIn": 300})

    @staticmethod
    def _secrets(data: dict[str, Any], version: str) -> dict[str, str]:
        if version == "v1":
            return {k: str(data[k]) for k in ("PIN", "OTP") if data.get(k)}
        found = {}
        for entry in data.get("authData") or []:
            if isinstance(entry, dict) and entry.get("id") in ("PIN", "OTP"):
                found[str(entry["id"])] = str(entry.get("value", ""))
        return found

    def _check_otp(self, user: GatewayUser, otp: str | None) -> Reply | None:
        gateway = self.gateway
        with gateway.changed:
            sent = [
                tx
                for tx in gateway.transactions.values()
                if tx.user is user and gateway.refresh(tx) is Decision.AWAITING_OTP
            ]
            if not sent:
                return _error(400, "expired_transaction", "No valid OTP: ask for a new one")
            tx = sent[-1]
            if otp != tx.otp:
                tx.otp_attempts += 1
                if tx.otp_attempts >= _MAX_OTP_ATTEMPTS:
                    tx.decision = Decision.FAILED
                    return _error(400, "otp_blocked", "Too many wrong OTPs")
                return _error(400, "invalid_otp", "The OTP is not correct")
            tx.decision = Decision.APPROVED
            gateway.changed.notify_all()
        return None

    @staticmethod
    def _refusal(decision: Decision) -> Reply:
        if decision is Decision.REJECTED:
            return _error(400, "access_denied", "The user rejected the request")
        if decision is Decision.EXPIRED:
            return _error(400, "expired_transaction", "The user did not answer in time")
        return _error(503, "temporarily_unavailable", "The service is stopping")

    def _sign_hash(self, version: str, data: dict[str, Any], exchange: Exchange) -> Reply:
        user = self._user(data)
        sad = self._sads.pop(str(data.get("SAD", "")), None)
        if user is None or sad is None or sad.credential_id != user.credential_id:
            return _error(400, "invalid_request", "Invalid SAD")
        if time.monotonic() > sad.expires_at:
            return _error(400, "invalid_request", "The SAD has expired")
        try:
            hashes = self._hashes(data, version) or []
            algorithm, scheme = self._mechanism(data, version)
        except ValueError as exc:
            return _error(400, "invalid_request", str(exc))
        if not hashes or len(hashes) > sad.remaining:
            return _error(400, "invalid_request", "More hashes than the SAD allows")
        if (
            sad.hashes is not None
            and not {base64.b64encode(h).decode() for h in hashes} <= sad.hashes
        ):
            return _error(400, "invalid_request", "A hash was not authorised (SCAL2)")
        items: list[tuple[str | None, bytes]] = [(None, h) for h in hashes]
        if sad.tx is not None:  # v1 implicit: already approved on the phone
            tx = sad.tx
            tx.items, tx.hash_algorithm, tx.scheme = items, algorithm, scheme
            self.gateway.approve_now(tx)
        elif user.auth_mode == "implicit" and version == "v2":
            tx = self.gateway.new_transaction(
                "csc", user, items, algorithm, scheme, sad.description
            )
            if data.get("operationMode") == "A":
                exchange.tx_id = tx.tx_id
                return json_reply(200, {"responseID": tx.tx_id})
            decision = self.gateway.wait_decision(tx)
            if decision is not Decision.APPROVED:
                return self._refusal(decision)
        else:  # explicit (PIN/OTP): authorised already, nothing more on the phone
            tx = self.gateway.new_transaction(
                "csc", user, items, algorithm, scheme, "", silent=True
            )
            self.gateway.approve_now(tx)
            if data.get("operationMode") == "A":
                exchange.tx_id = tx.tx_id
                return json_reply(200, {"responseID": tx.tx_id})
        exchange.tx_id = tx.tx_id
        return json_reply(200, {"signatures": [v for _, v in tx.signatures or []]})

    def _mechanism(
        self, data: dict[str, Any], version: str
    ) -> tuple[HashAlgorithm, SignatureScheme]:
        hash_oid = str(data.get("hashAlgorithmOID" if version == "v2" else "hashAlgo", ""))
        sign_oid = str(data.get("signAlgo", ""))
        try:
            sign_name = algos.SignedDigestAlgorithmId(sign_oid).native
        except ValueError as exc:
            raise ValueError(f"unknown signAlgo {sign_oid}") from exc
        if sign_name == "rsassa_pss":
            params = algos.RSASSAPSSParams.load(base64.b64decode(data.get("signAlgoParams", "")))
            algorithm = HashAlgorithm(params["hash_algorithm"]["algorithm"].native)
            return algorithm, SignatureScheme.PSS
        named = _HASHES.get(hash_oid)
        if named is None:
            raise ValueError(f"unknown hash algorithm {hash_oid}")
        return named, SignatureScheme.PKCS1V15

    def _sign_polling(self, version: str, data: dict[str, Any], exchange: Exchange) -> Reply:
        if version != "v2":
            return _error(404, "invalid_request", "signPolling is a v2 method")
        tx = self.gateway.transactions.get(str(data.get("responseID", "")))
        if tx is None:
            return _error(400, "invalid_request", "Invalid responseID")
        exchange.tx_id = tx.tx_id
        exchange.user = tx.user.user_id
        decision = self.gateway.refresh(tx)
        if decision is Decision.PENDING:
            return json_reply(202, {"responseID": tx.tx_id})
        if decision is not Decision.APPROVED:
            return self._refusal(decision)
        return json_reply(200, {"signatures": [v for _, v in tx.signatures or []]})
