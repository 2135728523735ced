"""The gateway's SmartCA-style front (under ``/smartca/sca/sp769``).

``v1/credentials/get_certificate``, ``v1/signatures/sign`` (``sign_files[]``,
hex digests, one prompt for all of them) and
``v1/signatures/sign/{transaction_id or tran_code}/status``. Rejection and
expiry, which VNPT does not document, are reported as ``status_code`` 400 with
the messages ``sig_rejected_by_user`` and ``sig_expired``; an unknown id as
``TRANSACTION_NOT_FOUND``.
"""

from __future__ import annotations

import base64
import re
import secrets
from datetime import UTC
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.serialization import Encoding

from vnsign.pki.credentials import HashAlgorithm, SignatureScheme
from vnsign.testing._pki import TestIdentity
from vnsign.testing.remote._http import Exchange, Reply, json_reply
from vnsign.testing.remote._model import Decision, GatewayTransaction

if TYPE_CHECKING:
    from vnsign.testing.remote.gateway import RemoteGateway

__all__ = ["SmartCAFront"]

_STATUS = re.compile(r"^v1/signatures/sign/([^/]+)/status$")
_BY_SIZE = {h.digest_size: h for h in HashAlgorithm}


def _answer(code: int, message: str, data: Any = None) -> Reply:
    return json_reply(200, {"status_code": code, "message": message, "data": data})


def _b64(ident_cert: Any) -> str:
    return base64.b64encode(ident_cert.public_bytes(Encoding.DER)).decode()


