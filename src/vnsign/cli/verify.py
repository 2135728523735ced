"""``vnsign verify``: verify signed documents, for people and for scripts.

Exit code: 0 all valid, 1 any invalid, 2 any indeterminate (none invalid),
3 any error (unreadable, unsupported or hostile input), 4 usage error; the worst wins.
"""

from __future__ import annotations

import itertools
import json
import logging
import multiprocessing
import os
import sys
import threading
import time
import warnings
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import click
from cryptography.utils import CryptographyDeprecationWarning

from vnsign.cli._evidence import evidence_options, read_files
from vnsign.errors import VnsignError
from vnsign.pki.identity import Regime
from vnsign.pki.trust import TrustProfile, TrustStore
from vnsign.verify.engine import Verifier
from vnsign.verify.policy import PROFILES, Policy, load_policy
from vnsign.verify.render import render_text
from vnsign.verify.report import SCHEMA_VERSION, Report, Text, Verdict

__all__ = ["EXIT_CODES", "verify"]

EXIT_CODES = {Verdict.VALID: 0, Verdict.INVALID: 1, Verdict.INDETERMINATE: 2, Verdict.ERROR: 3}
_SEVERITY = {Verdict.VALID: 0, Verdict.INDETERMINATE: 1, Verdict.INVALID: 2, Verdict.ERROR: 3}
#: Files a folder is searched for; files named explicitly are verified whatever their name.
FOLDER_SUFFIXES = frozenset({".pdf", ".xml", ".edxml", ".p7s"})


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON document with every report.")
@click.option("--jsonl", "as_jsonl", is_flag=True, help="One JSON report per line.")
@click.option(
    "--profile",
    type=click.Choice(sorted(PROFILES)),
    default="vn-legal",
    show_default=True,
    help="Built-in rule set.",
)
@click.option(
    "--policy",
    "policy_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A TOML policy file (overrides --profile).",
)
@evidence_options("Verify as of this time (ISO 8601; no offset means +07:00).")
@click.option(
    "--lang",
    type=click.Choice(["vi", "en"]),
    default="vi",
    show_default=True,
    help="Language of the text report.",
)
@click.option(
    "--jobs", type=click.IntRange(1, 64), default=1, show_default=True, help="Worker processes."
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0),
    default=120.0,
    show_default=True,
    help=(
        "Stop verifying a file after this many seconds (an error report); each file "
        "is then verified in a worker process; 0: no limit, in this process."
    ),
)
@click.option("-v", "--verbose", is_flag=True, help="List passed checks and legal references too.")
@click.pass_context
def verify(
    ctx: click.Context,
    paths: tuple[Path, ...],
    as_json: bool,
    as_jsonl: bool,
    profile: str,
    policy_file: Path | None,
    trust_files: tuple[Path, ...],
    trust_regime: str,
    no_default_trust: bool,
    crl_files: tuple[Path, ...],
    ocsp_files: tuple[Path, ...],
    offline: bool,
    at: datetime | None,
    timeout: float,
    lang: str,
    jobs: int,
    time_limit: float,
    verbose: bool,
) -> None:
    """Verify signed documents: PDF, XML/XAdES, e-invoices, edXML, detached .p7s.

    PATHS are files or folders (searched recursively for .pdf .xml .edxml .p7s).
    """
    if as_json and as_jsonl:
        raise click.UsageError("choose one of --json and --jsonl")
    debug = bool(ctx.find_root().obj and ctx.find_root().obj.get("debug"))
    if not debug:
        _quiet()
    policy = load_policy(str(policy_file) if policy_file else profile)
    files = list(_expand(paths))
    if not files:
        raise click.UsageError("no documents to verify in the paths given")
    setup = _Setup(
        policy=policy,
        trust_files=trust_files,
        trust_regime=Regime(trust_regime),
        no_default_trust=no_default_trust,
        crls=read_files(crl_files),
        ocsp_responses=read_files(ocsp_files),
        offline=offline,
        at=at,
        timeout=timeout,
        time_limit=time_limit,
        debug=debug,
    )
    setup.trust()  # a bad --trust is a usage problem, before any document is read
    reports = _run(setup, files, jobs)
    out: TextIO = sys.stdout
    worst = Verdict.VALID
    collected: list[dict[str, Any]] = []
    progress = (
        _Progress(len(files))
        if not as_json and not as_jsonl and sys.stderr.isatty() and len(files) > 1
        else None
    )
    for report in reports:
        if _SEVERITY[report.verdict] > _SEVERITY[worst]:
            worst = report.verdict
        if as_json:
            collected.append(report.to_json())
        elif as_jsonl:
            out.write(json.dumps(report.to_json(), ensure_ascii=False) + "\n")
        else:
            if progress:
                progress.clear()
            out.write(
                render_text(report, lang=lang, style=terminal_style(out), verbose=verbose) + "\n"
            )
        if progress:
            progress.step()
    if progress:
        progress.clear()
    if as_json:
        counts = Counter(r["verdict"] for r in collected)
        document = {"schema_version": SCHEMA_VERSION, "summary": dict(counts), "reports": collected}
        out.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    raise click.exceptions.Exit(EXIT_CODES[worst])


