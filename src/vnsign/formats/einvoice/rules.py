"""The ``EINV-*`` rules, one function per rule (or group of findings), over a
verified XML signature and its place in the invoice.

Each function returns findings; none raises. Real-world quirks are ``info``
findings (OBS-EINVOICE-ENVELOPED-OBJECT, OBS-EINVOICE-TRAITS), never failures.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime

from asn1crypto import core
from cryptography import x509
from lxml import etree

from vnsign.formats.xml.algorithms import C14nMethod, TransformMethod
from vnsign.formats.xml.findings import Finding, FindingStatus
from vnsign.formats.xml.paths import local_name
from vnsign.formats.xml.results import ReferenceQuirk, ReferenceResult, XmlSignatureResult
from vnsign.pki.identity import CertificateInfo, identifiers_from_text

__all__ = [
    "check_c14n",
    "check_integrity",
    "check_key_info",
    "check_mst",
    "check_references",
    "check_signing_time",
    "check_tax_certificate",
]

_LOCAL_TIME_LENGTH = len("yyyy-MM-ddTHH:mm:ss")


def check_integrity(
    signature: XmlSignatureResult,
    data_reference: ReferenceResult | None,
    time_reference: ReferenceResult | None,
    subject: str,
) -> list[Finding]:
    """TT15-VERIFY: the signature value and every digest; a failed reference says whether the
    invoice data or the signing time changed (OBS-WHITESPACE)."""
    findings = []
    if not signature.signature_value_valid:
        findings.append(
            Finding(
                "TT15-VERIFY",
                FindingStatus.FAILED,
                f"the signature value does not verify ({signature.status}: "
                f"{'; '.join(signature.problems) or 'no key matches'})",
                subject,
            )
        )
    for reference in signature.references:
        if reference.digest_ok:
            if reference.quirk is ReferenceQuirk.DOTNET_ENVELOPED_OBJECT:
                findings.append(
                    Finding(
                        "OBS-EINVOICE-ENVELOPED-OBJECT",
                        FindingStatus.INFO,
                        f"reference {reference.uri}: enveloped-signature transform on the "
                        "signature's own Object; accepted as .NET SignedXml computes it "
                        "(xmlsec1 and Santuario reject this pattern)",
                        subject,
                    )
                )
            continue
        if reference is data_reference:
            what = "the invoice data (DLHDon) changed after signing"
        elif reference is time_reference:
            what = "the signature properties (SigningTime) changed after signing"
        else:
            what = f"reference {reference.uri!r} failed"
        findings.append(
            Finding(
                "TT15-VERIFY",
                FindingStatus.FAILED,
                f"{what}: {reference.message}",
                subject,
            )
        )
    if signature.signature_value_valid and all(r.digest_ok for r in signature.references):
        findings.append(
            Finding(
                "TT15-VERIFY", FindingStatus.PASSED, "signature value and digests verify", subject
            )
        )
    return findings


def check_references(
    signature: XmlSignatureResult,
    data_reference: ReferenceResult | None,
    time_reference: ReferenceResult | None,
    target_name: str,
    expected_target: etree._Element | None,
    subject: str,
) -> list[Finding]:
    """EINV-REFS: one reference to the ``HDon`` child readers use, with the enveloped
    transform, and one to the Object holding ``SigningTime``."""
    findings = []
    if data_reference is None:
        findings.append(
            Finding(
                "EINV-REFS", FindingStatus.FAILED, f"no reference to HDon/{target_name}", subject
            )
        )
    elif expected_target is not None and data_reference.element is not expected_target:
        findings.append(
            Finding(
                "EINV-REFS",
                FindingStatus.FAILED,
                f"the signed {target_name} ({data_reference.element_path}) is not the "
                f"HDon/{target_name} an invoice reader uses (signature wrapping)",
                subject,
            )
        )
    elif TransformMethod.ENVELOPED_SIGNATURE not in data_reference.transforms:
        findings.append(
            Finding(
                "EINV-REFS",
                FindingStatus.WARNING,
                f"the reference to {target_name} has no enveloped-signature transform",
                subject,
            )
        )
    else:
        findings.append(
            Finding(
                "EINV-REFS",
                FindingStatus.PASSED,
                f"reference {data_reference.uri} covers HDon/{target_name}",
                subject,
            )
        )
    if time_reference is None:
        findings.append(
            Finding(
                "EINV-REFS",
                FindingStatus.WARNING,
                "no reference to an Object with SignatureProperty/SigningTime",
                subject,
            )
        )
    else:
        findings.append(_target(signature, time_reference, subject))
    extra = [r for r in signature.references if r is not data_reference and r is not time_reference]
    if extra:
        findings.append(
            Finding(
                "EINV-REFS",
                FindingStatus.INFO,
                f"{len(extra)} further reference(s): {', '.join(str(r.uri) for r in extra)}",
                subject,
            )
        )
    return findings


def _target(
    signature: XmlSignatureResult, time_reference: ReferenceResult, subject: str
) -> Finding:
    element = time_reference.element
    targets = [
        p.get("Target")
        for p in (element.iter() if element is not None else ())
        if isinstance(p.tag, str) and local_name(p) == "SignatureProperty"
    ]
    expected = f"#{signature.id}"
    if expected in targets:
        return Finding(
            "EINV-REFS",
            FindingStatus.PASSED,
            f"reference {time_reference.uri} covers SignatureProperty[@Target='{expected}']",
            subject,
        )
    if "" in targets or None in targets:
        return Finding(
            "OBS-EINVOICE-TRAITS",
            FindingStatus.INFO,
            "SignatureProperty has an empty Target (accepted)",
            subject,
        )
    return Finding(
        "EINV-REFS",
        FindingStatus.WARNING,
        f"SignatureProperty targets {targets} instead of {expected!r}",
        subject,
    )


def check_c14n(signature: XmlSignatureResult, subject: str) -> Finding:
    """EINV-C14N: inclusive C14N 1.0."""
    if signature.canonicalization.uri == C14nMethod.INCLUSIVE:
        return Finding("EINV-C14N", FindingStatus.PASSED, "inclusive C14N 1.0", subject)
    return Finding(
        "EINV-C14N",
        FindingStatus.WARNING,
        f"canonicalization {signature.canonicalization.uri!r}; invoices use "
        f"{C14nMethod.INCLUSIVE.value}",
        subject,
    )


def check_signing_time(
    signature: XmlSignatureResult,
    time_reference: ReferenceResult | None,
    cert: x509.Certificate | None,
    subject: str,
) -> list[Finding]:
    """EINV-SIGNINGTIME: present, readable, in the expected format, signed, inside the
    certificate's validity."""
    claim = signature.signing_time
    if claim is None:
        return [Finding("EINV-SIGNINGTIME", FindingStatus.FAILED, "no SigningTime", subject)]
    if claim.value is None:
        return [
            Finding(
                "EINV-SIGNINGTIME",
                FindingStatus.FAILED,
                f"unreadable SigningTime {claim.text!r}",
                subject,
            )
        ]
    findings = []
    text = claim.text.strip()
    if claim.offset_assumed and len(text) == _LOCAL_TIME_LENGTH:
        findings.append(
            Finding(
                "EINV-SIGNINGTIME",
                FindingStatus.PASSED,
                f"SigningTime {text} (Vietnam time)",
                subject,
            )
        )
    else:
        findings.append(
            Finding(
                "EINV-SIGNINGTIME",
                FindingStatus.INFO,
                f"SigningTime {text!r} is not yyyy-MM-ddTHH:mm:ss local time; read as "
                f"{claim.value.isoformat()}",
                subject,
            )
        )
    if not claim.signed:
        findings.append(
            Finding(
                "EINV-SIGNINGTIME",
                FindingStatus.WARNING,
                "SigningTime is not covered by the signature",
                subject,
            )
        )
    if cert is not None and not _within_validity(claim.value, cert):
        findings.append(
            Finding(
                "EINV-SIGNINGTIME",
                FindingStatus.FAILED,
                f"claimed signing time {claim.value.isoformat()} is outside the certificate's "
                f"validity ({cert.not_valid_before_utc:%Y-%m-%d} to "
                f"{cert.not_valid_after_utc:%Y-%m-%d})",
                subject,
            )
        )
    return findings


