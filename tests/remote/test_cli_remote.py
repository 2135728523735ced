"""``vnsign remote status|resume`` and ``vnsign testpki serve-remote``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from _remote_helpers import FAST, Remote, items, simple_pdf

from vnsign.cli import main
from vnsign.pki.remote import TxState
from vnsign.testing.remote import GatewayUser


def test_status_shows_the_record(
    remote: Remote, approving_user: GatewayUser, capsys: pytest.CaptureFixture[str]
) -> None:
    record = remote.engine("smartca").sign(
        approving_user.user_id, items(2), display_text="Ký 2 văn bản"
    )
    assert main(["remote", "status", record.tx_id, "--store", str(remote.store_dir)]) == 0
    out = capsys.readouterr().out
    assert f"{record.tx_id}: completed" in out
    assert "«Ký 2 văn bản»" in out
    assert "item       doc-2: Văn bản số 2/QĐ-UBND" in out
    for state in ("created", "submitted", "awaiting_user", "signed", "completed"):
        assert f"  {state}" in out
    assert main(["remote", "status", record.tx_id, "--store", str(remote.store_dir), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["state"] == "completed"
    assert data["format"] == "vnsign-remote-transaction/1"


def test_status_of_an_unknown_transaction_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["remote", "status", "tx-nope", "--store", str(tmp_path)]) == 3
    assert "no remote signing transaction tx-nope" in capsys.readouterr().err


def test_resume_reports_a_rejection_and_writes_nothing(
    remote: Remote,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = remote.gateway.add_user()
    source = tmp_path / "in.pdf"
    source.write_bytes(simple_pdf())
    engine = remote.engine("smartca")
    import asyncio

    from vnsign.pki.remote.deferred_pdf import async_prepare_pdf

    prepared = asyncio.run(
        async_prepare_pdf(
            source,
            engine.account(user.user_id),
            remote.store.work_dir("tx-cli"),
            output=tmp_path / "out.pdf",
            label="in.pdf",
        )
    )
    engine.start(
        user.user_id,
        [prepared.item()],
        display_text="Ký",
        tx_id="tx-cli",
        attachments=[prepared.attachment()],
    )
    remote.gateway.phone.reject(user=user)
    monkeypatch.setenv("VNSIGN_SMARTCA_SP_PASSWORD", remote.gateway.sp_password)
    code = main(
        ["remote", "resume", "tx-cli", "--store", str(remote.store_dir), "--poll-interval", "0.02"]
    )
    captured = capsys.readouterr()
    assert code == 3
    assert "rejected" in captured.err
    assert "confirm on the phone: «Ký»" in captured.err
    assert not (tmp_path / "out.pdf").exists()
    assert not prepared.prepared_path.exists()


def test_resume_without_the_secret_says_which_one(
    remote: Remote,
    approving_user: GatewayUser,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("VNSIGN_SMARTCA_SP_PASSWORD", raising=False)
    record = remote.engine("smartca").start(approving_user.user_id, items(1), display_text="Ký")
    assert main(["remote", "resume", record.tx_id, "--store", str(remote.store_dir)]) == 3
    assert "VNSIGN_SMARTCA_SP_PASSWORD" in capsys.readouterr().err


def test_the_sign_pdf_pieces(
    remote: Remote,
    approving_user: GatewayUser,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from vnsign.cli.remote import remote_sign_pdfs
    from vnsign.pki.remote import WaitPolicy

    monkeypatch.setenv("VNSIGN_SMARTCA_SP_ID", remote.gateway.sp_id)
    monkeypatch.setenv("VNSIGN_SMARTCA_SP_PASSWORD", remote.gateway.sp_password)
    sources = [tmp_path / "a.pdf", tmp_path / "b.pdf"]
    for source in sources:
        source.write_bytes(simple_pdf())
    outputs = [tmp_path / "a.signed.pdf", tmp_path / "b.signed.pdf"]
    record = remote_sign_pdfs(
        sources,
        outputs,
        remote="smartca",
        service=remote.gateway.smartca_url,
        user=approving_user.user_id,
        store=remote.store_dir,
        policy=WaitPolicy(first_poll_after=0.01, interval=0.02),
    )
    assert record.state is TxState.COMPLETED
    assert all(o.exists() for o in outputs)
    assert "Ký 2 văn bản: a.pdf, b.pdf" in capsys.readouterr().err
    assert len(remote.gateway.prompts_for(approving_user)) == 1


def test_serve_remote_runs_a_usable_gateway(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vnsign",
            "testpki",
            "serve-remote",
            "--approve-after",
            "0",
            "--out",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        config = json.loads(process.stdout.readline())
        users = config["users"]
        assert len(users) == 3 and users[2]["otp"] is True
        assert (tmp_path / "roots.pem").read_text().startswith("-----BEGIN CERTIFICATE-----")
        with urllib.request.urlopen(config["phone"], timeout=5) as response:
            assert json.loads(response.read()) == []
        from vnsign.pki.remote import (
            JsonFileStore,
            RemoteSigningEngine,
            SmartCAProvider,
            SmartCASettings,
            WaitPolicy,
        )

        smartca = config["smartca"]
        engine = RemoteSigningEngine(
            SmartCAProvider(
                SmartCASettings(
                    smartca["service_url"],
                    sp_id=smartca["sp_id"],
                    sp_password=smartca["sp_password"],
                )
            ),
            JsonFileStore(tmp_path / "store"),
            policy=WaitPolicy(first_poll_after=0.01, interval=0.02),
        )
        record = engine.sign(users[0]["user_id"], items(3), display_text="Ký thử")
        assert record.state is TxState.COMPLETED
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
    assert process.returncode == 0


def test_remote_options_and_live_credential_for_the_pdf_command(
    remote: Remote, approving_user: GatewayUser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import click
    from click.testing import CliRunner

    from vnsign.cli.remote import open_remote_credential, remote_options
    from vnsign.formats.pdf import INVISIBLE, sign_pdf

    monkeypatch.setenv("VNSIGN_SMARTCA_SP_ID", remote.gateway.sp_id)
    monkeypatch.setenv("VNSIGN_SMARTCA_SP_PASSWORD", remote.gateway.sp_password)

    @click.command()
    @click.argument("file", type=click.Path(path_type=Path))
    @remote_options
    def fake_sign_pdf(
        file: Path,
        remote: str | None,
        service: str | None,
        user: str | None,
        remote_store: Path | None,
        remote_timeout: float,
    ) -> None:
        assert remote and service and user
        credential = open_remote_credential(
            remote,
            service,
            user,
            display_text=f"Ký {file.name}",
            store=remote_store,
            timeout=remote_timeout,
            policy=FAST,
        )
        sign_pdf(file, file.with_suffix(".signed.pdf"), credential, appearance=INVISIBLE)

    source = tmp_path / "cv.pdf"
    source.write_bytes(simple_pdf())
    result = CliRunner().invoke(
        fake_sign_pdf,
        [
            str(source),
            "--remote",
            "smartca",
            "--service",
            remote.gateway.smartca_url,
            "--user",
            approving_user.user_id,
            "--remote-store",
            str(remote.store_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cv.signed.pdf").exists()
    assert "«Ký cv.pdf»" in result.output
    assert remote.gateway.prompts_for(approving_user)[-1].display_text == "Ký cv.pdf"
