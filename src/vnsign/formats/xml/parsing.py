"""Safe XML parsing: the only way vnsign reads XML.

Signed e-documents (e-invoices, edXML packages, XAdES) never need a document type
declaration, so any DTD is refused before anything in it is used: no entity is
expanded, no external file or URL is read, and the parser works within fixed
size and depth bounds. A refused document raises
:class:`~vnsign.errors.HostileInputError`; a broken one
:class:`~vnsign.errors.MalformedInputError`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from lxml import etree

from vnsign.errors import HostileInputError, MalformedInputError

__all__ = ["DEFAULT_LIMITS", "ParseLimits", "parse_xml", "serialize", "text_value"]


@dataclass(frozen=True)
class ParseLimits:
    """Bounds for a document. libxml2 itself caps nesting at 256 levels; a text node
    over 10 MB is accepted only in a document without any DTD."""

    #: Largest document accepted, in bytes (an edXML package carries its PDFs in base64).
    max_bytes: int = 256 * 1024 * 1024
    #: Deepest element nesting accepted (at most 256, libxml2's own bound).
    max_depth: int = 256


DEFAULT_LIMITS = ParseLimits()
_LIBXML_MAX_DEPTH = 256

# libxml2 messages that mean "this document attacks the parser", not "it is broken".
_HOSTILE_MESSAGES = (
    "excessive depth",
    "text node",
    "amplification",
    "entity reference loop",
    "detected an entity",
    "entitydecl",
    "xmlparseentityref",
)

_local = threading.local()


def _parser(*, huge: bool = False) -> etree.XMLParser:
    # lxml parsers must not be shared between threads; one per thread is reused.
    name = "huge_parser" if huge else "parser"
    parser: etree.XMLParser | None = getattr(_local, name, None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            load_dtd=False,
            dtd_validation=False,
            no_network=True,
            huge_tree=huge,
            remove_blank_text=False,
            remove_comments=False,
            remove_pis=False,
            collect_ids=False,
        )
        parser.resolvers.add(_RefuseEverything())
        setattr(_local, name, parser)
    return parser


class _RefuseEverything(etree.Resolver):  # type: ignore[misc]
    """A resolver that never resolves: belt and braces against external access."""

    def resolve(self, system_url: str, public_id: str, context: object) -> None:
        raise HostileInputError(f"the document tries to load {system_url!r}; vnsign never does")


def parse_xml(
    data: bytes, *, limits: ParseLimits = DEFAULT_LIMITS, what: str = "XML document"
) -> etree._ElementTree:
    """Parse ``data`` safely and return the tree.

    Raises :class:`HostileInputError` for a DTD (with or without entities),
    excessive size or depth, and :class:`MalformedInputError` for anything that
    is not well-formed XML. ``what`` names the input in messages.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise MalformedInputError(f"the {what} must be bytes, not {type(data).__name__}")
    data = bytes(data)
    if len(data) > limits.max_bytes:
        raise HostileInputError(
            f"the {what} is {len(data)} bytes, more than the limit of {limits.max_bytes}"
        )
    if not data.strip():
        raise MalformedInputError(f"the {what} is empty")
    huge = False
    try:
        try:
            root = etree.fromstring(data, _parser())
        except etree.XMLSyntaxError as exc:
            # A text node over 10 MB (a large base64 attachment) needs libxml2's "huge"
            # mode, which also lifts its entity limits: only without any DTD at all.
            if "text node" not in str(exc).lower() or _declares_dtd(data):
                raise
            huge = True
            root = etree.fromstring(data, _parser(huge=True))
    except HostileInputError:
        raise
    except etree.XMLSyntaxError as exc:
        message = str(exc)
        if _declares_dtd(data) or any(m in message.lower() for m in _HOSTILE_MESSAGES):
            raise HostileInputError(
                f"the {what} is refused: {message} (DTDs and entities are never processed)"
            ) from exc
        raise MalformedInputError(f"the {what} is not well-formed XML: {message}") from exc
    except ValueError as exc:  # e.g. an encoding declaration lxml cannot use
        raise MalformedInputError(f"the {what} cannot be read as XML: {exc}") from exc
    tree = root.getroottree()
    info = tree.docinfo
    if info.internalDTD is not None or info.doctype or info.system_url or info.public_id:
        raise HostileInputError(
            f"the {what} has a document type declaration (DTD); vnsign refuses DTDs "
            "(no entity expansion, no external access)"
        )
    if huge or limits.max_depth < _LIBXML_MAX_DEPTH:
        _check_depth(root, limits.max_depth, what)
    return tree


def _check_depth(root: etree._Element, max_depth: int, what: str) -> None:
    depth = 0
    for event, _ in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        if depth > max_depth:
            raise HostileInputError(f"the {what} nests elements deeper than {max_depth} levels")


_WIDE_ENCODINGS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
    (b"<\x00", "utf-16-le"),
    (b"\x00<", "utf-16-be"),
)


def _declares_dtd(data: bytes) -> bool:
    """Whether ``data`` contains a document type or entity declaration, in an
    ASCII-compatible encoding or in UTF-16/32 (recognised by BOM or first bytes)."""
    encoding = next((e for prefix, e in _WIDE_ENCODINGS if data.startswith(prefix)), None)
    if encoding is None:
        return b"<!DOCTYPE" in data or b"<!ENTITY" in data
    text = data.decode(encoding, errors="replace")
    return "<!DOCTYPE" in text or "<!ENTITY" in text


def serialize(tree: etree._ElementTree | etree._Element) -> bytes:
    """``tree`` as UTF-8 bytes with an XML declaration, whitespace untouched."""
    data: bytes = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
    return data


def text_value(element: etree._Element | None) -> str:
    """The text of ``element`` and its descendants, without comments or processing
    instructions (a comment inside a DigestValue must not change what is read)."""
    if element is None:
        return ""
    return "".join(element.itertext())
