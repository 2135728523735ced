"""Trust anchors: which roots a Vietnamese signature may chain to, and in which regime.

Built-in profiles, from the certificates bundled in ``vnsign/data/trust``
(each with its SHA-256 and source in ``anchors.json``):

* ``default``: the current NEAC national roots (public digital signatures,
  TT15-TRUST-PATH) and the Government CA root G2 (official duty, ROOT-VGCA);
* ``legacy``: the above plus the SHA-1 roots (MIC National Root CA, Government
  CA G1), for documents signed before SHA-1 was retired (OBS-SHA1-LEGACY).

In both, the licensed-CA and government intermediates are an *untrusted* pool
for chain building, since signed documents often carry only the leaf
(OBS-LEAF-ONLY). Users add anchors from files or folders.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from vnsign.errors import InputError
from vnsign.pki.certificates import load_certificates
from vnsign.pki.identity import Regime

__all__ = [
    "BundledCertificate",
    "TrustAnchor",
    "TrustProfile",
    "TrustStore",
    "bundled_certificates",
]


class TrustProfile(StrEnum):
    """Built-in sets of trust anchors."""

    DEFAULT = "default"
    LEGACY = "legacy"
    NONE = "none"  #: no built-in anchor: only what the caller adds


@dataclass(frozen=True)
class TrustAnchor:
    """A root the caller trusts, with the regime its signatures belong to."""

    certificate: x509.Certificate
    regime: Regime
    source: str


@dataclass(frozen=True)
class BundledCertificate:
    """One certificate shipped with vnsign, as recorded in ``anchors.json``."""

    file: str
    sha256: str
    kind: str  #: ``root``, ``intermediate`` or ``tsa``
    role: str  #: ``anchor``, ``legacy-anchor`` or ``pool``
    regime: Regime
    confidence: str
    sources: tuple[str, ...]
    certificate: x509.Certificate = field(compare=False, repr=False)


@cache
def bundled_certificates() -> tuple[BundledCertificate, ...]:
    """Every certificate bundled with vnsign, checked against its recorded SHA-256."""
    folder = resources.files("vnsign") / "data" / "trust"
    data = json.loads((folder / "anchors.json").read_text(encoding="utf-8"))
    bundled = []
    for item in data["certificates"]:
        cert = x509.load_pem_x509_certificate((folder / "certs" / item["file"]).read_bytes())
        digest = hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()
        if digest != item["sha256"]:  # a damaged install must not silently trust something else
            raise InputError(
                f"bundled trust file {item['file']} does not match its recorded SHA-256"
            )
        bundled.append(
            BundledCertificate(
                file=item["file"],
                sha256=digest,
                kind=item["kind"],
                role=item["role"],
                regime=Regime(item["regime"]),
                confidence=item["confidence"],
                sources=tuple(item["sources"]),
                certificate=cert,
            )
        )
    return tuple(bundled)


@dataclass(frozen=True)
class TrustStore:
    """Trust anchors plus an untrusted pool of intermediates for chain building.

    Immutable: the ``with_*`` methods return a new store. ::

        trust = TrustStore.builtin().with_files(["my-roots/"], regime=Regime.FOREIGN)
    """

    anchors: tuple[TrustAnchor, ...] = ()
    intermediates: tuple[x509.Certificate, ...] = ()

    @classmethod
    def builtin(cls, profile: TrustProfile | str = TrustProfile.DEFAULT) -> TrustStore:
        """A built-in profile (see the module docstring)."""
        profile = TrustProfile(profile)
        if profile is TrustProfile.NONE:
            return cls()
        roles = {"anchor"} if profile is TrustProfile.DEFAULT else {"anchor", "legacy-anchor"}
        bundled = bundled_certificates()
        return cls(
            anchors=tuple(
                TrustAnchor(b.certificate, b.regime, f"vnsign bundled: {b.file}")
                for b in bundled
                if b.role in roles
            ),
            intermediates=tuple(b.certificate for b in bundled if b.role == "pool"),
        )

    def with_anchors(
        self,
        certificates: Iterable[x509.Certificate],
        *,
        regime: Regime = Regime.UNKNOWN,
        source: str = "added by the caller",
    ) -> TrustStore:
        """This store plus ``certificates`` as trust anchors of ``regime``."""
        known = {a.certificate for a in self.anchors}
        added = tuple(
            TrustAnchor(c, regime, source) for c in _unique(certificates) if c not in known
        )
        return TrustStore(self.anchors + added, self.intermediates)

    def with_intermediates(self, certificates: Iterable[x509.Certificate]) -> TrustStore:
        """This store plus ``certificates`` in the untrusted chain-building pool."""
        known = set(self.intermediates)
        added = tuple(c for c in _unique(certificates) if c not in known)
        return TrustStore(self.anchors, self.intermediates + added)

    def with_files(
        self, paths: Iterable[str | Path], *, regime: Regime = Regime.UNKNOWN
    ) -> TrustStore:
        """This store plus the certificates in ``paths`` (files, or folders read
        recursively for ``.pem .crt .cer .der .p7b .p7c``) as trust anchors."""
        certs: list[x509.Certificate] = []
        for path in map(Path, paths):
            files = (
                sorted(p for p in path.rglob("*") if p.suffix.lower() in _CERT_SUFFIXES)
                if path.is_dir()
                else [path]
            )
            if not files and path.is_dir():
                raise InputError(f"no certificate files in {path}")
            for file in files:
                try:
                    certs.extend(load_certificates(file))
                except FileNotFoundError as exc:
                    raise InputError(f"no such trust file: {file}") from exc
        return self.with_anchors(certs, regime=regime, source=f"file: {', '.join(map(str, paths))}")

    def anchor_for(self, certificate: x509.Certificate) -> TrustAnchor | None:
        """The anchor whose certificate is ``certificate`` (same subject and key)."""
        for anchor in self.anchors:
            if anchor.certificate == certificate or (
                anchor.certificate.subject == certificate.subject
                and anchor.certificate.public_key() == certificate.public_key()
            ):
                return anchor
        return None


_CERT_SUFFIXES = frozenset({".pem", ".crt", ".cer", ".der", ".p7b", ".p7c"})


def _unique(certificates: Iterable[x509.Certificate]) -> list[x509.Certificate]:
    seen: set[x509.Certificate] = set()
    out = []
    for cert in certificates:
        if cert not in seen:
            seen.add(cert)
            out.append(cert)
    return out
