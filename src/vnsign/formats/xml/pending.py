"""A prepared XML signature waiting for its ``SignatureValue``, as explicit data.

:func:`~vnsign.formats.xml.signing.prepare_enveloped` (and its siblings) build
the whole ``ds:Signature`` — references, KeyInfo, XAdES signed properties —
leave ``SignatureValue`` empty and return a :class:`PreparedXml`: the prepared
document's bytes plus a :class:`PendingSignature`, which says what was signed
(the digest of the canonical ``SignedInfo``) and what finishing needs (the
certificate the value must verify with, the XAdES level and time-stamping
authority). Both turn into JSON and back (``to_json`` / ``from_json``); nothing
is pickled and nothing secret is kept: a TSA that needs credentials (HTTP
headers) cannot be written down and is refused.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from vnsign.errors import InputError, MalformedInputError, SigningError
from vnsign.formats.xml.algorithms import C14nMethod, SignatureMethod
from vnsign.formats.xml.keyinfo import b64
from vnsign.formats.xml.revocation import RevocationValues
from vnsign.formats.xml.xades import XadesLevel, XadesOptions
from vnsign.pki.credentials import HashAlgorithm, KeyKind, SignatureScheme
from vnsign.pki.timestamps import TimestampClient

__all__ = ["PENDING_FORMAT", "PendingSignature", "PreparedXml"]

#: ``format`` of the JSON form.
PENDING_FORMAT = "vnsign-prepared-xml/1"


@dataclass(frozen=True)
class PendingSignature:
    """A ``ds:Signature`` whose ``SignatureValue`` is still empty.

    ``digest`` is the ``hash_algorithm`` digest of the canonical ``SignedInfo``:
    the value to put in is a signature over it by ``certificate``'s key, in the
    form a :class:`~vnsign.pki.credentials.Credential` returns (RSA raw, ECDSA
    DER). ``xades`` carries what is added after the value (B-T time stamp, B-LT
    values); the signed properties, ``SigningTime`` included, were fixed when the
    signature was prepared.
    """

    signature_id: str
    digest: bytes
    hash_algorithm: HashAlgorithm
    scheme: SignatureScheme
    signature_method: SignatureMethod
    c14n: C14nMethod
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()
    #: Whether KeyInfo carries the chain (B-LT leaves those out of CertificateValues).
    key_info_chain: bool = False
    xades: XadesOptions | None = None

    @property
    def key_kind(self) -> KeyKind:
        """RSA or ECDSA, from the signature method."""
        return KeyKind.ECDSA if self.signature_method.key_type == "ecdsa" else KeyKind.RSA

    @property
    def key_info_certificates(self) -> tuple[x509.Certificate, ...]:
        """The certificates KeyInfo holds."""
        return (self.certificate, *(self.chain if self.key_info_chain else ()))

    def to_json(self) -> dict[str, Any]:
        """The JSON form (``format`` :data:`PENDING_FORMAT`)."""
        return {
            "format": PENDING_FORMAT,
            "signature_id": self.signature_id,
            "digest": self.digest.hex(),
            "hash": self.hash_algorithm.value,
            "scheme": self.scheme.value,
            "signature_method": self.signature_method.value,
            "c14n": self.c14n.value,
            "certificate": _cert(self.certificate),
            "chain": [_cert(c) for c in self.chain],
            "key_info_chain": self.key_info_chain,
            "xades": _xades_to_json(self.xades),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PendingSignature:
        """Read the JSON form back; :class:`~vnsign.errors.MalformedInputError` if damaged."""
        try:
            if data.get("format") != PENDING_FORMAT:
                raise ValueError(f"format {data.get('format')!r}")
            pending = cls(
                signature_id=str(data["signature_id"]),
                digest=bytes.fromhex(data["digest"]),
                hash_algorithm=HashAlgorithm(data["hash"]),
                scheme=SignatureScheme(data["scheme"]),
                signature_method=SignatureMethod(data["signature_method"]),
                c14n=C14nMethod(data["c14n"]),
                certificate=_uncert(data["certificate"]),
                chain=tuple(_uncert(c) for c in data["chain"]),
                key_info_chain=bool(data["key_info_chain"]),
                xades=_xades_from_json(data["xades"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError, SigningError) as exc:
            raise MalformedInputError(f"the prepared XML signature is damaged: {exc}") from exc
        if len(pending.digest) != pending.hash_algorithm.digest_size:
            raise MalformedInputError("the prepared XML signature has a digest of the wrong size")
        return pending


@dataclass(frozen=True)
class PreparedXml:
    """A prepared document (its Signature's ``SignatureValue`` empty) and what
    finishing it needs; :func:`~vnsign.formats.xml.finishing.finish_xml` puts the
    value in."""

    document: bytes
    signature: PendingSignature

    @property
    def digest(self) -> bytes:
        """What the signer signs: the digest of the canonical ``SignedInfo``."""
        return self.signature.digest

    @property
    def hash_algorithm(self) -> HashAlgorithm:
        """The algorithm of :attr:`digest`."""
        return self.signature.hash_algorithm

    def to_json(self) -> dict[str, Any]:
        """The JSON form: :meth:`PendingSignature.to_json` plus the document in base64."""
        return {**self.signature.to_json(), "document": b64(self.document)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PreparedXml:
        """Read the JSON form back."""
        try:
            document = base64.b64decode(data["document"], validate=True)
        except (KeyError, TypeError, binascii.Error) as exc:
            raise MalformedInputError(f"the prepared XML document is damaged: {exc}") from exc
        return cls(document, PendingSignature.from_json(data))


def _cert(certificate: x509.Certificate) -> str:
    return b64(certificate.public_bytes(Encoding.DER))


def _uncert(text: str) -> x509.Certificate:
    return x509.load_der_x509_certificate(base64.b64decode(text, validate=True))


def _xades_to_json(options: XadesOptions | None) -> dict[str, Any] | None:
    # Only what finishing uses: the signed properties are already in the document.
    if options is None:
        return None
    tsa = options.tsa
    if tsa is not None and tsa.headers:
        raise InputError(
            "the time-stamping authority needs credentials (HTTP headers), which are never "
            "written down; a signature finished later cannot use it"
        )
    revocation = options.revocation
    return {
        "level": options.level.value,
        "tsa": None
        if tsa is None
        else {
            "url": tsa.url,
            "timeout": tsa.timeout,
            "hash": tsa.hash_algorithm.value,
            "policy": tsa.policy,
        },
        "revocation": None
        if revocation is None
        else {
            "crls": [b64(c) for c in revocation.crls],
            "ocsp": [b64(r) for r in revocation.ocsp_responses],
        },
    }


def _xades_from_json(data: dict[str, Any] | None) -> XadesOptions | None:
    if data is None:
        return None
    tsa = data["tsa"]
    revocation = data["revocation"]
    return XadesOptions(
        level=XadesLevel(data["level"]),
        tsa=None
        if tsa is None
        else TimestampClient(
            str(tsa["url"]),
            timeout=float(tsa["timeout"]),
            hash_algorithm=str(tsa["hash"]),
            policy=tsa["policy"],
        ),
        revocation=None
        if revocation is None
        else RevocationValues(
            crls=tuple(base64.b64decode(c, validate=True) for c in revocation["crls"]),
            ocsp_responses=tuple(base64.b64decode(r, validate=True) for r in revocation["ocsp"]),
        ),
    )
