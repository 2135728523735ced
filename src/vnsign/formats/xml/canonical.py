"""Canonical XML through libxml2 (lxml), and the enveloped-signature exclusion.

A Reference's node-set is an element's subtree or the whole document, minus
comments unless asked, minus the enclosing Signature when the
enveloped-signature transform is listed. lxml canonicalizes a subtree with the
namespace declarations in scope from its ancestors (what inclusive C14N
requires); the Signature is taken out of the tree for the moment of
canonicalization and put back exactly where it was, text around it included.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from urllib.parse import urlsplit

from lxml import etree

from vnsign.errors import MalformedInputError
from vnsign.formats.xml.algorithms import C14nMethod

__all__ = ["canonicalize", "is_within", "without"]

_local = threading.local()


def _reparser() -> etree.XMLParser:
    # Reads back lxml's own serialization of a subtree (no DTD can occur; text nodes
    # may be large base64). lxml parsers are not shared between threads.
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, huge_tree=True, remove_blank_text=False
        )
        _local.parser = parser
    return parser


def canonicalize(
    node: etree._Element | etree._ElementTree,
    method: C14nMethod,
    *,
    with_comments: bool | None = None,
    inclusive_prefixes: Sequence[str] = (),
) -> bytes:
    """``node`` (a subtree, or a whole document) canonicalized with ``method``.

    ``with_comments`` overrides the method's own choice (a same-document
    ``#id`` reference has dropped comments before any transform runs).
    """
    comments = method.with_comments if with_comments is None else with_comments
    if isinstance(node, etree._Element) and _inherits_namespaces(node):
        node = _standalone(node)
    try:
        data: bytes = etree.tostring(
            node,
            method="c14n",
            exclusive=method.exclusive,
            with_comments=comments,
            inclusive_ns_prefixes=list(inclusive_prefixes) if method.exclusive else None,
        )
    except (etree.C14NError, ValueError) as exc:
        relative = _relative_namespace(node)
        detail = (
            f"the namespace URI {relative!r} is relative; canonical XML requires absolute ones"
            if relative
            else str(exc)
        )
        raise MalformedInputError(f"cannot canonicalize the XML: {detail}") from exc
    return data


def _relative_namespace(node: etree._Element | etree._ElementTree) -> str | None:
    root = node.getroot() if isinstance(node, etree._ElementTree) else node
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for uri in element.nsmap.values():
            if uri and not urlsplit(uri).scheme:
                return str(uri)
    return None


def _inherits_namespaces(element: etree._Element) -> bool:
    parent = element.getparent()
    return parent is not None and bool(parent.nsmap)


def _standalone(element: etree._Element) -> etree._Element:
    """``element`` as the root of a document of its own, declaring every namespace
    in scope at ``element`` with the prefixes the document uses.

    lxml canonicalizes a subtree through a temporary "fake root" whose copied
    namespace declarations the descendants do not point at; with lxml 6.1 and
    libxml2 2.14 that makes C14N emit a spurious ``xmlns=""`` on grandchildren
    that use an inherited default namespace. lxml's plain serialization of a
    subtree declares the inherited namespaces correctly, so the subtree is
    serialized and read back (checked against xmlsec1 on the W3C vectors).
    """
    text = etree.tostring(element, with_tail=False, encoding="utf-8")
    return etree.fromstring(text, _reparser())


def is_within(node: etree._Element, container: etree._Element) -> bool:
    """Whether ``node`` is ``container`` or one of its descendants."""
    if node is container:
        return True
    return any(ancestor is container for ancestor in node.iterancestors())


@contextmanager
def without(element: etree._Element) -> Iterator[None]:
    """Take ``element`` out of its tree for the duration of the block.

    The text that follows it (lxml's ``tail``) belongs to the parent in the XPath
    data model, so it stays in the document; everything is restored afterwards.
    """
    parent = element.getparent()
    if parent is None:
        raise MalformedInputError(
            "the enveloped-signature transform cannot remove the root element"
        )
    index = parent.index(element)
    tail = element.tail
    previous = element.getprevious()
    if previous is not None:
        saved_text = previous.tail
        previous.tail = (previous.tail or "") + (tail or "") if tail else previous.tail
    else:
        saved_text = parent.text
        parent.text = (parent.text or "") + (tail or "") if tail else parent.text
    parent.remove(element)
    try:
        yield
    finally:
        if previous is not None:
            previous.tail = saved_text
        else:
            parent.text = saved_text
        parent.insert(index, element)
        element.tail = tail
