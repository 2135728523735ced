"""The gateway's ETSI TS 102 204 front (SOAP 1.2, asynchronous client-server).

``MSS_Signature`` → ``100 REQUEST_OK`` with an ``MSSP_TransID``;
``MSS_StatusQuery`` → ``504`` while pending, ``500 SIGNATURE`` with the value,
or a SOAP fault (``_401`` USER_CANCEL, ``_208`` EXPIRED_TRANSACTION, ...);
``MSS_Registration`` → the user's certificates (status 408, as the VGCA MSSP
sample treats it).
"""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import TYPE_CHECKING

from asn1crypto import algos
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from vnsign.errors import RemoteResponseError
from vnsign.pki.credentials import HashAlgorithm, SignatureScheme
from vnsign.pki.remote.adapters.mss import MSS_NS, SOAP12_NS, parse_soap
from vnsign.testing.remote._http import Exchange, Reply
from vnsign.testing.remote._model import Decision

if TYPE_CHECKING:
    from vnsign.testing.remote.gateway import RemoteGateway

__all__ = ["MssFront"]

_M = f"{{{MSS_NS}}}"
_CONTENT = "application/soap+xml; charset=utf-8"
_OPERATIONS = {
    "MSS_Signature": "submit",
    "MSS_StatusQuery": "poll",
    "MSS_Registration": "account",
}


