"""From a ``ds:Reference`` to the octets its digest covers.

Shared by signing and verification, so both compute exactly the same thing:
resolve the URI (same-document ``""``, ``#id``, ``#xpointer(/)``,
``#xpointer(id('x'))``, or external data supplied by the caller: vnsign never
fetches a URL or reads a file named by a document), then run the transforms
(enveloped-signature, every C14N flavour, base64). XPath, XPath Filter 2.0 and
XSLT transforms are refused as unsupported.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lxml import etree

from vnsign.errors import InputError
from vnsign.formats.xml.algorithms import C14nMethod, TransformMethod
from vnsign.formats.xml.canonical import canonicalize, is_within, without
from vnsign.formats.xml.ids import IdIndex
from vnsign.formats.xml.limits import DigestBudget
from vnsign.formats.xml.namespaces import DS, EXC_C14N
from vnsign.formats.xml.parsing import ParseLimits, parse_xml
from vnsign.formats.xml.results import ReferenceStatus

__all__ = ["DereferenceError", "DigestInput", "TransformStep", "digest_input", "read_transforms"]

_XPOINTER_ID = re.compile(r"""^xpointer\(id\((['"])(?P<id>[^'"]+)\1\)\)$""")
_TRANSFORM = f"{{{DS}}}Transform"
_INCLUSIVE_NAMESPACES = f"{{{EXC_C14N}}}InclusiveNamespaces"


class DereferenceError(Exception):
    """A reference cannot be turned into octets (internal: becomes a result)."""

    def __init__(self, status: ReferenceStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class TransformStep:
    """One ``ds:Transform``."""

    uri: str
    inclusive_prefixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class DigestInput:
    """The octets a reference's digest is computed over, and where they came from."""

    data: bytes
    element: etree._Element | None
    whole_document: bool
    excludes_signature: bool
    #: The referenced node lies inside the Signature and the enveloped-signature
    #: transform emptied it (strict reading of OBS-EINVOICE-ENVELOPED-OBJECT).
    emptied_by_enveloped: bool = False


@dataclass
class _NodeSet:
    node: etree._Element | etree._ElementTree
    element: etree._Element
    with_comments: bool
    exclude: etree._Element | None = None


def read_transforms(reference: etree._Element) -> tuple[TransformStep, ...]:
    """The transforms listed in a ``ds:Reference`` (or a XAdES time stamp)."""
    steps = []
    for transform in reference.iterfind(f"{{{DS}}}Transforms/{_TRANSFORM}"):
        prefixes: tuple[str, ...] = ()
        inclusive = transform.find(_INCLUSIVE_NAMESPACES)
        if inclusive is not None:
            prefixes = tuple((inclusive.get("PrefixList") or "").split())
        steps.append(TransformStep(transform.get("Algorithm") or "", prefixes))
    return tuple(steps)


def digest_input(
    uri: str | None,
    transforms: Sequence[TransformStep],
    *,
    tree: etree._ElementTree,
    ids: IdIndex,
    signature: etree._Element,
    external: Mapping[str, bytes] | None = None,
    limits: ParseLimits | None = None,
    dotnet_enveloped: bool = False,
    budget: DigestBudget | None = None,
) -> DigestInput:
    """The octets to digest for one reference.

    ``dotnet_enveloped`` reads an enveloped-signature transform on data inside the
    Signature the way .NET does (remove nothing) instead of the XPath way (remove
    everything). ``budget`` counts every octet canonicalized or base64-decoded,
    and external data digested as is (and raises
    :class:`~vnsign.errors.HostileInputError` past its limit). Raises
    :class:`DereferenceError` when the reference cannot be turned into octets.
    """
    spend = budget.spend if budget is not None else _free
    current: _NodeSet | bytes = _resolve(uri, tree, ids, external)
    transformed = False  # external data digested as is is counted at the end
    element = current.element if isinstance(current, _NodeSet) else None
    whole = isinstance(current, _NodeSet) and isinstance(current.node, etree._ElementTree)
    excluded = emptied = False
    for step in transforms:
        if step.uri == TransformMethod.ENVELOPED_SIGNATURE:
            if not isinstance(current, _NodeSet):
                raise DereferenceError(
                    ReferenceStatus.MALFORMED,
                    "the enveloped-signature transform needs XML, not octets",
                )
            current.exclude = signature
            excluded = True
            continue
        method = C14nMethod.parse(step.uri)
        if method is not None:
            current, emptied_now = _canonical(
                current, method, step.inclusive_prefixes, limits, dotnet_enveloped
            )
            spend(len(current))
            transformed = True
            emptied = emptied or emptied_now
        elif step.uri == TransformMethod.BASE64:
            current = _base64(current)
            spend(len(current))
            transformed = True
        else:
            raise DereferenceError(
                ReferenceStatus.UNSUPPORTED, f"transform {step.uri or '(none)'} is not supported"
            )
    if isinstance(current, _NodeSet):
        current, emptied_now = _canonical(
            current, C14nMethod.INCLUSIVE, (), limits, dotnet_enveloped
        )
        spend(len(current))
        emptied = emptied or emptied_now
    elif not transformed:
        spend(len(current))
    return DigestInput(current, element, whole, excluded, emptied)


def _free(size: int) -> None:
    """No budget: signing digests what its caller chose."""


def _resolve(
    uri: str | None,
    tree: etree._ElementTree,
    ids: IdIndex,
    external: Mapping[str, bytes] | None,
) -> _NodeSet | bytes:
    if uri is None:
        raise DereferenceError(
            ReferenceStatus.NOT_FOUND,
            "the Reference has no URI: the signed data is implied by an application "
            "vnsign does not know",
        )
    if uri == "":
        return _NodeSet(tree, tree.getroot(), with_comments=False)
    if uri.startswith("#"):
        fragment = uri[1:]
        if fragment == "xpointer(/)":
            return _NodeSet(tree, tree.getroot(), with_comments=True)
        match = _XPOINTER_ID.match(fragment)
        with_comments = match is not None
        target = match.group("id") if match else fragment
        found = ids.lookup(target)
        if not found:
            raise DereferenceError(ReferenceStatus.NOT_FOUND, f"no element has the ID {target!r}")
        if len(found) > 1:
            raise DereferenceError(
                ReferenceStatus.AMBIGUOUS,
                f"the ID {target!r} occurs {len(found)} times; a reference to it proves nothing "
                "(signature wrapping)",
            )
        return _NodeSet(found[0], found[0], with_comments=with_comments)
    if external is not None and uri in external:
        return bytes(external[uri])
    raise DereferenceError(
        ReferenceStatus.NOT_FOUND,
        f"external data {uri!r} was not supplied (vnsign never fetches URLs or files "
        "named by a document)",
    )


def _canonical(
    current: _NodeSet | bytes,
    method: C14nMethod,
    prefixes: Sequence[str],
    limits: ParseLimits | None,
    dotnet_enveloped: bool,
) -> tuple[bytes, bool]:
    if isinstance(current, bytes):
        try:
            tree = parse_xml(current, limits=limits or ParseLimits(), what="referenced data")
        except InputError as exc:
            raise DereferenceError(ReferenceStatus.MALFORMED, str(exc)) from exc
        current = _NodeSet(tree, tree.getroot(), with_comments=True)
    comments = method.with_comments and current.with_comments
    node = current.node
    container = node.getroot() if isinstance(node, etree._ElementTree) else node
    exclude = current.exclude
    try:
        if exclude is not None and is_within(exclude, container):
            if exclude is container:
                raise DereferenceError(
                    ReferenceStatus.MALFORMED,
                    "the enveloped-signature transform would remove all the referenced data",
                )
            with without(exclude):
                return canonicalize(
                    node, method, with_comments=comments, inclusive_prefixes=prefixes
                ), False
        if exclude is not None and is_within(container, exclude) and not dotnet_enveloped:
            return b"", True
        return canonicalize(
            node, method, with_comments=comments, inclusive_prefixes=prefixes
        ), False
    except InputError as exc:
        raise DereferenceError(ReferenceStatus.MALFORMED, str(exc)) from exc


def _base64(current: _NodeSet | bytes) -> bytes:
    if isinstance(current, _NodeSet):
        node = current.node
        root = node.getroot() if isinstance(node, etree._ElementTree) else node
        text = str(root.xpath("string()")).encode("ascii", "replace")
    else:
        text = current
    try:
        return base64.b64decode(b"".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DereferenceError(
            ReferenceStatus.MALFORMED, f"the base64 transform got data that is not base64: {exc}"
        ) from exc
