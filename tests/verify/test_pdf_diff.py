"""vnsign's difference-analysis policy (``vnsign.verify.adapters.pdf_diff``) on real PDFs.

The Decree 30 workflow of OBS-CERTIFY-THEN-SEAL is built here with pyHanko (see
``_diff_workflow``): a leader certifies a tagged PDF (DocMDP P=2), then an
organisation seals it in an incremental update that adds its widget and a
structure element for it. That update is a permitted signing update; the same
update with any content change in it is not. Third-party files from the shared
corpus check the other accepted patterns and that known attacks stay refused.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from _diff_workflow import (
    Tamper,
    add_empty_field,
    certify,
    credential,
    seal,
    tag_signed_widget,
    tagged_pdf,
)
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, SuspiciousModification
from pyhanko.sign.fields import MDPPerm

from vnsign.testing import TestPKI
from vnsign.verify.adapters.pdf import pdf_facts
from vnsign.verify.adapters.pdf_diff import VN_DIFF_POLICY, Accepted, VnDiffResult
from vnsign.verify.facts import (
    Coverage,
    Modification,
    ModificationKind,
    SignatureFacts,
    SignatureKind,
)


@pytest.fixture(scope="module")
def certified(vn_pki: TestPKI) -> bytes:
    """The tagged document certified by the leader (DocMDP P=2)."""
    return certify(tagged_pdf(), credential(vn_pki.person))


@pytest.fixture(scope="module")
def sealed(vn_pki: TestPKI, certified: bytes) -> bytes:
    """... then sealed by the organisation, structure tree updated for the seal."""
    return seal(certified, credential(vn_pki.organization))


def only_modification(signature: SignatureFacts) -> Modification:
    assert len(signature.modifications) == 1, signature.modifications
    return signature.modifications[0]


def review(data: bytes, signature: int) -> VnDiffResult | SuspiciousModification:
    """VN_DIFF_POLICY's judgement of everything after the ``signature``-th signature."""
    reader = PdfFileReader(BytesIO(data), strict=False)
    embedded = sorted(reader.embedded_signatures, key=lambda s: s.signed_revision)
    return VN_DIFF_POLICY.review_file(
        reader,
        embedded[signature - 1].signed_revision,
        field_mdp_spec=embedded[signature - 1].fieldmdp,
        doc_mdp=embedded[signature - 1].docmdp_level,
    )


# -- the Vietnamese workflow ------------------------------------------------------------


def test_seal_with_structure_update_is_a_permitted_signing_update(sealed: bytes) -> None:
    facts = pdf_facts(sealed)
    leader, organisation = facts.signatures
    assert leader.kind is SignatureKind.CERTIFICATION
    assert leader.details["docmdp"] == 2
    modification = only_modification(leader)
    assert modification.kind is ModificationKind.SIGNING
    assert modification.permitted
    assert "DauCoQuan" in modification.description
    assert "OBS-CERTIFY-THEN-SEAL" in modification.description
    assert Accepted.STRUCTURE_TREE.description in modification.description
    assert organisation.intact and organisation.coverage is Coverage.ENTIRE_FILE
    assert organisation.modifications == ()


def test_policy_names_what_it_accepted(sealed: bytes) -> None:
    result = review(sealed, 1)
    assert isinstance(result, VnDiffResult)
    assert result.accepted == {Accepted.STRUCTURE_TREE}
    assert result.changed_form_fields == {"DauCoQuan"}


def test_pyhanko_generic_policy_refuses_the_workflow(sealed: bytes) -> None:
    """Why vnsign needs its own policy: the generic one calls the seal a modification."""
    reader = PdfFileReader(BytesIO(sealed), strict=False)
    leader = sorted(reader.embedded_signatures, key=lambda s: s.signed_revision)[0]
    result = DEFAULT_DIFF_POLICY.review_file(
        reader, leader.signed_revision, doc_mdp=leader.docmdp_level
    )
    assert isinstance(result, SuspiciousModification)


