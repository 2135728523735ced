"""Safe XML parsing: DTDs, entities, external access, size and depth."""

from __future__ import annotations

import http.server
import threading
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from vnsign.errors import HostileInputError, InputError, MalformedInputError
from vnsign.formats.xml import ParseLimits, parse_xml, verify_xml
from vnsign.formats.xml.parsing import serialize, text_value

BOMBS = [
    "cyclic.xml",
    "dtd.xml",
    "external.xml",
    "external_file.xml",
    "quadratic.xml",
    "xmlbomb.xml",
    "xmlbomb2.xml",
    "xmp-with-harmless-entity.xml",
]


@pytest.mark.interop
@pytest.mark.parametrize("name", BOMBS)
def test_pyhanko_bad_xml_is_refused_fast_without_expansion(shared_corpus: Path, name: str) -> None:
    data = (shared_corpus / "pyhanko-bad-xml" / name).read_bytes()
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(HostileInputError, match=r"DTD|entit|load"):
            parse_xml(data)
        with pytest.raises(HostileInputError):
            verify_xml(data)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 1.0
    assert peak < 4 * 1024 * 1024  # nothing expanded: the biggest bomb is a few MB expanded


@pytest.mark.interop
@pytest.mark.parametrize("name", ["simple.xml", "simple-ns.xml"])
def test_harmless_corpus_documents_parse_with_comments_and_tails(
    shared_corpus: Path, name: str
) -> None:
    tree = parse_xml((shared_corpus / "pyhanko-bad-xml" / name).read_bytes())
    root = tree.getroot()
    assert root.getprevious() is not None  # the leading comment is kept
    assert [e.tail.strip() for e in root if e.tail and e.tail.strip()] == ["tail"]
    assert verify_xml(tree.getroot().getroottree()).signatures == ()


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []  # noqa: RUF012 - shared on purpose: the server makes new handlers

    def do_GET(self) -> None:
        self.hits.append(self.path)
        body = b"<leaked>network content</leaked>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def counting_server() -> Iterator[tuple[str, list[str]]]:
    _CountingHandler.hits = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _CountingHandler.hits
    finally:
        server.shutdown()
        server.server_close()


def test_external_entities_and_dtds_never_touch_the_network(
    counting_server: tuple[str, list[str]],
) -> None:
    url, hits = counting_server
    documents = [
        f'<!DOCTYPE r [<!ENTITY e SYSTEM "{url}/entity">]><r>&e;</r>',
        f'<!DOCTYPE r SYSTEM "{url}/dtd"><r/>',
        f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{url}/param"> %p;]><r/>',
        f'<r xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="{url}/xi"/></r>',
    ]
    for document in documents[:3]:
        with pytest.raises(HostileInputError):
            parse_xml(document.encode())
    tree = parse_xml(documents[3].encode())  # XInclude is never processed
    assert b"network content" not in serialize(tree)
    assert hits == []


def test_external_file_entities_are_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("bí mật")
    document = f'<!DOCTYPE r [<!ENTITY e SYSTEM "file://{secret}">]><r>&e;</r>'.encode()
    with pytest.raises(HostileInputError) as caught:
        parse_xml(document)
    assert "bí mật" not in str(caught.value)


def test_utf16_document_with_a_dtd_is_hostile_not_malformed() -> None:
    document = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY a "x">]><r>&a;</r>'
    with pytest.raises(HostileInputError):
        parse_xml(document.encode("utf-16"))


def test_size_limit_is_checked_before_parsing() -> None:
    data = b"<r>" + b"a" * 2000 + b"</r>"
    with pytest.raises(HostileInputError, match="more than the limit of 1000"):
        parse_xml(data, limits=ParseLimits(max_bytes=1000))
    assert parse_xml(data).getroot().text == "a" * 2000


def test_depth_limits() -> None:
    deep = b"<a>" * 300 + b"</a>" * 300
    with pytest.raises(HostileInputError, match="depth"):
        parse_xml(deep)
    nested = b"<a>" * 20 + b"</a>" * 20
    assert parse_xml(nested).getroot().tag == "a"
    with pytest.raises(HostileInputError, match="deeper than 10"):
        parse_xml(nested, limits=ParseLimits(max_depth=10))


@pytest.mark.parametrize(
    "data",
    [b"", b"   ", b"<r>", b"<r></s>", b"not xml at all", b"<r>&undefined;</r>", b"\xff\xfe<\x00"],
)
def test_broken_documents_are_malformed_input(data: bytes) -> None:
    with pytest.raises(MalformedInputError):
        parse_xml(data)


def test_text_input_is_refused_clearly() -> None:
    with pytest.raises(InputError, match="must be bytes"):
        parse_xml("<r/>")  # type: ignore[arg-type]


def test_parsing_keeps_whitespace_comments_and_processing_instructions() -> None:
    data = b"<?xml-stylesheet type='text/xsl' href='x'?>\n<r>\n  <a> t </a><!--c--><?p d?>\n</r>"
    out = serialize(parse_xml(data))
    assert b"<?xml-stylesheet type='text/xsl' href='x'?>" in out
    assert b"<r>\n  <a> t </a><!--c--><?p d?>\n</r>" in out


def test_text_value_ignores_comments() -> None:
    root = parse_xml(b"<v><!--hidden-->abc<?p x?>def</v>").getroot()
    assert text_value(root) == "abcdef"
    assert text_value(None) == ""


def test_large_text_nodes_need_a_document_without_dtd() -> None:
    payload = b"QUJD" * 3_000_000  # 12 MB of base64, more than libxml2's 10 MB text node
    document = b"<goi><tep>" + payload + b"</tep></goi>"
    tree = parse_xml(document)
    assert len(tree.getroot()[0].text) == len(payload)
    with pytest.raises(HostileInputError):
        parse_xml(b'<!DOCTYPE goi [<!ENTITY a "x">]>' + document)
    deep = b"<a>" * 300 + b"<t>" + payload + b"</t>" + b"</a>" * 300
    with pytest.raises(HostileInputError, match=r"depth|deeper"):
        parse_xml(deep)