def _envelope(element: etree._Element) -> bytes:
    envelope = etree.Element(f"{{{SOAP12_NS}}}Envelope", nsmap={"soap": SOAP12_NS, "mss": MSS_NS})
    etree.SubElement(envelope, f"{{{SOAP12_NS}}}Body").append(element)
    return bytes(etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"))


def fault(code: int, name: str, text: str) -> Reply:
    """A SOAP 1.2 fault carrying an ETSI status code as ``mss:_<code>``."""
    s = f"{{{SOAP12_NS}}}"
    element = etree.Element(s + "Fault", nsmap={"soap": SOAP12_NS, "mss": MSS_NS})
    code_el = etree.SubElement(element, s + "Code")
    sender = code >= 500 or code in (208, 209, 401, 402, 403, 404, 422)
    etree.SubElement(code_el, s + "Value").text = "soap:Receiver" if sender else "soap:Sender"
    sub = etree.SubElement(code_el, s + "Subcode")
    etree.SubElement(sub, s + "Value").text = f"mss:_{code}"
    reason = etree.SubElement(element, s + "Reason")
    text_el = etree.SubElement(reason, s + "Text")
    text_el.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
    text_el.text = name
    detail = etree.SubElement(element, s + "Detail")
    etree.SubElement(detail, _M + "detail").text = text
    return Reply(500, _envelope(element), _CONTENT)


class MssFront:
    """MSS_Signature, MSS_StatusQuery and MSS_Registration."""

    def __init__(self, gateway: RemoteGateway) -> None:
        self.gateway = gateway

    def _message(self, exchange: Exchange) -> tuple[str, etree._Element]:
        wrapper = parse_soap(exchange.body)
        operation = etree.QName(wrapper).localname
        children = [c for c in wrapper if isinstance(c.tag, str)]
        if len(children) != 1:
            raise RemoteResponseError(f"{operation} must hold one message")
        return operation, children[0]

    def classify(self, exchange: Exchange) -> None:
        """Name the operation and user."""
        operation, message = self._message(exchange)
        exchange.operation = _OPERATIONS.get(operation, "unknown")
        msisdn = message.findtext(f"{_M}MobileUser/{_M}MSISDN")
        user = self.gateway.user(msisdn)
        if user is None and operation == "MSS_StatusQuery":
            tx = self.gateway.transactions.get(message.get("MSSP_TransID") or "")
            user = tx.user if tx else None
        exchange.user = user.user_id if user else None

    def handle(self, exchange: Exchange) -> Reply:
        """Answer one SOAP request."""
        try:
            operation, message = self._message(exchange)
        except RemoteResponseError as exc:
            return fault(101, "WRONG_PARAM", str(exc))
        info = message.find(f"{_M}AP_Info")
        if (
            info is None
            or info.get("AP_ID") != self.gateway.ap_id
            or info.get("AP_PWD") != self.gateway.ap_password
        ):
            return fault(104, "UNAUTHORIZED_ACCESS", "unknown AP or wrong AP_PWD")
        if operation == "MSS_Signature":
            return self._signature(message, info, exchange)
        if operation == "MSS_StatusQuery":
            return self._status(message, exchange)
        if operation == "MSS_Registration":
            return self._registration(message)
        return fault(108, "INCOMPATIBLE_INTERFACE", f"unsupported operation {operation}")

    def _response(self, kind: str, trans_id: str | None) -> etree._Element:
        element = etree.Element(_M + kind, MajorVersion="1", MinorVersion="1")
        if trans_id:
            element.set("MSSP_TransID", trans_id)
        mssp = etree.SubElement(etree.SubElement(element, _M + "MSSP_Info"), _M + "MSSP_ID")
        etree.SubElement(mssp, _M + "URI").text = self.gateway.mssp_id
        return element

    @staticmethod
    def _status_element(parent: etree._Element, code: int, text: str) -> None:
        status = etree.SubElement(parent, _M + "Status")
        etree.SubElement(status, _M + "StatusCode", Value=str(code))
        etree.SubElement(status, _M + "StatusMessage").text = text

    def _signature(
        self, message: etree._Element, info: etree._Element, exchange: Exchange
    ) -> Reply:
        if message.get("MessagingMode") != "asynchClientServer":
            return fault(101, "WRONG_PARAM", "only asynchClientServer is offered")
        user = self.gateway.user(message.findtext(f"{_M}MobileUser/{_M}MSISDN"))
        if user is None:
            return fault(105, "UNKNOWN_CLIENT", "no such MSISDN")
        ap_trans_id = info.get("AP_TransID") or ""
        if any(t.client_ref == ap_trans_id for t in self.gateway.transactions.values()):
            return fault(101, "WRONG_PARAM", "AP_TransID already used")
        dtbs = message.findtext(f"{_M}DataToBeSigned") or ""
        try:
            digest_info = algos.DigestInfo.load(base64.b64decode(dtbs, validate=True), strict=True)
            algorithm = HashAlgorithm(digest_info["digest_algorithm"]["algorithm"].native)
            digest = digest_info["digest"].native
        except (binascii.Error, ValueError, TypeError) as exc:
            return fault(101, "WRONG_PARAM", f"DataToBeSigned is not a DigestInfo: {exc}")
        if len(digest) != algorithm.digest_size:
            return fault(103, "WRONG_DATA_LENGTH", "digest length")
        tx = self.gateway.new_transaction(
            "mss",
            user,
            [(None, digest)],
            algorithm,
            SignatureScheme.PKCS1V15,
            message.findtext(f"{_M}DataToBeDisplayed") or "",
            client_ref=ap_trans_id,
        )
        exchange.tx_id = tx.tx_id
        response = self._response("MSS_SignatureResp", tx.tx_id)
        self._status_element(response, 100, "REQUEST_OK")
        wrapper = etree.Element(_M + "MSS_SignatureResponse")
        wrapper.append(response)
        return Reply(200, _envelope(wrapper), _CONTENT)

    def _status(self, message: etree._Element, exchange: Exchange) -> Reply:
        tx = self.gateway.transactions.get(message.get("MSSP_TransID") or "")
        if tx is None or tx.dialect != "mss":
            return fault(101, "WRONG_PARAM", "unknown MSSP_TransID")
        exchange.tx_id = tx.tx_id
        decision = self.gateway.refresh(tx)
        if decision is Decision.REJECTED:
            return fault(401, "USER_CANCEL", "the user cancelled")
        if decision is Decision.EXPIRED:
            return fault(208, "EXPIRED_TRANSACTION", "the user did not answer in time")
        response = self._response("MSS_StatusResp", tx.tx_id)
        if decision is Decision.APPROVED and tx.signatures:
            user_el = etree.SubElement(response, _M + "MobileUser")
            etree.SubElement(user_el, _M + "MSISDN").text = tx.user.msisdn
            signature = etree.SubElement(response, _M + "MSS_Signature")
            etree.SubElement(signature, _M + "Base64Signature").text = tx.signatures[0][1]
            self._status_element(response, 500, "SIGNATURE")
        else:
            self._status_element(response, 504, "OUTSTANDING_TRANSACTION")
        wrapper = etree.Element(_M + "MSS_StatusQueryResponse")
        wrapper.append(response)
        return Reply(200, _envelope(wrapper), _CONTENT)

    def _registration(self, message: etree._Element) -> Reply:
        user = self.gateway.user(message.findtext(f"{_M}MobileUser/{_M}MSISDN"))
        if user is None:
            return fault(105, "UNKNOWN_CLIENT", "no such MSISDN")
        response = self._response("MSS_RegistrationResp", f"r{secrets.token_hex(6)}")
        self._status_element(response, 408, "REGISTRATION_OK")
        ident = user.identity
        holder = etree.SubElement(response, _M + "CertificateResponse")
        for cert in (ident.certificate, *ident.chain):
            etree.SubElement(holder, _M + "X509Certificate").text = base64.b64encode(
                cert.public_bytes(Encoding.DER)
            ).decode()
        wrapper = etree.Element(_M + "MSS_RegistrationResponse")
        wrapper.append(response)
        return Reply(200, _envelope(wrapper), _CONTENT)
