"""Throwaway SoftHSM2 tokens for tests.

Each :class:`SoftHSM` lives in its own folder (configuration file plus token
directory), so tests never touch the system's tokens or each other's. Tokens are
written from outside the test process: ``softhsm2-util`` initialises them and
imports private keys, and a short python-pkcs11 script in a subprocess writes
certificate objects and keys with attributes ``softhsm2-util`` cannot set. The test
process only sees the tokens through the code under test, which reads
``SOFTHSM2_CONF`` when it initialises the module.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from vnsign.testing import TestIdentity

USER_PIN = "123456"
SO_PIN = "87654321"

_WRITE_OBJECTS = """
import json, sys
import pkcs11
from pkcs11 import Attribute
from pkcs11.util.rsa import decode_rsa_private_key
from pkcs11.util.x509 import decode_x509_certificate

job = json.load(sys.stdin)
lib = pkcs11.lib(job["module"])
token = lib.get_token(token_label=job["token"])
with token.open(rw=True, user_pin=job["pin"]) as session:
    for item in job["objects"]:
        der = bytes.fromhex(item["der"])
        if item["kind"] == "certificate":
            attrs = decode_x509_certificate(der)
            attrs[Attribute.PRIVATE] = False
        else:
            attrs = decode_rsa_private_key(der)
            attrs[Attribute.PRIVATE] = True
            attrs[Attribute.SENSITIVE] = True
            attrs[Attribute.SIGN] = True
            attrs[Attribute.ALWAYS_AUTHENTICATE] = item["always_authenticate"]
        attrs[Attribute.TOKEN] = True
        attrs[Attribute.LABEL] = item["label"]
        attrs[Attribute.ID] = bytes.fromhex(item["id"])
        session.create_object(attrs)
lib.finalize()
"""


@dataclass(frozen=True)
class SoftHSM:
    """A private SoftHSM2 installation: ``root/softhsm2.conf`` and ``root/tokens``."""

    root: Path
    util: str  #: path of softhsm2-util
    module: str  #: path of libsofthsm2.so

    @classmethod
    def create(cls, root: Path, util: str, module: str) -> SoftHSM:
        """Write the configuration and an empty token folder under ``root``."""
        (root / "tokens").mkdir(parents=True)
        (root / "softhsm2.conf").write_text(
            f"directories.tokendir = {root / 'tokens'}\n"
            "objectstore.backend = file\n"
            "log.level = ERROR\n"
            "slots.removable = false\n",
            encoding="utf-8",
        )
        return cls(root, util, module)

    @property
    def conf(self) -> Path:
        """The configuration file; ``SOFTHSM2_CONF`` must name it."""
        return self.root / "softhsm2.conf"

    def env(self) -> dict[str, str]:
        """The environment for tools that use these tokens."""
        return {**os.environ, "SOFTHSM2_CONF": str(self.conf)}

    def _run(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            args, env=self.env(), input=stdin, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stdout}{done.stderr}")
        return done.stdout

    def init_token(self, label: str, *, pin: str = USER_PIN) -> None:
        """Initialise a new token in the first free slot."""
        self._run(
            self.util, "--init-token", "--free", "--label", label, "--so-pin", SO_PIN,
            "--pin", pin,
        )  # fmt: skip

    def import_key(
        self,
        token: str,
        key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
        *,
        id_hex: str,
        label: str = "",
        pin: str = USER_PIN,
        public_key: bool = True,
    ) -> None:
        """Import ``key`` (and its public half, unless ``public_key`` is false) with
        ``CKA_ID`` ``id_hex``; an empty ``label`` leaves the key without a label, as
        many Vietnamese tokens do."""
        pem = self.root / f"key-{id_hex}.pem"
        pem.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        options = [] if public_key else ["--no-public-key"]
        try:
            self._run(
                self.util, "--import", str(pem), "--token", token, "--id", id_hex,
                "--label", label, "--pin", pin, *options,
            )  # fmt: skip
        finally:
            pem.unlink()

    def import_certificates(
        self,
        token: str,
        certificates: list[tuple[x509.Certificate, str, str]],
        *,
        pin: str = USER_PIN,
    ) -> None:
        """Write certificate objects: ``(certificate, label, id_hex)`` each."""
        self._write_objects(
            token,
            [
                {
                    "kind": "certificate",
                    "der": cert.public_bytes(serialization.Encoding.DER).hex(),
                    "label": label,
                    "id": id_hex,
                }
                for cert, label, id_hex in certificates
            ],
            pin,
        )

    def import_key_needing_pin_per_signature(
        self, token: str, key: rsa.RSAPrivateKey, *, id_hex: str, pin: str = USER_PIN
    ) -> None:
        """Write an RSA key with ``CKA_ALWAYS_AUTHENTICATE``: the token wants the
        PIN again before each signature (``softhsm2-util`` cannot set this)."""
        der = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        self._write_objects(
            token,
            [
                {
                    "kind": "rsa-key",
                    "der": der.hex(),
                    "label": "",
                    "id": id_hex,
                    "always_authenticate": True,
                }
            ],
            pin,
        )

    def _write_objects(self, token: str, objects: list[dict[str, object]], pin: str) -> None:
        job = {"module": self.module, "token": token, "pin": pin, "objects": objects}
        self._run(sys.executable, "-c", _WRITE_OBJECTS, stdin=json.dumps(job))

    def add_identity(
        self,
        token: str,
        identity: TestIdentity,
        *,
        id_hex: str,
        key_label: str = "",
        cert_label: str = "",
        with_chain: bool = True,
        pin: str = USER_PIN,
    ) -> None:
        """Put a test-PKI identity on ``token`` the way CAs ship tokens: key and
        certificate sharing ``CKA_ID``, issuing CAs beside them (id ``ca<n>``)."""
        self.import_key(token, identity.private_key, id_hex=id_hex, label=key_label, pin=pin)
        certs = [(identity.certificate, cert_label, id_hex)]
        if with_chain:
            certs += [
                (ca, ca.subject.rfc4514_string(), f"ca{n:02x}")
                for n, ca in enumerate(identity.chain)
            ]
        self.import_certificates(token, certs, pin=pin)

    def token_serial(self, label: str) -> str:
        """The serial softhsm2-util reports for the token labelled ``label``."""
        lines = self._run(self.util, "--show-slots").splitlines()
        serial = ""
        for line in lines:
            text = line.strip()
            if text.startswith("Serial number:"):
                serial = text.partition(":")[2].strip()
            elif text.startswith("Label:") and text.partition(":")[2].strip() == label:
                return serial
        raise LookupError(f"no token labelled {label!r} in softhsm2-util --show-slots")
