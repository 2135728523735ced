"""Legal conditions beyond technical validity: who the signer is (SUBJ-*)."""

from __future__ import annotations

from vnsign.pki.identity import Regime, SubjectKind
from vnsign.verify.facts import SignatureKind
from vnsign.verify.rules.base import (
    Outcome,
    SignatureContext,
    not_applicable,
    passed,
    signature_rule,
    warning,
)

_KIND_VI = {
    SubjectKind.PERSON: "cá nhân",
    SubjectKind.ORGANIZATION: "tổ chức",
    SubjectKind.GOVERNMENT_OFFICIAL: "cán bộ, công chức (chứng thư công vụ)",
    SubjectKind.GOVERNMENT_AGENCY: "cơ quan nhà nước (chứng thư công vụ)",
    SubjectKind.CERTIFICATION_AUTHORITY: "tổ chức chứng thực",
    SubjectKind.UNKNOWN: "chưa xác định",
}


@signature_rule(
    "SUBJ-UID",
    "Định danh người ký",
    "Signer identity",
    "NĐ 23/2025/NĐ-CP Điều 5–6 (tên và mã định danh trong chứng thư); vn-rules SUBJ-UID, SUBJ-VGCA",
)
def signer_identity(ctx: SignatureContext) -> Outcome:
    cert = ctx.certificate
    if cert is None or ctx.facts.kind is SignatureKind.DOCUMENT_TIMESTAMP:
        return not_applicable()
    info = cert.info
    ids = ", ".join(f"{i.scheme or 'UID'} {i.value}" for i in info.identifiers)
    who_vi = f"{info.display_name} ({_KIND_VI[info.kind]})"
    who_en = f"{info.display_name} ({info.kind.value.replace('-', ' ')})"
    if info.identifiers:
        odd = [str(i) for i in info.identifiers if not i.well_formed]
        if odd:
            return warning(
                f"Người ký: {who_vi}; mã định danh có định dạng bất thường: {', '.join(odd)}.",
                f"Signer: {who_en}; identifier with an unusual shape: {', '.join(odd)}.",
            )
        return passed(f"Người ký: {who_vi}, {ids}.", f"Signer: {who_en}, {ids}.")
    if cert.regime is Regime.OFFICIAL_DUTY or info.kind in {
        SubjectKind.GOVERNMENT_OFFICIAL,
        SubjectKind.GOVERNMENT_AGENCY,
    }:
        unit = ", ".join(x for x in (*info.organizational_units, info.organization) if x)
        return passed(f"Người ký: {who_vi}, {unit}.", f"Signer: {who_en}, {unit}.")
    return warning(
        f"Người ký: {who_vi}; chứng thư số không có mã định danh (MST, CCCD, CMND) trong thuộc tính UID.",
        f"Signer: {who_en}; the certificate carries no identifier (MST, CCCD, CMND) in its UID attribute.",
    )
