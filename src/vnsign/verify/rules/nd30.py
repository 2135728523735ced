"""The form of signatures on administrative PDFs (Decree 30/2020, Appendix I) and the
switch of state documents to official-duty certificates (Decree 68/2024).

vn-rules.md, "What a verifier can check mechanically", part B. What a PDF shows is
read by the PDF adapter (:class:`~vnsign.verify.facts.Appearance`); these rules
judge it:

* which form the file has: a main document (the competent person's signature
  image, then the agency's seal image over its left third), an attachment or
  appendix in a separate file, or an electronic copy (the agency's signature as
  text only, at the top right of page 1: ô 14);
* the image of each signature (colour, transparent background, position);
* the text of attachment and copy signatures (number and notation or copy form,
  agency, Vietnamese time per ISO 8601, Times New Roman 10 black);
* the displayed time against the signing time.

Positions are judged in the page's default user space; the heuristics (signer
block, seal size) give warnings, never failures.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from typing import Protocol, runtime_checkable

from vnsign.errors import MalformedInputError
from vnsign.pki.identity import CertificateInfo, Regime, SubjectKind, fold
from vnsign.verify.facts import (
    Appearance,
    Coverage,
    DocumentFacts,
    DocumentFormat,
    ImageFacts,
    SignatureFacts,
    SignatureKind,
)
from vnsign.verify.report import VIETNAM
from vnsign.verify.rules.base import (
    DocumentContext,
    Outcome,
    SignatureContext,
    document_rule,
    failed,
    not_applicable,
    passed,
    signature_rule,
    warning,
)
from vnsign.verify.rules.technical import when

__all__ = ["DocumentForm", "document_form"]

Box = tuple[float, float, float, float]

_PERSONAL = frozenset({SubjectKind.PERSON, SubjectKind.GOVERNMENT_OFFICIAL})
_AGENCY = frozenset({SubjectKind.ORGANIZATION, SubjectKind.GOVERNMENT_AGENCY})
_HUE_VI = {
    "red": "đỏ",
    "blue": "xanh",
    "black": "đen",
    "other": "khác (không phải xanh, đỏ hay đen)",
    "unknown": "không xác định được",
}
_COPY_FORMS = {"sao y": "SAO Y", "sao luc": "SAO LỤC", "trich sao": "TRÍCH SAO"}
_COPY_FORM = re.compile(r"\b(sao y|sao luc|trich sao)\b")
# số, ký hiệu: "12/QĐ-UBND", "123/2024/NĐ-CP"; a date "05/3/2026" does not match
_NOTATION = re.compile(r"(?<![\w/])\d{1,6}(?:/\d{4})?/[^\W\d_][\w.\-]*")
_ZONE = r"(Z|[+-]\d{1,2}(?::?\d{2})?|(?:UTC|GMT)(?:\s*[+-]\d{1,2}(?::?\d{2})?)?)"
_ISO_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:[.,]\d+)?\s?" + _ZONE + "?"
)
_DAY_FIRST_TIME = re.compile(
    r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})[ ,T]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*" + _ZONE + "?"
)
_TIME_FIRST = re.compile(
    r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(?:ngày\s*)?(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*"
    + _ZONE
    + "?"
)
_TNR_FAMILY = ("timesnewroman", "tinos", "liberationserif")  # metric-compatible with TNR
_SEAL_MM = (20.0, 60.0)  # plausible diameter of a printed seal image
_OVERLAP = (0.20, 0.45)  # the seal covers "about one third" of the signature image
_TOP_RIGHT = (0.5, 0.8)  # widget centre right of half the width, above 80 % of the height
_VIETNAM_OFFSET = timedelta(hours=7)


class DocumentForm(StrEnum):
    """What kind of file an administrative PDF is, by its signature appearances."""

    MAIN = "main"  #: the main document: the person's signature image, the agency's seal
    ATTACHMENT = "attachment"  #: an attachment or appendix in a separate file
    COPY = "copy"  #: an electronic copy (sao y, sao lục, trích sao)


@dataclass(frozen=True)
class _FormDecision:
    form: DocumentForm
    vi: str  #: how it was decided
    en: str


def document_form(document: DocumentFacts) -> DocumentForm:
    """The form of ``document`` as the ND30 rules see it (see :func:`_decide_form`)."""
    return _decide_form(document).form


def _decide_form(document: DocumentFacts) -> _FormDecision:
    """Main document unless no appearance shows an image and one shows text only:
    then an attachment, or a copy when that text names a copy form (ND30 App. I
    Part I.II.8.b and Part II.I.3 give those signatures no image)."""
    appearances = [
        s.appearance
        for s in document.signatures
        if s.kind is not SignatureKind.DOCUMENT_TIMESTAMP and s.appearance is not None
    ]
    if any(a.images for a in appearances):
        return _FormDecision(
            DocumentForm.MAIN,
            "phần hiển thị chữ ký có hình ảnh (chữ ký tay hoặc con dấu)",
            "a signature appearance shows an image (handwritten signature or seal)",
        )
    text_only = [a for a in appearances if _shows_text(a)]
    if not text_only:
        return _FormDecision(
            DocumentForm.MAIN,
            "không có chữ ký nào chỉ hiển thị dạng chữ như trên văn bản kèm theo hay bản sao",
            "no signature shows text only, as on an attachment or a copy",
        )
    top_right = any(_top_right(a) for a in text_only)
    where_vi = (
        "ở góc trên bên phải trang đầu"
        if top_right
        else "nhưng không ở góc trên bên phải trang đầu"
    )
    where_en = (
        "at the top right of page 1" if top_right else "though not at the top right of page 1"
    )
    forms = [form for a in text_only for form in _copy_forms(a)]
    if forms:
        return _FormDecision(
            DocumentForm.COPY,
            f"chữ ký chỉ hiển thị dạng chữ, không có hình ảnh, {where_vi}, và ghi hình thức sao “{forms[0]}”",
            f"a signature shows text only, no image, {where_en}, naming the copy form “{forms[0]}”",
        )
    return _FormDecision(
        DocumentForm.ATTACHMENT,
        f"chữ ký chỉ hiển thị dạng chữ, không có hình ảnh, {where_vi}, không ghi hình thức sao",
        f"a signature shows text only, no image, {where_en}, naming no copy form",
    )


_FORM_VI = {
    DocumentForm.MAIN: "văn bản chính",
    DocumentForm.ATTACHMENT: "văn bản kèm theo (phụ lục) trong tệp riêng",
    DocumentForm.COPY: "bản sao điện tử",
}
_FORM_EN = {
    DocumentForm.MAIN: "a main document",
    DocumentForm.ATTACHMENT: "an attachment or appendix in a separate file",
    DocumentForm.COPY: "an electronic copy",
}


def _decision_text(decision: _FormDecision) -> tuple[str, str]:
    return (
        f"Tệp được xác định là {_FORM_VI[decision.form]} vì {decision.vi}.",
        f"Read as {_FORM_EN[decision.form]} because {decision.en}.",
    )


# -- signers -------------------------------------------------------------------------------


class _Role(StrEnum):
    PERSONAL = "personal"
    AGENCY = "agency"
    UNKNOWN = "unknown"


_ROLE_VI = {
    _Role.PERSONAL: "cá nhân, người có thẩm quyền",
    _Role.AGENCY: "cơ quan, tổ chức",
    _Role.UNKNOWN: "chưa xác định",
}


def _role(kind: SubjectKind) -> _Role:
    if kind in _PERSONAL:
        return _Role.PERSONAL
    if kind in _AGENCY:
        return _Role.AGENCY
    return _Role.UNKNOWN


def _info(ctx: SignatureContext) -> CertificateInfo | None:
    if ctx.certificate is not None:
        return ctx.certificate.info
    return _facts_info(ctx.facts)


def _facts_info(facts: SignatureFacts) -> CertificateInfo | None:
    """What another signature's certificate says (its regime is not known here)."""
    if facts.signer_certificate is None:
        return None
    try:
        return CertificateInfo.from_certificate(facts.signer_certificate)
    except (MalformedInputError, ValueError):
        return None


