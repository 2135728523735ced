"""A signing credential whose private key stays on a PKCS#11 token."""

from __future__ import annotations

import os
import weakref
from collections.abc import Sequence
from datetime import UTC, datetime

import pkcs11
from asn1crypto import algos, core
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pkcs11 import MGF, Attribute, Mechanism, ObjectClass

from vnsign.errors import (
    CertificateNotUsableError,
    CredentialError,
    CredentialLockedError,
    CredentialNotFoundError,
    InputError,
)
from vnsign.pki.credentials import (
    HashAlgorithm,
    KeyKind,
    SignatureScheme,
    check_signing_certificate,
    order_chain,
    parse_hash_algorithm,
)
from vnsign.pki.pkcs11._modules import (
    Login,
    Pkcs11Module,
    acquire_module,
    nfc,
    pkcs11_error,
    release_module,
)
from vnsign.pki.pkcs11._tokens import (
    TokenCertificate,
    TokenInfo,
    TokenKey,
    describe_contents,
    parse_key_id,
    read_certificates,
    read_keys,
    select_token,
)

__all__ = ["TokenCredential", "open_token_credential"]

_HASH_MECHANISMS = {
    HashAlgorithm.SHA256: (Mechanism.SHA256, MGF.SHA256),
    HashAlgorithm.SHA384: (Mechanism.SHA384, MGF.SHA384),
    HashAlgorithm.SHA512: (Mechanism.SHA512, MGF.SHA512),
}


class TokenCredential:
    """A private key on a PKCS#11 token, with its certificate and issuers.

    Made by :func:`open_token_credential`, which logs in once; every signature
    reuses that session. Signing is serialised per PKCS#11 module, so one
    credential may be shared by several threads. Close it (or use it as a
    context manager) to log out and free the token::

        with open_token_credential(token_label="VNPT-CA", pin_env="TOKEN_PIN") as cred:
            signature = cred.sign_digest(digest, "sha256")
    """

    def __init__(
        self,
        *,
        module: Pkcs11Module,
        login: Login,
        key: pkcs11.SignMixin,
        key_info: TokenKey,
        token: TokenInfo,
        certificate: x509.Certificate,
        chain: tuple[x509.Certificate, ...],
        allow_unusable: bool = False,
        context_pin: str | None = None,
    ) -> None:
        self._module = module
        self._key = key
        self._key_info = key_info
        self._token = token
        self._certificate = certificate
        self._chain = chain
        self._allow_unusable = allow_unusable
        self._context_pin = context_pin  # only for keys that want the PIN on every use
        self._closer = weakref.finalize(self, _release, module, login)

    @property
    def certificate(self) -> x509.Certificate:
        """The signer's certificate."""
        return self._certificate

    @property
    def chain(self) -> tuple[x509.Certificate, ...]:
        """The issuers of :attr:`certificate`, nearest first (possibly empty)."""
        return self._chain

    @property
    def key_kind(self) -> KeyKind:
        """RSA or ECDSA."""
        public = self._certificate.public_key()
        return KeyKind.ECDSA if isinstance(public, ec.EllipticCurvePublicKey) else KeyKind.RSA

    @property
    def key_size(self) -> int:
        """Key size in bits (curve size for ECDSA), read from the certificate."""
        public = self._certificate.public_key()
        if isinstance(public, rsa.RSAPublicKey):
            return public.key_size
        if isinstance(public, ec.EllipticCurvePublicKey):
            return public.curve.key_size
        raise CredentialError("the certificate's key is neither RSA nor ECDSA")

    @property
    def token(self) -> TokenInfo:
        """The token the key is on."""
        return self._token

    @property
    def key(self) -> TokenKey:
        """Label, ``CKA_ID``, type and size of the private key object."""
        return self._key_info

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return not self._closer.alive

    def sign_digest(
        self,
        digest: bytes,
        hash_algorithm: HashAlgorithm | str,
        *,
        scheme: SignatureScheme = SignatureScheme.PKCS1V15,
    ) -> bytes:
        """Sign a precomputed digest on the token (see
        :class:`~vnsign.pki.credentials.Credential`)."""
        algorithm = parse_hash_algorithm(hash_algorithm)
        if len(digest) != algorithm.digest_size:
            raise InputError(
                f"a {algorithm.value} digest is {algorithm.digest_size} bytes, got {len(digest)}"
            )
        if not self._allow_unusable:
            check_signing_certificate(self._certificate)
        hash_mechanism, mgf = _HASH_MECHANISMS[algorithm]
        param: tuple[Mechanism, MGF, int] | None = None
        if self.key_kind is KeyKind.ECDSA:
            mechanism, data, what = Mechanism.ECDSA, digest, "ECDSA"
        elif SignatureScheme(scheme) is SignatureScheme.PSS:
            mechanism, data, what = Mechanism.RSA_PKCS_PSS, digest, "RSA-PSS"
            param = (hash_mechanism, mgf, algorithm.digest_size)
        else:
            digest_info = algos.DigestInfo(
                {"digest_algorithm": {"algorithm": algorithm.value}, "digest": digest}
            )
            mechanism, data, what = Mechanism.RSA_PKCS, digest_info.dump(), "RSA PKCS#1 v1.5"
        doing = f"token '{self._token.label}': signing with {what}"
        with self._module.lock:
            if self.closed:
                raise CredentialError(f"the credential of token '{self._token.label}' is closed")
            try:
                raw = self._key.sign(
                    data, mechanism=mechanism, mechanism_param=param, pin=self._context_pin
                )
            except pkcs11.MechanismInvalid as exc:
                raise CredentialError(f"{doing}: the token does not offer {what}") from exc
            except pkcs11.PKCS11Error as exc:
                raise pkcs11_error(exc, doing) from exc
        if mechanism is Mechanism.ECDSA:
            half = len(raw) // 2  # PKCS#11 gives r || s, CMS wants the DER ECDSA-Sig-Value
            return encode_dss_signature(
                int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big")
            )
        return bytes(raw)

    def close(self) -> None:
        """Log out (when no other credential of this process uses the token) and
        release the module. Closing twice does nothing."""
        self._closer()

    def __enter__(self) -> TokenCredential:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = " closed" if self.closed else ""
        return (
            f"<TokenCredential token='{self._token.label}' key {self._key_info.describe()} "
            f"{self._certificate.subject.rfc4514_string()}{state}>"
        )


