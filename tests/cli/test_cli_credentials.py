"""One set of credential options for every ``vnsign sign`` command: a PKCS#12
file, a PEM key with its certificates, a PKCS#11 token (SoftHSM2) and a remote
signer (the reference gateway); and the errors each of them can end in."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from _credential_cases import (
    COMMANDS,
    USER_PIN,
    Command,
    PdfCommand,
    Signer,
    SoftHSM,
    Tool,
    pem_files,
    softhsm_module,
)
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from vnsign.cli import EXIT_ERROR, EXIT_USAGE, cli, main
from vnsign.pki.pkcs11 import MODULE_ENV
from vnsign.testing import DEFAULT_PASSWORD, TestIdentity, TestPKI
from vnsign.testing.remote import GatewayUser, PhoneAction, RemoteGateway

KINDS = ("p12", "pem", "token", "remote")
P12_PASSWORD_ENV, KEY_PASSWORD_ENV, PIN_ENV = "VNSIGN_TEST_PW", "VNSIGN_KEY_PW", "VNSIGN_TOKEN_PIN"
KEY_PASSWORD = "mật khẩu khóa"
TOKEN_LABEL = "Chữ ký số Công ty"  # 26 bytes of UTF-8: token labels hold 32
CERT_LABEL = "Công ty thử nghiệm"
COMMAND_IDS = [c.name for c in COMMANDS]


@dataclass(frozen=True)
class Token:
    """A SoftHSM2 token holding an organisation's key, certificate and CAs."""

    hsm: Any  # _softhsm.SoftHSM
    identity: TestIdentity


@pytest.fixture(scope="module")
def built_tokens() -> dict[str, Token]:
    return {}


@pytest.fixture
def token(
    tool: Tool,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    vn_pki: TestPKI,
    built_tokens: dict[str, Token],
) -> Token:
    """The token (built once per module; tests only read it), its PIN in PIN_ENV."""
    util = tool("softhsm2-util")
    if "token" not in built_tokens:
        hsm = SoftHSM.create(tmp_path_factory.mktemp("token"), util, softhsm_module())
        hsm.init_token(TOKEN_LABEL)
        identity = vn_pki.issue("organization")
        hsm.add_identity(TOKEN_LABEL, identity, id_hex="0a0b", cert_label=CERT_LABEL)
        built_tokens["token"] = Token(hsm, identity)
    built = built_tokens["token"]
    monkeypatch.setenv("SOFTHSM2_CONF", str(built.hsm.conf))
    monkeypatch.delenv(MODULE_ENV, raising=False)
    monkeypatch.setenv(PIN_ENV, USER_PIN)
    return built


@pytest.fixture
def gateway(
    vn_remote_gateway: RemoteGateway, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RemoteGateway]:
    """The reference gateway, with the secrets in the variables the command reads."""
    for name, value in (
        ("VNSIGN_SMARTCA_SP_ID", vn_remote_gateway.sp_id),
        ("VNSIGN_SMARTCA_SP_PASSWORD", vn_remote_gateway.sp_password),
        ("VNSIGN_CSC_TOKEN", vn_remote_gateway.csc_token),
        ("VNSIGN_MSS_AP_ID", vn_remote_gateway.ap_id),
        ("VNSIGN_MSS_AP_PASSWORD", vn_remote_gateway.ap_password),
        ("VNSIGN_MSS_MSSP_ID", vn_remote_gateway.mssp_id),
    ):
        monkeypatch.setenv(name, value)
    yield vn_remote_gateway
    assert vn_remote_gateway.errors == []


def remote_arguments(
    gateway: RemoteGateway, user: GatewayUser, dialect: str, store: Path
) -> list[str]:
    """``--remote ... --service ... --user ...`` for ``user`` in ``dialect``."""
    service, name = {
        "smartca": (gateway.smartca_url, user.user_id),
        "mss": (gateway.mss_url, user.msisdn),
        "csc": (gateway.url, user.credential_id),
        "csc-v2": (gateway.url, user.credential_id),
    }[dialect]
    return [
        *("--remote", dialect, "--service", service, "--user", name),
        *("--remote-store", str(store)),
    ]