def _ctx_role(ctx: SignatureContext) -> _Role:
    info = _info(ctx)
    return _role(info.kind) if info else _Role.UNKNOWN


def _facts_role(facts: SignatureFacts) -> _Role:
    info = _facts_info(facts)
    return _role(info.kind) if info else _Role.UNKNOWN


def _name(ctx: SignatureContext) -> str:
    info = _info(ctx)
    return info.display_name if info else ctx.facts.name


# -- what appearances show -----------------------------------------------------------------


class _Line(Protocol):
    @property
    def text(self) -> str: ...

    @property
    def rect(self) -> Box: ...


@runtime_checkable
class _ReadsPage(Protocol):
    """An appearance that can read the text of its page (the PDF adapter's)."""

    def page_lines(self) -> Sequence[_Line]: ...


def _shows_text(appearance: Appearance) -> bool:
    return any(text.strip() for text in appearance.texts)


def _joined(appearance: Appearance) -> str:
    return "\n".join(appearance.texts)


def _copy_forms(appearance: Appearance) -> list[str]:
    return [_COPY_FORMS[m.group(1)] for m in _COPY_FORM.finditer(fold(_joined(appearance)))]


def _top_right(appearance: Appearance) -> bool:
    x0, y0, x1, y1 = appearance.rect
    width, height = appearance.page_size
    return (
        appearance.page == 1
        and (x0 + x1) / 2 >= _TOP_RIGHT[0] * width
        and (y0 + y1) / 2 >= _TOP_RIGHT[1] * height
    )


def _main_image(appearance: Appearance, hue: str) -> ImageFacts | None:
    """The image that carries the signature: the largest of ``hue``, else the largest."""
    if not appearance.images:
        return None
    coloured = [i for i in appearance.images if i.dominant_hue == hue] or list(appearance.images)
    return max(coloured, key=lambda i: _area(i.rect))


def _area(rect: Box) -> float:
    return max(0.0, rect[2] - rect[0]) * max(0.0, rect[3] - rect[1])


def _mm(points: float) -> float:
    return points / 72 * 25.4


def _where(appearance: Appearance) -> str:
    x0, y0, x1, y1 = appearance.rect
    return f"trang {appearance.page}, x {x0:.0f}–{x1:.0f}, y {y0:.0f}–{y1:.0f} pt"


def _where_en(appearance: Appearance) -> str:
    x0, y0, x1, y1 = appearance.rect
    return f"page {appearance.page}, x {x0:.0f}-{x1:.0f}, y {y0:.0f}-{y1:.0f} pt"


@dataclass
class _Findings:
    """Problems and remarks collected by one rule, worst first in the outcome."""

    failures: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)

    def fail(self, vi: str, en: str) -> None:
        self.failures.append((vi, en))

    def warn(self, vi: str, en: str) -> None:
        self.warnings.append((vi, en))

    def outcome(self, ok_vi: str, ok_en: str, prefix: tuple[str, str] = ("", "")) -> Outcome:
        vi_head, en_head = (
            (f"{prefix[0]} " if prefix[0] else ""),
            (f"{prefix[1]} " if prefix[1] else ""),
        )
        if self.failures:
            extra = self.failures + self.warnings
            return failed(
                vi_head + _sentence(v for v, _ in extra), en_head + _sentence(e for _, e in extra)
            )
        if self.warnings:
            return warning(
                vi_head + _sentence(v for v, _ in self.warnings),
                en_head + _sentence(e for _, e in self.warnings),
            )
        return passed(vi_head + ok_vi, en_head + ok_en)


def _sentence(parts: Iterable[str]) -> str:
    text = "; ".join(parts)
    return (text[:1].upper() + text[1:] + ".") if text else ""


def _not_pdf(ctx: SignatureContext | DocumentContext) -> bool:
    return ctx.document.format is not DocumentFormat.PDF


