"""Builds the Decree 30 workflow of OBS-CERTIFY-THEN-SEAL as real PDFs, with pyHanko:
a tagged PDF (structure tree with a parent tree), a leader's certification
(DocMDP P=2), then an organisation seal in an incremental update that also adds a
StructElem for its widget, a ParentTree entry and a larger ParentTreeNextKey, the
way Vietnamese signing tools do. Variants tamper with the same update.
"""

from __future__ import annotations

import enum
from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm, SigFieldSpec, append_signature_field

from vnsign.pki.credentials import KeyCredential
from vnsign.pki.signer import CredentialSigner
from vnsign.testing import TestIdentity

PAGE_TEXT = b"/P <</MCID 0>> BDC BT /F1 14 Tf 72 760 Td (QUYET DINH so 123/QD-STP) Tj ET EMC"
FORGED_TEXT = b"/P <</MCID 0>> BDC BT /F1 14 Tf 72 760 Td (QUYET DINH so 999/QD-STP) Tj ET EMC"


class Tamper(enum.Enum):
    """What a variant of the seal's update changes besides the legitimate objects."""

    CONTENT_STREAM = "the page content stream is overwritten"
    NEW_CONTENT_STREAM = "the page gets another content stream"
    TEXT_ANNOTATION = "a sticky note (non-widget annotation) is added to the page"
    STRUCT_ELEM_REWRITE = "the existing paragraph element gets a new /ActualText"
    STRUCT_CLAIMS_CONTENT = "the new element claims the page's marked content (MCID 0)"
    PARENT_TREE_REMAP = "the parent tree maps the page's marked content to the new element"


def credential(identity: TestIdentity) -> KeyCredential:
    return KeyCredential(identity.private_key, identity.certificate, identity.chain)


def tagged_pdf() -> bytes:
    """A one-page tagged PDF: Document > P (MCID 0 on the page), parent tree key 0."""
    writer = PdfFileWriter()
    font = writer.add_object(
        generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Font"),
                pdf_name("/Subtype"): pdf_name("/Type1"),
                pdf_name("/BaseFont"): pdf_name("/Helvetica"),
            }
        )
    )
    content = writer.add_object(generic.StreamObject(stream_data=PAGE_TEXT))
    page = PageObject(
        contents=content,
        media_box=generic.ArrayObject(generic.NumberObject(v) for v in (0, 0, 595, 842)),
        resources=generic.DictionaryObject(
            {pdf_name("/Font"): generic.DictionaryObject({pdf_name("/F1"): font})}
        ),
    )
    page[pdf_name("/StructParents")] = generic.NumberObject(0)
    page_ref = writer.insert_page(page)

    root_ref = writer.add_object(generic.DictionaryObject())
    document_ref = writer.add_object(generic.DictionaryObject())
    paragraph_ref = writer.add_object(
        generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/StructElem"),
                pdf_name("/S"): pdf_name("/P"),
                pdf_name("/P"): document_ref,
                pdf_name("/Pg"): page_ref,
                pdf_name("/K"): generic.NumberObject(0),
            }
        )
    )
    document_ref.get_object().update(
        {
            pdf_name("/Type"): pdf_name("/StructElem"),
            pdf_name("/S"): pdf_name("/Document"),
            pdf_name("/P"): root_ref,
            pdf_name("/K"): generic.ArrayObject([paragraph_ref]),
        }
    )
    parent_tree = writer.add_object(
        generic.DictionaryObject(
            {
                pdf_name("/Nums"): generic.ArrayObject(
                    [generic.NumberObject(0), generic.ArrayObject([paragraph_ref])]
                )
            }
        )
    )
    root_ref.get_object().update(
        {
            pdf_name("/Type"): pdf_name("/StructTreeRoot"),
            pdf_name("/K"): generic.ArrayObject([document_ref]),
            pdf_name("/ParentTree"): parent_tree,
            pdf_name("/ParentTreeNextKey"): generic.NumberObject(1),
        }
    )
    writer.root[pdf_name("/StructTreeRoot")] = root_ref
    writer.root[pdf_name("/MarkInfo")] = generic.DictionaryObject(
        {pdf_name("/Marked"): generic.BooleanObject(True)}
    )
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def certify(data: bytes, leader: KeyCredential, permission: MDPPerm = MDPPerm.FILL_FORMS) -> bytes:
    """The leader's certification signature, by default DocMDP P=2 (form filling and
    signing)."""
    writer = IncrementalPdfFileWriter(BytesIO(data))
    meta = signers.PdfSignatureMetadata(
        field_name="LanhDao",
        certify=True,
        docmdp_permissions=permission,
        md_algorithm="sha256",
    )
    pdf_signer = signers.PdfSigner(
        meta,
        signer=CredentialSigner(leader),
        new_field_spec=SigFieldSpec("LanhDao", box=(340, 120, 540, 200)),
    )
    return pdf_signer.sign_pdf(writer).getvalue()