def _within_validity(at: datetime, cert: x509.Certificate) -> bool:
    return cert.not_valid_before_utc <= at <= cert.not_valid_after_utc


def check_key_info(
    signature: XmlSignatureResult,
    cert: x509.Certificate | None,
    info: CertificateInfo | None,
    subject: str,
) -> list[Finding]:
    """EINV-KEYINFO: the signer certificate in KeyInfo and an ``X509SubjectName`` that matches
    it in any spelling."""
    if cert is None or signature.key_source.value != "x509-certificate":
        return [
            Finding(
                "EINV-KEYINFO",
                FindingStatus.FAILED,
                "KeyInfo carries no certificate that verifies the signature",
                subject,
            )
        ]
    findings = [
        Finding(
            "EINV-KEYINFO", FindingStatus.PASSED, "KeyInfo carries the signer certificate", subject
        )
    ]
    names = signature.key_info_subject_names
    if not names:
        findings.append(
            Finding("EINV-KEYINFO", FindingStatus.WARNING, "no X509SubjectName", subject)
        )
        return findings
    for name in names:
        if _same_subject(name, cert, info):
            findings.append(
                Finding(
                    "EINV-KEYINFO",
                    FindingStatus.PASSED,
                    "X509SubjectName matches the certificate",
                    subject,
                )
            )
        else:
            findings.append(
                Finding(
                    "EINV-KEYINFO",
                    FindingStatus.WARNING,
                    f"X509SubjectName {name!r} does not match the certificate subject "
                    f"{cert.subject.rfc4514_string()!r} (KeyInfo is not signed; portals "
                    "compare it)",
                    subject,
                )
            )
    return findings


