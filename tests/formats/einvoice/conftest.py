"""Fixtures for the e-invoice tests."""

from __future__ import annotations

import pytest

from vnsign.pki.credentials import KeyCredential
from vnsign.testing import TestIdentity, TestPKI


def _credential(identity: TestIdentity) -> KeyCredential:
    return KeyCredential(identity.private_key, identity.certificate, identity.chain)


@pytest.fixture
def seller(vn_pki: TestPKI) -> KeyCredential:
    """The seller's organisation certificate (UID=MST:0123456789)."""
    return _credential(vn_pki.organization)


@pytest.fixture
def buyer(vn_pki: TestPKI) -> KeyCredential:
    """A person buying (UID=CCCD:...)."""
    return _credential(vn_pki.person)


@pytest.fixture
def tax_authority(vn_pki: TestPKI) -> KeyCredential:
    """A state agency under the Government CA, standing in for the tax authority (CQT)."""
    return _credential(vn_pki.gov_agency)
