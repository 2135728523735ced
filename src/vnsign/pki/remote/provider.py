"""The adapter protocol: what a remote-signing provider must offer the engine.

Adapters are thin: wire format and status mapping only. Each method makes the
HTTP calls of one protocol step and says what the provider answered, as a
:class:`~vnsign.pki.remote.model.ProviderStatus`. Waiting, deadlines, batching
limits, persistence and every check on the returned values are the engine's.

Adapters raise :class:`~vnsign.pki.remote.http.TransportError` (and
``RateLimitedError``) from the HTTP client untouched, and
:class:`~vnsign.errors.RemoteResponseError` for answers they cannot read.
A business refusal (unknown user, blocked PIN, user declined) is a status, not
an exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from vnsign.errors import RemoteSigningError
from vnsign.pki.remote.http import HttpClient
from vnsign.pki.remote.model import (
    ProviderCapabilities,
    ProviderStatus,
    RemoteAccount,
    TransactionRecord,
)

__all__ = ["CallbackHint", "RemoteProvider"]


@dataclass(frozen=True)
class CallbackHint:
    """Which transaction a provider's callback (webhook) is about. Only ids: a
    callback is a hint to poll, never a source of signature values."""

    tx_id: str | None = None
    provider_tx_id: str | None = None


class RemoteProvider(Protocol):
    """A remote-signing provider, seen through one adapter."""

    @property
    def capabilities(self) -> ProviderCapabilities:
        """Limits and wire conventions of the provider."""
        ...

    def settings(self) -> Mapping[str, str]:
        """The adapter's non-secret settings, with ``kind``: persisted in each
        transaction record so another process can rebuild the adapter."""
        ...

    async def async_fetch_account(self, http: HttpClient, user: str) -> RemoteAccount:
        """The certificate, chain and limits of ``user``'s signing credential."""
        ...

    async def async_submit(
        self,
        http: HttpClient,
        record: TransactionRecord,
        account: RemoteAccount,
        *,
        timeout: float,
    ) -> ProviderStatus:
        """Send the signing request (the one call that may put a prompt on the phone)."""
        ...

    async def async_poll(
        self, http: HttpClient, record: TransactionRecord, *, timeout: float
    ) -> ProviderStatus:
        """Ask where a submitted transaction stands (idempotent)."""
        ...

    async def async_submit_otp(
        self, http: HttpClient, record: TransactionRecord, otp: str, *, timeout: float
    ) -> ProviderStatus:
        """Pass the one-time password the person received (AWAITING_OTP only)."""
        ...

    async def async_reconcile(
        self, http: HttpClient, record: TransactionRecord, *, timeout: float
    ) -> ProviderStatus | None:
        """Find out what became of a submit whose answer was lost, without
        sending it again; ``None`` when the protocol offers no way to ask."""
        ...

    def parse_callback(self, body: bytes) -> CallbackHint | None:
        """Which transaction a callback names; ``None`` if it is not one of ours."""
        ...


class ProviderBase:
    """Defaults for the optional steps of :class:`RemoteProvider`."""

    async def async_submit_otp(
        self, http: HttpClient, record: TransactionRecord, otp: str, *, timeout: float
    ) -> ProviderStatus:
        """Refuse: this provider has no OTP step."""
        raise RemoteSigningError(f"{type(self).__name__} has no one-time-password step")

    async def async_reconcile(
        self, http: HttpClient, record: TransactionRecord, *, timeout: float
    ) -> ProviderStatus | None:
        """No way to look a lost submit up."""
        return None

    def parse_callback(self, body: bytes) -> CallbackHint | None:
        """No callbacks."""
        return None
