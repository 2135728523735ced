"""The e-invoice rules (EINV-*: ND 123/2020, TT 78/2021, the tax authority's data format).

:mod:`vnsign.formats.einvoice` checks each invoice signature and reports findings
keyed by these rule IDs; the e-invoice adapter carries them in the facts
(``details["einvoice"]``). Each rule here turns its findings into one outcome
with Vietnamese and English messages, and adds what only the verifier knows
(the trust path of the tax authority's certificate). Known quirks of real
invoices are notes in a passed outcome, never failures
(OBS-EINVOICE-ENVELOPED-OBJECT, OBS-EINVOICE-TRAITS).
"""

from __future__ import annotations

from collections.abc import Iterable

import vnsign.verify.rules.legal  # noqa: F401 - the generic rules come first in every report
from vnsign.formats.einvoice import InvoiceRole
from vnsign.formats.xml import Finding, FindingStatus
from vnsign.pki.identity import Regime
from vnsign.verify.adapters.einvoice import InvoiceDetails, InvoiceSignatureDetails
from vnsign.verify.facts import DocumentFacts
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

_FORMAT = "định dạng dữ liệu hóa đơn điện tử của cơ quan thuế (QĐ 1450/QĐ-TCT và văn bản thay thế)"
_ROLE_VI = {
    InvoiceRole.SELLER: "người bán (NBan)",
    InvoiceRole.BUYER: "người mua (NMua)",
    InvoiceRole.OTHER: "chữ ký khác (CCKSKhac)",
    InvoiceRole.TAX_AUTHORITY: "cơ quan thuế (CQT)",
}
_ROLE_EN = {
    InvoiceRole.SELLER: "seller (NBan)",
    InvoiceRole.BUYER: "buyer (NMua)",
    InvoiceRole.OTHER: "other signer (CCKSKhac)",
    InvoiceRole.TAX_AUTHORITY: "tax authority (CQT)",
}
_ORDER = {
    FindingStatus.FAILED: 0,
    FindingStatus.WARNING: 1,
    FindingStatus.PASSED: 2,
    FindingStatus.INFO: 3,
    FindingStatus.NOT_APPLICABLE: 4,
}
_NOT_INVOICE = ("Không áp dụng: không phải hóa đơn điện tử.", "Not applicable: not an e-invoice.")
_NOT_INVOICE_SIGNATURE = (
    "Không áp dụng: chữ ký không thuộc hóa đơn.",
    "Not applicable: not a signature of the invoice.",
)


def _document(document: DocumentFacts) -> InvoiceDetails | None:
    details = document.details.get("einvoice")
    return details if isinstance(details, InvoiceDetails) else None


def _signature(ctx: SignatureContext) -> InvoiceSignatureDetails | None:
    details = ctx.facts.details.get("einvoice")
    return details if isinstance(details, InvoiceSignatureDetails) else None


def _of(findings: Iterable[Finding], *rule_ids: str) -> list[Finding]:
    return [f for f in findings if f.rule_id in rule_ids]


def _worst(findings: Iterable[Finding]) -> FindingStatus | None:
    statuses = [f.status for f in findings]
    return min(statuses, key=_ORDER.__getitem__) if statuses else None


def _en(findings: Iterable[Finding], status: FindingStatus | None = None) -> str:
    return "; ".join(f.message for f in findings if status is None or f.status is status)


