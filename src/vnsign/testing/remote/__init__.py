"""A reference remote-signing gateway for tests: a real HTTP server on 127.0.0.1
that plays the provider (CSC v1/v2, ETSI TS 102 204, SmartCA-style) and the
users' phones, with scripted misbehaviour and a request log.

Start it with :class:`RemoteGateway` (or the pytest fixture
``vn_remote_gateway``, or ``vnsign testpki serve-remote``). Nothing in the
library imports this package.

The names below load on first use, so that the pytest plugin, which registers
the fixture from here, costs nothing in test runs that do not use it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vnsign.testing.remote._model import (
        Decision,
        GatewayUser,
        LoggedRequest,
        Misbehaviour,
        PhoneAction,
        Prompt,
    )
    from vnsign.testing.remote.gateway import RemoteGateway, mask_secrets
    from vnsign.testing.remote.phone import Phone

__all__ = [
    "Decision",
    "GatewayUser",
    "LoggedRequest",
    "Misbehaviour",
    "Phone",
    "PhoneAction",
    "Prompt",
    "RemoteGateway",
    "mask_secrets",
]

_HOMES = {
    "RemoteGateway": "gateway",
    "mask_secrets": "gateway",
    "Phone": "phone",
}


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{_HOMES.get(name, '_model')}")
    return getattr(module, name)
