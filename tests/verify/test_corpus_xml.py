"""Third-party XML (W3C interop vectors, xml-crypto, esig/DSS XAdES, pyHanko's bad
XML): verdicts that must hold whatever the trust.

None of these chain to a Vietnamese root, so with the default trust store an
intact one is at best INDETERMINATE; tampered, wrapped and spoofed ones must never
be valid; hostile and broken ones must end quickly with an error report.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import jsonschema
import pytest
from cryptography import x509

from vnsign.pki.identity import Regime
from vnsign.pki.status import SubIndication
from vnsign.pki.trust import TrustStore
from vnsign.verify import Verdict, Verifier, load_policy

pytestmark = [
    pytest.mark.interop,
    # old third-party certificates (negative serials, odd names) make cryptography warn
    pytest.mark.filterwarnings("ignore::cryptography.utils.CryptographyDeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Attribute's length:UserWarning"),
]

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "report-schema.json").read_text()
)

# file -> (verdict, sub-indication expected on at least one signature, or None)
EXPECTED = {
    # entity bombs, external entities, DTDs: refused before anything is expanded or fetched
    **{
        f"pyhanko-bad-xml/{name}.xml": (Verdict.ERROR, None)
        for name in (
            "xmlbomb",
            "xmlbomb2",
            "cyclic",
            "quadratic",
            "external",
            "external_file",
            "dtd",
            "xmp-with-harmless-entity",
        )
    },
    "pyhanko-bad-xml/simple.xml": (Verdict.INVALID, None),  # harmless, unsigned
    "dss-xades/xades-with-dtd-injection.xml": (Verdict.ERROR, None),
    "dss-xades/malformed-xades.xml": (Verdict.ERROR, None),
    "dss-xades/broken-dom.xml": (Verdict.ERROR, None),
    "signxml-interop/merlin-xmldsig-twenty-three/signature.xml": (Verdict.ERROR, None),
    # signature wrapping: duplicated IDs, a SignedInfo hidden in a wrapper, two SignedInfos
    "xml-crypto-static/valid_saml_signature_wrapping.xml": (
        Verdict.INVALID,
        SubIndication.FORMAT_FAILURE,
    ),
    "xml-crypto-static/saml_wrapped_signed_info_node.xml": (
        Verdict.INVALID,
        SubIndication.FORMAT_FAILURE,
    ),
    "xml-crypto-static/saml_multiple_signed_info_nodes.xml": (
        Verdict.INVALID,
        SubIndication.FORMAT_FAILURE,
    ),
    "dss-xades/xsw/XSW-enveloping-fake-object.xml": (Verdict.INVALID, SubIndication.FORMAT_FAILURE),
    "dss-xades/xsw/XSW-enveloping-fake-manifest.xml": (
        Verdict.INVALID,
        SubIndication.FORMAT_FAILURE,
    ),
    "dss-xades/xsw/XSW-enveloped-fake-signedProperties.xml": (
        Verdict.INVALID,
        SubIndication.FORMAT_FAILURE,
    ),
    # changed after signing
    "signxml-interop/phaos-xmldsig-three/signature-rsa-enveloped-bad-digest-val.xml": (
        Verdict.INVALID,
        SubIndication.HASH_FAILURE,
    ),
    "xml-crypto-static/invalid_saml_sha256_rsa_mgf1.xml": (
        Verdict.INVALID,
        SubIndication.HASH_FAILURE,
    ),
    "xml-crypto-static/windows_store_signature.xml": (Verdict.INVALID, SubIndication.HASH_FAILURE),
    "dss-xades/valid-xades.xml": (Verdict.INVALID, SubIndication.HASH_FAILURE),  # re-indented
    # an enveloped-signature transform on a reference to an Object of the Signature that
    # is not an e-invoice SigningTime: the strict reading (nothing digested) fails
    "signxml-interop/aleksey-xmldsig-01-enveloped/invalid_enveloped_transform.xml": (
        Verdict.INVALID,
        SubIndication.HASH_FAILURE,
    ),
    "dss-xades/dss-signed-altered-signedPropsRemoved.xml": (
        Verdict.INVALID,
        SubIndication.SIG_CRYPTO_FAILURE,
    ),
    "dss-xades/dss-signed-altered-refRemoved.xml": (Verdict.INVALID, SubIndication.FORMAT_FAILURE),
    "dss-xades/xades-tampered-reference.xml": (Verdict.INVALID, SubIndication.FORMAT_FAILURE),
    # a signing-certificate reference naming another certificate (EN 319 102-1 §5.2.3)
    "dss-xades/xades-wrong-sign-cert-digest.xml": (
        Verdict.INDETERMINATE,
        SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
    ),
    "dss-xades/xades-sign-cert-v2-wrong-digest.xml": (
        Verdict.INDETERMINATE,
        SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
    ),
    # intact, but nobody Vietnamese vouches for the signer
    "dss-xades/dss-signed.xml": (Verdict.INDETERMINATE, SubIndication.NO_CERTIFICATE_CHAIN_FOUND),
    "dss-xades/xades-extended-t.xml": (
        Verdict.INDETERMINATE,
        SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
    ),
    "dss-xades/Signature-X-ES-100.xml": (
        Verdict.INDETERMINATE,
        SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
    ),
}
# Changed, wrapped or spoofed: whatever the verifier manages, never "valid".
NEVER_VALID_PATTERNS = (
    "xml-crypto-static/invalid_*.xml",
    "xml-crypto-static/*wrapp*.xml",
    "dss-xades/xsw/*.xml",
    "dss-xades/*tampered*.xml",
    "dss-xades/*altered*.xml",
    "signxml-interop/**/*bad*.xml",
    "signxml-interop/**/invalid*.xml",
    "pyhanko-bad-xml/*.xml",
)
FOLDERS = ("signxml-interop", "xml-crypto-static", "dss-xades", "pyhanko-bad-xml")


@pytest.fixture(scope="module")
def verifier() -> Verifier:
    return Verifier(offline=True)


@pytest.mark.parametrize(("name", "expected"), EXPECTED.items(), ids=list(EXPECTED))
def test_expected_verdicts(
    shared_corpus: Path,
    verifier: Verifier,
    name: str,
    expected: tuple[Verdict, SubIndication | None],
) -> None:
    verdict, sub = expected
    report = verifier.verify(shared_corpus / name)
    assert report.verdict is verdict, report.summary.en
    if sub is not None:
        assert sub in {s.sub_indication for s in report.signatures}, [
            s.sub_indication for s in report.signatures
        ]


def test_every_corpus_xml_ends_quickly_never_valid_and_schema_conform(
    shared_corpus: Path, verifier: Verifier
) -> None:
    files = sorted(
        p for folder in FOLDERS for p in (shared_corpus / folder).rglob("*.xml") if p.is_file()
    )
    assert len(files) > 350
    verdicts = {}
    for path in files:
        started = time.perf_counter()
        report = verifier.verify(path)  # a traceback fails the test
        assert time.perf_counter() - started < 5, path
        jsonschema.validate(report.to_json(), SCHEMA)
        verdicts[str(path.relative_to(shared_corpus))] = report.verdict
    # none of them chains to a Vietnamese root: nothing may be valid under the default trust
    assert Verdict.VALID not in verdicts.values()
    attacks = {
        str(p.relative_to(shared_corpus))
        for pattern in NEVER_VALID_PATTERNS
        for p in shared_corpus.glob(pattern)
    }
    assert len(attacks) > 30
    for name in attacks:
        assert verdicts[name] is not Verdict.VALID, name


def _corpus_certificates(corpus: Path) -> list[x509.Certificate]:
    found = []
    for path in sorted(corpus.rglob("*")):
        if path.suffix not in {".pem", ".crt", ".der", ".cer"}:
            continue
        data = path.read_bytes()
        try:
            if b"BEGIN CERTIFICATE" in data:
                found.append(x509.load_pem_x509_certificate(data))
            else:
                found.append(x509.load_der_x509_certificate(data))
        except ValueError:
            continue  # keys, bundles of something else
    return found


def test_attacks_stay_invalid_even_when_their_signers_are_trusted(shared_corpus: Path) -> None:
    # Trust every certificate the corpus ships and ask for no revocation data, so an
    # intact sample can be valid: the attacks must still not be.
    policy = dataclasses.replace(load_policy("vn-legal"), require_revocation=False, name="corpus")
    trust = TrustStore.builtin("none").with_anchors(
        _corpus_certificates(shared_corpus), regime=Regime.FOREIGN
    )
    verifier = Verifier(policy, trust=trust, offline=True)
    valid = {
        "signxml-interop/aleksey-xmldsig-01-enveloped/enveloped-sha256-rsa-sha256-test-1.xml",
        "xml-crypto-static/valid_saml_sha256_rsa_mgf1.xml",
    }
    for name in valid:
        report = verifier.verify(shared_corpus / name)
        assert report.verdict is Verdict.VALID, (name, report.summary.en)
    attacks = sorted(
        {p for pattern in NEVER_VALID_PATTERNS for p in shared_corpus.glob(pattern)}
        | {
            shared_corpus / name
            for name, (verdict, _) in EXPECTED.items()
            if verdict is not Verdict.VALID
        }
    )
    for path in attacks:
        assert verifier.verify(path).verdict is not Verdict.VALID, path
