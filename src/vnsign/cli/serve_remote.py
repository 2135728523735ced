"""``vnsign testpki serve-remote``: run the reference remote-signing gateway."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click
from cryptography.hazmat.primitives.serialization import Encoding

from vnsign.cli.testpki import testpki

_PEM = Encoding.PEM


@testpki.command("serve-remote")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Gateway port; 0 picks a free one.",
)
@click.option(
    "--expiry",
    type=click.FloatRange(0.1, 3600),
    default=300.0,
    show_default=True,
    help="Seconds a prompt waits for the person before it expires.",
)
@click.option(
    "--approve-after",
    type=click.FloatRange(0, 3600),
    default=None,
    help="Approve every prompt automatically after this many seconds.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write the roots and the users' certificates (PEM) into.",
)
def serve_remote(
    host: str, port: int, expiry: float, approve_after: float | None, out: Path | None
) -> None:
    """Serve a test remote-signing gateway (CSC v1/v2, ETSI TS 102 204, SmartCA)
    with its phone control API, until Ctrl-C.

    Prints one JSON line first: URLs, identifiers and secrets of the test
    accounts, and the users (a person with RSA, one with ECDSA, one whose CSC
    credential asks for an OTP). Test keys only.
    """
    from vnsign.testing import TestPKI
    from vnsign.testing.remote import PhoneAction, RemoteGateway

    with TestPKI(host=host) as pki, RemoteGateway(pki, host=host, port=port, expiry=expiry) as gw:
        users = [gw.add_user(), gw.add_user(key_type="p256"), gw.add_user(otp=True)]
        if approve_after is not None:
            for user in users[:2]:
                gw.phone.script(user, PhoneAction.APPROVE, delay=approve_after)
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            (out / "roots.pem").write_bytes(b"".join(i.public_bytes(_PEM) for i in pki.roots))
            for user in users:
                (out / f"{user.user_id}.chain.pem").write_bytes(user.identity.chain_pem)
        config = {
            "url": gw.url,
            "csc": {"service_url": gw.url, "versions": ["v1", "v2"], "access_token": gw.csc_token},
            "mss": {
                "service_url": gw.mss_url,
                "ap_id": gw.ap_id,
                "ap_password": gw.ap_password,
                "mssp_id": gw.mssp_id,
            },
            "smartca": {
                "service_url": gw.smartca_url,
                "sp_id": gw.sp_id,
                "sp_password": gw.sp_password,
            },
            "phone": f"{gw.url}/_phone/pending",
            "requests": f"{gw.url}/_control/requests",
            "tsa": pki.services.tsa_url,
            "users": [
                {
                    "user_id": u.user_id,
                    "credential_id": u.credential_id,
                    "msisdn": u.msisdn,
                    "subject": u.identity.certificate.subject.rfc4514_string(),
                    "otp": u.otp,
                }
                for u in users
            ],
        }
        click.echo(json.dumps(config, ensure_ascii=False), nl=True)
        click.echo("Serving; press Ctrl-C to stop.", err=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            click.echo("Stopped.", err=True)
