"""verify() on XML documents: XMLDSig and XAdES B-B/B-T/B-LT, integrity, what a
signature covers, wrapping attacks, hostile input, trust, the CLI."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from _xml_docs import DOCUMENT, credential, ds, edit, resign, trust
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from vnsign.cli import main
from vnsign.formats.xml import XadesLevel, XadesOptions, XmlSignOptions, sign_enveloped
from vnsign.formats.xml.signing import sign_enveloping
from vnsign.pki.credentials import KeyCredential
from vnsign.pki.status import Indication, SubIndication
from vnsign.pki.timestamps import TimestampClient
from vnsign.testing import TestIdentity, TestPKI, Variant
from vnsign.verify import Report, RuleStatus, TimeSource, Verdict, Verifier
from vnsign.verify.adapters.xml import xml_facts
from vnsign.verify.facts import Coverage

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "report-schema.json").read_text()
)


@pytest.fixture
def check(vn_pki: TestPKI) -> Callable[..., Report]:
    verifier = Verifier(trust=trust(vn_pki), timeout=2)

    def run(data: bytes, **options: object) -> Report:
        if options:
            return Verifier(trust=trust(vn_pki), timeout=2, **options).verify(data)  # type: ignore[arg-type]
        return verifier.verify(data)

    return run


def rule(report: Report, rule_id: str, signature: int = 1) -> RuleStatus:
    return next(r.status for r in report.signatures[signature - 1].rules if r.rule_id == rule_id)


def xades(pki: TestPKI, level: XadesLevel, **options: object) -> XmlSignOptions:
    tsa = None if level is XadesLevel.B_B else TimestampClient(pki.services.tsa_url)
    return XmlSignOptions(xades=XadesOptions(level=level, tsa=tsa), **options)  # type: ignore[arg-type]


# -- valid signatures ------------------------------------------------------------------------


def test_xmldsig_over_the_whole_document_is_valid(
    vn_pki: TestPKI, check: Callable[..., Report]
) -> None:
    signed = sign_enveloped(DOCUMENT, credential(vn_pki.person_in_org))
    report = check(signed)
    assert report.format == "xml"
    assert report.verdict is Verdict.VALID, report.summary.en
    [sig] = report.signatures
    assert sig.indication is Indication.TOTAL_PASSED
    assert sig.level == "XMLDSig"
    assert sig.algorithm == "sha256_rsa"
    assert sig.signer is not None and sig.signer.name == "Trần Thị Bình"
    assert ("MST", "0123456789") in sig.signer.identifiers
    assert sig.signing_time_source is TimeSource.NONE  # plain XMLDSig states no time
    assert rule(report, "TT15-TRUST-PATH") is RuleStatus.PASSED
    # e-invoice rules do not concern a generic XML document
    assert rule(report, "EINV-REFS") is RuleStatus.NOT_APPLICABLE
    [facts] = xml_facts(signed).signatures
    assert facts.coverage is Coverage.ENTIRE_FILE
    assert facts.details["signed"] == ("/HoSo",)


@pytest.mark.parametrize(
    ("level", "name", "source"),
    [
        (XadesLevel.B_B, "XAdES-B-B", TimeSource.CLAIMED),
        (XadesLevel.B_T, "XAdES-B-T", TimeSource.TIMESTAMP),
        (XadesLevel.B_LT, "XAdES-B-LT", TimeSource.TIMESTAMP),
    ],
)
def test_xades_levels_are_valid(
    vn_pki: TestPKI,
    check: Callable[..., Report],
    level: XadesLevel,
    name: str,
    source: TimeSource,
) -> None:
    signed = sign_enveloped(DOCUMENT, credential(vn_pki.organization), xades(vn_pki, level))
    report = check(signed)
    assert report.verdict is Verdict.VALID, report.summary.en
    [sig] = report.signatures
    assert sig.level == name
    assert sig.signing_time_source is source
    assert sig.claimed_time is not None  # XAdES SigningTime, signed
    if source is TimeSource.TIMESTAMP:
        assert sig.timestamps[0].valid
        assert rule(report, "LGDDT-TSA") is RuleStatus.PASSED


def test_xades_b_lt_is_valid_offline_from_the_embedded_revocation_values(
    vn_pki: TestPKI, check: Callable[..., Report]
) -> None:
    signed = sign_enveloped(DOCUMENT, credential(vn_pki.person), xades(vn_pki, XadesLevel.B_LT))
    [facts] = xml_facts(signed).signatures
    assert facts.embedded_ocsp or facts.embedded_crls
    assert check(signed, offline=True).verdict is Verdict.VALID
    b_b = sign_enveloped(DOCUMENT, credential(vn_pki.person), xades(vn_pki, XadesLevel.B_B))
    offline = check(b_b, offline=True)
    assert offline.verdict is Verdict.INDETERMINATE
    assert offline.signatures[0].sub_indication is SubIndication.TRY_LATER


def test_enveloping_signature_covers_its_object(
    vn_pki: TestPKI, check: Callable[..., Report]
) -> None:
    signed = sign_enveloping(DOCUMENT, credential(vn_pki.person))
    report = check(signed)
    assert report.verdict is Verdict.VALID, report.summary.en
    # an Object nobody signed, added afterwards, is content the signature does not cover
    extra = edit(
        signed, lambda root: etree.SubElement(root, ds("Object")).append(etree.Element("X"))
    )
    added = check(extra)
    assert added.verdict is Verdict.INVALID
    assert added.signatures[0].sub_indication is SubIndication.FORMAT_FAILURE


# -- integrity, keys --------------------------------------------------------------------------


def test_tampered_content_is_a_hash_failure(vn_pki: TestPKI, check: Callable[..., Report]) -> None:
    signed = sign_enveloped(DOCUMENT, credential(vn_pki.person), xades(vn_pki, XadesLevel.B_B))
    tampered = signed.replace(b"1000000", b"9000000")
    report = check(tampered)
    assert report.verdict is Verdict.INVALID
    assert report.signatures[0].sub_indication is SubIndication.HASH_FAILURE
    assert rule(report, "TECH-HASH") is RuleStatus.FAILED
    assert "bị thay đổi" in report.summary.vi


def test_reindented_document_fails_and_says_which_reference(
    vn_pki: TestPKI, check: Callable[..., Report]
) -> None:
    tree = etree.fromstring(sign_enveloped(DOCUMENT, credential(vn_pki.person)))
    etree.indent(tree, space="    ")  # OBS-WHITESPACE: never normalised
    report = check(etree.tostring(tree))
    assert report.signatures[0].sub_indication is SubIndication.HASH_FAILURE
    message = next(r.message.en for r in report.signatures[0].rules if r.rule_id == "TECH-HASH")
    assert "reference ''" in message


def test_value_made_with_another_key_is_a_crypto_failure(
    vn_pki: TestPKI, check: Callable[..., Report], vn_make_cert: Callable[..., TestIdentity]
) -> None:
    signed = sign_enveloped(DOCUMENT, credential(vn_pki.person))
    other = vn_make_cert()
    forged = resign(signed, other.private_key)  # digests fine, value by a key nobody names
    report = check(forged)
    assert report.verdict is Verdict.INVALID
    assert report.signatures[0].sub_indication is SubIndication.SIG_CRYPTO_FAILURE
    assert rule(report, "TECH-SIG") is RuleStatus.FAILED


def test_xades_signing_certificate_naming_another_certificate(
    vn_pki: TestPKI, check: Callable[..., Report]
) -> None:
    signed = sign_enveloped(DOCUMENT, credential(vn_pki.person), xades(vn_pki, XadesLevel.B_B))

    def swap_key_info(signature: etree._Element) -> None:
        cert = signature.find(f"{ds('KeyInfo')}/{ds('X509Data')}/{ds('X509Certificate')}")
        cert.text = base64.b64encode(vn_pki.organization.cert_der).decode()

    # the organisation re-signs with its own key; SignedProperties still names the person
    forged = resign(signed, vn_pki.organization.private_key, swap_key_info)
    report = check(forged)
    assert report.verdict is not Verdict.VALID
    assert report.signatures[0].sub_indication is SubIndication.NO_SIGNING_CERTIFICATE_FOUND


# -- coverage and signature wrapping ----------------------------------------------------------


def test_signature_over_one_element_of_a_larger_document_is_partial(
    vn_pki: TestPKI, check: Callable[..., Report]
) -> None:
    signed = sign_enveloped(
        DOCUMENT, credential(vn_pki.person), XmlSignOptions(references=("#vb1",))
    )
    [facts] = xml_facts(signed).signatures
    assert facts.intact and facts.signature_valid  # the signed element itself is intact
    assert facts.coverage is Coverage.PARTIAL
    assert facts.details["signed"] == ("/HoSo/VanBan",)
    report = check(signed)
    assert report.verdict is Verdict.INVALID
    assert report.signatures[0].sub_indication is SubIndication.FORMAT_FAILURE
    rules = {r.rule_id: r for r in report.signatures[0].rules}
    assert rules["TECH-FORMAT"].status is RuleStatus.PASSED  # readable; the gap is coverage
    message = rules["TECH-COVERAGE"].message.en
    assert rules["TECH-COVERAGE"].status is RuleStatus.FAILED
    assert "/HoSo/VanBan" in message and "/HoSo/PhuLuc" in message and "not signed" in message
    # both parts signed: all content is covered (the bare root carries nothing of its own)
    both = sign_enveloped(
        DOCUMENT, credential(vn_pki.person), XmlSignOptions(references=("#vb1", "#pl1"))
    )
    assert xml_facts(both).signatures[0].coverage is Coverage.ENTIRE_FILE
    wrapped = b"<Goi>" + DOCUMENT.split(b"?>", 1)[1] + b"</Goi>"
    whole = sign_enveloped(wrapped, credential(vn_pki.person), XmlSignOptions(references=("#vb1",)))
    assert xml_facts(whole).signatures[0].coverage is Coverage.PARTIAL  # PhuLuc is not signed


def test_a_bare_wrapper_around_the_signed_element_is_no_gap(
    vn_pki: TestPKI, check: Callable[..., Report]
) -> None:
    content = b'<Goi><NoiDung Id="nd">V\xc4\x83n b\xe1\xba\xa3n</NoiDung></Goi>'
    signed = sign_enveloped(content, credential(vn_pki.person), XmlSignOptions(references=("#nd",)))
    assert check(signed).verdict is Verdict.VALID
    with_attribute = signed.replace(b"<Goi>", b'<Goi loai="khan">')
    assert check(with_attribute).verdict is Verdict.INVALID  # an unsigned attribute


def _wrapping_attacks(signed: bytes) -> dict[str, bytes]:
    """Classic XML signature wrapping against a signature over ``#vb1``."""

    def duplicate_id(root: etree._Element) -> None:
        evil = etree.fromstring(
            b'<VanBan xmlns="urn:vnsign:test" Id="vb1"><SoTien>9999999</SoTien></VanBan>'
        )
        root.insert(0, evil)

    def move_into_object(root: etree._Element) -> None:
        original = root.find("{urn:vnsign:test}VanBan")
        signature = root.find(ds("Signature"))
        holder = etree.SubElement(signature, ds("Object"))
        root.remove(original)
        holder.append(original)
        evil = etree.fromstring(
            b'<VanBan xmlns="urn:vnsign:test" Id="vb2"><SoTien>9999999</SoTien></VanBan>'
        )
        root.insert(0, evil)

    def second_signed_info(root: etree._Element) -> None:
        signature = root.find(ds("Signature"))
        copy = etree.fromstring(etree.tostring(signature.find(ds("SignedInfo"))))
        signature.insert(0, copy)

    def wrapper_inside_signature(root: etree._Element) -> None:
        signature = root.find(ds("Signature"))
        wrapper = etree.SubElement(signature, "Wrapper")
        original = root.find("{urn:vnsign:test}VanBan")
        root.remove(original)
        wrapper.append(original)

    return {
        "duplicate-id": edit(signed, duplicate_id),
        "moved-into-object": edit(signed, move_into_object),
        "second-signed-info": edit(signed, second_signed_info),
        "wrapper-inside-signature": edit(signed, wrapper_inside_signature),
    }