@document_rule(
    "EINV-STRUCTURE",
    "Cấu trúc hóa đơn điện tử",
    "E-invoice structure",
    f"NĐ 123/2020/NĐ-CP Điều 10; TT 78/2021/TT-BTC; {_FORMAT}: HDon/DLHDon, DSCKS/NBan, NMua, CCKSKhac, CQT",
)
def invoice_structure(ctx: DocumentContext) -> Outcome:
    details = _document(ctx.document)
    if details is None:
        return not_applicable(*_NOT_INVOICE)
    if details.problem:
        return failed(
            f"Không đọc được cấu trúc hóa đơn điện tử (cần đúng một HDon có DLHDon): {details.problem}.",
            f"The e-invoice structure cannot be read (one HDon with a DLHDon is expected): {details.problem}.",
        )
    if details.misplaced:
        places = ", ".join(details.misplaced)
        return failed(
            f"Chữ ký ở {places} không nằm trong HDon/DSCKS/(NBan|NMua|CCKSKhac|CQT).",
            f"Signature at {places} is not in HDon/DSCKS/(NBan|NMua|CCKSKhac|CQT).",
        )
    roles = [r for r in details.roles if r is not None]
    notes_vi, notes_en = [], []
    if InvoiceRole.SELLER not in roles:
        notes_vi.append(
            "hóa đơn không có chữ ký của người bán (DSCKS/NBan), bắt buộc trừ các trường hợp "
            "tại NĐ 123/2020/NĐ-CP Điều 10 khoản 14"
        )
        notes_en.append(
            "no seller signature (DSCKS/NBan); it is mandatory except in the cases of "
            "ND 123/2020 Art. 10 cl. 14"
        )
    if details.outside:
        places = ", ".join(details.outside)
        notes_vi.append(f"chữ ký ngoài hóa đơn ({places}) không phải chữ ký của hóa đơn")
        notes_en.append(f"signature(s) outside the invoice ({places}) are not invoice signatures")
    if notes_en:
        return warning(
            "Cấu trúc hóa đơn: " + "; ".join(notes_vi) + ".",
            "Invoice structure: " + "; ".join(notes_en) + ".",
        )
    who_vi = ", ".join(_ROLE_VI[r] for r in roles)
    who_en = ", ".join(_ROLE_EN[r] for r in roles)
    return passed(
        f"Hóa đơn có dữ liệu DLHDon và {len(roles)} chữ ký đúng vị trí trong DSCKS: {who_vi}.",
        f"The invoice has its DLHDon data and {len(roles)} signature(s) in place in DSCKS: {who_en}.",
    )


@signature_rule(
    "EINV-REFS",
    "Phần dữ liệu được ký trên hóa đơn",
    "What the invoice signature references",
    f"{_FORMAT}: Reference đến #DLHDon@Id (enveloped-signature) và đến Object chứa SigningTime; vn-rules EINV-REFS, OBS-EINVOICE-ENVELOPED-OBJECT, OBS-EINVOICE-TRAITS",
)
def invoice_references(ctx: SignatureContext) -> Outcome:
    details = _signature(ctx)
    if details is None:
        return not_applicable(*_NOT_INVOICE_SIGNATURE)
    document = _document(ctx.document)
    shared = _of(document.findings, "EINV-REFS") if document else []
    findings = [*_of(details.findings, "EINV-REFS"), *shared]
    target = f"HDon/{details.target}"
    status = _worst(findings)
    notes_vi, notes_en = _reference_notes(details)
    if status is FindingStatus.FAILED:
        if details.data_reference is None:
            vi = f"Chữ ký không tham chiếu đến {target}: dữ liệu hóa đơn không được ký."
        elif not details.data_reference_is_target:
            vi = (
                f"Phần được ký ({details.data_reference}) không phải {target} mà phần mềm hóa đơn "
                "đọc: dấu hiệu tấn công bọc chữ ký (signature wrapping)."
            )
        else:
            vi = f"Tham chiếu của chữ ký không đúng quy định ({_en(findings, FindingStatus.FAILED)})."
        return failed(vi, _en(findings, FindingStatus.FAILED) + ".")
    if status is FindingStatus.WARNING:
        en = _en(findings, FindingStatus.WARNING)
        return warning(
            f"Chữ ký tham chiếu đến {target} nhưng khác mẫu thường dùng ({en}).{notes_vi}",
            f"The signature references {target}, but unlike the usual pattern: {en}.{notes_en}",
        )
    return passed(
        f"Chữ ký tham chiếu đến {target} (biến đổi enveloped-signature) và đến Object chứa "
        f"SigningTime của chính nó.{notes_vi}",
        f"The signature references {target} (enveloped-signature transform) and the Object "
        f"holding its SigningTime.{notes_en}",
    )