def _skip(ctx: SignatureContext) -> Outcome | None:
    """Not applicable: not a PDF, a document time stamp, or an invisible signature."""
    if _not_pdf(ctx):
        return not_applicable("Chỉ áp dụng cho tệp PDF.", "Applies to PDF files only.")
    if ctx.facts.kind is SignatureKind.DOCUMENT_TIMESTAMP:
        return not_applicable(
            "Dấu thời gian tài liệu không có phần hiển thị.",
            "A document time stamp has no appearance.",
        )
    if ctx.facts.appearance is None:
        return not_applicable(
            "Chữ ký không hiển thị trên trang (chữ ký ẩn).",
            "The signature is invisible (no widget on a page).",
        )
    return None


# -- ND30-SIGN-ORDER -----------------------------------------------------------------------


@document_rule(
    "ND30-SIGN-ORDER",
    "Số lượng và thứ tự chữ ký số",
    "Number and order of the signatures",
    "NĐ 30/2020/NĐ-CP Điều 14.3, 15.3, 17.2, 32.2; Phụ lục I Phần I mục II.8.b và Phần II mục I.3",
)
def signing_order(ctx: DocumentContext) -> Outcome:
    """Main document: a personal signature, then an agency signature covering it;
    attachment or copy: exactly one agency signature."""
    if ctx.document.format is not DocumentFormat.PDF:
        return not_applicable("Chỉ áp dụng cho tệp PDF.", "Applies to PDF files only.")
    signatures = [s for s in ctx.signatures if s.facts.kind is not SignatureKind.DOCUMENT_TIMESTAMP]
    if not signatures:
        return not_applicable("Tài liệu không có chữ ký số.", "The document carries no signature.")
    decision = _decide_form(ctx.document)
    head = _decision_text(decision)
    roles = [_ctx_role(s) for s in signatures]
    listing_vi = ", ".join(
        f"{n}. {_name(s)} ({_ROLE_VI[r]})"
        for n, (s, r) in enumerate(zip(signatures, roles, strict=True), 1)
    )
    listing_en = ", ".join(
        f"{n}. {_name(s)} ({r.value})"
        for n, (s, r) in enumerate(zip(signatures, roles, strict=True), 1)
    )
    if decision.form is not DocumentForm.MAIN:
        return _one_agency_signature(signatures, roles, decision, head, listing_vi, listing_en)
    return _person_then_agency(signatures, roles, head, listing_vi, listing_en)


def _one_agency_signature(
    signatures: list[SignatureContext],
    roles: list[_Role],
    decision: _FormDecision,
    head: tuple[str, str],
    listing_vi: str,
    listing_en: str,
) -> Outcome:
    what_vi = _FORM_VI[decision.form]
    if len(signatures) > 1:
        return failed(
            f"{head[0]} Trên {what_vi} chỉ được có một chữ ký số của cơ quan, tổ chức, nhưng tệp có {len(signatures)} chữ ký: {listing_vi}.",
            f"{head[1]} {_FORM_EN[decision.form].capitalize()} carries exactly one agency signature, but the file has {len(signatures)}: {listing_en}.",
        )
    name = _name(signatures[0])
    if roles[0] is _Role.PERSONAL:
        return failed(
            f"{head[0]} Chữ ký duy nhất là của cá nhân ({name}), không phải của cơ quan, tổ chức.",
            f"{head[1]} The only signature is a person's ({name}), not the agency's.",
        )
    if roles[0] is _Role.UNKNOWN:
        return warning(
            f"{head[0]} Có một chữ ký ({name}) nhưng không xác định được chứng thư số là của cơ quan, tổ chức.",
            f"{head[1]} One signature ({name}), but its certificate does not show whether it is an agency's.",
        )
    return passed(
        f"{head[0]} Có đúng một chữ ký số của cơ quan, tổ chức ({name}).",
        f"{head[1]} Exactly one agency signature ({name}).",
    )


def _person_then_agency(
    signatures: list[SignatureContext],
    roles: list[_Role],
    head: tuple[str, str],
    listing_vi: str,
    listing_en: str,
) -> Outcome:
    personal = [n for n, r in enumerate(roles) if r is _Role.PERSONAL]
    agency = [n for n, r in enumerate(roles) if r is _Role.AGENCY]
    order_vi, order_en = f"Thứ tự ký: {listing_vi}.", f"Signing order: {listing_en}."
    if len(signatures) == 1 and not (personal and agency):
        return failed(
            f"{head[0]} Văn bản chính cần chữ ký số của người có thẩm quyền và sau đó chữ ký số của cơ quan, tổ chức, nhưng chỉ có một chữ ký. {order_vi}",
            f"{head[1]} A main document needs the competent person's signature and then the agency's, but it has only one signature. {order_en}",
        )
    if not personal or not agency:
        unknown = any(r is _Role.UNKNOWN for r in roles)
        missing_vi = "người có thẩm quyền" if not personal else "cơ quan, tổ chức"
        missing_en = "the competent person" if not personal else "the agency"
        outcome = warning if unknown else failed
        note_vi = (
            " (có chứng thư số chưa xác định được là của cá nhân hay tổ chức)" if unknown else ""
        )
        note_en = (
            " (a certificate does not show whether it is a person's or an agency's)"
            if unknown
            else ""
        )
        return outcome(
            f"{head[0]} Không có chữ ký số của {missing_vi}{note_vi}. {order_vi}",
            f"{head[1]} No signature of {missing_en}{note_en}. {order_en}",
        )
    if agency[-1] < personal[0]:
        return failed(
            f"{head[0]} Chữ ký của cơ quan, tổ chức có trước chữ ký của người có thẩm quyền; Văn thư chỉ ký số của cơ quan sau khi người có thẩm quyền đã ký, và chữ ký của cơ quan phải bao trùm chữ ký đó. {order_vi}",
            f"{head[1]} The agency signed before the competent person; the records clerk applies the agency signature only after the person has signed, covering that signature. {order_en}",
        )
    covering = [a for a in agency if a > personal[0]]
    last = signatures[covering[-1]]
    if last.facts.coverage not in (Coverage.ENTIRE_FILE, Coverage.ENTIRE_REVISION):
        return warning(
            f"{head[0]} Chữ ký của cơ quan ({_name(last)}) ký sau người có thẩm quyền nhưng không xác định được nó bao trùm toàn bộ tài liệu. {order_vi}",
            f"{head[1]} The agency ({_name(last)}) signed after the competent person, but it is not established that it covers the whole document. {order_en}",
        )
    uncovered = [n for n in personal if n > agency[-1]]
    if uncovered:
        names = ", ".join(_name(signatures[n]) for n in uncovered)
        return warning(
            f"{head[0]} Chữ ký của {names} được ký sau chữ ký của cơ quan, tổ chức nên không được chữ ký của cơ quan bao trùm. {order_vi}",
            f"{head[1]} {names} signed after the agency, so the agency signature does not cover it. {order_en}",
        )
    persons = ", ".join(_name(signatures[n]) for n in personal if n < covering[-1])
    return passed(
        f"{head[0]} Chữ ký của người có thẩm quyền ({persons}) được chữ ký của cơ quan, tổ chức ({_name(last)}) ký sau và bao trùm. {order_vi}",
        f"{head[1]} The competent person's signature ({persons}) is followed and covered by the agency's ({_name(last)}). {order_en}",
    )


