"""The signature field and its widget: created (or found), and given the
appearance vnsign drew, before pyHanko fills in the signature."""

from __future__ import annotations

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.form_tools import get_single_field_annot
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import (
    FieldMDPAction,
    FieldMDPSpec,
    SigFieldSpec,
    apply_sig_field_spec_properties,
    ensure_sig_flags,
    enumerate_sig_fields,
    prepare_sig_field,
)

from vnsign.errors import SigningError
from vnsign.formats.pdf._objects import array, dictionary, number, real, stream
from vnsign.formats.pdf._objects import name as name_
from vnsign.formats.pdf.appearance import AppearancePlan
from vnsign.formats.pdf.geometry import MM
from vnsign.formats.pdf.options import FieldLock, LockAction
from vnsign.formats.pdf.placement import ResolvedPlacement

__all__ = ["add_field", "find_field", "reserve_seal_field", "set_appearance"]

_ACTIONS = {
    LockAction.ALL: FieldMDPAction.ALL,
    LockAction.INCLUDE: FieldMDPAction.INCLUDE,
    LockAction.EXCLUDE: FieldMDPAction.EXCLUDE,
}


def add_field(
    writer: IncrementalPdfFileWriter,
    name: str,
    placement: ResolvedPlacement | None,
    *,
    lock: FieldLock | None,
    tooltip: str | None,
) -> generic.DictionaryObject:
    """A new, empty signature field; visible when ``placement`` is given."""
    spec = SigFieldSpec(
        sig_field_name=name,
        on_page=placement.geometry.index if placement else 0,
        box=placement.rect if placement else None,  # type: ignore[arg-type]
        field_mdp_spec=(
            FieldMDPSpec(_ACTIONS[lock.action], list(lock.fields) or None) if lock else None
        ),
        readable_field_name=tooltip,
    )
    page_ref = writer.find_page_for_modification(spec.on_page)[0]  # type: ignore[no-untyped-call]
    created, ref = prepare_sig_field(
        name,
        writer.root,
        update_writer=writer,
        existing_fields_only=False,
        box=spec.box,
        include_on_page=page_ref,
        combine_annotation=True,
        invis_settings=spec.invis_sig_settings,
        visible_settings=spec.visible_sig_settings,
    )
    if not created:
        raise SigningError(f"a signature field {name!r} already exists")
    ensure_sig_flags(writer=writer, lock_sig_flags=False)
    field = ref.get_object()
    assert isinstance(field, generic.DictionaryObject)
    apply_sig_field_spec_properties(writer, sig_field=field, sig_field_spec=spec)
    return field


def reserve_seal_field(
    writer: IncrementalPdfFileWriter,
    name: str,
    person: ResolvedPlacement,
    diameter_mm: float,
) -> None:
    """An empty signature field for the agency seal, over the left third of the
    person's signature being made (ND30-SIG-ORG-IMG), so that a certified
    document can still be sealed without adding a field."""
    geometry = person.geometry
    x1, y1, x2, y2 = geometry.rect_to_display(person.rect)
    size = diameter_mm * MM
    right, middle = x1 + (x2 - x1) / 3, (y1 + y2) / 2
    shown = (right - size, middle - size / 2, right, middle + size / 2)
    seal = ResolvedPlacement(geometry, geometry.rect_to_user(shown), (size, size), None)
    field = add_field(writer, name, seal, lock=None, tooltip="Con dấu của cơ quan")
    blank = stream(
        {
            "/Type": name_("/XObject"),
            "/Subtype": name_("/Form"),
            "/BBox": array(real(v) for v in (0, 0, size, size)),
        },
        data=b"",
    )
    get_single_field_annot(field)[name_("/AP")] = dictionary({"/N": writer.add_object(blank)})


def find_field(writer: IncrementalPdfFileWriter, name: str) -> generic.DictionaryObject:
    """The empty signature field ``name``."""
    for _, value, ref in enumerate_sig_fields(writer, with_name=name):
        if value is not None:
            raise SigningError(f"the signature field {name!r} is already signed")
        field = ref.get_object()
        assert isinstance(field, generic.DictionaryObject)
        return field
    raise SigningError(f"there is no signature field {name!r}")


def set_appearance(
    writer: IncrementalPdfFileWriter,
    field: generic.DictionaryObject,
    plan: AppearancePlan,
    placement: ResolvedPlacement,
) -> None:
    """Give the field's widget ``plan`` as its normal appearance."""
    annot = get_single_field_annot(field)
    matrix = placement.geometry.appearance_matrix
    appearance = plan.embed(writer, frame=placement.frame, matrix=matrix)
    annot[name_("/AP")] = dictionary({"/N": appearance})
    if placement.geometry.rotate:
        mk = annot.get("/MK", dictionary())
        mk[name_("/R")] = number(placement.geometry.rotate)
        annot[name_("/MK")] = mk
    ref = annot.container_ref
    if isinstance(ref, generic.Reference | generic.IndirectObject):
        writer.mark_update(ref)