def _reference_notes(details: InvoiceSignatureDetails) -> tuple[str, str]:
    vi, en = "", ""
    if _of(details.findings, "OBS-EINVOICE-ENVELOPED-OBJECT"):
        vi += (
            " Ghi chú: tham chiếu đến Object chứa SigningTime có phép biến đổi "
            "enveloped-signature; giá trị băm được tính như .NET SignedXml "
            "(OBS-EINVOICE-ENVELOPED-OBJECT). Đây là đặc điểm đã biết của phần mềm hóa đơn, "
            "không phải dấu hiệu sửa đổi."
        )
        en += (
            " Note: the reference to the Object holding SigningTime has an enveloped-signature "
            "transform; its digest is computed as .NET SignedXml does "
            "(OBS-EINVOICE-ENVELOPED-OBJECT), a known trait of invoicing software, not tampering."
        )
    if _of(details.findings, "OBS-EINVOICE-TRAITS"):
        vi += " Ghi chú: SignatureProperty có Target rỗng (được chấp nhận, OBS-EINVOICE-TRAITS)."
        en += " Note: SignatureProperty has an empty Target (accepted, OBS-EINVOICE-TRAITS)."
    return vi, en


@signature_rule(
    "EINV-C14N",
    "Phương pháp chuẩn hóa XML",
    "XML canonicalization",
    f"{_FORMAT}: CanonicalizationMethod http://www.w3.org/TR/2001/REC-xml-c14n-20010315; vn-rules EINV-C14N",
)
def invoice_c14n(ctx: SignatureContext) -> Outcome:
    details = _signature(ctx)
    if details is None:
        return not_applicable(*_NOT_INVOICE_SIGNATURE)
    findings = _of(details.findings, "EINV-C14N")
    if _worst(findings) is FindingStatus.WARNING:
        return warning(
            f"Chữ ký không dùng C14N 1.0 bao hàm như hóa đơn điện tử ({_en(findings)}).",
            f"The signature does not use the inclusive C14N 1.0 of e-invoices: {_en(findings)}.",
        )
    return passed(
        "Chuẩn hóa XML bằng C14N 1.0 bao hàm (REC-xml-c14n-20010315).",
        "Canonicalized with inclusive C14N 1.0 (REC-xml-c14n-20010315).",
    )


@signature_rule(
    "EINV-SIGNINGTIME",
    "Thời điểm ký trên hóa đơn",
    "Invoice signing time",
    f"TT 78/2021/TT-BTC; {_FORMAT}: SignatureProperty/SigningTime; NĐ 130/2018/NĐ-CP Điều 9 (ký khi chứng thư số còn hiệu lực); vn-rules EINV-SIGNINGTIME",
)
def invoice_signing_time(ctx: SignatureContext) -> Outcome:
    details = _signature(ctx)
    if details is None:
        return not_applicable(*_NOT_INVOICE_SIGNATURE)
    findings = _of(details.findings, "EINV-SIGNINGTIME")
    status = _worst(findings)
    text, value = details.signing_time_text, details.signing_time
    if text is None:
        return failed(
            "Chữ ký không ghi thời điểm ký (SigningTime).", "The signature has no SigningTime."
        )
    if value is None:
        return failed(f"Không đọc được SigningTime {text!r}.", f"Unreadable SigningTime {text!r}.")
    if status is FindingStatus.FAILED:
        cert = ctx.facts.signer_certificate
        period = (
            f"{when(cert.not_valid_before_utc)} – {when(cert.not_valid_after_utc)}" if cert else "?"
        )
        return failed(
            f"Thời điểm ký khai báo {when(value)} nằm ngoài thời hạn hiệu lực của chứng thư số ({period}).",
            f"The claimed signing time {when(value)} is outside the certificate's validity ({period}).",
        )
    note_vi = note_en = ""
    if any(f.status is FindingStatus.INFO for f in findings):
        note_vi = f" SigningTime {text!r} không theo dạng yyyy-MM-ddTHH:mm:ss giờ Việt Nam; được đọc là {when(value)}."
        note_en = (
            f" SigningTime {text!r} is not yyyy-MM-ddTHH:mm:ss Vietnam time; read as {when(value)}."
        )
    if status is FindingStatus.WARNING:
        return warning(
            f"SigningTime {when(value)} không được chữ ký bao phủ, nên có thể bị sửa mà không bị phát hiện.{note_vi}",
            f"SigningTime {when(value)} is not covered by the signature and could be changed unnoticed.{note_en}",
        )
    return passed(
        f"Thời điểm ký khai báo {when(value)} được ký và nằm trong thời hạn hiệu lực của chứng thư số.{note_vi}",
        f"The claimed signing time {when(value)} is signed and within the certificate's validity.{note_en}",
    )