@dataclass(frozen=True)
class _Setup:
    """Everything a worker process needs to build its own Verifier (picklable)."""

    policy: Policy
    trust_files: tuple[Path, ...]
    trust_regime: Regime
    no_default_trust: bool
    crls: tuple[bytes, ...]
    ocsp_responses: tuple[bytes, ...]
    offline: bool
    at: datetime | None
    timeout: float
    time_limit: float
    debug: bool

    def trust(self) -> TrustStore:
        profile = TrustProfile.NONE if self.no_default_trust else self.policy.trust_profile
        trust = TrustStore.builtin(profile)
        if self.policy.trust_anchors:
            trust = trust.with_files(self.policy.trust_anchors, regime=self.policy.trust_regime)
        if self.trust_files:
            trust = trust.with_files(self.trust_files, regime=self.trust_regime)
        return trust

    def verifier(self) -> Verifier:
        return Verifier(
            self.policy,
            trust=self.trust(),
            at=self.at,
            offline=self.offline,
            timeout=self.timeout,
            crls=self.crls,
            ocsp_responses=self.ocsp_responses,
        )


_worker: tuple[_Setup, Verifier] | None = None


def _quiet() -> None:
    """Third-party chatter about malformed third-party documents is not for users:
    the report says what matters."""
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    warnings.filterwarnings("ignore", module=r"vnsign\..*")
    warnings.filterwarnings("ignore", category=CryptographyDeprecationWarning)


def _init_worker(setup: _Setup) -> None:
    global _worker
    if not setup.debug:
        _quiet()
    _worker = (setup, setup.verifier())


def _ready() -> bool:
    return _worker is not None


def _verify_one(path: Path) -> Report:
    assert _worker is not None
    setup, verifier = _worker
    return _safely(verifier, path, setup)


def _safely(verifier: Verifier, path: Path, setup: _Setup) -> Report:
    """The report of ``path``; a bug in vnsign or a library is an error report."""
    try:
        return verifier.verify(path)
    except VnsignError:
        raise
    except Exception as exc:
        if setup.debug:
            raise
        # A bug in vnsign or a library, not the user's fault: say so, keep going.
        message = f"internal error while verifying ({type(exc).__name__}: {exc}); run with --debug"
        vi = f"lỗi nội bộ khi xác minh ({type(exc).__name__}: {exc}); chạy lại với --debug"
        return _error(path, verifier.policy.name, Text(vi, message))


def _error(path: Path, profile: str, why: Text) -> Report:
    return Report(
        file=str(path),
        format="unknown",
        verdict=Verdict.ERROR,
        profile=profile,
        verified_at=datetime.now().astimezone(),
        summary=Text(f"LỖI: {why.vi}", f"ERROR: {why.en}"),
        error=why,
    )


