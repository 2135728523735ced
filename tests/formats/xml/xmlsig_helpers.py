"""Helpers shared by the XML signature tests (imported, not collected)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vnsign.pki.credentials import KeyCredential
from vnsign.testing import TestIdentity

SAMPLE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<HoSo xmlns="urn:vnsign:test" xmlns:x="urn:vnsign:extra">\n'
    '  <VanBan Id="vb1"><TrichYeu>Quyết định về việc thử nghiệm</TrichYeu></VanBan>\n'
    '  <x:PhuLuc Id="pl1">Phụ lục <x:Muc>1</x:Muc></x:PhuLuc>\n'
    "  <!-- ghi chú -->\n"
    "</HoSo>\n"
).encode()


def credential_of(identity: TestIdentity) -> KeyCredential:
    """A credential over a test identity's key and chain."""
    return KeyCredential(identity.private_key, identity.certificate, identity.chain)


@dataclass(frozen=True)
class TrustFiles:
    """PEM files for xmlsec1, one certificate each (xmlsec1 reads only the first
    certificate of a file): the test roots and the issuing CAs."""

    roots: tuple[Path, ...]
    intermediates: tuple[Path, ...]

    def arguments(self) -> list[str]:
        """``--trusted-pem``/``--untrusted-pem`` arguments for xmlsec1."""
        args: list[str] = []
        for path in self.roots:
            args += ["--trusted-pem", str(path)]
        for path in self.intermediates:
            args += ["--untrusted-pem", str(path)]
        return args
