"""Live OCSP, CRL/certificate repository and TSA servers on 127.0.0.1.

Three real HTTP servers (``http.server``), one per service, each in a daemon
thread. They are bound (so their URLs are known) before the test PKI issues its
certificates, and serve until :meth:`TestServices.stop`.
"""

from __future__ import annotations

import base64
import threading
import urllib.parse
from collections import Counter
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, ClassVar

from cryptography.hazmat.primitives import serialization

from vnsign.testing._ocsp import ocsp_response
from vnsign.testing._tsa import TimeStampAuthority

if TYPE_CHECKING:
    from vnsign.testing._pki import TestPKI

__all__ = ["Fault", "TestServices"]

_MAX_BODY = 1 << 20


class Fault(StrEnum):
    """Misbehaviour a service can be told to show, for timeout and error tests."""

    HANG = "hang"  #: accept the connection, never answer (until the fault is cleared)
    HTTP_500 = "http-500"  #: answer 500 Internal Server Error
    GARBAGE = "garbage"  #: answer 200 with bytes that are not the expected structure


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[_Handler], owner: TestServices):
        self.owner = owner
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    service: ClassVar[str]
    content_type: ClassVar[str] = "application/octet-stream"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""

    def do_GET(self) -> None:
        self._dispatch("GET", b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            self._send(413, b"request too large", "text/plain")
            return
        self._dispatch("POST", self.rfile.read(length))

    def _dispatch(self, method: str, body: bytes) -> None:
        owner = self.server.owner
        owner._count(self.service)
        fault = owner.faults.get(self.service)
        if fault is Fault.HANG:
            owner._stopping.wait(owner.hang_seconds)
            self.close_connection = True
            return
        if fault is Fault.HTTP_500:
            self._send(500, b"fault injected", "text/plain")
            return
        if fault is Fault.GARBAGE:
            self._send(200, b"\x30\x03\x02\x01", self.content_type)
            return
        try:
            self.handle_request(method, urllib.parse.unquote(self.path), body)
        except Exception as exc:  # noqa: BLE001 - a test server answers 500, it does not die
            owner.errors.append(exc)
            self._send(500, f"{type(exc).__name__}: {exc}".encode(), "text/plain")

    def handle_request(self, method: str, path: str, body: bytes) -> None:
        self._send(404, b"not found", "text/plain")  # pragma: no cover - subclasses override

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)


class _OCSPHandler(_Handler):
    service = "ocsp"
    content_type = "application/ocsp-response"

    def handle_request(self, method: str, path: str, body: bytes) -> None:
        if method == "GET":
            _, _, encoded = path.partition("/ocsp/")
            try:
                body = base64.b64decode(encoded, validate=False)
            except ValueError:
                body = b""
        pki = self.server.owner.pki
        self._send(200, ocsp_response(body, pki.cas), self.content_type)


class _RepositoryHandler(_Handler):
    service = "repository"

    def handle_request(self, method: str, path: str, body: bytes) -> None:
        pki = self.server.owner.pki
        folder, _, name = path.strip("/").partition("/")
        slug, dot, ext = name.rpartition(".")
        ca = next((c for c in pki.cas if c.slug == slug), None) if dot else None
        if method != "GET" or ca is None or (folder, ext) not in {("crl", "crl"), ("certs", "cer")}:
            self._send(404, b"not found", "text/plain")
        elif folder == "crl":
            self.server.owner._count("crl")
            der = ca.crl().public_bytes(serialization.Encoding.DER)
            self._send(200, der, "application/pkix-crl")
        else:
            der = ca.certificate.public_bytes(serialization.Encoding.DER)
            self._send(200, der, "application/pkix-cert")


class _TSAHandler(_Handler):
    service = "tsa"
    content_type = "application/timestamp-reply"

    def handle_request(self, method: str, path: str, body: bytes) -> None:
        tsa = self.server.owner.tsa
        if method != "POST" or tsa is None:
            self._send(405, b"POST a timestamp-query", "text/plain")
            return
        self._send(200, tsa.respond(body), self.content_type)


class TestServices:
    """The OCSP responder, CRL/certificate repository and TSA of a test PKI.

    ``faults`` maps a service name (``"ocsp"``, ``"repository"``, ``"tsa"``) to a
    :class:`Fault`; ``requests`` counts requests per service (``"crl"`` counts
    CRL downloads separately), for tests of caching; ``errors`` keeps the
    exceptions a handler raised (answered with HTTP 500).
    """

    __test__ = False

    def __init__(self, pki: TestPKI, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.pki = pki
        self.host = host
        self.tsa: TimeStampAuthority | None = None
        self.faults: dict[str, Fault] = {}
        self.hang_seconds = 60.0
        self.requests: Counter[str] = Counter()
        self.errors: list[Exception] = []
        self._log_lock = threading.Lock()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._servers: list[_Server] = []
        try:
            for offset, handler in enumerate((_OCSPHandler, _RepositoryHandler, _TSAHandler)):
                self._servers.append(_Server((host, port + offset if port else 0), handler, self))
        except OSError:
            self.stop()
            raise
        self._ocsp, self._repository, self._tsa = self._servers

    def _base(self, server: _Server) -> str:
        return f"http://{self.host}:{server.server_address[1]}"

    @property
    def ocsp_url(self) -> str:
        """The OCSP responder for every CA of the PKI."""
        return f"{self._base(self._ocsp)}/ocsp"

    def crl_url(self, slug: str) -> str:
        """The CRL distribution point of CA ``slug``."""
        return f"{self._base(self._repository)}/crl/{slug}.crl"

    def ca_issuers_url(self, slug: str) -> str:
        """Where CA ``slug``'s certificate is published (AIA caIssuers)."""
        return f"{self._base(self._repository)}/certs/{slug}.cer"

    @property
    def tsa_url(self) -> str:
        """The RFC 3161 time-stamping authority."""
        return f"{self._base(self._tsa)}/tsa"

    def urls(self) -> dict[str, str]:
        """Every service URL, by name."""
        return {
            "ocsp": self.ocsp_url,
            "tsa": self.tsa_url,
            **{f"crl:{ca.slug}": self.crl_url(ca.slug) for ca in self.pki.cas},
        }

    @property
    def running(self) -> bool:
        """Whether the servers are accepting requests."""
        return bool(self._threads) and not self._stopping.is_set()

    def start(self) -> None:
        """Start serving (idempotent)."""
        if self._threads or self._stopping.is_set():
            return
        self.tsa = TimeStampAuthority(self.pki.tsa)
        for server in self._servers:
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Stop serving and release the ports; hanging requests are let go."""
        self._stopping.set()
        if self._threads:  # shut the three loops down together, not one poll after another
            stoppers = [threading.Thread(target=s.shutdown) for s in self._servers]
            for stopper in stoppers:
                stopper.start()
            for stopper in stoppers:
                stopper.join(timeout=5)
        for server in self._servers:
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()

    def _count(self, service: str) -> None:
        with self._log_lock:
            self.requests[service] += 1