@pytest.mark.parametrize("tamper", list(Tamper), ids=lambda t: t.name.lower())
def test_seal_update_with_a_content_change_is_refused(
    vn_pki: TestPKI, certified: bytes, tamper: Tamper
) -> None:
    facts = pdf_facts(seal(certified, credential(vn_pki.organization), tamper))
    modification = only_modification(facts.signatures[0])
    assert modification.kind is ModificationKind.OTHER, tamper.value
    assert not modification.permitted


def test_structure_for_a_widget_signed_before_is_refused(certified: bytes) -> None:
    modification = only_modification(pdf_facts(tag_signed_widget(certified)).signatures[0])
    assert modification.kind is ModificationKind.OTHER
    assert "signature widget" in modification.description
    assert not modification.permitted


def test_empty_visible_field_after_certification_is_refused(certified: bytes) -> None:
    """A new visible signature field is accepted after P=2 only when signed with it."""
    modification = only_modification(pdf_facts(add_empty_field(certified)).signatures[0])
    assert modification.kind is ModificationKind.OTHER
    assert not modification.permitted


def test_no_changes_certification_still_forbids_the_seal(vn_pki: TestPKI) -> None:
    strict = certify(tagged_pdf(), credential(vn_pki.person), MDPPerm.NO_CHANGES)
    modification = only_modification(
        pdf_facts(seal(strict, credential(vn_pki.organization))).signatures[0]
    )
    assert modification.kind is ModificationKind.SIGNING
    assert not modification.permitted


# -- third-party files ------------------------------------------------------------------

# file, signature (1-based, by revision), expected kind, permitted (None: not judged
# here), what the policy accepted beyond pyHanko's generic rules
ACCEPTED = [
    # a signature after a document time stamp turns an empty direct /StructTreeRoot into
    # an indirect tree holding only a Form element for the new widget (iText)
    ("dss-pades/DSS-2821.pdf", 1, ModificationKind.SIGNING, True, Accepted.STRUCTURE_TREE),
    # eu-dss extending to LT rewrites a VRI entry with more certificates and responses
    ("dss-pades/PAdES-LT.pdf", 4, ModificationKind.VALIDATION_DATA, True, Accepted.VRI_REWRITTEN),
    # after a signature whose FieldMDP lock sets P=3, DocuSign fills a text field whose
    # widget is a /Kids annotation
    ("dss-pades/DSS-3577.pdf", 1, ModificationKind.FORM_FILLING, True, Accepted.WIDGET_FORM_FILL),
    # iTextSharp frees the number of the new xref stream in its own section; the later
    # signature's lock /P 1 governs only what comes after that later signature
    ("dss-pades/AD-RB.pdf", 1, ModificationKind.SIGNING, True, Accepted.UNUSED_NUMBERS_FREED),
    # P=2 certification, fields filled, then a new visible signature field signed
    ("dss-pades/dss-1376/DSS1376-rev_n.pdf", 1, ModificationKind.FORM_FILLING, True, None),
    # LibreOffice hybrid PDF: the trailer's /AdditionalStreams names a number that does
    # not exist yet, which the next revision uses for its own objects
    (
        "dss-pades/pades-ltv.pdf",
        1,
        ModificationKind.SIGNING,
        True,
        Accepted.STALE_TRAILER_REFERENCE,
    ),
    (
        "dss-pades/pades-ltv.pdf",
        2,
        ModificationKind.SIGNING,
        True,
        Accepted.STALE_TRAILER_REFERENCE,
    ),
    # not in the brief, same causes: the page's /Resources re-pointed to an identical
    # copy; an existing signature field put on the page and signed; VRI entries dropped
    (
        "dss-pades/Signature-P-DE_SCI-4.pdf",
        1,
        ModificationKind.VALIDATION_DATA,
        True,
        Accepted.IDENTICAL_COPY,
    ),
    ("dss-pades/timestamped-fields.pdf", 1, ModificationKind.SIGNING, True, None),
    (
        "dss-pades/Signature-P-HU_POL-7.pdf",
        2,
        ModificationKind.SIGNING,
        True,
        Accepted.VRI_REWRITTEN,
    ),
    # the same workflow as ours, from another tool (iText 8): a Form element per seal
    (
        "dss-pades/pdf-structtreeroot-changes.pdf",
        1,
        ModificationKind.SIGNING,
        True,
        Accepted.STRUCTURE_TREE,
    ),
]


