"""``verify()``: a document and a policy in, a report out.

document ──► format adapter ──► DocumentFacts ──► certificate validation ──► rules ──► Report

One :class:`Verifier` serves a batch: its certificate validator keeps chains,
CRLs and OCSP answers for every document it sees.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509

from vnsign.errors import (
    HostileInputError,
    InputError,
    MalformedInputError,
    UnsupportedFormatError,
    VnsignError,
)
from vnsign.formats.detect import DocumentFormat, detect_format
from vnsign.pki.identity import CertificateInfo
from vnsign.pki.revocation import RevocationChecker
from vnsign.pki.status import Indication, SubIndication
from vnsign.pki.trust import TrustStore
from vnsign.pki.validation import (
    CertificateValidation,
    CertificateValidator,
    Usage,
    ValidationPolicy,
)
from vnsign.verify.facts import (
    Coverage,
    DocumentFacts,
    SignatureFacts,
    SignatureKind,
    TimestampFacts,
)
from vnsign.verify.policy import Policy, load_policy
from vnsign.verify.report import (
    Report,
    RuleResult,
    RuleStatus,
    SignatureReport,
    SignerReport,
    Text,
    TimeSource,
    TimestampReport,
    Verdict,
)
from vnsign.verify.rules import DOCUMENT_RULES, SIGNATURE_RULES
from vnsign.verify.rules.base import (
    DocumentContext,
    Outcome,
    Rule,
    SignatureContext,
    TimestampCheck,
)

__all__ = ["Verifier", "verify"]

MAX_DOCUMENT = 512 << 20  # larger inputs are refused rather than read into memory
#: Containers inside containers verified below a document (edXML in edXML, OBS-EDXML-NESTING).
MAX_ATTACHMENT_DEPTH = 3
#: Files verified inside one document, all levels together (with MAX_DOCUMENT bytes).
MAX_ATTACHMENTS = 200


class Verifier:
    """Verifies documents under one policy, sharing caches across them.

    ::

        verifier = Verifier("nd30", offline=False)
        for path in paths:
            report = verifier.verify(path)
    """

    def __init__(
        self,
        policy: Policy | str = "vn-legal",
        *,
        trust: TrustStore | None = None,
        at: datetime | None = None,
        offline: bool = False,
        timeout: float = 5.0,
        crls: Iterable[bytes] = (),
        ocsp_responses: Iterable[bytes] = (),
    ) -> None:
        self.policy = load_policy(policy) if isinstance(policy, str) else policy
        if trust is None:
            trust = TrustStore.builtin(self.policy.trust_profile)
            if self.policy.trust_anchors:
                trust = trust.with_files(self.policy.trust_anchors, regime=self.policy.trust_regime)
        self.trust = trust
        self.at = at
        self.validator = CertificateValidator(
            trust,
            policy=ValidationPolicy(
                algorithms=self.policy.algorithms, require_revocation=self.policy.require_revocation
            ),
            revocation=RevocationChecker(
                online=not offline,
                timeout=timeout,
                crls=crls,
                ocsp_responses=ocsp_responses,
                methods=self.policy.revocation_methods,
            ),
        )

    def verify(
        self,
        source: str | Path | bytes,
        *,
        name: str | None = None,
        content: str | Path | bytes | None = None,
    ) -> Report:
        """Verify one document: a path, or its bytes (then ``name`` labels the report).

        For a detached ``.p7s``, ``content`` is the signed file; by default the
        file of the same name beside it (``a.docx.p7s`` signs ``a.docx``).
        """
        now = (self.at or datetime.now(UTC)).astimezone(UTC)
        label = name or (str(source) if not isinstance(source, bytes) else "<bytes>")
        try:
            data = _read(source)
            facts = _facts(data, source, content)
        except VnsignError as exc:
            return _error_report(label, self.policy.name, now, exc)
        return self.judge(facts, label, now)

    def judge(self, document: DocumentFacts, label: str, now: datetime | None = None) -> Report:
        """Judge facts an adapter already read (for containers that carry documents).

        The files the document carries (``document.attachments``, e.g. the PDFs of
        an edXML package) are verified in turn, within :data:`MAX_ATTACHMENT_DEPTH`
        and :data:`MAX_ATTACHMENTS`; the document is no better than the worst of them.
        """
        now = now or (self.at or datetime.now(UTC)).astimezone(UTC)
        return self._judge(document, label, now, _AttachmentBudget(), 0)

    def _judge(
        self,
        document: DocumentFacts,
        label: str,
        now: datetime,
        budget: _AttachmentBudget,
        depth: int,
    ) -> Report:
        attachments = tuple(
            self._attachment(name, data, label, now, budget, depth)
            for name, data in document.attachments
        )
        contexts = tuple(self._context(sig, document, now) for sig in document.signatures)
        signature_reports = tuple(self._signature_report(ctx) for ctx in contexts)
        document_rules = tuple(
            _result(
                rule,
                _checked(rule, DocumentContext(document, contexts, self.policy, now, attachments)),
                self.policy,
            )
            for rule in DOCUMENT_RULES
            if self.policy.enabled(rule.rule_id)
        )
        own = _verdict(signature_reports, document_rules)
        verdict = _with_attachments(own, attachments)
        summary = _summary(verdict, signature_reports, document_rules)
        if verdict is not own:
            summary = _attachment_summary(summary, attachments)
        return Report(
            file=label,
            format=document.format.value,
            verdict=verdict,
            profile=self.policy.name,
            verified_at=now,
            summary=summary,
            signatures=signature_reports,
            rules=document_rules,
            attachments=attachments,
        )

    def _attachment(
        self,
        name: str,
        data: bytes,
        parent: str,
        now: datetime,
        budget: _AttachmentBudget,
        depth: int,
    ) -> Report:
        """The report of one carried file: verified like any document, by this verifier."""
        label = f"{parent}/{_printable(name)}"
        try:
            if depth >= MAX_ATTACHMENT_DEPTH:
                raise HostileInputError(
                    f"nested more than {MAX_ATTACHMENT_DEPTH} containers deep; not verified"
                )
            budget.take(len(data))
            facts = _attachment_facts(data, budget)
        except VnsignError as exc:
            return _error_report(label, self.policy.name, now, exc)
        return self._judge(facts, label, now, budget, depth + 1)

    # -- one signature -------------------------------------------------------------------

    def _context(
        self, facts: SignatureFacts, document: DocumentFacts, now: datetime
    ) -> SignatureContext:
        facts = _readable_certificates(facts)
        stamps = tuple(self._timestamp(stamp, facts) for stamp in facts.timestamps)
        time, source = _signing_time(facts, stamps)
        certificate = None
        if facts.signer_certificate is not None:
            usage = (
                Usage.TIME_STAMPING
                if facts.kind is SignatureKind.DOCUMENT_TIMESTAMP
                else Usage.SIGNING
            )
            certificate = self.validator.validate(
                facts.signer_certificate,
                at=time or now,
                intermediates=facts.certificates,
                usage=usage,
                crls=facts.embedded_crls,
                ocsp_responses=facts.embedded_ocsp,
            )
        indication, sub = _indication(facts, certificate, time, source, now, self.policy)
        return SignatureContext(
            facts=facts,
            document=document,
            policy=self.policy,
            signing_time=time,
            time_source=source,
            certificate=certificate,
            timestamps=stamps,
            indication=indication,
            sub_indication=sub,
            now=now,
        )

    def _timestamp(self, stamp: TimestampFacts, facts: SignatureFacts) -> TimestampCheck:
        tsa = None
        if stamp.tsa_certificate is not None and stamp.gen_time is not None:
            tsa = self.validator.validate(
                stamp.tsa_certificate,
                at=stamp.gen_time,
                intermediates=(*stamp.certificates, *facts.certificates),
                usage=Usage.TIME_STAMPING,
                crls=facts.embedded_crls,
                ocsp_responses=facts.embedded_ocsp,
            )
        return TimestampCheck(stamp, tsa)

    def _signature_report(self, ctx: SignatureContext) -> SignatureReport:
        facts = ctx.facts
        rules = tuple(
            _result(rule, _checked(rule, ctx), self.policy)
            for rule in SIGNATURE_RULES
            if self.policy.enabled(rule.rule_id)
        )
        return SignatureReport(
            index=facts.index,
            name=facts.name,
            kind=facts.kind.value,
            indication=ctx.indication,
            sub_indication=ctx.sub_indication,
            signer=_signer(facts.signer_certificate, ctx.certificate),
            signing_time=ctx.signing_time,
            signing_time_source=ctx.time_source,
            claimed_time=facts.claimed_time,
            timestamps=tuple(_timestamp_report(t) for t in ctx.timestamps),
            level=_level_reached(facts.level, ctx.certificate),
            algorithm=facts.signature_algorithm or facts.digest_algorithm,
            rules=rules,
        )


def verify(
    source: str | Path | bytes,
    *,
    policy: Policy | str = "vn-legal",
    trust: TrustStore | None = None,
    at: datetime | None = None,
    offline: bool = False,
    crls: Iterable[bytes] = (),
    ocsp_responses: Iterable[bytes] = (),
    content: str | Path | bytes | None = None,
) -> Report:
    """Verify one document (PDF, XML/XAdES, e-invoice, edXML, detached CMS).

    A document that fails is a report with verdict ``invalid``, ``indeterminate``
    or ``error``, never an exception; exceptions mean a bad *call* (an unknown
    profile, say). For many documents, use one :class:`Verifier`.
    """
    verifier = Verifier(
        policy, trust=trust, at=at, offline=offline, crls=crls, ocsp_responses=ocsp_responses
    )
    return verifier.verify(source, content=content)


# -- helpers ------------------------------------------------------------------------------


def _read(source: str | Path | bytes) -> bytes:
    if isinstance(source, bytes):
        data = source
    else:
        path = Path(source)
        try:
            size = path.stat().st_size
            if size > MAX_DOCUMENT:
                raise InputError(f"{path}: larger than {MAX_DOCUMENT >> 20} MiB")
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise InputError(f"no such file: {path}") from exc
        except IsADirectoryError as exc:
            raise InputError(f"{path} is a folder") from exc
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror}") from exc
    if len(data) > MAX_DOCUMENT:
        raise InputError(f"larger than {MAX_DOCUMENT >> 20} MiB")
    if not data:
        raise MalformedInputError("the file is empty")
    return data


def _facts(
    data: bytes, source: str | Path | bytes, content: str | Path | bytes | None
) -> DocumentFacts:
    kind = detect_format(data)
    if kind is DocumentFormat.PDF:
        from vnsign.verify.adapters.pdf import pdf_facts

        return pdf_facts(data)
    if kind is DocumentFormat.CMS:
        from vnsign.verify.adapters.detached import content_beside, detached_facts

        if content is None:
            if isinstance(source, bytes):
                raise InputError("a detached signature needs the signed file: pass content=")
            content = content_beside(Path(source))
        return detached_facts(data, content if isinstance(content, bytes) else Path(content))
    if kind is DocumentFormat.XML:
        from vnsign.verify.adapters.xml import xml_facts

        return xml_facts(data)
    if kind is DocumentFormat.EINVOICE:
        from vnsign.verify.adapters.einvoice import einvoice_facts

        return einvoice_facts(data)
    if kind is DocumentFormat.EDXML:
        from vnsign.verify.adapters.edxml import edxml_facts

        return edxml_facts(data)
    raise UnsupportedFormatError("not a PDF, XML or CMS document")


# -- files carried inside a document (edXML attachments) ----------------------------------


class _AttachmentBudget:
    """What may still be verified inside one document, all levels together: nested
    packages must not multiply the work (every level decodes its own attachments)."""

    def __init__(self) -> None:
        self.files = MAX_ATTACHMENTS
        self.bytes = MAX_DOCUMENT

    def take(self, size: int) -> None:
        """Spend one file of ``size`` bytes, or refuse it."""
        if self.files <= 0 or size > self.bytes:
            raise HostileInputError(
                f"the document carries more than {MAX_ATTACHMENTS} files or "
                f"{MAX_DOCUMENT >> 20} MiB; the rest is not verified"
            )
        self.files -= 1
        self.bytes -= size


def _attachment_facts(data: bytes, budget: _AttachmentBudget) -> DocumentFacts:
    if not data:
        raise MalformedInputError("the file is empty")
    if detect_format(data) is DocumentFormat.EDXML:
        from vnsign.formats.edxml import NestingLimits
        from vnsign.verify.adapters.edxml import edxml_facts

        # a nested package decodes its attachments within what is left of the budget
        return edxml_facts(data, limits=NestingLimits(max_total_bytes=max(budget.bytes, 1)))
    return _facts(data, data, None)


def _printable(name: str) -> str:
    """A file name from inside a document, safe to print (no control characters)."""
    return "".join("?" if unicodedata.category(c) == "Cc" else c for c in name) or "?"


# A file nothing could be verified in leaves its container unproven: not valid.
_RANK = {Verdict.VALID: 0, Verdict.INDETERMINATE: 1, Verdict.INVALID: 2, Verdict.ERROR: 2}


def _with_attachments(verdict: Verdict, attachments: tuple[Report, ...]) -> Verdict:
    """The container's verdict: no better than the worst file it carries."""
    for attachment in attachments:
        carried = Verdict.INVALID if attachment.verdict is Verdict.ERROR else attachment.verdict
        if _RANK[carried] > _RANK[verdict]:
            verdict = carried
    return verdict


