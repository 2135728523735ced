"""Remote signing: a person confirms on a phone, a provider holds the key.

The engine (:class:`RemoteSigningEngine`) runs one state machine for every
provider (:mod:`~vnsign.pki.remote.states`), persists a secret-free record of
each transaction (:mod:`~vnsign.pki.remote.store`) and checks every returned
value against the certificate and the digest sent before it can be embedded
(:mod:`~vnsign.pki.remote.checks`). Providers are thin adapters
(:mod:`~vnsign.pki.remote.adapters`): CSC API v1.0.4/v2, ETSI TS 102 204 (SIM
PKI) and VNPT SmartCA-style REST.

Two ways to use it: deferred signing (:mod:`~vnsign.pki.remote.deferred_pdf`:
prepare, send the digest, finish later, even in another process) and live mode
(:class:`RemoteCredential`, a :class:`~vnsign.pki.credentials.Credential`
whose ``sign_digest`` waits for the phone).
"""

from vnsign.pki.remote.adapters import (
    CscProvider,
    CscSettings,
    MssProvider,
    MssSettings,
    SmartCAProvider,
    SmartCASettings,
    provider_from_settings,
)
from vnsign.pki.remote.callbacks import CallbackListener
from vnsign.pki.remote.checks import CheckFailure
from vnsign.pki.remote.credential import RemoteCredential
from vnsign.pki.remote.engine import RemoteSigningEngine
from vnsign.pki.remote.model import (
    DigestItem,
    RemoteAccount,
    TransactionRecord,
    WaitPolicy,
)
from vnsign.pki.remote.provider import RemoteProvider
from vnsign.pki.remote.states import FailureReason, TxState
from vnsign.pki.remote.store import JsonFileStore, MemoryStore, TransactionStore

__all__ = [
    "CallbackListener",
    "CheckFailure",
    "CscProvider",
    "CscSettings",
    "DigestItem",
    "FailureReason",
    "JsonFileStore",
    "MemoryStore",
    "MssProvider",
    "MssSettings",
    "RemoteAccount",
    "RemoteCredential",
    "RemoteProvider",
    "RemoteSigningEngine",
    "SmartCAProvider",
    "SmartCASettings",
    "TransactionRecord",
    "TransactionStore",
    "TxState",
    "WaitPolicy",
    "provider_from_settings",
]
