"""What verifying an XML signature found: immutable results, never exceptions.

The shapes follow what a format-neutral verifier needs per signature: whether
the signature value is valid, each reference (URI, the element it resolved to,
transforms, digest algorithm, digest check), the algorithms used (SHA-1
flagged), the signer certificate and every certificate found, the claimed
signing time and where it came from, the XAdES signing-certificate check,
time-stamp tokens and whether they cover the SignatureValue, and the signed
elements themselves.

Trust in the signer certificate (chain, revocation) is *not* decided here: a
``VALID`` signature is mathematically valid with the key it names.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509
from lxml import etree

from vnsign.formats.xml.canonical import is_within
from vnsign.pki.timestamps import TimestampToken

__all__ = [
    "AlgorithmUse",
    "DataObjectFormatInfo",
    "KeySource",
    "ReferenceQuirk",
    "ReferenceResult",
    "ReferenceStatus",
    "SignaturePolicyInfo",
    "SignatureStatus",
    "SigningCertificateCheck",
    "SigningTimeClaim",
    "TimestampCheck",
    "XadesProperties",
    "XmlSignatureResult",
    "XmlVerificationResult",
]


class ReferenceStatus(enum.StrEnum):
    """The outcome of one ``ds:Reference``."""

    VALID = "valid"  #: resolved to exactly one thing and the digest matches
    DIGEST_MISMATCH = "digest-mismatch"  #: the data changed after signing
    NOT_FOUND = "not-found"  #: no element with that ID, or external data not supplied
    AMBIGUOUS = "ambiguous"  #: the ID occurs more than once (signature wrapping)
    UNSUPPORTED = "unsupported"  #: a transform or digest vnsign does not compute
    MALFORMED = "malformed"  #: the Reference element itself is broken


class ReferenceQuirk(enum.StrEnum):
    """Known interoperability quirks accepted on purpose (the OBS rules of vn-rules)."""

    #: An enveloped-signature transform on a reference to a ``ds:Object`` inside the
    #: Signature itself. Strict XPath semantics give an empty node-set; .NET
    #: ``SignedXml`` digests the Object. The digest matched the Object's content,
    #: so that content is what was signed (OBS-EINVOICE-ENVELOPED-OBJECT). Accepted
    #: only for what e-invoices do: ``URI="#id"`` naming an Object of the same
    #: Signature that holds nothing but ``SignatureProperties/SignatureProperty/
    #: SigningTime``; any other reference into a Signature keeps the strict reading.
    DOTNET_ENVELOPED_OBJECT = "dotnet-enveloped-object"


class SignatureStatus(enum.StrEnum):
    """The outcome of one ``ds:Signature``."""

    VALID = "valid"  #: signature value and every reference verify
    INVALID = "invalid"  #: the value does not verify, or a reference failed
    MALFORMED = "malformed"  #: the Signature's structure is broken
    UNSUPPORTED = "unsupported"  #: uses an algorithm or transform vnsign does not verify
    NO_KEY = "no-key"  #: no certificate or key to verify with


class KeySource(enum.StrEnum):
    """Where the key that checked the signature value came from."""

    X509_CERTIFICATE = "x509-certificate"  #: a certificate inside the document
    KEY_VALUE = "key-value"  #: a bare ``ds:KeyValue`` (no certificate)
    SUPPLIED_CERTIFICATE = "supplied-certificate"  #: a certificate the caller passed
    NONE = "none"  #: no key verified the signature


@dataclass(frozen=True)
class AlgorithmUse:
    """One algorithm a signature uses."""

    role: str  #: ``signature``, ``canonicalization``, ``digest`` or ``transform``
    uri: str
    supported: bool
    weak: bool  #: SHA-1: acceptable only for old documents (OBS-SHA1-LEGACY)


@dataclass(frozen=True)
class ReferenceResult:
    """One ``ds:Reference``: what it points at and whether its digest holds."""

    index: int  #: position in SignedInfo, from 0
    uri: str | None
    id: str | None
    type: str | None
    transforms: tuple[str, ...]
    digest_method: str
    status: ReferenceStatus
    message: str
    #: The element the URI resolved to (the document element for ``URI=""``); None
    #: for external data or when unresolved.
    element: etree._Element | None = field(default=None, compare=False, repr=False)
    element_path: str | None = None
    element_tag: str | None = None
    whole_document: bool = False
    #: The enveloping Signature was excluded from the digested data.
    excludes_signature: bool = False
    expected_digest: bytes = b""
    computed_digest: bytes | None = None
    #: The exact octets that were digested (what was signed).
    signed_data: bytes | None = field(default=None, repr=False)
    quirk: ReferenceQuirk | None = None
    #: The element lies inside the Signature and the enveloped-signature transform
    #: removed all of it: the digest covers nothing (strict XMLDSig), even when it
    #: matches.
    emptied_by_enveloped: bool = False

    @property
    def digest_ok(self) -> bool:
        """Whether the reference resolved and its digest matches."""
        return self.status is ReferenceStatus.VALID

    def covers(self, element: etree._Element, signature: etree._Element) -> bool:
        """Whether this reference's matching digest covers ``element``: it lies in
        the element the reference resolved to, and was not removed by the
        enveloped-signature transform, which takes out ``signature`` (the one this
        reference belongs to) unless the .NET quirk was accepted. Says nothing about
        the signature value: see :meth:`XmlSignatureResult.covers`."""
        if not self.digest_ok or self.element is None or self.emptied_by_enveloped:
            return False
        if not is_within(element, self.element):
            return False
        removed = self.excludes_signature and self.quirk is None
        return not (removed and is_within(element, signature))

    @property
    def weak(self) -> bool:
        """Whether the digest is SHA-1."""
        return self.digest_method.endswith("#sha1")


@dataclass(frozen=True)
class SigningTimeClaim:
    """A signing time written in the document by the signer: a claim, not proof
    (only a time stamp proves a time)."""

    text: str  #: verbatim
    value: datetime | None  #: timezone-aware; None when unreadable
    source: str  #: ``xades:SigningTime`` or ``SignatureProperty/SigningTime``
    path: str  #: where in the document
    signed: bool  #: covered by a verified reference
    #: No offset in the text: read as Vietnam time (UTC+07:00, EINV-SIGNINGTIME).
    offset_assumed: bool = False


@dataclass(frozen=True)
class TimestampCheck:
    """An RFC 3161 token found in the signature (XAdES ``SignatureTimeStamp``)."""

    kind: str  #: ``signature-timestamp``
    token: TimestampToken | None
    covers_signature_value: bool  #: its imprint is the digest of the canonical SignatureValue
    token_signature_valid: bool  #: signed by the TSA certificate it names
    message: str

    @property
    def gen_time(self) -> datetime | None:
        """The TSA's time, when the token is readable."""
        return self.token.gen_time if self.token else None


