"""The adapters against recorded request/response examples (``recorded/``),
written from the public specifications and provider documents quoted in
docs/remote-signing.md — not from our own gateway. Each adapter must build
requests of exactly the recorded shape and read the recorded answers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from vnsign.errors import InputError, RemoteResponseError
from vnsign.pki.credentials import HashAlgorithm, KeyKind, SignatureScheme
from vnsign.pki.remote import (
    CscProvider,
    CscSettings,
    DigestItem,
    FailureReason,
    MssProvider,
    MssSettings,
    RemoteAccount,
    SmartCAProvider,
    SmartCASettings,
    TxState,
)
from vnsign.pki.remote.checks import decode_value
from vnsign.pki.remote.http import HttpAnswer
from vnsign.pki.remote.model import (
    SignatureMechanism,
    StateChange,
    TransactionRecord,
    ValueEncoding,
)

RECORDED = Path(__file__).parent / "recorded"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "remote-signing.md"
TEXT = "Ký 2 văn bản: Quyết định 12/QĐ-UBND, Công văn 34/UBND-VP"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RECORDED / name).read_text(encoding="utf-8"))
    return data


def answer(name: str, status: int = 200) -> HttpAnswer:
    return HttpAnswer(status, (RECORDED / name).read_bytes(), "application/json")


def record_for(
    user: str, account: RemoteAccount, *, ids: tuple[str, str] = ("qd-12", "cv-34")
) -> TransactionRecord:
    import hashlib

    now = datetime(2024, 5, 3, 10, 15, tzinfo=UTC)
    items = (
        DigestItem(
            ids[0], "Quyết định 12/QĐ-UBND", hashlib.sha256(b"document 1").digest(), kind="pdf"
        ),
        DigestItem(
            ids[1], "Công văn 34/UBND-VP", hashlib.sha256(b"document 2").digest(), kind="xml"
        ),
    )
    return TransactionRecord(
        tx_id="tx-recorded-0001",
        provider={},
        user=user,
        certificate=account.certificate,
        chain=account.chain,
        mechanism=SignatureMechanism(HashAlgorithm.SHA256, KeyKind.RSA, SignatureScheme.PKCS1V15),
        display_text=TEXT,
        items=items,
        state=TxState.SUBMITTED,
        created_at=now,
        deadline=now + timedelta(minutes=5),
        history=(StateChange(now, TxState.CREATED),),
    )


# -- CSC v1.0.4 --------------------------------------------------------------------------


def test_csc_v1_credential_info_request_and_answer() -> None:
    csc = CscProvider(CscSettings("https://rssp.example.vn", access_token="t", pin="12345678"))
    assert csc.credential_info_request("GX0112348") == load("csc-v1/credentials_info.request.json")
    account = csc.parse_credential_info("GX0112348", load("csc-v1/credentials_info.response.json"))
    assert account.max_batch == 5
    assert account.requires_otp
    assert account.scal == 2
    assert "RECORDED EXAMPLE" in account.certificate.subject.rfc4514_string()
    assert len(account.chain) == 1
    implicit = csc.parse_credential_info(
        "GX1", load("csc-v1/credentials_info_implicit.response.json")
    )
    assert not implicit.requires_otp
    assert implicit.max_batch == 100


def test_csc_v1_authorize_and_sign_hash_requests() -> None:
    csc = CscProvider(CscSettings("https://rssp.example.vn", access_token="t", pin="12345678"))
    account = csc.parse_credential_info("GX0112348", load("csc-v1/credentials_info.response.json"))
    record = record_for("GX0112348", account)
    assert load("csc-v1/sendOTP.request.json") == {"credentialID": "GX0112348"}
    assert csc.authorize_request(record, otp="738496") == load("csc-v1/authorize.request.json")
    sad = load("csc-v1/authorize.response.json")["SAD"]
    # the credential lists only rsaEncryption: signAlgo names the key, hashAlgo the hash
    assert csc.sign_hash_request(record, sad) == load("csc-v1/signHash.request.json")


def test_csc_v1_answers() -> None:
    csc = CscProvider(CscSettings("https://rssp.example.vn"))
    signed = csc.parse_sign_answer(answer("csc-v1/signHash.response.json"))
    assert signed.state is TxState.SIGNED
    assert [v.value for v in signed.values] == load("csc-v1/signHash.response.json")["signatures"]
    assert all(len(decode_value(v.value, ValueEncoding.BASE64)) == 256 for v in signed.values)
    refused = csc.parse_error(answer("csc-v1/error.invalid_request.response.json", 400))
    assert (refused.state, refused.failure) == (TxState.FAILED, FailureReason.BAD_REQUEST)
    assert refused.message == "Invalid parameter credentialID"
    declined = csc.parse_error(answer("csc-v1/error.access_denied.response.json", 400))
    assert (declined.state, declined.failure) == (TxState.REJECTED, FailureReason.USER_REJECTED)


# -- CSC v2 ------------------------------------------------------------------------------


def test_csc_v2_credential_info() -> None:
    csc = CscProvider(CscSettings("https://rssp.example.vn", api_version="v2"))
    assert csc.credential_info_request("GX0112348") == load("csc-v2/credentials_info.request.json")
    account = csc.parse_credential_info("GX0112348", load("csc-v2/credentials_info.response.json"))
    assert (account.max_batch, account.requires_otp, account.scal) == (50, False, 2)
    explicit = csc.parse_credential_info(
        "GX2", load("csc-v2/credentials_info_explicit.response.json")
    )
    assert explicit.requires_otp
    assert explicit.chain == ()


def test_csc_v2_asynchronous_requests_and_answers() -> None:
    csc = CscProvider(
        CscSettings(
            "https://rssp.example.vn",
            api_version="v2",
            operation_mode="A",
            validity_period_ms=600000,
        )
    )
    account = csc.parse_credential_info("GX0112348", load("csc-v2/credentials_info.response.json"))
    record = record_for("GX0112348", account)
    assert csc.authorize_request(record) == load("csc-v2/authorize.request.json")
    sad = load("csc-v2/authorize.response.json")["SAD"]
    assert csc.sign_hash_request(record, sad) == load("csc-v2/signHash.request.json")
    started = csc.parse_sign_answer(answer("csc-v2/signHash.async.response.json"))
    assert started.state is TxState.SUBMITTED
    assert started.provider_tx_id == "12345678-1234-1234-1234-1234567890ab"
    polled = record.evolve(provider_tx_id=started.provider_tx_id)
    assert csc.poll_request(polled) == load("csc-v2/signPolling.request.json")
    pending = csc.parse_sign_answer(answer("csc-v2/signPolling.pending.response.json", 202))
    assert pending.state is TxState.AWAITING_USER
    done = csc.parse_sign_answer(answer("csc-v2/signPolling.response.json"))
    assert done.state is TxState.SIGNED and len(done.values) == 2
    expired = csc.parse_sign_answer(answer("csc-v2/error.expired_token.response.json", 401))
    assert (expired.state, expired.failure) == (TxState.FAILED, FailureReason.CLIENT_AUTH)


def test_csc_refuses_a_mechanism_the_credential_does_not_list() -> None:
    csc = CscProvider(CscSettings("https://rssp.example.vn"))
    account = csc.parse_credential_info("GX0112348", load("csc-v1/credentials_info.response.json"))
    record = record_for("GX0112348", account)
    pss = record.evolve(
        mechanism=SignatureMechanism(HashAlgorithm.SHA256, KeyKind.RSA, SignatureScheme.PSS)
    )
    with pytest.raises(InputError, match="does not offer"):
        csc.sign_algorithm(pss)


# -- VNPT SmartCA ------------------------------------------------------------------------


def _smartca(**options: Any) -> SmartCAProvider:
    return SmartCAProvider(
        SmartCASettings(
            "https://rmgateway.vnptit.vn/sca/sp769",
            sp_id="4d00638b0a4a4b5f8e1c2c5e0c2b4a31",
            sp_password="sp-secret-example",
            **options,
        )
    )


def test_smartca_certificate_request_and_choice() -> None:
    smartca = _smartca(serial_number="5aac41cd8fa22b953640")
    request = smartca.certificate_request("001089000001")
    recorded = load("smartca/get_certificate.request.json")
    assert request["transaction_id"].startswith("cert-")  # fresh per call
    assert {**request, "transaction_id": "cert-0001"} == recorded
    account = smartca.parse_certificates(
        "001089000001", answer("smartca/get_certificate.response.json")
    )
    assert account.certificate.serial_number == 0x5AAC41CD8FA22B953640
    assert len(account.chain) == 1
    eseal = _smartca(service_type="ESEAL").parse_certificates(
        "001089000001", answer("smartca/get_certificate.response.json")
    )
    assert "Recorded Example CA" in eseal.certificate.subject.rfc4514_string()
    with pytest.raises(InputError, match="2 matching certificates"):
        _smartca().parse_certificates(
            "001089000001", answer("smartca/get_certificate.response.json")
        )


def test_smartca_sign_request_carries_every_document() -> None:
    smartca = _smartca(serial_number="5aac41cd8fa22b953640")
    account = smartca.parse_certificates(
        "001089000001", answer("smartca/get_certificate.response.json")
    )
    record = record_for("001089000001", account)
    request = smartca.sign_request(record, now=datetime(2024, 5, 3, 10, 15, tzinfo=UTC))
    assert request == load("smartca/sign.request.json")
    assert smartca.status_url(record).endswith("/v1/signatures/sign/tx-recorded-0001/status")


def test_smartca_answers() -> None:
    smartca = _smartca()
    waiting = smartca.parse_answer(answer("smartca/sign.response.json"))
    assert waiting.state is TxState.AWAITING_USER
    assert waiting.provider_tx_id == "tx-recorded-0001"
    assert dict(waiting.references)["tran_code"] == "8d4c2e1f-5a6b-4c7d-9e8f-0a1b2c3d4e5f"
    assert (
        smartca.parse_answer(answer("smartca/status.pending.response.json")).state
        is TxState.AWAITING_USER
    )
    done = smartca.parse_answer(answer("smartca/status.success.response.json"))
    assert done.state is TxState.SIGNED
    assert [v.item_id for v in done.values] == ["cv-34", "qd-12"]  # by id, in any order
    assert all(len(decode_value(v.value, ValueEncoding.BASE64)) == 256 for v in done.values)
    error = smartca.parse_answer(answer("smartca/status.error.response.json"))
    assert (error.state, error.failure) == (TxState.FAILED, FailureReason.CERTIFICATE_NOT_USABLE)
    hint = smartca.parse_callback((RECORDED / "smartca/webhook.json").read_bytes())
    assert hint is not None and hint.tx_id == "tx-recorded-0001"


# -- ETSI TS 102 204 ---------------------------------------------------------------------

_VOLATILE = {"Instant"}


def _shape(element: etree._Element, ignore: set[str]) -> tuple[Any, ...]:
    attributes = sorted((k, v) for k, v in element.attrib.items() if k not in ignore)
    children = [c for c in element if isinstance(c.tag, str)]
    return (
        element.tag,
        attributes,
        (element.text or "").strip(),
        [_shape(c, ignore) for c in children],
    )


def _same_xml(produced: bytes, recorded: str, ignore: set[str]) -> None:
    ours = etree.fromstring(produced)
    theirs = etree.fromstring((RECORDED / recorded).read_bytes())
    assert _shape(ours, ignore) == _shape(theirs, ignore)


def _mss() -> MssProvider:
    return MssProvider(
        MssSettings(
            "https://mpki.example.vn:18083/soap/services",
            ap_id="http://ap.example.vn",
            ap_password="ap-secret-example",
        )
    )


def _mss_record(provider: MssProvider) -> TransactionRecord:
    account = provider.parse_registration("84912345678", answer("mss/MSS_RegistrationResp.408.xml"))
    record = record_for("84912345678", account)
    first = record.items[0]
    return record.evolve(
        items=(DigestItem("qd-12", first.label, first.digest),),
        display_text="Ký văn bản: Quyết định 12/QĐ-UBND",
    )


def test_mss_requests_have_the_recorded_shape() -> None:
    mss = _mss()
    record = _mss_record(mss)
    _same_xml(mss.signature_request(record, timeout=300), "mss/MSS_SignatureReq.xml", _VOLATILE)
    polled = record.evolve(provider_tx_id="MSSPTRX0001")
    _same_xml(mss.status_request(polled), "mss/MSS_StatusReq.xml", _VOLATILE | {"AP_TransID"})
    _same_xml(
        mss.registration_request("84912345678"),
        "mss/MSS_RegistrationReq.xml",
        _VOLATILE | {"AP_TransID"},
    )


def test_mss_answers() -> None:
    mss = _mss()
    accepted = mss.parse_answer(answer("mss/MSS_SignatureResp.100.xml"), "MSS_SignatureResp")
    assert (accepted.state, accepted.provider_tx_id, accepted.code) == (
        TxState.SUBMITTED,
        "MSSPTRX0001",
        "100",
    )
    outstanding = mss.parse_answer(answer("mss/MSS_StatusResp.504.xml"), "MSS_StatusResp")
    assert outstanding.state is TxState.AWAITING_USER
    signed = mss.parse_answer(answer("mss/MSS_StatusResp.502.xml"), "MSS_StatusResp")
    assert signed.state is TxState.SIGNED
    assert len(decode_value(signed.values[0].value, ValueEncoding.BASE64)) == 256
    cancelled = mss.parse_answer(answer("mss/fault.401.soap12.xml", 500), "MSS_StatusResp")
    assert (cancelled.state, cancelled.code, cancelled.message) == (
        TxState.REJECTED,
        "401",
        "USER_CANCEL",
    )
    expired = mss.parse_answer(answer("mss/fault.208.soap11.xml", 500), "MSS_StatusResp")
    assert (expired.state, expired.code) == (TxState.EXPIRED, "208")
    unknown = mss.parse_answer(answer("mss/fault.105.soap12.xml", 500), "MSS_SignatureResp")
    assert (unknown.state, unknown.failure) == (TxState.FAILED, FailureReason.UNKNOWN_USER)
    account = mss.parse_registration("84912345678", answer("mss/MSS_RegistrationResp.408.xml"))
    assert account.certificate.serial_number == 0x5AAC41CD8FA22B953640
    with pytest.raises(RemoteResponseError):
        mss.parse_answer(answer("mss/MSS_StatusResp.504.xml"), "MSS_SignatureResp")


# -- the documentation shows every example -----------------------------------------------


def test_every_recorded_example_is_in_the_documentation() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for path in sorted(RECORDED.rglob("*.*")):
        name = path.relative_to(RECORDED).as_posix()
        assert name in text, f"docs/remote-signing.md does not show recorded/{name}"
