"""The page tree vpcrawl builds (plain lxml elements) is the tree parsel builds."""

from __future__ import annotations

import pytest
from lxml import etree
from parsel import Selector

from tests.test_fast_paths import SELECTORS, _pages
from vpcrawl.extract import query
from vpcrawl.extract.tree import build_root, html_selector
from vpcrawl.text.legacy import decode_html_bytes, utf8_source

PAGES = _pages()


def _serialized(root: etree._Element) -> bytes:
    return etree.tostring(root, encoding="utf-8", method="html")


def test_every_fixture_page_parses_to_parsels_tree() -> None:
    assert len(PAGES) > 100
    for name, html in PAGES:
        ours, theirs = build_root(html), Selector(text=html).root
        assert _serialized(ours) == _serialized(theirs), name
        assert not isinstance(ours, etree.ElementBase)  # no Python element-class lookup


@pytest.mark.parametrize("html", ["", "   \n ", "\x00", "<p>a\x00b</p>", "plain text, no markup",
                                  "\ufeff<html><body><p>BOM</p></body></html>"])
def test_edge_documents_parse_as_parsel_parses_them(html: str) -> None:
    assert _serialized(build_root(html)) == _serialized(Selector(text=html).root)


def _fixture_bytes() -> list[tuple[str, bytes, str | None]]:
    """Every HTML page of the fixture portals as fetched: bytes and the declared charset."""
    from tests.conftest import mirror_portals
    from vpcrawl.mirror import content_type_for

    out = []
    for portal in mirror_portals():
        for f in sorted(portal.www.rglob("*")):
            if f.is_file() and not f.name.endswith(".json"):
                ctype = content_type_for(f.name, f)
                if "html" in ctype:
                    declared = ctype.split("charset=", 1)[1].strip() if "charset=" in ctype else None
                    out.append((f"{portal.id}/{f.name}", f.read_bytes(), declared))
    return out


def test_a_tree_parsed_from_the_fetched_bytes_is_the_tree_of_the_text() -> None:
    vouched = 0
    for name, body, declared in _fixture_bytes():
        html, encoding = decode_html_bytes(body, declared)
        source = utf8_source(body, html, encoding)
        if source is None:
            continue
        vouched += 1
        assert source.decode("utf-8") == html, name
        assert _serialized(build_root(html, utf8=source)) == _serialized(build_root(html)), name
    assert vouched > 100


@pytest.mark.parametrize(("body", "declared", "vouched"), [
    (b"<p>ASCII only</p>", "windows-1258", True),
    ("<p>Tỉnh ủy Bình Phước</p>".encode(), "utf-8", True),
    ("<p>Tỉnh ủy</p>".encode(), None, True),
    (b"\xef\xbb\xbf<p>BOM</p>", "utf-8", False),  # the text starts after the BOM
    ("<p>Tỉnh ủy</p>".encode() + b"\xff\xfe", "utf-8", False),  # decoded with replacements
    ("<p>H\u00e0 N\u00f4\u0323i</p>".encode("cp1258"), "windows-1258", False),
    ("<p>\ufffd kept</p>".encode(), "utf-8", False),  # real U+FFFD: not vouched for, still correct
])
def test_utf8_source_vouches_only_for_bytes_that_are_the_text(body: bytes, declared: str | None,
                                                              vouched: bool) -> None:
    html, encoding = decode_html_bytes(body, declared)
    source = utf8_source(body, html, encoding)
    assert (source is not None) is vouched
    if source is not None:
        assert source.decode("utf-8") == html


def test_nul_bytes_in_the_fetched_bytes_are_dropped_as_from_the_text() -> None:
    body = "<p>a\x00b ệ</p>".encode()
    html, encoding = decode_html_bytes(body, "utf-8")
    assert _serialized(build_root(html, utf8=utf8_source(body, html, encoding))) == \
        _serialized(Selector(text=html).root)


def test_selector_answers_css_and_xpath_like_parsels() -> None:
    for name, html in PAGES[::7]:
        ours, theirs = html_selector(html, base_url="http://x.vn/"), Selector(text=html, base_url="http://x.vn/")
        for css in SELECTORS[::3]:
            assert ours.css(css).getall() == theirs.css(css).getall(), (name, css)
            compiled = query.compile_css(css)
            assert [_serialized(e) if not isinstance(e, str) else e for e in compiled(ours.root)] == \
                [_serialized(e) if not isinstance(e, str) else e for e in compiled(theirs.root)], (name, css)
        assert ours.xpath("//a/@href").getall() == theirs.xpath("//a/@href").getall()
