"""vnsign's difference-analysis policy: pyHanko's ``StandardDiffPolicy`` with the
rules of this package, reporting which non-generic changes it accepted."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import HistoricalResolver, PdfFileReader, RawPdfPath
from pyhanko.sign.diff_analysis import (
    CatalogModificationRule,
    DiffPolicy,
    DiffResult,
    DocInfoRule,
    FormUpdate,
    FormUpdatingRule,
    GenericFieldModificationRule,
    MetadataUpdateRule,
    ModificationLevel,
    ObjectStreamRule,
    QualifiedWhitelistRule,
    ReferenceUpdate,
    SigFieldCreationRule,
    SigFieldModificationRule,
    StandardDiffPolicy,
    SuspiciousModification,
    XrefStreamRule,
)
from pyhanko.sign.diff_analysis.constants import ROOT_EXEMPT_STRICT_COMPARISON
from pyhanko.sign.diff_analysis.rules_api import Context
from pyhanko.sign.fields import FieldMDPSpec, MDPPerm

from vnsign.verify.adapters.pdf_diff._common import (
    Accepted,
    NotedFormUpdate,
    NotedUpdate,
    deref,
    is_name,
    raw_or_none,
    written_refs,
)
from vnsign.verify.adapters.pdf_diff._files import (
    DssRule,
    FreedUnusedNumbersRule,
    OrphanRule,
    freed_in_use,
    stale_trailer_references,
)
from vnsign.verify.adapters.pdf_diff._forms import SignatureWidgetBindingRule, WidgetKidFillRule
from vnsign.verify.adapters.pdf_diff._structure import StructureTreeRule

__all__ = ["VN_DIFF_POLICY", "VnDiffPolicy", "VnDiffResult"]

_Stale = dict[generic.Reference, RawPdfPath]
_METADATA_RULE = MetadataUpdateRule()  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class VnDiffResult(DiffResult):
    """pyHanko's :class:`~pyhanko.sign.diff_analysis.DiffResult` plus the changes
    accepted for a reason pyHanko's generic policy does not know."""

    accepted: frozenset[Accepted] = frozenset()


class VnDiffPolicy(DiffPolicy):
    """What may change in the revisions after a signature, for Vietnamese documents.

    pyHanko's default rules, with these differences:

    * the tagged-PDF structure tree may gain elements for the signature widgets added
      in the revision (:class:`StructureTreeRule`, OBS-CERTIFY-THEN-SEAL), and pages
      the ``/Tabs``/``/StructParents`` that go with them;
    * a new visible signature field is allowed after a certification that permits
      signing (DocMDP P=2, 3) when it is signed in the same revision, as ISO 32000-2
      §12.8.2.2 and Acrobat allow (a new empty visible field stays refused: its
      appearance would be nobody's);
    * a field's widget kids may get their filled-in appearance;
    * VRI entries of the DSS may be rewritten, object numbers that held nothing may
      be freed, dangling references count as ``null``, and a stale LibreOffice
      ``/AdditionalStreams`` trailer reference does not pin its object number.

    Stateless and safe to share between threads; each :meth:`apply` builds its own
    pyHanko policy around the shared rules.
    """

    def __init__(self) -> None:
        self._global_rules: list[QualifiedWhitelistRule] = [
            CatalogModificationRule(  # type: ignore[no-untyped-call]
                ignored_keys=ROOT_EXEMPT_STRICT_COMPARISON | {"/StructTreeRoot"}
            ),
            StructureTreeRule(),
            DocInfoRule().as_qualified(ModificationLevel.LTA_UPDATES),
            XrefStreamRule().as_qualified(ModificationLevel.LTA_UPDATES),
            ObjectStreamRule().as_qualified(ModificationLevel.LTA_UPDATES),
            DssRule().as_qualified(ModificationLevel.LTA_UPDATES),
            _METADATA_RULE.as_qualified(ModificationLevel.LTA_UPDATES),
            OrphanRule().as_qualified(ModificationLevel.LTA_UPDATES),
            FreedUnusedNumbersRule().as_qualified(ModificationLevel.LTA_UPDATES),
        ]
        self._form_rule = FormUpdatingRule(
            field_rules=[
                # new visible fields after a certification: see _NotingForm
                SigFieldCreationRule(approve_widget_bindings=False),  # type: ignore[no-untyped-call]
                SignatureWidgetBindingRule(),
                SigFieldModificationRule(),
                GenericFieldModificationRule(),
                WidgetKidFillRule(),
            ]
        )

    def apply(
        self,
        old: HistoricalResolver,
        new: HistoricalResolver,
        field_mdp_spec: FieldMDPSpec | None = None,
        doc_mdp: MDPPerm | None = None,
    ) -> VnDiffResult:
        """Judge the changes from ``old`` (the signed revision) to ``new``; raises
        :class:`~pyhanko.sign.diff_analysis.SuspiciousModification` when one is not
        explained."""
        in_use = freed_in_use(old, new)
        if in_use:
            raise SuspiciousModification(
                f"The refs {in_use} were freed in the revision provided. "
                "The configured difference analysis policy does not allow object freeing."
            )
        accepted: set[Accepted] = set()
        stale = stale_trailer_references(old, new)
        policy = StandardDiffPolicy(
            global_rules=[_Noting(rule, old, stale, accepted) for rule in self._global_rules],
            form_rule=_NotingForm(self._form_rule, old, stale, accepted),
            # vetted above and by FreedUnusedNumbersRule
            reject_object_freeing=False,
            # OrphanRule instead: pyHanko's orphan search fails on dangling references
            ignore_orphaned_objects=False,
        )
        result = policy.apply(old, new, field_mdp_spec=field_mdp_spec, doc_mdp=doc_mdp)
        return VnDiffResult(
            result.modification_level, result.changed_form_fields, frozenset(accepted)
        )

    def review_file(
        self,
        reader: PdfFileReader,
        base_revision: int | HistoricalResolver,
        field_mdp_spec: FieldMDPSpec | None = None,
        doc_mdp: MDPPerm | None = None,
    ) -> VnDiffResult | SuspiciousModification:
        """Judge every revision after ``base_revision`` against it, one at a time (a
        change undone later must still be explained), as pyHanko does."""
        if isinstance(base_revision, int):
            base = reader.get_historical_resolver(base_revision)
        else:
            base = base_revision
        level = ModificationLevel.NONE
        fields: set[str] = set()
        accepted: set[Accepted] = set()
        for revision in range(base.revision + 1, reader.xrefs.total_revisions):
            try:
                result = self.apply(
                    base,
                    reader.get_historical_resolver(revision),
                    field_mdp_spec=field_mdp_spec,
                    doc_mdp=doc_mdp,
                )
            except SuspiciousModification as exc:
                return exc
            level = max(level, result.modification_level)
            fields |= result.changed_form_fields
            accepted |= result.accepted
        return VnDiffResult(level, fields, frozenset(accepted))


