"""A Vietnamese-style test PKI: two hierarchies, end entities, variants, CRLs.

::

    Vietnam National Root CA TEST                   RootCA chuyên dùng Chính phủ G2 TEST
    ├── VNSIGN-CA TEST SHA-256 (licensed public CA)  └── CA phục vụ các cơ quan Nhà nước G2 TEST
    │   ├── person, person-in-org, organization          ├── gov-official, gov-agency
    │   └── OCSP responder                               └── OCSP responder
    ├── VNSIGN TEST Time-Stamping Authority
    └── OCSP responder

Every certificate points (AIA, CDP) at the live services of :mod:`._services`.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asn1crypto import algos as asn1_algos
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from vnsign.testing._keys import KeyType, SigningKey, take_key
from vnsign.testing._subjects import Profile, subject_for

if TYPE_CHECKING:
    from vnsign.pki.credentials import KeyCredential
    from vnsign.pki.trust import TrustStore
    from vnsign.testing._services import TestServices

__all__ = [
    "DEFAULT_PASSWORD",
    "Revocation",
    "TestCA",
    "TestIdentity",
    "TestPKI",
    "Variant",
]

DEFAULT_PASSWORD = b"vnsign-test"
DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.4.1.311.10.3.12")
ADOBE_AUTHENTIC_DOCUMENTS = x509.ObjectIdentifier("1.2.840.113583.1.1.5")
SIGNER_EKUS = (DOCUMENT_SIGNING, ADOBE_AUTHENTIC_DOCUMENTS, ExtendedKeyUsageOID.EMAIL_PROTECTION)
_HASHES: dict[str, hashes.SHA256 | hashes.SHA384 | hashes.SHA512] = {
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}


class Variant(StrEnum):
    """Certificate defects for negative tests, as accepted by :meth:`TestPKI.variant`."""

    EXPIRED = "expired"
    NOT_YET_VALID = "not-yet-valid"
    REVOKED = "revoked"  #: revoked a week before ``now`` (key compromise) unless told otherwise
    RSA1024 = "rsa1024"
    SHA1 = "sha1"  #: issuer signature with SHA-1
    WRONG_KEY_USAGE = "wrong-key-usage"  #: keyEncipherment only, TLS EKUs
    ECDSA_P256 = "ecdsa-p256"  #: not a defect: an ECDSA key, for algorithm coverage
    SELF_SIGNED = "self-signed"  #: untrusted, no issuer


@dataclass(frozen=True)
class Revocation:
    """When and why a certificate was revoked."""

    at: datetime
    reason: x509.ReasonFlags


@dataclass(frozen=True, eq=False)
class TestIdentity:
    """A certificate of the test PKI with its private key and its issuers
    (nearest first, root last; empty for a self-signed certificate)."""

    __test__ = False

    label: str
    certificate: x509.Certificate
    private_key: SigningKey
    chain: tuple[x509.Certificate, ...]

    @property
    def cert_pem(self) -> bytes:
        """The certificate in PEM."""
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def cert_der(self) -> bytes:
        """The certificate in DER."""
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def key_pem(self) -> bytes:
        """The private key, unencrypted PKCS#8 PEM."""
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @property
    def chain_pem(self) -> bytes:
        """The certificate followed by its issuers, PEM."""
        return b"".join(
            c.public_bytes(serialization.Encoding.PEM) for c in (self.certificate, *self.chain)
        )

    def pkcs12(self, password: bytes | None = DEFAULT_PASSWORD, *, legacy: bool = False) -> bytes:
        """A PKCS#12 file with key, certificate and chain. ``legacy`` uses the
        3DES/SHA-1 encryption that Windows-exported ``.pfx`` files still carry."""
        if password is None:
            encryption: serialization.KeySerializationEncryption = serialization.NoEncryption()
        elif legacy:
            encryption = (
                serialization.PrivateFormat.PKCS12.encryption_builder()
                .kdf_rounds(2048)
                .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
                .hmac_hash(hashes.SHA1())  # noqa: S303 - what legacy .pfx files use
                .build(password)
            )
        else:
            encryption = serialization.BestAvailableEncryption(password)
        return pkcs12.serialize_key_and_certificates(
            self.label.encode(), self.private_key, self.certificate, list(self.chain), encryption
        )

    def credential(self, *, allow_unusable: bool = False) -> KeyCredential:
        """A :class:`~vnsign.pki.credentials.KeyCredential` signing with this identity.
        ``allow_unusable`` lets a defective variant (expired, wrong key usage) sign."""
        from vnsign.pki.credentials import KeyCredential

        return KeyCredential(
            self.private_key, self.certificate, self.chain, allow_unusable=allow_unusable
        )


