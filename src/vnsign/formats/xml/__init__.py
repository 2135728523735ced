"""XML signatures: safe parsing, XMLDSig (enveloped, enveloping, detached) and
XAdES baseline B-B/B-T/B-LT, signing through a :class:`~vnsign.pki.credentials.Credential`.

::

    from vnsign.formats.xml import sign_enveloped, verify_xml

    signed = sign_enveloped(xml_bytes, credential)
    result = verify_xml(signed)
    result.valid, result.signatures[0].signed_elements

The e-invoice and edXML profiles (:mod:`vnsign.formats.einvoice`,
:mod:`vnsign.formats.edxml`) build on this package.
"""

from vnsign.formats.xml.algorithms import C14nMethod, DigestMethod, SignatureMethod, TransformMethod
from vnsign.formats.xml.findings import Finding, FindingStatus
from vnsign.formats.xml.finishing import finish_xml
from vnsign.formats.xml.limits import DEFAULT_VERIFY_LIMITS, DigestBudget, VerifyLimits
from vnsign.formats.xml.parsing import DEFAULT_LIMITS, ParseLimits, parse_xml, serialize
from vnsign.formats.xml.pending import PendingSignature, PreparedXml
from vnsign.formats.xml.results import (
    AlgorithmUse,
    DataObjectFormatInfo,
    KeySource,
    ReferenceQuirk,
    ReferenceResult,
    ReferenceStatus,
    SignaturePolicyInfo,
    SignatureStatus,
    SigningCertificateCheck,
    SigningTimeClaim,
    TimestampCheck,
    XadesProperties,
    XmlSignatureResult,
    XmlVerificationResult,
)
from vnsign.formats.xml.revocation import RevocationValues, fetch_revocation_values
from vnsign.formats.xml.signing import (
    ReferenceSpec,
    SignerCertificate,
    XmlSignOptions,
    prepare_detached,
    prepare_enveloped,
    prepare_enveloping,
    sign_detached,
    sign_enveloped,
    sign_enveloping,
)
from vnsign.formats.xml.verification import verify_xml
from vnsign.formats.xml.xades import SignaturePolicy, XadesLevel, XadesOptions

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_VERIFY_LIMITS",
    "AlgorithmUse",
    "C14nMethod",
    "DataObjectFormatInfo",
    "DigestBudget",
    "DigestMethod",
    "Finding",
    "FindingStatus",
    "KeySource",
    "ParseLimits",
    "PendingSignature",
    "PreparedXml",
    "ReferenceQuirk",
    "ReferenceResult",
    "ReferenceSpec",
    "ReferenceStatus",
    "RevocationValues",
    "SignatureMethod",
    "SignaturePolicy",
    "SignaturePolicyInfo",
    "SignatureStatus",
    "SignerCertificate",
    "SigningCertificateCheck",
    "SigningTimeClaim",
    "TimestampCheck",
    "TransformMethod",
    "VerifyLimits",
    "XadesLevel",
    "XadesOptions",
    "XadesProperties",
    "XmlSignOptions",
    "XmlSignatureResult",
    "XmlVerificationResult",
    "fetch_revocation_values",
    "finish_xml",
    "parse_xml",
    "prepare_detached",
    "prepare_enveloped",
    "prepare_enveloping",
    "serialize",
    "sign_detached",
    "sign_enveloped",
    "sign_enveloping",
    "verify_xml",
]