def _clearing(
    update: ReferenceUpdate,
    old: HistoricalResolver,
    stale: _Stale,
    accepted: set[Accepted],
    form: bool,
    written: set[generic.Reference],
) -> Iterator[ReferenceUpdate]:
    """Record ``update``'s note; when another rule approved an object whose number the
    signed trailer named in a dangling ``/AdditionalStreams`` entry, also clear that
    use, which pyHanko would otherwise require an explanation for."""
    if isinstance(update, NotedUpdate | NotedFormUpdate) and update.note is not None:
        accepted.add(update.note)
    path = stale.get(update.updated_ref)
    if path is None or update.updated_ref not in written:
        return
    context = Context.from_absolute(old, path)
    note = Accepted.STALE_TRAILER_REFERENCE
    accepted.add(note)
    if form:
        yield NotedFormUpdate(update.updated_ref, context_checked=context, note=note)
    else:
        yield NotedUpdate(update.updated_ref, context_checked=context, note=note)


def _holds_signature(new: HistoricalResolver, ref: generic.Reference) -> bool:
    """Whether ``ref`` is a signature field whose value is a signature dictionary."""
    field = new(ref)
    if not isinstance(field, generic.DictionaryObject) or not is_name(
        raw_or_none(field, "/FT"), "/Sig"
    ):
        return False
    value = deref(raw_or_none(field, "/V"))
    return isinstance(value, generic.DictionaryObject) and is_name(
        raw_or_none(value, "/Type"), "/Sig", "/DocTimeStamp"
    )


class _Noting(QualifiedWhitelistRule):
    """A global rule whose notes are collected for one :meth:`VnDiffPolicy.apply`."""

    def __init__(
        self,
        rule: QualifiedWhitelistRule,
        old: HistoricalResolver,
        stale: _Stale,
        accepted: set[Accepted],
    ) -> None:
        self._rule, self._old, self._stale, self._accepted = rule, old, stale, accepted

    def apply_qualified(
        self, old: HistoricalResolver, new: HistoricalResolver
    ) -> Iterable[tuple[ModificationLevel, ReferenceUpdate]]:
        """The wrapped rule's updates, and the stale trailer uses they clear."""
        written = written_refs(new)
        for level, update in self._rule.apply_qualified(old, new):
            yield level, update
            for extra in _clearing(
                update, self._old, self._stale, self._accepted, form=False, written=written
            ):
                yield level, extra


class _NotingForm(FormUpdatingRule):
    """The form rule, its notes collected for one :meth:`VnDiffPolicy.apply`."""

    def __init__(
        self,
        rule: FormUpdatingRule,
        old: HistoricalResolver,
        stale: _Stale,
        accepted: set[Accepted],
    ) -> None:
        super().__init__(rule.field_rules, rule.ignored_acroform_keys)
        self._rule, self._old, self._stale, self._accepted = rule, old, stale, accepted

    def apply(
        self, old: HistoricalResolver, new: HistoricalResolver
    ) -> Iterable[tuple[ModificationLevel, FormUpdate]]:
        """The form rule's updates, and the stale trailer uses they clear.

        Two corrections to pyHanko's form updates. A field counts as changed (and, if
        locked, as a violation) for every update its rules return, even of objects
        the revision did not write, such as an unchanged indirect ``/AP``: an
        unwritten object cannot change a field. A new visible signature field is
        refused after a certification: allowed here when the field is signed in the
        same revision, which is signing (P=2, 3), not drawing on a certified page."""
        written = written_refs(new)
        for level, update in self._rule.apply(old, new):
            if update.updated_ref not in written and not update.valid_when_locked:
                update = dataclasses.replace(update, valid_when_locked=True)
            if not update.valid_when_certifying and _holds_signature(new, update.updated_ref):
                update = dataclasses.replace(update, valid_when_certifying=True)
            yield level, update
            for extra in _clearing(
                update, self._old, self._stale, self._accepted, form=True, written=written
            ):
                assert isinstance(extra, FormUpdate)
                yield level, extra


VN_DIFF_POLICY = VnDiffPolicy()
"""The policy :func:`vnsign.verify.adapters.pdf.pdf_facts` uses."""