def _attachment_summary(summary: Text, attachments: tuple[Report, ...]) -> Text:
    """``summary`` with the carried files that made the verdict worse."""
    bad = [a for a in attachments if a.verdict is not Verdict.VALID]
    vi = " ".join(f"Tệp đính kèm {a.file}: {_VERDICT_WORDS[a.verdict][0].lower()}." for a in bad)
    en = " ".join(f"Attachment {a.file}: {_VERDICT_WORDS[a.verdict][1].lower()}." for a in bad)
    return Text(f"{summary.vi} {vi}", f"{summary.en} {en}")


def _level_reached(claimed: str, certificate: CertificateValidation | None) -> str:
    """The adapter's level, unless it claims long-term validation data (B-LT, B-LTA)
    that the document does not hold: as in EN 319 142-1 and DSS, that needs the
    revocation data of every certificate of the path embedded, not fetched."""
    if "-LT" not in claimed or certificate is None or not certificate.path:
        return claimed
    if all(fact.source.endswith("(embedded)") for fact in certificate.revocation):
        return claimed
    return claimed.split("-LT")[0] + "-T"


def _signing_time(
    facts: SignatureFacts, stamps: tuple[TimestampCheck, ...]
) -> tuple[datetime | None, TimeSource]:
    """The earliest proven time (a valid time stamp whose TSA is trusted), else the claim."""
    proven = [
        s.facts.gen_time
        for s in stamps
        if s.facts.intact
        and s.facts.signature_valid
        and s.tsa is not None
        and s.tsa.valid
        and s.facts.gen_time
    ]
    if facts.kind is SignatureKind.DOCUMENT_TIMESTAMP:
        return facts.claimed_time, TimeSource.TIMESTAMP
    if proven:
        return min(proven), TimeSource.TIMESTAMP
    if facts.claimed_time is not None:
        return facts.claimed_time, TimeSource.CLAIMED
    return None, TimeSource.NONE