@signature_rule(
    "EINV-ALGS",
    "Thuật toán của chữ ký hóa đơn",
    "Invoice signature algorithms",
    f"{_FORMAT}: rsa-sha256, xmlenc#sha256; TT 15/2025/TT-BKHCN Phụ lục I; vn-rules EINV-ALGS, OBS-SHA1-LEGACY",
)
def invoice_algorithms(ctx: SignatureContext) -> Outcome:
    details = _signature(ctx)
    if details is None:
        return not_applicable(*_NOT_INVOICE_SIGNATURE)
    algorithm = ctx.facts.signature_algorithm or ctx.facts.digest_algorithm or "?"
    if _worst(_of(details.findings, "EINV-ALGS")) is FindingStatus.WARNING:
        return warning(
            f"Chữ ký dùng SHA-1 ({algorithm}): chỉ gặp ở hóa đơn cũ (OBS-SHA1-LEGACY); TT 15/2025/TT-BKHCN "
            "không cho phép SHA-1 với chữ ký mới.",
            f"The signature uses SHA-1 ({algorithm}): legacy invoices only (OBS-SHA1-LEGACY); "
            "TT 15/2025 does not allow SHA-1 for new signatures.",
        )
    return passed(f"Thuật toán SHA-2: {algorithm}.", f"SHA-2 algorithms: {algorithm}.")


@signature_rule(
    "EINV-KEYINFO",
    "Thông tin khóa (KeyInfo) của chữ ký hóa đơn",
    "Invoice signature KeyInfo",
    f"{_FORMAT}: KeyInfo/X509Data (X509SubjectName, X509Certificate); vn-rules EINV-KEYINFO",
)
def invoice_key_info(ctx: SignatureContext) -> Outcome:
    details = _signature(ctx)
    if details is None:
        return not_applicable(*_NOT_INVOICE_SIGNATURE)
    findings = _of(details.findings, "EINV-KEYINFO")
    status = _worst(findings)
    if status is FindingStatus.FAILED:
        return failed(
            "KeyInfo không chứa chứng thư số xác minh được chữ ký.",
            f"KeyInfo carries no certificate that verifies the signature ({_en(findings, FindingStatus.FAILED)}).",
        )
    if status is FindingStatus.WARNING:
        en = _en(findings, FindingStatus.WARNING)
        if not details.subject_names:
            vi = "KeyInfo có chứng thư số của người ký nhưng không có X509SubjectName."
        else:
            vi = (
                "X509SubjectName trong KeyInfo không khớp với chủ thể của chứng thư số (KeyInfo không "
                f"được ký; cổng của cơ quan thuế so sánh chuỗi này) ({en})."
            )
        return warning(vi, f"KeyInfo: {en}.")
    return passed(
        "KeyInfo chứa chứng thư số của người ký; X509SubjectName khớp với chứng thư.",
        "KeyInfo carries the signer certificate; X509SubjectName matches it.",
    )


