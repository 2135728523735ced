"""XMLDSig verification: every signature in a document, every reference, every
fact a verifier needs, as a result (never an exception for a bad signature).

Rules that defeat signature wrapping:

* only the ``ds:SignedInfo`` that is the first child of ``ds:Signature`` counts,
  and a Signature with anything but SignedInfo, SignatureValue, KeyInfo and
  Objects in it is ``MALFORMED``;
* each reference must resolve to exactly one element: an ID that occurs twice
  makes the reference ``AMBIGUOUS``;
* the result names the element each reference resolved to, and
  :meth:`XmlSignatureResult.covers` tells a profile whether the element it reads
  is inside what was verified.

The work is bounded (:class:`~vnsign.formats.xml.limits.VerifyLimits`):
signatures, references and transforms are counted and the octets to digest
estimated before anything is digested, and a document beyond the limits is
refused with :class:`~vnsign.errors.HostileInputError`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from lxml import etree

from vnsign.errors import InputError
from vnsign.formats.xml.algorithms import C14nMethod, DigestMethod, SignatureMethod, TransformMethod
from vnsign.formats.xml.canonical import canonicalize
from vnsign.formats.xml.ids import IdIndex
from vnsign.formats.xml.keyinfo import KeyInfoContent, PublicKey, read_key_info, subject_name_text
from vnsign.formats.xml.limits import DEFAULT_VERIFY_LIMITS, DigestBudget, VerifyLimits
from vnsign.formats.xml.namespaces import DS, EXC_C14N, XADES
from vnsign.formats.xml.parsing import DEFAULT_LIMITS, ParseLimits, parse_xml, text_value
from vnsign.formats.xml.paths import ElementPaths, local_name
from vnsign.formats.xml.references import (
    DereferenceError,
    TransformStep,
    digest_input,
    read_transforms,
)
from vnsign.formats.xml.results import (
    AlgorithmUse,
    KeySource,
    ReferenceQuirk,
    ReferenceResult,
    ReferenceStatus,
    SignatureStatus,
    SigningTimeClaim,
    XmlSignatureResult,
    XmlVerificationResult,
)
from vnsign.formats.xml.signature_values import verify_value
from vnsign.formats.xml.times import parse_time
from vnsign.formats.xml.workload import check_workload
from vnsign.formats.xml.xades_reading import certificate_values, read_xades

__all__ = ["verify_xml"]

_SIGNATURE = f"{{{DS}}}Signature"


def _ds(local: str) -> str:
    return f"{{{DS}}}{local}"


def verify_xml(
    data: bytes | etree._ElementTree,
    *,
    certificates: Sequence[x509.Certificate] = (),
    external: Mapping[str, bytes] | None = None,
    limits: ParseLimits = DEFAULT_LIMITS,
    verify_limits: VerifyLimits = DEFAULT_VERIFY_LIMITS,
    budget: DigestBudget | None = None,
) -> XmlVerificationResult:
    """Verify every XMLDSig signature in ``data``.

    ``certificates`` are candidate signer certificates for signatures whose
    KeyInfo only names a certificate (or has none). ``external`` supplies the
    data of detached references by URI. A tree passed in is used as is (and left
    exactly as it was); bytes are parsed safely first, which raises
    :class:`~vnsign.errors.HostileInputError` or
    :class:`~vnsign.errors.MalformedInputError` for unusable input.

    ``verify_limits`` bounds the work: a document with more signatures,
    references or transforms, or whose references would have more octets
    canonicalized and digested, raises :class:`~vnsign.errors.HostileInputError`
    before anything is digested. ``budget`` shares one digest budget between
    several calls (the nested packages of an edXML inspection); by default each
    call has ``verify_limits.max_digested_bytes``.
    """
    if isinstance(data, etree._ElementTree):
        tree, size = data, None
    else:
        tree = parse_xml(data, limits=limits)
        size = len(data)
    ids = IdIndex(tree)
    signatures = [
        s for s in tree.iter(_SIGNATURE) if not any(a.tag == _SIGNATURE for a in s.iterancestors())
    ]
    if budget is None:
        budget = DigestBudget(verify_limits.max_digested_bytes)
    check_workload(
        tree,
        signatures,
        ids,
        limits=verify_limits,
        budget=budget,
        external=external,
        document_size=size,
    )
    context = _Context(tree, ids, tuple(certificates), external, limits, budget, ElementPaths())
    results = tuple(_verify_signature(s, context) for s in signatures)
    return XmlVerificationResult(results, ids.duplicates, tree)


@dataclass(frozen=True)
class _Context:
    """What every signature of one document is verified with."""

    tree: etree._ElementTree
    ids: IdIndex
    supplied: tuple[x509.Certificate, ...]
    external: Mapping[str, bytes] | None
    limits: ParseLimits
    budget: DigestBudget
    paths: ElementPaths


def _verify_signature(signature: etree._Element, ctx: _Context) -> XmlSignatureResult:
    parts = _read_structure(signature)
    structure = parts.problems
    problems: list[str] = []
    signed_info, value_element = parts.signed_info, parts.signature_value
    c14n_uri, method_uri, prefixes = parts.c14n_uri, parts.method_uri, parts.prefixes
    c14n = C14nMethod.parse(c14n_uri)
    method = SignatureMethod.parse(method_uri)
    references = tuple(
        _check_reference(i, r, signature, ctx) for i, r in enumerate(parts.references)
    )
    content = read_key_info(parts.key_info)
    problems.extend(content.problems)
    xades_certs, xades_problems = certificate_values(signature)
    problems.extend(xades_problems)
    canonical = b""
    if signed_info is not None and c14n is not None:
        try:
            canonical = canonicalize(signed_info, c14n, inclusive_prefixes=prefixes)
        except InputError as exc:
            structure.append(str(exc))
        ctx.budget.spend(len(canonical))  # outside the try: a refusal is not a malformed signature
    raw: bytes | None = None
    if value_element is not None:
        try:
            raw = base64.b64decode("".join(text_value(value_element).split()), validate=True)
        except (binascii.Error, ValueError):
            problems.append("ds:SignatureValue is not base64")
    signer, source, value_valid, candidates = _find_signer(
        method, canonical, raw, content, xades_certs, ctx.supplied
    )
    ambiguous_key = False
    if value_valid and signer is not None:
        signer_key = signer.public_key()
        ambiguous_key = any(k != signer_key for k in content.key_values)
        if ambiguous_key:
            problems.append("a KeyValue in KeyInfo is not the key of the signing certificate")
    xades = read_xades(
        signature, references=references, signer=signer, signature_value=value_element
    )
    signing_time = (
        xades.signing_time
        if xades and xades.signing_time
        else _property_time(signature, references, ctx.paths)
    )
    certificates = tuple(dict.fromkeys((*content.certificates, *xades_certs)))
    status, message = _status(
        structure=structure,
        c14n=c14n,
        method=method,
        references=references,
        candidates=candidates,
        value_valid=value_valid,
        ambiguous_key=ambiguous_key,
        xades_mismatch=bool(
            xades
            and xades.signing_certificate
            and signer
            and not xades.signing_certificate.digest_matches
        ),
    )
    return XmlSignatureResult(
        element=signature,
        path=ctx.paths.path(signature),
        id=signature.get("Id"),
        status=status,
        signature_value_valid=value_valid,
        problems=tuple(dict.fromkeys((*structure, *problems, *([message] if message else [])))),
        canonicalization=AlgorithmUse("canonicalization", c14n_uri or "", c14n is not None, False),
        signature_method=AlgorithmUse(
            "signature", method_uri or "", method is not None, bool(method and method.weak)
        ),
        references=references,
        signer_certificate=signer,
        key_source=source,
        certificates=certificates,
        key_info_subject_names=content.subject_names,
        signing_time=signing_time,
        xades=xades,
        signed_info=canonical,
    )


@dataclass
class _Parts:
    """The children of a ds:Signature, and what is wrong with their arrangement."""

    problems: list[str] = field(default_factory=list)
    signed_info: etree._Element | None = None
    signature_value: etree._Element | None = None
    key_info: etree._Element | None = None
    c14n_uri: str | None = None
    method_uri: str | None = None
    prefixes: tuple[str, ...] = ()
    references: list[etree._Element] = field(default_factory=list)


def _read_structure(signature: etree._Element) -> _Parts:
    parts = _Parts()
    problems = parts.problems
    children = [c for c in signature if isinstance(c.tag, str)]
    names = [c.tag for c in children]
    if names[:2] != [_ds("SignedInfo"), _ds("SignatureValue")]:
        problems.append(
            "ds:Signature must start with ds:SignedInfo and ds:SignatureValue, found "
            + ", ".join(etree.QName(t).localname for t in names[:3])
        )
    else:
        rest = children[2:]
        if rest and rest[0].tag == _ds("KeyInfo"):
            rest = rest[1:]
        problems.extend(
            f"unexpected element {c.tag} inside ds:Signature"
            for c in rest
            if c.tag != _ds("Object")
        )
    # With a broken structure the lone SignedInfo/SignatureValue children are still
    # read, so the report says what they sign; such a signature is never valid.
    parts.signed_info = _only_child(children, "SignedInfo", problems)
    parts.signature_value = _only_child(children, "SignatureValue", problems)
    parts.key_info = _only_child(children, "KeyInfo", problems, required=False)
    if parts.signed_info is None:
        return parts
    info = [c for c in parts.signed_info if isinstance(c.tag, str)]
    if len(info) < 2 or info[0].tag != _ds("CanonicalizationMethod"):
        problems.append("ds:SignedInfo does not start with ds:CanonicalizationMethod")
    else:
        parts.c14n_uri = info[0].get("Algorithm")
        inclusive = info[0].find(f"{{{EXC_C14N}}}InclusiveNamespaces")
        if inclusive is not None:
            parts.prefixes = tuple((inclusive.get("PrefixList") or "").split())
    if len(info) < 2 or info[1].tag != _ds("SignatureMethod"):
        problems.append("ds:SignatureMethod is missing or misplaced")
    else:
        parts.method_uri = info[1].get("Algorithm")
    for child in info[2:]:
        if child.tag == _ds("Reference"):
            parts.references.append(child)
        else:
            problems.append(f"unexpected element {child.tag} inside ds:SignedInfo")
    if not parts.references:
        problems.append("ds:SignedInfo has no ds:Reference")
    return parts


def _only_child(
    children: list[etree._Element], local: str, structure: list[str], *, required: bool = True
) -> etree._Element | None:
    found = [c for c in children if c.tag == _ds(local)]
    if len(found) > 1:
        structure.append(f"ds:Signature has {len(found)} ds:{local} children")
        return None
    if not found and required:
        structure.append(f"ds:{local} is missing")
    return found[0] if found else None


def _status(
    *,
    structure: list[str],
    c14n: C14nMethod | None,
    method: SignatureMethod | None,
    references: tuple[ReferenceResult, ...],
    candidates: int,
    value_valid: bool,
    ambiguous_key: bool,
    xades_mismatch: bool,
) -> tuple[SignatureStatus, str]:
    if structure:
        return SignatureStatus.MALFORMED, ""
    if c14n is None:
        return SignatureStatus.UNSUPPORTED, "unsupported canonicalization method"
    if method is None:
        return (
            SignatureStatus.UNSUPPORTED,
            "unsupported signature method (vnsign verifies RSA, ECDSA, DSA)",
        )
    if any(r.status is ReferenceStatus.UNSUPPORTED for r in references):
        return (
            SignatureStatus.UNSUPPORTED,
            "a reference uses a transform or digest vnsign does not verify",
        )
    if candidates == 0:
        return SignatureStatus.NO_KEY, "no certificate or key to verify the signature with"
    if not value_valid:
        return SignatureStatus.INVALID, "the signature value does not verify"
    failed = [r for r in references if not r.digest_ok]
    if failed:
        return SignatureStatus.INVALID, "; ".join(
            f"reference {r.index}: {r.message}" for r in failed
        )
    if xades_mismatch:
        return (
            SignatureStatus.INVALID,
            "XAdES SigningCertificate does not name the signer certificate",
        )
    if ambiguous_key:
        return SignatureStatus.INVALID, "KeyInfo is ambiguous"
    return SignatureStatus.VALID, ""


def _check_reference(
    index: int,
    reference: etree._Element,
    signature: etree._Element,
    ctx: _Context,
) -> ReferenceResult:
    uri = reference.get("URI")
    steps = read_transforms(reference)
    method_element = reference.find(_ds("DigestMethod"))
    digest_uri = method_element.get("Algorithm", "") if method_element is not None else ""
    make = functools.partial(
        ReferenceResult,
        index=index,
        uri=uri,
        id=reference.get("Id"),
        type=reference.get("Type"),
        transforms=tuple(s.uri for s in steps),
        digest_method=digest_uri,
    )
    value_element = reference.find(_ds("DigestValue"))
    try:
        if value_element is None or method_element is None:
            raise ValueError("missing")
        expected = base64.b64decode("".join(text_value(value_element).split()), validate=True)
    except (binascii.Error, ValueError):
        element, path, tag = _located(uri, ctx)
        return make(
            status=ReferenceStatus.MALFORMED,
            message="the Reference lacks a readable DigestMethod and DigestValue",
            element=element,
            element_path=path,
            element_tag=tag,
        )
    method = DigestMethod.parse(digest_uri)
    if method is None:
        element, path, tag = _located(uri, ctx)
        return make(
            status=ReferenceStatus.UNSUPPORTED,
            message=f"digest algorithm {digest_uri!r} is not supported",
            expected_digest=expected,
            element=element,
            element_path=path,
            element_tag=tag,
        )
    digest = functools.partial(
        digest_input,
        uri,
        steps,
        tree=ctx.tree,
        ids=ctx.ids,
        signature=signature,
        external=ctx.external,
        limits=ctx.limits,
        budget=ctx.budget,
    )
    try:
        data = digest()
    except DereferenceError as exc:
        element, path, tag = _located(uri, ctx)
        return make(
            status=exc.status,
            message=exc.message,
            expected_digest=expected,
            element=element,
            element_path=path,
            element_tag=tag,
        )
    computed = method.compute(data.data)
    quirk = None
    # The .NET reading is tried only for what real e-invoices do; anywhere else the
    # strict reading (nothing digested) stands, so the quirk cannot make other
    # parts of a Signature (KeyInfo, SignedInfo, an Object with data) pass as signed.
    quirk_allowed = data.emptied_by_enveloped and _signing_time_object(
        uri, data.element, signature, steps
    )
    if not hmac.compare_digest(computed, expected) and quirk_allowed:
        dotnet = digest(dotnet_enveloped=True)
        dotnet_digest = method.compute(dotnet.data)
        if hmac.compare_digest(dotnet_digest, expected):
            data, computed, quirk = dotnet, dotnet_digest, ReferenceQuirk.DOTNET_ENVELOPED_OBJECT
    element = data.element
    path = ctx.paths.path(element) if element is not None else None
    ok = hmac.compare_digest(computed, expected)
    emptied = data.emptied_by_enveloped and quirk is None
    where = repr(path or uri)
    if ok and quirk:
        message = (
            "digest matches the Object's content (SignatureProperty/SigningTime) as .NET "
            "SignedXml computes it; strict XMLDSig would digest nothing "
            "(OBS-EINVOICE-ENVELOPED-OBJECT)"
        )
    elif ok and emptied:
        message = (
            f"digest matches nothing: {where} lies inside the Signature, and the "
            "enveloped-signature transform removes all of it, so none of it is signed"
        )
    elif ok:
        message = f"digest matches {path or uri}"
    elif emptied:
        accepted = (
            "the .NET reading does not match either"
            if quirk_allowed
            else "the .NET reading (OBS-EINVOICE-ENVELOPED-OBJECT) is accepted only for an "
            "Object holding SignatureProperties/SignatureProperty/SigningTime, referenced by Id"
        )
        message = (
            f"digest of {where} does not match: it lies inside the Signature and the "
            f"enveloped-signature transform leaves nothing of it to digest; {accepted}"
        )
    else:
        message = f"digest of {where} does not match: the data changed after signing"
    return make(
        status=ReferenceStatus.VALID if ok else ReferenceStatus.DIGEST_MISMATCH,
        message=message,
        element=element,
        element_path=path,
        element_tag=element.tag if element is not None else None,
        whole_document=data.whole_document,
        excludes_signature=data.excludes_signature,
        expected_digest=expected,
        computed_digest=computed,
        signed_data=data.data,
        quirk=quirk,
        emptied_by_enveloped=emptied,
    )


def _signing_time_object(
    uri: str | None,
    element: etree._Element | None,
    signature: etree._Element,
    steps: Sequence[TransformStep],
) -> bool:
    """Whether a reference is the e-invoice pattern .NET signers produce
    (OBS-EINVOICE-ENVELOPED-OBJECT): ``URI="#id"`` naming a ``ds:Object`` of this
    Signature that holds only ``SignatureProperties/SignatureProperty/SigningTime``,
    with no transform but enveloped-signature and canonicalization."""
    if not uri or not uri.startswith("#") or uri.startswith("#xpointer("):
        return False
    if element is None or element.tag != _ds("Object") or element.getparent() is not signature:
        return False
    if not all(
        s.uri == TransformMethod.ENVELOPED_SIGNATURE or C14nMethod.parse(s.uri) is not None
        for s in steps
    ):
        return False
    return _holds_only_signing_time(element)


def _holds_only_signing_time(obj: etree._Element) -> bool:
    """``obj`` holds one SignatureProperties of SignatureProperty elements (no
    namespace, as e-invoices write them, or XMLDSig's), each holding only
    SigningTime elements with text; no other text anywhere, at least one SigningTime."""
    children = _elements(obj)
    if len(children) != 1 or not _property_element(children[0], "SignatureProperties"):
        return False
    properties = _elements(children[0])
    if not properties or not all(_property_element(p, "SignatureProperty") for p in properties):
        return False
    times = [t for p in properties for t in _elements(p)]
    if not times or not all(local_name(t) == "SigningTime" and not _elements(t) for t in times):
        return False
    for node in obj.iterdescendants():
        if isinstance(node, etree._ProcessingInstruction) or (node.tail or "").strip():
            return False  # a processing instruction is digested like data
        named = isinstance(node.tag, str) and local_name(node) != "SigningTime"
        if named and (node.text or "").strip():
            return False
    return not (obj.text or "").strip()


def _elements(node: etree._Element) -> list[etree._Element]:
    return [child for child in node if isinstance(child.tag, str)]


def _property_element(element: etree._Element, local: str) -> bool:
    return local_name(element) == local and etree.QName(element).namespace in (None, DS)


def _located(
    uri: str | None, ctx: _Context
) -> tuple[etree._Element | None, str | None, str | None]:
    """Where an unverifiable reference points, for the report (ambiguous: nowhere)."""
    element: etree._Element | None = None
    if uri == "":
        element = ctx.tree.getroot()
    elif uri and uri.startswith("#"):
        found = ctx.ids.lookup(uri[1:])
        element = found[0] if len(found) == 1 else None
    if element is None:
        return None, None, None
    return element, ctx.paths.path(element), element.tag


def _find_signer(
    method: SignatureMethod | None,
    canonical: bytes,
    raw: bytes | None,
    content: KeyInfoContent,
    xades_certs: tuple[x509.Certificate, ...],
    supplied: tuple[x509.Certificate, ...],
) -> tuple[x509.Certificate | None, KeySource, bool, int]:
    """``(signer certificate, key source, value valid, number of candidate keys)``."""
    named = [c for c in content.certificates if _named(c, content)]
    documented = [*named, *(c for c in (*content.certificates, *xades_certs) if c not in named)]
    documented.sort(key=_is_ca)  # end-entity certificates first
    candidates: list[tuple[PublicKey, x509.Certificate | None, KeySource]] = []
    for sources, kind in (
        (documented, KeySource.X509_CERTIFICATE),
        (supplied, KeySource.SUPPLIED_CERTIFICATE),
    ):
        for cert in sources:
            try:
                key = cert.public_key()
            except (ValueError, UnsupportedAlgorithm):
                continue  # a key vnsign cannot use (GOST, damaged): not a candidate
            if isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey | dsa.DSAPublicKey):
                candidates.append((key, cert, kind))
    for key in content.key_values:
        candidates.append((key, None, KeySource.KEY_VALUE))
    designated = documented[0] if documented else (supplied[0] if supplied else None)
    if method is None or raw is None or not canonical:
        return designated, KeySource.NONE, False, len(candidates)
    for key, candidate, source in candidates:
        if verify_value(method, key, canonical, raw):
            return candidate, source, True, len(candidates)
    return designated, KeySource.NONE, False, len(candidates)


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except (x509.ExtensionNotFound, x509.DuplicateExtension, ValueError):
        return False


def _named(cert: x509.Certificate, content: KeyInfoContent) -> bool:
    if any(serial == cert.serial_number for _, serial in content.issuer_serials):
        return True
    if content.subject_key_ids:
        try:
            ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
        except (x509.ExtensionNotFound, x509.DuplicateExtension, ValueError):
            ski = b""
        if ski in content.subject_key_ids:
            return True
    return bool(content.subject_names) and subject_name_text(cert) in content.subject_names


def _property_time(
    signature: etree._Element, references: tuple[ReferenceResult, ...], paths: ElementPaths
) -> SigningTimeClaim | None:
    for obj in signature.iterfind(_ds("Object")):
        for element in obj.iter():
            if not isinstance(element.tag, str) or local_name(element) != "SigningTime":
                continue
            if etree.QName(element).namespace == XADES:
                continue
            text = element.text or ""
            value, assumed = parse_time(text)
            # signed only where a digest really covered it: not through a reference the
            # enveloped-signature transform emptied, nor one that excluded this Signature
            signed = any(r.covers(element, signature) for r in references)
            return SigningTimeClaim(
                text=text,
                value=value,
                source="SignatureProperty/SigningTime",
                path=paths.path(element),
                signed=signed,
                offset_assumed=assumed,
            )
    return None
