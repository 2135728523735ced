"""Fixtures for the XML signature tests: credentials from the test PKI and the
PEM files xmlsec1 needs to trust them."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from xmlsig_helpers import TrustFiles, credential_of

from vnsign.pki.credentials import KeyCredential
from vnsign.testing import TestPKI


@pytest.fixture
def org_credential(vn_pki: TestPKI) -> KeyCredential:
    """The test company's organisation certificate (UID=MST:0123456789)."""
    return credential_of(vn_pki.organization)


@pytest.fixture
def trust_files(vn_pki: TestPKI, tmp_path: Path) -> TrustFiles:
    """The test PKI's roots (trusted) and issuing CAs (untrusted) as PEM files."""
    paths = []
    for name, cert in (
        ("national-root", vn_pki.national_root.certificate),
        ("gov-root", vn_pki.gov_root.certificate),
        ("public-ca", vn_pki.public_ca.certificate),
        ("gov-ca", vn_pki.gov_ca.certificate),
    ):
        path = tmp_path / f"{name}.pem"
        path.write_bytes(cert.public_bytes(Encoding.PEM))
        paths.append(path)
    return TrustFiles(tuple(paths[:2]), tuple(paths[2:]))
