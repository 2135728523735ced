"""The tagged-PDF structure tree of OBS-CERTIFY-THEN-SEAL.

Vietnamese signing tools that seal a tagged PDF after a certification add, in the
same incremental update as the signature widget: a ``StructElem`` (``/S /Form``)
whose ``/K`` is an ``OBJR`` to the widget, appended to an existing element or to
the ``StructTreeRoot``; a ``ParentTree`` entry for the widget's ``/StructParent``
(often rewriting the whole number tree into new objects); a larger
``ParentTreeNextKey``. pyHanko's generic policy cannot explain any of it.

:class:`StructureTreeRule` compares the two structure trees and accepts exactly
that: existing elements keep every entry and their children in order, new
elements hold only new elements and object references to the widgets of the
signatures added in the revision, the parent tree keeps every old entry and adds
entries only for those widgets. Anything else is refused with a reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import HistoricalResolver
from pyhanko.sign.diff_analysis import (
    ModificationLevel,
    QualifiedWhitelistRule,
    ReferenceUpdate,
    SuspiciousModification,
)

from vnsign.verify.adapters.pdf_diff._common import (
    Accepted,
    NotedUpdate,
    approve_container,
    as_int,
    deref,
    empty_dict,
    is_name,
    is_new,
    items_of,
    raw_or_none,
    written_refs,
)

__all__ = ["StructureTreeRule", "parent_tree_keys", "signed_widgets"]

# bounds against hostile files: a real tree of a signed letter is a few levels deep
_MAX_DEPTH = 64
_MAX_NEW_ELEMENTS = 1_000
_MAX_TREE_ENTRIES = 500_000

# StructTreeRoot entries a signing update may change; the others must stay
_ROOT_UPDATABLE = frozenset({"/K", "/ParentTree", "/ParentTreeNextKey"})
# may appear as empty dictionaries where there were none (iText adds /RoleMap <<>>)
_ROOT_EMPTY_EQUIVALENT = frozenset({"/RoleMap", "/ClassMap"})
# what a new structure element for a widget may carry (ISO 32000-2 Table 355);
# no /ID, which would need an /IDTree update
_NEW_ELEMENT_KEYS = frozenset(
    {"/Type", "/S", "/P", "/K", "/Pg", "/T", "/Lang", "/Alt", "/ActualText", "/E", "/A", "/C", "/R"}
)
_OBJR_KEYS = frozenset({"/Type", "/Obj", "/Pg"})
_NUMBER_TREE_KEYS = frozenset({"/Kids", "/Nums", "/Limits"})


def signed_widgets(
    old: HistoricalResolver, new: HistoricalResolver
) -> dict[generic.Reference, str]:
    """Widget annotations of the signature fields that ``new``'s revision adds or
    signs (new fields, and fields without a value in ``old`` that have one now).
    Maps each widget to its field's fully qualified name."""
    found: dict[generic.Reference, str] = {}
    acroform = deref(raw_or_none(new.root, "/AcroForm"))
    if not isinstance(acroform, generic.DictionaryObject):
        return found
    stack: list[tuple[generic.PdfObject, str, generic.PdfObject | None, int]] = [
        (item, "", None, 0) for item in items_of(raw_or_none(acroform, "/Fields"))
    ]
    seen: set[generic.Reference] = set()
    while stack:
        item, parent_name, inherited_type, depth = stack.pop()
        if not isinstance(item, generic.IndirectObject) or depth > _MAX_DEPTH:
            continue
        node = deref(item)
        if item.reference in seen or not isinstance(node, generic.DictionaryObject):
            continue
        seen.add(item.reference)
        partial = raw_or_none(node, "/T")
        if partial is None:
            continue  # a widget: its field, the parent, decides
        name = f"{parent_name}.{partial}" if parent_name else str(partial)
        field_type = raw_or_none(node, "/FT") or inherited_type
        kids = items_of(raw_or_none(node, "/Kids"))
        stack.extend((kid, name, field_type, depth + 1) for kid in kids)
        if not is_name(field_type, "/Sig") or not _signed_in(old, item.reference, node):
            continue
        widgets = [kid for kid in kids if "/T" not in _dict(deref(kid))] if kids else [item]
        for widget in widgets:
            if isinstance(widget, generic.IndirectObject):
                found[widget.reference] = name
    return found


