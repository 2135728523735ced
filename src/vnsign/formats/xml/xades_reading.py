"""Reading the XAdES qualifying properties of a verified signature."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence

from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from vnsign.errors import InputError
from vnsign.formats.xml.algorithms import C14nMethod, DigestMethod
from vnsign.formats.xml.canonical import canonicalize
from vnsign.formats.xml.keyinfo import load_certificate
from vnsign.formats.xml.namespaces import DS, XADES
from vnsign.formats.xml.parsing import text_value
from vnsign.formats.xml.paths import element_path
from vnsign.formats.xml.results import (
    DataObjectFormatInfo,
    ReferenceResult,
    SignaturePolicyInfo,
    SigningCertificateCheck,
    SigningTimeClaim,
    TimestampCheck,
    XadesProperties,
)
from vnsign.formats.xml.times import parse_time
from vnsign.pki.timestamps import TimestampToken

__all__ = ["certificate_values", "read_xades"]


def _x(local: str) -> str:
    return f"{{{XADES}}}{local}"


def _ds(local: str) -> str:
    return f"{{{DS}}}{local}"


def _decode(element: etree._Element | None) -> bytes:
    return base64.b64decode("".join(text_value(element).split()), validate=True)


def _qualifying(signature: etree._Element) -> list[etree._Element]:
    return [
        q
        for obj in signature.iterfind(_ds("Object"))
        for q in obj.iterfind(_x("QualifyingProperties"))
    ]


def certificate_values(
    signature: etree._Element,
) -> tuple[tuple[x509.Certificate, ...], tuple[str, ...]]:
    """Certificates in XAdES ``CertificateValues`` (and problems reading them)."""
    certs: list[x509.Certificate] = []
    problems: list[str] = []
    for qualifying in _qualifying(signature):
        for value in qualifying.iterfind(
            f"{_x('UnsignedProperties')}/{_x('UnsignedSignatureProperties')}/"
            f"{_x('CertificateValues')}/{_x('EncapsulatedX509Certificate')}"
        ):
            try:
                certs.append(load_certificate(_decode(value)))
            except (ValueError, binascii.Error) as exc:
                problems.append(f"unreadable EncapsulatedX509Certificate: {exc}")
    return tuple(certs), tuple(problems)


def read_xades(
    signature: etree._Element,
    *,
    references: Sequence[ReferenceResult],
    signer: x509.Certificate | None,
    signature_value: etree._Element | None,
) -> XadesProperties | None:
    """The qualifying properties of ``signature``, or None when it is plain XMLDSig."""
    found = _qualifying(signature)
    if not found:
        return None
    problems: list[str] = []
    if len(found) > 1:
        problems.append(f"{len(found)} QualifyingProperties; only the first is read")
    qualifying = found[0]
    target = qualifying.get("Target")
    if target != f"#{signature.get('Id')}":
        problems.append(f"QualifyingProperties targets {target!r}, not this signature")
    signed_properties = qualifying.find(_x("SignedProperties"))
    signed = signed_properties is not None and any(
        r.digest_ok and r.element is signed_properties for r in references
    )
    if signed_properties is not None and not signed:
        problems.append("no verified reference covers SignedProperties")
    signature_props = (
        signed_properties.find(_x("SignedSignatureProperties"))
        if signed_properties is not None
        else None
    )
    signing_time = None
    signing_certificate = None
    policy = None
    if signature_props is not None:
        time_element = signature_props.find(_x("SigningTime"))
        if time_element is not None:
            value, assumed = parse_time(time_element.text or "")
            signing_time = SigningTimeClaim(
                text=time_element.text or "",
                value=value,
                source="xades:SigningTime",
                path=element_path(time_element),
                signed=signed,
                offset_assumed=assumed,
            )
        signing_certificate = _signing_certificate(signature_props, signer, problems)
        policy = _policy(signature_props)
    formats = (
        tuple(
            DataObjectFormatInfo(
                object_reference=f.get("ObjectReference") or "",
                mime_type=f.findtext(_x("MimeType")),
                encoding=f.findtext(_x("Encoding")),
                description=f.findtext(_x("Description")),
            )
            for f in signed_properties.iterfind(
                f"{_x('SignedDataObjectProperties')}/{_x('DataObjectFormat')}"
            )
        )
        if signed_properties is not None
        else ()
    )
    unsigned = qualifying.find(f"{_x('UnsignedProperties')}/{_x('UnsignedSignatureProperties')}")
    timestamps: tuple[TimestampCheck, ...] = ()
    crls: list[bytes] = []
    responses: list[bytes] = []
    if unsigned is not None:
        timestamps = tuple(
            _timestamp(stamp, signature_value)
            for stamp in unsigned.iterfind(_x("SignatureTimeStamp"))
        )
        for path, bucket in (
            (f"{_x('RevocationValues')}/{_x('CRLValues')}/{_x('EncapsulatedCRLValue')}", crls),
            (
                f"{_x('RevocationValues')}/{_x('OCSPValues')}/{_x('EncapsulatedOCSPValue')}",
                responses,
            ),
        ):
            for element in unsigned.iterfind(path):
                try:
                    bucket.append(_decode(element))
                except (ValueError, binascii.Error) as exc:
                    problems.append(f"unreadable revocation value: {exc}")
    certs, cert_problems = certificate_values(signature)
    return XadesProperties(
        signed_properties_id=signed_properties.get("Id") if signed_properties is not None else None,
        signed_properties_signed=signed,
        signing_time=signing_time,
        signing_certificate=signing_certificate,
        policy=policy,
        data_object_formats=formats,
        timestamps=timestamps,
        certificate_values=certs,
        crl_values=tuple(crls),
        ocsp_values=tuple(responses),
        problems=(*problems, *cert_problems),
    )


def _signing_certificate(
    properties: etree._Element, signer: x509.Certificate | None, problems: list[str]
) -> SigningCertificateCheck | None:
    element = properties.find(_x("SigningCertificateV2"))
    version = 2
    if element is None:
        element = properties.find(_x("SigningCertificate"))
        version = 1
    if element is None:
        return None
    der = signer.public_bytes(Encoding.DER) if signer is not None else b""
    digest_matches = False
    serial_matches: bool | None = None
    method_uri = ""
    certs = list(element.iterfind(_x("Cert")))
    for cert in certs:
        method_element = cert.find(f"{_x('CertDigest')}/{_ds('DigestMethod')}")
        method_uri = method_element.get("Algorithm", "") if method_element is not None else ""
        method = DigestMethod.parse(method_uri)
        try:
            expected = _decode(cert.find(f"{_x('CertDigest')}/{_ds('DigestValue')}"))
        except (ValueError, binascii.Error) as exc:
            problems.append(f"unreadable CertDigest: {exc}")
            continue
        if method is None:
            problems.append(f"unsupported CertDigest algorithm {method_uri!r}")
            continue
        if signer is None or method.compute(der) != expected:
            continue
        digest_matches = True
        serial_matches = _issuer_serial_matches(cert, signer, version, problems)
        if serial_matches is False:
            problems.append("the IssuerSerial of the signing certificate reference does not match")
        break
    if signer is not None and not digest_matches:
        problems.append(
            "the signing certificate named in SignedProperties is not the one that signed"
        )
    return SigningCertificateCheck(
        version=version,
        digest_method=method_uri,
        digest_matches=digest_matches,
        issuer_serial_matches=serial_matches,
        listed=len(certs),
    )


def _issuer_serial_matches(
    cert: etree._Element, signer: x509.Certificate, version: int, problems: list[str]
) -> bool | None:
    if version == 2:
        element = cert.find(_x("IssuerSerialV2"))
        if element is None:
            return None
        try:
            value = tsp.IssuerSerial.load(_decode(element))
            parsed = asn1_x509.Certificate.load(signer.public_bytes(Encoding.DER))
            names = [n.chosen for n in value["issuer"] if n.name == "directory_name"]
            return bool(
                value["serial_number"].native == signer.serial_number and parsed.issuer in names
            )
        except (ValueError, TypeError, binascii.Error) as exc:
            problems.append(f"unreadable IssuerSerialV2: {exc}")
            return False
    serial = cert.findtext(f"{_x('IssuerSerial')}/{_ds('X509SerialNumber')}")
    if serial is None:
        return None
    # v1 names the issuer as free text; the serial number is what can be compared exactly.
    return bool(serial.strip() == str(signer.serial_number))


def _policy(properties: etree._Element) -> SignaturePolicyInfo | None:
    identifier = properties.find(_x("SignaturePolicyIdentifier"))
    if identifier is None:
        return None
    if identifier.find(_x("SignaturePolicyImplied")) is not None:
        return SignaturePolicyInfo(implied=True)
    policy = identifier.find(_x("SignaturePolicyId"))
    if policy is None:
        return SignaturePolicyInfo(implied=False)
    method = policy.find(f"{_x('SigPolicyHash')}/{_ds('DigestMethod')}")
    try:
        digest = _decode(policy.find(f"{_x('SigPolicyHash')}/{_ds('DigestValue')}"))
    except (ValueError, binascii.Error):
        digest = None
    return SignaturePolicyInfo(
        implied=False,
        identifier=(policy.findtext(f"{_x('SigPolicyId')}/{_x('Identifier')}") or "").strip()
        or None,
        description=policy.findtext(f"{_x('SigPolicyId')}/{_x('Description')}"),
        digest_method=method.get("Algorithm") if method is not None else None,
        digest=digest,
        uri=policy.findtext(
            f"{_x('SigPolicyQualifiers')}/{_x('SigPolicyQualifier')}/{_x('SPURI')}"
        ),
    )


def _timestamp(stamp: etree._Element, signature_value: etree._Element | None) -> TimestampCheck:
    encapsulated = stamp.find(_x("EncapsulatedTimeStamp"))
    if encapsulated is None:
        return TimestampCheck("signature-timestamp", None, False, False, "no EncapsulatedTimeStamp")
    try:
        token = TimestampToken.parse(_decode(encapsulated))
    except (InputError, ValueError, binascii.Error, x509.InvalidVersion) as exc:
        return TimestampCheck("signature-timestamp", None, False, False, f"unreadable token: {exc}")
    method_element = stamp.find(_ds("CanonicalizationMethod"))
    method = C14nMethod.parse(
        method_element.get("Algorithm")
        if method_element is not None
        else C14nMethod.INCLUSIVE.value
    )
    covers = False
    message = "the token covers the SignatureValue"
    if method is None or signature_value is None:
        message = "cannot compute what the token should cover"
    else:
        try:
            imprint = hashlib.new(
                token.hash_algorithm, canonicalize(signature_value, method)
            ).digest()
        except (ValueError, InputError) as exc:
            message = f"cannot compute the imprint: {exc}"
        else:
            covers = token.covers(imprint, token.hash_algorithm)
            if not covers:
                message = "the token covers other data than this SignatureValue"
    try:
        valid = token.signature_valid()
    except (ValueError, TypeError, KeyError) as exc:  # a token damaged inside its SignedData
        valid = False
        message += f"; the token's signature cannot be read: {exc}"
    if not valid:
        message += "; the token's own signature does not verify"
    return TimestampCheck("signature-timestamp", token, covers, valid, message)
