"""ETSI TS 102 204 mobile signature (SIM PKI), SOAP, asynchronous client-server
mode, as the Government CA's mobile PKI uses it.

* ``MSS_Signature`` with ``MessagingMode="asynchClientServer"``: the MSSP
  acknowledges with ``100 REQUEST_OK`` and an ``MSSP_TransID``;
* ``MSS_StatusQuery`` until the answer: ``504 OUTSTANDING_TRANSACTION`` while
  the person has not answered, ``500``/``502`` with the signature, or a fault;
* ``MSS_Registration`` (a vendor extension used by Vietnamese MSSPs) returns
  the user's certificate, unless it is given in the settings.

``DataToBeSigned`` is the base64 DER ``DigestInfo`` of the digest and
``MSS_Format`` PKCS#1, so the SIM returns a raw RSA PKCS#1 v1.5 signature.
Standard ETSI 204 carries one ``DataToBeSigned`` per request: the batch limit is 1.

Answers are parsed with lxml with DTDs, entities and network access off; an
answer carrying a DOCTYPE is refused.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from asn1crypto import algos
from lxml import etree

from vnsign.errors import CredentialError, InputError, RemoteResponseError
from vnsign.pki.certificates import load_certificates
from vnsign.pki.credentials import KeyKind, order_chain
from vnsign.pki.remote.adapters._wire import b64, certificates_from_base64
from vnsign.pki.remote.http import HttpAnswer, HttpClient
from vnsign.pki.remote.model import (
    ProviderCapabilities,
    ProviderStatus,
    RemoteAccount,
    ReturnedValue,
    TransactionRecord,
    ValueEncoding,
)
from vnsign.pki.remote.provider import ProviderBase
from vnsign.pki.remote.states import FailureReason, TxState

__all__ = [
    "MSS_NS",
    "MSS_STATUS",
    "SOAP11_NS",
    "SOAP12_NS",
    "MssProvider",
    "MssSettings",
    "parse_soap",
]

MSS_NS = "http://uri.etsi.org/TS102204/v1.1.2#"
SOAP12_NS = "http://www.w3.org/2003/05/soap-envelope"
SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"
PKCS1_FORMAT = "http://uri.etsi.org/TS102204/v1.1.2#PKCS1"
_M = f"{{{MSS_NS}}}"
_MAX_XML = 4 << 20

#: ETSI TS 102 204 status codes (Laverca ``StatusCodes``/``ErrorCodes``) and their
#: meaning here. Four-digit sub-codes (2081, 4011, ...) map through their first three.
MSS_STATUS: Mapping[int, tuple[TxState, FailureReason | None, str]] = {
    100: (TxState.SUBMITTED, None, "REQUEST_OK"),
    500: (TxState.SIGNED, None, "SIGNATURE"),
    502: (TxState.SIGNED, None, "VALID_SIGNATURE"),
    504: (TxState.AWAITING_USER, None, "OUTSTANDING_TRANSACTION"),
    101: (TxState.FAILED, FailureReason.BAD_REQUEST, "WRONG_PARAM"),
    102: (TxState.FAILED, FailureReason.BAD_REQUEST, "MISSING_PARAM"),
    103: (TxState.FAILED, FailureReason.BAD_REQUEST, "WRONG_DATA_LENGTH"),
    104: (TxState.FAILED, FailureReason.CLIENT_AUTH, "UNAUTHORIZED_ACCESS"),
    105: (TxState.FAILED, FailureReason.UNKNOWN_USER, "UNKNOWN_CLIENT"),
    107: (TxState.FAILED, FailureReason.BAD_REQUEST, "INAPPROPRIATE_DATA"),
    108: (TxState.FAILED, FailureReason.BAD_REQUEST, "INCOMPATIBLE_INTERFACE"),
    109: (TxState.FAILED, FailureReason.BAD_REQUEST, "UNSUPPORTED_PROFILE"),
    208: (TxState.EXPIRED, FailureReason.PROVIDER_EXPIRED, "EXPIRED_TRANSACTION"),
    209: (TxState.FAILED, FailureReason.PROVIDER_ERROR, "OTA_ERROR"),
    401: (TxState.REJECTED, FailureReason.USER_REJECTED, "USER_CANCEL"),
    402: (TxState.FAILED, FailureReason.PIN_BLOCKED, "PIN_NR_BLOCKED"),
    403: (TxState.FAILED, FailureReason.CARD_BLOCKED, "CARD_BLOCKED"),
    404: (TxState.FAILED, FailureReason.NO_KEY, "NO_KEY_FOUND"),
    406: (TxState.FAILED, FailureReason.PROVIDER_ERROR, "PB_SIGNATURE_PROCESS"),
    407: (TxState.FAILED, FailureReason.PROVIDER_ERROR, "REGISTRATION_ERROR"),
    422: (TxState.FAILED, FailureReason.NO_KEY, "NO_CERT_FOUND"),
    501: (TxState.FAILED, FailureReason.CERTIFICATE_REVOKED, "REVOKED_CERTIFICATE"),
    503: (TxState.FAILED, FailureReason.PROVIDER_ERROR, "INVALID_SIGNATURE"),
    900: (TxState.FAILED, FailureReason.PROVIDER_ERROR, "INTERNAL_ERROR"),
}
_FAULT_CODE = re.compile(r"_(\d{3,4})\b")
# MSS_Registration success: 408 in the VGCA MSSP sample, 100/500 elsewhere
_REGISTRATION_OK = frozenset({"100", "408", "500", "502"})


@dataclass(frozen=True)
class MssSettings:
    """An Application Provider's account at an MSSP.

    ``service_url`` is the folder of the SOAP ports (``…/soap/services``);
    ``ap_password`` is secret (never persisted). ``certificates`` (PEM or DER,
    signer first or found by order) skips ``MSS_Registration``.
    """

    service_url: str
    ap_id: str
    ap_password: str = field(repr=False)
    mssp_id: str = "http://hmssp.mobile-id.vn"
    signature_profile: str = "http://mobile-id.vn/digitalSignature"
    mss_format: str = PKCS1_FORMAT
    certificates: bytes | None = field(default=None, repr=False)


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_soap(body: bytes) -> etree._Element:
    """The child of the SOAP ``Body`` (SOAP 1.2 or 1.1), parsed safely."""
    if len(body) > _MAX_XML:
        raise RemoteResponseError("the SOAP answer is too large")
    try:
        root = etree.fromstring(body, parser=_safe_parser())
    except etree.XMLSyntaxError as exc:
        raise RemoteResponseError(f"the SOAP answer is not well-formed XML: {exc}") from exc
    if root.getroottree().docinfo.doctype:
        raise RemoteResponseError("the SOAP answer carries a DOCTYPE; refused")
    for ns in (SOAP12_NS, SOAP11_NS):
        if root.tag == f"{{{ns}}}Envelope":
            bodies = root.findall(f"{{{ns}}}Body")
            children = [c for c in bodies[0] if isinstance(c.tag, str)] if len(bodies) == 1 else []
            if len(children) != 1:
                raise RemoteResponseError("the SOAP Body must hold exactly one element")
            return children[0]
    raise RemoteResponseError(f"not a SOAP envelope: <{root.tag}>")


class MssProvider(ProviderBase):
    """The ETSI TS 102 204 adapter (asynchronous client-server mode)."""

    def __init__(self, settings: MssSettings) -> None:
        self.config = settings
        self._capabilities = ProviderCapabilities(
            max_batch=1,
            value_encoding=ValueEncoding.BASE64,
            returns_item_ids=False,
            key_kinds=frozenset({KeyKind.RSA}),
        )

    @property
    def capabilities(self) -> ProviderCapabilities:
        """One RSA PKCS#1 v1.5 signature per request, base64."""
        return self._capabilities

    def settings(self) -> Mapping[str, str]:
        """Non-secret settings (no AP password)."""
        return {
            "kind": "mss",
            "service_url": self.config.service_url,
            "ap_id": self.config.ap_id,
            "mssp_id": self.config.mssp_id,
            "signature_profile": self.config.signature_profile,
            "mss_format": self.config.mss_format,
        }

    def _port(self, name: str) -> str:
        return f"{self.config.service_url.rstrip('/')}/{name}Port"

    # -- building requests ---------------------------------------------------------------

    def _message(self, operation: str, kind: str, ap_trans_id: str) -> etree._Element:
        envelope = etree.Element(
            f"{{{SOAP12_NS}}}Envelope", nsmap={"soap": SOAP12_NS, "mss": MSS_NS}
        )
        body = etree.SubElement(envelope, f"{{{SOAP12_NS}}}Body")
        wrapper = etree.SubElement(body, _M + operation)
        message = etree.SubElement(wrapper, _M + kind, MajorVersion="1", MinorVersion="1")
        etree.SubElement(
            message,
            _M + "AP_Info",
            AP_ID=self.config.ap_id,
            AP_PWD=self.config.ap_password,
            AP_TransID=ap_trans_id,
            Instant=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        mssp = etree.SubElement(etree.SubElement(message, _M + "MSSP_Info"), _M + "MSSP_ID")
        etree.SubElement(mssp, _M + "URI").text = self.config.mssp_id
        return message

    @staticmethod
    def _serialise(message: etree._Element) -> bytes:
        root = message.getroottree().getroot()
        return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))

    def signature_request(self, record: TransactionRecord, *, timeout: int) -> bytes:
        """``MSS_SignatureReq`` for the record's single digest."""
        if len(record.items) != 1:
            raise InputError("ETSI TS 102 204 signs one digest per request")
        item = record.items[0]
        digest_info = algos.DigestInfo(
            {"digest_algorithm": {"algorithm": item.hash_algorithm.value}, "digest": item.digest}
        ).dump()
        message = self._message("MSS_Signature", "MSS_SignatureReq", record.tx_id)
        message.set("MessagingMode", "asynchClientServer")
        message.set("TimeOut", str(max(timeout, 1)))
        user = etree.SubElement(message, _M + "MobileUser")
        etree.SubElement(user, _M + "MSISDN").text = record.user
        dtbs = etree.SubElement(
            message, _M + "DataToBeSigned", MimeType="application/octet-stream", Encoding="BASE64"
        )
        dtbs.text = b64(digest_info)
        dtbd = etree.SubElement(
            message, _M + "DataToBeDisplayed", MimeType="text/plain", Encoding="UTF-8"
        )
        dtbd.text = record.display_text
        profile = etree.SubElement(message, _M + "SignatureProfile")
        etree.SubElement(profile, _M + "mssURI").text = self.config.signature_profile
        fmt = etree.SubElement(message, _M + "MSS_Format")
        etree.SubElement(fmt, _M + "mssURI").text = self.config.mss_format
        return self._serialise(message)

    def status_request(self, record: TransactionRecord) -> bytes:
        """``MSS_StatusReq`` for the record's ``MSSP_TransID``."""
        if record.provider_tx_id is None:
            raise RemoteResponseError(f"transaction {record.tx_id} has no MSSP_TransID")
        message = self._message("MSS_StatusQuery", "MSS_StatusReq", f"q{secrets.token_hex(8)}")
        message.set("MSSP_TransID", record.provider_tx_id)
        return self._serialise(message)

    def registration_request(self, msisdn: str) -> bytes:
        """``MSS_RegistrationReq`` asking for the certificate of ``msisdn``."""
        message = self._message(
            "MSS_Registration", "MSS_RegistrationReq", f"r{secrets.token_hex(8)}"
        )
        user = etree.SubElement(message, _M + "MobileUser")
        etree.SubElement(user, _M + "MSISDN").text = msisdn
        return self._serialise(message)

    # -- reading answers -----------------------------------------------------------------

    def parse_answer(self, answer: HttpAnswer, expected: str) -> ProviderStatus:
        """An MSS answer or SOAP fault as a status."""
        if answer.status not in (200, 500):
            raise RemoteResponseError(f"the MSSP answered HTTP {answer.status}")
        element = _unwrap(parse_soap(answer.body))
        if element.tag in (f"{{{SOAP12_NS}}}Fault", f"{{{SOAP11_NS}}}Fault"):
            return _fault_status(element)
        if element.tag != _M + expected:
            raise RemoteResponseError(f"expected {expected}, got <{element.tag}>")
        code_el = element.find(f"{_M}Status/{_M}StatusCode")
        if code_el is None or not (code_el.get("Value") or "").isdigit():
            raise RemoteResponseError(f"{expected} without a numeric Status/StatusCode")
        code = int(code_el.get("Value") or 0)
        message = (element.findtext(f"{_M}Status/{_M}StatusMessage") or "").strip()
        trans_id = element.get("MSSP_TransID") or element.findtext(f"{_M}MSSP_TransID")
        state, failure, name = _status_for(code)
        values: tuple[ReturnedValue, ...] = ()
        if state is TxState.SIGNED:
            signature = element.findtext(f"{_M}MSS_Signature/{_M}Base64Signature")
            if signature is None:
                raise RemoteResponseError(f"status {code} without MSS_Signature/Base64Signature")
            values = (ReturnedValue(signature),)
        return ProviderStatus(
            state,
            provider_tx_id=trans_id.strip() if trans_id else None,
            values=values,
            failure=failure,
            code=str(code),
            message=message or name,
        )

    def parse_registration(self, msisdn: str, answer: HttpAnswer) -> RemoteAccount:
        """The certificates of an ``MSS_RegistrationResp``."""
        status = self.parse_answer(answer, "MSS_RegistrationResp")
        if status.code not in _REGISTRATION_OK:
            raise CredentialError(f"the MSSP has no certificate for {msisdn}: {status.message}")
        element = _unwrap(parse_soap(answer.body))
        values = [
            (e.text or "") for e in element.iter(_M + "X509Certificate") if isinstance(e.tag, str)
        ]
        signer, chain = certificates_from_base64(values, f"MSS_Registration of {msisdn}")
        return RemoteAccount(user=msisdn, certificate=signer, chain=chain, max_batch=1)

    # -- protocol steps ------------------------------------------------------------------

    async def _post(
        self, http: HttpClient, port: str, body: bytes, timeout: float | None
    ) -> HttpAnswer:
        return await http.post(
            self._port(port),
            body,
            content_type=f'application/soap+xml; charset=utf-8; action="{port}"',
            timeout=timeout,
        )

    async def async_fetch_account(self, http: HttpClient, user: str) -> RemoteAccount:
        """The configured certificates, else ``MSS_Registration``."""
        if self.config.certificates is not None:
            certs = load_certificates(self.config.certificates)
            return RemoteAccount(
                user=user, certificate=certs[0], chain=order_chain(certs[0], certs[1:]), max_batch=1
            )
        answer = await self._post(http, "MSS_Registration", self.registration_request(user), None)
        return self.parse_registration(user, answer)

    async def async_submit(
        self,
        http: HttpClient,
        record: TransactionRecord,
        account: RemoteAccount,
        *,
        timeout: float,
    ) -> ProviderStatus:
        """``MSS_Signature`` in asynchronous client-server mode."""
        body = self.signature_request(record, timeout=int(timeout))
        answer = await self._post(http, "MSS_Signature", body, timeout)
        status = self.parse_answer(answer, "MSS_SignatureResp")
        if status.state is TxState.SUBMITTED and not status.provider_tx_id:
            raise RemoteResponseError("REQUEST_OK without an MSSP_TransID")
        return status

    async def async_poll(
        self, http: HttpClient, record: TransactionRecord, *, timeout: float
    ) -> ProviderStatus:
        """``MSS_StatusQuery``."""
        answer = await self._post(http, "MSS_StatusQuery", self.status_request(record), timeout)
        return self.parse_answer(answer, "MSS_StatusResp")