@dataclass(frozen=True)
class SigningCertificateCheck:
    """XAdES ``SigningCertificateV2`` (or v1) against the certificate that verified."""

    version: int  #: 2 or 1
    digest_method: str
    digest_matches: bool  #: a listed CertDigest is the signer certificate's
    issuer_serial_matches: bool | None  #: None when no IssuerSerial was given
    listed: int  #: number of ``Cert`` entries


@dataclass(frozen=True)
class SignaturePolicyInfo:
    """XAdES ``SignaturePolicyIdentifier``."""

    implied: bool
    identifier: str | None = None
    description: str | None = None
    digest_method: str | None = None
    digest: bytes | None = None
    uri: str | None = None


@dataclass(frozen=True)
class DataObjectFormatInfo:
    """XAdES ``DataObjectFormat``: the declared format of one signed data object."""

    object_reference: str
    mime_type: str | None
    encoding: str | None
    description: str | None


@dataclass(frozen=True)
class XadesProperties:
    """The XAdES qualifying properties of one signature."""

    signed_properties_id: str | None
    #: A verified reference covers SignedProperties (otherwise nothing in it counts).
    signed_properties_signed: bool
    signing_time: SigningTimeClaim | None
    signing_certificate: SigningCertificateCheck | None
    policy: SignaturePolicyInfo | None
    data_object_formats: tuple[DataObjectFormatInfo, ...]
    timestamps: tuple[TimestampCheck, ...]
    certificate_values: tuple[x509.Certificate, ...]
    crl_values: tuple[bytes, ...]
    ocsp_values: tuple[bytes, ...]
    problems: tuple[str, ...]

    @property
    def level(self) -> str:
        """The baseline level the properties reach: ``B-B``, ``B-T``, ``B-LT``, or
        ``none`` when SignedProperties with a signing certificate is missing."""
        if not (self.signed_properties_signed and self.signing_certificate):
            return "none"
        if not any(t.covers_signature_value and t.token_signature_valid for t in self.timestamps):
            return "B-B"
        if self.certificate_values or self.crl_values or self.ocsp_values:
            return "B-LT"
        return "B-T"