class SmartCAFront:
    """SmartCA v1 endpoints."""

    def __init__(self, gateway: RemoteGateway) -> None:
        self.gateway = gateway

    @staticmethod
    def _method(exchange: Exchange) -> str:
        path = exchange.path.split("?", 1)[0].strip("/")
        return path.split("/", 3)[3] if path.count("/") >= 3 else ""

    def classify(self, exchange: Exchange) -> None:
        """Name the operation and user."""
        method = self._method(exchange)
        match = _STATUS.match(method)
        if match:
            exchange.operation = "poll"
            tx = self._find(match.group(1))
            exchange.user = tx.user.user_id if tx else None
            return
        exchange.operation = {
            "v1/credentials/get_certificate": "account",
            "v1/signatures/sign": "submit",
        }.get(method, "unknown")
        user = self.gateway.user(str(exchange.json().get("user_id", "")))
        exchange.user = user.user_id if user else None

    def _find(self, tran_id: str) -> GatewayTransaction | None:
        for tx in self.gateway.transactions.values():
            if tx.dialect == "smartca" and tran_id in (
                tx.client_ref,
                tx.references.get("tran_code"),
            ):
                return tx
        return None

    def handle(self, exchange: Exchange) -> Reply:
        """Answer one SmartCA request."""
        method = self._method(exchange)
        match = _STATUS.match(method)
        if match:
            return self._status(match.group(1), exchange)
        try:
            data = exchange.json()
        except ValueError:
            return _answer(400, "BAD_REQUEST: the body is not JSON")
        if (
            data.get("sp_id") != self.gateway.sp_id
            or data.get("sp_password") != self.gateway.sp_password
        ):
            return _answer(401, "SP_CREDENTIAL_INVALID")
        if method == "v1/credentials/get_certificate":
            return self._certificate(data)
        if method == "v1/signatures/sign":
            return self._sign(data, exchange)
        return json_reply(404, {"status_code": 404, "message": "NOT_FOUND", "data": None})

    def _certificate(self, data: dict[str, Any]) -> Reply:
        user = self.gateway.user(str(data.get("user_id", "")))
        if user is None:
            return _answer(401, "SP_CREDENTIAL_INVALID: unknown user_id")
        entries = [self._entry(user.identity, "SMARTCA")] + [
            self._entry(extra, "ESEAL") for extra in user.extra_identities
        ]
        serial = data.get("serial_number")
        if serial:
            entries = [e for e in entries if e["serial_number"] == str(serial).lower()]
        return _answer(200, "SUCCESS", {"user_certificates": entries})

    @staticmethod
    def _entry(ident: TestIdentity, service_type: str) -> dict[str, Any]:
        cert = ident.certificate
        chain = ident.chain
        return {
            "service_type": service_type,
            "service_name": "SmartCA cá nhân (TEST)"
            if service_type == "SMARTCA"
            else "eSeal (TEST)",
            "cert_id": f"cid-{cert.serial_number % 10**8}",
            "cert_status": "Đang hoạt động",
            "serial_number": format(cert.serial_number, "x"),
            "cert_subject": cert.subject.rfc4514_string(),
            "cert_valid_from": cert.not_valid_before_utc.astimezone(UTC).strftime(
                "%Y-%m-%d %H:%M:%S"
            ),
            "cert_valid_to": cert.not_valid_after_utc.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            "cert_data": _b64(cert),
            "chain_data": {
                "ca_cert": _b64(chain[0]) if chain else None,
                "root_cert": _b64(chain[-1]) if len(chain) > 1 else None,
            },
        }

    def _sign(self, data: dict[str, Any], exchange: Exchange) -> Reply:
        user = self.gateway.user(str(data.get("user_id", "")))
        if user is None:
            return _answer(401, "SP_CREDENTIAL_INVALID: unknown user_id")
        tran_id = data.get("transaction_id")
        if not isinstance(tran_id, str) or not tran_id:
            return _answer(400, "BAD_REQUEST: transaction_id is required")
        if self._find(tran_id) is not None:
            return _answer(400, "BAD_REQUEST: transaction_id already used")
        serials = {
            format(i.certificate.serial_number, "x")
            for i in (user.identity, *user.extra_identities)
        }
        if str(data.get("serial_number", "")).lower() not in serials:
            return _answer(403, "CREDENTIAL_STATUS_INVALID: no such certificate")
        files = data.get("sign_files")
        if not isinstance(files, list) or not files:
            return _answer(400, "BAD_REQUEST: sign_files is empty")
        if len(files) > self.gateway.smartca_max_batch:
            return _answer(400, f"BAD_REQUEST: at most {self.gateway.smartca_max_batch} sign_files")
        items: list[tuple[str | None, bytes]] = []
        for entry in files:
            try:
                digest = bytes.fromhex(entry["data_to_be_signed"])
                doc_id = str(entry["doc_id"])
            except (KeyError, TypeError, ValueError):
                return _answer(400, "BAD_REQUEST: data_to_be_signed must be hex, with a doc_id")
            if entry.get("sign_type") != "hash" or len(digest) not in _BY_SIZE:
                return _answer(400, "BAD_REQUEST: only hash signing (SHA-2 digests) is supported")
            items.append((doc_id, digest))
        algorithm = _BY_SIZE[len(items[0][1])]
        tx = self.gateway.new_transaction(
            "smartca",
            user,
            items,
            algorithm,
            SignatureScheme.PKCS1V15,
            str(data.get("transaction_desc", "")),
            client_ref=tran_id,
        )
        tx.references["tran_code"] = f"TC{secrets.token_hex(5).upper()}"
        exchange.tx_id = tx.tx_id
        return _answer(
            200,
            "sig_wait_for_user_confirm",
            {"transaction_id": tran_id, "tran_code": tx.references["tran_code"]},
        )

    def _status(self, tran_id: str, exchange: Exchange) -> Reply:
        tx = self._find(tran_id)
        if tx is None:
            return _answer(400, "TRANSACTION_NOT_FOUND")
        exchange.tx_id = tx.tx_id
        decision = self.gateway.refresh(tx)
        data: dict[str, Any] = {"transaction_id": tx.client_ref, "signatures": None}
        if decision is Decision.REJECTED:
            return _answer(400, "sig_rejected_by_user", data)
        if decision is Decision.EXPIRED:
            return _answer(400, "sig_expired", data)
        if decision is Decision.APPROVED:
            data["signatures"] = [
                {"doc_id": i, "signature_value": v, "timestamp_signature": None}
                for i, v in tx.signatures or []
            ]
            return _answer(200, "SUCCESS", data)
        return _answer(200, "sig_wait_for_user_confirm", data)
