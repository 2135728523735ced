"""The values the remote-signing engine and its provider adapters exchange.

All frozen: a transaction record changes by making a new record
(:meth:`TransactionRecord.evolve`), which is what gets persisted.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from vnsign.errors import (
    RemoteExpiredError,
    RemoteRejectedError,
    RemoteResponseError,
    RemoteSigningError,
)
from vnsign.pki.credentials import HashAlgorithm, KeyKind, SignatureScheme
from vnsign.pki.remote.states import FailureReason, TxState

__all__ = [
    "Attachment",
    "DigestItem",
    "EcdsaFormat",
    "ProviderCapabilities",
    "ProviderStatus",
    "RemoteAccount",
    "ReturnedValue",
    "SignatureMechanism",
    "StateChange",
    "TransactionRecord",
    "ValueEncoding",
    "VerifiedSignature",
    "WaitPolicy",
]


class ValueEncoding(enum.StrEnum):
    """How a provider writes signature values on the wire."""

    BASE64 = "base64"
    HEX = "hex"


class EcdsaFormat(enum.StrEnum):
    """How a provider returns ECDSA signatures."""

    DER = "der"  #: ``ECDSA-Sig-Value`` as CMS carries it
    P1363 = "p1363"  #: ``r || s``, as XMLDSig and some HSMs produce


@dataclass(frozen=True)
class DigestItem:
    """One digest to have signed: a PDF's CMS signed attributes, an XML
    ``SignedInfo``, or any other data, already hashed locally.

    ``item_id`` is stable and unique within a transaction (SmartCA ``doc_id``);
    ``label`` is what the person sees for it (document number or title).
    """

    item_id: str
    label: str
    digest: bytes
    hash_algorithm: HashAlgorithm = HashAlgorithm.SHA256
    kind: str = "digest"


@dataclass(frozen=True)
class SignatureMechanism:
    """Hash, key type and (for RSA) padding of the signatures asked for."""

    hash_algorithm: HashAlgorithm
    key_kind: KeyKind
    scheme: SignatureScheme = SignatureScheme.PKCS1V15

    def describe(self) -> str:
        """A short name such as ``sha256-rsa-pkcs1v15`` or ``sha256-ecdsa``."""
        if self.key_kind is KeyKind.ECDSA:
            return f"{self.hash_algorithm.value}-ecdsa"
        return f"{self.hash_algorithm.value}-rsa-{self.scheme.value}"


@dataclass(frozen=True, eq=False)
class RemoteAccount:
    """A signing credential held by a provider: what its user signs with.

    ``user`` is the identifier the provider knows the signer by (CSC credential
    id, MSISDN, CCCD); ``max_batch`` is how many digests one approval may cover.
    """

    user: str
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()
    max_batch: int = 1
    requires_otp: bool = False
    scal: int | None = None

    @property
    def key_kind(self) -> KeyKind:
        """RSA or ECDSA, from the certificate's public key."""
        key = self.certificate.public_key()
        if isinstance(key, rsa.RSAPublicKey):
            return KeyKind.RSA
        if isinstance(key, ec.EllipticCurvePublicKey):
            return KeyKind.ECDSA
        raise RemoteResponseError(
            f"the certificate of {self.user} has a {type(key).__name__}; "
            "vnsign signs with RSA or ECDSA"
        )

    @property
    def key_size(self) -> int:
        """Modulus size (RSA) or curve size (ECDSA), in bits."""
        key = self.certificate.public_key()
        if isinstance(key, rsa.RSAPublicKey):
            return key.key_size
        if isinstance(key, ec.EllipticCurvePublicKey):
            return key.curve.key_size
        raise RemoteResponseError(f"unsupported public key {type(key).__name__}")


@dataclass(frozen=True)
class ProviderCapabilities:
    """What an adapter's provider can do, and how it writes its answers."""

    max_batch: int
    value_encoding: ValueEncoding
    returns_item_ids: bool
    ecdsa_format: EcdsaFormat = EcdsaFormat.DER
    key_kinds: frozenset[KeyKind] = frozenset({KeyKind.RSA, KeyKind.ECDSA})
    schemes: frozenset[SignatureScheme] = frozenset({SignatureScheme.PKCS1V15})
    supports_callbacks: bool = False
    can_reconcile: bool = False
    min_poll_interval: float = 0.0


@dataclass(frozen=True)
class ReturnedValue:
    """A signature value exactly as the provider wrote it (still encoded).

    ``item_id`` is set when the provider names the item (SmartCA ``doc_id``);
    order-based providers (CSC, ETSI 204) leave it ``None``.
    """

    value: str
    item_id: str | None = None


