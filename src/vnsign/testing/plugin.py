"""pytest plugin with the vnsign test PKI as fixtures.

Loaded automatically (entry point ``pytest11: vnsign``) wherever vnsign is
installed. Fixtures:

``vn_pki`` (session)
    A :class:`~vnsign.testing.TestPKI` with its services running.
``vn_services``
    ``vn_pki.services``; faults injected during a test are cleared after it.
``vn_make_cert``
    ``vn_make_cert("revoked")``, ``vn_make_cert(profile="organization")``,
    ``vn_make_cert("expired", "gov-official")``: a fresh certificate from ``vn_pki``.
``vn_new_pki``
    A callable building a separate PKI (own keys and roots), closed after the test:
    for "signed by someone we do not trust" cases.
``vn_remote_gateway``
    A remote-signing gateway (CSC, ETSI TS 102 204, SmartCA-style) that also plays
    the signer's phone; see ``docs/remote-signing.md``.

vnsign itself is imported only when a fixture is used, so the plugin costs
nothing in test runs that do not use it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from vnsign.testing import Profile, TestIdentity, TestPKI, TestServices, Variant
    from vnsign.testing.remote.gateway import RemoteGateway


def pytest_report_header(config: pytest.Config) -> str:
    """Say where the test keys are cached (the first run generates them)."""
    from vnsign.testing._keys import default_cache_dir

    return f"vnsign test PKI: key cache {default_cache_dir() or 'disabled'}"


@pytest.fixture(scope="session")
def vn_pki() -> Iterator[TestPKI]:
    """A Vietnamese-style test PKI shared by the whole session, services running."""
    from vnsign.testing import TestPKI

    with TestPKI() as pki:
        yield pki


@pytest.fixture
def vn_services(vn_pki: TestPKI) -> Iterator[TestServices]:
    """The live OCSP/CRL/TSA services of ``vn_pki``; faults are reset afterwards."""
    yield vn_pki.services
    vn_pki.services.faults.clear()


@pytest.fixture
def vn_make_cert(vn_pki: TestPKI) -> Callable[..., TestIdentity]:
    """Issue a fresh certificate from ``vn_pki``: ``vn_make_cert(variant=None,
    profile="person", **options)``."""

    def make(
        variant: Variant | str | None = None,
        profile: Profile | str = "person",
        **options: Any,
    ) -> TestIdentity:
        if variant is None:
            return vn_pki.issue(profile, **options)
        return vn_pki.variant(variant, profile, **options)

    return make


@pytest.fixture
def vn_new_pki() -> Iterator[Callable[..., TestPKI]]:
    """Build extra, independent test PKIs (closed when the test ends)."""
    from vnsign.testing import TestPKI

    built: list[TestPKI] = []

    def build(**options: Any) -> TestPKI:
        pki = TestPKI(**options)
        built.append(pki)
        return pki

    yield build
    for pki in built:
        pki.close()


@pytest.fixture
def vn_remote_gateway(vn_pki: TestPKI) -> Iterator[RemoteGateway]:
    """A running remote-signing gateway (CSC, ETSI TS 102 204 and SmartCA-style) on
    ``vn_pki``, stopped after the test. Prompts expire after 5 s unless the test sets
    ``vn_remote_gateway.expiry``; add users with ``add_user()``. See ``docs/remote-signing.md``."""
    from vnsign.testing.remote.gateway import RemoteGateway

    with RemoteGateway(vn_pki, expiry=5.0) as gateway:
        yield gateway