def _dict(value: generic.PdfObject | None) -> generic.DictionaryObject:
    return value if isinstance(value, generic.DictionaryObject) else empty_dict()


def _signed_in(
    old: HistoricalResolver, ref: generic.Reference, node: generic.DictionaryObject
) -> bool:
    """A signature field new in the revision, or signed in it (no value before).
    A new empty field counts: tools add the field and its structure element in one
    update and sign in the next (iText, DSS-2821); structure elements draw nothing."""
    return is_new(old, ref) or ("/V" in node and "/V" not in _dict(old(ref)))


@dataclass
class _Comparison:
    """The state of one structure-tree comparison."""

    old: HistoricalResolver
    new: HistoricalResolver
    widgets: dict[generic.Reference, str]
    approved: set[generic.Reference] = field(default_factory=set)
    #: new elements, and the widget each one references directly
    new_elements: set[generic.Reference] = field(default_factory=set)
    element_of_widget: dict[generic.Reference, generic.Reference] = field(default_factory=dict)
    extended: bool = False


class StructureTreeRule(QualifiedWhitelistRule):
    """Accepts structure-tree updates that only add elements for the signature
    widgets of the revision (OBS-CERTIFY-THEN-SEAL), at
    :attr:`~pyhanko.sign.diff_analysis.ModificationLevel.FORM_FILLING` with the
    note :attr:`Accepted.STRUCTURE_TREE`; refuses every other change to the tree.

    The document catalog's ``/StructTreeRoot`` entry must be exempt from
    :class:`~pyhanko.sign.diff_analysis.CatalogModificationRule`'s comparison: this
    rule checks it.
    """

    def apply_qualified(
        self, old: HistoricalResolver, new: HistoricalResolver
    ) -> Iterable[tuple[ModificationLevel, ReferenceUpdate]]:
        """Compare the structure trees of ``old`` and ``new``."""
        old_raw = raw_or_none(old.root, "/StructTreeRoot")
        new_raw = raw_or_none(new.root, "/StructTreeRoot")
        if new_raw is None:
            if old_raw is not None:
                raise SuspiciousModification("The structure tree (/StructTreeRoot) was removed.")
            return
        changed = written_refs(new)
        old_root_ref = old_raw.reference if isinstance(old_raw, generic.IndirectObject) else None
        new_root_ref = new_raw.reference if isinstance(new_raw, generic.IndirectObject) else None
        elements = [ref for ref in changed if _old_element(old, ref, old_root_ref)]
        if old_raw == new_raw and new_root_ref not in changed and not elements:
            return  # cheap path: nothing of the tree was written

        state = _Comparison(old, new, signed_widgets(old, new))
        old_root = deref(old_raw) if old_raw is not None else empty_dict()
        new_root = deref(new_raw)
        if not isinstance(old_root, generic.DictionaryObject) or not isinstance(
            new_root, generic.DictionaryObject
        ):
            raise SuspiciousModification("/StructTreeRoot is not a dictionary")
        state.approved.update(approve_container(old, old_raw, new_raw, "/StructTreeRoot"))
        _compare_root(old_root, new_root)
        _compare_children(state, old_root, new_root, new_root_ref, "/StructTreeRoot")
        for ref in elements:
            old_element, new_element = old(ref), new(ref)
            if not isinstance(new_element, generic.DictionaryObject) or isinstance(
                new_element, generic.StreamObject
            ):
                raise SuspiciousModification(f"Structure element {ref} is no longer a dictionary")
            _compare_entries(
                old_element, new_element, frozenset({"/K"}), f"structure element {ref}"
            )
            _compare_children(state, old_element, new_element, ref, f"structure element {ref}")
            state.approved.add(ref)
        _compare_parent_trees(state, old_root, new_root)
        level = ModificationLevel.FORM_FILLING if state.extended else ModificationLevel.LTA_UPDATES
        note = Accepted.STRUCTURE_TREE if state.extended else None
        for ref in state.approved:
            yield level, NotedUpdate(ref, note=note)