def test_wrapping_attacks_are_never_valid(vn_pki: TestPKI, check: Callable[..., Report]) -> None:
    content = (
        b'<Goi xmlns="urn:vnsign:test"><VanBan Id="vb1"><SoTien>1000000</SoTien></VanBan></Goi>'
    )
    signed = sign_enveloped(
        content, credential(vn_pki.person), XmlSignOptions(references=("#vb1",))
    )
    assert check(signed).verdict is Verdict.VALID  # the bare <Goi> wrapper only
    for name, attack in _wrapping_attacks(signed).items():
        report = check(attack)
        assert report.verdict is Verdict.INVALID, name
        assert report.signatures[0].sub_indication is SubIndication.FORMAT_FAILURE, name


def test_whole_document_signature_catches_added_content(
    vn_pki: TestPKI, check: Callable[..., Report]
) -> None:
    signed = sign_enveloped(DOCUMENT, credential(vn_pki.person))

    def add(root: etree._Element) -> None:
        etree.SubElement(root, "{urn:vnsign:test}PhuLuc", Id="pl2").text = "thêm sau khi ký"

    report = check(edit(signed, add))
    assert report.signatures[0].sub_indication is SubIndication.HASH_FAILURE


# -- hostile and unusable input ---------------------------------------------------------------

