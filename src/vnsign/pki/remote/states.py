"""The remote-signing transaction state machine.

::

    CREATED ──► SUBMITTED ──► AWAITING_USER ◄─► AWAITING_OTP
       │            │               │                 │
       │            └───────────────┴────────┬────────┘
       │                                     ▼
       │                                  SIGNED ──► COMPLETED   (values verified: safe to embed)
       │                                     └─────► INVALID     (a mandatory check failed)
       ├──► UNKNOWN (the answer to a submit or OTP was lost) ──► a live or terminal state
       └──► REJECTED / EXPIRED / CANCELLED / FAILED   (from any live state)

Terminal states never change again; a late result for a cancelled or expired
transaction is dropped.
"""

from __future__ import annotations

import enum

__all__ = [
    "LIVE_STATES",
    "TERMINAL_STATES",
    "FailureReason",
    "TxState",
    "can_move",
]


class TxState(enum.StrEnum):
    """Where a remote signing transaction stands."""

    CREATED = "created"  #: recorded locally; nothing has reached the provider yet
    SUBMITTED = "submitted"  #: the provider acknowledged the request
    AWAITING_USER = "awaiting_user"  #: a prompt is on the person's phone
    AWAITING_OTP = "awaiting_otp"  #: the provider waits for a one-time password from the caller
    SIGNED = "signed"  #: values received, not yet checked
    COMPLETED = "completed"  #: every value verified; safe to embed
    REJECTED = "rejected"  #: the person declined
    EXPIRED = "expired"  #: nobody confirmed before the provider's or our deadline
    CANCELLED = "cancelled"  #: cancelled locally; late results are dropped
    FAILED = "failed"  #: the provider refused or reported an error
    INVALID = "invalid"  #: a returned value failed a mandatory check; nothing embedded
    UNKNOWN = "unknown"  #: the submit's outcome was lost; never re-sent automatically

    @property
    def terminal(self) -> bool:
        """Whether the state is final."""
        return self in TERMINAL_STATES


TERMINAL_STATES = frozenset(
    {
        TxState.COMPLETED,
        TxState.REJECTED,
        TxState.EXPIRED,
        TxState.CANCELLED,
        TxState.FAILED,
        TxState.INVALID,
    }
)
LIVE_STATES = frozenset(TxState) - TERMINAL_STATES

_ENDINGS = frozenset({TxState.REJECTED, TxState.EXPIRED, TxState.CANCELLED, TxState.FAILED})
_WAITING = frozenset({TxState.SUBMITTED, TxState.AWAITING_USER, TxState.AWAITING_OTP})

_MOVES: dict[TxState, frozenset[TxState]] = {
    TxState.CREATED: _WAITING | _ENDINGS | {TxState.SIGNED, TxState.UNKNOWN},
    TxState.SUBMITTED: _WAITING | _ENDINGS | {TxState.SIGNED},
    TxState.AWAITING_USER: _WAITING | _ENDINGS | {TxState.SIGNED},
    TxState.AWAITING_OTP: _WAITING | _ENDINGS | {TxState.SIGNED, TxState.UNKNOWN},
    TxState.UNKNOWN: _WAITING | _ENDINGS | {TxState.SIGNED},
    # Once values are in hand only the checks decide; cancelling then would drop a
    # signature the person already gave, so it is not offered.
    TxState.SIGNED: frozenset({TxState.COMPLETED, TxState.INVALID}),
}


def can_move(current: TxState, new: TxState) -> bool:
    """Whether the state machine allows ``current`` → ``new`` (staying put is not a move)."""
    return new in _MOVES.get(current, frozenset())


class FailureReason(enum.StrEnum):
    """Why a transaction ended anywhere but COMPLETED."""

    USER_REJECTED = "user_rejected"
    PROVIDER_EXPIRED = "provider_expired"
    DEADLINE_PASSED = "deadline_passed"
    CANCELLED_LOCALLY = "cancelled_locally"
    PIN_BLOCKED = "pin_blocked"
    CARD_BLOCKED = "card_blocked"
    CERTIFICATE_REVOKED = "certificate_revoked"
    NO_KEY = "no_key"
    UNKNOWN_USER = "unknown_user"
    CLIENT_AUTH = "client_auth"
    BAD_REQUEST = "bad_request"
    RATE_LIMITED = "rate_limited"
    PROVIDER_ERROR = "provider_error"
    NOT_RECEIVED = "not_received"
    # mandatory checks (INVALID)
    COUNT_MISMATCH = "count_mismatch"
    ID_MISMATCH = "id_mismatch"
    BAD_ENCODING = "bad_encoding"
    SIGNATURE_MISMATCH = "signature_mismatch"
    CERTIFICATE_NOT_USABLE = "certificate_not_usable"
