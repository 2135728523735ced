"""``vnsign cert inspect``: a certificate's Vietnamese identity, chain and status."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from vnsign.cli._evidence import VIETNAM, evidence_options, read_files
from vnsign.errors import InputError
from vnsign.pki.certificates import load_certificates
from vnsign.pki.identity import CertificateInfo, Regime
from vnsign.pki.status import Indication
from vnsign.pki.trust import TrustProfile, TrustStore
from vnsign.pki.validation import CertificateValidation, CertificateValidator, Usage

EXIT_BY_INDICATION = {Indication.PASSED: 0, Indication.FAILED: 1, Indication.INDETERMINATE: 2}


@click.group()
def cert() -> None:
    """Inspect certificates."""


@cert.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option(
    "--legacy",
    is_flag=True,
    help="Also trust the SHA-1 legacy roots (documents before 2025-08-15).",
)
@evidence_options("Validation time, ISO 8601 (default: now; no offset means +07:00).")
def inspect(
    file: Path,
    as_json: bool,
    at: datetime | None,
    offline: bool,
    trust_files: tuple[Path, ...],
    trust_regime: str,
    no_default_trust: bool,
    legacy: bool,
    crl_files: tuple[Path, ...],
    ocsp_files: tuple[Path, ...],
    timeout: float,
) -> None:
    """Show FILE's Vietnamese identity, its chain and its status.

    FILE holds a certificate (PEM, DER or .p7b); further certificates in it are
    used as intermediates. Exit code: 0 valid, 1 invalid, 2 indeterminate.
    """
    certificates = load_certificates(file)
    if not certificates:
        raise InputError(f"no certificate in {file}")
    if no_default_trust:
        profile = TrustProfile.NONE
    else:
        profile = TrustProfile.LEGACY if legacy else TrustProfile.DEFAULT
    trust = TrustStore.builtin(profile)
    if trust_files:
        trust = trust.with_files(trust_files, regime=Regime(trust_regime))
    validator = CertificateValidator(
        trust,
        online=not offline,
        timeout=timeout,
        crls=read_files(crl_files),
        ocsp_responses=read_files(ocsp_files),
    )
    usage = Usage.ANY if CertificateInfo.from_certificate(certificates[0]).is_ca else Usage.SIGNING
    result = validator.validate(
        certificates[0],
        at=at,
        intermediates=certificates[1:],
        usage=usage,
    )
    if as_json:
        click.echo(json.dumps(_as_json(result), ensure_ascii=False, indent=2))
    else:
        _print(result)
    raise click.exceptions.Exit(EXIT_BY_INDICATION.get(result.indication, 2))


def _local(moment: datetime) -> str:
    return moment.astimezone(VIETNAM).isoformat(timespec="seconds")


def _print(result: CertificateValidation) -> None:
    info = result.info
    echo = click.echo
    echo(click.style(f"{info.display_name}  ({info.kind.value.replace('-', ' ')})", bold=True))
    ids = ", ".join(f"{i.scheme or 'UID'} {i.value}" for i in info.identifiers) or "none"
    rows = [
        ("Identifiers", ids),
        ("Organisation", info.organization or "-"),
        ("Subject", info.subject),
        ("Issuer", info.issuer_common_name or info.issuer),
        ("Valid", f"{_local(info.not_before)} → {_local(info.not_after)}"),
        ("Key", f"{info.key_algorithm} {info.key_size}, signed with {info.signature_algorithm}"),
        ("Key usage", ", ".join(sorted(info.key_usage)) or "-"),
        ("SHA-256", info.sha256_fingerprint),
    ]
    for label, value in rows:
        echo(f"  {label:<13} {value}")
    echo(click.style("Chain", bold=True))
    for n, cert in enumerate(result.path, start=1):
        name = CertificateInfo.from_certificate(cert).display_name
        anchor = ""
        if result.anchor and cert == result.path[-1]:
            anchor = f"  [trust anchor, {result.regime.value}]"
        echo(f"  {n}. {name}{anchor}")
    colour = {"PASSED": "green", "FAILED": "red"}.get(result.indication.value, "yellow")
    status = result.indication.value + (
        f" / {result.sub_indication.value}" if result.sub_indication else ""
    )
    echo(
        click.style(f"Status at {_local(result.validation_time)}: ", bold=True)
        + click.style(status, fg=colour, bold=True)
    )
    echo(f"  {result.message}")
    for facts in result.revocation:
        when = f", as of {_local(facts.produced_at)}" if facts.produced_at else ""
        echo(f"  revocation: {facts.state.value} ({facts.source or 'no source'}{when})")
    for warning in result.warnings:
        echo(click.style(f"  note: {warning}", fg="yellow"))


def _as_json(result: CertificateValidation) -> dict[str, Any]:
    info = result.info
    return {
        "subject": {
            "name": info.display_name,
            "kind": info.kind.value,
            "identifiers": [{"scheme": i.scheme, "value": i.value} for i in info.identifiers],
            "common_name": info.common_name,
            "organization": info.organization,
            "organizational_units": list(info.organizational_units),
            "title": info.title,
            "email": info.email,
            "dn": info.subject,
        },
        "issuer": info.issuer,
        "serial_number": format(info.serial_number, "x"),
        "not_before": _local(info.not_before),
        "not_after": _local(info.not_after),
        "key": {"algorithm": info.key_algorithm, "size": info.key_size},
        "signature_algorithm": info.signature_algorithm,
        "sha256": info.sha256_fingerprint,
        "chain": [CertificateInfo.from_certificate(c).subject for c in result.path],
        "regime": result.regime.value,
        "status": {
            "validation_time": _local(result.validation_time),
            "indication": result.indication.value,
            "sub_indication": result.sub_indication.value if result.sub_indication else None,
            "message": result.message,
            "warnings": list(result.warnings),
            "revocation": [
                {
                    "state": f.state.value,
                    "source": f.source,
                    "produced_at": _local(f.produced_at) if f.produced_at else None,
                    "revoked_at": _local(f.revoked_at) if f.revoked_at else None,
                    "reason": f.reason,
                    "problems": list(f.problems),
                }
                for f in result.revocation
            ],
        },
    }
