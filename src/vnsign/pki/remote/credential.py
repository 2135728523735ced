"""Live mode: a remote signer as a :class:`~vnsign.pki.credentials.Credential`.

``sign_digest`` sends one digest, waits until the person has confirmed on the
phone (or the transaction ended otherwise) and returns the verified value, so a
:class:`RemoteCredential` plugs into any signer that takes a credential
(:class:`~vnsign.pki.signer.CredentialSigner` for PDF, the XML signer). Every
call is one prompt on the phone; for many documents with one confirmation use
deferred signing (:mod:`vnsign.pki.remote.deferred_pdf`) with a batch.
"""

from __future__ import annotations

import secrets

from cryptography import x509

from vnsign.pki.credentials import (
    HashAlgorithm,
    KeyKind,
    SignatureScheme,
    parse_hash_algorithm,
)
from vnsign.pki.remote._sync import run_sync
from vnsign.pki.remote.engine import OtpSource, RemoteSigningEngine
from vnsign.pki.remote.model import DigestItem, RemoteAccount

__all__ = ["RemoteCredential"]


class RemoteCredential:
    """A credential whose key is at a remote provider.

    Build it with :meth:`open` (or :meth:`async_open`), which fetches the
    certificate from the provider. ``display_text`` is what the phone shows;
    ``timeout`` bounds each wait, in seconds.
    """

    def __init__(
        self,
        engine: RemoteSigningEngine,
        account: RemoteAccount,
        *,
        display_text: str,
        timeout: float | None = None,
        otp_source: OtpSource | None = None,
    ) -> None:
        self.engine = engine
        self.account = account
        self.display_text = display_text
        self.timeout = timeout
        self.otp_source = otp_source
        self.last_tx_id: str | None = None

    @classmethod
    async def async_open(
        cls,
        engine: RemoteSigningEngine,
        user: str,
        *,
        display_text: str,
        timeout: float | None = None,
        otp_source: OtpSource | None = None,
    ) -> RemoteCredential:
        """Fetch ``user``'s certificate and make the credential."""
        account = await engine.async_account(user)
        return cls(
            engine, account, display_text=display_text, timeout=timeout, otp_source=otp_source
        )

    @classmethod
    def open(
        cls,
        engine: RemoteSigningEngine,
        user: str,
        *,
        display_text: str,
        timeout: float | None = None,
        otp_source: OtpSource | None = None,
    ) -> RemoteCredential:
        """Synchronous :meth:`async_open`."""
        account = engine.account(user)
        return cls(
            engine, account, display_text=display_text, timeout=timeout, otp_source=otp_source
        )

    @property
    def certificate(self) -> x509.Certificate:
        """The signer's certificate, as the provider gave it."""
        return self.account.certificate

    @property
    def chain(self) -> tuple[x509.Certificate, ...]:
        """Its issuers, nearest first."""
        return self.account.chain

    @property
    def key_kind(self) -> KeyKind:
        """RSA or ECDSA."""
        return self.account.key_kind

    @property
    def key_size(self) -> int:
        """Key size in bits."""
        return self.account.key_size

    async def async_sign_digest(
        self,
        digest: bytes,
        hash_algorithm: HashAlgorithm | str,
        *,
        scheme: SignatureScheme = SignatureScheme.PKCS1V15,
    ) -> bytes:
        """Have the person sign ``digest``; the verified value, or the
        :class:`~vnsign.errors.RemoteSigningError` that says why not."""
        algorithm = parse_hash_algorithm(hash_algorithm)
        item = DigestItem(f"d-{secrets.token_hex(4)}", self.display_text[:80], digest, algorithm)
        record = await self.engine.async_sign(
            self.account.user,
            [item],
            display_text=self.display_text,
            scheme=scheme,
            timeout=self.timeout,
            otp_source=self.otp_source,
        )
        self.last_tx_id = record.tx_id
        record.raise_for_state()
        return record.signature_for(item.item_id)

    def sign_digest(
        self,
        digest: bytes,
        hash_algorithm: HashAlgorithm | str,
        *,
        scheme: SignatureScheme = SignatureScheme.PKCS1V15,
    ) -> bytes:
        """Synchronous :meth:`async_sign_digest`: blocks until the phone answered.
        Safe to call from inside an event loop (it then runs on its own thread)."""

        async def once() -> bytes:
            try:
                return await self.async_sign_digest(digest, hash_algorithm, scheme=scheme)
            finally:
                await self.engine.aclose()  # the private loop ends with this call

        return run_sync(once())
