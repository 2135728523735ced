"""File-structure and validation-data rules: what pyHanko's generic rules get wrong
on real PAdES files that change nothing of the signed content.

* :class:`OrphanRule`: pyHanko's orphan search (new objects nothing points to)
  raises ``KeyError`` on a reference to an object that was never written; such a
  reference is ``null`` (ISO 32000-2 §7.3.10) and LibreOffice's hybrid PDFs carry
  one in every trailer.
* :class:`FreedUnusedNumbersRule`: iTextSharp marks the number of the new xref
  stream as free in its own section; freeing a number that held nothing removes
  nothing.
* :class:`DssRule`: pyHanko's DSS rule, except that a VRI entry may be rewritten
  with other validation data or dropped (eu-dss does so when it extends a
  signature to LT or rebuilds the DSS for a later signature).
* :func:`stale_trailer_references`: the signed revision's trailer
  ``/AdditionalStreams`` may name an object number that did not exist then and
  that a later revision uses for something else.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import HistoricalResolver, RawPdfPath
from pyhanko.sign.diff_analysis import (
    ReferenceUpdate,
    SuspiciousModification,
    WhitelistRule,
)
from pyhanko.sign.diff_analysis.constants import VRI_KEY_PATTERN
from pyhanko.sign.diff_analysis.rules_api import Context

from vnsign.verify.adapters.pdf_diff._common import (
    Accepted,
    NotedUpdate,
    approve_container,
    deref,
    empty_dict,
    freed_refs,
    is_new,
    raw_or_none,
    written_refs,
)

__all__ = [
    "DssRule",
    "FreedUnusedNumbersRule",
    "OrphanRule",
    "freed_in_use",
    "stale_trailer_references",
]

_DSS_STREAM_KEYS = ("/Certs", "/CRLs", "/OCSPs")
_DSS_KEYS = frozenset({"/Type", "/VRI", *_DSS_STREAM_KEYS})
_VRI_STREAM_KEYS = ("/Cert", "/CRL", "/OCSP")
_VRI_KEYS = frozenset({"/Type", "/TU", "/TS", *_VRI_STREAM_KEYS})


class OrphanRule(WhitelistRule):
    """New objects of the revision that nothing reaches: harmless, since no reader
    sees them. pyHanko's ``ignore_orphaned_objects``, with three differences: a
    reference to an object that was never written counts as ``null`` instead of an
    error; an object number that held nothing in the previous revision counts as new
    even below that revision's ``/Size`` (iText reuses the number of the previous
    xref stream); and an orphan never explains a number the signed revision refers
    to, which only a rule that checks that use may clear."""

    def apply(self, old: HistoricalResolver, new: HistoricalResolver) -> Iterable[ReferenceUpdate]:
        """The orphans of ``new``'s revision."""
        written = written_refs(new)
        xrefs = new.reader.xrefs
        candidates = {
            ref for ref in written if xrefs.get_historical_ref(ref, new.revision - 1) is None
        }
        if not candidates:
            return
        roots: list[generic.PdfObject] = [new.trailer_view]
        roots.extend(new(ref) for ref in written - candidates)
        reached = _new_references(new, roots, since_revision=new.revision, wanted=candidates)
        # a path-level approval of no real path: any use in the signed revision stays
        nowhere = Context.from_absolute(old, RawPdfPath())
        for ref in candidates - reached:
            yield ReferenceUpdate(ref, context_checked=nowhere)


def _new_references(
    resolver: HistoricalResolver,
    roots: list[generic.PdfObject],
    since_revision: int,
    wanted: set[generic.Reference],
) -> set[generic.Reference]:
    """References introduced at or after ``since_revision`` reachable from ``roots``
    (pyHanko's ``collect_dependencies``, without failing on dangling references);
    stops once all of ``wanted`` are found."""
    xrefs = resolver.reader.xrefs
    found: set[generic.Reference] = set()
    missing = len(wanted)
    stack = list(roots)
    while stack and missing:
        obj = stack.pop()
        if isinstance(obj, generic.IndirectObject):
            ref = obj.reference
            if ref in found:
                continue
            try:
                introduced = xrefs.get_introducing_revision(ref)
            except KeyError:
                continue  # never written: null
            if introduced < since_revision:
                continue  # older objects cannot lead to newer ones without being updated
            found.add(ref)
            missing -= ref in wanted
            obj = resolver(ref)
        if isinstance(obj, generic.DictionaryObject):
            stack.extend(obj.values())
        elif isinstance(obj, generic.ArrayObject):
            stack.extend(obj)
    return found


