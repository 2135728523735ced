"""HTTP for provider adapters: one aiohttp session, bounded answers, and
errors that say whether a request may have reached the provider.

That last point decides between "nothing happened, try again" and UNKNOWN (a
prompt may be on the phone; never send again automatically): a refused
connection means the request never left; a timeout or a connection dropped
after sending means it may have been acted on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from vnsign._version import __version__
from vnsign.errors import NetworkError, NetworkTimeoutError, RemoteResponseError

__all__ = [
    "HttpAnswer",
    "HttpClient",
    "ProviderUnreachableError",
    "RateLimitedError",
    "TransportError",
    "TransportTimeoutError",
]

_USER_AGENT = f"vnsign/{__version__}"
MAX_ANSWER = 16 << 20  # a batch of signatures is far smaller; bounds hostile answers


class TransportError(NetworkError):
    """The provider could not be asked, or its answer was lost.

    ``maybe_delivered`` is ``True`` when the request may have reached the
    provider (timeout, connection dropped after sending).
    """

    def __init__(self, message: str, *, maybe_delivered: bool) -> None:
        super().__init__(message)
        self.maybe_delivered = maybe_delivered


class TransportTimeoutError(TransportError, NetworkTimeoutError):
    """No answer within the timeout; the request may have been delivered."""

    def __init__(self, message: str) -> None:
        super().__init__(message, maybe_delivered=True)


class ProviderUnreachableError(TransportError):
    """The connection was refused or could not be made: nothing was sent."""

    def __init__(self, message: str) -> None:
        super().__init__(message, maybe_delivered=False)


class RateLimitedError(NetworkError):
    """HTTP 429 (or 503 with ``Retry-After``): the provider refused to process
    the request now. Nothing was acted on, so sending it again is safe."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class HttpAnswer:
    """A provider's HTTP answer."""

    status: int
    body: bytes
    content_type: str

    def json(self) -> dict[str, Any]:
        """The body as a JSON object, or :class:`~vnsign.errors.RemoteResponseError`."""
        try:
            data = json.loads(self.body)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # bombs included
            raise RemoteResponseError(
                f"the provider answered HTTP {self.status} with something that is not JSON"
            ) from exc
        if not isinstance(data, dict):
            raise RemoteResponseError(
                f"the provider answered HTTP {self.status} with JSON that is not an object"
            )
        return data


class HttpClient:
    """An aiohttp session bound to the running event loop, made on first use.

    Connections are not reused between requests: a stale pooled connection
    would turn a never-sent submit into an ambiguous one.
    """

    def __init__(self, *, timeout: float = 20.0) -> None:
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(force_close=True, limit=32),
                headers={"User-Agent": _USER_AGENT},
            )
        return self._session

    async def post(
        self,
        url: str,
        body: bytes,
        *,
        content_type: str,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> HttpAnswer:
        """POST ``body``; rate limiting and transport failures raise, any
        other HTTP status is returned for the adapter to interpret."""
        limit = self.timeout if timeout is None else max(timeout, 0.05)
        all_headers = {"Content-Type": content_type, **(headers or {})}
        try:
            async with self._client().post(
                url,
                data=body,
                headers=all_headers,
                timeout=aiohttp.ClientTimeout(total=limit),
                allow_redirects=False,
            ) as response:
                if response.status == 429 or (
                    response.status == 503 and "Retry-After" in response.headers
                ):
                    raise RateLimitedError(
                        f"{url} asks to slow down (HTTP {response.status})",
                        _retry_after(response.headers.get("Retry-After")),
                    )
                data = bytearray()
                async for chunk in response.content.iter_chunked(1 << 16):
                    data += chunk
                    if len(data) > MAX_ANSWER:
                        raise RemoteResponseError(f"{url} answered more than {MAX_ANSWER} bytes")
                return HttpAnswer(
                    response.status, bytes(data), response.headers.get("Content-Type", "")
                )
        except TimeoutError as exc:
            raise TransportTimeoutError(f"{url} did not answer within {limit:.1f} s") from exc
        except aiohttp.ClientConnectorError as exc:
            raise ProviderUnreachableError(f"cannot connect to {url}: {exc}") from exc
        except aiohttp.ClientError as exc:
            raise TransportError(
                f"the connection to {url} failed: {exc or type(exc).__name__}",
                maybe_delivered=True,
            ) from exc

    async def post_json(
        self,
        url: str,
        payload: Mapping[str, Any],
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> HttpAnswer:
        """POST ``payload`` as JSON."""
        body = json.dumps(payload, ensure_ascii=False).encode()
        return await self.post(
            url, body, content_type="application/json", headers=headers, timeout=timeout
        )

    async def aclose(self) -> None:
        """Close the session (idempotent)."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


def _retry_after(value: str | None) -> float:
    try:
        return min(max(float(value or 1), 0.0), 3600.0)
    except ValueError:
        return 1.0  # an HTTP-date: wait a little rather than parse dates
