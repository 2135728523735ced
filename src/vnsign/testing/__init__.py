"""A Vietnamese-style test PKI with live OCSP, CRL and TSA services, for vnsign's
tests and for the tests of projects that use vnsign.

The pytest plugin (:mod:`vnsign.testing.plugin`, loaded automatically when
vnsign is installed) offers it as fixtures: ``vn_pki``, ``vn_services``,
``vn_make_cert``, ``vn_new_pki`` and ``vn_remote_gateway``. See ``docs/testing.md``.

Names are loaded on first use (PEP 562), so the plugin costs nothing in test
runs that do not use it. Nothing in the library imports this package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # explicit re-exports for type checkers; at run time __getattr__ loads them
    from vnsign.testing._keys import KeyType as KeyType
    from vnsign.testing._pki import DEFAULT_PASSWORD as DEFAULT_PASSWORD
    from vnsign.testing._pki import Revocation as Revocation
    from vnsign.testing._pki import TestCA as TestCA
    from vnsign.testing._pki import TestIdentity as TestIdentity
    from vnsign.testing._pki import TestPKI as TestPKI
    from vnsign.testing._pki import Variant as Variant
    from vnsign.testing._services import Fault as Fault
    from vnsign.testing._services import TestServices as TestServices
    from vnsign.testing._subjects import Profile as Profile
    from vnsign.testing._tsa import TEST_TSA_POLICY as TEST_TSA_POLICY

_WHERE = {
    "KeyType": "vnsign.testing._keys",
    "DEFAULT_PASSWORD": "vnsign.testing._pki",
    "Revocation": "vnsign.testing._pki",
    "TestCA": "vnsign.testing._pki",
    "TestIdentity": "vnsign.testing._pki",
    "TestPKI": "vnsign.testing._pki",
    "Variant": "vnsign.testing._pki",
    "Fault": "vnsign.testing._services",
    "TestServices": "vnsign.testing._services",
    "Profile": "vnsign.testing._subjects",
    "TEST_TSA_POLICY": "vnsign.testing._tsa",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'vnsign.testing' has no attribute {name!r}")