def _normal(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().strip('"').casefold()


def _dn_values(text: str) -> list[str]:
    """Attribute values of a DN written as text, in any of the spellings seen
    (RFC 4514, .NET ``S=``/``OID.x=``, hex ``#...`` values)."""
    values: list[str] = []
    current = ""
    escaped = quoted = False
    parts: list[str] = []
    for char in text:
        if escaped:
            current += char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char in ",;+" and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    for part in parts:
        _, sep, value = part.partition("=")
        if not sep:
            continue
        value = value.strip()
        if value.startswith("#"):
            try:
                decoded = core.load(bytes.fromhex(value[1:])).native
                value = decoded if isinstance(decoded, str) else value
            except (ValueError, TypeError):
                pass
        values.append(_normal(value))
    return values


def _same_subject(text: str, cert: x509.Certificate, info: CertificateInfo | None) -> bool:
    try:
        certificate_values = sorted(
            _normal(a.value if isinstance(a.value, str) else a.value.decode("utf-8", "replace"))
            for a in cert.subject
        )
    except ValueError:
        return False
    if sorted(_dn_values(text)) == certificate_values:
        return True
    if info is None:
        return False
    # Identifiers are what portals key on: the same UIDs and the same CN are consistent enough.
    text_ids = {str(i) for i in identifiers_from_text(text)}
    cert_ids = {str(i) for i in info.identifiers}
    return (
        bool(text_ids)
        and text_ids == cert_ids
        and _normal(info.common_name or "") in _dn_values(text)
    )


def check_mst(
    data_reference: ReferenceResult | None, info: CertificateInfo | None, subject: str
) -> Finding:
    """EINV-MST-MATCH: the seller certificate's MST against ``NBan/MST`` of the signed invoice
    data."""
    data = data_reference.element if data_reference and data_reference.digest_ok else None
    if data is None:
        return Finding(
            "EINV-MST-MATCH",
            FindingStatus.NOT_APPLICABLE,
            "the invoice data did not verify, so its NBan/MST is not compared",
            subject,
        )
    invoice_mst = (data.findtext("NDHDon/NBan/MST") or "").strip()
    certificate_mst = info.mst if info else None
    if not invoice_mst:
        return Finding(
            "EINV-MST-MATCH",
            FindingStatus.FAILED,
            "the signed invoice data has no NBan/MST",
            subject,
        )
    if certificate_mst is None:
        return Finding(
            "EINV-MST-MATCH",
            FindingStatus.FAILED,
            f"the seller certificate carries no MST; the invoice's seller is {invoice_mst}",
            subject,
        )
    if certificate_mst == invoice_mst:
        return Finding(
            "EINV-MST-MATCH",
            FindingStatus.PASSED,
            f"certificate MST {certificate_mst} = NBan/MST",
            subject,
        )
    if certificate_mst.split("-")[0] == invoice_mst.split("-")[0]:
        return Finding(
            "EINV-MST-MATCH",
            FindingStatus.WARNING,
            f"certificate MST {certificate_mst} and NBan/MST {invoice_mst} are the same business "
            "but different units (branch code)",
            subject,
        )
    return Finding(
        "EINV-MST-MATCH",
        FindingStatus.FAILED,
        f"certificate MST {certificate_mst} is not the seller's NBan/MST {invoice_mst}",
        subject,
    )


def check_tax_certificate(
    cert: x509.Certificate | None, info: CertificateInfo | None, subject: str
) -> Finding:
    """EINV-TAX-CERT: the tax authority signs with an end-entity signing certificate issued by
    a CA (the chain itself is for certificate validation)."""
    if cert is None or info is None:
        return Finding(
            "EINV-TAX-CERT",
            FindingStatus.FAILED,
            "the tax-authority signature has no certificate",
            subject,
        )
    problems = []
    if info.is_ca:
        problems.append("it is a CA certificate")
    if cert.issuer == cert.subject:
        problems.append("it is self-signed")
    if not ({"digital_signature", "non_repudiation"} & info.key_usage) and info.key_usage:
        problems.append("its key usage allows neither digitalSignature nor nonRepudiation")
    if problems:
        return Finding(
            "EINV-TAX-CERT",
            FindingStatus.FAILED,
            f"the tax-authority certificate is not usable: {', '.join(problems)}",
            subject,
        )
    return Finding(
        "EINV-TAX-CERT",
        FindingStatus.PASSED,
        f"tax-authority certificate {info.subject!r} issued by {info.issuer!r}; whether it chains "
        "to the Government CA root is decided by certificate validation",
        subject,
    )
