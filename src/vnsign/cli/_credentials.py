"""The credential options of every ``vnsign sign ...`` command, and opening the
credential they name.

A command line names exactly one source of the signing key:

* a key file: ``--p12``, or ``--key`` with ``--cert`` (password: ``--password-env``);
* a PKCS#11 token: ``--token``, ``--token-serial``, ``--module``, ``--key-label``,
  ``--key-id`` (PIN: ``--pin-env``);
* a remote signer: ``--remote`` with ``--service`` and ``--user``
  (:func:`vnsign.cli.remote.remote_options`).

Passwords and PINs are never option values: they come from the environment
variable named by ``--password-env`` / ``--pin-env``, or from a hidden prompt.

How the key signs is shared too: :data:`HASH_OPTION` (``--hash``) and
:data:`PSS_OPTION` (``--pss``).
"""

from __future__ import annotations

import enum
import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TypeVar, cast

import click
from cryptography import x509

from vnsign.cli.remote import open_remote_credential, remote_options
from vnsign.pki.credentials import Credential, HashAlgorithm, KeyCredential, load_credential
from vnsign.pki.identity import CertificateInfo
from vnsign.pki.pkcs11 import open_token_credential

__all__ = [
    "CREDENTIAL_PARAMETERS",
    "HASH_OPTION",
    "PSS_OPTION",
    "CredentialChoice",
    "CredentialSource",
    "credential_options",
    "open_credential",
    "signer_of",
    "token_pin",
]

_F = TypeVar("_F", bound=Callable[..., Any])
_EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)

_FILE_OPTIONS = (
    click.option("--p12", type=_EXISTING_FILE, help="PKCS#12 file (.p12/.pfx) with key and chain."),
    click.option("--key", type=_EXISTING_FILE, help="PEM or DER private key (with --cert)."),
    click.option("--cert", type=_EXISTING_FILE, help="Certificates for --key: signer and issuers."),
    click.option(
        "--password-env",
        metavar="VAR",
        help="Environment variable holding the --p12 or --key password (else it is asked for).",
    ),
)

_TOKEN_OPTIONS = (
    click.option(
        "--module",
        type=click.Path(path_type=Path),
        help="PKCS#11 library of the token's vendor (default: $VNSIGN_PKCS11_MODULE, "
        "then SoftHSM2).",
    ),
    click.option(
        "--token", "token_label", metavar="LABEL", help="Sign with the token so labelled."
    ),
    click.option("--token-serial", metavar="S", help="Sign with the token with this serial."),
    click.option("--key-label", metavar="LABEL", help="Token key (or its certificate) label."),
    click.option("--key-id", metavar="HEX", help="Token key CKA_ID, in hex."),
    click.option(
        "--pin-env", metavar="VAR", help="Environment variable holding the token PIN (else asked)."
    ),
)


#: ``--hash``: the digest algorithm (parameter ``hash_algorithm``).
HASH_OPTION = click.option(
    "--hash",
    "hash_algorithm",
    type=click.Choice([h.value for h in HashAlgorithm]),
    default=HashAlgorithm.SHA256.value,
    show_default=True,
    help="Digest algorithm.",
)
#: ``--pss``: RSA-PSS signatures (parameter ``pss``).
PSS_OPTION = click.option(
    "--pss", is_flag=True, help="RSA-PSS instead of RSA PKCS#1 v1.5 (RSA keys only)."
)


class CredentialSource(enum.StrEnum):
    """Where the signing key is."""

    FILE = "file"
    TOKEN = "token"  # noqa: S105 (a PKCS#11 token, not a secret)
    REMOTE = "remote"


