"""PKCS#11 token credentials against real SoftHSM2 tokens made by the tests.

Every token lives in a temporary SoftHSM2 folder (see ``_softhsm.py``); the code
under test finds it through ``SOFTHSM2_CONF``, as it would find a USB token
through the vendor's module.
"""

from __future__ import annotations

import asyncio
import glob
import hashlib
import os
import re
import subprocess
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from _softhsm import USER_PIN, SoftHSM
from click.testing import CliRunner
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from vnsign.cli import EXIT_ERROR, EXIT_USAGE, cli, main
from vnsign.errors import (
    CertificateNotUsableError,
    CredentialError,
    CredentialLockedError,
    CredentialNotFoundError,
    InputError,
    SigningError,
)
from vnsign.formats.cades import sign_cades, verify_cades
from vnsign.pki.credentials import Credential, HashAlgorithm, KeyKind, SignatureScheme
from vnsign.pki.identity import CertificateInfo
from vnsign.pki.pkcs11 import (
    MODULE_ENV,
    SOFTHSM2_MODULES,
    PinState,
    TokenCredential,
    list_certificates,
    list_keys,
    list_tokens,
    open_token_credential,
    resolve_module_path,
)
from vnsign.pki.signer import CredentialSigner
from vnsign.testing import TestIdentity, TestPKI

# 31 bytes of UTF-8: PKCS#11 token labels hold 32.
TOKEN = "Chữ ký số Nguyễn Văn An"
CERT_LABEL = "Chữ ký số Nguyễn Văn An"
RSA_ID, EC_ID = "0a0b", "0c0d"
DIGEST = hashlib.sha256("Quyết định số 01/QĐ-UBND".encode()).digest()


@dataclass(frozen=True)
class Token:
    """The standard test token: an RSA key with NO label whose certificate is
    labelled in Vietnamese (as Vietnamese CAs ship them), an ECDSA key with
    labels, and the issuing CAs."""

    hsm: SoftHSM
    rsa: TestIdentity
    ecdsa: TestIdentity

    @property
    def module(self) -> str:
        return self.hsm.module


def softhsm_module() -> str:
    found = next((p for p in SOFTHSM2_MODULES if p.is_file()), None)
    if found is None:
        pytest.fail("softhsm2-util is installed but libsofthsm2.so is in none of the known places")
    return str(found)


