"""Shared helpers for vnsign's own tests.

Interop tests need external tools (openssl, pdfsig, xmlsec1, softhsm2-util) and
the third-party corpus in ../shared. Locally they skip with a clear reason when
something is missing; with VNSIGN_REQUIRE_INTEROP=1 (CI) they fail instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

pytest_plugins = ("pytester",)

REQUIRE_INTEROP = os.environ.get("VNSIGN_REQUIRE_INTEROP") == "1"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"

# Which Debian package provides each tool, for the skip message.
PACKAGES = {
    "openssl": "openssl",
    "pdfsig": "poppler-utils",
    "pdftoppm": "poppler-utils",
    "xmlsec1": "xmlsec1",
    "softhsm2-util": "softhsm2",
}


def missing(what: str) -> None:
    """Skip (locally) or fail (VNSIGN_REQUIRE_INTEROP=1) because ``what`` is absent."""
    if REQUIRE_INTEROP:
        pytest.fail(f"{what} is required when VNSIGN_REQUIRE_INTEROP=1", pytrace=False)
    pytest.skip(f"interop: {what} is not available")


@pytest.fixture
def tool() -> Callable[[str], str]:
    """``tool("openssl")`` is the path of the tool, or the test skips/fails."""

    def find(name: str) -> str:
        path = shutil.which(name)
        if path is None:
            missing(f"{name} (Debian package {PACKAGES.get(name, name)})")
        assert path is not None
        return path

    return find


@pytest.fixture
def shared_corpus() -> Path:
    """``../shared/corpus``, or the test skips/fails when it is absent."""
    corpus = SHARED / "corpus"
    if not corpus.is_dir():
        missing(f"the third-party corpus {corpus}")
    return corpus


@pytest.fixture
def shared_trust() -> Path:
    """``../shared/trust/certs``, or the test skips/fails when it is absent."""
    certs = SHARED / "trust" / "certs"
    if not certs.is_dir():
        missing(f"the trust-anchor research folder {certs}")
    return certs
