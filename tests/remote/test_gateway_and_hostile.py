"""The gateway's HTTP control API and request log, and what the adapters do
with hostile answers from a provider that is not our gateway."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from _remote_helpers import FAST, Remote, items
from aiohttp import web

from vnsign.errors import NetworkError, RemoteResponseError
from vnsign.pki.remote import (
    JsonFileStore,
    MssProvider,
    RemoteAccount,
    RemoteSigningEngine,
    SmartCAProvider,
    SmartCASettings,
    TxState,
)
from vnsign.pki.remote.http import HttpAnswer, HttpClient
from vnsign.testing.remote import GatewayUser, mask_secrets


def _http(method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def test_the_phone_over_http(remote: Remote) -> None:
    user = remote.gateway.add_user()
    engine = remote.engine("smartca")
    record = engine.start(user.user_id, items(2), display_text="Ký hai văn bản")
    (prompt,) = _http("GET", f"{remote.gateway.url}/_phone/pending")
    assert prompt["display_text"] == "Ký hai văn bản"
    assert prompt["item_ids"] == ["doc-1", "doc-2"]
    assert prompt["digests"][0] == items(1)[0].digest.hex()
    answered = _http("POST", f"{remote.gateway.url}/_phone/{prompt['tx_id']}/approve", {})
    assert answered["decision"] == "approved"
    assert engine.wait(record.tx_id).state is TxState.COMPLETED
    assert _http("GET", f"{remote.gateway.url}/_phone/pending") == []


def test_misbehaviour_and_log_over_http(remote: Remote, approving_user: GatewayUser) -> None:
    url = remote.gateway.url
    _http(
        "POST",
        f"{url}/_control/misbehave",
        {"misbehaviour": "wrong-key", "user": approving_user.user_id},
    )
    record = remote.engine("smartca").sign(approving_user.user_id, items(1), display_text="Ký")
    assert record.state is TxState.INVALID
    log = _http("GET", f"{url}/_control/requests")
    assert [e["operation"] for e in log][:2] == ["account", "submit"]
    assert {e["operation"] for e in log[2:]} == {"poll"}
    assert sum(e["operation"] == "submit" for e in log) == 1
    users = _http("GET", f"{url}/_control/users")
    assert users[0]["certificate_pem"].startswith("-----BEGIN CERTIFICATE-----")
    _http("POST", f"{url}/_control/reset", {})
    assert _http("GET", f"{url}/_control/requests") == []
    with pytest.raises(urllib.error.HTTPError):
        _http("POST", f"{url}/_control/misbehave", {"misbehaviour": "no-such-thing"})


def test_secrets_never_reach_the_log_or_the_store(remote: Remote) -> None:
    gateway = remote.gateway
    for dialect, user in (
        ("smartca", gateway.add_user()),
        ("mss", gateway.add_user()),
        ("csc-v2", gateway.add_user(otp=True, pin="424242")),
    ):
        from _remote_helpers import name_for

        from vnsign.pki.remote import CscProvider, CscSettings
        from vnsign.testing.remote import PhoneAction

        gateway.phone.script(user, PhoneAction.APPROVE)
        if dialect == "csc-v2":
            engine = RemoteSigningEngine(
                CscProvider(
                    CscSettings(
                        gateway.url, api_version="v2", access_token=gateway.csc_token, pin="424242"
                    )
                ),
                remote.store,
                policy=FAST,
            )
            record = engine.sign(
                user.credential_id,
                items(1),
                display_text="Ký",
                otp_source=lambda r, user=user: gateway.phone.otp(user),
            )
        else:
            record = remote.engine(dialect).sign(
                name_for(user, dialect), items(1), display_text="Ký"
            )
        assert record.state is TxState.COMPLETED, (dialect, record.message)
    secrets = [
        gateway.sp_password,
        gateway.ap_password,
        gateway.csc_token,
        "424242",
        gateway.phone.otp(),
    ]
    logged = json.dumps([r.as_json() for r in gateway.requests])
    stored = "".join(p.read_text() for p in remote.store_dir.glob("*.json"))
    for secret in secrets:
        assert secret not in logged
        assert secret not in stored
    assert '"SAD"' not in stored and "SAD-" not in stored
    assert (
        mask_secrets(b'{"authData": [{"id": "PIN", "value": "1"}]}')
        == '{"authData": [{"id": "PIN", "value": "***"}]}'
    )


# -- hostile providers ---------------------------------------------------------------------


async def _hostile(
    routes: dict[str, Callable[[], web.StreamResponse]], run: Callable[[str], Any]
) -> Any:
    app = web.Application()
    for path, make in routes.items():
        app.router.add_post(path, _route(make))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        return await run(f"http://127.0.0.1:{port}")
    finally:
        await runner.cleanup()


def _route(make: Callable[[], web.StreamResponse]) -> Callable[[web.Request], Any]:
    async def answer(request: web.Request) -> web.StreamResponse:
        await request.read()
        return make()

    return answer


def _engine(url: str, account: RemoteAccount, tmp_path: Path) -> RemoteSigningEngine:
    engine = RemoteSigningEngine(
        SmartCAProvider(SmartCASettings(url, sp_id="sp", sp_password="pw")),
        JsonFileStore(tmp_path),
        policy=FAST,
    )
    engine._accounts[account.user] = account
    return engine


@pytest.fixture
def account(remote: Remote) -> RemoteAccount:
    ident = remote.gateway.pki.person
    return RemoteAccount("079100000009", ident.certificate, ident.chain, max_batch=10)


def _waiting() -> web.Response:
    return web.json_response(
        {
            "status_code": 200,
            "message": "sig_wait_for_user_confirm",
            "data": {"transaction_id": "x"},
        }
    )


@pytest.mark.parametrize(
    ("sign_answer", "state"),
    [
        (lambda: web.json_response([1, 2, 3]), TxState.UNKNOWN),
        (lambda: web.Response(body=b"\x00\xff<html>", content_type="text/html"), TxState.UNKNOWN),
        (
            lambda: web.json_response({"status_code": 200, "data": {"signatures": "AAAA"}}),
            TxState.UNKNOWN,
        ),
        (
            lambda: web.Response(body=b"[" * 200_000, content_type="application/json"),
            TxState.UNKNOWN,
        ),
        (
            lambda: web.json_response({"status_code": 401, "message": "SP_CREDENTIAL_INVALID"}),
            TxState.FAILED,
        ),
        # a bare 503 may come from a proxy after the provider acted: unknown, looked up later
        (lambda: web.Response(status=503, text="down"), TxState.UNKNOWN),
    ],
    ids=["json-array", "binary", "signatures-not-a-list", "deep-nesting", "refused", "http-503"],
)
def test_hostile_submit_answers(
    account: RemoteAccount, tmp_path: Path, sign_answer: Callable[[], web.Response], state: TxState
) -> None:
    async def run(url: str) -> Any:
        engine = _engine(url, account, tmp_path)
        try:
            return await engine.async_start(account.user, items(1), display_text="Ký", timeout=1)
        finally:
            await engine.aclose()

    record = asyncio.run(_hostile({"/v1/signatures/sign": sign_answer}, run))
    assert record.state is state


def test_signed_values_that_do_not_verify_are_invalid(
    account: RemoteAccount, tmp_path: Path
) -> None:
    forged = {
        "status_code": 200,
        "message": "SUCCESS",
        "data": {"signatures": [{"doc_id": "doc-1", "signature_value": "QUJD" * 86 + "QQ=="}]},
    }

    async def run(url: str) -> Any:
        engine = _engine(url, account, tmp_path)
        try:
            return await engine.async_sign(account.user, items(1), display_text="Ký", timeout=2)
        finally:
            await engine.aclose()

    record = asyncio.run(
        _hostile(
            {
                "/v1/signatures/sign": _waiting,
                "/v1/signatures/sign/{tx}/status": lambda: web.json_response(forged),
            },
            run,
        )
    )
    assert record.state is TxState.INVALID
    assert record.signatures == ()


def test_endless_garbage_on_polls_stops_with_an_error(
    account: RemoteAccount, tmp_path: Path
) -> None:
    async def run(url: str) -> Any:
        engine = _engine(url, account, tmp_path)
        try:
            record = await engine.async_start(account.user, items(1), display_text="Ký", timeout=5)
            with pytest.raises(NetworkError):
                await engine.async_wait(record.tx_id)
            return engine.status(record.tx_id)
        finally:
            await engine.aclose()

    record = asyncio.run(
        _hostile(
            {
                "/v1/signatures/sign": _waiting,
                "/v1/signatures/sign/{tx}/status": lambda: web.Response(
                    body=b"{", content_type="application/json"
                ),
            },
            run,
        )
    )
    assert record.state is TxState.AWAITING_USER  # resumable, nothing lost


def test_oversized_answers_are_refused(tmp_path: Path) -> None:
    async def run(url: str) -> Any:
        client = HttpClient(timeout=5)
        try:
            with pytest.raises(RemoteResponseError, match="more than"):
                await client.post_json(f"{url}/big", {})
        finally:
            await client.aclose()

    asyncio.run(_hostile({"/big": lambda: web.Response(body=b" " * (16 * 1024 * 1024 + 10))}, run))


def test_soap_with_entities_is_refused_without_reading_files(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    xxe = f"""<?xml version="1.0"?>
<!DOCTYPE e [<!ENTITY x SYSTEM "file://{secret}">]>
<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>
<MSS_StatusResp xmlns="http://uri.etsi.org/TS102204/v1.1.2#"><Status><StatusCode Value="504"/>
<StatusMessage>&x;</StatusMessage></Status></MSS_StatusResp></soap:Body></soap:Envelope>""".encode()
    provider = MssProvider.__new__(MssProvider)
    with pytest.raises(RemoteResponseError) as info:
        MssProvider.parse_answer(
            provider, HttpAnswer(200, xxe, "application/soap+xml"), "MSS_StatusResp"
        )
    assert "TOP-SECRET" not in str(info.value)
    bomb = b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><x>&b;</x>'
    with pytest.raises(RemoteResponseError):
        MssProvider.parse_answer(provider, HttpAnswer(200, bomb, "text/xml"), "MSS_StatusResp")
    for body in (b"<not-soap/>", b"<<<", b""):
        with pytest.raises(RemoteResponseError):
            MssProvider.parse_answer(provider, HttpAnswer(200, body, "text/xml"), "MSS_StatusResp")
