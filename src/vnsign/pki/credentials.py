"""Signing credentials: a certificate chain plus something that signs a digest.

Every format signs through the same small protocol, :class:`Credential`. The
key may be in memory (:class:`KeyCredential`, from PKCS#12 or PEM, parsed once
and reused for every document), on a PKCS#11 token
(:class:`vnsign.pki.pkcs11.TokenCredential`) or behind a remote signing service.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.hazmat.primitives.serialization import pkcs12

from vnsign.errors import (
    CertificateNotUsableError,
    CredentialError,
    CredentialLockedError,
    CredentialNotFoundError,
    InputError,
    SigningError,
)
from vnsign.pki.certificates import load_certificates

__all__ = [
    "Credential",
    "HashAlgorithm",
    "KeyCredential",
    "KeyKind",
    "SignatureScheme",
    "check_signing_certificate",
    "load_credential",
    "order_chain",
    "parse_hash_algorithm",
]


class HashAlgorithm(enum.StrEnum):
    """Digest algorithms vnsign signs with. SHA-1 is not among them: STD-TT15-CRYPTO
    does not list it, so it is only ever *verified* (old documents)."""

    SHA256 = "sha256"
    SHA384 = "sha384"
    SHA512 = "sha512"

    @property
    def cryptography(self) -> hashes.SHA256 | hashes.SHA384 | hashes.SHA512:
        """The matching ``cryptography`` hash object."""
        return _CRYPTOGRAPHY_HASHES[self.value]

    @property
    def digest_size(self) -> int:
        """Digest length in bytes."""
        return self.cryptography.digest_size


_CRYPTOGRAPHY_HASHES: dict[str, hashes.SHA256 | hashes.SHA384 | hashes.SHA512] = {
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}


class KeyKind(enum.StrEnum):
    """The kind of key behind a credential."""

    RSA = "rsa"
    ECDSA = "ecdsa"


class SignatureScheme(enum.StrEnum):
    """How an RSA key signs. ECDSA keys ignore this."""

    PKCS1V15 = "pkcs1v15"  #: RSASSA-PKCS1-v1_5, what Vietnamese CAs and documents use in practice
    PSS = "pss"  #: RSASSA-PSS (salt length = digest length), what STD-TT15-CRYPTO names


@runtime_checkable
class Credential(Protocol):
    """A signer certificate, its issuers, and a key that signs digests.

    ``sign_digest`` returns, for RSA, the raw signature; for ECDSA, the DER
    ``ECDSA-Sig-Value`` (as CMS carries it; XMLDSig converts it to ``r || s``).
    It raises :class:`~vnsign.errors.CertificateNotUsableError` when the
    certificate is expired, not yet valid or not meant for signing (unless the
    credential was made with ``allow_unusable=True``).
    """

    @property
    def certificate(self) -> x509.Certificate:
        """The signer's certificate."""
        ...

    @property
    def chain(self) -> tuple[x509.Certificate, ...]:
        """The issuers of :attr:`certificate`, nearest first (possibly empty)."""
        ...

    @property
    def key_kind(self) -> KeyKind:
        """RSA or ECDSA."""
        ...

    @property
    def key_size(self) -> int:
        """Key size in bits (curve size for ECDSA)."""
        ...

    def sign_digest(
        self,
        digest: bytes,
        hash_algorithm: HashAlgorithm | str,
        *,
        scheme: SignatureScheme = SignatureScheme.PKCS1V15,
    ) -> bytes:
        """Sign ``digest``, the output of ``hash_algorithm`` over the data to sign."""
        ...


def check_signing_certificate(cert: x509.Certificate, at: datetime | None = None) -> None:
    """Refuse a certificate that cannot make a valid signature at ``at`` (default:
    now): expired, not yet valid, or whose key usage allows neither
    digitalSignature nor nonRepudiation (TT15-SIGN-PRECHECK)."""
    at = at or datetime.now(UTC)
    subject = cert.subject.rfc4514_string()
    if at < cert.not_valid_before_utc:
        raise CertificateNotUsableError(
            f"certificate of {subject} is not valid until "
            f"{cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC"
        )
    if at > cert.not_valid_after_utc:
        raise CertificateNotUsableError(
            f"certificate of {subject} expired on {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC"
        )
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return
    except ValueError as exc:
        raise CertificateNotUsableError(
            f"certificate of {subject} has a broken key usage: {exc}"
        ) from exc
    if not (usage.digital_signature or usage.content_commitment):
        raise CertificateNotUsableError(
            f"certificate of {subject} is not for signing: its key usage has neither "
            "digitalSignature nor nonRepudiation"
        )