def _release(module: Pkcs11Module, login: Login) -> None:
    try:
        module.logout(login)
    finally:
        release_module(module)


def open_token_credential(
    *,
    module: str | os.PathLike[str] | None = None,
    token_label: str | None = None,
    token_serial: str | None = None,
    key_label: str | None = None,
    key_id: bytes | str | None = None,
    pin: str | None = None,
    pin_env: str | None = None,
    certificate: x509.Certificate | None = None,
    extra_certificates: Sequence[x509.Certificate] = (),
    allow_unusable: bool = False,
) -> TokenCredential:
    """Log in to a token and pick a signing key with its certificate.

    * ``module``: the vendor's PKCS#11 library (default ``$VNSIGN_PKCS11_MODULE``,
      then SoftHSM2).
    * ``token_label`` / ``token_serial``: which token; optional when only one is present.
    * ``key_label`` / ``key_id``: which private key. ``key_id`` is the ``CKA_ID``
      (bytes or hex). ``key_label`` matches the key's label, or else the label
      of a certificate whose ``CKA_ID`` the key shares (Vietnamese tokens often
      label only the certificate). Optional when the token holds one key.
    * ``pin`` or ``pin_env`` (the name of an environment variable holding it);
      neither: the token's PIN pad, if it has one.
    * ``certificate``: the signer certificate, when it is not on the token; by
      default the token's certificate with the key's ``CKA_ID`` (or its public key).
    * ``extra_certificates``: issuers to add to those found on the token.

    Labels compare in Unicode NFC. The certificate must be usable for signing
    now (:func:`~vnsign.pki.credentials.check_signing_certificate`) unless
    ``allow_unusable``.
    """
    pin = _resolve_pin(pin, pin_env)
    wanted_id = None if key_id is None else parse_key_id(key_id)
    loaded = acquire_module(module)
    try:
        with loaded.lock:
            token = select_token(loaded, token_label, token_serial)
            info = TokenInfo.from_token(token)
            login = loaded.login(token, pin)
            try:
                return _credential(
                    loaded,
                    login,
                    info,
                    key_label=key_label,
                    key_id=wanted_id,
                    pin=pin,
                    certificate=certificate,
                    extra=extra_certificates,
                    allow_unusable=allow_unusable,
                )
            except BaseException:
                loaded.logout(login)
                raise
    except BaseException:
        release_module(loaded)
        raise


def _resolve_pin(pin: str | None, pin_env: str | None) -> str | None:
    if pin is not None or pin_env is None:
        return pin
    value = os.environ.get(pin_env)
    if value is None:
        raise CredentialLockedError(
            f"environment variable {pin_env} is not set (it should hold the token PIN)"
        )
    return value


def _credential(
    module: Pkcs11Module,
    login: Login,
    token: TokenInfo,
    *,
    key_label: str | None,
    key_id: bytes | None,
    pin: str | None,
    certificate: x509.Certificate | None,
    extra: Sequence[x509.Certificate],
    allow_unusable: bool,
) -> TokenCredential:
    session = login.session
    try:
        keys = read_keys(session)
        certs = read_certificates(session)
    except pkcs11.PKCS11Error as exc:
        raise pkcs11_error(exc, f"token '{token.label}': reading its objects") from exc
    key_info, key = _choose_key(token, keys, certs, key_label, key_id)
    if certificate is None:
        certificate = _choose_certificate(token, session, key_info, key, certs)
    elif _belongs(session, key_info, key, certificate) is False:
        raise CredentialError(
            f"the certificate of {certificate.subject.rfc4514_string()} does not belong to "
            f"key {key_info.describe()} on token '{token.label}'"
        )
    if not allow_unusable:
        check_signing_certificate(certificate)
    pool = [c.certificate for c in certs] + list(extra)
    try:
        always_authenticate = bool(key[Attribute.ALWAYS_AUTHENTICATE])
    except (pkcs11.AttributeTypeInvalid, pkcs11.AttributeSensitive):
        always_authenticate = False
    return TokenCredential(
        module=module,
        login=login,
        key=key,
        key_info=key_info,
        token=token,
        certificate=certificate,
        chain=order_chain(certificate, pool),
        allow_unusable=allow_unusable,
        context_pin=pin if always_authenticate else None,
    )