def freed_in_use(old: HistoricalResolver, new: HistoricalResolver) -> set[generic.Reference]:
    """Object numbers ``new``'s revision frees that could hold an object before it."""
    freed: set[generic.Reference] = freed_refs(new)
    if not freed:
        return set()
    previous = new.reader.get_historical_resolver(new.revision - 1)
    return {ref for ref in freed if not (is_new(old, ref) and previous.is_ref_unassignable(ref))}


class FreedUnusedNumbersRule(WhitelistRule):
    """Freeing entries for numbers beyond every earlier revision: nothing is removed.
    (The policy refuses any other freeing before the rules run.)"""

    def apply(self, old: HistoricalResolver, new: HistoricalResolver) -> Iterable[ReferenceUpdate]:
        """The freed numbers of ``new``'s revision that held nothing."""
        for ref in freed_refs(new):
            yield NotedUpdate(ref, note=Accepted.UNUSED_NUMBERS_FREED)


def stale_trailer_references(
    old: HistoricalResolver, new: HistoricalResolver
) -> dict[generic.Reference, RawPdfPath]:
    """References in the signed trailer's ``/AdditionalStreams`` (LibreOffice's
    embedded source document) that resolved to nothing when signed and that the
    current trailer no longer holds at the same place. A reader of the signed
    revision saw ``null`` there and still does; whatever object now has that number
    is judged by the other rules, reached from where it really is used."""
    found: dict[generic.Reference, RawPdfPath] = {}
    before = deref(raw_or_none(old.trailer_view, "/AdditionalStreams"))
    if not isinstance(before, generic.ArrayObject):
        return found
    after = deref(raw_or_none(new.trailer_view, "/AdditionalStreams"))
    now = list(after) if isinstance(after, generic.ArrayObject) else []
    xrefs = old.reader.xrefs
    for index, item in enumerate(before):
        if not isinstance(item, generic.IndirectObject):
            continue
        if xrefs.get_historical_ref(item.reference, old.revision) is not None:
            continue  # a real object when signed
        if index < len(now) and now[index] == item:
            continue
        found[item.reference] = RawPdfPath("/AdditionalStreams", index)
    return found


