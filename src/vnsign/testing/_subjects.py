"""Subject names for test certificates, following the Vietnamese conventions
(vn-rules SUBJ-UID, SUBJ-ORG-VS-PERSON, SUBJ-VGCA).

Attribute order follows real certificates: ``C, ST, L, O, OU, T, UID..., CN, E``.
"""

from __future__ import annotations

from enum import StrEnum

from cryptography import x509
from cryptography.x509.oid import NameOID

__all__ = ["Profile", "subject_for"]

TEST_COMPANY = "CÔNG TY CỔ PHẦN THỬ NGHIỆM VNSIGN"
TEST_COMPANY_MST = "0123456789"
TEST_PROVINCE = "Hà Nội"
TEST_DISTRICT = "Quận Cầu Giấy"
GOV_PROVINCE = "Quảng Ngãi"
GOV_TOP_AGENCY = "ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI"
GOV_UNITS = ("Sở Tư pháp", "Sở Nội vụ", "Văn phòng Ủy ban nhân dân", "Sở Tài chính")
GOV_EMAIL_DOMAIN = "quangngai.gov.vn"

# Twenty signers: enough distinct people for batch tests, all fictitious.
PEOPLE = (
    ("Nguyễn Văn An", "nvan"),
    ("Trần Thị Bình", "ttbinh"),
    ("Lê Hoàng Cường", "lhcuong"),
    ("Phạm Thị Dung", "ptdung"),
    ("Hoàng Minh Đức", "hmduc"),
    ("Vũ Thị Giang", "vtgiang"),
    ("Đặng Quốc Hải", "dqhai"),
    ("Bùi Thị Hằng", "bthang"),
    ("Đỗ Mạnh Hùng", "dmhung"),
    ("Hồ Thị Khánh", "htkhanh"),
    ("Ngô Đình Lâm", "ndlam"),
    ("Dương Thị Mai", "dtmai"),
    ("Lý Văn Nam", "lvnam"),
    ("Phan Thị Ngọc", "ptngoc"),
    ("Võ Thành Phúc", "vtphuc"),
    ("Huỳnh Thị Quyên", "htquyen"),
    ("Trương Công Sơn", "tcson"),
    ("Đinh Thị Thảo", "dtthao"),
    ("Lương Văn Uy", "lvuy"),
    ("Mai Thị Yến", "mtyen"),
)
TITLES = ("Giám đốc", "Kế toán trưởng", "Phó Giám đốc", "Trưởng phòng Hành chính")


class Profile(StrEnum):
    """Kinds of end-entity certificate the test PKI issues."""

    PERSON = "person"  #: a citizen: ``UID=CCCD:...``
    PERSON_IN_ORG = "person-in-org"  #: an employee: ``O``, ``T``, ``UID=MST:`` and ``UID=CCCD:``
    ORGANIZATION = "organization"  #: an enterprise: ``CN = O``, ``UID=MST:``
    GOV_OFFICIAL = "gov-official"  #: an official under the Government CA
    GOV_AGENCY = "gov-agency"  #: a state agency under the Government CA

    @property
    def official_duty(self) -> bool:
        """Whether this profile is issued by the Government (official-duty) CA."""
        return self in {Profile.GOV_OFFICIAL, Profile.GOV_AGENCY}


_FIRST_PERSON = {
    Profile.PERSON: 0,
    Profile.PERSON_IN_ORG: 1,
    Profile.ORGANIZATION: 0,
    Profile.GOV_OFFICIAL: 2,
    Profile.GOV_AGENCY: 0,
}


def _name(*pairs: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.RelativeDistinguishedName([x509.NameAttribute(o, v)]) for o, v in pairs])


def cccd(n: int) -> str:
    """A well-formed, fictitious 12-digit citizen ID: province 001 (Hà Nội),
    gender/century digit, birth year, six serial digits."""
    return f"001{n % 2}{80 + n % 20:02d}{n + 1:06d}"


def subject_for(profile: Profile, n: int) -> x509.Name:
    """The ``n``-th subject of ``profile``; different ``n`` give different people.

    The profiles start at different places in :data:`PEOPLE`, so the default
    person, employee and official of a test PKI are three different people.
    """
    index = n + _FIRST_PERSON[profile]
    person, login = PEOPLE[index % len(PEOPLE)]
    if profile is Profile.PERSON:
        return _name(
            (NameOID.COUNTRY_NAME, "VN"),
            (NameOID.STATE_OR_PROVINCE_NAME, TEST_PROVINCE),
            (NameOID.LOCALITY_NAME, TEST_DISTRICT),
            (NameOID.USER_ID, f"CCCD:{cccd(index)}"),
            (NameOID.COMMON_NAME, person),
        )
    if profile is Profile.PERSON_IN_ORG:
        return _name(
            (NameOID.COUNTRY_NAME, "VN"),
            (NameOID.STATE_OR_PROVINCE_NAME, TEST_PROVINCE),
            (NameOID.LOCALITY_NAME, TEST_DISTRICT),
            (NameOID.ORGANIZATION_NAME, TEST_COMPANY),
            (NameOID.TITLE, TITLES[n % len(TITLES)]),
            (NameOID.USER_ID, f"MST:{TEST_COMPANY_MST}"),
            (NameOID.USER_ID, f"CCCD:{cccd(index)}"),
            (NameOID.COMMON_NAME, person),
        )
    if profile is Profile.ORGANIZATION:
        branch = "" if n == 0 else f"-{n:03d}"
        name = TEST_COMPANY if n == 0 else f"CHI NHÁNH {n} - {TEST_COMPANY}"
        return _name(
            (NameOID.COUNTRY_NAME, "VN"),
            (NameOID.STATE_OR_PROVINCE_NAME, TEST_PROVINCE),
            (NameOID.LOCALITY_NAME, TEST_DISTRICT),
            (NameOID.ORGANIZATION_NAME, name),
            (NameOID.USER_ID, f"MST:{TEST_COMPANY_MST}{branch}"),
            (NameOID.COMMON_NAME, name),
        )
    unit = GOV_UNITS[n % len(GOV_UNITS)]
    if profile is Profile.GOV_OFFICIAL:
        return _name(
            (NameOID.COUNTRY_NAME, "VN"),
            (NameOID.LOCALITY_NAME, GOV_PROVINCE),
            (NameOID.ORGANIZATION_NAME, GOV_TOP_AGENCY),
            (NameOID.ORGANIZATIONAL_UNIT_NAME, unit),
            (NameOID.COMMON_NAME, person),
            (NameOID.EMAIL_ADDRESS, f"{login}@{GOV_EMAIL_DOMAIN}"),
        )
    return _name(
        (NameOID.COUNTRY_NAME, "VN"),
        (NameOID.LOCALITY_NAME, GOV_PROVINCE),
        (NameOID.ORGANIZATION_NAME, GOV_TOP_AGENCY),
        (NameOID.ORGANIZATIONAL_UNIT_NAME, unit),
        (NameOID.USER_ID, f"MNS:{1047665 + n}"),
        (NameOID.COMMON_NAME, f"{unit} tỉnh {GOV_PROVINCE}"),
        (NameOID.EMAIL_ADDRESS, f"unit{n}@{GOV_EMAIL_DOMAIN}"),
    )