def _indication(
    facts: SignatureFacts,
    certificate: CertificateValidation | None,
    time: datetime | None,
    source: TimeSource,
    now: datetime,
    policy: Policy,
) -> tuple[Indication, SubIndication | None]:
    """EN 319 102-1 main and sub-indication for one signature."""
    if facts.format_problem or facts.coverage is Coverage.PARTIAL:
        return Indication.TOTAL_FAILED, SubIndication.FORMAT_FAILURE
    if facts.coverage is Coverage.UNKNOWN and facts.integrity_problem and facts.intact is not False:
        return Indication.TOTAL_FAILED, SubIndication.FORMAT_FAILURE
    if facts.intact is False:
        return Indication.TOTAL_FAILED, SubIndication.HASH_FAILURE
    if facts.signature_valid is False:
        return Indication.TOTAL_FAILED, SubIndication.SIG_CRYPTO_FAILURE
    if certificate is None:
        return Indication.INDETERMINATE, SubIndication.NO_SIGNING_CERTIFICATE_FOUND
    if (
        facts.digest_algorithm
        and not policy.algorithms.digest(facts.digest_algorithm, time or now).acceptable
    ):
        return Indication.INDETERMINATE, SubIndication.CRYPTO_CONSTRAINTS_FAILURE
    if certificate.indication is Indication.FAILED:
        return Indication.TOTAL_FAILED, certificate.sub_indication
    if certificate.indication is Indication.INDETERMINATE:
        if (
            certificate.sub_indication is SubIndication.NOT_YET_VALID
            and source is TimeSource.TIMESTAMP
        ):
            return Indication.TOTAL_FAILED, SubIndication.NOT_YET_VALID
        if (
            certificate.sub_indication is SubIndication.OUT_OF_BOUNDS_NO_POE
            and source is TimeSource.TIMESTAMP
        ):
            return Indication.INDETERMINATE, SubIndication.EXPIRED
        return Indication.INDETERMINATE, certificate.sub_indication
    if source is not TimeSource.TIMESTAMP:
        # Without proof of time, the signature must also hold up now (OBS-EXPIRY).
        if certificate.revoked_later is not None:
            return Indication.INDETERMINATE, SubIndication.REVOKED_NO_POE
        if any(cert.not_valid_after_utc < now for cert in certificate.path):
            return Indication.INDETERMINATE, SubIndication.OUT_OF_BOUNDS_NO_POE
    return Indication.TOTAL_PASSED, None