def _old_element(
    old: HistoricalResolver, ref: generic.Reference, root_ref: generic.Reference | None
) -> bool:
    """Whether ``ref`` was an element of the signed structure tree: a dictionary whose
    ``/P`` chain, each parent listing the child in its ``/K``, reaches the root."""
    if root_ref is None or is_new(old, ref):
        return False
    current = ref
    for _ in range(_MAX_DEPTH):
        node = old(current)
        if not isinstance(node, generic.DictionaryObject) or raw_or_none(node, "/S") is None:
            return False
        parent = raw_or_none(node, "/P")
        if not isinstance(parent, generic.IndirectObject):
            return False
        parent_node = deref(parent)
        if not isinstance(parent_node, generic.DictionaryObject) or not any(
            isinstance(kid, generic.IndirectObject) and kid.reference == current
            for kid in items_of(raw_or_none(parent_node, "/K"))
        ):
            return False
        if parent.reference == root_ref:
            return True
        current = parent.reference
    return False


def _compare_entries(
    old: generic.PdfObject,
    new: generic.DictionaryObject,
    ignored: frozenset[str],
    what: str,
) -> None:
    if not isinstance(old, generic.DictionaryObject):
        raise SuspiciousModification(f"{what} was not a dictionary")
    for key in (set(old.keys()) | set(new.keys())) - ignored:
        if raw_or_none(old, key) != raw_or_none(new, key):
            raise SuspiciousModification(f"Entry {key} of {what} was changed")


def _compare_root(old_root: generic.DictionaryObject, new_root: generic.DictionaryObject) -> None:
    for key in (set(old_root.keys()) | set(new_root.keys())) - _ROOT_UPDATABLE:
        before, after = raw_or_none(old_root, key), raw_or_none(new_root, key)
        if before == after:
            continue
        if key in _ROOT_EMPTY_EQUIVALENT and _empty(before) and _empty(after):
            continue
        raise SuspiciousModification(f"Entry {key} of the structure tree root was changed")
    next_before = as_int(raw_or_none(old_root, "/ParentTreeNextKey"))
    next_raw = raw_or_none(new_root, "/ParentTreeNextKey")
    next_after = as_int(next_raw)
    if next_raw is not None and next_after is None:
        raise SuspiciousModification("/ParentTreeNextKey is not an integer")
    if next_before is not None and (next_after is None or next_after < next_before):
        raise SuspiciousModification("/ParentTreeNextKey went backwards")


def _empty(value: generic.PdfObject | None) -> bool:
    return value is None or (isinstance(value, generic.DictionaryObject) and not value)


def _compare_children(
    state: _Comparison,
    old_node: generic.DictionaryObject,
    new_node: generic.DictionaryObject,
    new_ref: generic.Reference | None,
    what: str,
) -> None:
    """The old ``/K`` items must stay, in order; inserted items must be new elements."""
    old_k, new_k = raw_or_none(old_node, "/K"), raw_or_none(new_node, "/K")
    state.approved.update(approve_container(state.old, old_k, new_k, f"/K of {what}"))
    old_items, new_items = items_of(old_k), items_of(new_k)
    if old_items == new_items:
        return
    position = 0
    for item in new_items:
        if position < len(old_items) and item == old_items[position]:
            position += 1
            continue
        if not isinstance(item, generic.IndirectObject) or not is_new(state.old, item.reference):
            raise SuspiciousModification(f"The children of {what} were changed, not only extended")
        if new_ref is None:
            raise SuspiciousModification(f"{what} gained children but cannot be their /P")
        before = len(state.element_of_widget)
        _new_element(state, item.reference, new_ref, 0)
        if len(state.element_of_widget) == before:
            raise SuspiciousModification(
                f"New structure element {item.reference} does not belong to a new signature"
            )
        state.extended = True
    if position != len(old_items):
        raise SuspiciousModification(f"Children of {what} were removed or reordered")


