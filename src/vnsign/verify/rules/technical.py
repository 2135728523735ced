"""Technical validity (ETSI EN 319 102-1) and the legal conditions it carries in
Vietnamese law: integrity, coverage, changes after signing, algorithms, trust
path, validity and revocation at signing time, key usage, signing time, time stamps.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from vnsign.pki.identity import Regime
from vnsign.pki.status import Indication, SubIndication
from vnsign.verify.facts import (
    Coverage,
    DocumentFormat,
    ModificationKind,
    SignatureFacts,
    SignatureKind,
)
from vnsign.verify.report import VIETNAM, TimeSource
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

_MODIFICATION_VI = {
    ModificationKind.NONE: "không thay đổi",
    ModificationKind.VALIDATION_DATA: "bổ sung dữ liệu xác thực hoặc dấu thời gian tài liệu",
    ModificationKind.SIGNING: "bổ sung các chữ ký sau",
    ModificationKind.FORM_FILLING: "điền biểu mẫu",
    ModificationKind.ANNOTATIONS: "thêm hoặc sửa chú thích",
    ModificationKind.OTHER: "thay đổi nội dung",
}
#: Formats whose signatures are XML signatures (coverage by element, not byte range).
_XML_FORMATS = frozenset({DocumentFormat.XML, DocumentFormat.EINVOICE, DocumentFormat.EDXML})
_REGIME_VI = {
    Regime.PUBLIC: "chữ ký số công cộng",
    Regime.OFFICIAL_DUTY: "chữ ký số chuyên dùng công vụ",
    Regime.FOREIGN: "chứng thư số nước ngoài được công nhận theo cấu hình",
    Regime.UNKNOWN: "không xác định",
}
_REGIME_EN = {
    Regime.PUBLIC: "public digital signature",
    Regime.OFFICIAL_DUTY: "official-duty digital signature",
    Regime.FOREIGN: "foreign certificate recognised by configuration",
    Regime.UNKNOWN: "unknown regime",
}


def when(moment: datetime | None) -> str:
    """A time as ISO 8601 with the Vietnamese offset."""
    return moment.astimezone(VIETNAM).isoformat(timespec="seconds") if moment else "?"


def _time_source(ctx: SignatureContext) -> tuple[str, str]:
    if ctx.time_source is TimeSource.TIMESTAMP:
        return "theo dấu thời gian", "per the time stamp"
    if ctx.time_source is TimeSource.CLAIMED:
        return "theo thời điểm người ký khai báo", "as claimed by the signer"
    return (
        "thời điểm xác minh, vì chữ ký không ghi thời điểm ký",
        "at verification time: the signature states no time",
    )


@document_rule(
    "TECH-SIGNED",
    "Có chữ ký số",
    "The document is signed",
    "Luật GDĐT 20/2023 Điều 22",
)
def has_signatures(ctx: DocumentContext) -> Outcome:
    count = sum(
        1 for s in ctx.document.signatures if s.kind is not SignatureKind.DOCUMENT_TIMESTAMP
    )
    if count == 0:
        # A package (edXML) need not be signed itself when the files it carries are:
        # they are verified one by one and the package is no better than the worst.
        carried = sum(1 for a in ctx.attachments if a.signatures)
        if carried:
            return passed(
                f"Gói tin không được ký; {carried} tệp đính kèm có chữ ký số.",
                f"The package itself is not signed; {carried} attached file(s) are.",
            )
        return failed(
            "Tài liệu không có chữ ký số nào.", "The document carries no digital signature."
        )
    return passed(
        f"Tài liệu có {count} chữ ký số.", f"The document carries {count} digital signature(s)."
    )


@signature_rule(
    "TECH-FORMAT",
    "Định dạng chữ ký",
    "Signature format",
    "ETSI EN 319 102-1 §5.1.3 (FORMAT_FAILURE)",
)
def signature_format(ctx: SignatureContext) -> Outcome:
    problem = ctx.facts.format_problem
    if problem:
        return failed(
            f"Không đọc được chữ ký: {problem}.", f"The signature cannot be read: {problem}."
        )
    return passed("Cấu trúc chữ ký đọc được đầy đủ.", "The signature structure is readable.")


@signature_rule(
    "TECH-HASH",
    "Toàn vẹn dữ liệu",
    "Integrity of the signed data",
    "Luật GDĐT 20/2023 Điều 22.3(d); TT 15/2025/TT-BKHCN Điều 6",
)
def integrity(ctx: SignatureContext) -> Outcome:
    facts = ctx.facts
    if facts.format_problem:
        return not_applicable(
            "Không kiểm tra được vì chữ ký không đọc được.",
            "Not checkable: the signature is unreadable.",
        )
    if facts.intact is False:
        detail = facts.integrity_problem
        return failed(
            "Dữ liệu đã bị thay đổi sau khi ký: giá trị băm của dữ liệu không khớp với giá trị đã ký.",
            f"The signed data was changed after signing ({detail}).",
        )
    if facts.intact is None:
        detail = facts.integrity_problem or "no digest to compare"
        return warning(
            f"Không kiểm tra được tính toàn vẹn: {detail}.",
            f"Integrity could not be checked: {detail}.",
        )
    return passed(
        "Dữ liệu được ký còn nguyên vẹn: giá trị băm khớp.",
        "The signed data is intact: the digest matches.",
    )


@signature_rule(
    "TECH-SIG",
    "Giá trị chữ ký",
    "Signature value",
    "TT 15/2025/TT-BKHCN Điều 6 (chữ ký được tạo bởi khóa bí mật tương ứng với chứng thư số)",
)
def signature_value(ctx: SignatureContext) -> Outcome:
    facts = ctx.facts
    if facts.signature_valid is False:
        return failed(
            "Giá trị chữ ký không khớp với khóa công khai trong chứng thư số.",
            "The signature value does not verify with the public key in the certificate.",
        )
    if facts.signature_valid is None:
        return not_applicable(
            "Không kiểm tra được giá trị chữ ký.", "The signature value could not be checked."
        )
    return passed(
        "Chữ ký được tạo bằng khóa bí mật tương ứng với chứng thư số.",
        "The signature was made with the private key matching the certificate.",
    )


@signature_rule(
    "TECH-COVERAGE",
    "Phạm vi được ký",
    "What the signature covers",
    "ISO 32000-2 §12.8.1 (ByteRange); W3C XMLDSig 1.1 §8.1.1 (Only What is Signed is Secure); "
    "Luật GDĐT 20/2023 Điều 22.3(d)",
)
def coverage(ctx: SignatureContext) -> Outcome:
    facts = ctx.facts
    if ctx.document.format in _XML_FORMATS:
        return _xml_coverage(facts)
    if ctx.document.format is not DocumentFormat.PDF:
        return not_applicable()
    if facts.coverage is Coverage.ENTIRE_FILE:
        return passed("Chữ ký bao phủ toàn bộ tệp.", "The signature covers the whole file.")
    if facts.coverage is Coverage.ENTIRE_REVISION:
        return passed(
            "Chữ ký bao phủ toàn bộ phiên bản tài liệu tại thời điểm ký; các cập nhật sau được kiểm tra riêng.",
            "The signature covers the whole document as it was when signed; later updates are checked separately.",
        )
    detail = facts.integrity_problem or "byte range with gaps"
    return failed(
        f"Chữ ký không bao phủ toàn bộ tài liệu, có phần dữ liệu không được ký ({detail}).",
        f"The signature does not cover the whole document: some data is not signed ({detail}).",
    )


def _xml_coverage(facts: SignatureFacts) -> Outcome:
    """An XML signature covers the document when every element of it lies in an
    element a reference verified (the adapter decides, per format, what the
    document is: for an e-invoice signature, what its role signs); the message
    names what is signed and the first part that is not."""
    if facts.format_problem:
        return not_applicable(
            "Không kiểm tra được vì chữ ký không đọc được.",
            "Not checkable: the signature is unreadable.",
        )
    paths = facts.details.get("signed")
    signed = ", ".join(str(p) for p in paths) if isinstance(paths, tuple) and paths else "-"
    unsigned = str(facts.details.get("unsigned") or "?")
    if "einvoice" in facts.details:
        scope_vi, scope_en = "phần hóa đơn mà chữ ký này phải ký", "the invoice it must sign"
    else:
        scope_vi, scope_en = "tài liệu", "the document"
    if facts.coverage is Coverage.ENTIRE_FILE:
        return passed(
            f"Chữ ký bao phủ toàn bộ {scope_vi} (phần được ký: {signed}).",
            f"The signature covers all of {scope_en} (signed: {signed}).",
        )
    if facts.coverage is Coverage.PARTIAL and signed != "-":
        return failed(
            f"Chữ ký chỉ bao phủ một phần {scope_vi}: phần được ký là {signed}; {unsigned} "
            "không được ký.",
            f"The signature covers only part of {scope_en}: it signs {signed}; {unsigned} is "
            "not signed.",
        )
    if facts.coverage is Coverage.PARTIAL:
        return failed(
            f"Chữ ký không ký nội dung nào của {scope_vi}; {unsigned} không được ký.",
            f"The signature signs none of {scope_en}; {unsigned} is not signed.",
        )
    return not_applicable(
        "Không xác định được phạm vi được ký: không tham chiếu nào được tính giá trị băm.",
        "What the signature covers is unknown: no reference could be digested.",
    )


@signature_rule(
    "TECH-MODIFIED",
    "Thay đổi sau khi ký",
    "Changes after signing",
    "Luật GDĐT 20/2023 Điều 22.3(d); ISO 32000-2 §12.8.2 (DocMDP, FieldMDP)",
)
def modifications(ctx: SignatureContext) -> Outcome:
    changes = ctx.facts.modifications
    if not changes and ctx.facts.coverage is Coverage.UNKNOWN and ctx.facts.integrity_problem:
        return warning(
            "Không xác định được các thay đổi sau khi ký: cấu trúc tệp không đọc được.",
            "Changes after signing cannot be established: the file's structure cannot be "
            f"read ({ctx.facts.integrity_problem}).",
        )
    if not changes:
        return passed("Không có thay đổi nào sau khi ký.", "Nothing was changed after signing.")
    vi = "; ".join(_MODIFICATION_VI[m.kind] for m in changes)
    en = "; ".join(m.description for m in changes)
    if all(m.permitted for m in changes):
        return passed(
            f"Sau khi ký chỉ có thay đổi được phép: {vi}.",
            f"Only permitted changes after signing: {en}.",
        )
    return failed(
        f"Tài liệu đã bị thay đổi sau khi ký và thay đổi đó không được phép: {vi} ({en}).",
        f"The document was changed after signing in a way that is not permitted: {en}.",
    )


@signature_rule(
    "STD-TT15-CRYPTO",
    "Thuật toán mật mã",
    "Cryptographic algorithms",
    "TT 15/2025/TT-BKHCN Phụ lục I §1 (RSA ≥ 2048, ECDSA ≥ 256, SHA-2/SHA-3)",
)
def algorithms(ctx: SignatureContext) -> Outcome:
    facts = ctx.facts
    at = ctx.signing_time or ctx.now
    policy = ctx.policy.algorithms
    problems_vi, problems_en, notes = [], [], []
    if facts.digest_algorithm:
        verdict = policy.digest(facts.digest_algorithm, at)
        if not verdict.acceptable:
            problems_vi.append(f"hàm băm {facts.digest_algorithm} không được phép tại thời điểm ký")
            problems_en.append(verdict.reason)
        elif verdict.warning:
            notes.append(verdict.reason)
    cert = ctx.certificate
    if cert is not None and cert.sub_indication is SubIndication.CRYPTO_CONSTRAINTS_FAILURE:
        problems_vi.append(
            "chứng thư số hoặc chuỗi chứng thư dùng thuật toán hoặc khóa không được phép"
        )
        problems_en.append(cert.message)
    if cert is not None:
        notes.extend(w for w in cert.warnings if "tolerated" in w)
    if problems_en:
        return failed(
            f"Thuật toán không đạt yêu cầu tại {when(at)}: {'; '.join(problems_vi)}.",
            f"Algorithms not acceptable at {when(at)}: {'; '.join(problems_en)}.",
        )
    algorithm = facts.signature_algorithm or facts.digest_algorithm or "?"
    if notes:
        return warning(
            f"Thuật toán cũ ({algorithm}) chỉ được chấp nhận vì chữ ký được tạo trước ngày "
            f"{policy.cutoff:%d/%m/%Y}: {'; '.join(notes)}.",
            f"Legacy algorithm ({algorithm}) accepted only because the signature predates "
            f"{policy.cutoff:%Y-%m-%d}: {'; '.join(notes)}.",
        )
    return passed(
        f"Thuật toán đạt yêu cầu: {algorithm}.", f"Algorithms meet the requirements: {algorithm}."
    )


@signature_rule(
    "TT15-TRUST-PATH",
    "Đường dẫn tin cậy",
    "Trust path",
    "TT 15/2025/TT-BKHCN Điều 5.2; NĐ 68/2024/NĐ-CP Điều 32",
)
def trust_path(ctx: SignatureContext) -> Outcome:
    cert = ctx.certificate
    if cert is None:
        return not_applicable("Không có chứng thư số của người ký.", "No signer certificate.")
    if cert.anchor is None:
        if cert.sub_indication is SubIndication.NO_CERTIFICATE_CHAIN_FOUND:
            return warning(
                "Không tìm thấy đường dẫn tin cậy đến Root CA quốc gia hay Root CA chuyên dùng Chính phủ: "
                "chứng thư số do tổ chức không được tin cậy cấp.",
                "No trust path to the Vietnam National Root CA or the Government root: the issuer is not trusted. "
                f"({cert.message})",
            )
        return warning(
            f"Không xác định được đường dẫn tin cậy: {cert.message}.",
            f"The trust path could not be established: {cert.message}.",
        )
    root = cert.path[-1]
    root_name = root.subject.rfc4514_string()
    regime = cert.regime
    if regime is Regime.UNKNOWN:
        return warning(
            f"Chứng thư số được tin cậy theo cấu hình cục bộ ({root_name}), không phải Root CA của Việt Nam.",
            f"Trusted through a locally configured anchor ({root_name}), not a Vietnamese root.",
        )
    return passed(
        f"Chuỗi chứng thư đến {root_name} ({_REGIME_VI[regime]}).",
        f"Chain to {root_name} ({_REGIME_EN[regime]}).",
    )


@signature_rule(
    "ND68-CERT-VALID",
    "Hiệu lực chứng thư số tại thời điểm ký",
    "Certificate validity at signing time",
    "NĐ 68/2024/NĐ-CP Điều 31; NĐ 130/2018/NĐ-CP Điều 9; TT 15/2025/TT-BKHCN Phụ lục II",
)
def validity(ctx: SignatureContext) -> Outcome:
    cert = ctx.certificate
    if cert is None:
        return not_applicable("Không có chứng thư số của người ký.", "No signer certificate.")
    source_vi, source_en = _time_source(ctx)
    sub = ctx.sub_indication if ctx.indication is not Indication.TOTAL_PASSED else None
    if sub in {SubIndication.OUT_OF_BOUNDS_NO_POE, SubIndication.EXPIRED}:
        proven = (
            ctx.time_source is TimeSource.TIMESTAMP
            and cert.sub_indication is SubIndication.OUT_OF_BOUNDS_NO_POE
        )
        if proven:
            return failed(
                f"Chứng thư số đã hết hiệu lực trước thời điểm ký {when(ctx.signing_time)} ({source_vi}).",
                f"The certificate had expired before the signing time {when(ctx.signing_time)} ({source_en}).",
            )
        return warning(
            "Chứng thư số (hoặc chứng thư CA) nay đã hết hạn và chữ ký không có dấu thời gian, nên không chứng "
            "minh được chữ ký được tạo khi chứng thư còn hiệu lực. Một dấu thời gian lúc ký đã giữ được giá trị "
            f"của chữ ký. ({cert.message})",
            "The certificate (or a CA certificate) has expired and the signature has no time stamp, so nothing "
            "proves it was made while the certificate was valid; a time stamp at signing would have preserved it. "
            f"({cert.message})",
        )
    if cert.sub_indication is SubIndication.NOT_YET_VALID:
        outcome = failed if ctx.time_source is TimeSource.TIMESTAMP else warning
        return outcome(
            f"Chứng thư số chưa có hiệu lực tại thời điểm ký {when(ctx.signing_time)} ({source_vi}).",
            f"The certificate was not yet valid at the signing time {when(ctx.signing_time)} ({source_en}).",
        )
    if cert.sub_indication in {
        SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
        SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE,
    }:
        return warning(
            "Không kiểm tra được hiệu lực vì không xây dựng được chuỗi chứng thư tin cậy.",
            "Validity could not be checked: no trusted chain.",
        )
    return passed(
        f"Chứng thư số và các chứng thư CA còn hiệu lực tại thời điểm ký {when(ctx.signing_time)} ({source_vi}).",
        f"The certificate and its CA certificates were valid at the signing time {when(ctx.signing_time)} "
        f"({source_en}).",
    )


@signature_rule(
    "ND23-VALID-CERT",
    "Trạng thái thu hồi, tạm dừng",
    "Revocation and suspension",
    "NĐ 23/2025/NĐ-CP Điều 3.3; NĐ 68/2024/NĐ-CP Điều 31.2; TT 15/2025/TT-BKHCN Phụ lục II",
)
def revocation(ctx: SignatureContext) -> Outcome:
    cert = ctx.certificate
    if cert is None or cert.anchor is None:
        return not_applicable(
            "Không kiểm tra (không có chuỗi chứng thư tin cậy).", "Not checked (no trusted chain)."
        )
    sources = ", ".join(sorted({f.source for f in cert.revocation if f.source})) or "-"
    if cert.sub_indication is SubIndication.REVOKED:
        return failed(
            f"Chứng thư số đã bị thu hồi hoặc tạm dừng trước thời điểm ký. ({cert.message})",
            f"The certificate was revoked or suspended before the signing time. ({cert.message})",
        )
    if cert.sub_indication is SubIndication.REVOKED_CA_NO_POE:
        return warning(
            f"Chứng thư của CA cấp phát đã bị thu hồi. ({cert.message})",
            f"A CA certificate in the chain was revoked. ({cert.message})",
        )
    if cert.sub_indication is SubIndication.TRY_LATER:
        return warning(
            f"Không xác định được trạng thái thu hồi (CRL/OCSP): {cert.message}. Cần kiểm tra lại khi có mạng "
            "hoặc cung cấp CRL/OCSP.",
            f"The revocation status is unknown: {cert.message}. Check again online or supply CRL/OCSP data.",
        )
    if cert.revoked_later is not None:
        if ctx.time_source is TimeSource.TIMESTAMP:
            return passed(
                f"Chứng thư số bị thu hồi ngày {when(cert.revoked_later)}, sau thời điểm ký đã được dấu thời gian "
                "chứng minh.",
                f"The certificate was revoked on {when(cert.revoked_later)}, after the time-stamped signing time.",
            )
        return warning(
            f"Chứng thư số bị thu hồi ngày {when(cert.revoked_later)}. Thời điểm ký chỉ do người ký khai báo, "
            "không có dấu thời gian, nên không chứng minh được chữ ký có trước ngày thu hồi.",
            f"The certificate was revoked on {when(cert.revoked_later)}. The signing time is only claimed, with no "
            "time stamp, so nothing proves the signature predates the revocation.",
        )
    if not cert.valid:
        return not_applicable("Không kiểm tra được.", f"Not checked: {cert.message}")
    return passed(
        f"Chứng thư số chưa bị thu hồi hay tạm dừng tại thời điểm ký (nguồn: {sources}).",
        f"The certificate was neither revoked nor suspended at the signing time (source: {sources}).",
    )


@signature_rule(
    "TECH-KEY-USAGE",
    "Mục đích sử dụng khóa",
    "Key usage",
    "TT 15/2025/TT-BKHCN Phụ lục II (mục đích sử dụng); RFC 5280 §4.2.1.3, §4.2.1.12",
)
def key_usage(ctx: SignatureContext) -> Outcome:
    cert = ctx.certificate
    if cert is None:
        return not_applicable("Không có chứng thư số của người ký.", "No signer certificate.")
    if cert.sub_indication is SubIndication.CHAIN_CONSTRAINTS_FAILURE:
        return failed(
            f"Chứng thư số không dùng để ký số: {cert.message}.",
            f"The certificate is not meant for this signature: {cert.message}.",
        )
    return passed(
        "Chứng thư số được phép dùng để ký số.", "The certificate may be used for signing."
    )


@signature_rule(
    "TECH-SIGNING-TIME",
    "Thời điểm ký",
    "Signing time",
    "TT 15/2025/TT-BKHCN Điều 6 (thời điểm ký hoặc dấu thời gian); vn-rules OBS-SIGNINGTIME-TZ",
)
def signing_time(ctx: SignatureContext) -> Outcome:
    if ctx.facts.kind is SignatureKind.DOCUMENT_TIMESTAMP:
        return not_applicable()
    claimed = ctx.facts.claimed_time
    if ctx.time_source is TimeSource.TIMESTAMP:
        note_vi = note_en = ""
        if claimed is not None and ctx.signing_time is not None:
            gap = claimed - ctx.signing_time
            if abs(gap - timedelta(hours=7)) < timedelta(minutes=20):
                note_vi = (
                    " Thời điểm khai báo lệch đúng 7 giờ: phần mềm ký ghi giờ Việt Nam nhưng gắn nhãn UTC "
                    "(đây không phải dấu hiệu giả mạo)."
                )
                note_en = (
                    " The claimed time is 7 hours off: the signing software wrote Vietnamese time labelled as UTC "
                    "(not a sign of tampering)."
                )
            elif abs(gap) > timedelta(minutes=15):
                note_vi = f" Thời điểm người ký khai báo ({when(claimed)}) khác dấu thời gian."
                note_en = (
                    f" The signer's claimed time ({when(claimed)}) differs from the time stamp."
                )
        return passed(
            f"Thời điểm ký được xác định bằng dấu thời gian: {when(ctx.signing_time)}.{note_vi}",
            f"The signing time is proven by a time stamp: {when(ctx.signing_time)}.{note_en}",
        )
    if ctx.time_source is TimeSource.CLAIMED:
        return warning(
            f"Thời điểm ký {when(ctx.signing_time)} chỉ do người ký khai báo ({ctx.facts.claimed_time_source}); "
            "chữ ký không có dấu thời gian.",
            f"The signing time {when(ctx.signing_time)} is only claimed by the signer "
            f"({ctx.facts.claimed_time_source}); there is no time stamp.",
        )
    return warning(
        "Chữ ký không ghi thời điểm ký; các kiểm tra dùng thời điểm xác minh.",
        "The signature states no signing time; checks use the verification time.",
    )


@signature_rule(
    "LGDDT-TSA",
    "Dấu thời gian",
    "Time stamp",
    "Luật GDĐT 20/2023 Điều 31; RFC 3161",
)
def time_stamps(ctx: SignatureContext) -> Outcome:
    if not ctx.timestamps:
        return not_applicable("Chữ ký không có dấu thời gian.", "The signature has no time stamp.")
    for check in ctx.timestamps:
        stamp = check.facts
        if not (stamp.intact and stamp.signature_valid):
            problem = stamp.problem or "the token is damaged"
            return failed(
                f"Dấu thời gian không hợp lệ: {problem}.",
                f"The time stamp is not valid: {problem}.",
            )
        if check.tsa is None or not check.tsa.valid:
            detail = check.tsa.message if check.tsa else "no TSA certificate"
            return warning(
                f"Dấu thời gian khớp với chữ ký nhưng chứng thư của đơn vị cấp dấu thời gian chưa được xác nhận: {detail}.",
                f"The time stamp matches the signature but its TSA certificate is not confirmed: {detail}.",
            )
    first = ctx.timestamps[0]
    tsa = first.tsa.info.display_name if first.tsa else "?"
    return passed(
        f"Dấu thời gian hợp lệ, do {tsa} cấp lúc {when(first.facts.gen_time)}.",
        f"Valid time stamp issued by {tsa} at {when(first.facts.gen_time)}.",
    )
