"""Readable locations of elements, for reports (``/HDon/DSCKS/NBan/Signature``)."""

from __future__ import annotations

from collections import Counter

from lxml import etree

__all__ = ["ElementPaths", "element_path", "local_name"]


def local_name(element: etree._Element) -> str:
    """The tag without its namespace."""
    return str(etree.QName(element).localname)


def element_path(element: etree._Element) -> str:
    """An absolute path with the document's own prefixes and 1-based positions
    where siblings share a tag, e.g. ``/samlp:Response/a/saml:Assertion[2]``."""
    return ElementPaths().path(element)


class ElementPaths:
    """:func:`element_path` for many elements of one document.

    The position of an element among its siblings is computed once per parent,
    so naming every reference target of a document with thousands of sibling
    signatures costs linear time, not quadratic. Keep one instance per document
    and per verification (it holds on to the elements it has seen).
    """

    def __init__(self) -> None:
        # element -> its 1-based position among siblings of the same tag, 0 when alone
        self._positions: dict[etree._Element, int] = {}

    def path(self, element: etree._Element) -> str:
        """The absolute path of ``element`` (see :func:`element_path`)."""
        parts: list[str] = []
        node: etree._Element | None = element
        while node is not None:
            name = local_name(node)
            if node.prefix:
                name = f"{node.prefix}:{name}"
            parent = node.getparent()
            if parent is not None:
                position = self._position(node, parent)
                if position:
                    name += f"[{position}]"
            parts.append(name)
            node = parent
        return "/" + "/".join(reversed(parts))

    def _position(self, node: etree._Element, parent: etree._Element) -> int:
        position = self._positions.get(node)
        if position is None:
            children = list(parent)
            counts = Counter(child.tag for child in children)
            seen: Counter[object] = Counter()
            for child in children:
                seen[child.tag] += 1
                self._positions[child] = seen[child.tag] if counts[child.tag] > 1 else 0
            position = self._positions[node]
        return position
