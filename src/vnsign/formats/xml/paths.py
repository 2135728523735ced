"""Readable locations of elements, for reports (``/HDon/DSCKS/NBan/Signature``)."""

from __future__ import annotations

from lxml import etree

__all__ = ["element_path", "local_name"]


def local_name(element: etree._Element) -> str:
    """The tag without its namespace."""
    return str(etree.QName(element).localname)


def element_path(element: etree._Element) -> str:
    """An absolute path with the document's own prefixes and 1-based positions
    where siblings share a tag, e.g. ``/samlp:Response/a/saml:Assertion[2]``."""
    parts: list[str] = []
    node: etree._Element | None = element
    while node is not None:
        name = local_name(node)
        if node.prefix:
            name = f"{node.prefix}:{name}"
        parent = node.getparent()
        if parent is not None:
            same = [child for child in parent if child.tag == node.tag]
            if len(same) > 1:
                name += f"[{same.index(node) + 1}]"
        parts.append(name)
        node = parent
    return "/" + "/".join(reversed(parts))
