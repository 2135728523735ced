"""Signing with xmlsec1 (libxmlsec), an XMLDSig implementation independent of
vnsign: a template whose Signature xmlsec1 fills in, and the call that does it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from vnsign.testing import TestIdentity

#: A document with an enveloped Signature template; format with ``c14n``,
#: ``method`` (SignatureMethod URI) and ``uri`` (the Reference's).
TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<HoSo xmlns="urn:vnsign:test">
  <VanBan Id="vb1">Công văn số 01/UBND-VP, nội dung ký bằng xmlsec1</VanBan>
  <Signature xmlns="http://www.w3.org/2000/09/xmldsig#">
    <SignedInfo>
      <CanonicalizationMethod Algorithm="{c14n}"/>
      <SignatureMethod Algorithm="{method}"/>
      <Reference URI="{uri}">
        <Transforms>
          <Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>
        </Transforms>
        <DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
        <DigestValue/>
      </Reference>
    </SignedInfo>
    <SignatureValue/>
    <KeyInfo><X509Data><X509Certificate/></X509Data></KeyInfo>
  </Signature>
</HoSo>
"""
INCLUSIVE_C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"


def xmlsec1_sign(xmlsec1: str, identity: TestIdentity, template: str, folder: Path) -> Path:
    """``template`` signed by ``identity`` with xmlsec1 (its certificate in
    KeyInfo, ``Id`` attributes of ``VanBan`` known as IDs); the signed file."""
    key, cert = folder / "xmlsec-key.pem", folder / "xmlsec-cert.pem"
    key.write_bytes(identity.key_pem)
    cert.write_bytes(identity.cert_pem)
    source, signed = folder / "xmlsec-template.xml", folder / "xmlsec1.xml"
    source.write_text(template, encoding="utf-8")
    command = [xmlsec1, "--sign", "--privkey-pem", f"{key},{cert}"]
    command += ["--id-attr:Id", "urn:vnsign:test:VanBan", "--output", str(signed), str(source)]
    subprocess.run(command, check=True, capture_output=True, timeout=60)
    return signed