# -- ND30-SIG-PERSON-IMG -------------------------------------------------------------------


@signature_rule(
    "ND30-SIG-PERSON-IMG",
    "Hình ảnh chữ ký số của người có thẩm quyền",
    "Image of the competent person's signature",
    "NĐ 30/2020/NĐ-CP Phụ lục I Phần I mục II.7.d",
)
def person_image(ctx: SignatureContext) -> Outcome:
    """Blue, transparent background, centred between the position line and the name."""
    skipped = _skip(ctx)
    if skipped is not None:
        return skipped
    role = _ctx_role(ctx)
    if role is not _Role.PERSONAL:
        return _other_role(role, "cá nhân (người có thẩm quyền)", "a person's")
    appearance = ctx.facts.appearance
    assert appearance is not None
    image = _main_image(appearance, "blue")
    if image is None:
        return failed(
            f"Phần hiển thị chữ ký ({_where(appearance)}) không có hình ảnh chữ ký của người có thẩm quyền.",
            f"The signature appearance ({_where_en(appearance)}) has no image of the person's signature.",
        )
    findings = _Findings()
    _image_colour(findings, image, "blue", "hình ảnh chữ ký", "the signature image")
    block_vi, block_en = _signer_block(findings, appearance, image, _name(ctx))
    return findings.outcome(
        f"Hình ảnh chữ ký màu xanh, nền trong suốt{block_vi}.",
        f"Blue signature image with a transparent background{block_en}.",
    )


def _other_role(role: _Role, wanted_vi: str, wanted_en: str) -> Outcome:
    if role is _Role.UNKNOWN:
        return not_applicable(
            f"Không xác định được chứng thư số có phải của {wanted_vi} hay không.",
            f"The certificate does not show whether this is {wanted_en} signature.",
        )
    return not_applicable(f"Chữ ký không phải của {wanted_vi}.", f"Not {wanted_en} signature.")


def _image_colour(
    findings: _Findings, image: ImageFacts, hue: str, what_vi: str, what_en: str
) -> None:
    if not image.has_alpha:
        findings.fail(
            f"{what_vi} không có nền trong suốt (cần ảnh PNG nền trong suốt)",
            f"{what_en} has no transparent background (a PNG with transparency is required)",
        )
    if image.dominant_hue == "unknown":
        findings.warn(
            f"không xác định được màu của {what_vi}",
            f"the colour of {what_en} could not be determined",
        )
    elif image.dominant_hue != hue:
        findings.fail(
            f"{what_vi} có màu {_HUE_VI[image.dominant_hue]}, không phải màu {_HUE_VI[hue]}",
            f"{what_en} is {image.dominant_hue}, not {hue}",
        )


def _signer_block(
    findings: _Findings, appearance: Appearance, image: ImageFacts, signer: str
) -> tuple[str, str]:
    """Heuristic: the position line above the image and the signer's name below it,
    found in the page text in the image's column; the image centred between them."""
    if not isinstance(appearance, _ReadsPage):
        findings.warn(
            "không đọc được chữ trên trang để kiểm tra vị trí hình ảnh chữ ký",
            "the page text is not available to check where the signature image is",
        )
        return "", ""
    lines = list(appearance.page_lines())
    x0, y0, x1, y1 = image.rect
    middle_y, height = (y0 + y1) / 2, y1 - y0
    column = [ln for ln in lines if ln.rect[0] < x1 and ln.rect[2] > x0]
    above = sorted(
        (ln for ln in column if ln.rect[1] >= middle_y and ln.rect[1] - y1 < 3 * height),
        key=lambda ln: ln.rect[1],
    )
    below = sorted(
        (ln for ln in column if ln.rect[3] <= middle_y and y0 - ln.rect[3] < 3 * height),
        key=lambda ln: -ln.rect[3],
    )
    wanted = fold(signer)
    named = [ln for ln in below if wanted and wanted in fold(ln.text)]
    if not above or not below:
        findings.warn(
            "không tìm thấy dòng chức vụ phía trên và họ tên người ký phía dưới hình ảnh chữ ký để kiểm tra vị trí",
            "no position line above and signer's name below the signature image were found to check its position",
        )
        return "", ""
    position, name = above[0], (named or below)[0]
    if not named:
        findings.warn(
            f"dòng phía dưới hình ảnh chữ ký (“{name.text}”) không khớp họ tên trong chứng thư số ({signer}), nên không chắc là dòng họ tên",
            f"the line under the signature image (“{name.text}”) does not match the certificate's name ({signer}), so it may not be the name line",
        )
    top, bottom = position.rect[1], name.rect[3]
    gap = top - bottom
    column_x = ((position.rect[0] + position.rect[2]) / 2 + (name.rect[0] + name.rect[2]) / 2) / 2
    off_y = abs(middle_y - (top + bottom) / 2)
    off_x = abs((x0 + x1) / 2 - column_x)
    if gap <= 0 or off_y > max(0.25 * gap, 6.0) or off_x > max(0.25 * (x1 - x0), 15.0):
        findings.warn(
            f"hình ảnh chữ ký không nằm cân giữa dòng chức vụ “{position.text}” và họ tên “{name.text}” (lệch {off_x:.0f} pt ngang, {off_y:.0f} pt dọc)",
            f"the signature image is not centred between the position line “{position.text}” and the name “{name.text}” "
            f"({off_x:.0f} pt off horizontally, {off_y:.0f} pt vertically)",
        )
    return (
        f", nằm giữa dòng chức vụ “{position.text}” và họ tên “{name.text}”",
        f", centred between the position line “{position.text}” and the name “{name.text}”",
    )


