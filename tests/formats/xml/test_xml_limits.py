"""verify_xml bounds its own work (VerifyLimits): signatures, references and
transforms are counted and the octets to digest estimated before any digest, a
document beyond the limits is refused fast with HostileInputError, and what is
really canonicalized is counted too."""

from __future__ import annotations

import time
from datetime import date

import pytest
from lxml import etree
from xmlsig_helpers import credential_of

from vnsign.errors import HostileInputError, PolicyError
from vnsign.formats.edxml import (
    Attachment,
    DocumentCode,
    EdxmlMessage,
    Organization,
    SignerInfo,
    build_edxml,
    inspect_edxml,
)
from vnsign.formats.xml import ReferenceStatus, XmlSignOptions, parse_xml, sign_enveloped
from vnsign.formats.xml.limits import DEFAULT_VERIFY_LIMITS, DigestBudget, VerifyLimits
from vnsign.formats.xml.paths import ElementPaths, element_path
from vnsign.formats.xml.verification import verify_xml
from vnsign.pki.credentials import KeyCredential
from vnsign.testing import TestPKI

ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
DOCUMENT = (
    b'<HoSo><VanBan Id="vb1"><TrichYeu>Quy\xe1\xba\xbft \xc4\x91\xe1\xbb\x8bnh</TrichYeu>'
    b'</VanBan><PhuLuc Id="pl1">Ph\xe1\xbb\xa5 l\xe1\xbb\xa5c</PhuLuc></HoSo>'
)
#: A whole second is generous: these are refused in a few hundredths (they took 20-60 s).
FAST = 1.0


def reference(uri: str, *transforms: str, digest: str = SHA256) -> str:
    listed = "".join(f'<ds:Transform Algorithm="{t}"/>' for t in transforms)
    return (
        f'<ds:Reference URI="{uri}">'
        + (f"<ds:Transforms>{listed}</ds:Transforms>" if transforms else "")
        + f'<ds:DigestMethod Algorithm="{digest}"/><ds:DigestValue>AAAA</ds:DigestValue>'
        "</ds:Reference>"
    )


def signature(references: list[str]) -> str:
    return (
        '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>'
        f'<ds:CanonicalizationMethod Algorithm="{C14N}"/>'
        '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
        + "".join(references)
        + "</ds:SignedInfo><ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature>"
    )