def parse_hash_algorithm(value: HashAlgorithm | str) -> HashAlgorithm:
    """``value`` as a :class:`HashAlgorithm`, with a clear error for SHA-1 and unknowns."""
    try:
        return HashAlgorithm(str(value).lower().replace("-", ""))
    except ValueError:
        if str(value).lower().replace("-", "") == "sha1":
            raise SigningError(
                "SHA-1 is not allowed for new signatures (STD-TT15-CRYPTO); use sha256"
            ) from None
        raise InputError(
            f"unsupported hash algorithm {value!r}; use sha256, sha384 or sha512"
        ) from None


SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True, eq=False)
class KeyCredential:
    """A private key held in memory with its certificate and issuers.

    The key is parsed once, when the credential is made, and reused for every
    signature. Build one with :meth:`from_pkcs12`, :meth:`from_pem` or
    :func:`load_credential`.
    """

    private_key: SigningKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()
    allow_unusable: bool = False

    def __post_init__(self) -> None:
        if self.private_key.public_key() != self.certificate.public_key():
            raise CredentialError(
                "the private key does not belong to the certificate of "
                f"{self.certificate.subject.rfc4514_string()}"
            )

    @property
    def key_kind(self) -> KeyKind:
        """RSA or ECDSA."""
        return KeyKind.RSA if isinstance(self.private_key, rsa.RSAPrivateKey) else KeyKind.ECDSA

    @property
    def key_size(self) -> int:
        """Key size in bits."""
        if isinstance(self.private_key, rsa.RSAPrivateKey):
            return self.private_key.key_size
        return self.private_key.curve.key_size

    def sign_digest(
        self,
        digest: bytes,
        hash_algorithm: HashAlgorithm | str,
        *,
        scheme: SignatureScheme = SignatureScheme.PKCS1V15,
    ) -> bytes:
        """Sign a precomputed digest (see :class:`Credential`)."""
        algorithm = _checked_digest(digest, hash_algorithm)
        if not self.allow_unusable:
            check_signing_certificate(self.certificate)
        prehashed = utils.Prehashed(algorithm.cryptography)
        key = self.private_key
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(digest, ec.ECDSA(prehashed))
        if scheme is SignatureScheme.PSS:
            pss = padding.PSS(
                mgf=padding.MGF1(algorithm.cryptography), salt_length=algorithm.digest_size
            )
            return key.sign(digest, pss, prehashed)
        return key.sign(digest, padding.PKCS1v15(), prehashed)

    @classmethod
    def from_pkcs12(
        cls,
        source: bytes | str | Path,
        password: str | bytes | None,
        *,
        allow_unusable: bool = False,
    ) -> KeyCredential:
        """Load a ``.p12``/``.pfx`` file (or its bytes)."""
        data = _read(source)
        secret = password.encode() if isinstance(password, str) else password
        try:
            key, cert, extra = pkcs12.load_key_and_certificates(data, secret)
        except ValueError as exc:
            if "password" in str(exc).lower():
                raise CredentialLockedError("wrong password for the PKCS#12 file") from exc
            raise InputError(f"not a readable PKCS#12 file: {exc}") from exc
        if key is None or cert is None:
            raise CredentialNotFoundError(
                "the PKCS#12 file holds no private key with a certificate"
            )
        return cls._make(key, cert, extra, allow_unusable)

    @classmethod
    def from_pem(
        cls,
        key: bytes | str | Path,
        certificates: bytes | str | Path,
        *,
        password: str | bytes | None = None,
        allow_unusable: bool = False,
    ) -> KeyCredential:
        """Load a PEM (or DER) private key and a file of certificates: the signer's
        first, or anywhere in the file (it is found by its public key)."""
        key_data = _read(key)
        secret = password.encode() if isinstance(password, str) else password
        try:
            if b"-----BEGIN" in key_data:
                private_key = serialization.load_pem_private_key(key_data, secret)
            else:
                private_key = serialization.load_der_private_key(key_data, secret)
        except TypeError as exc:  # encrypted key without password, or the reverse
            raise CredentialLockedError(f"the private key needs the right password: {exc}") from exc
        except ValueError as exc:
            if "password" in str(exc).lower() or "decrypt" in str(exc).lower():
                raise CredentialLockedError("wrong password for the private key") from exc
            raise InputError(f"not a readable private key: {exc}") from exc
        certs = load_certificates(_read(certificates))
        public = private_key.public_key()
        own = [c for c in certs if c.public_key() == public]
        if not own:
            raise CredentialNotFoundError("no certificate in the file matches the private key")
        return cls._make(private_key, own[0], [c for c in certs if c is not own[0]], allow_unusable)

    @classmethod
    def _make(
        cls,
        key: object,
        cert: x509.Certificate,
        extra: Sequence[x509.Certificate],
        allow_unusable: bool,
    ) -> KeyCredential:
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise CredentialError(
                f"unsupported key type {type(key).__name__}; vnsign signs with RSA or ECDSA"
            )
        return cls(key, cert, order_chain(cert, extra), allow_unusable)


