"""Fixtures of the remote-signing tests (helpers live in ``_remote_helpers``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _remote_helpers import Remote

from vnsign.testing.remote import GatewayUser, PhoneAction, RemoteGateway


@pytest.fixture
def remote(vn_remote_gateway: RemoteGateway, tmp_path: Path) -> Iterator[Remote]:
    """The reference gateway (prompts expire after 2 s) and a JSON store; the
    gateway must not have failed on any request."""
    vn_remote_gateway.expiry = 2.0
    yield Remote(vn_remote_gateway, tmp_path / "store")
    assert vn_remote_gateway.errors == []


@pytest.fixture
def approving_user(remote: Remote) -> GatewayUser:
    """A user whose phone approves every prompt at once."""
    user = remote.gateway.add_user()
    remote.gateway.phone.script(user, PhoneAction.APPROVE, delay=0.02)
    return user