def _readable_certificates(facts: SignatureFacts) -> SignatureFacts:
    """``facts`` without certificates whose identity cannot be read: a signer
    certificate that cannot be read makes the signature a FORMAT_FAILURE, a time
    stamp's an unproven time, rather than an error further on."""
    cert = facts.signer_certificate
    if cert is not None:
        try:
            CertificateInfo.from_certificate(cert)
        except VnsignError as exc:
            facts = replace(
                facts,
                signer_certificate=None,
                format_problem=facts.format_problem or f"the signer's certificate: {exc}",
            )
    stamps = []
    for stamp in facts.timestamps:
        if stamp.tsa_certificate is not None:
            try:
                CertificateInfo.from_certificate(stamp.tsa_certificate)
            except VnsignError as exc:
                stamp = replace(
                    stamp,
                    tsa_certificate=None,
                    problem=stamp.problem or f"the time-stamping authority's certificate: {exc}",
                )
        stamps.append(stamp)
    return replace(facts, timestamps=tuple(stamps))


def _checked(rule: Rule[Any], ctx: Any) -> Outcome:
    """``rule.check(ctx)``; a rule that breaks fails (never a false "valid") and the
    report says it could not be completed, instead of the report being lost."""
    try:
        outcome: Outcome = rule.check(ctx)
    except Exception as exc:  # noqa: BLE001 - any bug in one rule must not lose the report
        reason = f"{type(exc).__name__}: {exc}"
        return Outcome(
            RuleStatus.FAILED,
            Text(
                f"Không thể hoàn tất kiểm tra (lỗi nội bộ: {reason}).",
                f"The check could not be completed (internal error: {reason}).",
            ),
        )
    return outcome


