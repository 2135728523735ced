"""A prepared PDF signature waiting for its value, as explicit data.

Preparing (:mod:`vnsign.formats.pdf.preparing`) does everything signing does up
to the value: the field, its Decree 30 appearance and place, certification and
locks, the signing time (``/M`` and the text shown), the DSS of a B-LT
signature, ``/Contents`` reserved for the CMS, its time-stamp token and
revocation data, the byte-range digest and the CMS signed attributes. What
finishing (:mod:`vnsign.formats.pdf.finishing`) still needs is a
:class:`PendingPdfSignature`; it turns into JSON and back (``to_json`` /
``from_json``, format :data:`PENDING_FORMAT`), so another process can finish.
Nothing is pickled and nothing secret is kept: a TSA that needs credentials
(HTTP headers) and the file key of an encrypted PDF cannot be written down, so
a signature that needs them after the value cannot be finished later.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest

from vnsign.errors import InputError, MalformedInputError
from vnsign.formats.pdf.geometry import Rect
from vnsign.formats.pdf.options import PadesLevel, Role, SubFilter
from vnsign.formats.pdf.results import SignedPdf
from vnsign.formats.pdf.validation_data import RevocationData
from vnsign.pki.credentials import HashAlgorithm, KeyKind, SignatureScheme
from vnsign.pki.timestamps import TimestampClient

__all__ = ["PENDING_FORMAT", "PendingPdfSignature"]

#: ``format`` of the JSON form.
PENDING_FORMAT = "vnsign-pending-pdf/1"
_DER = Encoding.DER


@dataclass(frozen=True)
class PendingPdfSignature:
    """A signature prepared in a PDF whose ``/Contents`` still waits for the CMS.

    :attr:`digest` (the :attr:`hash_algorithm` digest of the DER
    :attr:`signed_attributes`) is what the signer signs with the key of
    :attr:`certificate`, giving a value as a
    :class:`~vnsign.pki.credentials.Credential` returns it (RSA raw, ECDSA DER).
    Finishing wraps that value in the CMS, adds the signature time stamp
    (B-T and above, from :attr:`timestamp`) and, for B-LTA, a document time
    stamp validated with :attr:`trust_roots` and :attr:`revocation`.
    """

    field_name: str
    role: Role
    level: PadesLevel
    subfilter: SubFilter
    signing_time: datetime
    """The claimed time (``/M``, the text shown), fixed when preparing."""
    shown_text: tuple[str, ...]
    page: int | None
    """1-based page of the widget; ``None`` for an invisible signature."""
    rect: Rect | None
    hash_algorithm: HashAlgorithm
    key_kind: KeyKind
    scheme: SignatureScheme
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    embed_roots: bool
    document_digest: bytes
    """The digest of the byte range (the ``messageDigest`` signed attribute)."""
    reserved_region_start: int
    reserved_region_end: int
    signed_attributes: bytes
    """The DER ``SignedAttributes`` the value signs."""
    reserved_bytes: int
    """Room reserved for the CMS (hexadecimal characters)."""
    timestamp: TimestampClient | None = None
    trust_roots: tuple[x509.Certificate, ...] = ()
    revocation: RevocationData | None = None
    allow_fetching: bool = True
    strict: bool = True
    """Whether the document is read in strict mode (for the B-LTA update)."""
    encrypted: bool = False
    mac: bool = False
    """Whether the encrypted document carries an ISO/TS 32004 MAC."""
    _digest: bytes = field(default=b"", init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        digest = hashlib.new(self.hash_algorithm.value, self.signed_attributes).digest()
        object.__setattr__(self, "_digest", digest)

    @property
    def digest(self) -> bytes:
        """What the signer signs: the digest of the DER signed attributes."""
        return self._digest

    @property
    def key_size(self) -> int:
        """The key's size in bits (curve size for ECDSA), from the certificate."""
        key = self.certificate.public_key()
        if isinstance(key, rsa.RSAPublicKey):
            return key.key_size
        if isinstance(key, ec.EllipticCurvePublicKey):
            return key.curve.key_size
        raise InputError(f"unsupported public key {type(key).__name__}")

    @property
    def prepared_digest(self) -> PreparedByteRangeDigest:
        """pyHanko's view of the reserved region and the byte-range digest."""
        return PreparedByteRangeDigest(
            self.document_digest, self.reserved_region_start, self.reserved_region_end
        )

    @property
    def attributes(self) -> cms.CMSAttributes:
        """The signed attributes, parsed."""
        return cms.CMSAttributes.load(self.signed_attributes)

    @property
    def needs_file_key(self) -> str | None:
        """Why finishing needs the encrypted file's key (``None`` if it does not):
        the MAC of ISO/TS 32004, or the B-LTA document time stamp."""
        if self.mac:
            return "its ISO/TS 32004 MAC is computed over the signature value"
        if self.encrypted and self.level is PadesLevel.B_LTA:
            return "its B-LTA document time stamp is an update of the encrypted file"
        return None

    def signed(self, path: Path, signature_bytes: int) -> SignedPdf:
        """What the finished signature in ``path`` is."""
        return SignedPdf(
            path=path,
            field_name=self.field_name,
            role=self.role,
            level=self.level,
            signing_time=self.signing_time,
            shown_text=self.shown_text,
            page=self.page,
            rect=self.rect,
            reserved_bytes=self.reserved_bytes,
            signature_bytes=signature_bytes,
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON form (``format`` :data:`PENDING_FORMAT`).

        Raises :class:`~vnsign.errors.InputError` for what cannot be written
        down: a TSA needing credentials, or an encrypted file whose key
        finishing needs (:attr:`needs_file_key`).
        """
        why = self.needs_file_key
        if why is not None:
            raise InputError(
                f"this signature cannot be finished later: {why}, and the file's key is "
                "never written down"
            )
        tsa = self.timestamp
        if tsa is not None and tsa.headers:
            raise InputError(
                "the time-stamping authority needs credentials (HTTP headers), which are "
                "never written down; a signature finished later cannot use it"
            )
        revocation = self.revocation
        return {
            "format": PENDING_FORMAT,
            "field_name": self.field_name,
            "role": self.role.value,
            "level": self.level.value,
            "subfilter": self.subfilter.value,
            "signing_time": self.signing_time.isoformat(),
            "shown_text": list(self.shown_text),
            "page": self.page,
            "rect": list(self.rect) if self.rect is not None else None,
            "hash": self.hash_algorithm.value,
            "key": self.key_kind.value,
            "scheme": self.scheme.value,
            "certificate": _cert(self.certificate),
            "chain": [_cert(c) for c in self.chain],
            "embed_roots": self.embed_roots,
            "document_digest": self.document_digest.hex(),
            "reserved_region": [self.reserved_region_start, self.reserved_region_end],
            "signed_attributes": _b64(self.signed_attributes),
            "reserved_bytes": self.reserved_bytes,
            "tsa": None
            if tsa is None
            else {
                "url": tsa.url,
                "timeout": tsa.timeout,
                "hash": tsa.hash_algorithm.value,
                "policy": tsa.policy,
            },
            "trust_roots": [_cert(c) for c in self.trust_roots],
            "revocation": None
            if revocation is None
            else {
                "ocsp": [_b64(r) for r in revocation.ocsp_responses],
                "crls": [_b64(c) for c in revocation.crls],
                "certificates": [_cert(c) for c in revocation.certificates],
            },
            "allow_fetching": self.allow_fetching,
            "strict": self.strict,
            "encrypted": self.encrypted,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PendingPdfSignature:
        """Read the JSON form back; :class:`~vnsign.errors.MalformedInputError`
        if it is not one."""
        if not isinstance(data, dict) or data.get("format") != PENDING_FORMAT:
            raise MalformedInputError("not a prepared PDF signature")
        try:
            tsa = data["tsa"]
            revocation = data["revocation"]
            rect = data["rect"]
            start, end = (int(v) for v in data["reserved_region"])
            return cls(
                field_name=str(data["field_name"]),
                role=Role(data["role"]),
                level=PadesLevel(data["level"]),
                subfilter=SubFilter(data["subfilter"]),
                signing_time=_aware(datetime.fromisoformat(str(data["signing_time"]))),
                shown_text=tuple(str(line) for line in data["shown_text"]),
                page=None if data["page"] is None else int(data["page"]),
                rect=None if rect is None else _rect(rect),
                hash_algorithm=HashAlgorithm(data["hash"]),
                key_kind=KeyKind(data["key"]),
                scheme=SignatureScheme(data["scheme"]),
                certificate=_uncert(data["certificate"]),
                chain=tuple(_uncert(c) for c in data["chain"]),
                embed_roots=bool(data["embed_roots"]),
                document_digest=bytes.fromhex(str(data["document_digest"])),
                reserved_region_start=start,
                reserved_region_end=end,
                signed_attributes=_unb64(data["signed_attributes"]),
                reserved_bytes=int(data["reserved_bytes"]),
                timestamp=None
                if tsa is None
                else TimestampClient(
                    str(tsa["url"]),
                    timeout=float(tsa["timeout"]),
                    hash_algorithm=str(tsa["hash"]),
                    policy=tsa["policy"],
                ),
                trust_roots=tuple(_uncert(c) for c in data["trust_roots"]),
                revocation=None
                if revocation is None
                else RevocationData(
                    ocsp_responses=tuple(_unb64(r) for r in revocation["ocsp"]),
                    crls=tuple(_unb64(c) for c in revocation["crls"]),
                    certificates=tuple(_uncert(c) for c in revocation["certificates"]),
                ),
                allow_fetching=bool(data["allow_fetching"]),
                strict=bool(data["strict"]),
                encrypted=bool(data["encrypted"]),
            )
        except (KeyError, TypeError, ValueError) as exc:  # binascii.Error is a ValueError
            raise MalformedInputError(f"a damaged prepared PDF signature: {exc}") from exc


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: object) -> bytes:
    return base64.b64decode(str(text), validate=True)


def _cert(cert: x509.Certificate) -> str:
    return _b64(cert.public_bytes(_DER))


def _uncert(text: object) -> x509.Certificate:
    return x509.load_der_x509_certificate(_unb64(text))


def _rect(values: object) -> Rect:
    x1, y1, x2, y2 = (float(v) for v in values)  # type: ignore[attr-defined]
    return (x1, y1, x2, y2)


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("the signing time has no time zone")
    return at