@signature_rule(
    "EINV-MST-MATCH",
    "MST người bán và chứng thư số",
    "Seller tax code and certificate",
    "NĐ 123/2020/NĐ-CP Điều 10 (chữ ký số của người bán); TT 78/2021/TT-BTC; vn-rules EINV-MST-MATCH, SUBJ-UID",
)
def seller_tax_code(ctx: SignatureContext) -> Outcome:
    details = _signature(ctx)
    if details is None or details.role is not InvoiceRole.SELLER:
        return not_applicable(
            "Không áp dụng: không phải chữ ký người bán.",
            "Not applicable: not the seller's signature.",
        )
    findings = _of(details.findings, "EINV-MST-MATCH")
    status = _worst(findings)
    invoice, certificate = details.invoice_mst, details.certificate_mst
    if status is FindingStatus.NOT_APPLICABLE or status is None:
        return not_applicable(
            "Dữ liệu hóa đơn không xác minh được nên không so sánh MST.",
            "The invoice data did not verify, so its NBan/MST is not compared.",
        )
    if status is FindingStatus.FAILED:
        if not invoice:
            vi = "Dữ liệu hóa đơn đã ký không có MST người bán (NBan/MST)."
        elif not certificate:
            vi = (
                f"Chứng thư số của người bán không có MST; người bán trên hóa đơn có MST {invoice}."
            )
        else:
            vi = f"MST trong chứng thư số ({certificate}) không phải MST người bán trên hóa đơn ({invoice})."
        return failed(vi, _en(findings, FindingStatus.FAILED) + ".")
    if status is FindingStatus.WARNING:
        return warning(
            f"MST trong chứng thư số ({certificate}) và MST người bán ({invoice}) cùng doanh nghiệp "
            "nhưng khác đơn vị (mã chi nhánh).",
            _en(findings, FindingStatus.WARNING) + ".",
        )
    return passed(
        f"MST trong chứng thư số trùng với MST người bán trên hóa đơn ({invoice}).",
        f"The certificate's MST is the seller's NBan/MST ({invoice}).",
    )


@signature_rule(
    "EINV-TAX-CERT",
    "Chứng thư số của cơ quan thuế",
    "Tax authority certificate",
    "NĐ 123/2020/NĐ-CP (hóa đơn có mã của cơ quan thuế, MCCQT); NĐ 68/2024/NĐ-CP (chữ ký số chuyên dùng công vụ); vn-rules EINV-TAX-CERT, ROOT-VGCA",
)
def tax_authority_certificate(ctx: SignatureContext) -> Outcome:
    details = _signature(ctx)
    if details is None or details.role is not InvoiceRole.TAX_AUTHORITY:
        return not_applicable(
            "Không áp dụng: không phải chữ ký của cơ quan thuế.",
            "Not applicable: not the tax authority's signature.",
        )
    findings = _of(details.findings, "EINV-TAX-CERT")
    if _worst(findings) is FindingStatus.FAILED:
        return failed(
            f"Chứng thư số ở vị trí chữ ký cơ quan thuế (CQT) không dùng được ({_en(findings)}).",
            _en(findings) + ".",
        )
    validation = ctx.certificate
    if validation is None or validation.anchor is None:
        return warning(
            "Chưa xác định được chuỗi chứng thư của cơ quan thuế đến Root CA chuyên dùng Chính phủ.",
            "The tax authority's certificate could not be chained to the Government root CA.",
        )
    root = validation.path[-1].subject.rfc4514_string()
    if validation.regime is Regime.OFFICIAL_DUTY:
        return passed(
            f"Chứng thư số của cơ quan thuế thuộc hệ thống chứng thực chuyên dùng Chính phủ ({root}).",
            f"The tax authority's certificate chains to the Government CA ({root}).",
        )
    if validation.regime is Regime.UNKNOWN:
        return warning(
            f"Chứng thư số của cơ quan thuế được tin cậy theo cấu hình cục bộ ({root}), không xác định "
            "được là chứng thư chuyên dùng Chính phủ.",
            f"The tax authority's certificate is trusted through a locally configured anchor ({root}), "
            "not known to be the Government CA.",
        )
    return failed(
        f"Chữ ký ở vị trí cơ quan thuế (CQT) nhưng chứng thư số không do hệ thống chứng thực chuyên dùng "
        f"Chính phủ cấp ({root}).",
        f"A signature in the tax authority's place (CQT) whose certificate does not chain to the "
        f"Government CA ({root}).",
    )
