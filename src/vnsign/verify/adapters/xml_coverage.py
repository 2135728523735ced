"""What an XML signature covers: the whole document, or only a part of it.

A reference proves the digest of one element (or of the whole document). A
signature covers a *scope* (the document element, or the element a profile
declares to be the document, such as the invoice's ``DLHDon``) when every
element of that scope lies inside an element one of its references resolved to.
Everything else is unsigned, and content that is not signed must never pass for
signed (signature wrapping), so a gap makes the coverage ``partial``.

Not counted as content: other ``ds:Signature`` elements (each is judged on its
own), the signature's own machinery (SignedInfo, SignatureValue, KeyInfo, XAdES
qualifying properties), and a bare document element: a root without attributes
or text around signed elements and their signatures (``<Root><Data Id=..>
<ds:Signature>``), whose name alone is not signed. A bare element anywhere else
is content: its name or mere presence can change what the document says. The
signature's other ``ds:Object`` children carry data (an enveloping signature's
content) and must be covered like the rest, except those holding only
``ds:SignatureProperties``: assertions about the signature (an e-invoice's
SigningTime), like XAdES properties. Whether *they* are signed is the signing
time's question (EINV-SIGNINGTIME, TECH-SIGNING-TIME), not the document's.

A reference into the signature itself with the enveloped-signature transform
digests nothing (strict XMLDSig) and covers nothing, unless verify_xml accepted
the .NET reading for an e-invoice's SigningTime Object
(OBS-EINVOICE-ENVELOPED-OBJECT): then it covers that Object.

The verdict is TECH-COVERAGE's; :attr:`XmlCoverage.signed` and
:attr:`XmlCoverage.unsigned` are what its message names.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from vnsign.formats.xml.canonical import is_within
from vnsign.formats.xml.namespaces import DS
from vnsign.formats.xml.paths import element_path
from vnsign.formats.xml.results import ReferenceResult, ReferenceStatus, XmlSignatureResult
from vnsign.verify.facts import Coverage

__all__ = ["XmlCoverage", "coverage_of"]

_SIGNATURE = f"{{{DS}}}Signature"
_OBJECT = f"{{{DS}}}Object"
_KEY_INFO = f"{{{DS}}}KeyInfo"
# e-invoices put SignatureProperties in no namespace (xmlns=""), others in XMLDSig's
_PROPERTIES = frozenset({f"{{{DS}}}SignatureProperties", "SignatureProperties"})
_XADES_NAMESPACES = "http://uri.etsi.org/01903/"  # v1.1.1, v1.2.2, v1.3.2, v1.4.1
_QUALIFYING = frozenset({"QualifyingProperties", "QualifyingPropertiesReference"})
# A reference whose digest was computed (matching or not) says what it signs.
_COMPUTED = frozenset({ReferenceStatus.VALID, ReferenceStatus.DIGEST_MISMATCH})


class _Cover(enum.IntEnum):
    NONE = 0
    BUT_SIGNATURE = 1  #: covered, except the signature itself (enveloped-signature transform)
    FULL = 2


@dataclass(frozen=True)
class XmlCoverage:
    """What one signature covers within a scope."""

    coverage: Coverage
    #: Paths of the elements the references resolved to, in reference order.
    signed: tuple[str, ...]
    #: Path of the first element of the scope that no reference covers (partial).
    unsigned: str | None = None


def coverage_of(signature: XmlSignatureResult, scope: etree._Element | None) -> XmlCoverage:
    """The coverage of ``signature`` over ``scope``: the document element, or the
    element a profile declares to be the document (None: that element is missing)."""
    counted = [r for r in signature.references if _signs_something(r)]
    targets: dict[etree._Element, _Cover] = {}
    for reference in counted:
        element = reference.element
        if element is None:
            continue
        # the accepted .NET reading digests the whole Object: nothing was taken out
        removed = reference.excludes_signature and reference.quirk is None
        cover = _Cover.BUT_SIGNATURE if removed else _Cover.FULL
        targets[element] = max(targets.get(element, _Cover.NONE), cover)
    own = signature.element
    signed = tuple(
        dict.fromkeys(
            r.element_path or element_path(r.element)
            for r in counted
            if r.element is not None and not _machinery(r.element, own)
        )
    )
    if not targets:
        return XmlCoverage(Coverage.UNKNOWN, signed)
    if scope is None:
        return XmlCoverage(Coverage.PARTIAL, signed, "the element the format signs (missing)")
    starts = [scope] if is_within(own, scope) else [scope, *_data_objects(own)]
    for start in starts:
        found = _first_uncovered(start, own, targets, _Cover.NONE)
        if found is not None:
            return XmlCoverage(Coverage.PARTIAL, signed, element_path(found))
    # The whole scope is signed: the document, or what the profile says the document is.
    return XmlCoverage(Coverage.ENTIRE_FILE, signed)


def _signs_something(reference: ReferenceResult) -> bool:
    """A reference whose digest was computed (matching or not: a mismatch is
    TECH-HASH's), except a matching digest of nothing: the enveloped-signature
    transform emptied what it names, so it signs none of it."""
    if reference.element is None or reference.status not in _COMPUTED:
        return False
    return not (reference.emptied_by_enveloped and reference.digest_ok)


def _first_uncovered(
    node: etree._Element,
    own: etree._Element,
    targets: dict[etree._Element, _Cover],
    cover: _Cover,
) -> etree._Element | None:
    cover = max(cover, targets.get(node, _Cover.NONE))
    if cover is _Cover.FULL or (cover is _Cover.BUT_SIGNATURE and not is_within(own, node)):
        return None  # everything below is signed (the signature is elsewhere)
    if node.tag == _SIGNATURE:
        if node is not own:
            return None
        # here nothing covers the signature itself: its data Objects need references
        for obj in _data_objects(own):
            found = _first_uncovered(obj, own, targets, _Cover.NONE)
            if found is not None:
                return found
        return None
    if cover is _Cover.NONE and not _bare_root(node):
        return node
    for child in node:
        if isinstance(child.tag, str):
            found = _first_uncovered(child, own, targets, cover)
            if found is not None:
                return found
    return None


def _bare_root(node: etree._Element) -> bool:
    """The document element, holding nothing of its own: no attributes, no text."""
    if node.getparent() is not None or node.attrib or (node.text or "").strip():
        return False
    return len(node) > 0 and not any((child.tail or "").strip() for child in node)


def _qualifying(element: etree._Element) -> bool:
    if not isinstance(element.tag, str):
        return False
    name = etree.QName(element)
    return name.localname in _QUALIFYING and (name.namespace or "").startswith(_XADES_NAMESPACES)


def _machinery(element: etree._Element, signature: etree._Element) -> bool:
    """Part of the signature itself (KeyInfo, XAdES properties), not signed data."""
    if not is_within(element, signature):
        return False
    return element.tag == _KEY_INFO or any(
        _qualifying(e) for e in (element, *element.iterancestors())
    )


def _data_objects(signature: etree._Element) -> Iterator[etree._Element]:
    """The signature's ``ds:Object`` children that carry data (not XAdES properties,
    not signature properties, not empty)."""
    for obj in signature.iterfind(_OBJECT):
        if any(_qualifying(child) for child in obj):
            continue
        children = [child for child in obj if isinstance(child.tag, str)]
        if children and all(child.tag in _PROPERTIES for child in children):
            continue
        if len(obj) == 0 and not (obj.text or "").strip():
            continue
        yield obj
