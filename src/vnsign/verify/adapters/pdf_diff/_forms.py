"""Form rules that replace or complete pyHanko's where real signed files need it.

* :class:`SignatureWidgetBindingRule` does what pyHanko's
  ``SigFieldCreationRule(approve_widget_bindings=True)`` does (a new signature
  widget joins a page's ``/Annots``; nothing else on the page may change), and
  also lets the page gain ``/Tabs`` and ``/StructParents`` when it had none: the
  tab order and structure key that tagging tools add with the widget
  (OBS-CERTIFY-THEN-SEAL).
* :class:`WidgetKidFillRule` accepts a form-filling update to a field whose widget
  is a separate ``/Kids`` annotation (DocuSign does this); pyHanko only looks at
  the field dictionary itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import HistoricalResolver, RawPdfPath
from pyhanko.sign.diff_analysis import (
    FieldComparisonContext,
    FieldComparisonSpec,
    FieldMDPRule,
    FormUpdate,
    ModificationLevel,
    SuspiciousModification,
)
from pyhanko.sign.diff_analysis.constants import VALUE_UPDATE_KEYS
from pyhanko.sign.diff_analysis.rules_api import RelativeContext

from vnsign.verify.adapters.pdf_diff._common import (
    Accepted,
    NotedFormUpdate,
    approve_container,
    as_int,
    deref,
    is_name,
    is_new,
    items_of,
    raw_or_none,
    written_refs,
)
from vnsign.verify.adapters.pdf_diff._structure import parent_tree_keys

__all__ = ["SignatureWidgetBindingRule", "WidgetKidFillRule"]

_MAX_PAGE_TREE_DEPTH = 64
# page entries a tagging tool adds along with a widget, when the page had none
_TAB_ORDERS = frozenset({"/R", "/C", "/S", "/A", "/W"})
_PAGE_TAGGING_KEYS = frozenset({"/Tabs", "/StructParents"})
_APPEARANCE_KEYS = ("/N", "/R", "/D")


class SignatureWidgetBindingRule(FieldMDPRule):
    """The widgets of signature fields added or signed in the revision may join the
    ``/Annots`` of their page; the page may also gain ``/Tabs`` and
    ``/StructParents`` (noted :attr:`Accepted.STRUCTURE_TREE`), and an entry may be
    re-pointed to a new copy of the same dictionary or array (noted
    :attr:`Accepted.IDENTICAL_COPY`).

    Use with ``SigFieldCreationRule(approve_widget_bindings=False)``.
    """

    def apply(
        self, context: FieldComparisonContext
    ) -> Iterable[tuple[ModificationLevel, FormUpdate]]:
        """Walk the page trees of both revisions for the new signature widgets."""
        widgets = _new_signature_widgets(context)
        if not widgets:
            return
        old, new = context.old, context.new
        yield from _walk_pages(
            old,
            new,
            old.root.raw_get("/Pages"),
            new.root.raw_get("/Pages"),
            widgets,
            set(),
            0,
        )


def _new_signature_widgets(context: FieldComparisonContext) -> dict[generic.Reference, str]:
    """The widgets of the signature fields the revision adds or signs, as pyHanko
    finds them."""
    widgets: dict[generic.Reference, str] = {}
    for name, spec in context.field_specs.items():
        if spec.field_type != "/Sig" or spec.new_field_ref is None:
            continue
        before, after = spec.old_field, spec.new_field
        if before is not None and ("/V" in before or after is None or "/V" not in after):
            continue  # neither new nor signed now
        field = spec.new_field
        kids = items_of(raw_or_none(field, "/Kids")) if field is not None else []
        if not kids:
            widgets[spec.new_field_ref] = name
        for kid in kids:
            target = deref(kid)
            if isinstance(kid, generic.IndirectObject) and not (
                isinstance(target, generic.DictionaryObject) and "/T" in target
            ):
                widgets[kid.reference] = name
    return widgets


def _walk_pages(
    old: HistoricalResolver,
    new: HistoricalResolver,
    old_node_raw: generic.PdfObject,
    new_node_raw: generic.PdfObject,
    widgets: dict[generic.Reference, str],
    seen: set[generic.Reference],
    depth: int,
) -> Iterator[tuple[ModificationLevel, FormUpdate]]:
    old_node, new_node = deref(old_node_raw), deref(new_node_raw)
    if not isinstance(old_node, generic.DictionaryObject) or not isinstance(
        new_node, generic.DictionaryObject
    ):
        raise SuspiciousModification("The page tree is malformed")
    old_kids, new_kids = _refs(old_node, "/Kids"), _refs(new_node, "/Kids")
    if old_kids != new_kids:
        raise SuspiciousModification("Unexpected change to page tree structure.")
    if depth > _MAX_PAGE_TREE_DEPTH:
        raise SuspiciousModification("The page tree is too deep")
    for ref in new_kids:
        if ref in seen:
            raise SuspiciousModification("Circular reference in page tree")
        old_kid, new_kid = old(ref), new(ref)
        if not isinstance(old_kid, generic.DictionaryObject) or not isinstance(
            new_kid, generic.DictionaryObject
        ):
            raise SuspiciousModification("Invalid page tree node")
        if is_name(raw_or_none(old_kid, "/Type"), "/Pages"):
            yield from _walk_pages(old, new, old_kid, new_kid, widgets, seen | {ref}, depth + 1)
        elif is_name(raw_or_none(old_kid, "/Type"), "/Page"):
            yield from _page(old, new, ref, old_kid, new_kid, widgets)


def _refs(holder: generic.DictionaryObject, key: str) -> list[generic.Reference]:
    items = items_of(raw_or_none(holder, key))
    if not all(isinstance(item, generic.IndirectObject) for item in items):
        raise SuspiciousModification(f"{key} holds direct objects")
    return [item.reference for item in items if isinstance(item, generic.IndirectObject)]


def _page(
    old: HistoricalResolver,
    new: HistoricalResolver,
    ref: generic.Reference,
    old_page: generic.DictionaryObject,
    new_page: generic.DictionaryObject,
    widgets: dict[generic.Reference, str],
) -> Iterator[tuple[ModificationLevel, FormUpdate]]:
    if "/Annots" not in new_page:
        return
    old_annots, new_annots = set(_refs(old_page, "/Annots")), set(_refs(new_page, "/Annots"))
    if old_annots == new_annots:
        return  # any other change to the page stays unexplained
    if old_annots - new_annots:
        raise SuspiciousModification(f"Annotations {old_annots - new_annots} were deleted.")
    unknown = new_annots - old_annots - widgets.keys()
    if unknown:
        raise SuspiciousModification(f"The newly added annotations {unknown} were not recognised.")
    added = new_annots - old_annots
    names = {widgets[annot] for annot in added}
    name = next(iter(names)) if len(added) == 1 else None
    notes, copies = _page_entries(old, new, old_page, new_page)
    tagged = Accepted.STRUCTURE_TREE in notes
    level = ModificationLevel.FORM_FILLING if tagged else ModificationLevel.LTA_UPDATES
    # the whole page dictionary was compared: approve it whatever path leads to it
    page_notes: list[Accepted | None] = list(notes) or [None]
    for note in page_notes:
        yield (
            level,
            NotedFormUpdate(ref, field_name=name, valid_when_locked=name is not None, note=note),
        )
    for copy in copies:
        yield ModificationLevel.LTA_UPDATES, NotedFormUpdate(copy, note=Accepted.IDENTICAL_COPY)
    old_raw, new_raw = raw_or_none(old_page, "/Annots"), raw_or_none(new_page, "/Annots")
    for annots_ref in approve_container(old, old_raw, new_raw, "/Annots"):
        yield (
            ModificationLevel.LTA_UPDATES,
            NotedFormUpdate(
                annots_ref,
                field_name=name,
                valid_when_locked=name is not None,
                context_checked=RelativeContext(ref, RawPdfPath("/Annots")),
            ),
        )


def _page_entries(
    old: HistoricalResolver,
    new: HistoricalResolver,
    old_page: generic.DictionaryObject,
    new_page: generic.DictionaryObject,
) -> tuple[list[Accepted], list[generic.Reference]]:
    """Compare the page but ``/Annots``. ``/Tabs`` and ``/StructParents`` may be added
    where absent; an entry may point to a new object equal to the old one, entry for
    entry (seen for ``/Resources``). The notes, and the copies to approve."""
    notes: set[Accepted] = set()
    copies: list[generic.Reference] = []
    for key in (set(old_page.keys()) | set(new_page.keys())) - {"/Annots"}:
        before, after = raw_or_none(old_page, key), raw_or_none(new_page, key)
        if before == after:
            continue
        if isinstance(after, generic.IndirectObject) and _same_copy(old, before, after):
            copies.append(after.reference)
            notes.add(Accepted.IDENTICAL_COPY)
            continue
        if before is not None or key not in _PAGE_TAGGING_KEYS:
            raise SuspiciousModification(f"Entry {key} of a page was changed")
        if key == "/Tabs" and not is_name(after, *_TAB_ORDERS):
            raise SuspiciousModification(f"Unknown tab order {after}")
        number = as_int(after)
        if key == "/StructParents" and (
            "/StructTreeRoot" not in new.root or number is None or number in parent_tree_keys(old)
        ):
            raise SuspiciousModification("/StructParents of a page takes an existing key")
        notes.add(Accepted.STRUCTURE_TREE)
    return sorted(notes), copies


def _same_copy(
    old: HistoricalResolver, before: generic.PdfObject | None, after: generic.IndirectObject
) -> bool:
    """``after`` is a new object holding exactly what ``before`` held: the same direct
    values and references to the same objects (not streams: their data would need
    comparing too)."""
    if not isinstance(before, generic.IndirectObject) or not is_new(old, after.reference):
        return False
    source, copy = deref(before), deref(after)
    if isinstance(source, generic.StreamObject) or isinstance(copy, generic.StreamObject):
        return False
    if isinstance(source, generic.DictionaryObject) and isinstance(copy, generic.DictionaryObject):
        return dict(source.items()) == dict(copy.items())
    if isinstance(source, generic.ArrayObject) and isinstance(copy, generic.ArrayObject):
        return list(source) == list(copy)
    return False


class WidgetKidFillRule(FieldMDPRule):
    """A filled-in field's widget annotations in ``/Kids`` may change their value
    appearance (``/AP``, ``/AS``, ``/DA``...; the keys pyHanko lets a field change
    when filled), at :attr:`~pyhanko.sign.diff_analysis.ModificationLevel.FORM_FILLING`
    with the note :attr:`Accepted.WIDGET_FORM_FILL`.

    Appearance streams must be new objects: overwriting an existing stream in place
    stays refused, as in pyHanko's strict setting.
    """

    def apply(
        self, context: FieldComparisonContext
    ) -> Iterable[tuple[ModificationLevel, FormUpdate]]:
        """Check the widget kids of every non-signature field present before and after."""
        old, new = context.old, context.new
        changed = written_refs(new)
        for name, spec in context.field_specs.items():
            old_field, new_field = spec.old_field, spec.new_field
            if spec.field_type == "/Sig" or old_field is None or new_field is None:
                continue
            kids = items_of(raw_or_none(new_field, "/Kids"))
            if not kids or kids != items_of(raw_or_none(old_field, "/Kids")):
                continue  # added or removed widgets are for other rules to refuse
            for index, kid in enumerate(kids):
                if isinstance(kid, generic.IndirectObject) and kid.reference in changed:
                    yield from _widget_kid(old, new, name, spec, index, kid.reference)


def _widget_kid(
    old: HistoricalResolver,
    new: HistoricalResolver,
    name: str,
    spec: FieldComparisonSpec,
    index: int,
    ref: generic.Reference,
) -> Iterator[tuple[ModificationLevel, FormUpdate]]:
    before, after = old(ref), new(ref)
    if not isinstance(before, generic.DictionaryObject) or "/T" in before:
        return  # a sub-field, checked as a field of its own
    if not isinstance(after, generic.DictionaryObject) or isinstance(after, generic.StreamObject):
        raise SuspiciousModification(f"Widget {ref} is no longer a dictionary")
    for key in (set(before.keys()) | set(after.keys())) - VALUE_UPDATE_KEYS:
        if raw_or_none(before, key) != raw_or_none(after, key):
            raise SuspiciousModification(f"Entry {key} of widget {ref} of {name} was changed")
    deps = _appearance_deps(old, new, before, after, ref)
    path = spec.old_canonical_path
    kid_spec = FieldComparisonSpec(
        field_type=spec.field_type,
        # bound to the old revision: pyHanko looks up its uses there
        old_field_ref=generic.Reference(ref.idnum, ref.generation, pdf=old),
        new_field_ref=ref,
        old_canonical_path=path + "/Kids" + index if path is not None else None,
    )
    for expected in kid_spec.expected_contexts():
        yield (
            ModificationLevel.FORM_FILLING,
            NotedFormUpdate(
                ref, field_name=name, context_checked=expected, note=Accepted.WIDGET_FORM_FILL
            ),
        )
    for dep in deps:
        yield ModificationLevel.FORM_FILLING, NotedFormUpdate(dep, field_name=name)


def _appearance_deps(
    old: HistoricalResolver,
    new: HistoricalResolver,
    before: generic.DictionaryObject,
    after: generic.DictionaryObject,
    ref: generic.Reference,
) -> set[generic.Reference]:
    """New objects of the widget's new appearance. An appearance dictionary is taken
    only direct or as a new object: updating a shared one in place would change other
    widgets too."""
    old_ap, new_ap = raw_or_none(before, "/AP"), raw_or_none(after, "/AP")
    if old_ap == new_ap:
        if isinstance(new_ap, generic.IndirectObject) and (new_ap.reference in written_refs(new)):
            raise SuspiciousModification(f"The appearance dictionary of {ref} was updated in place")
        return set()  # the same appearance: an overwritten stream stays unexplained
    deps: set[generic.Reference] = set()
    if isinstance(new_ap, generic.IndirectObject):
        if not is_new(old, new_ap.reference):
            raise SuspiciousModification(f"/AP of {ref} now points to an existing object")
        deps.add(new_ap.reference)
    appearance = deref(new_ap)
    if appearance is None:
        return deps
    if not isinstance(appearance, generic.DictionaryObject) or isinstance(
        appearance, generic.StreamObject
    ):
        raise SuspiciousModification(f"/AP of {ref} is not a dictionary")
    for key in _APPEARANCE_KEYS:
        value = raw_or_none(appearance, key)
        if value is not None:
            deps |= new.collect_dependencies(value, since_revision=old.revision + 1)
    return deps
