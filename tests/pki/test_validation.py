"""Certificate validation at signing time, against the test PKI's live OCSP and CRL services."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from vnsign.pki.identity import Regime, SubjectKind
from vnsign.pki.revocation import RevocationChecker, RevocationState
from vnsign.pki.status import Indication, SubIndication
from vnsign.pki.trust import TrustStore
from vnsign.pki.validation import (
    CertificateValidation,
    CertificateValidator,
    Usage,
    validate_certificate,
)
from vnsign.testing import Fault, TestIdentity, TestPKI, TestServices, Variant


def trust_of(pki: TestPKI) -> TrustStore:
    return (
        TrustStore.builtin("none")
        .with_anchors([pki.national_root.certificate], regime=Regime.PUBLIC)
        .with_anchors([pki.gov_root.certificate], regime=Regime.OFFICIAL_DUTY)
    )


@pytest.fixture
def validate(vn_pki: TestPKI) -> Callable[..., CertificateValidation]:
    validator = CertificateValidator(trust_of(vn_pki), timeout=2)

    def run(ident: TestIdentity, **options: object) -> CertificateValidation:
        return validator.validate(ident.certificate, intermediates=ident.chain, **options)  # type: ignore[arg-type]

    return run


def test_good_certificate_passes_with_its_regime_and_identity(
    vn_pki: TestPKI, validate: Callable[..., CertificateValidation]
) -> None:
    result = validate(vn_pki.person_in_org)
    assert (result.indication, result.sub_indication) == (Indication.PASSED, None)
    assert result.regime is Regime.PUBLIC
    assert result.path == (vn_pki.person_in_org.certificate, *vn_pki.person_in_org.chain)
    assert [f.state for f in result.revocation] == [RevocationState.GOOD] * 2
    assert result.revocation[0].source.startswith("OCSP http://127.0.0.1")
    gov = validate(vn_pki.gov_official)
    assert gov.valid and gov.regime is Regime.OFFICIAL_DUTY
    assert gov.info.kind is SubjectKind.GOVERNMENT_OFFICIAL


@pytest.mark.parametrize(
    ("variant", "indication", "sub"),
    [
        (Variant.EXPIRED, Indication.INDETERMINATE, SubIndication.OUT_OF_BOUNDS_NO_POE),
        (Variant.NOT_YET_VALID, Indication.INDETERMINATE, SubIndication.NOT_YET_VALID),
        (Variant.REVOKED, Indication.FAILED, SubIndication.REVOKED),
        (Variant.RSA1024, Indication.INDETERMINATE, SubIndication.CRYPTO_CONSTRAINTS_FAILURE),
        (Variant.SHA1, Indication.INDETERMINATE, SubIndication.CRYPTO_CONSTRAINTS_FAILURE),
        (
            Variant.WRONG_KEY_USAGE,
            Indication.INDETERMINATE,
            SubIndication.CHAIN_CONSTRAINTS_FAILURE,
        ),
        (Variant.SELF_SIGNED, Indication.INDETERMINATE, SubIndication.NO_CERTIFICATE_CHAIN_FOUND),
        (Variant.ECDSA_P256, Indication.PASSED, None),
    ],
)
def test_each_variant_gets_its_etsi_indication(
    vn_pki: TestPKI,
    validate: Callable[..., CertificateValidation],
    variant: Variant,
    indication: Indication,
    sub: SubIndication | None,
) -> None:
    result = validate(vn_pki.variant(variant))
    assert (result.indication, result.sub_indication) == (indication, sub), result.message


def test_messages_say_why(vn_pki: TestPKI, validate: Callable[..., CertificateValidation]) -> None:
    assert "SHA-1 is not allowed" in validate(vn_pki.variant(Variant.SHA1)).message
    assert "RSA-1024 is below the minimum" in validate(vn_pki.variant(Variant.RSA1024)).message
    assert "revoked on" in validate(vn_pki.variant(Variant.REVOKED)).message
    assert "self-signed" in validate(vn_pki.variant(Variant.SELF_SIGNED)).message


def test_revoked_before_and_after_the_validation_time(
    vn_pki: TestPKI, validate: Callable[..., CertificateValidation]
) -> None:
    ident = vn_pki.issue()
    revoked_at = vn_pki.now - timedelta(days=5)
    vn_pki.revoke(ident, at=revoked_at, reason=x509.ReasonFlags.superseded)
    before = validate(ident, at=revoked_at - timedelta(days=10))
    assert before.indication is Indication.PASSED
    assert before.revoked_later == revoked_at
    assert any("revoked later" in w for w in before.warnings)
    after = validate(ident, at=revoked_at + timedelta(hours=1))
    assert (after.indication, after.sub_indication) == (Indication.FAILED, SubIndication.REVOKED)
    assert "superseded" in after.message


def test_suspension_counts_as_not_valid(
    vn_pki: TestPKI, validate: Callable[..., CertificateValidation]
) -> None:
    ident = vn_pki.issue()
    vn_pki.revoke(
        ident, at=vn_pki.now - timedelta(days=1), reason=x509.ReasonFlags.certificate_hold
    )
    result = validate(ident)
    assert result.sub_indication is SubIndication.REVOKED
    assert "suspended" in result.message


def test_revoked_intermediate_is_revoked_ca_no_poe(vn_new_pki) -> None:  # type: ignore[no-untyped-def]
    pki: TestPKI = vn_new_pki()
    pki.revoke(pki.public_ca.certificate, at=pki.now - timedelta(days=1))
    result = CertificateValidator(trust_of(pki)).validate(
        pki.person.certificate, intermediates=pki.person.chain
    )
    assert (result.indication, result.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.REVOKED_CA_NO_POE,
    )


def test_untrusted_chain_from_another_pki(vn_pki: TestPKI, vn_new_pki) -> None:  # type: ignore[no-untyped-def]
    stranger = vn_new_pki().person
    result = CertificateValidator(trust_of(vn_pki)).validate(
        stranger.certificate, intermediates=stranger.chain
    )
    assert result.sub_indication is SubIndication.NO_CERTIFICATE_CHAIN_FOUND
    assert result.regime is Regime.UNKNOWN


def test_revocation_is_checked_over_both_ocsp_and_crl(vn_pki: TestPKI) -> None:
    revoked = vn_pki.variant(Variant.REVOKED)
    for methods in (("ocsp",), ("crl",)):
        checker = RevocationChecker(methods=methods)
        facts = checker.check(revoked.certificate, revoked.chain[0])
        assert facts.state is RevocationState.REVOKED
        assert facts.source.startswith(methods[0].upper())
        assert facts.reason == "key_compromise"


def test_dead_ocsp_falls_back_to_the_crl(vn_pki: TestPKI, vn_services: TestServices) -> None:
    vn_services.faults["ocsp"] = Fault.HANG
    started = time.perf_counter()
    result = CertificateValidator(trust_of(vn_pki), timeout=0.5).validate(
        vn_pki.organization.certificate, intermediates=vn_pki.organization.chain
    )
    assert result.valid
    assert result.revocation[0].source.startswith("CRL")
    assert time.perf_counter() - started < 3  # one OCSP timeout, then the dead URL is skipped


def test_dead_services_give_try_later_within_the_timeout(
    vn_pki: TestPKI, vn_services: TestServices
) -> None:
    vn_services.faults["ocsp"] = Fault.HANG
    vn_services.faults["repository"] = Fault.HANG
    validator = CertificateValidator(trust_of(vn_pki), timeout=0.4)
    started = time.perf_counter()
    result = validator.validate(vn_pki.person.certificate, intermediates=vn_pki.person.chain)
    elapsed = time.perf_counter() - started
    assert (result.indication, result.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.TRY_LATER,
    )
    assert "did not answer within 0.4 s" in result.message
    assert elapsed < 2.0, elapsed  # two timeouts (OCSP, CRL); the CA's check reuses the dead URLs
    started = time.perf_counter()
    again = validator.validate(
        vn_pki.person_in_org.certificate, intermediates=vn_pki.person_in_org.chain
    )
    assert again.sub_indication is SubIndication.TRY_LATER
    assert time.perf_counter() - started < 0.2  # nothing is waited for twice in a batch


def test_http_errors_are_reported(vn_pki: TestPKI, vn_services: TestServices) -> None:
    vn_services.faults["ocsp"] = Fault.HTTP_500
    vn_services.faults["repository"] = Fault.GARBAGE
    result = CertificateValidator(trust_of(vn_pki), retries=1).validate(
        vn_pki.person.certificate, intermediates=vn_pki.person.chain
    )
    assert result.sub_indication is SubIndication.TRY_LATER
    assert "HTTP 500" in result.message
    assert "is not a CRL" in result.message


def test_offline_without_data_is_never_valid(vn_pki: TestPKI) -> None:
    result = validate_certificate(
        vn_pki.person.certificate,
        trust=trust_of(vn_pki),
        intermediates=vn_pki.person.chain,
        online=False,
    )
    assert (result.indication, result.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.TRY_LATER,
    )
    assert "offline" in result.message


def test_offline_with_supplied_crls_and_ocsp(vn_pki: TestPKI) -> None:
    crls = [
        vn_pki.public_ca.crl().public_bytes(serialization.Encoding.DER),
        vn_pki.national_root.crl(),
    ]
    result = validate_certificate(
        vn_pki.person.certificate,
        trust=trust_of(vn_pki),
        intermediates=vn_pki.person.chain,
        online=False,
        crls=crls,
    )
    assert result.valid, result.message
    assert all(f.source == "CRL (supplied)" for f in result.revocation)
    # one OCSP response for the leaf plus the root's CRL for the intermediate
    response = _ocsp_response(vn_pki, vn_pki.person)
    result = CertificateValidator(trust_of(vn_pki), online=False).validate(
        vn_pki.person.certificate,
        intermediates=vn_pki.person.chain,
        ocsp_responses=[response],
        crls=[vn_pki.national_root.crl()],
    )
    assert result.valid, result.message
    assert result.revocation[0].source == "OCSP (embedded)"
    assert result.revocation[0].evidence == response


def _ocsp_response(pki: TestPKI, ident: TestIdentity) -> bytes:
    import urllib.request

    body = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(ident.certificate, ident.chain[0], hashes.SHA1())
        .build()
        .public_bytes(serialization.Encoding.DER)
    )
    request = urllib.request.Request(
        pki.services.ocsp_url, data=body, headers={"Content-Type": "application/ocsp-request"}
    )
    with urllib.request.urlopen(request, timeout=5) as reply:
        return reply.read()


def test_forged_ocsp_and_crl_are_not_believed(vn_pki: TestPKI, vn_new_pki) -> None:  # type: ignore[no-untyped-def]
    rogue: TestPKI = vn_new_pki()
    ident = vn_pki.variant(Variant.REVOKED)
    # a "good" answer about our certificate, signed by someone else's responder
    forged = (
        ocsp.OCSPResponseBuilder()
        .add_response(
            cert=ident.certificate,
            issuer=vn_pki.public_ca.certificate,
            algorithm=hashes.SHA1(),
            cert_status=ocsp.OCSPCertStatus.GOOD,
            this_update=datetime.now(UTC),
            next_update=datetime.now(UTC) + timedelta(days=1),
            revocation_time=None,
            revocation_reason=None,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, rogue.ocsp_responder.certificate)
        .certificates([rogue.ocsp_responder.certificate])
        .sign(rogue.ocsp_responder.private_key, hashes.SHA256())
        .public_bytes(serialization.Encoding.DER)
    )
    # an empty CRL with our CA's name, signed by the rogue CA's key
    forged_crl = rogue.public_ca.crl()
    result = CertificateValidator(trust_of(vn_pki), online=False).validate(
        ident.certificate,
        intermediates=ident.chain,
        ocsp_responses=[forged],
        crls=[forged_crl, vn_pki.national_root.crl()],
    )
    assert result.sub_indication is SubIndication.TRY_LATER
    assert "not signed by the certificate's issuer" in result.message


def test_crl_issuer_spelled_with_an_en_dash_is_accepted(vn_pki: TestPKI) -> None:
    # The NEAC RS and USBTOKEN roots name their CRL issuer "… – RS" while the subject says "… - RS".
    ca = vn_pki.public_ca
    dashed = x509.Name(
        [
            x509.NameAttribute(
                a.oid, a.value.replace("-", "\u2013") if isinstance(a.value, str) else a.value
            )
            for a in ca.certificate.subject
        ]
    )
    assert dashed != ca.certificate.subject
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(dashed)
        .last_update(datetime.now(UTC) - timedelta(minutes=1))
        .next_update(datetime.now(UTC) + timedelta(days=1))
        .sign(ca.private_key, hashes.SHA256())
    )
    result = CertificateValidator(trust_of(vn_pki), online=False).validate(
        vn_pki.person.certificate,
        intermediates=vn_pki.person.chain,
        crls=[crl, vn_pki.national_root.crl()],
    )
    assert result.valid, result.message


def test_sha1_and_rsa1024_are_judged_by_the_rules_of_their_time(vn_new_pki) -> None:  # type: ignore[no-untyped-def]
    # A PKI as of early 2025: before TT 15/2025 retired SHA-1 and RSA-1024 (OBS-SHA1-LEGACY).
    pki: TestPKI = vn_new_pki(now=datetime(2025, 3, 1, tzinfo=UTC))
    validator = CertificateValidator(trust_of(pki))
    for variant in (Variant.SHA1, Variant.RSA1024):
        ident = pki.variant(variant)
        then = validator.validate(ident.certificate, intermediates=ident.chain, at=pki.now)
        assert then.valid, then.message
        assert any("tolerated" in w for w in then.warnings)
        late = validator.validate(
            ident.certificate, intermediates=ident.chain, at=datetime(2025, 9, 1, tzinfo=UTC)
        )
        assert late.sub_indication is SubIndication.CRYPTO_CONSTRAINTS_FAILURE


def test_time_stamping_usage(
    vn_pki: TestPKI, validate: Callable[..., CertificateValidation]
) -> None:
    assert validate(vn_pki.tsa, usage=Usage.TIME_STAMPING).valid
    not_tsa = validate(vn_pki.person, usage=Usage.TIME_STAMPING)
    assert not_tsa.sub_indication is SubIndication.CHAIN_CONSTRAINTS_FAILURE


def test_a_batch_reuses_chains_and_revocation(vn_pki: TestPKI) -> None:
    signers = [vn_pki.issue() for _ in range(5)]
    validator = CertificateValidator(trust_of(vn_pki))
    base = vn_pki.now - timedelta(days=1)
    for n in range(100):
        signer = signers[n % 5]
        result = validator.validate(
            signer.certificate, intermediates=signer.chain, at=base + timedelta(minutes=n)
        )
        assert result.valid
    assert validator.chain_validations == 5
    assert validator.revocation.stats["ocsp_requests"] == 6  # five signers and their CA, once each
