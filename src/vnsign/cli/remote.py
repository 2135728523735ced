"""``vnsign remote``: look at and resume remote signing transactions.

Also the remote pieces of the ``vnsign sign`` commands: :func:`remote_options`
(``--remote csc|csc-v2|mss|smartca`` and the rest, part of
:func:`vnsign.cli._credentials.credential_options`), :func:`remote_sign_pdfs`
(``vnsign sign pdf --remote``: deferred signing of one or many PDFs with one
confirmation, in any Decree 30 form and PAdES level, resumable, with a waiting
indicator showing what the phone displays) and :func:`open_remote_credential`
(live mode, for ``vnsign sign xml|einvoice|cades --remote``: a credential whose
every signature is one confirmation).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click
from cryptography import x509

from vnsign.errors import InputError, VnsignError
from vnsign.formats.pdf.deferred import DeferredPdfJob, sign_deferred_pdfs
from vnsign.formats.pdf.options import (
    INVISIBLE,
    Appearance,
    PadesLevel,
    Role,
    SignOptions,
)
from vnsign.formats.pdf.placement import Placement
from vnsign.pki.remote.adapters import (
    REMOTE_KINDS,
    provider_for_service,
    provider_from_settings,
    secrets_from_environment,
)
from vnsign.pki.remote.credential import RemoteCredential
from vnsign.pki.remote.deferred_pdf import (
    WaitingStatus,
    discard_attachments,
    finish_attachments,
    waiting_status,
)
from vnsign.pki.remote.engine import RemoteSigningEngine
from vnsign.pki.remote.model import TransactionRecord, WaitPolicy
from vnsign.pki.remote.states import TxState
from vnsign.pki.remote.store import (
    JsonFileStore,
    TransactionStore,
    default_store_dir,
    record_to_json,
)

__all__ = [
    "ConsoleIndicator",
    "open_remote_credential",
    "remote",
    "remote_options",
    "remote_sign_pdfs",
]

_F = TypeVar("_F", bound=Callable[..., Any])


def remote_options(command: _F) -> _F:
    """Add ``--remote``, ``--service``, ``--user``, ``--remote-store`` and
    ``--remote-timeout`` to a command (all optional; ``--remote`` switches them on)."""
    for option in reversed(
        (
            click.option(
                "--remote",
                type=click.Choice(REMOTE_KINDS),
                help="Sign with a remote signer: the person confirms on the phone.",
            ),
            click.option("--service", metavar="URL", help="The remote signing service."),
            click.option(
                "--user", metavar="ID", help="Signer at the service: CCCD, MSISDN or credential id."
            ),
            click.option(
                "--remote-store",
                type=click.Path(file_okay=False, path_type=Path),
                help="Transaction store (default: $VNSIGN_REMOTE_STORE).",
            ),
            click.option(
                "--remote-timeout",
                type=click.FloatRange(1, 3600),
                default=300.0,
                show_default=True,
                help="Seconds to wait for the confirmation.",
            ),
        )
    ):
        command = option(command)
    return command


def open_remote_credential(
    remote: str,
    service: str,
    user: str,
    *,
    display_text: str,
    store: Path | None = None,
    timeout: float = 300.0,
    policy: WaitPolicy | None = None,
) -> RemoteCredential:
    """A live :class:`~vnsign.pki.remote.RemoteCredential` for ``--remote`` (its
    ``sign_digest`` waits for the phone; each call is one confirmation)."""
    engine = RemoteSigningEngine(
        provider_for_service(remote, service),
        JsonFileStore(store or default_store_dir()),
        policy=policy,
    )
    indicator = ConsoleIndicator()
    engine.on_progress = lambda r: indicator(waiting_status(r, engine.clock()))
    return RemoteCredential.open(
        engine, user, display_text=display_text, timeout=timeout, otp_source=_otp
    )


class ConsoleIndicator:
    """Shows what the phone displays, then one line per change of state
    (and a dot per poll on a terminal)."""

    def __init__(self, *, err: bool = True) -> None:
        self.err = err
        self._last: tuple[str, TxState] | None = None
        self._tty = (sys.stderr if err else sys.stdout).isatty()

    @property
    def tx_id(self) -> str | None:
        """The transaction shown last (``None`` before the first report)."""
        return self._last[0] if self._last else None

    def __call__(self, status: WaitingStatus) -> None:
        """Report ``status``."""
        key = (status.tx_id, status.state)
        if key == self._last:
            if self._tty:
                click.echo(".", nl=False, err=self.err)
            return
        if self._last is None or self._last[0] != status.tx_id:
            code = f" — mã giao dịch {status.code}" if status.code else ""
            click.echo(
                f"Xác nhận trên điện thoại / confirm on the phone: «{status.display_text}»"
                f" ({status.documents} văn bản{code}); transaction {status.tx_id}",
                err=self.err,
            )
        self._last = key
        left = f", {status.seconds_left:.0f} s left" if not status.state.terminal else ""
        detail = f": {status.message}" if status.message else ""
        click.echo(f"  {status.state.value}{left}{detail}", err=self.err)


def _otp(record: TransactionRecord) -> str:
    value: str = click.prompt(
        f"One-time password for {record.tx_id} (sent by the provider)", hide_input=True, err=True
    )
    return value.strip()


def remote_sign_pdfs(
    sources: Sequence[Path],
    outputs: Sequence[Path],
    *,
    remote: str,
    service: str,
    user: str,
    store: Path | None = None,
    role: Role = Role.PERSON,
    level: PadesLevel | None = None,
    appearance: Appearance | None = INVISIBLE,
    placement: Placement | None = None,
    options: SignOptions | None = None,
    password: str | None = None,
    timestamp_url: str | None = None,
    trust_roots: Sequence[x509.Certificate] = (),
    display_text: str | None = None,
    timeout: float = 300.0,
    policy: WaitPolicy | None = None,
) -> TransactionRecord:
    """Sign PDFs with one confirmation on ``user``'s phone (the body of
    ``vnsign sign pdf --remote``): each gets the signature ``role``,
    ``appearance`` (``None``: the Decree 30 one of ``role``; default invisible),
    ``placement`` and ``options`` describe, at ``level`` (default B-T with
    ``timestamp_url``, else B-B). Raises the
    :class:`~vnsign.errors.RemoteSigningError` that says why when the
    transaction does not complete; nothing is then written to ``outputs``."""
    if len(sources) != len(outputs):
        raise InputError("give one output per input")
    engine = RemoteSigningEngine(
        provider_for_service(remote, service),
        JsonFileStore(store or default_store_dir()),
        policy=policy,
    )
    chosen = level or (PadesLevel.B_T if timestamp_url else PadesLevel.B_B)
    jobs = [
        DeferredPdfJob(
            Path(s),
            Path(o),
            Path(s).name,
            role=role,
            level=chosen,
            appearance=appearance,
            placement=placement,
            options=options or SignOptions(),
            password=password,
        )
        for s, o in zip(sources, outputs, strict=True)
    ]
    indicator = ConsoleIndicator()
    try:
        record = sign_deferred_pdfs(
            engine,
            user,
            jobs,
            timestamp=timestamp_url,
            trust_roots=trust_roots,
            display_text=display_text,
            timeout=timeout,
            indicator=indicator,
            otp_source=_otp,
        )
    except (KeyboardInterrupt, VnsignError):
        _how_to_resume(engine.store, indicator.tx_id, store)
        raise
    record.raise_for_state()
    return record


def _how_to_resume(tx_store: TransactionStore, tx_id: str | None, store: Path | None) -> None:
    # The person may still confirm on the phone: say how to finish without signing again.
    if tx_id is None or tx_store.load(tx_id).terminal:
        return
    where = f" --store {store}" if store else ""
    click.echo(f"Finish it later with: vnsign remote resume {tx_id}{where}", err=True)


_STORE = click.option(
    "--store",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Transaction store (default: $VNSIGN_REMOTE_STORE or ~/.local/state/vnsign/remote).",
)


@click.group()
def remote() -> None:
    """Remote signing transactions (CSC, mobile PKI, SmartCA): status and resume."""


@remote.command()
@click.argument("tx_id")
@_STORE
@click.option("--json", "as_json", is_flag=True, help="Print the whole record as JSON.")
def status(tx_id: str, store: Path | None, as_json: bool) -> None:
    """Show where transaction TX_ID stands (from the store; nothing is sent)."""
    record = JsonFileStore(store or default_store_dir()).load(tx_id)
    if as_json:
        click.echo(json.dumps(record_to_json(record), ensure_ascii=False, indent=1))
        return
    click.echo(f"{record.tx_id}: {record.state.value}")
    if record.message:
        click.echo(f"  {record.message}")
    click.echo(f"  provider   {record.provider.get('kind')} {record.provider.get('service_url')}")
    click.echo(f"  signer     {record.user} — {record.certificate.subject.rfc4514_string()}")
    click.echo(f"  phone text «{record.display_text}»")
    click.echo(f"  deadline   {record.effective_deadline.isoformat()}")
    for item in record.items:
        click.echo(f"  item       {item.item_id}: {item.label}")
    for attachment in record.attachments:
        click.echo(f"  waiting    {attachment.kind} {attachment.item_id} ({attachment.path})")
    for change in record.history:
        note = f" — {change.note}" if change.note else ""
        click.echo(f"  {change.at.isoformat()}  {change.state.value}{note}")


@remote.command()
@click.argument("tx_id")
@_STORE
@click.option(
    "--poll-interval",
    type=click.FloatRange(0.01, 60),
    default=2.0,
    show_default=True,
    help="Seconds between status polls.",
)
def resume(tx_id: str, store: Path | None, poll_interval: float) -> None:
    """Pick transaction TX_ID up again: wait for the phone, then embed the
    verified signatures into the prepared documents.

    The provider is rebuilt from the record; its secrets come from the
    environment (VNSIGN_CSC_TOKEN, VNSIGN_MSS_AP_PASSWORD,
    VNSIGN_SMARTCA_SP_PASSWORD, ...). A request whose outcome is unknown is
    never sent again.
    """
    tx_store = JsonFileStore(store or default_store_dir())
    record = tx_store.load(tx_id)
    kind = record.provider.get("kind", "")
    provider = provider_from_settings(record.provider, secrets_from_environment(kind))
    policy = WaitPolicy(first_poll_after=0, interval=poll_interval, max_interval=10 * poll_interval)
    indicator = ConsoleIndicator()
    engine = RemoteSigningEngine(provider, tx_store, policy=policy)
    engine.on_progress = lambda r: indicator(waiting_status(r, engine.clock()))
    if not record.terminal:
        record = engine.resume(tx_id, otp_source=_otp)
    from vnsign.formats.deferred import HANDLERS  # prepared PDFs and XML documents alike

    if record.state is TxState.COMPLETED:
        outputs = finish_attachments(record, tx_store, HANDLERS)
        for path in outputs:
            click.echo(f"Signed: {path}")
        if not outputs:
            click.echo(f"{tx_id} is completed; nothing left to embed.")
        return
    if record.terminal:
        discard_attachments(record, tx_store, HANDLERS)
    record.raise_for_state()