@pytest.fixture
def softhsm(tool: Callable[[str], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SoftHSM:
    """An empty private SoftHSM2, active for this test."""
    hsm = SoftHSM.create(tmp_path / "softhsm", tool("softhsm2-util"), softhsm_module())
    monkeypatch.setenv("SOFTHSM2_CONF", str(hsm.conf))
    monkeypatch.delenv(MODULE_ENV, raising=False)
    return hsm


@pytest.fixture(scope="module")
def built_tokens() -> dict[str, Token]:
    return {}


@pytest.fixture
def token(
    tool: Callable[[str], str],
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    vn_pki: TestPKI,
    built_tokens: dict[str, Token],
) -> Token:
    """The standard token (built once per module; tests only read it)."""
    util = tool("softhsm2-util")
    if "standard" not in built_tokens:
        hsm = SoftHSM.create(tmp_path_factory.mktemp("token"), util, softhsm_module())
        hsm.init_token(TOKEN)
        ecdsa = vn_pki.variant("ecdsa-p256")
        hsm.add_identity(TOKEN, vn_pki.person, id_hex=RSA_ID, cert_label=CERT_LABEL)
        hsm.add_identity(
            TOKEN, ecdsa, id_hex=EC_ID, key_label="khóa ECDSA", cert_label="chứng thư ECDSA",
            with_chain=False,
        )  # fmt: skip
        built_tokens["standard"] = Token(hsm, vn_pki.person, ecdsa)
    built = built_tokens["standard"]
    monkeypatch.setenv("SOFTHSM2_CONF", str(built.hsm.conf))
    monkeypatch.delenv(MODULE_ENV, raising=False)
    return built


def verify(cred: Credential, signature: bytes, digest: bytes, scheme: SignatureScheme) -> None:
    public = cred.certificate.public_key()
    algorithm = hashes.SHA256() if len(digest) == 32 else hashes.SHA384()
    if len(digest) == 64:
        algorithm = hashes.SHA512()
    prehashed = utils.Prehashed(algorithm)
    if isinstance(public, ec.EllipticCurvePublicKey):
        public.verify(signature, digest, ec.ECDSA(prehashed))
    elif isinstance(public, rsa.RSAPublicKey) and scheme is SignatureScheme.PSS:
        pss = padding.PSS(padding.MGF1(algorithm), salt_length=algorithm.digest_size)
        public.verify(signature, digest, pss, prehashed)
    else:
        assert isinstance(public, rsa.RSAPublicKey)
        public.verify(signature, digest, padding.PKCS1v15(), prehashed)


@pytest.mark.interop
@pytest.mark.parametrize("hash_algorithm", list(HashAlgorithm))
def test_rsa_pkcs1_pss_and_ecdsa_signatures_verify(
    token: Token, hash_algorithm: HashAlgorithm
) -> None:
    digest = hashlib.new(hash_algorithm.value, b"Hoa don GTGT so 0000123").digest()
    with open_token_credential(module=token.module, key_id=RSA_ID, pin=USER_PIN) as cred:
        assert isinstance(cred, Credential)
        assert (cred.key_kind, cred.key_size) == (KeyKind.RSA, 2048)
        for scheme in SignatureScheme:
            signature = cred.sign_digest(digest, hash_algorithm, scheme=scheme)
            verify(cred, signature, digest, scheme)
        # PKCS#1 v1.5 is deterministic: the token built the same DigestInfo cryptography does
        expected = token.rsa.private_key.sign(
            digest, padding.PKCS1v15(), utils.Prehashed(hash_algorithm.cryptography)
        )
        assert cred.sign_digest(digest, hash_algorithm) == expected
    with open_token_credential(module=token.module, key_id=EC_ID, pin=USER_PIN) as cred:
        assert (cred.key_kind, cred.key_size) == (KeyKind.ECDSA, 256)
        signature = cred.sign_digest(digest, hash_algorithm)
        assert signature[0] == 0x30  # DER ECDSA-Sig-Value, not PKCS#11's r || s
        verify(cred, signature, digest, SignatureScheme.PKCS1V15)
        with pytest.raises(InvalidSignature):
            verify(
                cred,
                signature,
                hashlib.new(hash_algorithm.value, b"x").digest(),
                SignatureScheme.PKCS1V15,
            )


@pytest.mark.interop
@pytest.mark.parametrize("key_id", [RSA_ID, EC_ID])
def test_cms_signed_with_a_token_verifies_with_openssl(
    token: Token, key_id: str, vn_pki: TestPKI, tmp_path: Path, tool: Callable[[str], str]
) -> None:
    openssl = tool("openssl")
    content = tmp_path / "phu-luc.docx"
    content.write_bytes(os.urandom(50_000))
    with open_token_credential(module=token.module, key_id=key_id, pin=USER_PIN) as cred:
        signer = CredentialSigner(cred)
        with content.open("rb") as stream:
            signed = asyncio.run(
                signer.async_sign_general_data(stream, "sha256", detached=True, use_cades=True)
            )
    p7s = tmp_path / "phu-luc.docx.p7s"
    p7s.write_bytes(signed.dump())
    roots = tmp_path / "roots.pem"
    roots.write_bytes(b"".join(r.public_bytes(serialization.Encoding.PEM) for r in vn_pki.roots))
    command = [
        openssl, "cms", "-verify", "-binary", "-inform", "DER", "-in", str(p7s),
        "-content", str(content), "-CAfile", str(roots), "-out", os.devnull,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "Verification successful" in done.stderr
    content.write_bytes(content.read_bytes()[:-1] + b"\x00")
    tampered = subprocess.run(command, capture_output=True, text=True, check=False)
    assert tampered.returncode != 0


@pytest.mark.interop
def test_unlabelled_key_is_found_by_cka_id_or_by_its_certificates_label(token: Token) -> None:
    keys = list_keys(token.module, pin=USER_PIN)
    unlabelled = next(k for k in keys if k.id_hex == RSA_ID)
    assert unlabelled.label == ""
    for selector in (
        {"key_id": RSA_ID},
        {"key_id": "0A:0B"},
        {"key_id": bytes.fromhex(RSA_ID)},
        {"key_label": CERT_LABEL},
        {"key_label": unicodedata.normalize("NFD", CERT_LABEL)},  # typed on a Mac
    ):
        with open_token_credential(module=token.module, pin=USER_PIN, **selector) as cred:
            assert cred.certificate == token.rsa.certificate, selector
            assert cred.key.id_hex == RSA_ID
            assert cred.chain == token.rsa.chain  # issuers read from the token, ordered
    with open_token_credential(module=token.module, key_label="khóa ECDSA", pin=USER_PIN) as cred:
        assert cred.certificate == token.ecdsa.certificate
        assert cred.chain == token.rsa.chain  # same CA; its certificates are on the token


@pytest.mark.interop
def test_vietnamese_token_label_and_serial_select_the_token(token: Token) -> None:
    serial = token.hsm.token_serial(TOKEN)
    (info,) = list_tokens(token.module)  # SoftHSM's spare uninitialised slot is not listed
    assert (info.label, info.serial) == (TOKEN, serial)
    assert (info.manufacturer, info.model) == ("SoftHSM project", "SoftHSM v2")
    assert info.login_required and not info.pin_pad
    assert info.pin_state in {PinState.OK, PinState.COUNT_LOW}
    for selector in (
        {"token_label": TOKEN},
        {"token_label": unicodedata.normalize("NFD", TOKEN)},
        {"token_serial": serial.upper()},
        {"token_label": TOKEN, "token_serial": serial},
    ):
        with open_token_credential(
            module=token.module, key_id=EC_ID, pin=USER_PIN, **selector
        ) as cred:
            assert cred.token.label == TOKEN
            assert cred.token.serial == serial


@pytest.mark.interop
def test_wrong_or_missing_pin_is_a_one_line_locked_error(
    token: Token, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(CredentialLockedError) as wrong:
        open_token_credential(module=token.module, key_id=RSA_ID, pin="000000")
    message = str(wrong.value)
    assert message.startswith(f"wrong PIN for token '{TOKEN}'")
    assert "\n" not in message
    # SoftHSM2 raises CKF_USER_PIN_COUNT_LOW after a wrong PIN; the message passes it on
    assert "locks after too many" in message
    with pytest.raises(CredentialLockedError, match="needs its PIN"):
        open_token_credential(module=token.module, key_id=RSA_ID)
    monkeypatch.delenv("VNSIGN_TEST_PIN", raising=False)
    with pytest.raises(CredentialLockedError, match="VNSIGN_TEST_PIN is not set"):
        open_token_credential(module=token.module, key_id=RSA_ID, pin_env="VNSIGN_TEST_PIN")
    monkeypatch.setenv("VNSIGN_TEST_PIN", USER_PIN)
    with open_token_credential(module=token.module, key_id=RSA_ID, pin_env="VNSIGN_TEST_PIN") as c:
        verify(c, c.sign_digest(DIGEST, "sha256"), DIGEST, SignatureScheme.PKCS1V15)
        # while it is logged in, a second credential with another PIN is refused too
        with pytest.raises(CredentialLockedError, match="wrong PIN"):
            open_token_credential(module=token.module, key_id=EC_ID, pin="111111")


@pytest.mark.interop
def test_missing_token_key_and_module_name_what_is_there(token: Token, tmp_path: Path) -> None:
    with pytest.raises(CredentialNotFoundError) as no_token:
        open_token_credential(module=token.module, token_label="Không có", pin=USER_PIN)
    assert f"tokens present: '{TOKEN}'" in str(no_token.value)
    with pytest.raises(CredentialNotFoundError) as no_key:
        open_token_credential(module=token.module, key_label="Trần Văn B", pin=USER_PIN)
    text = str(no_key.value)
    assert "no private key with label 'Trần Văn B'" in text
    assert f"id {RSA_ID} (no label) RSA 2048" in text
    assert f"id {EC_ID} 'khóa ECDSA' EC 256" in text
    assert f"id {RSA_ID} '{CERT_LABEL}' Nguyễn Văn An" in text
    with pytest.raises(CredentialNotFoundError, match="2 private keys match"):
        open_token_credential(module=token.module, pin=USER_PIN)
    with pytest.raises(CredentialNotFoundError, match="hexadecimal"):
        open_token_credential(module=token.module, key_id="khóa", pin=USER_PIN)
    with pytest.raises(CredentialNotFoundError, match="does not exist: point to the PKCS#11"):
        open_token_credential(module=tmp_path / "libvendor.so", pin=USER_PIN)
    garbage = tmp_path / "libgarbage.so"
    garbage.write_bytes(b"not a shared library")
    with pytest.raises(CredentialNotFoundError, match="cannot load PKCS#11 module") as bad:
        open_token_credential(module=garbage, pin=USER_PIN)
    for error in (no_token.value, no_key.value, bad.value):
        assert "\n" not in str(error)


@pytest.mark.interop
@pytest.mark.parametrize("variant", ["expired", "not-yet-valid", "wrong-key-usage"])
def test_unusable_certificate_is_refused_unless_allowed(
    softhsm: SoftHSM, vn_make_cert: Callable[..., TestIdentity], variant: str
) -> None:
    ident = vn_make_cert(variant)
    softhsm.init_token("hết hạn")
    softhsm.add_identity("hết hạn", ident, id_hex="01", cert_label=ident.label)
    with pytest.raises(CertificateNotUsableError):
        open_token_credential(module=softhsm.module, pin=USER_PIN)
    with open_token_credential(module=softhsm.module, pin=USER_PIN, allow_unusable=True) as cred:
        assert cred.certificate == ident.certificate
        verify(cred, cred.sign_digest(DIGEST, "sha256"), DIGEST, SignatureScheme.PKCS1V15)


@pytest.mark.interop
def test_certificate_given_by_the_caller_must_match_the_key(
    softhsm: SoftHSM, vn_pki: TestPKI
) -> None:
    ident = vn_pki.organization
    softhsm.init_token("chỉ có khóa")
    softhsm.import_key("chỉ có khóa", ident.private_key, id_hex="01")
    with pytest.raises(CredentialNotFoundError, match="no certificate for key id 01"):
        open_token_credential(module=softhsm.module, pin=USER_PIN)
    with pytest.raises(CredentialError, match="does not belong to key id 01"):
        open_token_credential(
            module=softhsm.module, pin=USER_PIN, certificate=vn_pki.person.certificate
        )
    with open_token_credential(
        module=softhsm.module,
        pin=USER_PIN,
        certificate=ident.certificate,
        extra_certificates=[vn_pki.person.certificate, *reversed(ident.chain)],
    ) as cred:
        assert cred.chain == ident.chain
        verify(cred, cred.sign_digest(DIGEST, "sha256"), DIGEST, SignatureScheme.PKCS1V15)


@pytest.mark.interop
def test_bad_digests_are_refused_before_the_token_is_asked(token: Token) -> None:
    with open_token_credential(module=token.module, key_id=RSA_ID, pin=USER_PIN) as cred:
        with pytest.raises(SigningError, match="SHA-1"):
            cred.sign_digest(hashlib.sha1(b"x").digest(), "sha1")
        with pytest.raises(InputError, match="32 bytes"):
            cred.sign_digest(DIGEST[:20], "sha256")


def pkcs11_spy() -> str:
    """OpenSC's logging PKCS#11 proxy module (Debian package opensc-pkcs11)."""
    for pattern in ("/usr/lib/*/pkcs11-spy.so", "/usr/lib/*/pkcs11/pkcs11-spy.so"):
        for path in sorted(glob.glob(pattern)):
            return path
    what = "pkcs11-spy.so (Debian package opensc-pkcs11)"
    if os.environ.get("VNSIGN_REQUIRE_INTEROP") == "1":
        pytest.fail(f"{what} is required when VNSIGN_REQUIRE_INTEROP=1", pytrace=False)
    pytest.skip(f"interop: {what} is not available")


@pytest.mark.interop
def test_many_signatures_log_in_once(
    token: Token, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pkcs11-spy sits between vnsign and SoftHSM2 and logs every PKCS#11 call.
    log = tmp_path / "spy.log"
    monkeypatch.setenv("PKCS11SPY", token.module)
    monkeypatch.setenv("PKCS11SPY_OUTPUT", str(log))
    with open_token_credential(module=pkcs11_spy(), key_id=RSA_ID, pin=USER_PIN) as cred:
        for n in range(40):
            digest = hashlib.sha256(f"văn bản {n}".encode()).digest()
            verify(cred, cred.sign_digest(digest, "sha256"), digest, SignatureScheme.PKCS1V15)
    calls = re.findall(r"^\d+: (C_\w+)", log.read_text(encoding="utf-8", errors="replace"), re.M)
    assert calls.count("C_SignInit") == 40
    assert calls.count("C_Login") == 1
    assert calls.count("C_Logout") == 1
    assert calls.count("C_Finalize") == 1  # the module is released when the credential closes


@pytest.mark.interop
def test_one_credential_signs_from_many_threads(token: Token) -> None:
    def sign(n: int) -> tuple[bytes, bytes]:
        digest = hashlib.sha256(n.to_bytes(4, "big")).digest()
        return digest, cred.sign_digest(digest, "sha256", scheme=SignatureScheme.PSS)

    with (
        open_token_credential(module=token.module, key_id=RSA_ID, pin=USER_PIN) as cred,
        ThreadPoolExecutor(max_workers=8) as pool,
    ):
        results = list(pool.map(sign, range(80)))
    assert len({signature for _, signature in results}) == 80
    for digest, signature in results:
        verify(cred, signature, digest, SignatureScheme.PSS)


@pytest.mark.interop
def test_closing_one_credential_keeps_the_other_logged_in(token: Token) -> None:
    first = open_token_credential(module=token.module, key_id=RSA_ID, pin=USER_PIN)
    second = open_token_credential(module=token.module, key_id=EC_ID, pin=USER_PIN)
    first.close()
    assert first.closed and not second.closed
    verify(second, second.sign_digest(DIGEST, "sha256"), DIGEST, SignatureScheme.PKCS1V15)
    with pytest.raises(CredentialError, match="is closed"):
        first.sign_digest(DIGEST, "sha256")
    first.close()  # closing twice is harmless
    second.close()
    assert "closed" in repr(second)
    # everything was released: a new login works from scratch
    with open_token_credential(module=token.module, key_id=RSA_ID, pin=USER_PIN) as again:
        assert isinstance(again, TokenCredential)
        again.sign_digest(DIGEST, "sha256")


@pytest.mark.interop
def test_listing_shows_certificates_without_login_and_keys_with_it(token: Token) -> None:
    certs = {c.id_hex: c for c in list_certificates(token.module, token_label=TOKEN)}
    person = certs[RSA_ID]
    assert person.label == CERT_LABEL
    assert person.certificate == token.rsa.certificate
    expected = CertificateInfo.from_certificate(token.rsa.certificate)
    assert person.identity.common_name == "Nguyễn Văn An"
    assert person.identity.cccd == expected.cccd is not None
    assert {"ca00", "ca01", EC_ID} <= set(certs)
    keys = {k.id_hex: k for k in list_keys(token.module, pin=USER_PIN)}
    assert set(keys) == {RSA_ID, EC_ID}
    assert (keys[RSA_ID].key_type, keys[RSA_ID].size, keys[RSA_ID].kind) == (
        "RSA",
        2048,
        KeyKind.RSA,
    )
    assert (keys[EC_ID].label, keys[EC_ID].key_type, keys[EC_ID].size) == ("khóa ECDSA", "EC", 256)
    assert all(k.can_sign for k in keys.values())


@pytest.mark.interop
def test_module_from_environment_or_softhsm_default(
    token: Token, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert resolve_module_path() == token.module  # SoftHSM2 where it is installed
    monkeypatch.setenv(MODULE_ENV, token.module)
    assert [t.label for t in list_tokens()] == [TOKEN]
    monkeypatch.setenv(MODULE_ENV, str(tmp_path / "libeToken.so"))
    with pytest.raises(CredentialNotFoundError, match=MODULE_ENV):
        list_tokens()


@pytest.mark.interop
def test_tokens_command_shows_the_certificates_vietnamese_identity(
    token: Token, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["tokens", "--module", token.module]) == 0
    out = capsys.readouterr().out
    serial = token.hsm.token_serial(TOKEN)
    assert f"Token '{TOKEN}'  serial {serial}  SoftHSM project SoftHSM v2" in out
    cccd = CertificateInfo.from_certificate(token.rsa.certificate).cccd
    assert f"id {RSA_ID}  '{CERT_LABEL}'" in out
    assert f"Nguyễn Văn An: person · CCCD {cccd}" in out
    assert "issuer VNSIGN-CA TEST SHA-256" in out
    assert "Private keys: log in to list them" in out

    monkeypatch.setenv("TOKEN_PIN", USER_PIN)
    assert (
        main(["tokens", "--module", token.module, "--token", TOKEN, "--pin-env", "TOKEN_PIN"]) == 0
    )
    out = capsys.readouterr().out
    assert f"id {RSA_ID}  (no label)  RSA 2048" in out
    assert f"id {EC_ID}  'khóa ECDSA'  EC 256" in out

    asked = CliRunner().invoke(
        cli, ["tokens", "--module", token.module, "--ask-pin"], input=f"{USER_PIN}\n"
    )
    assert asked.exit_code == 0, asked.output
    assert f"PIN of token '{TOKEN}'" in asked.output
    assert f"id {RSA_ID}  (no label)  RSA 2048" in asked.output


@pytest.mark.interop
def test_tokens_command_errors_are_one_line(
    token: Token,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("TOKEN_PIN", "999999")
    assert main(["tokens", "--module", token.module, "--pin-env", "TOKEN_PIN"]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert err.startswith(f"vnsign: wrong PIN for token '{TOKEN}'")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert main(["tokens", "--module", str(tmp_path / "libvendor.so")]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert err.startswith("vnsign: PKCS#11 module") and err.count("\n") == 1
    assert main(["tokens", "--module", token.module, "--token", "Không có"]) == EXIT_ERROR
    assert capsys.readouterr().err.startswith(f"vnsign: no token matches; present: '{TOKEN}'")
    monkeypatch.delenv("TOKEN_PIN")
    assert main(["tokens", "--module", token.module, "--pin-env", "TOKEN_PIN"]) == EXIT_USAGE
    assert "TOKEN_PIN is not set" in capsys.readouterr().err


@pytest.mark.interop
def test_a_certificate_the_token_cannot_check_is_caught_when_signing(
    softhsm: SoftHSM, vn_make_cert: Callable[..., TestIdentity]
) -> None:
    # An EC private key without its public key object: nothing on the token tells
    # whether a certificate belongs to it, so CAdES signing checks its own output.
    ident, stranger = vn_make_cert("ecdsa-p256"), vn_make_cert("ecdsa-p256")
    softhsm.init_token("không có khóa công khai")
    softhsm.import_key("không có khóa công khai", ident.private_key, id_hex="01", public_key=False)
    content = "Tờ trình số 12".encode()
    with (
        open_token_credential(
            module=softhsm.module, pin=USER_PIN, certificate=stranger.certificate
        ) as cred,
        pytest.raises(SigningError, match="does not verify"),
    ):
        sign_cades(content, cred)
    with open_token_credential(
        module=softhsm.module, pin=USER_PIN, certificate=ident.certificate
    ) as cred:
        assert verify_cades(content, sign_cades(content, cred)).valid


@pytest.mark.interop
def test_sign_cades_command_with_a_token(
    token: Token,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    attachment = tmp_path / "Phụ lục.xlsx"
    attachment.write_bytes(os.urandom(30_000))
    monkeypatch.setenv("TOKEN_PIN", USER_PIN)
    args = ["sign", "cades", str(attachment), "--module", token.module, "--token", TOKEN]
    assert main([*args, "--key-label", CERT_LABEL, "--pin-env", "TOKEN_PIN"]) == 0
    assert "Nguyễn Văn An" in capsys.readouterr().out
    result = verify_cades(attachment, attachment.with_name(attachment.name + ".p7s"))
    assert result.valid and result.signers[0].signer_certificate == token.rsa.certificate

    out = tmp_path / "ecdsa.p7s"
    asked = CliRunner().invoke(
        cli, [*args, "--key-id", EC_ID, "--out", str(out)], input=f"{USER_PIN}\n"
    )
    assert asked.exit_code == 0, asked.output
    assert "Token PIN" in asked.output
    (signer,) = verify_cades(attachment, out).signers
    assert signer.valid and signer.signer_certificate == token.ecdsa.certificate

    monkeypatch.setenv("TOKEN_PIN", "000000")
    assert main([*args, "--key-id", EC_ID, "--pin-env", "TOKEN_PIN"]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert err.startswith(f"vnsign: wrong PIN for token '{TOKEN}'") and err.count("\n") == 1


@pytest.mark.interop
def test_key_that_wants_the_pin_for_every_signature(softhsm: SoftHSM, vn_pki: TestPKI) -> None:
    ident = vn_pki.gov_official
    softhsm.init_token("Ban Cơ yếu")
    softhsm.import_key_needing_pin_per_signature("Ban Cơ yếu", ident.private_key, id_hex="01")
    softhsm.import_certificates("Ban Cơ yếu", [(ident.certificate, "", "01")])
    with open_token_credential(module=softhsm.module, pin=USER_PIN) as cred:
        for n in range(3):
            digest = hashlib.sha256(bytes([n])).digest()
            verify(cred, cred.sign_digest(digest, "sha256"), digest, SignatureScheme.PKCS1V15)