def _run(setup: _Setup, files: list[Path], jobs: int) -> Iterator[Report]:
    if setup.time_limit > 0:
        yield from _run_supervised(setup, files, jobs)
    elif jobs == 1 or len(files) == 1:
        verifier = setup.verifier()
        for path in files:
            yield _safely(verifier, path, setup)
    else:
        with _pool(setup, jobs) as pool:
            yield from pool.imap(
                _verify_one, files, chunksize=max(1, min(32, len(files) // (jobs * 8) or 1))
            )


def _pool(setup: _Setup, jobs: int) -> Any:
    # fork is nearly free (everything already imported) and safe while this
    # process has one thread, as the command does; with threads (an application,
    # a test run with live services) a forked child could inherit a held lock.
    if sys.platform == "linux" and threading.active_count() == 1:
        method = "fork"
    else:
        method = "spawn" if sys.platform == "win32" else "forkserver"
    context = multiprocessing.get_context(method)
    return context.Pool(jobs, initializer=_init_worker, initargs=(setup,))


def _run_supervised(setup: _Setup, files: list[Path], jobs: int) -> Iterator[Report]:
    """Each file in a worker process, at most ``jobs`` at a time, in order; a file
    still running after ``setup.time_limit`` seconds gets an error report and its
    worker is killed. Interrupting from outside the process is the only stop that
    always works: a signal cannot break into C code (lxml, OpenSSL), and an
    exception raised at an arbitrary point can leave a lock held for ever."""
    limit = setup.time_limit
    stopped = Text(
        f"đã dừng xác minh sau {limit:g} giây (--time-limit)",
        f"verification stopped after {limit:g} s (--time-limit)",
    )
    waiting = iter(files)
    running: deque[tuple[Path, Any, float]] = deque()
    pool = _pool(setup, jobs)

    def start(path: Path) -> None:
        running.append((path, pool.apply_async(_verify_one, (path,)), time.monotonic() + limit))

    try:
        pool.apply(_ready)  # the workers' start-up is not a file's time
        for path in itertools.islice(waiting, jobs):
            start(path)
        while running:
            path, result, deadline = running.popleft()
            try:
                report: Report = result.get(timeout=max(0.0, deadline - time.monotonic()))
            except multiprocessing.TimeoutError:
                report = _error(path, setup.policy.name, stopped)
                # Which worker is stuck is not known: replace them all, restart the others.
                pool.terminate()
                pool.join()
                pool = _pool(setup, jobs)
                pool.apply(_ready)
                restart = [p for p, _, _ in running]
                running.clear()
                for other in restart:
                    start(other)
            yield report
            for path in itertools.islice(waiting, jobs - len(running)):
                start(path)
    finally:
        pool.terminate()
        pool.join()


def _expand(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs.sort()
                for name in sorted(names):
                    candidate = Path(root) / name
                    if candidate.suffix.lower() in FOLDER_SUFFIXES:
                        yield candidate
        else:
            yield path  # missing files become error reports, in order


class _Progress:
    def __init__(self, total: int) -> None:
        self.total, self.done = total, 0
        self.stream: TextIO = sys.stderr

    def step(self) -> None:
        self.done += 1
        filled = int(30 * self.done / self.total)
        self.stream.write(f"\r[{'=' * filled}{' ' * (30 - filled)}] {self.done}/{self.total}")
        self.stream.flush()

    def clear(self) -> None:
        self.stream.write("\r" + " " * 48 + "\r")
        self.stream.flush()


def terminal_style(stream: TextIO) -> Any:
    """A report style for ``stream``: colours on a terminal, plain text elsewhere."""
    colours = {"ok": "green", "bad": "red", "warn": "yellow", "dim": "bright_black", "title": None}
    if not stream.isatty():
        return lambda text, role: text
    return lambda text, role: click.style(text, fg=colours.get(role), bold=role == "title")
