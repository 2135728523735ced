"""The gateway's HTTP plumbing: one threaded server on 127.0.0.1, requests and
replies as plain values, transport faults applied around the handlers."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

__all__ = ["Exchange", "Front", "GatewayServer", "Reply", "json_reply"]

_MAX_BODY = 8 << 20


@dataclass(frozen=True)
class Reply:
    """An HTTP answer. ``drop`` closes the connection without answering."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    drop: bool = False


def json_reply(status: int, payload: Any, *headers: tuple[str, str]) -> Reply:
    """A JSON reply."""
    return Reply(status, json.dumps(payload, ensure_ascii=False).encode(), headers=headers)


@dataclass
class Exchange:
    """A request in flight, and what the handlers learnt about it (for the log
    and for matching misbehaviour)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    dialect: str = "control"
    operation: str = "unknown"
    user: str | None = None
    tx_id: str | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    def json(self) -> dict[str, Any]:
        """The body as a JSON object (``{}`` when empty); ``ValueError`` otherwise."""
        if not self.body.strip():
            return {}
        data = json.loads(self.body)
        if not isinstance(data, dict):
            raise ValueError("the body is not a JSON object")
        return data


class Front(Protocol):
    """One dialect of the gateway."""

    def classify(self, exchange: Exchange) -> None:
        """Fill in ``exchange.operation`` and ``exchange.user`` (may raise on bad input)."""
        ...

    def handle(self, exchange: Exchange) -> Reply:
        """Answer the request."""
        ...


class GatewayServer(ThreadingHTTPServer):
    """A threaded HTTP server handing every request to ``dispatch``."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        dispatch: Callable[[Exchange], Reply],
        on_error: Callable[[BaseException], None],
    ) -> None:
        self.dispatch = dispatch
        self.on_error = on_error
        super().__init__(address, _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that gave up (its timeout) is normal; anything else is recorded."""
        exc = sys.exc_info()[1]
        if exc is not None and not isinstance(exc, ConnectionError):
            self.on_error(exc)


class _Handler(BaseHTTPRequestHandler):
    server: GatewayServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""

    def do_GET(self) -> None:
        self._run(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            self._write(Reply(413, b"request too large", "text/plain"))
            return
        self._run(self.rfile.read(length))

    def _run(self, body: bytes) -> None:
        exchange = Exchange(
            self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
        )
        reply = self.server.dispatch(exchange)
        if reply.drop:
            self.close_connection = True
            return
        self._write(reply)

    def _write(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in reply.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)
