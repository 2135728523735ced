"""One line saying who a certificate belongs to, for the commands that list them."""

from __future__ import annotations

from vnsign.pki.identity import CertificateInfo, SubjectKind

__all__ = ["KIND_NAMES", "describe", "details"]

KIND_NAMES = {
    SubjectKind.PERSON: "person",
    SubjectKind.ORGANIZATION: "organisation",
    SubjectKind.GOVERNMENT_OFFICIAL: "government official",
    SubjectKind.GOVERNMENT_AGENCY: "government agency",
    SubjectKind.CERTIFICATION_AUTHORITY: "certification authority",
    SubjectKind.UNKNOWN: "subject of unknown kind",
}


def describe(info: CertificateInfo) -> str:
    """``Name: kind (title, unit, organisation) · MST 0123456789 · mail``."""
    return f"{info.display_name}: {details(info)}"


def details(info: CertificateInfo) -> str:
    """``kind (title, unit, organisation) · MST 0123456789 · mail``."""
    what = KIND_NAMES[info.kind]
    where = ", ".join(x for x in (info.title, *info.organizational_units, info.organization) if x)
    if where and info.organization != info.common_name:
        what += f" ({where})"
    ids = [f"{i.scheme or 'UID'} {i.value}" for i in info.identifiers]
    if info.email:
        ids.append(info.email)
    if ids:
        what += " · " + " · ".join(ids)
    return what