HOSTILE = {
    "xxe": b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>',
    "external-dtd": b'<!DOCTYPE d SYSTEM "http://127.0.0.1:9/evil.dtd"><d/>',
    "billion-laughs": (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(
            f'<!ENTITY {chr(98 + n)} "{("&" + chr(97 + n) + ";") * 10}">'.encode() for n in range(9)
        )
        + b"]><l>&j;</l>"
    ),
    "not-xml": b"<Ho So: khong phai XML",
    "garbage": b"<\x00\xff\xfe\x01" * 50,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_and_broken_input_is_an_error_report_fast(name: str) -> None:
    started = time.perf_counter()
    report = Verifier(offline=True).verify(HOSTILE[name], name=f"{name}.xml")
    assert time.perf_counter() - started < 1.0
    assert report.verdict is Verdict.ERROR
    assert report.error is not None and report.error.vi
    assert "root:" not in json.dumps(report.to_json())  # nothing from /etc/passwd
    jsonschema.validate(report.to_json(), SCHEMA)


def amplified(references: int, size: int, root: str = "d") -> bytes:
    """``references`` whole-document references (a few signatures) in a document of
    about ``size`` bytes: verifying would canonicalize it ``references`` times."""
    reference = (
        '<ds:Reference URI=""><ds:Transforms><ds:Transform Algorithm="'
        'http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></ds:Transforms>'
        '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>'
        "<ds:DigestValue>AAAA</ds:DigestValue></ds:Reference>"
    )
    signature = (
        '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>'
        '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>'
        '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
        + reference * 50
        + "</ds:SignedInfo><ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature>"
    )
    filler = "<p>" + "x" * 100 + "</p>"
    body = filler * (size // len(filler)) + signature * (references // 50)
    return f"<{root}>{body}</{root}>".encode()


def test_signatures_built_to_exhaust_the_verifier_are_refused_fast() -> None:
    # 20 signatures x 50 references over 600 kB: 600 MB to canonicalize and digest
    started = time.perf_counter()
    report = Verifier(offline=True).verify(amplified(1000, 600_000))
    assert time.perf_counter() - started < 1.0
    assert report.verdict is Verdict.ERROR
    assert "MiB" in report.error.en  # type: ignore[union-attr]
    # a few references over the same document are verified as usual
    assert Verifier(offline=True).verify(amplified(50, 600_000)).verdict is Verdict.INVALID


def test_truncated_signed_document_is_an_error(vn_pki: TestPKI) -> None:
    signed = sign_enveloped(DOCUMENT, credential(vn_pki.person))
    report = Verifier(trust=trust(vn_pki)).verify(signed[: len(signed) // 2])
    assert report.verdict is Verdict.ERROR


def test_unsigned_xml_is_invalid() -> None:
    report = Verifier(offline=True).verify(DOCUMENT)
    assert report.verdict is Verdict.INVALID
    assert report.rules[0].rule_id == "TECH-SIGNED"


# -- trust and revocation ---------------------------------------------------------------------


def test_untrusted_signer_is_indeterminate(
    check: Callable[..., Report],
    vn_new_pki,  # type: ignore[no-untyped-def]
) -> None:
    stranger = vn_new_pki().person
    report = check(sign_enveloped(DOCUMENT, credential(stranger)))
    assert report.verdict is Verdict.INDETERMINATE
    assert report.signatures[0].sub_indication is SubIndication.NO_CERTIFICATE_CHAIN_FOUND
    assert rule(report, "TT15-TRUST-PATH") is RuleStatus.WARNING


def test_revoked_signer_is_invalid(vn_pki: TestPKI, check: Callable[..., Report]) -> None:
    revoked = vn_pki.variant(Variant.REVOKED)
    signer = KeyCredential(
        revoked.private_key, revoked.certificate, revoked.chain, allow_unusable=True
    )
    signed = sign_enveloped(DOCUMENT, signer, xades(vn_pki, XadesLevel.B_B))
    report = check(signed)
    assert report.verdict is Verdict.INVALID  # revoked before the (claimed) signing time
    assert report.signatures[0].sub_indication is SubIndication.REVOKED
    assert rule(report, "ND23-VALID-CERT") is RuleStatus.FAILED


# -- the command line -------------------------------------------------------------------------


def test_cli_exit_codes_and_json(
    vn_pki: TestPKI,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    vn_new_pki,  # type: ignore[no-untyped-def]
) -> None:
    roots = tmp_path / "roots.pem"
    roots.write_bytes(vn_pki.national_root.certificate.public_bytes(Encoding.PEM))
    trusted = ["--trust", str(roots), "--trust-regime", "public", "--no-default-trust"]
    with_chain = XmlSignOptions(include_chain=True)
    good = tmp_path / "good.xml"
    good.write_bytes(sign_enveloped(DOCUMENT, credential(vn_pki.person), with_chain))
    tampered = tmp_path / "tampered.xml"
    tampered.write_bytes(good.read_bytes().replace(b"1000000", b"9000000"))
    stranger = tmp_path / "stranger.xml"
    stranger.write_bytes(sign_enveloped(DOCUMENT, credential(vn_new_pki().person), with_chain))
    hostile = tmp_path / "hostile.xml"
    hostile.write_bytes(HOSTILE["billion-laughs"])

    assert main(["verify", str(good), *trusted]) == 0
    assert "KẾT QUẢ: HỢP LỆ" in capsys.readouterr().out
    assert main(["verify", str(tampered), *trusted]) == 1
    assert main(["verify", str(stranger), *trusted]) == 2
    assert main(["verify", str(hostile), *trusted]) == 3
    out = capsys.readouterr().out
    assert "Traceback" not in out

    assert main(["verify", str(good), str(tampered), "--json", *trusted]) == 1
    document = json.loads(capsys.readouterr().out)
    assert [r["verdict"] for r in document["reports"]] == ["valid", "invalid"]
    for report in document["reports"]:
        jsonschema.validate(report, SCHEMA)
        assert report["format"] == "xml"
