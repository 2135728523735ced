"""Finding elements by ID, and refusing ambiguous IDs.

``URI="#x"`` names the element whose ID attribute is ``x``. No DTD or schema
says which attributes are IDs, so the attributes real documents use are
recognised: ``Id``, ``ID``, ``id`` (no namespace), ``xml:id`` and WS-Security's
``wsu:Id``. An ID that occurs more than once is *ambiguous*: a reference to it
never verifies (the classic signature-wrapping attack duplicates the signed
element's ID).
"""

from __future__ import annotations

from collections import defaultdict

from lxml import etree

from vnsign.formats.xml.namespaces import XML

__all__ = ["ID_ATTRIBUTES", "IdIndex"]

_WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"

#: Attribute names (Clark notation) treated as IDs.
ID_ATTRIBUTES = frozenset({"Id", "ID", "id", f"{{{XML}}}id", f"{{{_WSU}}}Id"})

_FIND_IDS = etree.XPath("//@*[local-name()='Id' or local-name()='ID' or local-name()='id']")


class IdIndex:
    """Every element of a document by ID value, built once per document."""

    def __init__(self, tree: etree._ElementTree | etree._Element) -> None:
        found: defaultdict[str, list[etree._Element]] = defaultdict(list)
        for attribute in _FIND_IDS(tree):
            if attribute.attrname in ID_ATTRIBUTES:
                found[str(attribute)].append(attribute.getparent())
        self._by_id = dict(found)

    def lookup(self, value: str) -> tuple[etree._Element, ...]:
        """Every element carrying ``value`` as an ID (several means ambiguous)."""
        return tuple(self._by_id.get(value, ()))

    def __contains__(self, value: object) -> bool:
        return value in self._by_id

    @property
    def duplicates(self) -> tuple[str, ...]:
        """ID values that occur more than once, sorted."""
        return tuple(sorted(v for v, elements in self._by_id.items() if len(elements) > 1))
