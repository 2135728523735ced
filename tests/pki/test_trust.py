"""Bundled Vietnamese trust anchors: integrity, profiles, chain building, user additions."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from vnsign.errors import InputError
from vnsign.pki.identity import Regime
from vnsign.pki.trust import TrustProfile, TrustStore, bundled_certificates
from vnsign.pki.validation import CertificateValidator, Usage, ValidationPolicy
from vnsign.testing import TestPKI

DATA = resources.files("vnsign") / "data" / "trust"


def test_every_bundled_file_matches_its_recorded_fingerprint() -> None:
    recorded = json.loads((DATA / "anchors.json").read_text(encoding="utf-8"))["certificates"]
    files = {p.name for p in (DATA / "certs").iterdir()}  # type: ignore[attr-defined]
    assert files == {item["file"] for item in recorded}
    for item in recorded:
        pem = (DATA / "certs" / item["file"]).read_bytes()
        from cryptography import x509

        der = x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)
        assert hashlib.sha256(der).hexdigest() == item["sha256"], item["file"]
        assert item["sources"], f"{item['file']} has no recorded source"
    assert len(bundled_certificates()) == len(recorded) == 80


def test_bundled_data_agrees_with_the_research_manifest(shared_trust: Path) -> None:
    manifest = json.loads((shared_trust / "manifest.json").read_text(encoding="utf-8"))
    recorded = {b.file: b.sha256 for b in bundled_certificates()}
    assert recorded == {item["file"]: item["sha256"] for item in manifest}


def test_default_profile_trusts_current_roots_only() -> None:
    store = TrustStore.builtin()
    names = {a.certificate.subject.rfc4514_string() for a in store.anchors}
    assert len(store.anchors) == 8
    assert any("Vietnam National Root CA G3" in n for n in names)
    assert any("RootCA chuyên dùng Chính phủ G2" in n for n in names)
    assert not any("MIC National Root CA" in n for n in names)
    regimes = {a.certificate.subject.rfc4514_string(): a.regime for a in store.anchors}
    assert {r for n, r in regimes.items() if "Chính phủ" in n} == {Regime.OFFICIAL_DUTY}
    assert sum(r is Regime.PUBLIC for r in regimes.values()) == 7
    assert len(store.intermediates) == 70
    assert all(a.certificate.signature_hash_algorithm.name != "sha1" for a in store.anchors)  # type: ignore[union-attr]


def test_legacy_profile_adds_the_sha1_roots() -> None:
    legacy = TrustStore.builtin(TrustProfile.LEGACY)
    assert len(legacy.anchors) == 10
    sha1 = [a for a in legacy.anchors if a.certificate.signature_hash_algorithm.name == "sha1"]  # type: ignore[union-attr]
    assert {a.regime for a in sha1} == {Regime.PUBLIC, Regime.OFFICIAL_DUTY}
    assert TrustStore.builtin("none").anchors == ()


def test_every_bundled_intermediate_chains_to_a_bundled_root() -> None:
    validator = CertificateValidator(
        TrustStore.builtin(TrustProfile.LEGACY),
        online=False,
        policy=ValidationPolicy(require_revocation=False),
    )
    for bundled in bundled_certificates():
        if bundled.role != "pool":
            continue
        cert = bundled.certificate
        inside = (
            cert.not_valid_before_utc + (cert.not_valid_after_utc - cert.not_valid_before_utc) / 2
        )
        result = validator.validate(cert, at=inside, usage=Usage.ANY)
        assert result.valid, (bundled.file, result.message)
        assert result.regime is bundled.regime, bundled.file
        if cert.signature_hash_algorithm and cert.signature_hash_algorithm.name == "sha1":
            assert any("SHA-1 tolerated" in w for w in result.warnings), bundled.file


def test_user_anchors_from_files_and_folders(vn_pki: TestPKI, tmp_path: Path) -> None:
    folder = tmp_path / "roots"
    (folder / "nested").mkdir(parents=True)
    (folder / "national.pem").write_bytes(
        vn_pki.national_root.certificate.public_bytes(Encoding.PEM)
    )
    (folder / "nested" / "gov.cer").write_bytes(
        vn_pki.gov_root.certificate.public_bytes(Encoding.DER)
    )
    (folder / "notes.txt").write_text("ignored")
    store = TrustStore.builtin("none").with_files([folder], regime=Regime.FOREIGN)
    assert {a.certificate for a in store.anchors} == set(vn_pki.roots)
    assert {a.regime for a in store.anchors} == {Regime.FOREIGN}
    assert store.with_files([folder]).anchors == store.anchors  # no duplicates
    anchor = store.anchor_for(vn_pki.gov_root.certificate)
    assert anchor is not None and anchor.source.startswith("file:")
    with pytest.raises(InputError, match="no such trust file"):
        store.with_files([tmp_path / "missing.pem"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no certificate files"):
        store.with_files([tmp_path / "empty"])