class DssRule(WhitelistRule):
    """Changes to the document security store (PAdES-LT): pyHanko's
    ``DSSCompareRule``, with VRI entries that may also be rewritten or dropped, not
    only added (noted :attr:`Accepted.VRI_REWRITTEN`). Every entry must still hold
    only references to DER streams; ``/DSS`` and ``/VRI`` themselves must stay."""

    def apply(self, old: HistoricalResolver, new: HistoricalResolver) -> Iterable[ReferenceUpdate]:
        """Vet the DSS of ``new`` against that of ``old``."""
        context = Context.from_absolute(old, RawPdfPath("/Root", "/DSS"))
        old_raw, new_raw = raw_or_none(old.root, "/DSS"), raw_or_none(new.root, "/DSS")
        if new_raw is None:
            if old_raw is not None:
                raise SuspiciousModification("Key /DSS was deleted from dictionary")
            return
        holder = new.root_ref
        for ref in approve_container(old, old_raw, new_raw, "/DSS"):
            holder = ref
            yield ReferenceUpdate(ref, context_checked=context)
        old_dss = deref(old_raw) if old_raw is not None else empty_dict()
        new_dss = deref(new_raw)
        if not isinstance(old_dss, generic.DictionaryObject) or not isinstance(
            new_dss, generic.DictionaryObject
        ):
            raise SuspiciousModification("/DSS is not a dictionary")
        if set(new_dss.keys()) - _DSS_KEYS:
            raise SuspiciousModification(
                f"Unexpected keys in DSS: {set(new_dss.keys()) - _DSS_KEYS}."
            )
        for key in _DSS_STREAM_KEYS:
            yield from _stream_array(old, new, old_dss, new_dss, key, context.descend(key))
        yield from self._vri(old, new, old_dss, new_dss, holder)

    @staticmethod
    def _vri(
        old: HistoricalResolver,
        new: HistoricalResolver,
        old_dss: generic.DictionaryObject,
        new_dss: generic.DictionaryObject,
        holder: generic.Reference,
    ) -> Iterator[ReferenceUpdate]:
        context = Context.from_absolute(old, RawPdfPath("/Root", "/DSS", "/VRI"))
        old_raw, new_raw = raw_or_none(old_dss, "/VRI"), raw_or_none(new_dss, "/VRI")
        if new_raw is None:
            if old_raw is not None:
                raise SuspiciousModification("Key /VRI was deleted from dictionary")
            return
        for ref in approve_container(old, old_raw, new_raw, "/VRI"):
            holder = ref
            yield ReferenceUpdate(ref, context_checked=context)
        old_vri = deref(old_raw) if old_raw is not None else empty_dict()
        new_vri = deref(new_raw)
        if not isinstance(old_vri, generic.DictionaryObject) or not isinstance(
            new_vri, generic.DictionaryObject
        ):
            raise SuspiciousModification("/VRI is not a dictionary")
        if old_vri.keys() - new_vri.keys():
            # an index of validation data only: dropping one loses data, changes nothing signed
            yield NotedUpdate(holder, note=Accepted.VRI_REWRITTEN)
        for key in new_vri:
            before = raw_or_none(old_vri, key)
            after = new_vri.raw_get(key)
            if (
                before is not None
                and before == after
                and not (
                    isinstance(after, generic.IndirectObject)
                    and after.reference in written_refs(new)
                )
            ):
                continue
            if not VRI_KEY_PATTERN.match(key):  # as pyHanko: SHA-1 hex, longer tolerated
                raise SuspiciousModification(f"VRI key {key} is not formatted correctly.")
            entry_holder = holder
            for ref in approve_container(old, before, after, f"VRI entry {key}"):
                entry_holder = ref
                yield ReferenceUpdate(ref)
            entry = deref(after)
            if not isinstance(entry, generic.DictionaryObject) or isinstance(
                entry, generic.StreamObject
            ):
                raise SuspiciousModification("VRI entries should be dictionaries")
            if set(entry.keys()) - _VRI_KEYS:
                raise SuspiciousModification(
                    f"Unexpected keys in VRI dictionary: {set(entry.keys()) - _VRI_KEYS}."
                )
            old_entry = deref(before) if before is not None else None
            if not isinstance(old_entry, generic.DictionaryObject):
                old_entry = empty_dict()
            entry_context = context.descend(key)
            for stream_key in _VRI_STREAM_KEYS:
                yield from _stream_array(
                    old, new, old_entry, entry, stream_key, entry_context.descend(stream_key)
                )
            timestamp = raw_or_none(entry, "/TS")
            if timestamp is not None:
                if not isinstance(timestamp, generic.IndirectObject) or not isinstance(
                    deref(timestamp), generic.StreamObject
                ):
                    raise SuspiciousModification("/TS in a VRI entry should be a stream")
                if is_new(old, timestamp.reference):
                    yield ReferenceUpdate(timestamp.reference)
            if before is not None:
                yield NotedUpdate(entry_holder, note=Accepted.VRI_REWRITTEN)


def _stream_array(
    old: HistoricalResolver,
    new: HistoricalResolver,
    old_holder: generic.DictionaryObject,
    new_holder: generic.DictionaryObject,
    key: str,
    context: Context,
) -> Iterator[ReferenceUpdate]:
    """An array of references to DER streams; its new streams are approved."""
    value = raw_or_none(new_holder, key)
    if value is None:
        return
    array = deref(value)
    if not isinstance(array, generic.ArrayObject) or not all(
        isinstance(item, generic.IndirectObject) and isinstance(deref(item), generic.StreamObject)
        for item in array
    ):
        raise SuspiciousModification(f"Expected {key} to be an array of stream references.")
    for ref in approve_container(old, raw_or_none(old_holder, key), value, key):
        yield ReferenceUpdate(ref, context_checked=context)
    for ref in new.collect_dependencies(value, since_revision=old.revision + 1):
        yield ReferenceUpdate(ref, context_checked=context)