class TestCA:
    """A certification authority of the test PKI: its certificate and key, the
    certificates it issued and their revocations."""

    __test__ = False

    def __init__(
        self, slug: str, certificate: x509.Certificate, key: SigningKey, parent: TestCA | None
    ) -> None:
        self.slug = slug
        self.certificate = certificate
        self.private_key = key
        self.parent = parent
        self.ocsp_responder: TestIdentity | None = None
        self._lock = threading.Lock()
        self._issued: dict[int, x509.Certificate] = {}
        self._revoked: dict[int, Revocation] = {}
        self._crl_number = 0

    def __repr__(self) -> str:
        return f"<TestCA {self.slug}: {self.certificate.subject.rfc4514_string()}>"

    @property
    def chain(self) -> tuple[x509.Certificate, ...]:
        """This CA's certificate followed by its issuers up to the root."""
        return (self.certificate, *(self.parent.chain if self.parent else ()))

    def record(self, cert: x509.Certificate) -> None:
        """Remember ``cert`` as issued here (OCSP then answers "good" for it)."""
        with self._lock:
            self._issued[cert.serial_number] = cert

    def issued(self, serial: int) -> x509.Certificate | None:
        """The certificate with ``serial`` issued by this CA, if any."""
        with self._lock:
            return self._issued.get(serial)

    def revoke(self, serial: int, revocation: Revocation) -> None:
        """Mark ``serial`` revoked from ``revocation.at`` on."""
        with self._lock:
            self._revoked[serial] = revocation

    def revocation(self, serial: int, now: datetime) -> Revocation | None:
        """The revocation of ``serial`` if it has taken effect by ``now``."""
        with self._lock:
            rev = self._revoked.get(serial)
        return rev if rev is not None and rev.at <= now else None

    def crl(self, now: datetime | None = None) -> x509.CertificateRevocationList:
        """A freshly signed CRL listing every revocation in effect at ``now``."""
        now = (now or datetime.now(UTC)).replace(microsecond=0)
        with self._lock:
            self._crl_number += 1
            number = self._crl_number
            revoked = [(s, r) for s, r in self._revoked.items() if r.at <= now]
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.certificate.subject)
            .last_update(now - timedelta(minutes=1))
            .next_update(now + timedelta(days=1))
            .add_extension(x509.CRLNumber(number), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.private_key.public_key()),
                critical=False,
            )
        )
        for serial, rev in revoked:
            entry = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(rev.at)
            if rev.reason is not x509.ReasonFlags.unspecified:
                entry = entry.add_extension(x509.CRLReason(rev.reason), critical=False)
            builder = builder.add_revoked_certificate(entry.build())
        return builder.sign(self.private_key, hashes.SHA256())


