"""The gateway's view of users, transactions and scripted misbehaviour."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum

from vnsign.pki.credentials import HashAlgorithm, SignatureScheme
from vnsign.testing._pki import TestIdentity

__all__ = [
    "Armed",
    "Decision",
    "GatewayTransaction",
    "GatewayUser",
    "LoggedRequest",
    "Misbehaviour",
    "PhoneAction",
    "Prompt",
]


class PhoneAction(StrEnum):
    """What the person does with a prompt."""

    APPROVE = "approve"
    REJECT = "reject"
    IGNORE = "ignore"  #: never answer: the transaction expires


class Decision(StrEnum):
    """Where a gateway transaction stands."""

    AWAITING_OTP = "awaiting_otp"  #: an OTP was sent; nothing to sign yet
    PENDING = "pending"  #: on the phone
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    FAILED = "failed"


class Misbehaviour(StrEnum):
    """Ways the gateway can misbehave, armed with :meth:`RemoteGateway.misbehave`.

    Value faults apply to the next transaction signed; transport faults to the
    next matching requests; callback faults to SmartCA webhooks.
    """

    # value faults
    WRONG_DIGEST = "wrong-digest"  #: a valid signature, over another digest
    WRONG_KEY = "wrong-key"  #: a valid signature, by another key
    WRONG_PADDING = "wrong-padding"  #: RSA PSS where PKCS#1 v1.5 was asked (or the reverse)
    P1363 = "p1363"  #: ECDSA ``r || s`` where DER is the convention
    GARBLED = "garbled"  #: characters outside base64
    TRUNCATED = "truncated"  #: the last byte missing
    MISSING_ITEM = "missing-item"  #: one signature fewer than digests
    EXTRA_ITEM = "extra-item"  #: one signature more
    REORDERED = "reordered"  #: the list reversed (ids, where there are ids, kept right)
    SWAPPED = "swapped"  #: the first two values exchanged between their items
    DUPLICATE_ID = "duplicate-id"  #: the second value carries the first one's id
    # transport faults
    DROP_AFTER_SUBMIT = "drop-after-submit"  #: act on the request, then drop the connection
    RATE_LIMIT = "rate-limit"  #: HTTP 429 with Retry-After (``value`` seconds)
    SLOW = "slow"  #: answer ``value`` seconds late
    HTTP_500 = "http-500"  #: HTTP 500 without acting
    MALFORMED = "malformed"  #: act, then answer with garbage
    # callback faults (SmartCA webhook)
    DUPLICATE_CALLBACK = "duplicate-callback"  #: deliver the webhook twice
    FORGED_CALLBACK = "forged-callback"  #: a fake "signed" webhook before the person answers

    @property
    def value_fault(self) -> bool:
        """Whether it changes the returned signature values."""
        return self in _VALUE_FAULTS

    @property
    def callback_fault(self) -> bool:
        """Whether it concerns webhooks."""
        return self in (Misbehaviour.DUPLICATE_CALLBACK, Misbehaviour.FORGED_CALLBACK)


_VALUE_FAULTS = frozenset(
    {
        Misbehaviour.WRONG_DIGEST,
        Misbehaviour.WRONG_KEY,
        Misbehaviour.WRONG_PADDING,
        Misbehaviour.P1363,
        Misbehaviour.GARBLED,
        Misbehaviour.TRUNCATED,
        Misbehaviour.MISSING_ITEM,
        Misbehaviour.EXTRA_ITEM,
        Misbehaviour.REORDERED,
        Misbehaviour.SWAPPED,
        Misbehaviour.DUPLICATE_ID,
    }
)


@dataclass
class Armed:
    """A misbehaviour waiting to happen ``remaining`` more times (``None``: always)."""

    misbehaviour: Misbehaviour
    remaining: int | None
    user: str | None = None
    operation: str | None = None
    value: float = 0.0

    def matches(self, user: str | None, operation: str | None) -> bool:
        """Whether it applies to a request of ``user`` doing ``operation``."""
        return (self.user is None or self.user == user) and (
            self.operation is None or self.operation == operation
        )


@dataclass(frozen=True, eq=False)
class GatewayUser:
    """A person with a signing key at the gateway, known by three ids: the
    SmartCA ``user_id`` (a CCCD number), the CSC ``credentialID`` and the MSISDN."""

    user_id: str
    credential_id: str
    msisdn: str
    identity: TestIdentity
    scal: int = 2
    auth_mode: str = "implicit"
    otp: bool = False
    pin: str | None = None
    multisign: int = 200
    extra_identities: tuple[TestIdentity, ...] = ()

    def matches(self, name: str) -> bool:
        """Whether ``name`` is one of this user's ids."""
        return name in (self.user_id, self.credential_id, self.msisdn)


@dataclass
class GatewayTransaction:
    """A signing request as the gateway sees it."""

    tx_id: str
    dialect: str
    user: GatewayUser
    items: list[tuple[str | None, bytes]]
    hash_algorithm: HashAlgorithm
    scheme: SignatureScheme
    display_text: str
    expires_at: float
    client_ref: str | None = None
    decision: Decision = Decision.PENDING
    misbehaviours: tuple[Misbehaviour, ...] = ()
    otp: str | None = None
    otp_attempts: int = 0
    ignored: bool = False
    created_at: float = field(default_factory=time.monotonic)
    decided_at: float | None = None  #: when the person answered (signatures made)
    signatures: list[tuple[str | None, str]] | None = None
    references: dict[str, str] = field(default_factory=dict)
    sign_later: bool = False  #: CSC v1: approved at authorize, signed at signHash

    @property
    def open(self) -> bool:
        """Whether the person can still answer."""
        return self.decision in (Decision.PENDING, Decision.AWAITING_OTP)


@dataclass(frozen=True)
class Prompt:
    """What the phone shows for a pending transaction."""

    tx_id: str
    dialect: str
    user_id: str
    display_text: str
    item_ids: tuple[str, ...]
    digests: tuple[str, ...]
    otp: str | None
    decision: Decision

    def as_json(self) -> dict[str, object]:
        """JSON form, for the HTTP phone API."""
        return {
            "tx_id": self.tx_id,
            "dialect": self.dialect,
            "user_id": self.user_id,
            "display_text": self.display_text,
            "item_ids": list(self.item_ids),
            "digests": list(self.digests),
            "otp": self.otp,
            "decision": self.decision.value,
        }


@dataclass(frozen=True)
class LoggedRequest:
    """One request the gateway received (secrets masked)."""

    at: float
    dialect: str
    operation: str
    path: str
    status: int
    body: str
    user: str | None = None
    tx_id: str | None = None

    def as_json(self) -> dict[str, object]:
        """JSON form, for ``GET /_control/requests``."""
        return {
            "at": self.at,
            "dialect": self.dialect,
            "operation": self.operation,
            "path": self.path,
            "status": self.status,
            "body": self.body,
            "user": self.user,
            "tx_id": self.tx_id,
        }
