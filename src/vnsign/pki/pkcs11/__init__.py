"""Signing with keys on PKCS#11 tokens (USB tokens, smart cards, HSMs, SoftHSM2).

::

    from vnsign.pki.pkcs11 import list_tokens, open_token_credential

    list_tokens("/path/to/vendor-pkcs11.so")
    with open_token_credential(
        module="/path/to/vendor-pkcs11.so",
        token_label="Chữ ký số Nguyễn Văn An",
        key_id="0a0b",          # or key_label=...
        pin_env="TOKEN_PIN",
    ) as credential:
        ...                     # any vnsign signing function

The module path comes from the argument, else ``$VNSIGN_PKCS11_MODULE``, else
SoftHSM2 where it is installed. Errors are vnsign's: a wrong PIN is a
:class:`~vnsign.errors.CredentialLockedError`, a missing module, token, key or
certificate a :class:`~vnsign.errors.CredentialNotFoundError` that lists what
is there. See ``docs/pkcs11.md``.
"""

from vnsign.pki.pkcs11._credential import TokenCredential, open_token_credential
from vnsign.pki.pkcs11._modules import MODULE_ENV, SOFTHSM2_MODULES, resolve_module_path
from vnsign.pki.pkcs11._tokens import (
    PinState,
    TokenCertificate,
    TokenInfo,
    TokenKey,
    list_certificates,
    list_keys,
    list_tokens,
)

__all__ = [
    "MODULE_ENV",
    "SOFTHSM2_MODULES",
    "PinState",
    "TokenCertificate",
    "TokenCredential",
    "TokenInfo",
    "TokenKey",
    "list_certificates",
    "list_keys",
    "list_tokens",
    "open_token_credential",
    "resolve_module_path",
]
