"""What is on a PKCS#11 token: the tokens of a module, their certificates and keys."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import pkcs11
from asn1crypto import keys as asn1_keys
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from pkcs11 import Attribute, CertificateType, KeyType, ObjectClass, TokenFlag

from vnsign.errors import CredentialNotFoundError
from vnsign.pki.credentials import KeyKind
from vnsign.pki.identity import CertificateInfo
from vnsign.pki.pkcs11._modules import Pkcs11Module, nfc, pkcs11_error, using_module

__all__ = [
    "PinState",
    "TokenCertificate",
    "TokenInfo",
    "TokenKey",
    "describe_contents",
    "list_certificates",
    "list_keys",
    "list_tokens",
    "parse_key_id",
    "read_certificates",
    "read_keys",
    "select_token",
]


class PinState(StrEnum):
    """What the token says about its user PIN."""

    OK = "ok"
    COUNT_LOW = "count-low"  #: a wrong PIN was entered since the last good login
    FINAL_TRY = "final-try"  #: one more wrong PIN locks the token
    LOCKED = "locked"  #: the user PIN is blocked
    TO_BE_CHANGED = "to-be-changed"  #: the token asks for a new PIN (e.g. the factory PIN)


@dataclass(frozen=True)
class TokenInfo:
    """A token present in a slot of the module."""

    slot: int
    label: str
    serial: str
    manufacturer: str
    model: str
    login_required: bool
    pin_pad: bool  #: the PIN is entered on the reader (protected authentication path)
    pin_state: PinState

    @classmethod
    def from_token(cls, token: pkcs11.Token) -> TokenInfo:
        """Read the token info python-pkcs11 returned."""
        flags = token.flags
        if flags & TokenFlag.USER_PIN_LOCKED:
            state = PinState.LOCKED
        elif flags & TokenFlag.USER_PIN_FINAL_TRY:
            state = PinState.FINAL_TRY
        elif flags & TokenFlag.USER_PIN_COUNT_LOW:
            state = PinState.COUNT_LOW
        elif flags & TokenFlag.USER_PIN_TO_BE_CHANGED:
            state = PinState.TO_BE_CHANGED
        else:
            state = PinState.OK
        return cls(
            slot=token.slot.slot_id,
            label=nfc(token.label),
            serial=_serial(token),
            manufacturer=token.manufacturer_id,
            model=token.model,
            login_required=bool(flags & TokenFlag.LOGIN_REQUIRED),
            pin_pad=bool(flags & TokenFlag.PROTECTED_AUTHENTICATION_PATH),
            pin_state=state,
        )

    def describe(self) -> str:
        """``'Label' (serial S, Manufacturer Model, slot N)``, for messages."""
        return (
            f"'{self.label}' (serial {self.serial or '-'}, {self.manufacturer} {self.model}, "
            f"slot {self.slot})"
        )


@dataclass(frozen=True)
class TokenCertificate:
    """An X.509 certificate object on a token."""

    label: str
    id: bytes
    certificate: x509.Certificate
    identity: CertificateInfo

    @property
    def id_hex(self) -> str:
        """``CKA_ID`` in lower-case hex (empty when the object has none)."""
        return self.id.hex()

    def describe(self) -> str:
        """``id 0a0b 'Label' CN=...``, for messages."""
        label = f" '{self.label}'" if self.label else ""
        return f"id {self.id_hex or '-'}{label} {self.identity.display_name}"


@dataclass(frozen=True)
class TokenKey:
    """A private key object on a token (its secret never leaves the token)."""

    label: str
    id: bytes
    key_type: str  #: ``RSA``, ``EC`` or the PKCS#11 name of another type
    size: int | None  #: bits (curve size for EC); ``None`` when the token does not say
    kind: KeyKind | None  #: ``None`` for types vnsign does not sign with
    can_sign: bool

    @property
    def id_hex(self) -> str:
        """``CKA_ID`` in lower-case hex (empty when the object has none)."""
        return self.id.hex()

    def describe(self) -> str:
        """``id 0a0b (no label) RSA 2048``, for messages."""
        label = f"'{self.label}'" if self.label else "(no label)"
        size = f" {self.size}" if self.size else ""
        return f"id {self.id_hex or '-'} {label} {self.key_type}{size}"


def parse_key_id(value: bytes | str) -> bytes:
    """A ``CKA_ID`` from bytes or hex text (``0a0b``, ``0A:0B``, ``0a 0b``)."""
    if isinstance(value, bytes):
        return value
    text = value.replace(":", "").replace(" ", "").lower()
    text = text.removeprefix("0x")
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise CredentialNotFoundError(
            f"a key id is hexadecimal (like 0a0b or 0A:0B), not {value!r}"
        ) from None


def select_token(
    module: Pkcs11Module, label: str | None = None, serial: str | None = None
) -> pkcs11.Token:
    """The one token with ``label`` and/or ``serial``; with neither, the only token."""
    tokens = module.tokens()
    chosen = [
        t
        for t in tokens
        if (label is None or nfc(t.label) == nfc(label))
        and (serial is None or _serial(t).lower() == serial.strip().lower())
    ]
    if len(chosen) == 1:
        return chosen[0]
    present = "; ".join(TokenInfo.from_token(t).describe() for t in tokens) or "none"
    if not chosen:
        wanted = " and ".join(
            x
            for x in (
                f"label '{label}'" if label is not None else "",
                f"serial {serial}" if serial is not None else "",
            )
            if x
        )
        if not wanted:
            raise CredentialNotFoundError(
                f"no token found through PKCS#11 module {module.path} "
                "(is the token plugged in and its driver installed?)"
            )
        raise CredentialNotFoundError(f"no token with {wanted}; tokens present: {present}")
    raise CredentialNotFoundError(
        f"{len(chosen)} tokens match; choose one by label or serial: {present}"
    )


def read_certificates(session: pkcs11.Session) -> list[TokenCertificate]:
    """The X.509 certificates readable in ``session``, in token order. Objects whose
    value is not a certificate are left out: they cannot sign anything."""
    found = []
    for obj in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE}):
        try:
            if obj[Attribute.CERTIFICATE_TYPE] != CertificateType.X_509:
                continue
            der = bytes(obj[Attribute.VALUE])
            cert = x509.load_der_x509_certificate(der)
            found.append(
                TokenCertificate(
                    label=nfc(_text(obj, Attribute.LABEL)),
                    id=_bytes(obj, Attribute.ID),
                    certificate=cert,
                    identity=CertificateInfo.from_certificate(cert),
                )
            )
        except (ValueError, pkcs11.AttributeTypeInvalid, pkcs11.AttributeSensitive):
            continue
    return found


def read_keys(session: pkcs11.Session) -> list[tuple[TokenKey, pkcs11.PrivateKey]]:
    """The private keys visible in ``session`` (a logged-in one, on most tokens)."""
    found = []
    for obj in session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY}):
        if not isinstance(obj, pkcs11.PrivateKey):
            continue
        key_type = obj[Attribute.KEY_TYPE]
        kind, size = _kind_and_size(obj, key_type)
        found.append(
            (
                TokenKey(
                    label=nfc(_text(obj, Attribute.LABEL)),
                    id=_bytes(obj, Attribute.ID),
                    key_type=_KEY_TYPE_NAMES.get(key_type, getattr(key_type, "name", "?")),
                    size=size,
                    kind=kind,
                    can_sign=isinstance(obj, pkcs11.SignMixin),
                ),
                obj,
            )
        )
    return found


def list_tokens(module: str | os.PathLike[str] | None = None) -> tuple[TokenInfo, ...]:
    """The initialised tokens present through ``module`` (see
    :func:`~vnsign.pki.pkcs11.resolve_module_path`). Needs no PIN."""
    with using_module(module) as loaded:
        return tuple(TokenInfo.from_token(t) for t in loaded.tokens())


def list_certificates(
    module: str | os.PathLike[str] | None = None,
    *,
    token_label: str | None = None,
    token_serial: str | None = None,
) -> tuple[TokenCertificate, ...]:
    """The certificates on a token, read without logging in (tokens keep
    certificates public; a token that hides them shows none here)."""
    with using_module(module) as loaded, loaded.lock:
        token = select_token(loaded, token_label, token_serial)
        with loaded.public_session(token) as session:
            try:
                return tuple(read_certificates(session))
            except pkcs11.PKCS11Error as exc:
                raise pkcs11_error(exc, f"token '{token.label}': reading certificates") from exc


def list_keys(
    module: str | os.PathLike[str] | None = None,
    *,
    token_label: str | None = None,
    token_serial: str | None = None,
    pin: str | None = None,
) -> tuple[TokenKey, ...]:
    """The private keys on a token; logs in with ``pin`` (``None``: the PIN pad)."""
    with using_module(module) as loaded, loaded.lock:
        token = select_token(loaded, token_label, token_serial)
        login = loaded.login(token, pin)
        try:
            return tuple(key for key, _ in read_keys(login.session))
        except pkcs11.PKCS11Error as exc:
            raise pkcs11_error(exc, f"token '{token.label}': reading keys") from exc
        finally:
            loaded.logout(login)


def describe_contents(
    certificates: Sequence[TokenCertificate], keys: Sequence[TokenKey] | None
) -> str:
    """``keys: ...; certificates: ...`` for "not found" messages."""
    parts = []
    if keys is not None:
        parts.append("keys: " + (", ".join(k.describe() for k in keys) or "none"))
    parts.append("certificates: " + (", ".join(c.describe() for c in certificates) or "none"))
    return "; ".join(parts)


_KEY_TYPE_NAMES = {KeyType.RSA: "RSA", KeyType.EC: "EC"}


def _kind_and_size(key: pkcs11.PrivateKey, key_type: KeyType) -> tuple[KeyKind | None, int | None]:
    try:
        if key_type == KeyType.RSA:
            modulus = bytes(key[Attribute.MODULUS])
            return KeyKind.RSA, int.from_bytes(modulus, "big").bit_length()
        if key_type == KeyType.EC:
            params = asn1_keys.ECDomainParameters.load(bytes(key[Attribute.EC_PARAMS]))
            if params.name != "named":
                return KeyKind.ECDSA, None
            curve = ec.get_curve_for_oid(x509.ObjectIdentifier(params.chosen.dotted))()
            return KeyKind.ECDSA, curve.key_size
    except (pkcs11.AttributeTypeInvalid, pkcs11.AttributeSensitive, ValueError, LookupError):
        return (KeyKind.RSA if key_type == KeyType.RSA else KeyKind.ECDSA), None
    return None, None


def _text(obj: pkcs11.Object, attribute: Attribute) -> str:
    try:
        value = obj[attribute]
    except pkcs11.AttributeTypeInvalid:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value or "")


def _bytes(obj: pkcs11.Object, attribute: Attribute) -> bytes:
    try:
        return bytes(obj[attribute] or b"")
    except pkcs11.AttributeTypeInvalid:
        return b""


def _serial(token: pkcs11.Token) -> str:
    return token.serial.decode("ascii", "replace").strip()