def filler(size: int) -> str:
    paragraph = "<p>" + "x" * 100 + "</p>"
    return paragraph * (size // len(paragraph))


def whole_document(signatures: int, references: int, size: int) -> bytes:
    """The reported attack: many whole-document references over a large document."""
    return (
        f"<d>{filler(size)}"
        + signature([reference("", ENVELOPED)] * references) * signatures
        + "</d>"
    ).encode()


def refused(data: bytes | etree._ElementTree, **kwargs: object) -> tuple[str, float]:
    started = time.perf_counter()
    with pytest.raises(HostileInputError) as caught:
        verify_xml(data, **kwargs)  # type: ignore[arg-type]
    return str(caught.value), time.perf_counter() - started


def test_defaults() -> None:
    assert (
        VerifyLimits(
            max_signatures=1000,
            max_references=1000,
            max_document_references=10_000,
            max_transforms=16,
            max_digested_bytes=512 << 20,
        )
        == DEFAULT_VERIFY_LIMITS
    )
    with pytest.raises(PolicyError, match="max_transforms"):
        VerifyLimits(max_transforms=0)


@pytest.mark.parametrize("as_tree", [False, True], ids=["bytes", "tree"])
def test_whole_document_references_over_a_large_document_are_refused_fast(as_tree: bool) -> None:
    # 50 signatures x 50 references over 1.7 MB: 4 GB to digest (took 35-60 s before)
    data = whole_document(50, 50, 1_700_000)
    message, elapsed = refused(parse_xml(data) if as_tree else data)
    assert elapsed < FAST
    assert "512 MiB" in message and "refused" in message


def test_references_to_one_large_element_are_refused_fast() -> None:
    body = f'<d><b Id="x">{filler(1_700_000)}</b>{signature([reference("#x")] * 1000)}</d>'
    message, elapsed = refused(body.encode())
    assert elapsed < FAST and "MiB" in message


def test_references_to_elements_nested_in_each_other_are_refused_after_one_measure() -> None:
    # 250 nested elements with IDs around 2 MB, 1,000 references spread over them:
    # measured deepest first, the innermost already makes every outer one too large
    depth = 250
    opening = "".join(f'<n Id="i{k}">' for k in range(depth))
    references = [reference(f"#i{k % depth}") for k in range(1000)]
    body = f"<d>{opening}{filler(2_000_000)}{'</n>' * depth}{signature(references)}</d>"
    message, elapsed = refused(body.encode())
    assert elapsed < FAST and "MiB" in message


def test_a_small_innermost_element_does_not_hide_large_outer_ones() -> None:
    # the deepest referenced element is tiny, the data sits between it and the outer ones
    depth = 200
    opening = "".join(f'<n Id="i{k}">' for k in range(depth))
    inner = f'<n Id="i{depth}">t</n>'
    references = [reference(f"#i{k % (depth + 1)}") for k in range(1000)]
    body = f"<d>{opening}{filler(2_000_000)}{inner}{'</n>' * depth}{signature(references)}</d>"
    message, elapsed = refused(body.encode())
    assert elapsed < FAST and "MiB" in message


@pytest.mark.parametrize(
    ("limits", "data", "expected"),
    [
        (
            VerifyLimits(max_signatures=3),
            f"<d>{signature([reference('')]) * 4}</d>",
            "4 signatures, more than the limit of 3",
        ),
        (
            VerifyLimits(max_references=5),
            f"<d>{signature([reference('')] * 6)}</d>",
            "6 references, more than the limit of 5",
        ),
        (
            VerifyLimits(max_document_references=10),
            f"<d>{signature([reference('')] * 6) * 2}</d>",
            "more than 10 references together",
        ),
        (
            VerifyLimits(max_transforms=2),
            f"<d>{signature([reference('', ENVELOPED, C14N, C14N)])}</d>",
            "3 transforms, more than the limit of 2",
        ),
    ],
    ids=["signatures", "references", "document-references", "transforms"],
)
def test_counts_are_checked_before_anything_is_digested(
    limits: VerifyLimits, data: str, expected: str
) -> None:
    budget = DigestBudget(1 << 20)
    message, _ = refused(data.encode(), verify_limits=limits, budget=budget)
    assert expected in message
    assert budget.remaining == budget.limit  # nothing canonicalized or digested
    # the default limits let the same documents through (as invalid signatures)
    assert not verify_xml(data.encode()).valid


def test_the_default_limits_refuse_the_counts_too() -> None:
    many = f"<d>{signature([reference('#none')] * 1001)}</d>".encode()
    assert "1001 references" in refused(many)[0]
    chained = f"<d>{signature([reference('', *([C14N] * 17))])}</d>".encode()
    assert "17 transforms" in refused(chained)[0]


def test_references_that_are_not_digested_cost_nothing() -> None:
    # unresolvable IDs, an unknown digest, external data not supplied: no octet to digest
    references = [
        *[reference("#missing")] * 900,
        reference("", digest="http://www.w3.org/2001/04/xmldsig-more#md5"),
        reference("https://example.vn/van-ban.pdf"),
    ]
    data = f"<d>{filler(1_000_000)}{signature(references)}</d>".encode()
    # room for the large SignedInfo (902 references), not for the 1 MB document
    tiny = VerifyLimits(max_digested_bytes=256 << 10)
    [result] = verify_xml(data, verify_limits=tiny).signatures
    statuses = {r.status for r in result.references}
    assert statuses == {
        ReferenceStatus.NOT_FOUND,
        ReferenceStatus.UNSUPPORTED,
    }


def test_external_data_counts() -> None:
    data = f"<d>{signature([reference('urn:tep', C14N)] * 4)}</d>".encode()
    external = {"urn:tep": b"<t>" + b"x" * 100_000 + b"</t>"}
    limits = VerifyLimits(max_digested_bytes=300_000)  # 4 x 100 kB does not fit
    message, _ = refused(data, external=external, verify_limits=limits)
    assert "limit of 300000 bytes" in message
    verify_xml(data, external=external, verify_limits=VerifyLimits(max_digested_bytes=500_000))


def test_every_canonicalized_octet_is_counted_while_digesting() -> None:
    # <a/> is 4 bytes serialized, 7 canonical: an estimate from the serialized size
    # fits, the real canonicalization does not, and is stopped by the count
    body = "<a/>" * 50_000
    data = f'<d><b Id="x">{body}</b>{signature([reference("#x")])}</d>'.encode()
    estimate = len(f'<b Id="x">{body}</b>')
    budget = DigestBudget(int(estimate * 1.3))
    message, _ = refused(data, budget=budget)
    assert "would canonicalize and digest more than" in message
    verify_xml(data, budget=DigestBudget(estimate * 2))


def test_a_budget_can_be_shared_between_documents(org_credential: KeyCredential) -> None:
    signed = sign_enveloped(DOCUMENT, org_credential)
    first = DigestBudget(1 << 20)
    assert verify_xml(signed, budget=first).valid
    spent = first.limit - first.remaining
    assert len(DOCUMENT) < spent < len(signed)  # the document (not its signature), SignedInfo
    # the estimate is the whole document's size: room for it once, not twice
    shared = DigestBudget(len(signed) + spent // 2)
    assert verify_xml(signed, budget=shared).valid
    message, _ = refused(signed, budget=shared)  # the second document no longer fits
    assert "left of the limit" in message


def test_a_signed_document_within_the_limits_verifies(org_credential: KeyCredential) -> None:
    signed = sign_enveloped(DOCUMENT, org_credential, XmlSignOptions(references=("#vb1", "#pl1")))
    assert verify_xml(signed).valid
    limits = VerifyLimits(max_signatures=1, max_references=2, max_digested_bytes=4096)
    assert verify_xml(signed, verify_limits=limits).valid
    message, _ = refused(signed, verify_limits=VerifyLimits(max_references=1))
    assert "2 references, more than the limit of 1" in message


def test_many_sibling_signatures_are_verified_in_linear_time() -> None:
    # element paths are computed once per parent: 1,000 sibling signatures (the limit)
    # with ten references each used to cost seconds in sibling scans alone
    data = f'<d><b Id="x">t</b>{signature([reference("#x")] * 10) * 1000}</d>'.encode()
    started = time.perf_counter()
    result = verify_xml(data)
    assert time.perf_counter() - started < 5
    assert len(result.signatures) == 1000
    assert result.signatures[-1].path == "/d/ds:Signature[1000]"
    assert result.signatures[0].references[0].element_path == "/d/b"


def test_element_paths_match_one_by_one_and_cached() -> None:
    root = etree.fromstring(b'<r xmlns:x="urn:x"><a/><x:a/><a><b/><b/></a><!-- c --><c/></r>')
    paths = ElementPaths()
    for element in root.iter(tag=etree.Element):
        assert paths.path(element) == element_path(element)
    assert element_path(root[2][1]) == "/r/a[2]/b[2]"
    assert element_path(root[1]) == "/r/x:a"


# -- edXML: one budget for a package and its nested packages ----------------------------------


def _message() -> EdxmlMessage:
    return EdxmlMessage(
        sender=Organization("000.00.00.H49", "Ủy ban nhân dân tỉnh Quảng Ninh"),
        recipients=(Organization("G09.20", "Bộ Nội vụ"),),
        code=DocumentCode("1234", "UBND-VP"),
        promulgation_date=date(2025, 5, 1),
        place="Quảng Ninh",
        document_type=1,
        document_type_name="Công văn",
        subject="V/v thử nghiệm giới hạn xác minh",
        signer=SignerInfo("Lê Hoàng Cường", "Chủ tịch", "TM."),
    )


def test_inspect_edxml_passes_the_limits_and_shares_one_budget(vn_pki: TestPKI) -> None:
    agency = credential_of(vn_pki.gov_agency)
    text = Attachment("ghi-chu.txt", b"x" * 200_000, content_type="text/plain")
    inner = build_edxml(_message(), [text], credential=agency)
    outer = build_edxml(
        _message(),
        [Attachment("goi.edxml", inner, content_type="application/xml")],
        credential=agency,
    )
    assert inspect_edxml(outer).valid
    # room for the outer package's own signature, not for the nested one's as well
    limits = VerifyLimits(max_digested_bytes=len(outer) + len(inner) // 2)
    report = inspect_edxml(outer, verify_limits=limits)
    refusals = [
        f for f in report.findings if f.rule_id == "OBS-EDXML-NESTING" and "refused" in f.message
    ]
    assert refusals and "goi.edxml" in refusals[0].message
    # the top package itself beyond the limits: refused as a whole
    with pytest.raises(HostileInputError, match="canonicalize and digest"):
        inspect_edxml(outer, verify_limits=VerifyLimits(max_digested_bytes=len(outer) // 2))