@dataclass(frozen=True)
class CredentialChoice:
    """What the credential options of one command line say (see the module docstring)."""

    p12: Path | None = None
    key: Path | None = None
    cert: Path | None = None
    password_env: str | None = None
    module: Path | None = None
    token_label: str | None = None
    token_serial: str | None = None
    key_label: str | None = None
    key_id: str | None = None
    pin_env: str | None = None
    remote: str | None = None
    service: str | None = None
    user: str | None = None
    remote_store: Path | None = None
    remote_timeout: float = 300.0

    def source(self) -> CredentialSource:
        """The one source given; a :class:`click.UsageError` that says what is
        wrong when there is none, several, or only part of one."""
        if (self.cert is None) != (self.key is None):
            raise click.UsageError("--key and --cert go together")
        given = {
            CredentialSource.FILE: _given(("--p12", self.p12), ("--key", self.key)),
            CredentialSource.TOKEN: _given(
                ("--token", self.token_label),
                ("--token-serial", self.token_serial),
                ("--module", self.module),
                ("--key-label", self.key_label),
                ("--key-id", self.key_id),
                ("--pin-env", self.pin_env),
            ),
            CredentialSource.REMOTE: _given(
                ("--remote", self.remote),
                ("--service", self.service),
                ("--user", self.user),
                ("--remote-store", self.remote_store),
            ),
        }
        chosen = [source for source, names in given.items() if names]
        if not chosen:
            raise click.UsageError(
                "give one key: --p12, --key with --cert, a token (--token, --key-label ...) "
                "or --remote with --service and --user"
            )
        files = given[CredentialSource.FILE]
        clashing = files if len(files) > 1 else [given[source][0] for source in chosen]
        if len(clashing) > 1:
            raise click.UsageError(f"give one key, not {clashing[0]} and {clashing[1]}")
        source = chosen[0]
        if self.password_env is not None and source is not CredentialSource.FILE:
            raise click.UsageError(
                "--password-env is the password of --p12 or --key (a token's PIN: --pin-env)"
            )
        if source is CredentialSource.REMOTE and not (self.remote and self.service and self.user):
            raise click.UsageError(
                "a remote signer needs --remote KIND, --service URL and --user ID"
            )
        return source


def _given(*options: tuple[str, object]) -> list[str]:
    return [name for name, value in options if value is not None]


#: The command parameters :func:`credential_options` adds (collected into ``credentials``).
CREDENTIAL_PARAMETERS = frozenset(f.name for f in fields(CredentialChoice))


def credential_options(command: _F) -> _F:
    """Add the credential options to a command. The command receives them as
    one keyword argument, ``credentials``: a :class:`CredentialChoice`."""

    @functools.wraps(command)
    def with_choice(*args: Any, **kwargs: Any) -> Any:
        choice = CredentialChoice(**{name: kwargs.pop(name) for name in CREDENTIAL_PARAMETERS})
        return command(*args, credentials=choice, **kwargs)

    decorated: Any = remote_options(with_choice)
    for option in reversed((*_FILE_OPTIONS, *_TOKEN_OPTIONS)):
        decorated = option(decorated)
    return cast(_F, decorated)


@contextmanager
def open_credential(choice: CredentialChoice, *, display_text: str) -> Iterator[Credential]:
    """The credential ``choice`` names, for the ``with`` block (a token is logged
    out when it ends). ``display_text`` is what a remote signer's phone shows
    for each signature."""
    source = choice.source()
    if source is CredentialSource.TOKEN:
        with open_token_credential(
            module=choice.module,
            token_label=choice.token_label,
            token_serial=choice.token_serial,
            key_label=choice.key_label,
            key_id=choice.key_id,
            pin=token_pin(choice.pin_env),
        ) as token:
            yield token
    elif source is CredentialSource.REMOTE:
        assert choice.remote and choice.service and choice.user  # source() checked them
        yield open_remote_credential(
            choice.remote,
            choice.service,
            choice.user,
            display_text=display_text,
            store=choice.remote_store,
            timeout=choice.remote_timeout,
        )
    else:
        yield _key_file(choice)


def signer_of(certificate: x509.Certificate) -> str:
    """Who signs, for the command's report: name and identifiers (MST, CCCD ...)."""
    info = CertificateInfo.from_certificate(certificate)
    return info.display_name + "".join(f" · {i}" for i in info.identifiers)


def _key_file(choice: CredentialChoice) -> KeyCredential:
    if choice.p12 is not None:
        return KeyCredential.from_pkcs12(choice.p12, _password(choice.password_env, choice.p12))
    assert choice.key is not None  # source() checked it
    # An unencrypted key needs no password: ask only when the PEM says it is encrypted.
    encrypted = b"ENCRYPTED" in choice.key.read_bytes()[:200]
    wanted = choice.password_env is not None or encrypted
    password = _password(choice.password_env, choice.key) if wanted else None
    return load_credential(choice.key, password, certificates=choice.cert)


def _password(variable: str | None, path: Path) -> str | None:
    if variable:
        return _from_environment(variable)
    entered: str = click.prompt(
        f"Password of {path.name}", hide_input=True, default="", show_default=False, err=True
    )
    return entered or None


def token_pin(variable: str | None, token: str | None = None) -> str:
    """The PIN from environment variable ``variable``, else asked for (hidden)."""
    if variable:
        return _from_environment(variable)
    prompt = f"PIN of token '{token}'" if token else "Token PIN"
    entered: str = click.prompt(prompt, hide_input=True, err=True)
    return entered


def _from_environment(variable: str) -> str:
    value = os.environ.get(variable)
    if value is None:
        raise click.UsageError(f"environment variable {variable} is not set")
    return value