@dataclass(frozen=True)
class XmlSignatureResult:
    """Everything verified about one ``ds:Signature``."""

    element: etree._Element = field(compare=False, repr=False)
    path: str
    id: str | None
    status: SignatureStatus
    signature_value_valid: bool
    problems: tuple[str, ...]
    canonicalization: AlgorithmUse
    signature_method: AlgorithmUse
    references: tuple[ReferenceResult, ...]
    signer_certificate: x509.Certificate | None
    key_source: KeySource
    #: Every certificate found in KeyInfo and in XAdES CertificateValues.
    certificates: tuple[x509.Certificate, ...]
    #: ``X509SubjectName`` texts, verbatim (EINV-KEYINFO compares them).
    key_info_subject_names: tuple[str, ...]
    signing_time: SigningTimeClaim | None
    xades: XadesProperties | None
    signed_info: bytes = field(default=b"", repr=False)  #: canonical SignedInfo

    @property
    def valid(self) -> bool:
        """Signature value and every reference verify (trust not included)."""
        return self.status is SignatureStatus.VALID

    @property
    def algorithms(self) -> tuple[AlgorithmUse, ...]:
        """Every algorithm used: canonicalization, signature, per-reference digests
        and transforms."""
        uses = [self.canonicalization, self.signature_method]
        for reference in self.references:
            uses.append(AlgorithmUse("digest", reference.digest_method, True, reference.weak))
            uses.extend(AlgorithmUse("transform", t, True, False) for t in reference.transforms)
        return tuple(uses)

    @property
    def uses_sha1(self) -> bool:
        """Whether SHA-1 appears anywhere (OBS-SHA1-LEGACY, EINV-ALGS)."""
        return any(use.weak for use in self.algorithms)

    @property
    def signed_elements(self) -> tuple[etree._Element, ...]:
        """The elements whose digests verified, in reference order (for a report;
        only a ``VALID`` signature makes them signed, see :meth:`covers`)."""
        return tuple(
            r.element
            for r in self.references
            if r.digest_ok and r.element is not None and not r.emptied_by_enveloped
        )

    @property
    def timestamps(self) -> tuple[TimestampCheck, ...]:
        """Time-stamp tokens found (XAdES)."""
        return self.xades.timestamps if self.xades else ()

    def covers(self, element: etree._Element) -> bool:
        """Whether ``element`` lies inside data this signature verifiably signed.

        Profiles call this on the element they are about to read (the invoice
        data, an edXML header), so that content outside what was signed is never
        taken as signed: the defence against signature wrapping.
        """
        if not self.valid:
            return False
        return any(reference.covers(element, self.element) for reference in self.references)

    def reference_to(self, element: etree._Element) -> ReferenceResult | None:
        """The reference that resolved to ``element`` itself, if any."""
        return next((r for r in self.references if r.element is element), None)


@dataclass(frozen=True)
class XmlVerificationResult:
    """All signatures of one XML document."""

    signatures: tuple[XmlSignatureResult, ...]
    #: ID values that occur more than once in the document.
    duplicate_ids: tuple[str, ...]
    tree: etree._ElementTree = field(compare=False, repr=False)

    @property
    def valid(self) -> bool:
        """At least one signature, and every signature valid."""
        return bool(self.signatures) and all(s.valid for s in self.signatures)
