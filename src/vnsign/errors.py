"""The exceptions vnsign raises.

Every exception vnsign raises on purpose derives from :class:`VnsignError`, so
``except VnsignError`` catches anything the library reports::

    VnsignError
    ├── InputError (also ValueError)          the document or file given is unusable
    │   ├── UnsupportedFormatError            not a format vnsign handles
    │   ├── MalformedInputError               truncated, corrupt, not what it claims to be
    │   └── HostileInputError                 built to attack a parser (XXE, entity bomb, loops)
    ├── CredentialError                       the signing key or certificate cannot be used
    │   ├── CredentialNotFoundError           no such file, token, slot, key or certificate
    │   ├── CredentialLockedError             wrong PIN or password, token locked
    │   └── CertificateNotUsableError         expired, not yet valid, wrong key usage
    ├── SigningError                          a document cannot be signed as asked
    ├── RemoteSigningError                    a remote signer (CSC, mobile PKI, SmartCA) failed
    │   ├── RemoteRejectedError               the person declined on the phone
    │   ├── RemoteExpiredError                nobody confirmed before the deadline
    │   └── RemoteResponseError               the provider returned something wrong or unverifiable
    ├── NetworkError                          OCSP, CRL, TSA or provider unreachable
    │   └── NetworkTimeoutError (also TimeoutError)
    └── PolicyError (also ValueError)         a verification policy or option is invalid

Two rules keep this tree honest:

* A document that fails verification is a *result* (a report with verdict
  ``invalid`` or ``indeterminate``), never an exception. Exceptions are for
  "could not do what was asked".
* Third-party exceptions (pyHanko, lxml, cryptography, python-pkcs11, HTTP) are
  translated where vnsign calls the third party, with ``raise ... from exc`` so
  the original stays available as ``__cause__``.
"""

from __future__ import annotations

__all__ = [
    "CertificateNotUsableError",
    "CredentialError",
    "CredentialLockedError",
    "CredentialNotFoundError",
    "HostileInputError",
    "InputError",
    "MalformedInputError",
    "NetworkError",
    "NetworkTimeoutError",
    "PolicyError",
    "RemoteExpiredError",
    "RemoteRejectedError",
    "RemoteResponseError",
    "RemoteSigningError",
    "SigningError",
    "UnsupportedFormatError",
    "VnsignError",
]


class VnsignError(Exception):
    """Root of every exception vnsign raises on purpose."""


class InputError(VnsignError, ValueError):
    """The input (document, certificate, key file, option value) cannot be used."""


class UnsupportedFormatError(InputError):
    """The input is in a format vnsign does not handle."""


class MalformedInputError(InputError):
    """The input is truncated, corrupt, or not what its name or header claims."""


class HostileInputError(InputError):
    """The input is built to attack a parser: external entities, entity bombs,
    excessive nesting or size, reference loops."""


class CredentialError(VnsignError):
    """A signing credential (key + certificate chain) cannot be used."""


class CredentialNotFoundError(CredentialError):
    """No such key file, token, slot, key or certificate."""


class CredentialLockedError(CredentialError):
    """Wrong PIN or password, or the token is locked."""


class CertificateNotUsableError(CredentialError):
    """The signer certificate is expired, not yet valid, or not meant for signing."""


class SigningError(VnsignError):
    """A document cannot be signed as asked (for example: signing would break an
    existing signature, or the document is encrypted and no password was given)."""


class RemoteSigningError(VnsignError):
    """A remote signing service failed to produce a usable signature."""


class RemoteRejectedError(RemoteSigningError):
    """The signer declined the request (on the phone or in the provider's app)."""


class RemoteExpiredError(RemoteSigningError):
    """The request was not confirmed before its deadline."""


class RemoteResponseError(RemoteSigningError):
    """The provider's answer is malformed, incomplete, or fails verification
    against the certificate and the digest that was sent."""


class NetworkError(VnsignError):
    """A network service (OCSP, CRL distribution point, TSA, remote signer)
    could not be reached or answered with an HTTP error."""


class NetworkTimeoutError(NetworkError, TimeoutError):
    """A network service did not answer within the configured timeout."""


class PolicyError(VnsignError, ValueError):
    """A verification policy, profile or option is invalid."""
