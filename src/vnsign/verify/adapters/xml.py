"""Facts from XML signatures: XMLDSig and XAdES baseline B-B, B-T, B-LT.

The checks are :mod:`vnsign.formats.xml`'s (:func:`~vnsign.formats.xml.verify_xml`);
this module states them as format-neutral facts: the integrity of every
reference, the signature value, what the signature covers, the certificates,
the claimed signing time (signed claims only), XAdES time stamps and revocation
values, the level, and the quirks accepted on the way. The e-invoice and edXML
adapters reuse :func:`signature_facts` and say which element is the document.

Mapping to EN 319 102-1 (through :class:`~vnsign.verify.facts.SignatureFacts`):
a broken structure, an unsupported algorithm or transform, or a reference that
cannot be resolved to exactly one element (signature wrapping) is a
FORMAT_FAILURE (``format_problem``, TECH-FORMAT); so is a signature that leaves
part of the document unsigned (``coverage`` PARTIAL, judged by TECH-COVERAGE
with what is signed and what is not in ``details["signed"]`` and
``details["unsigned"]``); a digest that no longer matches is a HASH_FAILURE; a
signature value that does not verify is a SIG_CRYPTO_FAILURE; a key that no
certificate names, or a XAdES signing certificate reference naming another
certificate, is NO_SIGNING_CERTIFICATE_FOUND.

The work is bounded by :func:`~vnsign.formats.xml.verify_xml` itself
(:class:`~vnsign.formats.xml.limits.VerifyLimits`): a document whose signatures
would make it digest too much raises :class:`~vnsign.errors.HostileInputError`,
an ``error`` report.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from cryptography import x509
from lxml import etree

from vnsign.errors import HostileInputError, InputError, MalformedInputError
from vnsign.formats.xml import (
    DigestMethod,
    KeySource,
    ReferenceResult,
    ReferenceStatus,
    SignatureMethod,
    SignatureStatus,
    TimestampCheck,
    XmlSignatureResult,
    XmlVerificationResult,
    parse_xml,
    verify_xml,
)
from vnsign.pki.identity import CertificateInfo
from vnsign.verify.adapters.xml_coverage import XmlCoverage, coverage_of
from vnsign.verify.facts import (
    DocumentFacts,
    DocumentFormat,
    SignatureFacts,
    SignatureKind,
    TimestampFacts,
)

__all__ = [
    "duplicate_id_problems",
    "signature_facts",
    "timestamp_facts",
    "verify_tree",
    "xml_facts",
]

# Ordered weakest first: a signature is as strong as its weakest digest.
_HASH_STRENGTH = ("sha1", "sha224", "sha256", "sha384", "sha512")
_UNRESOLVED = frozenset(
    {
        ReferenceStatus.NOT_FOUND,
        ReferenceStatus.AMBIGUOUS,
        ReferenceStatus.UNSUPPORTED,
        ReferenceStatus.MALFORMED,
    }
)
_LEVELS = {"B-B": "XAdES-B-B", "B-T": "XAdES-B-T", "B-LT": "XAdES-B-LT"}


def xml_facts(data: bytes) -> DocumentFacts:
    """Every signature of an XML document (XMLDSig, XAdES), each covering the whole
    document or not.

    Raises :class:`~vnsign.errors.InputError` when ``data`` is not usable XML
    (hostile, malformed); broken *signatures* are facts, not errors.
    """
    tree = parse_xml(data, what="XML document")
    result = verify_tree(tree)
    root = tree.getroot()
    signatures = tuple(
        signature_facts(index, signature, coverage_of(signature, root))
        for index, signature in enumerate(result.signatures, start=1)
    )
    return DocumentFacts(
        format=DocumentFormat.XML,
        signatures=signatures,
        size=len(data),
        problems=duplicate_id_problems(result),
        details={"root": root.tag, "duplicate_ids": result.duplicate_ids},
    )


def verify_tree(tree: etree._ElementTree) -> XmlVerificationResult:
    """:func:`~vnsign.formats.xml.verify_xml` on a parsed tree; anything a hostile
    document makes it raise becomes an :class:`~vnsign.errors.InputError` (a
    document beyond its work limits raises
    :class:`~vnsign.errors.HostileInputError`)."""
    try:
        return verify_xml(tree)
    except InputError:
        raise
    except RecursionError as exc:
        raise HostileInputError("the XML signatures nest too deeply to be processed") from exc
    except Exception as exc:  # hostile XML makes parsers raise anything
        raise MalformedInputError(
            f"the XML signatures cannot be processed ({type(exc).__name__}: {exc})"
        ) from exc


def duplicate_id_problems(result: XmlVerificationResult) -> tuple[str, ...]:
    """A document-level note for IDs that occur more than once (wrapping attempts)."""
    if not result.duplicate_ids:
        return ()
    return (
        f"IDs used more than once: {', '.join(result.duplicate_ids)}; a reference to one "
        "of them proves nothing",
    )


def signature_facts(
    index: int,
    signature: XmlSignatureResult,
    coverage: XmlCoverage,
    *,
    name: str | None = None,
    details: Mapping[str, object] | None = None,
) -> SignatureFacts:
    """The facts of one verified ``ds:Signature``; ``coverage`` is decided by the
    caller (the whole document, or the element a profile signs)."""
    label = name or signature.id or signature.path
    try:
        return _facts(index, signature, coverage, label, details or {})
    except Exception as exc:  # noqa: BLE001 - one hostile signature must not sink the report
        return SignatureFacts(
            index,
            SignatureKind.SIGNATURE,
            label,
            format_problem=f"the signature cannot be processed ({type(exc).__name__}: {exc})",
        )


def _facts(
    index: int,
    signature: XmlSignatureResult,
    coverage: XmlCoverage,
    name: str,
    extra: Mapping[str, object],
) -> SignatureFacts:
    notes: list[str] = []
    references = signature.references
    mismatched = [r for r in references if r.status is ReferenceStatus.DIGEST_MISMATCH]
    unresolved = [r for r in references if r.status in _UNRESOLVED]
    intact: bool | None = True
    if mismatched:
        intact = False
    elif unresolved or not references:
        intact = None
    integrity = "; ".join(_describe(r) for r in (*mismatched, *unresolved))
    notes.extend(_describe(r) for r in references if r.quirk is not None)

    signer, signer_note = _signer(signature)
    if signer_note:
        notes.append(signer_note)
    format_problem = _format_problem(signature, unresolved)

    claim = signature.signing_time
    claimed_time = claim.value if claim is not None and claim.signed else None
    if claim is not None and not claim.signed:
        notes.append(f"{claim.source} {claim.text!r} is not signed and is ignored")
    elif claim is not None and claim.value is None:
        notes.append(f"{claim.source} {claim.text!r} cannot be read")
    elif claim is not None and claim.offset_assumed:
        notes.append(f"{claim.source} {claim.text!r} has no offset: read as Vietnam time (UTC+7)")

    xades = signature.xades
    if xades is not None:
        notes.extend(xades.problems)
    details: dict[str, Any] = {
        "id": signature.id,
        "path": signature.path,
        "status": signature.status.value,
        "problems": signature.problems,
        "key_source": signature.key_source.value,
        "references": tuple(_reference(r) for r in references),
        "signed": coverage.signed,
        "unsigned": coverage.unsigned,
        "subject_names": signature.key_info_subject_names,
        "notes": tuple(dict.fromkeys(notes)),
        **extra,
    }
    return SignatureFacts(
        index=index,
        kind=SignatureKind.SIGNATURE,
        name=name,
        format_problem=format_problem,
        intact=intact,
        signature_valid=_value_valid(signature),
        integrity_problem=integrity,
        coverage=coverage.coverage,
        digest_algorithm=_weakest_digest(signature),
        signature_algorithm=_signature_algorithm(signature),
        signer_certificate=signer,
        certificates=signature.certificates,
        claimed_time=claimed_time,
        claimed_time_source=_time_source(claim.source) if claimed_time and claim else "",
        timestamps=tuple(timestamp_facts(t) for t in signature.timestamps),
        embedded_crls=xades.crl_values if xades else (),
        embedded_ocsp=xades.ocsp_values if xades else (),
        level=_level(signature),
        details=details,
    )


def _describe(reference: ReferenceResult) -> str:
    uri = reference.uri if reference.uri is not None else "(no URI)"
    return f"reference {uri!r}: {reference.message}"


def _reference(reference: ReferenceResult) -> dict[str, object]:
    return {
        "uri": reference.uri,
        "element": reference.element_path,
        "status": reference.status.value,
        "transforms": reference.transforms,
        "digest_method": reference.digest_method,
        "quirk": reference.quirk.value if reference.quirk else None,
        "message": reference.message,
    }


def _format_problem(signature: XmlSignatureResult, unresolved: list[ReferenceResult]) -> str:
    if signature.status is SignatureStatus.MALFORMED:
        return "the ds:Signature is malformed: " + ("; ".join(signature.problems) or "?")
    if signature.status is SignatureStatus.UNSUPPORTED:
        return "; ".join(signature.problems) or "an algorithm or transform is not supported"
    if unresolved:
        return "; ".join(_describe(r) for r in unresolved)
    if (
        signature.status is SignatureStatus.INVALID
        and signature.signature_value_valid
        and all(r.digest_ok for r in signature.references)
        and not _xades_names_another_certificate(signature)
    ):
        # value and digests hold, yet verify_xml refused: KeyInfo names two keys
        return "KeyInfo is ambiguous: " + "; ".join(signature.problems)
    return ""  # partial coverage is not a format problem here: TECH-COVERAGE names it


def _xades_names_another_certificate(signature: XmlSignatureResult) -> bool:
    xades = signature.xades
    return bool(
        xades is not None
        and xades.signing_certificate is not None
        and signature.signer_certificate is not None
        and not xades.signing_certificate.digest_matches
    )


def _value_valid(signature: XmlSignatureResult) -> bool | None:
    if signature.signature_value_valid:
        return True
    if signature.status is SignatureStatus.INVALID:
        return False  # a key was tried and the value does not verify with it
    return None  # no key, or nothing that could be checked


def _signer(signature: XmlSignatureResult) -> tuple[x509.Certificate | None, str]:
    """The signer certificate, or None with the reason (EN 319 102-1 §5.2.3:
    NO_SIGNING_CERTIFICATE_FOUND)."""
    if signature.key_source is KeySource.KEY_VALUE:
        return None, "the signature verifies with a bare KeyValue: no certificate names the signer"
    certificate = signature.signer_certificate
    if certificate is None:
        return None, ""
    if _xades_names_another_certificate(signature):
        return None, (
            "the XAdES SigningCertificate names another certificate than the one whose key "
            f"verifies the signature ({certificate.subject.rfc4514_string()})"
        )
    problem = _unreadable(certificate)
    if problem:
        return None, f"the signer certificate cannot be read: {problem}"
    return certificate, ""


@functools.lru_cache(maxsize=256)
def _unreadable(certificate: x509.Certificate) -> str:
    """Why the certificate's identity cannot be read ("" when it can); the verifier
    reads it for the report. Cached: a batch sees the same signers again and again."""
    try:
        CertificateInfo.from_certificate(certificate)
    except InputError as exc:
        return str(exc)
    return ""


def _weakest_digest(signature: XmlSignatureResult) -> str:
    names: list[str] = []
    method = SignatureMethod.parse(signature.signature_method.uri)
    if method is not None:
        names.append(method.hash_name)
    for reference in signature.references:
        digest = DigestMethod.parse(reference.digest_method)
        if digest is not None:
            names.append(digest.hash_name)
    known = [n for n in names if n in _HASH_STRENGTH]
    return min(known, key=_HASH_STRENGTH.index) if known else ""


def _signature_algorithm(signature: XmlSignatureResult) -> str:
    method = SignatureMethod.parse(signature.signature_method.uri)
    if method is None:
        return signature.signature_method.uri
    kind = {"rsa": "rsa", "rsa-pss": "rsassa_pss", "ecdsa": "ecdsa", "dsa": "dsa"}[method.key_type]
    return f"{method.hash_name}_{kind}"


def _time_source(source: str) -> str:
    return "XAdES SigningTime" if source.startswith("xades:") else "SignatureProperty/SigningTime"


def _level(signature: XmlSignatureResult) -> str:
    xades = signature.xades
    if xades is None:
        return "XMLDSig"
    return _LEVELS.get(xades.level, "XMLDSig")


def timestamp_facts(check: TimestampCheck) -> TimestampFacts:
    """A XAdES ``SignatureTimeStamp`` as time-stamp facts."""
    token = check.token
    ok = check.covers_signature_value and check.token_signature_valid
    return TimestampFacts(
        gen_time=token.gen_time if token else None,
        tsa_certificate=token.tsa_certificate if token else None,
        certificates=token.certificates if token else (),
        intact=check.covers_signature_value,
        signature_valid=check.token_signature_valid,
        hash_algorithm=token.hash_algorithm if token else "",
        problem="" if ok else check.message,
    )