# -- ND30-SIG-ORG-IMG ----------------------------------------------------------------------


@signature_rule(
    "ND30-SIG-ORG-IMG",
    "Hình ảnh chữ ký số của cơ quan, tổ chức (con dấu)",
    "Image of the agency's signature (seal)",
    "NĐ 30/2020/NĐ-CP Phụ lục I Phần I mục II.8.a, II.8.c (ô số 8); vn-rules ND30-SIG-ORG-NOTEXT",
)
def agency_image(ctx: SignatureContext) -> Outcome:
    """Red seal with a transparent background over the left third of the person's
    signature image, at a plausible physical size; a text block is allowed."""
    skipped = _skip(ctx)
    if skipped is not None:
        return skipped
    role = _ctx_role(ctx)
    if role is not _Role.AGENCY:
        return _other_role(role, "cơ quan, tổ chức", "an agency's")
    decision = _decide_form(ctx.document)
    if decision.form is not DocumentForm.MAIN:
        head = _decision_text(decision)
        return not_applicable(
            f"{head[0]} Con dấu chỉ dùng trên văn bản chính.",
            f"{head[1]} The seal image belongs on a main document only.",
        )
    appearance = ctx.facts.appearance
    assert appearance is not None
    seal = _main_image(appearance, "red")
    if seal is None:
        return failed(
            f"Phần hiển thị chữ ký của cơ quan ({_where(appearance)}) không có hình ảnh con dấu.",
            f"The agency signature appearance ({_where_en(appearance)}) has no seal image.",
        )
    findings = _Findings()
    _image_colour(findings, seal, "red", "hình ảnh con dấu", "the seal image")
    overlap_vi, overlap_en = _seal_overlap(findings, ctx, appearance, seal)
    size_vi, size_en = _seal_size(findings, seal)
    text_vi = text_en = ""
    if _shows_text(appearance):
        text_vi = (
            "; có khối chữ kèm con dấu (tên cơ quan, thời gian ký) theo cách của TT 01/2019/TT-BNV đã bãi bỏ:"
            " NĐ 30 không yêu cầu nhưng vẫn chấp nhận"
        )
        text_en = (
            "; a text block next to the seal (agency, signing time), as the repealed TT 01/2019/TT-BNV had it:"
            " not required by Decree 30, allowed"
        )
    return findings.outcome(
        f"Hình ảnh con dấu màu đỏ, nền trong suốt{overlap_vi}{size_vi}{text_vi}.",
        f"Red seal image with a transparent background{overlap_en}{size_en}{text_en}.",
    )


def _seal_overlap(
    findings: _Findings, ctx: SignatureContext, appearance: Appearance, seal: ImageFacts
) -> tuple[str, str]:
    """The seal over about a third of the person's signature image, on its left."""
    person = _personal_rect(ctx, appearance, seal)
    if person is None:
        findings.warn(
            "không có chữ ký của người có thẩm quyền trên cùng trang để đối chiếu vị trí con dấu",
            "no personal signature on the same page to check where the seal is",
        )
        return "", ""
    name, rect = person
    width = rect[2] - rect[0]
    overlap_x = min(seal.rect[2], rect[2]) - max(seal.rect[0], rect[0])
    overlap_y = min(seal.rect[3], rect[3]) - max(seal.rect[1], rect[1])
    if width <= 0 or overlap_x <= 0 or overlap_y <= 0:
        findings.fail(
            f"hình ảnh con dấu không trùm lên hình ảnh chữ ký của {name}",
            f"the seal image does not overlap {name}'s signature image",
        )
        return "", ""
    share = overlap_x / width
    if (seal.rect[0] + seal.rect[2]) / 2 > (rect[0] + rect[2]) / 2:
        findings.fail(
            f"con dấu trùm lên phía bên phải hình ảnh chữ ký của {name}; phải trùm khoảng 1/3 về phía bên trái",
            f"the seal covers the right side of {name}'s signature image; it must cover about a third on the left",
        )
    elif not _OVERLAP[0] <= share <= _OVERLAP[1]:
        findings.fail(
            f"con dấu trùm {share:.0%} chiều rộng hình ảnh chữ ký của {name}, không phải khoảng 1/3 (chấp nhận 20–45%)",
            f"the seal covers {share:.0%} of the width of {name}'s signature image, not about a third (20-45% accepted)",
        )
    return (
        f", trùm {share:.0%} chiều rộng hình ảnh chữ ký của {name} về phía bên trái",
        f", covering {share:.0%} of the width of {name}'s signature image from the left",
    )


def _personal_rect(
    ctx: SignatureContext, appearance: Appearance, seal: ImageFacts
) -> tuple[str, Box] | None:
    """The personal signature the seal goes with: on the same page, the one whose
    image overlaps the seal most (else the nearest)."""
    candidates: list[tuple[str, Box]] = []
    for other in ctx.document.signatures:
        shown = other.appearance
        if other.index == ctx.facts.index or shown is None or shown.page != appearance.page:
            continue
        if (
            other.kind is SignatureKind.DOCUMENT_TIMESTAMP
            or _facts_role(other) is not _Role.PERSONAL
        ):
            continue
        image = _main_image(shown, "blue")
        info = _facts_info(other)
        candidates.append(
            (info.display_name if info else other.name, image.rect if image else shown.rect)
        )
    if not candidates:
        return None

    def closeness(item: tuple[str, Box]) -> tuple[float, float]:
        rect = item[1]
        overlap = _area(
            (
                max(rect[0], seal.rect[0]),
                max(rect[1], seal.rect[1]),
                min(rect[2], seal.rect[2]),
                min(rect[3], seal.rect[3]),
            )
        )
        distance = abs((rect[0] + rect[2]) - (seal.rect[0] + seal.rect[2])) + abs(
            (rect[1] + rect[3]) - (seal.rect[1] + seal.rect[3])
        )
        return (-overlap, distance)

    return min(candidates, key=closeness)


