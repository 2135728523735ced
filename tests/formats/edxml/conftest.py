"""Fixtures for the edXML tests."""

from __future__ import annotations

import pytest
from edxml_helpers import signed_pdf

from vnsign.pki.credentials import KeyCredential
from vnsign.testing import TestPKI


@pytest.fixture(scope="session")
def signed_pdfs(vn_pki: TestPKI) -> tuple[bytes, bytes]:
    """Two PDFs signed by a government official with pyHanko."""
    return (
        signed_pdf(vn_pki.gov_official, "Quyet dinh so 1234"),
        signed_pdf(vn_pki.gov_official, "Phu luc I"),
    )


@pytest.fixture
def agency(vn_pki: TestPKI) -> KeyCredential:
    """The sending agency's certificate (Government CA)."""
    identity = vn_pki.gov_agency
    return KeyCredential(identity.private_key, identity.certificate, identity.chain)
