"""Vietnamese identity carried by an X.509 certificate.

Vietnamese public CAs put the subscriber's identifiers in the ``UID`` attribute
(OID 0.9.2342.19200300.100.1.1) with a text prefix: ``MST:`` (tax code),
``CCCD:`` (citizen ID), ``CMND:`` (old ID), ``MNS:`` (budget-unit code), ``HC:``
(passport). The attribute may repeat. Official-duty certificates of the
Government CA follow the administrative hierarchy instead (O = top agency,
OU = unit, CN = person or unit, E = official e-mail). See vn-rules SUBJ-UID,
SUBJ-ORG-VS-PERSON and SUBJ-VGCA.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from asn1crypto import algos
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID, ObjectIdentifier

from vnsign.errors import MalformedInputError
from vnsign.pki.certificates import fingerprint_sha256

__all__ = [
    "CertificateInfo",
    "Identifier",
    "IdentifierScheme",
    "Regime",
    "SubjectKind",
    "identifiers_from_text",
]

UID_OID = NameOID.USER_ID  # 0.9.2342.19200300.100.1.1


class IdentifierScheme(StrEnum):
    """Known prefixes of the ``UID`` attribute."""

    MST = "MST"  #: mã số thuế: tax code of an enterprise or organisation (``-NNN`` for a branch)
    CCCD = "CCCD"  #: căn cước công dân: 12-digit citizen identity number
    CMND = "CMND"  #: chứng minh nhân dân: the older 9- or 12-digit identity number
    MNS = "MNS"  #: mã đơn vị quan hệ ngân sách: budget-relationship unit code
    HC = "HC"  #: hộ chiếu: passport number


_WELL_FORMED = {
    IdentifierScheme.MST: re.compile(r"\d{10}(-\d{3})?"),
    IdentifierScheme.CCCD: re.compile(r"\d{12}"),
    IdentifierScheme.CMND: re.compile(r"\d{9}|\d{12}"),
    IdentifierScheme.MNS: re.compile(r"\d{7}"),
    IdentifierScheme.HC: re.compile(r"[A-Z0-9]{6,12}"),
}
_PERSONAL = frozenset({IdentifierScheme.CCCD, IdentifierScheme.CMND, IdentifierScheme.HC})
_ORGANISATIONAL = frozenset({IdentifierScheme.MST, IdentifierScheme.MNS})


@dataclass(frozen=True)
class Identifier:
    """One identifier from a ``UID`` attribute.

    ``scheme`` is ``None`` for a value with no known prefix; ``value`` is then
    the attribute verbatim.
    """

    scheme: IdentifierScheme | None
    value: str
    raw: str

    @classmethod
    def parse(cls, raw: str) -> Identifier:
        """Split ``"MST:0106869738-012"`` into scheme and value."""
        prefix, sep, rest = raw.partition(":")
        if sep:
            try:
                scheme = IdentifierScheme(prefix.strip().upper())
            except ValueError:
                pass
            else:
                return cls(scheme, rest.strip(), raw)
        return cls(None, raw.strip(), raw)

    @property
    def well_formed(self) -> bool:
        """Whether the value has the expected shape for its scheme (unknown schemes: True)."""
        if self.scheme is None:
            return True
        return _WELL_FORMED[self.scheme].fullmatch(self.value) is not None

    def __str__(self) -> str:
        return f"{self.scheme}:{self.value}" if self.scheme else self.value


class SubjectKind(StrEnum):
    """Who the certificate was issued to."""

    PERSON = "person"
    ORGANIZATION = "organization"
    GOVERNMENT_OFFICIAL = "government-official"
    GOVERNMENT_AGENCY = "government-agency"
    CERTIFICATION_AUTHORITY = "certification-authority"
    UNKNOWN = "unknown"


class Regime(StrEnum):
    """Legal regime of a certificate, decided by the trust anchor it chains to
    (Law 20/2023 Art. 22.1, vn-rules LGDDT-CLASSES)."""

    PUBLIC = "public"  #: chữ ký số công cộng: a licensed public CA under the national root
    OFFICIAL_DUTY = "official-duty"  #: chữ ký số chuyên dùng công vụ: the Government CA
    FOREIGN = "foreign"  #: a recognised foreign CA
    UNKNOWN = "unknown"  #: not (yet) chained to a known anchor


# Words that open the name of a Vietnamese state unit ("Ủy ban nhân dân", "Sở Tư pháp", ...),
# compared without diacritics. Used only to tell a unit's certificate from a person's when
# the certificate carries no identifier that says so.
_AGENCY_WORDS = (
    "uy ban",
    "ubnd",
    "hoi dong",
    "van phong",
    "so ",
    "bo ",
    "cuc ",
    "tong cuc",
    "chi cuc",
    "ban ",
    "phong ",
    "trung tam",
    "vien ",
    "toa an",
    "kho bac",
    "cong an",
    "bao hiem",
    "thue",
    "truong ",
    "benh vien",
    "dai ",
    "cong ty",
    "tap doan",
    "hoc vien",
    "thanh tra",
)


def fold(text: str) -> str:
    """Lower-case ``text`` without diacritics (``Đ`` → ``d``), for tolerant matching."""
    decomposed = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


_TEXT_UID = re.compile(
    r"(?:^|[,;+/]\s*)(?:UID|USERID|OID\.0\.9\.2342\.19200300\.100\.1\.1|0\.9\.2342\.19200300\.100\.1\.1)"
    r"\s*=\s*(\"[^\"]*\"|[^,;+/]*)",
    re.IGNORECASE,
)


def identifiers_from_text(distinguished_name: str) -> tuple[Identifier, ...]:
    """Identifiers from a DN written as text, in either spelling real documents use:
    ``UID=MST:0104359717`` or ``OID.0.9.2342.19200300.100.1.1=MST:0106869738-012``
    (vn-rules EINV-KEYINFO)."""
    return tuple(
        Identifier.parse(m.group(1).strip().strip('"'))
        for m in _TEXT_UID.finditer(distinguished_name)
    )


def _attr(name: x509.Name, oid: ObjectIdentifier) -> tuple[str, ...]:
    values = []
    for attr in name.get_attributes_for_oid(oid):
        value = attr.value
        values.append(value if isinstance(value, str) else value.decode("utf-8", "replace"))
    return tuple(values)


def _first(values: tuple[str, ...]) -> str | None:
    return values[0] if values else None


@dataclass(frozen=True)
class CertificateInfo:
    """What a certificate says about its subject, read the Vietnamese way."""

    subject: str
    common_name: str | None
    organization: str | None
    organizational_units: tuple[str, ...]
    title: str | None
    locality: str | None
    province: str | None
    country: str | None
    email: str | None
    identifiers: tuple[Identifier, ...]
    kind: SubjectKind
    regime: Regime
    issuer: str
    issuer_common_name: str | None
    serial_number: int
    not_before: datetime
    not_after: datetime
    key_algorithm: str
    key_size: int
    signature_algorithm: str
    sha256_fingerprint: str
    is_ca: bool
    key_usage: frozenset[str]
    extended_key_usage: tuple[str, ...]

    @classmethod
    def from_certificate(
        cls, cert: x509.Certificate, *, regime: Regime = Regime.UNKNOWN
    ) -> CertificateInfo:
        """Read ``cert``. ``regime`` comes from chain building (see the trust module);
        it sharpens the person/agency distinction for official-duty certificates."""
        try:
            return cls._read(cert, regime)
        except (ValueError, x509.DuplicateExtension, x509.InvalidVersion) as exc:
            raise MalformedInputError(f"unreadable certificate: {exc}") from exc

    @classmethod
    def _read(cls, cert: x509.Certificate, regime: Regime) -> CertificateInfo:
        _reject_duplicate_extensions(cert)
        subject, issuer = cert.subject, cert.issuer
        uids = _attr(subject, UID_OID)
        email = _first(_attr(subject, NameOID.EMAIL_ADDRESS)) or _san_email(cert)
        key_algorithm, key_size = _key_facts(cert)
        sig_oid = cert.signature_algorithm_oid
        identifiers = tuple(Identifier.parse(u) for u in uids)
        common_name = _first(_attr(subject, NameOID.COMMON_NAME))
        organization = _first(_attr(subject, NameOID.ORGANIZATION_NAME))
        units = _attr(subject, NameOID.ORGANIZATIONAL_UNIT_NAME)
        is_ca = _is_ca(cert)
        kind = (
            SubjectKind.CERTIFICATION_AUTHORITY
            if is_ca
            else _classify(identifiers, common_name, organization, units, email, regime)
        )
        return cls(
            subject=subject.rfc4514_string(),
            common_name=common_name,
            organization=organization,
            organizational_units=units,
            title=_first(_attr(subject, NameOID.TITLE)),
            locality=_first(_attr(subject, NameOID.LOCALITY_NAME)),
            province=_first(_attr(subject, NameOID.STATE_OR_PROVINCE_NAME)),
            country=_first(_attr(subject, NameOID.COUNTRY_NAME)),
            email=email,
            identifiers=identifiers,
            kind=kind,
            regime=regime,
            issuer=issuer.rfc4514_string(),
            issuer_common_name=_first(_attr(issuer, NameOID.COMMON_NAME)),
            serial_number=cert.serial_number,
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            key_algorithm=key_algorithm,
            key_size=key_size,
            signature_algorithm=algos.SignedDigestAlgorithmId(sig_oid.dotted_string).native,
            sha256_fingerprint=fingerprint_sha256(cert),
            is_ca=is_ca,
            key_usage=_key_usage(cert),
            extended_key_usage=_extended_key_usage(cert),
        )

    def ids(self, scheme: IdentifierScheme) -> tuple[str, ...]:
        """All values of one identifier scheme, in certificate order."""
        return tuple(i.value for i in self.identifiers if i.scheme is scheme)

    @property
    def mst(self) -> str | None:
        """Tax code (``MST:``), if any."""
        return _first(self.ids(IdentifierScheme.MST))

    @property
    def cccd(self) -> str | None:
        """Citizen identity number (``CCCD:``), if any."""
        return _first(self.ids(IdentifierScheme.CCCD))

    @property
    def cmnd(self) -> str | None:
        """Old identity-card number (``CMND:``), if any."""
        return _first(self.ids(IdentifierScheme.CMND))

    @property
    def display_name(self) -> str:
        """The name to show a person: CN, else O, else the whole subject."""
        return self.common_name or self.organization or self.subject


def _classify(
    identifiers: Iterable[Identifier],
    common_name: str | None,
    organization: str | None,
    units: tuple[str, ...],
    email: str | None,
    regime: Regime,
) -> SubjectKind:
    schemes = {i.scheme for i in identifiers}
    personal = bool(schemes & _PERSONAL)
    organisational = bool(schemes & _ORGANISATIONAL)
    cn = fold(common_name or "")
    names_a_unit = bool(cn) and (
        cn in {fold(organization or ""), *(fold(u) for u in units)} or cn.startswith(_AGENCY_WORDS)
    )
    government = regime is Regime.OFFICIAL_DUTY or (
        regime is Regime.UNKNOWN and (email or "").lower().endswith(".gov.vn")
    )
    if government:
        if personal or not names_a_unit:
            return SubjectKind.GOVERNMENT_OFFICIAL
        return SubjectKind.GOVERNMENT_AGENCY
    if personal:
        return SubjectKind.PERSON
    if organisational or (organization and names_a_unit):
        return SubjectKind.ORGANIZATION
    return SubjectKind.UNKNOWN


ExtensionT = TypeVar("ExtensionT", bound=x509.ExtensionType)


def extension(cert: x509.Certificate, kind: type[ExtensionT]) -> ExtensionT | None:
    """The extension of ``kind``, or None when absent *or unreadable*: real
    certificates carry malformed extensions (a bad policy qualifier makes every
    extension lookup fail in ``cryptography``), and reading one must not crash."""
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except (x509.ExtensionNotFound, x509.DuplicateExtension, ValueError):
        return None


def _reject_duplicate_extensions(cert: x509.Certificate) -> None:
    # RFC 5280 4.2: one instance per extension. Guessing which of two key usages
    # counts would be unsafe, so such a certificate has no readable identity.
    # Unreadable extensions (ValueError) read as absent, see extension().
    with contextlib.suppress(ValueError):
        cert.extensions  # noqa: B018 - parsing is the check


def _san_email(cert: x509.Certificate) -> str | None:
    san = extension(cert, x509.SubjectAlternativeName)
    emails = san.get_values_for_type(x509.RFC822Name) if san else []
    return emails[0] if emails else None


def _is_ca(cert: x509.Certificate) -> bool:
    constraints = extension(cert, x509.BasicConstraints)
    return bool(constraints and constraints.ca)


_KEY_USAGE_NAMES = {
    "digital_signature": "digital_signature",
    "content_commitment": "non_repudiation",
    "key_encipherment": "key_encipherment",
    "data_encipherment": "data_encipherment",
    "key_agreement": "key_agreement",
    "key_cert_sign": "key_cert_sign",
    "crl_sign": "crl_sign",
}


def _key_usage(cert: x509.Certificate) -> frozenset[str]:
    usage = extension(cert, x509.KeyUsage)
    if usage is None:
        return frozenset()
    return frozenset(name for attr, name in _KEY_USAGE_NAMES.items() if getattr(usage, attr))


def _extended_key_usage(cert: x509.Certificate) -> tuple[str, ...]:
    usages = extension(cert, x509.ExtendedKeyUsage)
    return tuple(asn1_x509.KeyPurposeId(oid.dotted_string).native for oid in usages or ())


def _key_facts(cert: x509.Certificate) -> tuple[str, int]:
    try:
        key = cert.public_key()
    except UnsupportedAlgorithm:
        # e.g. GOST or SM2 keys: the certificate is still readable, the key is not usable.
        return "unknown", 0
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}", key.curve.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    return type(key).__name__, 0