def _seal_size(findings: _Findings, seal: ImageFacts) -> tuple[str, str]:
    """Decree 30 asks for the seal's real size and gives no number: the image's
    rectangle in mm is only checked to be plausible for a seal."""
    width, height = _mm(seal.rect[2] - seal.rect[0]), _mm(seal.rect[3] - seal.rect[1])
    low, high = _SEAL_MM
    if not (low <= width <= high and low <= height <= high):
        findings.warn(
            f"hình ảnh con dấu có kích thước {width:.0f} × {height:.0f} mm, khó có thể là kích thước thực của con dấu "
            f"(kiểm tra trong khoảng {low:.0f}–{high:.0f} mm)",
            f"the seal image is {width:.0f} × {height:.0f} mm, unlikely to be the seal's real size "
            f"(checked against {low:.0f}-{high:.0f} mm)",
        )
    return (
        f", kích thước {width:.0f} × {height:.0f} mm",
        f", {width:.0f} × {height:.0f} mm",
    )


# -- ND30-SIG-ATTACH-SEPFILE and ND30-COPY-SIG -------------------------------------------


@signature_rule(
    "ND30-SIG-ATTACH-SEPFILE",
    "Chữ ký số của cơ quan trên văn bản kèm theo trong tệp riêng",
    "Agency signature on an attachment in a separate file",
    "NĐ 30/2020/NĐ-CP Phụ lục I Phần I mục II.8.b và III.1.d",
)
def attachment_signature(ctx: SignatureContext) -> Outcome:
    """Top right of page 1, no image, number and notation, time with +07:00,
    Times New Roman 10, black."""
    return _text_form(ctx, DocumentForm.ATTACHMENT)


@signature_rule(
    "ND30-COPY-SIG",
    "Chữ ký số của cơ quan trên bản sao điện tử",
    "Agency signature on an electronic copy",
    "NĐ 30/2020/NĐ-CP Điều 25–27; Phụ lục I Phần II mục I.3 (ô số 14)",
)
def copy_signature(ctx: SignatureContext) -> Outcome:
    """Top right of page 1 (ô 14), no image, copy form and copying agency, time with
    +07:00, Times New Roman 10, black."""
    return _text_form(ctx, DocumentForm.COPY)


def _text_form(ctx: SignatureContext, form: DocumentForm) -> Outcome:
    skipped = _skip(ctx)
    if skipped is not None:
        return skipped
    decision = _decide_form(ctx.document)
    head = _decision_text(decision)
    if decision.form is not form:
        return not_applicable(head[0], head[1])
    if _ctx_role(ctx) is _Role.PERSONAL:
        return not_applicable(
            "Chữ ký của cá nhân: xem quy tắc ND30-SIGN-ORDER.",
            "A personal signature: see ND30-SIGN-ORDER.",
        )
    appearance = ctx.facts.appearance
    assert appearance is not None
    findings = _Findings()
    if not _top_right(appearance):
        findings.fail(
            f"chữ ký không ở góc trên bên phải trang đầu ({_where(appearance)})",
            f"the signature is not at the top right of page 1 ({_where_en(appearance)})",
        )
    if appearance.images:
        findings.fail(
            "phần hiển thị có hình ảnh, trong khi chữ ký này không được dùng hình ảnh",
            "the appearance shows an image; this signature shows none",
        )
    text = _joined(appearance)
    if form is DocumentForm.ATTACHMENT:
        notation = _NOTATION.search(text)
        if notation is None:
            findings.fail(
                "không ghi số và ký hiệu của văn bản",
                "the document number and notation are not shown",
            )
        what_vi = f"số và ký hiệu “{notation.group(0)}”" if notation else ""
        what_en = f"number and notation “{notation.group(0)}”" if notation else ""
    else:
        forms = _copy_forms(appearance)
        agency_vi, agency_en = _copying_agency(findings, ctx, text)
        what_vi = f"hình thức sao “{forms[0]}”{agency_vi}" if forms else ""
        what_en = f"copy form “{forms[0]}”{agency_en}" if forms else ""
    times = [t for t in _shown_times(text) if t.offset == _VIETNAM_OFFSET]
    if not times:
        findings.fail(
            "không ghi thời gian ký theo giờ Việt Nam (+07:00) (xem ND30-TIME-FORMAT)",
            "no signing time in Vietnamese time (+07:00) is shown (see ND30-TIME-FORMAT)",
        )
    _typography(findings, appearance)
    shown_vi = f" và thời gian ký “{times[0].text}”" if times else ""
    shown_en = f" and the signing time “{times[0].text}”" if times else ""
    return findings.outcome(
        f"Chữ ký ở góc trên bên phải trang đầu, không có hình ảnh, ghi {what_vi}{shown_vi}; phông Times New Roman cỡ 10, màu đen.",
        f"The signature is at the top right of page 1, with no image, showing the {what_en}{shown_en}; Times New Roman 10, black.",
        prefix=head,
    )


def _copying_agency(findings: _Findings, ctx: SignatureContext, text: str) -> tuple[str, str]:
    """The copying agency's name as the certificate gives it (O or CN); abbreviations
    make a mismatch a warning only."""
    info = _info(ctx)
    names = [n for n in (info.organization, info.common_name) if n] if info else []
    shown = fold(" ".join(text.split()))
    for name in names:
        if fold(" ".join(name.split())) in shown:
            return f", cơ quan sao “{name}”", f", copying agency “{name}”"
    listed = " / ".join(names) or "?"
    findings.warn(
        f"không thấy tên cơ quan sao như trong chứng thư số ({listed}) trong phần hiển thị",
        f"the copying agency's name as in the certificate ({listed}) is not in the appearance",
    )
    return "", ""


