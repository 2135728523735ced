"""Loading PKCS#11 modules and logging in to their tokens, shared by the whole process.

A PKCS#11 module keeps one login state per token for the whole application, and
python-pkcs11 initialises modules without ``CKF_OS_LOCKING_OK``, so the module
must not be called from two threads at once. Hence one :class:`Pkcs11Module`
per library path, with one lock, and one shared login session per token. The
module is finalised when its last user releases it, which frees the token for
other applications and makes the next use read the module's configuration again.
"""

from __future__ import annotations

import hmac
import os
import secrets
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pkcs11
from pkcs11 import TokenFlag

from vnsign.errors import CredentialError, CredentialLockedError, CredentialNotFoundError

if TYPE_CHECKING:
    from pkcs11._pkcs11 import lib as Pkcs11Library

__all__ = [
    "MODULE_ENV",
    "SOFTHSM2_MODULES",
    "Login",
    "Pkcs11Module",
    "acquire_module",
    "nfc",
    "pkcs11_error",
    "release_module",
    "resolve_module_path",
    "using_module",
]

#: Environment variable naming the PKCS#11 module when none is given.
MODULE_ENV = "VNSIGN_PKCS11_MODULE"

#: Where SoftHSM2 installs its module, tried in order when no module is named.
SOFTHSM2_MODULES = (
    Path("/usr/lib/softhsm/libsofthsm2.so"),  # Debian, Ubuntu
    Path("/usr/lib64/pkcs11/libsofthsm2.so"),  # Fedora, RHEL
    Path("/usr/local/lib/softhsm/libsofthsm2.so"),  # built from source
    Path("/opt/homebrew/lib/softhsm/libsofthsm2.so"),  # Homebrew
)

# Keyed, so the digest kept to compare PINs is no lookup key outside this process.
_PIN_KEY = secrets.token_bytes(32)

_HINT = (
    "point to the PKCS#11 library of your token's vendor with --module or "
    f"{MODULE_ENV} (it comes with the token's driver)"
)


def nfc(text: str) -> str:
    """``text`` in Unicode NFC. Vietnamese labels typed on different systems may be
    composed (NFC) or decomposed (NFD); they are compared in NFC."""
    return unicodedata.normalize("NFC", text)


def resolve_module_path(module: str | os.PathLike[str] | None = None) -> str:
    """The PKCS#11 library to load: ``module``, else ``$VNSIGN_PKCS11_MODULE``, else
    SoftHSM2 where it is installed. A bare file name (no folder) is left to the
    system's library search."""
    if module is None or str(module) == "":
        module = os.environ.get(MODULE_ENV) or None
    if module is None:
        found = next((p for p in SOFTHSM2_MODULES if p.is_file()), None)
        if found is None:
            raise CredentialNotFoundError(f"no PKCS#11 module given: {_HINT}")
        return str(found)
    path = Path(module)
    if path.parent != Path() and not path.is_file():
        raise CredentialNotFoundError(f"PKCS#11 module {path} does not exist: {_HINT}")
    return str(path)


def pkcs11_error(exc: pkcs11.PKCS11Error, doing: str) -> CredentialError:
    """A vnsign error for a python-pkcs11 exception raised while ``doing`` something
    (``"token 'X': signing"``); python-pkcs11 messages are often empty, so the
    exception's name (the PKCS#11 return value) is what is reported."""
    name = type(exc).__name__
    detail = f"{name}: {exc}" if str(exc) else name
    if isinstance(exc, pkcs11.TokenNotPresent | pkcs11.TokenNotRecognised | pkcs11.DeviceRemoved):
        return CredentialNotFoundError(f"{doing}: the token is not there any more ({detail})")
    if isinstance(exc, pkcs11.PinLocked):
        return CredentialLockedError(
            f"{doing}: the PIN is locked after too many wrong tries; unblock it with "
            "the token vendor's tool (it needs the SO/PUK code)"
        )
    if isinstance(exc, pkcs11.PinExpired):
        return CredentialLockedError(
            f"{doing}: the PIN has expired; change it with the token vendor's tool"
        )
    if isinstance(exc, pkcs11.PinInvalid | pkcs11.PinLenRange):
        return CredentialLockedError(f"{doing}: the token rejects this PIN's length or characters")
    if isinstance(exc, pkcs11.UserNotLoggedIn):
        return CredentialLockedError(f"{doing}: the token asks for a login first")
    return CredentialError(f"{doing}: the PKCS#11 module reported {detail}")


@dataclass(eq=False)
class Login:
    """A logged-in session on one token, shared by every credential of the process
    that uses that token."""

    slot_id: int
    session: pkcs11.Session
    pin_digest: bytes | None  # None: logged in through a PIN pad, or by someone else
    users: int = 1


