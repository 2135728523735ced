"""A Vietnamese-style test PKI with live OCSP, CRL and TSA services, for vnsign's
tests and for the tests of projects that use vnsign.

The pytest plugin (:mod:`vnsign.testing.plugin`, loaded automatically when
vnsign is installed) offers it as fixtures: ``vn_pki``, ``vn_services``,
``vn_make_cert`` and ``vn_new_pki``. See ``docs/testing.md``.

Nothing in the library imports this package; it is test equipment.
"""

from vnsign.testing._keys import KeyType
from vnsign.testing._pki import (
    DEFAULT_PASSWORD,
    Revocation,
    TestCA,
    TestIdentity,
    TestPKI,
    Variant,
)
from vnsign.testing._services import Fault, TestServices
from vnsign.testing._subjects import Profile
from vnsign.testing._tsa import TEST_TSA_POLICY

__all__ = [
    "DEFAULT_PASSWORD",
    "TEST_TSA_POLICY",
    "Fault",
    "KeyType",
    "Profile",
    "Revocation",
    "TestCA",
    "TestIdentity",
    "TestPKI",
    "TestServices",
    "Variant",
]
