"""The users' phones: see prompts, approve, reject, ignore, read the OTP SMS."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from vnsign.testing.remote._model import (
    Decision,
    GatewayTransaction,
    GatewayUser,
    PhoneAction,
    Prompt,
)

if TYPE_CHECKING:
    from vnsign.testing.remote.gateway import RemoteGateway

__all__ = ["Phone"]


class Phone:
    """Every user's phone, as a Python API (the HTTP one is under ``/_phone``).

    Answer by hand (``wait_for_prompt`` then ``approve``) or script a user's
    answer to every future prompt (``script(user, PhoneAction.APPROVE, delay=0.1)``).
    """

    def __init__(self, gateway: RemoteGateway) -> None:
        self._gateway = gateway
        self.scripts: dict[str, tuple[PhoneAction, float]] = {}

    def pending(self, user: GatewayUser | str | None = None) -> list[Prompt]:
        """Prompts still waiting for an answer (or an OTP), oldest first."""
        gateway = self._gateway
        name = user.user_id if isinstance(user, GatewayUser) else user
        with gateway.changed:
            return [
                gateway.prompt_of(tx)
                for tx in gateway.transactions.values()
                if gateway.refresh(tx) in (Decision.PENDING, Decision.AWAITING_OTP)
                and (name is None or tx.user.user_id == name)
            ]

    def wait_for_prompt(
        self, user: GatewayUser | str | None = None, *, timeout: float = 5.0
    ) -> Prompt:
        """Block until a prompt for ``user`` is on the phone; ``TimeoutError`` otherwise."""
        end = time.monotonic() + timeout
        gateway = self._gateway
        with gateway.changed:
            while True:
                prompts = [p for p in self.pending(user) if p.decision is Decision.PENDING]
                if prompts:
                    return prompts[0]
                left = end - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no prompt for {user} within {timeout} s")
                gateway.changed.wait(timeout=min(left, 0.1))

    def _tx(self, tx_id: str | None, user: GatewayUser | str | None) -> str:
        if tx_id is not None:
            return tx_id
        prompts = [p for p in self.pending(user) if p.decision is Decision.PENDING]
        if len(prompts) != 1:
            raise LookupError(f"{len(prompts)} prompts are pending; name the transaction")
        return prompts[0].tx_id

    def approve(self, tx_id: str | None = None, *, user: GatewayUser | str | None = None) -> None:
        """The person confirms (the only pending prompt, unless ``tx_id`` is given)."""
        self._gateway.decide(self._tx(tx_id, user), PhoneAction.APPROVE)

    def reject(self, tx_id: str | None = None, *, user: GatewayUser | str | None = None) -> None:
        """The person declines."""
        self._gateway.decide(self._tx(tx_id, user), PhoneAction.REJECT)

    def ignore(self, tx_id: str | None = None, *, user: GatewayUser | str | None = None) -> None:
        """The person never answers: the transaction expires at its time."""
        self._gateway.decide(self._tx(tx_id, user), PhoneAction.IGNORE)

    def otp(self, user: GatewayUser | str | None = None) -> str:
        """The one-time password in the newest SMS to ``user``."""
        for prompt in reversed(self._gateway.prompts):
            if prompt.otp and (user is None or prompt.user_id in _names(user)):
                return prompt.otp
        raise LookupError(f"no OTP was sent to {user}")

    def script(self, user: GatewayUser | str, action: PhoneAction, *, delay: float = 0.0) -> None:
        """Answer every future prompt of ``user`` with ``action`` after ``delay`` seconds."""
        name = user.user_id if isinstance(user, GatewayUser) else user
        self.scripts[name] = (action, delay)

    def run_script(self, tx: GatewayTransaction) -> None:
        """Apply the user's script to a new prompt (called by the gateway)."""
        scripted = self.scripts.get(tx.user.user_id)
        if scripted is None:
            return
        action, delay = scripted
        if delay <= 0:
            self._gateway.decide(tx.tx_id, action)
            return
        timer = threading.Timer(delay, self._answer, args=(tx.tx_id, action))
        timer.daemon = True
        timer.start()

    def _answer(self, tx_id: str, action: PhoneAction) -> None:
        try:
            self._gateway.decide(tx_id, action)
        except Exception as exc:  # noqa: BLE001 - a timer thread must not die loudly
            self._gateway.errors.append(exc)


def _names(user: GatewayUser | str) -> tuple[str, ...]:
    if isinstance(user, GatewayUser):
        return (user.user_id, user.credential_id, user.msisdn)
    return (user,)