def _new_element(
    state: _Comparison, ref: generic.Reference, parent: generic.Reference, depth: int
) -> None:
    """Check a new element and its subtree: new elements and OBJRs to new widgets only."""
    if depth > _MAX_DEPTH or len(state.new_elements) >= _MAX_NEW_ELEMENTS:
        raise SuspiciousModification("The new structure elements nest too deeply")
    if ref in state.new_elements or not is_new(state.old, ref):
        raise SuspiciousModification(f"Structure element {ref} is reused")
    element = state.new(ref)
    if not isinstance(element, generic.DictionaryObject) or isinstance(
        element, generic.StreamObject
    ):
        raise SuspiciousModification(f"New structure element {ref} is not a dictionary")
    unexpected = set(element.keys()) - _NEW_ELEMENT_KEYS
    if unexpected:
        raise SuspiciousModification(f"New structure element {ref} has entries {unexpected}")
    element_type = raw_or_none(element, "/Type")
    if (element_type is not None and not is_name(element_type, "/StructElem")) or not isinstance(
        raw_or_none(element, "/S"), generic.NameObject
    ):
        raise SuspiciousModification(f"{ref} is not a structure element")
    own_parent = raw_or_none(element, "/P")
    if not isinstance(own_parent, generic.IndirectObject) or own_parent.reference != parent:
        raise SuspiciousModification(f"New structure element {ref} has a wrong /P")
    _check_page(element, ref)
    state.new_elements.add(ref)
    state.approved.add(ref)
    for key in ("/A", "/C"):
        value = raw_or_none(element, key)
        if value is not None:
            state.approved.update(state.new.collect_dependencies(value, state.old.revision + 1))
    kids = raw_or_none(element, "/K")
    state.approved.update(approve_container(state.old, None, kids, f"/K of {ref}"))
    for kid in items_of(kids):
        target = deref(kid)
        if isinstance(target, generic.DictionaryObject) and is_name(
            raw_or_none(target, "/Type"), "/OBJR"
        ):
            _object_reference(state, kid, target, ref)
        elif isinstance(kid, generic.IndirectObject) and isinstance(
            target, generic.DictionaryObject
        ):
            _new_element(state, kid.reference, ref, depth + 1)
        else:
            # an MCID or a marked-content reference would claim existing page content
            raise SuspiciousModification(
                f"New structure element {ref} refers to page content, not only to widgets"
            )


def _object_reference(
    state: _Comparison,
    kid: generic.PdfObject,
    objr: generic.DictionaryObject,
    element: generic.Reference,
) -> None:
    if isinstance(kid, generic.IndirectObject):
        if not is_new(state.old, kid.reference):
            raise SuspiciousModification(f"Object reference {kid.reference} is reused")
        state.approved.add(kid.reference)
    if set(objr.keys()) - _OBJR_KEYS:
        raise SuspiciousModification(f"Object reference in {element} has unexpected entries")
    target = raw_or_none(objr, "/Obj")
    if not isinstance(target, generic.IndirectObject) or target.reference not in state.widgets:
        raise SuspiciousModification(
            f"New structure element {element} refers to an object other than a new signature widget"
        )
    _check_page(objr, element)
    state.element_of_widget[target.reference] = element


def _check_page(holder: generic.DictionaryObject, where: generic.Reference) -> None:
    page = raw_or_none(holder, "/Pg")
    if page is None:
        return
    target = deref(page)
    if not isinstance(page, generic.IndirectObject) or not (
        isinstance(target, generic.DictionaryObject)
        and is_name(raw_or_none(target, "/Type"), "/Page")
    ):
        raise SuspiciousModification(f"/Pg of {where} is not a page")


def _compare_parent_trees(
    state: _Comparison, old_root: generic.DictionaryObject, new_root: generic.DictionaryObject
) -> None:
    """Old entries stay; new entries only for the widgets' ``/StructParent`` keys."""
    old_raw, new_raw = raw_or_none(old_root, "/ParentTree"), raw_or_none(new_root, "/ParentTree")
    if new_raw is None:
        if old_raw is not None:
            raise SuspiciousModification("The structure parent tree was removed")
        return
    old_entries = _number_tree(old_raw, None) if old_raw is not None else {}
    new_nodes: set[generic.Reference] = set()
    new_entries = _number_tree(new_raw, new_nodes)
    for key, before in old_entries.items():
        after = new_entries.get(key)
        if after is None or not _same_parent_entry(state, before, after):
            raise SuspiciousModification(f"Entry {key} of the structure parent tree was changed")
    structure_parents = {
        _struct_parent(state.new, widget): element
        for widget, element in state.element_of_widget.items()
    }
    for key in new_entries.keys() - old_entries.keys():
        value = new_entries[key]
        element = structure_parents.get(key)
        if not isinstance(value, generic.IndirectObject) or value.reference != element:
            raise SuspiciousModification(
                f"Entry {key} of the structure parent tree was added for something other "
                "than a new signature widget"
            )
    # the tree's nodes were compared entry by entry above: their objects may be updated
    state.approved.update(new_nodes)