@pytest.fixture
def signer_for(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    vn_pki: TestPKI,
) -> Callable[[str, str], Signer]:
    """``signer_for(kind, dialect)``: a credential of ``kind`` as arguments (a
    remote one in ``dialect``, its phone approving every prompt)."""
    keys = tmp_path / "keys"
    keys.mkdir()
    monkeypatch.setenv(P12_PASSWORD_ENV, DEFAULT_PASSWORD.decode())
    monkeypatch.setenv(KEY_PASSWORD_ENV, KEY_PASSWORD)

    def make(kind: str, dialect: str) -> Signer:
        if kind == "p12":
            p12 = keys / "cong-ty.p12"
            p12.write_bytes(vn_pki.organization.pkcs12())
            arguments = ["--p12", str(p12), "--password-env", P12_PASSWORD_ENV]
            return Signer(kind, arguments, vn_pki.organization.certificate)
        if kind == "pem":
            identity = vn_pki.person_in_org
            key, cert = keys / "giam-doc.key", keys / "giam-doc.pem"
            key.write_bytes(
                identity.private_key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.BestAvailableEncryption(KEY_PASSWORD.encode()),
                )
            )
            cert.write_bytes(identity.chain_pem)
            arguments = ["--key", str(key), "--cert", str(cert)]
            return Signer(
                kind, [*arguments, "--password-env", KEY_PASSWORD_ENV], identity.certificate
            )
        if kind == "token":
            built: Token = request.getfixturevalue("token")
            arguments = [
                *("--module", built.hsm.module, "--token", TOKEN_LABEL),
                *("--key-label", CERT_LABEL, "--pin-env", PIN_ENV),
            ]
            return Signer(kind, arguments, built.identity.certificate)
        gateway: RemoteGateway = request.getfixturevalue("gateway")
        user = gateway.add_user("organization")
        gateway.phone.script(user, PhoneAction.APPROVE, delay=0.02)
        arguments = remote_arguments(gateway, user, dialect, tmp_path / "store")
        return Signer(kind, arguments, user.identity.certificate, user)

    return make


def sign(command: Command, source: Path, signer: Signer, *extra: str) -> int:
    """``vnsign sign COMMAND SOURCE`` with ``signer``'s arguments."""
    folder = source.parent
    return main(
        [
            "sign",
            command.name,
            str(source),
            *signer.arguments,
            *command.arguments(folder, signer),
            *extra,
        ]
    )


def one_error_line(err: str) -> str:
    """The message vnsign ends with; no traceback before it."""
    assert "Traceback" not in err
    last = err.splitlines()[-1]
    assert last.startswith("vnsign: ")
    return last


# -- every command with every credential ---------------------------------------------------


@pytest.mark.interop
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("command", COMMANDS, ids=COMMAND_IDS)
def test_each_command_signs_with_each_credential(
    command: Command,
    kind: str,
    signer_for: Callable[[str, str], Signer],
    tmp_path: Path,
    tool: Tool,
    vn_pki: TestPKI,
    capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
) -> None:
    signer = signer_for(kind, command.dialect)
    folder = tmp_path / "documents"
    folder.mkdir()
    source = command.make_input(folder, signer.certificate)
    original = source.read_bytes()

    code = sign(command, source, signer)

    captured = capsys.readouterr()
    assert code == 0, captured.err
    output = command.output_of(source)
    assert f"Signed {source}" in captured.out and f"→ {output}" in captured.out
    assert source.read_bytes() == original
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporary left
    command.check(source, output, signer.certificate, vn_pki)
    if kind == "remote":
        gateway: RemoteGateway = request.getfixturevalue("gateway")
        (prompt,) = gateway.prompts_for(signer.user)
        assert source.name in prompt.display_text
        assert f"«{prompt.display_text}»" in captured.err
    command.interop(tool, source, output, pem_files(vn_pki, tmp_path))


