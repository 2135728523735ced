"""Running the engine's coroutines from synchronous code."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion and return its result.

    Inside a running event loop (pyHanko's synchronous API calls signers from
    one) the coroutine runs on a private loop in a worker thread, and the
    calling loop is blocked meanwhile, as a synchronous call must block.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="vnsign-remote") as pool:
        return pool.submit(asyncio.run, coro).result()