def _choose_key(
    token: TokenInfo,
    keys: list[tuple[TokenKey, pkcs11.PrivateKey]],
    certs: list[TokenCertificate],
    key_label: str | None,
    key_id: bytes | None,
) -> tuple[TokenKey, pkcs11.SignMixin]:
    candidates = keys
    wanted = []
    if key_id is not None:
        candidates = [k for k in candidates if k[0].id == key_id]
        wanted.append(f"id {key_id.hex()}")
    if key_label is not None:
        label = nfc(key_label)
        by_label = [k for k in candidates if k[0].label == label]
        if not by_label:
            # Vietnamese tokens often label the certificate and leave the key unlabelled.
            ids = {c.id for c in certs if c.label == label and c.id}
            by_label = [k for k in candidates if k[0].id in ids]
        candidates = by_label
        wanted.append(f"label '{key_label}'")
    contents = describe_contents(certs, [k for k, _ in keys])
    if not candidates:
        with_what = f" with {' and '.join(wanted)}" if wanted else ""
        raise CredentialNotFoundError(
            f"no private key{with_what} on token '{token.label}' ({contents})"
        )
    if len(candidates) > 1:
        raise CredentialNotFoundError(
            f"{len(candidates)} private keys match on token '{token.label}'; choose one "
            f"by label or id ({contents})"
        )
    key_info, key = candidates[0]
    if key_info.kind is None:
        raise CredentialError(
            f"key {key_info.describe()} on token '{token.label}' is {key_info.key_type}; "
            "vnsign signs with RSA or ECDSA"
        )
    if not isinstance(key, pkcs11.SignMixin):
        raise CredentialError(
            f"key {key_info.describe()} on token '{token.label}' is not allowed to sign "
            "(CKA_SIGN is false)"
        )
    return key_info, key


def _choose_certificate(
    token: TokenInfo,
    session: pkcs11.Session,
    key_info: TokenKey,
    key: pkcs11.Object,
    certs: list[TokenCertificate],
) -> x509.Certificate:
    same_id = [c for c in certs if key_info.id and c.id == key_info.id]
    candidates = [
        c for c in same_id if _belongs(session, key_info, key, c.certificate) is not False
    ]
    if not candidates:
        candidates = [c for c in certs if _belongs(session, key_info, key, c.certificate)]
    if not candidates:
        raise CredentialNotFoundError(
            f"no certificate for key {key_info.describe()} on token '{token.label}' "
            f"({describe_contents(certs, None)}); pass the certificate"
        )
    # A renewed certificate may share the key: prefer one usable now, then the newest.
    now = datetime.now(UTC)
    return max(
        (c.certificate for c in candidates),
        key=lambda cert: (_usable(cert, now), cert.not_valid_after_utc),
    )


def _usable(cert: x509.Certificate, now: datetime) -> bool:
    try:
        check_signing_certificate(cert, now)
    except CertificateNotUsableError:
        return False
    return True


def _belongs(
    session: pkcs11.Session,
    key_info: TokenKey,
    key: pkcs11.Object,
    cert: x509.Certificate,
) -> bool | None:
    """Whether ``cert`` holds the public half of ``key``; ``None`` when the token
    does not reveal enough to tell."""
    public = cert.public_key()
    try:
        if key_info.kind is KeyKind.RSA:
            if not isinstance(public, rsa.RSAPublicKey):
                return False
            modulus = int.from_bytes(bytes(key[Attribute.MODULUS]), "big")
            return modulus == public.public_numbers().n
        if key_info.kind is KeyKind.ECDSA:
            if not isinstance(public, ec.EllipticCurvePublicKey):
                return False
            point = public.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
            if not key_info.id:
                return None
            stored = [
                _ec_point(bytes(obj[Attribute.EC_POINT]))
                for obj in session.get_objects(
                    {Attribute.CLASS: ObjectClass.PUBLIC_KEY, Attribute.ID: key_info.id}
                )
            ]
            return point in stored if stored else None
    except (pkcs11.AttributeTypeInvalid, pkcs11.AttributeSensitive):
        return None
    except pkcs11.PKCS11Error as exc:
        raise pkcs11_error(exc, "reading the public key") from exc
    return False


def _ec_point(value: bytes) -> bytes:
    # CKA_EC_POINT is a DER OCTET STRING by the standard; some tokens store the raw point.
    try:
        return bytes(core.OctetString.load(value, strict=True).native)
    except ValueError:
        return value