def _result(rule: Rule[Any], outcome: Outcome, policy: Policy) -> RuleResult:
    return RuleResult(
        rule_id=rule.rule_id,
        title=rule.title,
        reference=rule.reference,
        status=outcome.status,
        message=outcome.message,
        fatal=policy.is_fatal(rule.rule_id),
    )


def _verdict(
    signatures: tuple[SignatureReport, ...], document_rules: tuple[RuleResult, ...]
) -> Verdict:
    rules = [*document_rules, *(r for s in signatures for r in s.rules)]
    if any(r.status is RuleStatus.FAILED and r.fatal for r in rules):
        return Verdict.INVALID
    if any(s.indication is Indication.TOTAL_FAILED for s in signatures):
        return Verdict.INVALID
    if any(s.indication is Indication.INDETERMINATE for s in signatures):
        return Verdict.INDETERMINATE
    return Verdict.VALID


_VERDICT_WORDS = {
    Verdict.VALID: ("HỢP LỆ", "VALID"),
    Verdict.INVALID: ("KHÔNG HỢP LỆ", "INVALID"),
    Verdict.INDETERMINATE: ("CHƯA XÁC ĐỊNH ĐƯỢC", "INDETERMINATE"),
    Verdict.ERROR: ("LỖI", "ERROR"),
}