class TestPKI:
    """A throwaway Vietnamese-style PKI with live OCSP, CRL and TSA services.

    ::

        with TestPKI() as pki:
            pki.person.certificate        # CN=Nguyễn Văn An, UID=CCCD:...
            pki.variant(Variant.REVOKED)  # a fresh revoked certificate
            pki.services.tsa_url          # http://127.0.0.1:<port>/tsa

    Keys come from a cache (see :mod:`._keys`), so building takes well under a
    second once the keys exist. ``now`` fixes the reference time of the
    certificates' validity periods (default: the current time).
    """

    __test__ = False

    def __init__(
        self,
        *,
        now: datetime | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        start_services: bool = True,
    ) -> None:
        from vnsign.testing._services import TestServices

        self.now = (now or datetime.now(UTC)).replace(microsecond=0)
        self._count: defaultdict[str, int] = defaultdict(int)
        self._cas: dict[str, TestCA] = {}
        self.identities: dict[str, TestIdentity] = {}
        self.services: TestServices = TestServices(self, host=host, port=port)
        try:
            self._build()
            if start_services:
                self.services.start()
        except BaseException:
            self.services.stop()
            raise

    def _build(self) -> None:
        self.national_root = self._make_ca(
            "national-root",
            _ca_name(
                "Vietnam National Root CA TEST",
                "MINISTRY OF SCIENCE AND TECHNOLOGY - TEST",
                "National Electronic Authentication Centre - TEST",
            ),
            parent=None,
        )
        self.public_ca = self._make_ca(
            "public-ca",
            _ca_name("VNSIGN-CA TEST SHA-256", "CÔNG TY THỬ NGHIỆM VNSIGN-CA (TEST)"),
            parent=self.national_root,
        )
        self.gov_root = self._make_ca(
            "gov-root",
            _ca_name("RootCA chuyên dùng Chính phủ G2 TEST", "Ban Cơ yếu Chính phủ (TEST)"),
            parent=None,
        )
        self.gov_ca = self._make_ca(
            "gov-ca",
            _ca_name("CA phục vụ các cơ quan Nhà nước G2 TEST", "Ban Cơ yếu Chính phủ (TEST)"),
            parent=self.gov_root,
        )
        for ca in self._cas.values():
            ca.ocsp_responder = self._issue(
                f"ocsp-{ca.slug}",
                subject=_ca_name(
                    f"OCSP {_attribute(ca.certificate, NameOID.COMMON_NAME)}",
                    _attribute(ca.certificate, NameOID.ORGANIZATION_NAME),
                ),
                issuer=ca,
                key_usage=_key_usage(digital_signature=True),
                extended_key_usage=[ExtendedKeyUsageOID.OCSP_SIGNING],
                extra=[(x509.OCSPNoCheck(), False)],
                with_ocsp=False,
            )
        self.person = self.issue(Profile.PERSON, label="person")
        self.person_in_org = self.issue(Profile.PERSON_IN_ORG, label="person-in-org")
        self.organization = self.issue(Profile.ORGANIZATION, label="organization")
        self.gov_official = self.issue(Profile.GOV_OFFICIAL, label="gov-official")
        self.gov_agency = self.issue(Profile.GOV_AGENCY, label="gov-agency")
        self.tsa = self._issue(
            "tsa",
            subject=_ca_name(
                "VNSIGN TEST Time-Stamping Authority", "CÔNG TY THỬ NGHIỆM VNSIGN-CA (TEST)"
            ),
            issuer=self.national_root,
            key_usage=_key_usage(digital_signature=True, content_commitment=True),
            extended_key_usage=[ExtendedKeyUsageOID.TIME_STAMPING],
            eku_critical=True,
        )

    # -- public API -------------------------------------------------------------------

    @property
    def ocsp_responder(self) -> TestIdentity:
        """The OCSP responder of the licensed public CA."""
        assert self.public_ca.ocsp_responder is not None
        return self.public_ca.ocsp_responder

    @property
    def cas(self) -> tuple[TestCA, ...]:
        """Every CA: both roots and both issuing CAs."""
        return tuple(self._cas.values())

    @property
    def roots(self) -> tuple[x509.Certificate, x509.Certificate]:
        """The two trust anchors: the national root and the Government root."""
        return (self.national_root.certificate, self.gov_root.certificate)

    def trust_store(self) -> TrustStore:
        """A :class:`~vnsign.pki.trust.TrustStore` trusting this PKI's two roots (the
        national root as public, the Government root as official duty) and nothing else,
        with the issuing CAs in its chain-building pool (as the real Vietnamese ones are
        in :meth:`TrustStore.builtin`), for documents that carry only the signer's
        certificate."""
        from vnsign.pki.identity import Regime
        from vnsign.pki.trust import TrustStore

        return (
            TrustStore.builtin("none")
            .with_anchors([self.national_root.certificate], regime=Regime.PUBLIC)
            .with_anchors([self.gov_root.certificate], regime=Regime.OFFICIAL_DUTY)
            .with_intermediates([self.public_ca.certificate, self.gov_ca.certificate])
        )

    def issuer_for(self, profile: Profile) -> TestCA:
        """The CA that issues ``profile``: the Government CA or the public CA."""
        return self.gov_ca if profile.official_duty else self.public_ca

    def issue(
        self,
        profile: Profile | str = Profile.PERSON,
        *,
        label: str | None = None,
        key_type: KeyType | str = KeyType.RSA2048,
        subject: x509.Name | None = None,
        issuer: TestCA | None = None,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        key_usage: x509.KeyUsage | None = None,
        extended_key_usage: Sequence[x509.ObjectIdentifier] | None = SIGNER_EKUS,
        hash_algorithm: str = "sha256",
    ) -> TestIdentity:
        """Issue a new end-entity certificate of ``profile``.

        Each call gives a different person or organisation (name, CCCD, MST
        branch) and a key nobody else in the process holds.
        """
        profile = Profile(profile)
        key_type = KeyType(key_type)
        n = self._count[profile.value]
        self._count[profile.value] += 1
        if key_usage is None:
            key_usage = _key_usage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=key_type is not KeyType.ECDSA_P256
                and key_type is not KeyType.ECDSA_P384,
            )
        return self._issue(
            label or f"{profile.value}-{n}",
            subject=subject or subject_for(profile, n),
            issuer=issuer or self.issuer_for(profile),
            key_type=key_type,
            not_before=not_before,
            not_after=not_after,
            key_usage=key_usage,
            extended_key_usage=extended_key_usage,
            hash_algorithm=hash_algorithm,
        )

    def variant(
        self,
        variant: Variant | str,
        profile: Profile | str = Profile.PERSON,
        *,
        label: str | None = None,
        revoked_at: datetime | None = None,
        reason: x509.ReasonFlags = x509.ReasonFlags.key_compromise,
    ) -> TestIdentity:
        """A fresh certificate of ``profile`` with one defect (see :class:`Variant`).

        ``revoked_at`` (default: a week before ``now``) and ``reason`` apply to
        :attr:`Variant.REVOKED`.
        """
        profile, variant = Profile(profile), Variant(variant)
        label = label or f"{profile.value}-{variant.value}-{self._count[profile.value]}"
        if variant is Variant.EXPIRED:
            return self.issue(
                profile,
                label=label,
                not_before=self.now - timedelta(days=3 * 365),
                not_after=self.now - timedelta(days=30),
            )
        if variant is Variant.NOT_YET_VALID:
            return self.issue(
                profile,
                label=label,
                not_before=self.now + timedelta(days=30),
                not_after=self.now + timedelta(days=2 * 365),
            )
        if variant is Variant.REVOKED:
            ident = self.issue(profile, label=label)
            self.revoke(ident, at=revoked_at or self.now - timedelta(days=7), reason=reason)
            return ident
        if variant is Variant.RSA1024:
            return self.issue(profile, label=label, key_type=KeyType.RSA1024)
        if variant is Variant.ECDSA_P256:
            return self.issue(profile, label=label, key_type=KeyType.ECDSA_P256)
        if variant is Variant.SHA1:
            return self.issue(profile, label=label, hash_algorithm="sha1")
        if variant is Variant.WRONG_KEY_USAGE:
            return self.issue(
                profile,
                label=label,
                key_usage=_key_usage(key_encipherment=True, data_encipherment=True),
                extended_key_usage=[
                    ExtendedKeyUsageOID.SERVER_AUTH,
                    ExtendedKeyUsageOID.CLIENT_AUTH,
                ],
            )
        n = self._count[profile.value]
        self._count[profile.value] += 1
        return self._issue(  # Variant.SELF_SIGNED
            label,
            subject=subject_for(profile, n),
            issuer=None,
            key_usage=_key_usage(digital_signature=True, content_commitment=True),
            extended_key_usage=SIGNER_EKUS,
        )

    def revoke(
        self,
        target: TestIdentity | x509.Certificate,
        *,
        at: datetime | None = None,
        reason: x509.ReasonFlags = x509.ReasonFlags.key_compromise,
    ) -> Revocation:
        """Revoke ``target`` from ``at`` (default: ``now``). The CRL and OCSP
        services report it as soon as ``at`` has passed."""
        cert = target.certificate if isinstance(target, TestIdentity) else target
        ca = self.ca_of(cert)
        if ca is None:
            raise ValueError("certificate was not issued by this test PKI")
        revocation = Revocation((at or self.now).replace(microsecond=0), reason)
        ca.revoke(cert.serial_number, revocation)
        return revocation

    def ca_of(self, cert: x509.Certificate) -> TestCA | None:
        """The CA of this PKI that issued ``cert``."""
        for ca in self._cas.values():
            if ca.certificate.subject == cert.issuer and ca.issued(cert.serial_number) == cert:
                return ca
        return None

    def ca(self, slug: str) -> TestCA:
        """A CA by slug: ``national-root``, ``public-ca``, ``gov-root``, ``gov-ca``."""
        return self._cas[slug]

    def export(self, directory: str | Path, *, password: bytes = DEFAULT_PASSWORD) -> Path:
        """Write everything to ``directory``: for each CA ``<slug>.crt.pem|.der`` and
        ``<slug>.crl``; for each identity ``<label>.crt.pem|.der``, ``<label>.key.pem``,
        ``<label>.chain.pem`` and ``<label>.p12``; ``roots.pem``; ``manifest.json``
        describing it all, with the service URLs. Returns the manifest path."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        der, pem = serialization.Encoding.DER, serialization.Encoding.PEM
        manifest: dict[str, Any] = {
            "generated": datetime.now(UTC).isoformat(),
            "pkcs12_password": password.decode(),
            "services": self.services.urls(),
            "roots": "roots.pem",
            "cas": {},
            "identities": {},
        }
        (out / "roots.pem").write_bytes(b"".join(c.public_bytes(pem) for c in self.roots))
        for ca in self._cas.values():
            (out / f"{ca.slug}.crt.pem").write_bytes(ca.certificate.public_bytes(pem))
            (out / f"{ca.slug}.crt.der").write_bytes(ca.certificate.public_bytes(der))
            (out / f"{ca.slug}.crl").write_bytes(ca.crl().public_bytes(der))
            manifest["cas"][ca.slug] = {
                "subject": ca.certificate.subject.rfc4514_string(),
                "certificate": f"{ca.slug}.crt.pem",
                "crl": f"{ca.slug}.crl",
                "issuer": ca.parent.slug if ca.parent else None,
            }
        for label, ident in self.identities.items():
            (out / f"{label}.crt.pem").write_bytes(ident.cert_pem)
            (out / f"{label}.crt.der").write_bytes(ident.cert_der)
            key_file = out / f"{label}.key.pem"
            key_file.write_bytes(ident.key_pem)
            key_file.chmod(0o600)
            (out / f"{label}.chain.pem").write_bytes(ident.chain_pem)
            (out / f"{label}.p12").write_bytes(ident.pkcs12(password))
            manifest["identities"][label] = {
                "subject": ident.certificate.subject.rfc4514_string(),
                "files": [f"{label}{s}" for s in (".crt.pem", ".key.pem", ".chain.pem", ".p12")],
            }
        path = out / "manifest.json"
        path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        return path

    def close(self) -> None:
        """Stop the services. The certificates stay usable offline."""
        self.services.stop()

    def __enter__(self) -> TestPKI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- issuing ----------------------------------------------------------------------

    def _make_ca(self, slug: str, name: x509.Name, parent: TestCA | None) -> TestCA:
        key = take_key(KeyType.RSA2048)
        years = 25 if parent is None else 20
        builder = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(parent.certificate.subject if parent else name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.now - timedelta(days=5 * 365))
            .not_valid_after(self.now + timedelta(days=years * 365))
            .add_extension(
                x509.BasicConstraints(ca=True, path_length=None if parent is None else 0),
                critical=True,
            )
            .add_extension(
                _key_usage(digital_signature=True, key_cert_sign=True, crl_sign=True),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        )
        if parent is not None:
            builder = self._add_issuer_links(builder, parent, with_ocsp=True)
        cert = builder.sign(parent.private_key if parent else key, hashes.SHA256())
        if parent is not None:
            parent.record(cert)
        ca = TestCA(slug, cert, key, parent)
        self._cas[slug] = ca
        return ca

    def _issue(
        self,
        label: str,
        *,
        subject: x509.Name,
        issuer: TestCA | None,
        key_usage: x509.KeyUsage,
        extended_key_usage: Sequence[x509.ObjectIdentifier] | None,
        key_type: KeyType = KeyType.RSA2048,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        hash_algorithm: str = "sha256",
        eku_critical: bool = False,
        extra: Iterable[tuple[x509.ExtensionType, bool]] = (),
        with_ocsp: bool = True,
    ) -> TestIdentity:
        if label in self.identities:
            raise ValueError(f"label {label!r} is already used in this test PKI")
        key = take_key(key_type)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer.certificate.subject if issuer else subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before or self.now - timedelta(days=180))
            .not_valid_after(not_after or self.now + timedelta(days=730))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(key_usage, critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        )
        if extended_key_usage:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage(list(extended_key_usage)), critical=eku_critical
            )
        for ext, critical in extra:
            builder = builder.add_extension(ext, critical=critical)
        if issuer is not None:
            builder = self._add_issuer_links(builder, issuer, with_ocsp=with_ocsp)
        signer_key = issuer.private_key if issuer else key
        if hash_algorithm == "sha1":
            cert = _sign_with_sha1(builder.sign(signer_key, hashes.SHA256()), signer_key)
        else:
            cert = builder.sign(signer_key, _HASHES[hash_algorithm])
        if issuer is not None:
            issuer.record(cert)
        ident = TestIdentity(label, cert, key, issuer.chain if issuer else ())
        self.identities[label] = ident
        return ident

    def _add_issuer_links(
        self, builder: x509.CertificateBuilder, issuer: TestCA, *, with_ocsp: bool
    ) -> x509.CertificateBuilder:
        access = [
            x509.AccessDescription(
                AuthorityInformationAccessOID.CA_ISSUERS,
                x509.UniformResourceIdentifier(self.services.ca_issuers_url(issuer.slug)),
            )
        ]
        if with_ocsp:
            access.insert(
                0,
                x509.AccessDescription(
                    AuthorityInformationAccessOID.OCSP,
                    x509.UniformResourceIdentifier(self.services.ocsp_url),
                ),
            )
        crl_point = x509.DistributionPoint(
            full_name=[x509.UniformResourceIdentifier(self.services.crl_url(issuer.slug))],
            relative_name=None,
            reasons=None,
            crl_issuer=None,
        )
        return (
            builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.private_key.public_key()),
                critical=False,
            )
            .add_extension(x509.AuthorityInformationAccess(access), critical=False)
            .add_extension(x509.CRLDistributionPoints([crl_point]), critical=False)
        )


def _attribute(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> str:
    value = cert.subject.get_attributes_for_oid(oid)[0].value
    return value if isinstance(value, str) else value.decode()


def _ca_name(common_name: str, organization: str, unit: str | None = None) -> x509.Name:
    attrs = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
    ]
    if unit:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attrs)


def _key_usage(
    *,
    digital_signature: bool = False,
    content_commitment: bool = False,
    key_encipherment: bool = False,
    data_encipherment: bool = False,
    key_cert_sign: bool = False,
    crl_sign: bool = False,
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=content_commitment,
        key_encipherment=key_encipherment,
        data_encipherment=data_encipherment,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _sign_with_sha1(cert: x509.Certificate, issuer_key: SigningKey) -> x509.Certificate:
    """Re-sign ``cert`` with SHA-1, which ``cryptography`` no longer does itself.

    Real Vietnamese documents from before 2015–2020 carry such certificates
    (vn-rules OBS-SHA1-LEGACY); the verifier must judge them, so the tests need them.
    """
    parsed = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    if isinstance(issuer_key, rsa.RSAPrivateKey):
        algorithm = asn1_algos.SignedDigestAlgorithm({"algorithm": "sha1_rsa"})
    else:
        algorithm = asn1_algos.SignedDigestAlgorithm({"algorithm": "sha1_ecdsa"})
    tbs = parsed["tbs_certificate"]
    tbs["signature"] = algorithm
    tbs_der = tbs.dump(force=True)
    if isinstance(issuer_key, rsa.RSAPrivateKey):
        signature = issuer_key.sign(tbs_der, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303
    else:
        signature = issuer_key.sign(tbs_der, ec.ECDSA(hashes.SHA1()))  # noqa: S303
    resigned = asn1_x509.Certificate(
        {"tbs_certificate": tbs, "signature_algorithm": algorithm, "signature_value": signature}
    )
    return x509.load_der_x509_certificate(resigned.dump())
