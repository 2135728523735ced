"""The gateway's HTTP control API: the phone (``/_phone``) and the test
harness (``/_control``).

* ``GET /_phone/pending`` — prompts waiting for an answer
* ``POST /_phone/{tx}/approve`` | ``/reject`` | ``/ignore``
* ``GET /_phone/otp/{user}`` — the newest OTP SMS of a user
* ``GET /_control/requests`` — the request log (secrets masked)
* ``GET /_control/users`` — users with their ids and certificates (PEM)
* ``POST /_control/misbehave`` — ``{"misbehaviour", "times", "user", "operation", "value"}``
* ``POST /_control/reset``
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from vnsign.testing.remote._http import Exchange, Reply, json_reply
from vnsign.testing.remote._model import Misbehaviour, PhoneAction

if TYPE_CHECKING:
    from vnsign.testing.remote.gateway import RemoteGateway

__all__ = ["ControlFront"]


class ControlFront:
    """Phone and test-harness endpoints."""

    def __init__(self, gateway: RemoteGateway) -> None:
        self.gateway = gateway

    def classify(self, exchange: Exchange) -> None:
        """Control requests are not provider traffic."""
        exchange.operation = "control"

    def handle(self, exchange: Exchange) -> Reply:
        """Answer one control request."""
        parts = exchange.path.split("?", 1)[0].strip("/").split("/")
        gateway = self.gateway
        try:
            if parts == ["_phone", "pending"]:
                return json_reply(200, [p.as_json() for p in gateway.phone.pending()])
            if len(parts) == 3 and parts[:2] == ["_phone", "otp"]:
                return json_reply(200, {"otp": gateway.phone.otp(parts[2])})
            if len(parts) == 3 and parts[0] == "_phone" and exchange.method == "POST":
                tx = gateway.decide(parts[1], PhoneAction(parts[2]))
                return json_reply(200, gateway.prompt_of(tx).as_json())
            if parts == ["_control", "requests"]:
                return json_reply(200, [r.as_json() for r in gateway.requests])
            if parts == ["_control", "users"]:
                return json_reply(
                    200,
                    [
                        {
                            "user_id": u.user_id,
                            "credential_id": u.credential_id,
                            "msisdn": u.msisdn,
                            "subject": u.identity.certificate.subject.rfc4514_string(),
                            "otp": u.otp,
                            "certificate_pem": u.identity.chain_pem.decode(),
                        }
                        for u in gateway.users
                    ],
                )
            if parts == ["_control", "misbehave"] and exchange.method == "POST":
                spec = json.loads(exchange.body or b"{}")
                gateway.misbehave(
                    Misbehaviour(spec["misbehaviour"]),
                    times=spec.get("times", 1),
                    user=spec.get("user"),
                    operation=spec.get("operation"),
                    value=float(spec.get("value", 0.0)),
                )
                return json_reply(200, {"armed": spec["misbehaviour"]})
            if parts == ["_control", "reset"] and exchange.method == "POST":
                gateway.reset()
                return json_reply(200, {"reset": True})
        except (KeyError, LookupError) as exc:
            return json_reply(404, {"error": str(exc)})
        except ValueError as exc:
            return json_reply(400, {"error": str(exc)})
        return json_reply(404, {"error": f"no control endpoint {exchange.path}"})