@dataclass(frozen=True)
class ProviderStatus:
    """What one provider call said about a transaction."""

    state: TxState
    provider_tx_id: str | None = None
    values: tuple[ReturnedValue, ...] = ()
    failure: FailureReason | None = None
    code: str | None = None
    message: str = ""
    expires_at: datetime | None = None
    references: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class VerifiedSignature:
    """A returned value that passed every check, normalised for embedding
    (RSA: raw; ECDSA: DER)."""

    item_id: str
    value: bytes


@dataclass(frozen=True)
class StateChange:
    """One line of a transaction's history."""

    at: datetime
    state: TxState
    note: str = ""


@dataclass(frozen=True)
class Attachment:
    """Something waiting on a transaction, such as a prepared PDF to finish:
    ``kind`` says who handles it, ``path`` where its (secret-free) state is."""

    kind: str
    item_id: str
    path: str


@dataclass(frozen=True, eq=False)
class TransactionRecord:
    """Everything needed to resume a remote signing transaction, and nothing
    secret: no PIN, OTP, password, access token or SAD is ever part of it.

    ``provider`` holds the adapter's non-secret settings (kind, service URL, AP
    or SP identifiers), so a new process can rebuild the adapter once it is
    given the secrets again.
    """

    tx_id: str
    provider: Mapping[str, str]
    user: str
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    mechanism: SignatureMechanism
    display_text: str
    items: tuple[DigestItem, ...]
    state: TxState
    created_at: datetime
    deadline: datetime
    submit_started_at: datetime | None = None
    provider_tx_id: str | None = None
    provider_expires_at: datetime | None = None
    references: tuple[tuple[str, str], ...] = ()
    failure: FailureReason | None = None
    message: str = ""
    provider_code: str | None = None
    returned: tuple[ReturnedValue, ...] = ()
    signatures: tuple[VerifiedSignature, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    history: tuple[StateChange, ...] = field(default_factory=tuple)

    def evolve(self, **changes: Any) -> TransactionRecord:
        """A copy with ``changes`` applied."""
        return dataclasses.replace(self, **changes)

    @property
    def terminal(self) -> bool:
        """Whether the transaction is over."""
        return self.state.terminal

    @property
    def effective_deadline(self) -> datetime:
        """The earlier of our deadline and the provider's expiry, when known."""
        if self.provider_expires_at is not None and self.provider_expires_at < self.deadline:
            return self.provider_expires_at
        return self.deadline

    def reference(self, name: str) -> str | None:
        """A provider reference such as SmartCA's ``tran_code``."""
        return dict(self.references).get(name)

    def signature_for(self, item_id: str) -> bytes:
        """The verified value for ``item_id``; only COMPLETED transactions have them."""
        if self.state is not TxState.COMPLETED:
            raise RemoteSigningError(
                f"transaction {self.tx_id} is {self.state.value}, not completed: "
                "it has no verified signature to embed"
            )
        for sig in self.signatures:
            if sig.item_id == item_id:
                return sig.value
        raise RemoteSigningError(f"transaction {self.tx_id} has no item {item_id!r}")

    def raise_for_state(self) -> None:
        """Raise the matching :class:`~vnsign.errors.RemoteSigningError` unless COMPLETED."""
        if self.state is TxState.COMPLETED:
            return
        why = f"remote signing {self.tx_id} {self.state.value}"
        if self.message:
            why += f": {self.message}"
        if self.state is TxState.REJECTED:
            raise RemoteRejectedError(why)
        if self.state is TxState.EXPIRED:
            raise RemoteExpiredError(why)
        if self.state is TxState.INVALID:
            raise RemoteResponseError(why)
        raise RemoteSigningError(why)


@dataclass(frozen=True)
class WaitPolicy:
    """How the engine waits for the person.

    Polls start ``first_poll_after`` seconds after the submit, then every
    ``interval`` growing by ``backoff`` up to ``max_interval`` (the provider's
    minimum interval is respected). A callback wakes the loop for an immediate
    poll. ``max_transport_errors`` consecutive failed polls stop the wait with
    :class:`~vnsign.errors.NetworkError`, leaving the transaction resumable.
    """

    first_poll_after: float = 2.0
    interval: float = 2.0
    backoff: float = 1.5
    max_interval: float = 10.0
    http_timeout: float = 20.0
    max_transport_errors: int = 5
    timeout: float = 300.0  #: default deadline of a new transaction, in seconds