# -- usage errors: exit 4 before anything is opened -----------------------------------------


@pytest.mark.parametrize("command", COMMANDS, ids=COMMAND_IDS)
def test_no_key_or_two_keys_is_a_usage_error(
    command: Command,
    signer_for: Callable[[str, str], Signer],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    p12, pem = signer_for("p12", ""), signer_for("pem", "")
    source = command.make_input(tmp_path, p12.certificate)
    base = ["sign", command.name, str(source), *command.arguments(tmp_path, p12)]
    nowhere = ["--service", "http://127.0.0.1:9", "--user", "0791"]

    assert main(base) == EXIT_USAGE
    assert "give one key: --p12, --key with --cert, a token" in capsys.readouterr().err
    for others, named in (
        (["--token", TOKEN_LABEL], "--p12 and --token"),
        (["--remote", "smartca", *nowhere], "--p12 and --remote"),
        (pem.arguments[:4], "--p12 and --key"),
    ):
        assert main([*base, *p12.arguments, *others]) == EXIT_USAGE
        assert f"give one key, not {named}" in capsys.readouterr().err
    assert main([*base, "--key-id", "0a0b", "--remote", "csc", *nowhere]) == EXIT_USAGE
    assert "give one key, not --key-id and --remote" in capsys.readouterr().err

    for wrong, says in (
        (pem.arguments[:2], "--key and --cert go together"),
        (["--token", TOKEN_LABEL, "--password-env", P12_PASSWORD_ENV], "--password-env is the"),
        (["--remote", "smartca", "--service", "http://127.0.0.1:9"], "needs --remote KIND"),
        (["--user", "0791"], "needs --remote KIND"),
        ([*p12.arguments[:2], "--password-env", "NO_SUCH_VARIABLE"], "NO_SUCH_VARIABLE is not set"),
        (["--token", TOKEN_LABEL, "--pin-env", "NO_SUCH_VARIABLE"], "NO_SUCH_VARIABLE is not set"),
    ):
        assert main([*base, *wrong]) == EXIT_USAGE, wrong
        assert says in capsys.readouterr().err
    assert not command.output_of(source).exists()


# -- credentials that do not open: exit 3, one line, nothing written ------------------------


@pytest.mark.parametrize("command", COMMANDS, ids=COMMAND_IDS)
def test_a_wrong_password_is_one_line_and_writes_nothing(
    command: Command,
    signer_for: Callable[[str, str], Signer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    p12, pem = signer_for("p12", ""), signer_for("pem", "")
    monkeypatch.setenv(P12_PASSWORD_ENV, "sai-mat-khau")
    monkeypatch.setenv(KEY_PASSWORD_ENV, "sai-mat-khau")
    source = command.make_input(tmp_path, p12.certificate)
    for signer, message in (
        (p12, "vnsign: wrong password for the PKCS#12 file\n"),
        (pem, "vnsign: wrong password for the private key\n"),
    ):
        assert sign(command, source, signer) == EXIT_ERROR
        assert capsys.readouterr().err == message
    assert not command.output_of(source).exists()


@pytest.mark.interop
@pytest.mark.parametrize("command", COMMANDS, ids=COMMAND_IDS)
def test_a_wrong_pin_or_an_unknown_token_is_one_line(
    command: Command,
    token: Token,
    signer_for: Callable[[str, str], Signer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    signer = signer_for("token", "")
    source = command.make_input(tmp_path, signer.certificate)
    monkeypatch.setenv(PIN_ENV, "000000")
    assert sign(command, source, signer) == EXIT_ERROR
    err = capsys.readouterr().err
    assert err.startswith(f"vnsign: wrong PIN for token '{TOKEN_LABEL}'") and err.count("\n") == 1

    monkeypatch.setenv(PIN_ENV, USER_PIN)
    elsewhere = Signer(
        "token", [*signer.arguments[:3], "Không có", *signer.arguments[4:]], signer.certificate
    )
    assert sign(command, source, elsewhere) == EXIT_ERROR
    err = capsys.readouterr().err
    assert err.startswith(
        f"vnsign: no token with label 'Không có'; tokens present: '{TOKEN_LABEL}'"
    )
    assert err.count("\n") == 1
    assert not command.output_of(source).exists()


@pytest.mark.parametrize("command", COMMANDS, ids=COMMAND_IDS)
def test_a_rejection_on_the_phone_is_exit_3_and_one_line(
    command: Command,
    signer_for: Callable[[str, str], Signer],
    gateway: RemoteGateway,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    signer = signer_for("remote", command.dialect)
    gateway.phone.script(signer.user, PhoneAction.REJECT, delay=0.02)
    source = command.make_input(tmp_path, signer.certificate)
    original = source.read_bytes()

    assert sign(command, source, signer) == EXIT_ERROR

    last = one_error_line(capsys.readouterr().err)
    assert last.startswith("vnsign: remote signing tx-") and " rejected" in last
    assert source.read_bytes() == original
    assert not command.output_of(source).exists()
    assert not list((tmp_path / "store").rglob("*.pdf"))  # prepared copies removed


@pytest.mark.parametrize("command", COMMANDS, ids=COMMAND_IDS)
def test_writing_over_the_input_is_refused(
    command: Command,
    signer_for: Callable[[str, str], Signer],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    signer = signer_for("p12", "")
    source = command.make_input(tmp_path, signer.certificate)
    original = source.read_bytes()
    assert sign(command, source, signer, "--out", str(source)) == EXIT_ERROR
    assert "input" in one_error_line(capsys.readouterr().err)
    assert source.read_bytes() == original


# -- asking for the secret ------------------------------------------------------------------


def test_the_password_is_asked_for_when_no_variable_is_named(
    signer_for: Callable[[str, str], Signer], tmp_path: Path, vn_pki: TestPKI
) -> None:
    p12 = signer_for("p12", "")
    command = COMMANDS[1]  # xml
    source = command.make_input(tmp_path, p12.certificate)
    args = ["sign", command.name, str(source), *p12.arguments[:2]]
    result = CliRunner().invoke(cli, args, input=f"{DEFAULT_PASSWORD.decode()}\n")
    assert result.exit_code == 0, result.output
    assert "Password of cong-ty.p12: \n" in result.output  # asked, and not echoed
    command.check(source, command.output_of(source), p12.certificate, vn_pki)


@pytest.mark.interop
def test_the_pin_is_asked_for_when_no_variable_is_named(
    signer_for: Callable[[str, str], Signer], tmp_path: Path, vn_pki: TestPKI
) -> None:
    signer = signer_for("token", "")
    command = COMMANDS[2]  # einvoice
    source = command.make_input(tmp_path, signer.certificate)
    args = ["sign", command.name, str(source), *signer.arguments[:-2]]
    result = CliRunner().invoke(cli, args, input=f"{USER_PIN}\n")
    assert result.exit_code == 0, result.output
    assert "Token PIN: \n" in result.output  # asked, and not echoed
    command.check(source, command.output_of(source), signer.certificate, vn_pki)


# -- vnsign sign pdf --remote: many PDFs, one confirmation ---------------------------------


def _pdfs(folder: Path, certificate: x509.Certificate, names: tuple[str, ...]) -> list[Path]:
    folder.mkdir(exist_ok=True)
    return [PdfCommand().make_input(folder, certificate).rename(folder / n) for n in names]


def test_remote_pdfs_are_signed_with_one_confirmation(
    signer_for: Callable[[str, str], Signer],
    gateway: RemoteGateway,
    tmp_path: Path,
    vn_pki: TestPKI,
    capsys: pytest.CaptureFixture[str],
) -> None:
    signer = signer_for("remote", "smartca")
    sources = _pdfs(tmp_path / "docs", signer.certificate, ("qd-12.pdf", "cv-34.pdf"))
    assert main(["sign", "pdf", *map(str, sources), *signer.arguments]) == 0
    captured = capsys.readouterr()
    (prompt,) = gateway.prompts_for(signer.user)
    assert prompt.display_text == "Ký 2 văn bản: qd-12.pdf, cv-34.pdf"
    assert len(prompt.item_ids) == 2
    for source in sources:
        output = PdfCommand().output_of(source)
        assert f"Signed {source} → {output}" in captured.out
        PdfCommand().check(source, output, signer.certificate, vn_pki)
    assert "PAdES B-B · invisible · smartca transaction tx-" in captured.out
    assert "transaction tx-" in captured.err  # shown while waiting, for vnsign remote resume


def test_remote_pdf_signing_refuses_what_it_cannot_do_before_asking(
    signer_for: Callable[[str, str], Signer],
    gateway: RemoteGateway,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    signer = signer_for("remote", "smartca")
    a, b = _pdfs(tmp_path / "docs", signer.certificate, ("a.pdf", "b.pdf"))
    remote = ["sign", "pdf", str(a), *signer.arguments]
    image = tmp_path / "chu-ky.png"
    image.write_bytes(b"not used")
    tsa = ["--tsa", "http://127.0.0.1:9/tsa"]
    for extra, says in (
        (["--level", "b-lt", *tsa], "PAdES B-LT needs --trust-root"),
        (["--level", "b-t"], "PAdES B-T needs --tsa"),
        (["--level", "b-lta", "--pdf-password-env", "HOME"], "which vnsign never writes down"),
        ([str(b), "--out", str(tmp_path / "x.pdf")], "--out is for one FILE"),
    ):
        assert main([*remote, *extra]) == EXIT_USAGE, extra
        assert says in capsys.readouterr().err
    # options remote signing now takes are checked as for a key, before asking
    assert main([*remote, "--image", str(image), "--role", "organization"]) == EXIT_ERROR
    assert "not a readable image" in one_error_line(capsys.readouterr().err)
    signed_a = a.with_name("a.signed.pdf")  # also an input: a.pdf's output must not replace it
    signed_a.write_bytes(a.read_bytes())
    for extra in (["--out", str(a)], [str(a)], [str(signed_a)]):
        assert main([*remote, *extra]) == EXIT_ERROR, extra
        assert "input" in one_error_line(capsys.readouterr().err)

    p12 = signer_for("p12", "")
    assert main(["sign", "pdf", str(a), str(b), *p12.arguments]) == EXIT_USAGE
    assert "several FILEs go with --remote" in capsys.readouterr().err
    assert gateway.prompts_for(signer.user) == []
    assert sorted(p.name for p in a.parent.iterdir()) == ["a.pdf", "a.signed.pdf", "b.pdf"]


def test_an_interrupted_remote_batch_is_finished_with_remote_resume(
    gateway: RemoteGateway,
    tmp_path: Path,
    vn_pki: TestPKI,
) -> None:
    gateway.expiry = 60.0
    user = gateway.add_user("organization")  # answers by hand
    store = tmp_path / "store"
    sources = _pdfs(tmp_path / "docs", user.identity.certificate, ("a.pdf", "b.pdf"))
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "vnsign", "sign", "pdf", *map(str, sources)),
            *remote_arguments(gateway, user, "smartca", store),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        prompt = gateway.phone.wait_for_prompt(user, timeout=30)
        assert process.stderr is not None
        shown = process.stderr.readline()
        assert "«Ký 2 văn bản: a.pdf, b.pdf»" in shown
        tx_id = shown.rsplit("transaction ", 1)[1].strip()
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    assert f"Finish it later with: vnsign remote resume {tx_id} --store {store}" in err
    outputs = [PdfCommand().output_of(s) for s in sources]
    assert not any(o.exists() for o in outputs)

    gateway.phone.approve(prompt.tx_id)
    assert main(["remote", "resume", tx_id, "--store", str(store), "--poll-interval", "0.05"]) == 0
    for source, output in zip(sources, outputs, strict=True):
        PdfCommand().check(source, output, user.identity.certificate, vn_pki)
    assert len(gateway.prompts_for(user)) == 1