@pytest.mark.parametrize(
    ("name", "index", "kind", "permitted", "note"),
    ACCEPTED,
    ids=[f"{name.rsplit('/', 1)[-1]}#{index}" for name, index, *_ in ACCEPTED],
)
def test_corpus_signing_updates_are_explained(
    shared_corpus: Path,
    name: str,
    index: int,
    kind: ModificationKind,
    permitted: bool | None,
    note: Accepted | None,
) -> None:
    data = (shared_corpus / name).read_bytes()
    signature = pdf_facts(data).signatures[index - 1]
    assert signature.integrity_problem == ""
    assert signature.coverage is Coverage.ENTIRE_REVISION
    modification = only_modification(signature)
    assert modification.kind is kind, modification.description
    if permitted is not None:
        assert modification.permitted is permitted
    result = review(data, index)
    assert isinstance(result, VnDiffResult)
    if note is not None:
        assert note in result.accepted
        assert note.description in modification.description


# file, signature (1-based, by revision), what shows it is not valid
ATTACKS = [
    ("dss-pades/dss-2236/hide.pdf", 1, "integrity"),
    ("dss-pades/dss-2236/replace.pdf", 1, ModificationKind.FORM_FILLING),
    ("dss-pades/dss-2236/annotation-and-visible-change.pdf", 1, ModificationKind.OTHER),
    ("dss-pades/dss-2236/annotation-and-visible-change.pdf", 2, ModificationKind.OTHER),
    ("dss-pades/pades-signed-annot-added.pdf", 1, ModificationKind.OTHER),
    ("dss-pades/modified_after_signature.pdf", 1, ModificationKind.OTHER),
    ("dss-pades/pades-spoofing-replaced-reason.pdf", 1, "coverage"),
    ("dss-pades/pades-signed-filled-form.pdf", 1, ModificationKind.OTHER),
    ("dss-pades/pdf-removed-pages.pdf", 1, ModificationKind.OTHER),
    ("dss-pades/pdf-signed-added-page.pdf", 1, ModificationKind.OTHER),
    ("dss-pades/test-with-vri.pdf", 1, ModificationKind.OTHER),  # a locked field is filled
    ("pyhanko-pdf/form-update-ap-indirect-sneaky-trailer.pdf", 1, ModificationKind.OTHER),
    (
        "pyhanko-pdf/form-update-no-override-appearance-stream-ap-indirect-sneaky.pdf",
        1,
        ModificationKind.OTHER,
    ),
    (
        "pyhanko-pdf/form-update-override-appearance-stream-ap-indirect-sneaky.pdf",
        1,
        ModificationKind.OTHER,
    ),
    ("pyhanko-pdf/form-update-override-appearance-stream-sneaky.pdf", 1, ModificationKind.OTHER),
    ("pyhanko-pdf/extensions-indirect-not-all-paths.pdf", 1, ModificationKind.OTHER),
]


@pytest.mark.parametrize(
    ("name", "index", "evidence"),
    ATTACKS,
    ids=[f"{name.rsplit('/', 1)[-1]}#{index}" for name, index, _ in ATTACKS],
)
def test_corpus_attacks_stay_refused(
    shared_corpus: Path, name: str, index: int, evidence: ModificationKind | str
) -> None:
    signature = pdf_facts((shared_corpus / name).read_bytes()).signatures[index - 1]
    if evidence == "integrity":
        assert signature.integrity_problem
    elif evidence == "coverage":
        assert signature.coverage is Coverage.PARTIAL
    else:
        assert any(m.kind is evidence and not m.permitted for m in signature.modifications), (
            signature.modifications
        )
    assert not any(m.permitted for m in signature.modifications)