class Pkcs11Module:
    """A loaded, initialised PKCS#11 library. Every call into it holds :attr:`lock`."""

    def __init__(self, path: str, lib: Pkcs11Library) -> None:
        self.path = path
        self.lib = lib
        self.lock = threading.RLock()
        self.users = 0
        self._logins: dict[int, Login] = {}

    def tokens(self) -> list[pkcs11.Token]:
        """Initialised tokens present in the module's slots, in slot order."""
        with self.lock:
            try:
                slots = self.lib.get_slots(token_present=True)
                tokens = [slot.get_token() for slot in slots]
            except pkcs11.PKCS11Error as exc:
                raise pkcs11_error(exc, f"PKCS#11 module {self.path}: listing tokens") from exc
        return [t for t in tokens if t.flags & TokenFlag.TOKEN_INITIALIZED]

    @contextmanager
    def public_session(self, token: pkcs11.Token) -> Iterator[pkcs11.Session]:
        """A session without login (reads public objects such as certificates).
        The caller holds :attr:`lock` while using it."""
        with self.lock:
            try:
                session = token.open()
            except pkcs11.PKCS11Error as exc:
                raise pkcs11_error(exc, f"token '{token.label}': opening a session") from exc
            try:
                yield session
            finally:
                # An error here means the session went with the token: nothing left to free.
                with suppress(pkcs11.PKCS11Error):
                    session.close()

    def login(self, token: pkcs11.Token, pin: str | None) -> Login:
        """Log in to ``token`` with ``pin`` (``None``: the token's PIN pad), or join
        the login another credential of this process already made."""
        slot_id = token.slot.slot_id
        pin_digest = None if pin is None else hmac.digest(_PIN_KEY, pin.encode(), "sha256")
        with self.lock:
            existing = self._logins.get(slot_id)
            if existing is not None:
                if (
                    pin_digest is not None
                    and existing.pin_digest is not None
                    and not hmac.compare_digest(pin_digest, existing.pin_digest)
                ):
                    # The token has one user PIN and it is the other one; no try is used up.
                    raise CredentialLockedError(f"wrong PIN for token '{token.label}'")
                existing.users += 1
                return existing
            session = self._open_logged_in(token, pin)
            login = Login(slot_id, session, pin_digest)
            self._logins[slot_id] = login
            return login

    def _open_logged_in(self, token: pkcs11.Token, pin: str | None) -> pkcs11.Session:
        doing = f"token '{token.label}': logging in"
        if pin is None and not token.flags & TokenFlag.PROTECTED_AUTHENTICATION_PATH:
            raise CredentialLockedError(
                f"token '{token.label}' needs its PIN (give it as an argument or in an "
                "environment variable)"
            )
        try:
            session = token.open(user_pin=pkcs11.PROTECTED_AUTH if pin is None else pin)
        except pkcs11.PinIncorrect as exc:
            raise CredentialLockedError(
                f"wrong PIN for token '{token.label}'{self._tries_left(token)}"
            ) from exc
        except pkcs11.UserAlreadyLoggedIn:
            # Another library in this process logged in; PKCS#11 login state is per
            # application, so a plain session can use the private keys.
            try:
                return token.open()
            except pkcs11.PKCS11Error as exc:
                raise pkcs11_error(exc, doing) from exc
        except pkcs11.PKCS11Error as exc:
            raise pkcs11_error(exc, doing) from exc
        return session

    def _tries_left(self, token: pkcs11.Token) -> str:
        try:
            flags = token.slot.get_token().flags
        except pkcs11.PKCS11Error:
            return ""
        if flags & TokenFlag.USER_PIN_LOCKED:
            return "; the PIN is now locked: unblock it with the token vendor's tool"
        if flags & TokenFlag.USER_PIN_FINAL_TRY:
            return "; one more wrong PIN locks the token"
        if flags & TokenFlag.USER_PIN_COUNT_LOW:
            return "; the token counts wrong PINs and locks after too many"
        return ""

    def logout(self, login: Login) -> None:
        """Release ``login``; the last user logs out and closes the session."""
        with self.lock:
            login.users -= 1
            if login.users > 0:
                return
            self._logins.pop(login.slot_id, None)
            # An error here means the token was removed: the session no longer exists.
            with suppress(pkcs11.PKCS11Error):
                login.session.close()


_REGISTRY: dict[str, Pkcs11Module] = {}
_REGISTRY_LOCK = threading.RLock()  # re-entrant: a finalizer may release during acquire


def acquire_module(module: str | os.PathLike[str] | None = None) -> Pkcs11Module:
    """Load and initialise the module (see :func:`resolve_module_path`), or share the
    one already loaded. Pair with :func:`release_module`."""
    path = resolve_module_path(module)
    with _REGISTRY_LOCK:
        loaded = _REGISTRY.get(path)
        if loaded is None:
            try:
                lib = pkcs11.lib(path)  # initialises it, again after a finalize
            except pkcs11.PKCS11Error as exc:
                raise CredentialNotFoundError(
                    f"cannot load PKCS#11 module {path} ({str(exc) or type(exc).__name__}); {_HINT}"
                ) from exc
            loaded = _REGISTRY[path] = Pkcs11Module(path, lib)
        loaded.users += 1
        return loaded


def release_module(module: Pkcs11Module) -> None:
    """Stop using ``module``; the last user finalises it."""
    with _REGISTRY_LOCK:
        module.users -= 1
        if module.users > 0:
            return
        _REGISTRY.pop(module.path, None)
        # An error here means another library finalised it already: nothing is held.
        with module.lock, suppress(pkcs11.PKCS11Error):
            module.lib.finalize()


@contextmanager
def using_module(module: str | os.PathLike[str] | None = None) -> Iterator[Pkcs11Module]:
    """``with using_module(path) as m:`` acquires and releases a module."""
    loaded = acquire_module(module)
    try:
        yield loaded
    finally:
        release_module(loaded)