def seal(data: bytes, organisation: KeyCredential, tamper: Tamper | None = None) -> bytes:
    """The organisation's seal: widget + StructElem (/S /Form, OBJR) appended to the
    Document element + ParentTree entry + ParentTreeNextKey, signed in one update."""
    writer = IncrementalPdfFileWriter(BytesIO(data))
    name = "DauCoQuan"
    append_signature_field(writer, SigFieldSpec(name, box=(330, 220, 470, 360)))
    widget_ref = next(
        field
        for field in writer.root["/AcroForm"].raw_get("/Fields")
        if field.get_object().get("/T") == name
    )
    widget = widget_ref.get_object()
    page_ref = writer.find_page_for_modification(0)[0]

    struct_root = writer.root["/StructTreeRoot"]
    document_ref = struct_root.raw_get("/K").raw_get(0)
    document = document_ref.get_object()
    next_key = int(struct_root["/ParentTreeNextKey"])
    form_elem = writer.add_object(
        generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/StructElem"),
                pdf_name("/S"): pdf_name("/Form"),
                pdf_name("/P"): document_ref,
                pdf_name("/Pg"): page_ref,
                pdf_name("/K"): generic.DictionaryObject(
                    {pdf_name("/Type"): pdf_name("/OBJR"), pdf_name("/Obj"): widget_ref}
                ),
            }
        )
    )
    document["/K"].append(form_elem)
    writer.update_container(document)
    widget[pdf_name("/StructParent")] = generic.NumberObject(next_key)
    writer.update_container(widget)
    parent_tree = struct_root["/ParentTree"]
    parent_tree["/Nums"].extend([generic.NumberObject(next_key), form_elem])
    writer.update_container(parent_tree)
    struct_root[pdf_name("/ParentTreeNextKey")] = generic.NumberObject(next_key + 1)
    writer.update_container(struct_root)

    if tamper is not None:
        _tamper(writer, tamper, form_elem, document_ref, page_ref)
    meta = signers.PdfSignatureMetadata(field_name=name, md_algorithm="sha256")
    return _CarelessSigner(meta, signer=CredentialSigner(organisation)).sign_pdf(writer).getvalue()


class _CarelessSigner(signers.PdfSigner):
    """Signs even where the certification forbids all changes (pyHanko refuses), as a
    tool that ignores DocMDP would, so the verifier's side can be tested."""

    def _enforce_certification_constraints(self, reader: object) -> None:
        return None


def add_empty_field(data: bytes) -> bytes:
    """An unsigned update adding a visible, empty signature field (with pyHanko's grey
    box appearance): after a certification, an appearance nobody signed."""
    writer = IncrementalPdfFileWriter(BytesIO(data))
    append_signature_field(writer, SigFieldSpec("Trong", box=(72, 400, 272, 480)))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def tag_signed_widget(data: bytes) -> bytes:
    """An unsigned update that only adds a structure element for the certification's
    widget, which was signed before: no signature of this revision explains it."""
    writer = IncrementalPdfFileWriter(BytesIO(data))
    widget_ref = writer.root["/AcroForm"].raw_get("/Fields").raw_get(0)
    struct_root = writer.root["/StructTreeRoot"]
    document_ref = struct_root.raw_get("/K").raw_get(0)
    document = document_ref.get_object()
    element = writer.add_object(
        generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/StructElem"),
                pdf_name("/S"): pdf_name("/Form"),
                pdf_name("/P"): document_ref,
                pdf_name("/K"): generic.DictionaryObject(
                    {pdf_name("/Type"): pdf_name("/OBJR"), pdf_name("/Obj"): widget_ref}
                ),
            }
        )
    )
    document["/K"].append(element)
    writer.update_container(document)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _tamper(
    writer: IncrementalPdfFileWriter,
    tamper: Tamper,
    form_elem: generic.IndirectObject,
    document_ref: generic.IndirectObject,
    page_ref: generic.IndirectObject,
) -> None:
    page = page_ref.get_object()
    if tamper is Tamper.CONTENT_STREAM:
        contents = page.raw_get("/Contents")
        writer.objects[(contents.generation, contents.idnum)] = generic.StreamObject(
            stream_data=FORGED_TEXT
        )
    elif tamper is Tamper.NEW_CONTENT_STREAM:
        extra = writer.add_object(
            generic.StreamObject(stream_data=b"BT /F1 30 Tf 72 500 Td (HUY) Tj ET")
        )
        page[pdf_name("/Contents")] = generic.ArrayObject([page.raw_get("/Contents"), extra])
        writer.update_container(page)
    elif tamper is Tamper.TEXT_ANNOTATION:
        note = writer.add_object(
            generic.DictionaryObject(
                {
                    pdf_name("/Type"): pdf_name("/Annot"),
                    pdf_name("/Subtype"): pdf_name("/Text"),
                    pdf_name("/Rect"): generic.ArrayObject(
                        generic.NumberObject(v) for v in (72, 600, 92, 620)
                    ),
                    pdf_name("/Contents"): generic.TextStringObject("Đã sửa số quyết định"),
                    pdf_name("/P"): page_ref,
                }
            )
        )
        page["/Annots"].append(note)
        writer.update_container(page)
    elif tamper is Tamper.STRUCT_ELEM_REWRITE:
        paragraph = document_ref.get_object()["/K"][0]
        paragraph[pdf_name("/ActualText")] = generic.TextStringObject("QUYET DINH so 999/QD-STP")
        writer.update_container(paragraph)
    elif tamper is Tamper.PARENT_TREE_REMAP:
        nums = writer.root["/StructTreeRoot"]["/ParentTree"]["/Nums"]
        nums[1] = generic.ArrayObject([form_elem])
    elif tamper is Tamper.STRUCT_CLAIMS_CONTENT:
        element = form_elem.get_object()
        element[pdf_name("/K")] = generic.ArrayObject([element["/K"], generic.NumberObject(0)])
        writer.update_container(element)