def _typography(findings: _Findings, appearance: Appearance) -> None:
    """Times New Roman, upright, size 10, black (ND30 App. I: chữ in thường, kiểu
    chữ đứng, cỡ chữ 10, màu đen)."""
    if not appearance.fonts:
        findings.fail(
            "không đọc được phông chữ của phần hiển thị", "the appearance fonts cannot be read"
        )
        return
    names = [_font_name(f) for f in appearance.fonts]
    if not all(any(n.startswith(f) or f in n for f in _TNR_FAMILY) for n in names):
        findings.fail(
            f"phông chữ {', '.join(appearance.fonts)} không phải Times New Roman",
            f"font {', '.join(appearance.fonts)} is not Times New Roman",
        )
    if any("italic" in n or "oblique" in n for n in names):
        findings.fail("chữ nghiêng; cần kiểu chữ đứng", "italic text; upright text is required")
    odd_sizes = [s for s in appearance.font_sizes if abs(s - 10) > 0.25]
    if odd_sizes:
        findings.fail(
            f"cỡ chữ {', '.join(f'{s:g}' for s in odd_sizes)}, không phải 10",
            f"font size {', '.join(f'{s:g}' for s in odd_sizes)}, not 10",
        )
    if any(max(colour) > 0.15 for colour in appearance.text_colours):
        findings.fail("màu chữ không phải màu đen", "the text is not black")


def _font_name(base_font: str) -> str:
    name = base_font.split("+", 1)[1] if re.match(r"^[A-Z]{6}\+", base_font) else base_font
    return re.sub(r"[\s,_-]", "", name).casefold()


# -- ND30-TIME-FORMAT ----------------------------------------------------------------------


@dataclass(frozen=True)
class _ShownTime:
    """A date and time found in an appearance."""

    text: str
    moment: datetime  #: naive when no offset is shown
    iso: bool
    seconds: bool
    offset: timedelta | None


def _shown_times(text: str) -> list[_ShownTime]:
    found: list[_ShownTime] = []
    taken: list[tuple[int, int]] = []
    for pattern, iso in ((_ISO_TIME, True), (_DAY_FIRST_TIME, False), (_TIME_FIRST, False)):
        for match in pattern.finditer(text):
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            shown = _parse_time(match, iso, pattern is _TIME_FIRST)
            if shown is not None:
                found.append(shown)
                taken.append(match.span())
    return found


def _parse_time(match: re.Match[str], iso: bool, time_first: bool) -> _ShownTime | None:
    groups = match.groups()
    if iso:
        year, month, day, hour, minute, second, zone = groups
    elif time_first:
        hour, minute, second, day, month, year, zone = groups
    else:
        day, month, year, hour, minute, second, zone = groups
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
    except (TypeError, ValueError):
        return None
    offset = _offset(zone)
    if offset is not None:
        moment = moment.replace(tzinfo=timezone(offset))
    return _ShownTime(match.group(0).strip(), moment, iso, second is not None, offset)


def _offset(zone: str | None) -> timedelta | None:
    """``Z``, ``+07:00``, ``+0700``, ``+7``, ``UTC``, ``GMT+7`` as an offset."""
    if not zone:
        return None
    zone = zone.removeprefix("UTC").removeprefix("GMT").strip()
    if zone in ("", "Z"):
        return timedelta(0)
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    hours, minutes = (digits[:-2], digits[-2:]) if len(digits) > 2 else (digits, "0")
    return sign * timedelta(hours=int(hours), minutes=int(minutes))


@signature_rule(
    "ND30-TIME-FORMAT",
    "Thời gian ký hiển thị",
    "Displayed signing time",
    "NĐ 30/2020/NĐ-CP Phụ lục I Phần I mục II.8.b, Phần II mục I.3 (múi giờ Việt Nam theo ISO 8601); vn-rules ND30-TIME-FORMAT",
)
def displayed_time(ctx: SignatureContext) -> Outcome:
    """Every displayed time is ISO 8601 with +07:00 and equals the signing time."""
    skipped = _skip(ctx)
    if skipped is not None:
        return skipped
    appearance = ctx.facts.appearance
    assert appearance is not None
    times = _shown_times(_joined(appearance))
    if not times:
        return not_applicable(
            "Phần hiển thị chữ ký không ghi thời gian.", "The signature appearance shows no time."
        )
    findings = _Findings()
    for shown in times:
        _judge_time(findings, ctx, shown)
    listed = ", ".join(f"“{t.text}”" for t in times)
    return findings.outcome(
        f"Thời gian hiển thị {listed} đúng ISO 8601 với múi giờ Việt Nam (+07:00) và trùng thời điểm ký.",
        f"The displayed time {listed} is ISO 8601 with the Vietnamese offset (+07:00) and equals the signing time.",
    )


def _judge_time(findings: _Findings, ctx: SignatureContext, shown: _ShownTime) -> None:
    if shown.offset is None:
        findings.fail(
            f"thời gian “{shown.text}” không ghi múi giờ (cần +07:00 theo ISO 8601)",
            f"the time “{shown.text}” has no offset (+07:00 per ISO 8601 is required)",
        )
        return
    if shown.offset != _VIETNAM_OFFSET:
        findings.fail(
            f"thời gian “{shown.text}” không theo múi giờ Việt Nam (+07:00)",
            f"the time “{shown.text}” is not in Vietnamese time (+07:00)",
        )
    if not shown.seconds:
        findings.fail(
            f"thời gian “{shown.text}” thiếu giây (cần giờ, phút, giây)",
            f"the time “{shown.text}” lacks seconds (hours, minutes and seconds are required)",
        )
    if not shown.iso:
        findings.warn(
            f"thời gian “{shown.text}” không viết theo ISO 8601 (như 2026-03-05T14:30:15+07:00)",
            f"the time “{shown.text}” is not written as ISO 8601 (like 2026-03-05T14:30:15+07:00)",
        )
    _compare_time(findings, ctx, shown)


