"""Shared pieces of vnsign's difference-analysis rules: what a rule may note about
an accepted change, and small typed helpers over pyHanko's PDF objects."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import HistoricalResolver
from pyhanko.sign.diff_analysis import FormUpdate, ReferenceUpdate, SuspiciousModification

__all__ = [
    "Accepted",
    "NotedFormUpdate",
    "NotedUpdate",
    "approve_container",
    "as_int",
    "deref",
    "empty_dict",
    "freed_refs",
    "is_name",
    "is_new",
    "items_of",
    "raw_or_none",
    "written_refs",
]


class Accepted(StrEnum):
    """A change that pyHanko's generic policy refuses and vnsign accepts, for a reason
    that can be stated. Reported with the modification so nobody has to guess."""

    #: the tagged-PDF structure tree gained elements for new signature widgets
    #: (StructElem, ParentTree entry, page /StructParents, /Tabs) - OBS-CERTIFY-THEN-SEAL
    STRUCTURE_TREE = "structure-tree"
    #: a VRI entry of the document security store was rewritten or dropped
    VRI_REWRITTEN = "vri-rewritten"
    #: a form field spread over widget annotations (/Kids) got a new value appearance
    WIDGET_FORM_FILL = "widget-form-fill"
    #: the xref section freed object numbers that held nothing (iTextSharp writes this)
    UNUSED_NUMBERS_FREED = "unused-numbers-freed"
    #: a trailer /AdditionalStreams reference that resolved to nothing when signed
    #: (LibreOffice hybrid PDF) now names a new object elsewhere
    STALE_TRAILER_REFERENCE = "stale-trailer-reference"
    #: a page entry now points to a new copy of the same dictionary or array
    IDENTICAL_COPY = "identical-copy"

    @property
    def description(self) -> str:
        """One sentence for a report: what was accepted and why."""
        return _DESCRIPTIONS[self]


_DESCRIPTIONS = {
    Accepted.STRUCTURE_TREE: (
        "the tagged-PDF structure tree was extended only with elements for the new "
        "signature widgets (StructElem, ParentTree entry, page tab order), as "
        "Vietnamese signing tools do (OBS-CERTIFY-THEN-SEAL); no existing element, "
        "page content or annotation changed"
    ),
    Accepted.VRI_REWRITTEN: (
        "VRI entries of the document security store were rewritten or dropped, which "
        "touches validation data only (PAdES-LT extension), not the signed content"
    ),
    Accepted.WIDGET_FORM_FILL: (
        "a form field's widget annotation got the appearance of its new value"
    ),
    Accepted.IDENTICAL_COPY: (
        "a page entry was re-pointed to a new copy of the same resources, which "
        "changes nothing on the page"
    ),
    Accepted.UNUSED_NUMBERS_FREED: (
        "the update marks object numbers that held nothing as free (a writer quirk)"
    ),
    Accepted.STALE_TRAILER_REFERENCE: (
        "a LibreOffice /AdditionalStreams trailer reference that pointed to no object "
        "when signed now shares its number with a new object it no longer points to"
    ),
}


@dataclass(frozen=True)
class NotedUpdate(ReferenceUpdate):
    """A :class:`~pyhanko.sign.diff_analysis.ReferenceUpdate` that says why vnsign
    accepts it (``None``: an ordinary update)."""

    note: Accepted | None = None


@dataclass(frozen=True)
class NotedFormUpdate(FormUpdate):
    """A :class:`~pyhanko.sign.diff_analysis.FormUpdate` with a :class:`Accepted` note."""

    note: Accepted | None = None


def raw_or_none(container: generic.DictionaryObject, key: str) -> generic.PdfObject | None:
    """``container[key]`` without dereferencing, or ``None`` when absent."""
    try:
        value: generic.PdfObject = container.raw_get(key)
    except KeyError:
        return None
    return value


def as_int(value: generic.PdfObject | None) -> int | None:
    """``value`` when it is a PDF integer."""
    return int(value) if isinstance(value, generic.NumberObject) else None


def deref(value: generic.PdfObject | None) -> generic.PdfObject | None:
    """The object ``value`` points to (``value`` itself when direct)."""
    if isinstance(value, generic.IndirectObject):
        target: generic.PdfObject = value.get_object()  # type: ignore[no-untyped-call]
        return target
    return value


def is_name(value: generic.PdfObject | None, *names: str) -> bool:
    """Whether ``value`` is a PDF name among ``names``."""
    return isinstance(value, generic.NameObject) and str(value) in names


def empty_dict() -> generic.DictionaryObject:
    """A new empty PDF dictionary (for an entry absent from the older revision)."""
    return generic.DictionaryObject()  # type: ignore[no-untyped-call]


def written_refs(resolver: HistoricalResolver) -> set[generic.Reference]:
    """The objects written (new or overwritten) by ``resolver``'s revision."""
    refs: set[generic.Reference] = resolver.explicit_refs_in_revision()  # type: ignore[no-untyped-call]
    return refs


def freed_refs(resolver: HistoricalResolver) -> set[generic.Reference]:
    """The object numbers freed by ``resolver``'s revision."""
    refs: set[generic.Reference] = resolver.refs_freed_in_revision()  # type: ignore[no-untyped-call]
    return refs


def items_of(value: generic.PdfObject | None) -> list[generic.PdfObject]:
    """The entries of a PDF "one or many" value (``/K``, ``/Kids``): an array's items,
    a single value as a one-item list, nothing for ``None``."""
    target = deref(value)
    if target is None or isinstance(target, generic.NullObject):
        return []
    if isinstance(target, generic.ArrayObject):
        return list(target)
    return [value] if value is not None else []


def is_new(old: HistoricalResolver, ref: generic.Reference) -> bool:
    """Whether ``ref`` could not name an object in the signed revision ``old``."""
    return bool(old.is_ref_unassignable(ref))


def approve_container(
    old: HistoricalResolver,
    old_value: generic.PdfObject | None,
    new_value: generic.PdfObject | None,
    what: str,
) -> Iterator[generic.Reference]:
    """The reference holding ``new_value`` when it is indirect and may be updated: the
    same object as before (its content is checked by the caller), or a new object.
    Pointing an entry at another object that already existed is refused, since that
    object's meaning elsewhere would change."""
    if not isinstance(new_value, generic.IndirectObject):
        return
    ref = new_value.reference
    if isinstance(deref(new_value), generic.StreamObject):
        raise SuspiciousModification(f"{what} is unexpectedly a stream ({ref})")
    if (isinstance(old_value, generic.IndirectObject) and old_value.reference == ref) or is_new(
        old, ref
    ):
        yield ref
    else:
        raise SuspiciousModification(f"{what} now points to an existing object {ref}")