def _struct_parent(resolver: HistoricalResolver, widget: generic.Reference) -> int | None:
    annotation = resolver(widget)
    if isinstance(annotation, generic.DictionaryObject):
        return as_int(raw_or_none(annotation, "/StructParent"))
    return None


def _same_parent_entry(
    state: _Comparison, before: generic.PdfObject, after: generic.PdfObject
) -> bool:
    """The same element, or an array of the same elements: kept, overwritten with
    the same items, or copied into a new object (iText rebuilds the whole tree)."""
    old_target, new_target = deref(before), deref(after)
    if not isinstance(old_target, generic.ArrayObject):
        return before == after
    if not isinstance(new_target, generic.ArrayObject) or list(old_target) != list(new_target):
        return False
    if isinstance(after, generic.IndirectObject):
        same = isinstance(before, generic.IndirectObject) and before.reference == after.reference
        if not same and not is_new(state.old, after.reference):
            return False
        state.approved.add(after.reference)
    return True


def parent_tree_keys(resolver: HistoricalResolver) -> set[int]:
    """The keys of the structure parent tree of ``resolver``'s revision."""
    root = deref(raw_or_none(resolver.root, "/StructTreeRoot"))
    if not isinstance(root, generic.DictionaryObject):
        return set()
    tree = raw_or_none(root, "/ParentTree")
    return set(_number_tree(tree, None)) if tree is not None else set()


def _number_tree(
    tree: generic.PdfObject, nodes: set[generic.Reference] | None
) -> dict[int, generic.PdfObject]:
    """The entries of a number tree (ISO 32000-2 §7.9.7), values not dereferenced;
    with ``nodes``, also collect the references of its node objects."""
    entries: dict[int, generic.PdfObject] = {}
    stack: list[tuple[generic.PdfObject, int]] = [(tree, 0)]
    seen: set[generic.Reference] = set()
    while stack:
        raw, depth = stack.pop()
        if isinstance(raw, generic.IndirectObject):
            if raw.reference in seen:
                raise SuspiciousModification("The structure parent tree has a cycle")
            seen.add(raw.reference)
            if nodes is not None:
                nodes.add(raw.reference)
        node = deref(raw)
        if depth > _MAX_DEPTH or not isinstance(node, generic.DictionaryObject):
            raise SuspiciousModification("The structure parent tree is malformed")
        if nodes is not None and set(node.keys()) - _NUMBER_TREE_KEYS:
            raise SuspiciousModification("A structure parent tree node has unexpected entries")
        if nodes is not None:
            # arrays held indirectly are parts of the node, compared with it
            nodes.update(
                value.reference
                for value in (raw_or_none(node, "/Nums"), raw_or_none(node, "/Kids"))
                if isinstance(value, generic.IndirectObject)
            )
        nums = deref(raw_or_none(node, "/Nums"))
        if isinstance(nums, generic.ArrayObject):
            if len(nums) % 2 or len(entries) + len(nums) // 2 > _MAX_TREE_ENTRIES:
                raise SuspiciousModification("The structure parent tree is malformed")
            pairs = list(nums)  # raw items: indexing an ArrayObject dereferences
            for index in range(0, len(pairs), 2):
                key = as_int(pairs[index])
                if key is None or key in entries:
                    raise SuspiciousModification("The structure parent tree has bad keys")
                entries[key] = pairs[index + 1]
        kids = deref(raw_or_none(node, "/Kids"))
        if isinstance(kids, generic.ArrayObject):
            stack.extend((kid, depth + 1) for kid in kids)
    return entries