def _unwrap(element: etree._Element) -> etree._Element:
    # document/literal wrapped: <MSS_SignatureResponse><MSS_SignatureResp …/></…>
    if etree.QName(element).localname.endswith("Response"):
        children = [c for c in element if isinstance(c.tag, str)]
        if len(children) != 1:
            raise RemoteResponseError(f"<{element.tag}> must hold exactly one message")
        return children[0]
    return element


def _status_for(code: int) -> tuple[TxState, FailureReason | None, str]:
    known = MSS_STATUS.get(code) or MSS_STATUS.get(int(str(code)[:3]))
    if known is None:
        return TxState.FAILED, FailureReason.PROVIDER_ERROR, f"status {code}"
    return known


def _fault_status(fault: etree._Element) -> ProviderStatus:
    texts = " ".join(t.strip() for t in fault.itertext() if t.strip())
    match = _FAULT_CODE.search(texts)
    if match is None:
        return ProviderStatus(
            TxState.FAILED,
            failure=FailureReason.PROVIDER_ERROR,
            message=f"SOAP fault: {texts[:200]}",
        )
    code = int(match.group(1))
    state, failure, name = _status_for(code)
    if state in (TxState.SIGNED, TxState.SUBMITTED, TxState.AWAITING_USER):
        state, failure = TxState.FAILED, FailureReason.PROVIDER_ERROR
    reason = fault.findtext(f"{{{SOAP12_NS}}}Reason/{{{SOAP12_NS}}}Text") or fault.findtext(
        "faultstring"
    )
    return ProviderStatus(
        state, failure=failure, code=str(code), message=(reason or name).strip()[:300]
    )
