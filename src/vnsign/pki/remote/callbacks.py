"""Receiving provider callbacks (webhooks) over HTTP.

A callback is only a hint: the listener acknowledges it at once and lets the
engine poll the provider (:meth:`RemoteSigningEngine.async_on_callback`). What
the callback itself claims, signatures included, is never used, so a forged,
repeated or late callback cannot complete or change a transaction.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from vnsign.pki.remote.engine import RemoteSigningEngine

__all__ = ["CallbackListener"]

_MAX_CALLBACK = 1 << 20


class CallbackListener:
    """An aiohttp server that forwards ``POST {path}`` bodies to ``engine``.

    ::

        async with CallbackListener(engine, port=8089) as listener:
            ...  # register listener.url with the provider
    """

    def __init__(
        self,
        engine: RemoteSigningEngine,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        path: str = "/vnsign/callback",
    ) -> None:
        self.engine = engine
        self.host = host
        self.port = port
        self.path = path
        self.received = 0
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[object]] = set()

    @property
    def url(self) -> str:
        """Where the provider should send callbacks (after :meth:`start`)."""
        return f"http://{self.host}:{self.port}{self.path}"

    async def start(self) -> str:
        """Listen; returns :attr:`url`."""
        app = web.Application(client_max_size=_MAX_CALLBACK)
        app.router.add_post(self.path, self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server  # aiohttp gives no public accessor for the bound port
        sockets = list(getattr(server, "sockets", None) or [])
        if self.port == 0 and sockets:
            self.port = int(sockets[0].getsockname()[1])
        return self.url

    async def _receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.received += 1
        task: asyncio.Task[object] = asyncio.create_task(self.engine.async_on_callback(body))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.json_response({"status_code": 200, "message": "received"})

    async def stop(self) -> None:
        """Stop listening and let pending hint polls finish."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> CallbackListener:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