def _summary(
    verdict: Verdict,
    signatures: tuple[SignatureReport, ...],
    document_rules: tuple[RuleResult, ...],
) -> Text:
    vi_word, en_word = _VERDICT_WORDS[verdict]
    reasons: list[Text] = []
    for rule in document_rules:
        if rule.status is RuleStatus.FAILED and rule.fatal:
            reasons.append(rule.message)
    for sig in signatures:
        bad = [r for r in sig.rules if r.status is RuleStatus.FAILED and r.fatal]
        if verdict is Verdict.INDETERMINATE and not bad:
            bad = [r for r in sig.rules if r.status is RuleStatus.WARNING and r.fatal]
        for rule in bad[:2]:
            reasons.append(
                Text(
                    f"Chữ ký {sig.index}: {rule.message.vi}",
                    f"Signature {sig.index}: {rule.message.en}",
                )
            )
    if verdict is Verdict.VALID:
        count = len(signatures)
        return Text(
            f"{vi_word}: {count} chữ ký đều hợp lệ.",
            f"{en_word}: all {count} signature(s) are valid.",
        )
    if not reasons:
        return Text(f"{vi_word}.", f"{en_word}.")
    return Text(
        f"{vi_word}: " + " ".join(r.vi for r in reasons[:3]),
        f"{en_word}: " + " ".join(r.en for r in reasons[:3]),
    )


def _error_report(label: str, profile: str, now: datetime, exc: VnsignError) -> Report:
    if isinstance(exc, HostileInputError):
        vi = f"Tệp có cấu trúc nguy hiểm (tấn công trình phân tích) và đã bị từ chối: {exc}"
    elif isinstance(exc, InputError):
        vi = f"Không đọc được tệp: {exc}"
    else:
        vi = f"Không xác minh được: {exc}"
    message = Text(vi, str(exc))
    return Report(
        file=label,
        format="unknown",
        verdict=Verdict.ERROR,
        profile=profile,
        verified_at=now,
        summary=Text(f"LỖI: {vi}", f"ERROR: {exc}"),
        error=message,
    )


def _signer(
    cert: x509.Certificate | None, validation: CertificateValidation | None
) -> SignerReport | None:
    if cert is None:
        return None
    info = validation.info if validation else CertificateInfo.from_certificate(cert)
    return SignerReport(
        name=info.display_name,
        kind=info.kind.value,
        identifiers=tuple((str(i.scheme or "UID"), i.value) for i in info.identifiers),
        organization=info.organization,
        issuer=info.issuer_common_name or info.issuer,
        regime=(validation.regime if validation else info.regime).value,
        certificate_sha256=info.sha256_fingerprint,
        serial_number=format(info.serial_number, "X"),
        not_before=info.not_before,
        not_after=info.not_after,
    )


def _timestamp_report(check: TimestampCheck) -> TimestampReport:
    stamp = check.facts
    tsa_name = (
        CertificateInfo.from_certificate(stamp.tsa_certificate).display_name
        if stamp.tsa_certificate
        else "?"
    )
    good = stamp.intact and stamp.signature_valid and check.tsa is not None and check.tsa.valid
    if good:
        message = Text("Dấu thời gian hợp lệ.", "Valid time stamp.")
    elif not (stamp.intact and stamp.signature_valid):
        message = Text(
            f"Dấu thời gian hỏng: {stamp.problem}.", f"Broken time stamp: {stamp.problem}."
        )
    else:
        detail = check.tsa.message if check.tsa else "no TSA certificate"
        message = Text(
            f"Chưa xác nhận được đơn vị cấp dấu thời gian: {detail}.",
            f"TSA not confirmed: {detail}.",
        )
    return TimestampReport(
        time=stamp.gen_time or datetime.min.replace(tzinfo=UTC),
        tsa=tsa_name,
        valid=good,
        message=message,
    )