def _compare_time(findings: _Findings, ctx: SignatureContext, shown: _ShownTime) -> None:
    """Equal to the second to the claimed signing time or the proven one. A time
    stamp comes a little after the time the signing software wrote
    (OBS-CLOCK-SKEW), and some software writes local time labelled UTC
    (OBS-SIGNINGTIME-TZ): both get a warning, not a failure."""
    claimed, proven = ctx.facts.claimed_time, ctx.signing_time
    references = [t for t in (claimed, proven) if t is not None]
    if not references:
        findings.warn(
            f"chữ ký không ghi thời điểm ký để đối chiếu với “{shown.text}”",
            f"the signature records no signing time to compare “{shown.text}” with",
        )
        return
    moment = shown.moment
    if any(abs((moment - t).total_seconds()) < 1 for t in references):
        return
    expected = when(proven or claimed)
    if proven is not None and abs(moment - proven) <= timedelta(minutes=15):
        findings.warn(
            f"thời gian hiển thị “{shown.text}” lệch {abs((moment - proven).total_seconds()):.0f} giây so với dấu thời gian {expected}",
            f"the displayed time “{shown.text}” is {abs((moment - proven).total_seconds()):.0f} s off the time stamp {expected}",
        )
        return
    wall_clock = moment.astimezone(VIETNAM).replace(tzinfo=None)
    if claimed is not None and abs(
        wall_clock - claimed.astimezone(UTC).replace(tzinfo=None)
    ) < timedelta(seconds=1):
        findings.warn(
            f"thời điểm ký khai báo ({when(claimed)}) có vẻ là giờ Việt Nam bị ghi nhầm là giờ UTC, khớp với giờ hiển thị “{shown.text}”",
            f"the claimed signing time ({when(claimed)}) is Vietnamese time labelled UTC, matching the displayed “{shown.text}”",
        )
        return
    findings.fail(
        f"thời gian hiển thị “{shown.text}” khác thời điểm ký {expected}",
        f"the displayed time “{shown.text}” differs from the signing time {expected}",
    )


# -- ND68-MIGRATION ------------------------------------------------------------------------


@signature_rule(
    "ND68-MIGRATION",
    "Chuyển sang chữ ký số chuyên dùng công vụ",
    "Switch to official-duty signatures",
    "NĐ 68/2024/NĐ-CP (chữ ký số chuyên dùng công vụ); hạn chuyển đổi 31/12/2025 theo quy định cấp tỉnh (vn-rules ND68-MIGRATION)",
)
def official_duty_migration(ctx: SignatureContext) -> Outcome:
    """A state document signed after the policy's deadline with a public-CA certificate."""
    if _not_pdf(ctx):
        return not_applicable("Chỉ áp dụng cho tệp PDF.", "Applies to PDF files only.")
    if ctx.facts.kind is SignatureKind.DOCUMENT_TIMESTAMP or ctx.certificate is None:
        return not_applicable()
    regime = ctx.certificate.regime
    deadline = ctx.policy.migration_deadline
    moment = ctx.signing_time or ctx.now
    if regime is Regime.OFFICIAL_DUTY:
        return passed(
            "Chữ ký số chuyên dùng công vụ: không cần chuyển đổi.",
            "An official-duty signature: nothing to switch.",
        )
    if regime is not Regime.PUBLIC:
        return not_applicable(
            "Không xác định được chứng thư số thuộc chữ ký số công cộng hay chuyên dùng công vụ.",
            "Whether the certificate is public or official-duty is not known.",
        )
    evidence = _state_document(ctx)
    if not evidence:
        return not_applicable(
            "Không có dấu hiệu đây là văn bản của cơ quan nhà nước.",
            "Nothing shows this is a state agency's document.",
        )
    vi, en = evidence
    if moment <= deadline:
        return passed(
            f"Văn bản của cơ quan nhà nước ({vi}) ký bằng chữ ký số công cộng ngày {when(moment)}, trước hạn chuyển đổi {deadline.astimezone(VIETNAM):%d/%m/%Y}.",
            f"A state document ({en}) signed with a public certificate on {when(moment)}, before the switch deadline {deadline.astimezone(VIETNAM):%Y-%m-%d}.",
        )
    issuer = ctx.certificate.info.issuer_common_name or ctx.certificate.info.issuer
    return warning(
        f"Văn bản của cơ quan nhà nước ({vi}) được ký ngày {when(moment)}, sau hạn {deadline.astimezone(VIETNAM):%d/%m/%Y}, bằng chứng thư số công cộng ({issuer}); cơ quan nhà nước phải chuyển sang chữ ký số chuyên dùng công vụ (NĐ 68/2024/NĐ-CP).",
        f"A state document ({en}) signed on {when(moment)}, after the {deadline.astimezone(VIETNAM):%Y-%m-%d} deadline, with a public certificate ({issuer}); state agencies must switch to official-duty signatures (Decree 68/2024).",
    )


_NATIONAL_MOTTO = fold("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")


def _state_document(ctx: SignatureContext) -> tuple[str, str] | None:
    """Why the document looks like a state body's: a signer's certificate under a
    state e-mail domain (.gov.vn), or the administrative layout of Decree 30, that
    is the national motto (Quốc hiệu) on a signed page together with a Decree 30
    signature form (a red seal image, or the text form at the top right). A red
    seal alone is not enough: companies have red seals too."""
    for facts in ctx.document.signatures:
        info = _info(ctx) if facts.index == ctx.facts.index else _facts_info(facts)
        if info is not None and (info.email or "").lower().endswith(".gov.vn"):
            return (
                f"chứng thư số có thư điện tử công vụ {info.email}",
                f"a certificate with the official e-mail {info.email}",
            )
    shown = [s.appearance for s in ctx.document.signatures if s.appearance is not None]
    nd30_form = any(image.dominant_hue == "red" for a in shown for image in a.images) or any(
        _top_right(a) and not a.images and _shows_text(a) for a in shown
    )
    if not nd30_form:
        return None
    for appearance in shown:
        if isinstance(appearance, _ReadsPage) and any(
            _NATIONAL_MOTTO in fold(line.text) for line in appearance.page_lines()
        ):
            return (
                "trang có Quốc hiệu và chữ ký trình bày theo Nghị định 30",
                "the page carries the national motto and a Decree 30 signature form",
            )
    return None
