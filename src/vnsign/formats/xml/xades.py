"""XAdES baseline signatures (ETSI EN 319 132-1): B-B, B-T and B-LT.

* B-B: ``SignedProperties`` with ``SigningTime``, ``SigningCertificateV2``, an
  optional ``SignaturePolicyIdentifier`` and ``DataObjectFormat`` per data
  reference, covered by a reference of type ``SignedProperties``.
* B-T: a ``SignatureTimeStamp`` from an RFC 3161 TSA over the canonical
  ``ds:SignatureValue`` element.
* B-LT: ``CertificateValues`` (the chain and the TSA's certificates) and
  ``RevocationValues`` (CRLs and OCSP responses, fetched or supplied).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from vnsign.errors import SigningError
from vnsign.formats.xml.algorithms import C14nMethod, DigestMethod
from vnsign.formats.xml.canonical import canonicalize
from vnsign.formats.xml.keyinfo import b64
from vnsign.formats.xml.namespaces import DS, XADES
from vnsign.formats.xml.revocation import RevocationValues, fetch_revocation_values
from vnsign.formats.xml.times import format_utc
from vnsign.pki.credentials import HashAlgorithm
from vnsign.pki.timestamps import TimestampClient, TimestampToken

__all__ = [
    "SIGNED_PROPERTIES_TYPE",
    "SignaturePolicy",
    "XadesLevel",
    "XadesOptions",
    "add_unsigned_properties",
    "build_qualifying_properties",
    "issuer_serial_v2",
]

#: ``Type`` of the Reference that covers SignedProperties.
SIGNED_PROPERTIES_TYPE = "http://uri.etsi.org/01903#SignedProperties"


class XadesLevel(enum.StrEnum):
    """XAdES baseline levels vnsign produces."""

    B_B = "B-B"
    B_T = "B-T"
    B_LT = "B-LT"


@dataclass(frozen=True)
class SignaturePolicy:
    """An explicit signature policy (``SignaturePolicyId``)."""

    identifier: str  #: ``urn:oid:...`` or a URL
    digest: bytes  #: digest of the policy document
    digest_method: DigestMethod = DigestMethod.SHA256
    description: str | None = None
    uri: str | None = None  #: where the policy document can be read (``SPURI``)


@dataclass(frozen=True)
class XadesOptions:
    """What to add to a XAdES signature."""

    level: XadesLevel = XadesLevel.B_B
    #: Claimed signing time (default: now).
    signing_time: datetime | None = None
    policy: SignaturePolicy | None = None
    #: MIME type declared in a DataObjectFormat for each data reference (None: none).
    data_mime_type: str | None = "text/xml"
    #: The TSA for B-T and B-LT.
    tsa: TimestampClient | None = None
    #: Revocation data for B-LT; None fetches it from the certificates' OCSP/CRL URLs.
    revocation: RevocationValues | None = None

    def __post_init__(self) -> None:
        if self.level is not XadesLevel.B_B and self.tsa is None:
            raise SigningError(f"XAdES {self.level} needs a time-stamping authority (tsa=...)")


def issuer_serial_v2(certificate: x509.Certificate) -> bytes:
    """DER ``IssuerSerial`` (RFC 5035) of ``certificate``, for ``IssuerSerialV2``."""
    parsed = asn1_x509.Certificate.load(certificate.public_bytes(Encoding.DER))
    value = tsp.IssuerSerial(
        {
            "issuer": [asn1_x509.GeneralName({"directory_name": parsed.issuer})],
            "serial_number": parsed.serial_number,
        }
    )
    return bytes(value.dump())


def _sub(
    parent: etree._Element, namespace: str, local: str, text: str | None = None
) -> etree._Element:
    child = etree.SubElement(parent, f"{{{namespace}}}{local}")
    if text is not None:
        child.text = text
    return child


def build_qualifying_properties(
    signature: etree._Element,
    *,
    signature_id: str,
    signed_properties_id: str,
    certificate: x509.Certificate,
    digest_method: DigestMethod,
    options: XadesOptions,
    data_reference_ids: Sequence[str],
) -> etree._Element:
    """Append to ``signature`` a ``ds:Object`` holding ``QualifyingProperties`` with
    the signed properties, and return the Object."""
    obj = _sub(signature, DS, "Object")
    qualifying = etree.SubElement(obj, f"{{{XADES}}}QualifyingProperties", nsmap={"xades": XADES})
    qualifying.set("Target", f"#{signature_id}")
    signed = _sub(qualifying, XADES, "SignedProperties")
    signed.set("Id", signed_properties_id)
    signature_props = _sub(signed, XADES, "SignedSignatureProperties")
    _sub(
        signature_props, XADES, "SigningTime", format_utc(options.signing_time or datetime.now(UTC))
    )
    cert_ref = _sub(_sub(signature_props, XADES, "SigningCertificateV2"), XADES, "Cert")
    cert_digest = _sub(cert_ref, XADES, "CertDigest")
    _sub(cert_digest, DS, "DigestMethod").set("Algorithm", digest_method.value)
    _sub(
        cert_digest,
        DS,
        "DigestValue",
        b64(digest_method.compute(certificate.public_bytes(Encoding.DER))),
    )
    _sub(cert_ref, XADES, "IssuerSerialV2", b64(issuer_serial_v2(certificate)))
    if options.policy is not None:
        policy = options.policy
        policy_id = _sub(
            _sub(signature_props, XADES, "SignaturePolicyIdentifier"), XADES, "SignaturePolicyId"
        )
        sig_policy_id = _sub(policy_id, XADES, "SigPolicyId")
        _sub(sig_policy_id, XADES, "Identifier", policy.identifier)
        if policy.description:
            _sub(sig_policy_id, XADES, "Description", policy.description)
        policy_hash = _sub(policy_id, XADES, "SigPolicyHash")
        _sub(policy_hash, DS, "DigestMethod").set("Algorithm", policy.digest_method.value)
        _sub(policy_hash, DS, "DigestValue", b64(policy.digest))
        if policy.uri:
            qualifier = _sub(
                _sub(policy_id, XADES, "SigPolicyQualifiers"), XADES, "SigPolicyQualifier"
            )
            _sub(qualifier, XADES, "SPURI", policy.uri)
    if options.data_mime_type and data_reference_ids:
        data_props = _sub(signed, XADES, "SignedDataObjectProperties")
        for reference_id in data_reference_ids:
            data_format = _sub(data_props, XADES, "DataObjectFormat")
            data_format.set("ObjectReference", f"#{reference_id}")
            _sub(data_format, XADES, "MimeType", options.data_mime_type)
    return obj


def add_unsigned_properties(
    *,
    signature: etree._Element,
    qualifying_object: etree._Element,
    options: XadesOptions,
    c14n: C14nMethod,
    key_info_certificates: Sequence[x509.Certificate],
    chain: Sequence[x509.Certificate],
) -> TimestampToken | None:
    """Add the B-T time stamp and the B-LT values after ``SignatureValue`` is set."""
    if options.level is XadesLevel.B_B or options.tsa is None:
        return None
    qualifying = qualifying_object.find(f"{{{XADES}}}QualifyingProperties")
    value = signature.find(f"{{{DS}}}SignatureValue")
    if qualifying is None or value is None:
        raise SigningError("the signature has no QualifyingProperties or SignatureValue")
    tsa = options.tsa
    algorithm = HashAlgorithm(tsa.hash_algorithm)
    imprint = DigestMethod.for_hash(algorithm).compute(canonicalize(value, c14n))
    token = tsa.timestamp(imprint, algorithm)
    unsigned = _sub(
        _sub(qualifying, XADES, "UnsignedProperties"), XADES, "UnsignedSignatureProperties"
    )
    stamp = _sub(unsigned, XADES, "SignatureTimeStamp")
    stamp.set("Id", f"{signature.get('Id')}-ts")
    _sub(stamp, DS, "CanonicalizationMethod").set("Algorithm", c14n.value)
    _sub(stamp, XADES, "EncapsulatedTimeStamp", b64(token.der))
    if options.level is XadesLevel.B_LT:
        _add_validation_values(unsigned, options, token, key_info_certificates, chain, tsa.timeout)
    return token


def _add_validation_values(
    unsigned: etree._Element,
    options: XadesOptions,
    token: TimestampToken,
    key_info_certificates: Sequence[x509.Certificate],
    chain: Sequence[x509.Certificate],
    timeout: float,
) -> None:
    values: list[x509.Certificate] = []
    for cert in (*chain, *token.certificates):
        if cert not in values and cert not in key_info_certificates:
            values.append(cert)
    if values:
        container = _sub(unsigned, XADES, "CertificateValues")
        for cert in values:
            _sub(
                container,
                XADES,
                "EncapsulatedX509Certificate",
                b64(cert.public_bytes(Encoding.DER)),
            )
    revocation = options.revocation
    if revocation is None:
        signer_path = [*key_info_certificates[:1], *chain]
        revocation = fetch_revocation_values(signer_path, timeout=timeout)
    if revocation:
        container = _sub(unsigned, XADES, "RevocationValues")
        if revocation.crls:
            crls = _sub(container, XADES, "CRLValues")
            for crl in revocation.crls:
                _sub(crls, XADES, "EncapsulatedCRLValue", b64(crl))
        if revocation.ocsp_responses:
            responses = _sub(container, XADES, "OCSPValues")
            for response in revocation.ocsp_responses:
                _sub(responses, XADES, "EncapsulatedOCSPValue", b64(response))
