"""Options shared by the commands that validate: trust anchors, supplied CRLs and
OCSP answers, offline mode, the validation time, the network timeout."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TypeVar

import click

from vnsign.pki.identity import Regime

__all__ = ["VIETNAM", "evidence_options", "parse_time", "read_files"]

VIETNAM = timezone(timedelta(hours=7))

_F = TypeVar("_F", bound=Callable[..., object])


def parse_time(
    ctx: click.Context | None, param: click.Parameter | None, value: str | None
) -> datetime | None:
    """ISO 8601; a time without offset is read as Vietnamese time (+07:00)."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO 8601 time: {value!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=VIETNAM)


def evidence_options(at_help: str) -> Callable[[_F], _F]:
    """``--trust``, ``--trust-regime``, ``--no-default-trust``, ``--crl``,
    ``--ocsp-response``, ``--offline``, ``--at`` and ``--timeout``."""
    options = [
        click.option(
            "--trust",
            "trust_files",
            multiple=True,
            type=click.Path(exists=True, path_type=Path),
            help="Extra trust anchors, a file or folder; repeatable.",
        ),
        click.option(
            "--trust-regime",
            type=click.Choice([r.value for r in Regime]),
            default=Regime.UNKNOWN.value,
            show_default=True,
            help="Regime of the anchors given with --trust.",
        ),
        click.option(
            "--no-default-trust", is_flag=True, help="Trust only the anchors given with --trust."
        ),
        click.option(
            "--crl",
            "crl_files",
            multiple=True,
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="A CRL to use as evidence; repeatable.",
        ),
        click.option(
            "--ocsp-response",
            "ocsp_files",
            multiple=True,
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="A DER OCSP response to use as evidence; repeatable.",
        ),
        click.option(
            "--offline", is_flag=True, help="Fetch nothing; use embedded and supplied data only."
        ),
        click.option("--at", "at", callback=parse_time, help=at_help),
        click.option(
            "--timeout",
            type=float,
            default=5.0,
            show_default=True,
            help="Network timeout in seconds.",
        ),
    ]

    def apply(command: _F) -> _F:
        for option in reversed(options):
            command = option(command)
        return command

    return apply


def read_files(paths: tuple[Path, ...]) -> tuple[bytes, ...]:
    """The contents of ``paths`` (CRLs, OCSP responses), in order."""
    return tuple(path.read_bytes() for path in paths)