def order_chain(
    cert: x509.Certificate, pool: Sequence[x509.Certificate]
) -> tuple[x509.Certificate, ...]:
    """The issuers of ``cert`` found in ``pool``, nearest first; unrelated
    certificates are dropped, a missing link ends the chain."""
    chain: list[x509.Certificate] = []
    current = cert
    remaining = [c for c in pool if c != cert]
    while current.issuer != current.subject:
        issuer = next((c for c in remaining if _issued(current, c)), None)
        if issuer is None:
            break
        chain.append(issuer)
        remaining.remove(issuer)
        current = issuer
    return tuple(chain)


def _issued(cert: x509.Certificate, candidate: x509.Certificate) -> bool:
    # Ordering only: names plus key identifiers. Whether the chain is *trusted*
    # is for certificate validation to decide.
    if cert.issuer != candidate.subject:
        return False
    try:
        aki = cert.extensions.get_extension_for_class(
            x509.AuthorityKeyIdentifier
        ).value.key_identifier
        ski = candidate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except (x509.ExtensionNotFound, ValueError):
        return True
    return aki is None or aki == ski


def load_credential(
    source: str | Path,
    password: str | bytes | None = None,
    *,
    certificates: str | Path | None = None,
    allow_unusable: bool = False,
) -> KeyCredential:
    """Load a credential from a file.

    * ``.p12`` / ``.pfx``: PKCS#12, with ``password``;
    * anything else: a PEM or DER private key, with ``certificates`` naming the
      certificate file (or the certificates in the same PEM file as the key).

    PKCS#11 tokens are opened with :func:`vnsign.pki.pkcs11.open_token_credential`.
    """
    path = Path(source)
    if not path.is_file():
        raise CredentialNotFoundError(f"no such credential file: {path}")
    if path.suffix.lower() in {".p12", ".pfx"}:
        return KeyCredential.from_pkcs12(path, password, allow_unusable=allow_unusable)
    return KeyCredential.from_pem(
        path, certificates or path, password=password, allow_unusable=allow_unusable
    )


def _checked_digest(digest: bytes, algorithm: HashAlgorithm | str) -> HashAlgorithm:
    checked = parse_hash_algorithm(algorithm)
    if len(digest) != checked.digest_size:
        raise InputError(
            f"a {checked.value} digest is {checked.digest_size} bytes, got {len(digest)}"
        )
    return checked


def _read(source: bytes | str | Path) -> bytes:
    if isinstance(source, bytes):
        return source
    try:
        return Path(source).read_bytes()
    except FileNotFoundError as exc:
        raise CredentialNotFoundError(f"no such file: {source}") from exc
    except OSError as exc:
        raise CredentialNotFoundError(f"cannot read {source}: {exc.strerror}") from exc
